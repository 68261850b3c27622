/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_SUPERVISE_H
#define USBIP_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "usbip.h"

/*
 * usbip attach --persistent: attaches the device @sel names on @host, then
 * keeps it attached (usbip(8), PERSISTENT ATTACH).  Without @foreground the
 * first attach must succeed, then a forked supervisor (logging to syslog)
 * takes over and this returns 0 in the parent; with @foreground (the
 * systemd unit) it supervises in this process, logging to stderr, waits for
 * the server from the start, and returns when SIGTERM or SIGINT arrives.
 * Returns 0, or -1 after logging why.
 */
int supervise_attach(struct usbip_cli *cli, const char *host,
		     const struct usbip_selector *sel, bool foreground);

/* A supervisor as its state file (<state dir>/supervisor.<pid>) shows it. */
enum supervisor_state {
	SUP_STARTING,		/* no attach yet */
	SUP_ATTACHED,
	SUP_WAITING,		/* server answers, device not exported: polling */
	SUP_RETRYING,		/* server unreachable: retry at retry_at */
};

struct supervisor_info {
	pid_t pid;
	unsigned long long starttime;	/* of the process, to tell it from a reuse */
	char host[USBIP_RECORD_HOST_MAX];
	char service[USBIP_RECORD_SERV_MAX];
	char selector[512];
	int port;			/* last vhci port attached, -1: none yet */
	enum supervisor_state state;
	int64_t since;			/* wall clock, s: state entered */
	int64_t retry_at;		/* wall clock, s: SUP_RETRYING's next try */
};

/*
 * The running supervisors (stale files of dead ones are skipped); returns
 * their count, at most @max, or -errno.
 */
int supervisor_list(struct usbip_ctx *ctx, struct supervisor_info *out, size_t max);
/* "attached", "waiting for the device to be exported", "retry in 7 s"... */
const char *supervisor_state_str(const struct supervisor_info *s, char *buf, size_t size);
/*
 * Ends the supervision of vhci port @port before a user's detach: SIGTERM
 * to each supervisor of it, then waits for its exit (a few seconds at most;
 * one that is still in a connection attempt has the signal pending and
 * checks it before any attach, so it never re-attaches).  Returns how many
 * it stopped.
 */
int supervisor_stop_port(struct usbip_ctx *ctx, uint32_t port);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_CLI_H
#define USBIP_CLI_H

#include <stdbool.h>
#include <syslog.h>

#include "libusbip.h"
#include "util/escape.h"
#include "util/log.h"

/* What every command gets: the library context and the global options. */
struct usbip_cli {
	struct usbip_ctx *ctx;
	const char *port;	/* TCP service, "3240" unless --tcp-port */
	int timeout_ms;		/* per connect and per reply */
};

struct usbip_command {
	const char *name;
	int (*run)(struct usbip_cli *cli, int argc, char *argv[]);
	const char *help;		/* one line for `usbip help` */
	void (*usage)(void);		/* NULL: not listed by `usbip help CMD` */
};

extern const struct usbip_command cmd_attach, cmd_detach, cmd_list, cmd_bind,
	cmd_unbind, cmd_port;

/* Connects to @host with the global port and timeout; logs failures. */
int cli_connect(struct usbip_cli *cli, const char *host);
/* Is @s a bus id we may send or write to sysfs? Logs why not. */
bool cli_busid_ok(const char *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIPD_H
#define USBIPD_H

#include <glib.h>
#include <stdbool.h>

#include "libusbip.h"

/* Everything the daemon knows; one instance, passed around explicitly. */
struct usbipd {
	struct usbip_ctx *ctx;
	enum usbip_backend backend;
	GMainLoop *loop;
	int family;			/* AF_UNSPEC, AF_INET or AF_INET6 */
	const char *port;
	int handshake_timeout_ms;	/* a client must finish its request in this */
	unsigned max_handshakes;	/* concurrent connections still talking to us */
	unsigned nconns;
	GPtrArray *listeners;		/* GSource* watching listening sockets */
};

/* server.c */
int server_listen(struct usbipd *d);
void server_stop(struct usbipd *d);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_SERVERS_H
#define USBIP_SERVERS_H

#include <stdbool.h>
#include <stddef.h>

#include "usbip.h"

/* At most this many servers in one query (one thread each). */
#define SERVERS_MAX 64

/* What one server answered to OP_REQ_DEVLIST. */
struct server_reply {
	int status;		/* >= 0: the devices kept; < 0: a libusbip code */
	bool connected;		/* the connection was made (status < 0: then failed) */
	struct usbip_devlist list;	/* the devices the selector may name */
};

/*
 * Asks each of the @n servers @srv (n <= SERVERS_MAX) for its exportable
 * devices, all at once (one thread and one library context each, so the
 * slowest server sets the total time), each with the global timeout
 * (cli->timeout_ms) for its connect and for its reply; keeps the devices
 * @sel may name (select_candidates).  @out[i] is the reply of @srv[i]
 * (free with servers_reply_free).  Nothing is logged: the caller reports.
 * Where the list of servers came from (-r, a configuration file, mDNS
 * discovery) does not matter here.
 */
void servers_query(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		   const struct usbip_selector *sel, struct server_reply *out);
void servers_reply_free(struct server_reply *r, size_t n);

enum list_format { LIST_HUMAN, LIST_PARSABLE, LIST_JSON };

/*
 * `usbip list -r`: queries @srv (servers_query) and prints the devices of
 * each in the order given, as @format (usbip(8), usbip-json(7)).  A server
 * that fails is reported on stderr (and as an error entry in JSON) without
 * stopping the others.  Returns 0 when every server answered, else -1.
 */
int servers_list(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		 const struct usbip_selector *sel, enum list_format format);

/* @srv as a user would name it: the host alone when its port is the global
 * one (cli->port), else HOST:PORT or [V6ADDR]:PORT; escaped for printing.
 * Returns @buf. */
#define SERVER_SHOWN_SIZE ESCAPED_SIZE(USBIP_RECORD_HOST_MAX + 10)
const char *server_shown(const struct usbip_cli *cli, const struct cli_server *srv,
			 char *buf, size_t size);

#endif

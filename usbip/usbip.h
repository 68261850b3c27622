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

/* persist.c: export rules (usbip-export-rules(5)) for bind/unbind --persist
 * and list -l. */
/* $(sysconfdir)/usbip/export.rules, or $USBIP_EXPORT_RULES. */
const char *persist_rules_path(void);
/* Adds/removes the rule @sel; 0 (also when already there, for add), -ENOENT
 * (remove: no such rule) or -1, with a message. */
int persist_add(struct usbip_cli *cli, const struct usbip_selector *sel);
int persist_remove(struct usbip_cli *cli, const struct usbip_selector *sel);
/* bind --persist, after usbip_bind() returned @r: stores the rule when the
 * device was bound, already was, or is absent.  Returns 0 or -1 (done,
 * message printed), or 1: not handled, report @r as without --persist. */
int persist_after_bind(struct usbip_cli *cli, const char *busid, int r);
/* unbind --persist: removes the rule first (so usbipd does not bind the
 * device again); persist_remove()'s result. */
int persist_before_unbind(struct usbip_cli *cli, const char *busid);
/* The rules, or NULL (none, or a broken file, reported). */
struct usbip_rules *persist_rules_load(struct usbip_cli *cli);
/* "export rule: export.rules:3" in @buf when a rule covers @dev, else NULL. */
const char *persist_rule_note(struct usbip_cli *cli, const struct usbip_rules *rules,
			      const struct usbip_local_device *dev, char *buf, size_t size);

#endif

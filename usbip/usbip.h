/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_CLI_H
#define USBIP_CLI_H

#include <stdbool.h>
#include <syslog.h>

#include "libusbip.h"
#include "util/escape.h"
#include "util/log.h"

struct tls_creds;

/* What every command gets: the library context and the global options. */
struct usbip_cli {
	struct usbip_ctx *ctx;
	const char *port;	/* TCP service, "3240" unless --tcp-port */
	int timeout_ms;		/* per connect and per reply */
	/* From usbip.conf(5) (cli_config_load): the servers attach -i searches
	 * without -r, in the file's order; none when nservers is 0. */
	const struct cli_server *servers;
	size_t nservers;
	const char *config_file;	/* the usbip.conf read, for messages */
	bool timeout_given;	/* --timeout was given (discovery waits less otherwise) */
	/* --tls-ca (TLS on when set), --tls-cert, --tls-key */
	const char *tls_ca, *tls_cert, *tls_key;
	struct tls_creds *tls;	/* loaded by the first connection */
	char *tls_conf[3];	/* [tls] ca=, cert=, key= of usbip.conf (config.c) */
};

struct usbip_command {
	const char *name;
	int (*run)(struct usbip_cli *cli, int argc, char *argv[]);
	const char *help;		/* one line for `usbip help` */
	void (*usage)(void);		/* NULL: not listed by `usbip help CMD` */
};

extern const struct usbip_command cmd_attach, cmd_detach, cmd_list, cmd_bind,
	cmd_unbind, cmd_port;

/*
 * A server to ask: from -r HOST[:PORT] (parse_server), the configuration
 * file's servers (usbip.conf(5)) or mDNS discovery.  Host as the user or
 * the resolver gave it, port as a decimal string.
 */
struct cli_server {
	char host[USBIP_RECORD_HOST_MAX];
	char port[8];
};

/* ------------------------------------- the configuration file (config.c) */

/* The most servers usbip.conf may list: each may cost a connect timeout. */
#define CLI_SERVERS_MAX 64
/* The usbip.conf to read: @explicit_path (--config) if not NULL, else
 * $USBIP_CONF if set and not empty, else $(sysconfdir)/usbip/usbip.conf. */
const char *cli_config_path(const char *explicit_path);
/*
 * Reads usbip.conf(5) at cli_config_path(@path) into @cli: servers and
 * nservers (allocated: cli_config_free), timeout_ms when the file sets
 * timeout= (a --timeout must be applied after this), config_file.  The
 * servers' default port is @cli->port, so --tcp-port must be applied before.
 * A missing file is fine unless @path names it.  Unknown groups and keys are
 * warned about.  Returns 0, or -1 after logging what is wrong and how to fix
 * it (no servers are kept then).
 */
int cli_config_load(struct usbip_cli *cli, const char *path);
/* Frees the servers cli_config_load() stored; none are left. */
void cli_config_free(struct usbip_cli *cli);
/* @s as "host:port" or "[v6addr]:port", escaped; CLI_SERVER_SHOWN_SIZE bytes. */
#define CLI_SERVER_SHOWN_SIZE (ESCAPED_SIZE(USBIP_RECORD_HOST_MAX) + 10)
const char *cli_server_shown(const struct cli_server *s, char *buf, size_t size);
/*
 * Servers advertised over mDNS/DNS-SD (_usbip._tcp, discover.c): browses
 * through avahi-daemon until it has reported what it knows and each server
 * is resolved, at most @timeout_ms.  host is an address (IPv6 link-local
 * with "%ifname").  Returns the count with *@out allocated (free() it; NULL
 * when 0), or -1 after logging why (avahi-daemon not running, discovery not
 * built in).
 */
#define DISCOVER_TIMEOUT_MS 3000
int discover_servers(struct usbip_cli *cli, int timeout_ms, struct cli_server **out);
/* The wait for discover_servers(): --timeout when given, else DISCOVER_TIMEOUT_MS. */
static inline int discover_timeout(const struct usbip_cli *cli)
{
	return cli->timeout_given ? cli->timeout_ms : DISCOVER_TIMEOUT_MS;
}

/*
 * The one place connections to a server are made: TCP to @host:@port
 * within @timeout_ms, then, with --tls-ca, the TLS handshake (the server's
 * certificate checked against the CA and @host) and kernel TLS on the
 * socket, so the requests and the device's traffic are encrypted.  Returns
 * the socket, or -errno: a TCP failure is not logged (the caller knows what
 * it was doing), a TLS one always is, and *@tls_failed (may be NULL) says so.
 */
int cli_open(struct usbip_cli *cli, const char *host, const char *port, int timeout_ms,
	     bool *tls_failed);
/*
 * With --tls-ca: loads the credentials and the kernel's tls module, once per
 * process (cli_open does it at its first call; call it before starting
 * threads that share @cli).  Returns 0, or -errno after logging why.
 */
int cli_tls_prepare(struct usbip_cli *cli);
/* cli_open() with the global port and timeout; logs every failure. */
int cli_connect(struct usbip_cli *cli, const char *host);
/*
 * "tls.port<N>" in the state directory notes that vhci port @port was
 * attached over TLS, for `usbip port`.  It holds the port record's line, so a
 * note left behind (the kernel dropped the port, another tool reused it)
 * names no other attachment.  @on false removes it.
 */
void cli_tls_note(struct usbip_cli *cli, uint32_t port, const struct usbip_record *rec, bool on);
bool cli_tls_noted(struct usbip_cli *cli, uint32_t port, const struct usbip_record *rec);
/* Is @s a bus id we may send or write to sysfs? Logs why not. */
bool cli_busid_ok(const char *s);

/* ------------------------------------------------- device selectors (select.c) */

/*
 * -i/--hardware-id VID:PID and --serial SERIAL name a device by what
 * survives a replug, where -b names it by its bus id.  Each command that
 * takes them puts SELECT_OPTIONS in its getopt table and "i:" in its short
 * options, and hands every -i/--serial to select_option().
 */
enum { OPT_SERIAL = 0x100, OPT_ALL };
#define SELECT_OPTIONS \
	{ "hardware-id", required_argument, NULL, 'i' }, \
	{ "serial", required_argument, NULL, OPT_SERIAL }
/* The help lines of -i and --serial, after each command's reference text. */
#define SELECT_USAGE \
	"    -i, --hardware-id=<vid:pid>  Select the device by vendor:product\n" \
	"        --serial=<serial>     Select the device by serial number\n"

/* Adds -i (@opt 'i') or --serial (OPT_SERIAL) to @sel; logs why @arg is not
 * valid and returns false then. */
bool select_option(struct usbip_selector *sel, int opt, const char *arg);
/* Adds -b BUSID to @sel (checked by cli_busid_ok). */
bool select_busid(struct usbip_selector *sel, const char *busid);
/* True when @sel holds more than a bus id: the command must select. */
bool select_wanted(const struct usbip_selector *sel);
/* @sel as its options, escaped for printing (SELECT_SHOWN_SIZE bytes). */
#define SELECT_SHOWN_SIZE ESCAPED_SIZE(USBIP_BUSID_SIZE + USBIP_SERIAL_SIZE + \
				       USBIP_PATH_SIZE + 64)
const char *select_shown(const struct usbip_selector *sel, char *buf, size_t size);

/* One device a selector named, for choosing and for messages. */
struct select_match {
	char busid[USBIP_BUSID_SIZE];
	uint16_t vendor, product;
	bool serial_known;		/* false for a server's device */
	char serial[USBIP_SERIAL_SIZE];	/* "" when the device has none */
};

/*
 * The local USB devices (usbip_list_local: no hubs, none imported) that
 * @sel matches, with their serial numbers (usbip_local_ident).  Returns
 * their count with *@out allocated (free() it; NULL when 0), or -1 after
 * logging why the devices could not be read.
 */
int select_local(struct usbip_ctx *ctx, const struct usbip_selector *sel,
		 struct select_match **out);

/*
 * Asks @host:@port for its exportable devices (one connection, one
 * OP_REQ_DEVLIST, @timeout_ms for the connect and for the reply) and keeps
 * the ones @sel may name: a DEVLIST carries bus id and vendor:product but
 * no serial number or port path, so a device whose known fields match is a
 * candidate (usbip_selector_match YES or UNKNOWN), and only importing it
 * tells its serial (attach_selected).  Returns the number of candidates,
 * in the server's order, with @out holding them (usbip_devlist_free; empty
 * when 0), or -1 after logging why the list could not be had.
 */
int select_remote(struct usbip_cli *cli, const char *host, const char *port,
		  int timeout_ms, const struct usbip_selector *sel,
		  struct usbip_devlist *out);
/*
 * select_remote() without messages, for callers that act on the cause (the
 * persistent-attach supervisor backs off when unreachable, polls when the
 * server answers): the count, or -errno with *@connected (may be NULL)
 * telling whether the connection was made.
 */
int select_candidates(struct usbip_cli *cli, const char *host, const char *port,
		      int timeout_ms, const struct usbip_selector *sel,
		      struct usbip_devlist *out, bool *connected);

/*
 * Logs that @n (> 1) devices match @sel: each with bus id, names and
 * serial, then how to choose one (@all_hint: mention --all).
 */
void select_report_many(struct usbip_ctx *ctx, const struct usbip_selector *sel,
			const struct select_match *m, size_t n, bool all_hint);

/*
 * usbip attach -r @host with a selector (attach.c): picks the device in the
 * server's list (select_remote) and imports it.  With a serial number, each
 * candidate is imported in turn until the imported device reports that
 * serial; the others are detached again.  Writes the port record as attach
 * -b does.  Returns the vhci port, or -1 after logging why not.
 */
int attach_selected(struct usbip_cli *cli, const char *host,
		    const struct usbip_selector *sel);
/*
 * usbip attach with a selector and no -r: asks the @n servers @srv in order
 * (one DEVLIST each, quietly; an unreachable one is a warning) and attaches
 * from the first that has candidates as attach_selected() does: several
 * candidates without --serial are reported, not guessed; with --serial,
 * when none of a server's candidates has it, the search goes on.  Returns
 * the vhci port, or -1 after logging why not (when nothing matched: every
 * server asked and what it answered).
 */
int attach_search(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		  const struct usbip_selector *sel);
/* Notes where vhci port @port came from (a port record), for `usbip port`;
 * a failure is logged: the device stays attached, only its origin is lost. */
void attach_record(struct usbip_cli *cli, int port, const char *host, const char *busid);
/* The "devid" vhci_hcd's attach file takes for @dev: bus and device number. */
static inline uint32_t cli_devid(const struct usbip_device *dev)
{
	return dev->busnum << 16 | (dev->devnum & 0xffff);
}

/* persist.c: export rules (usbip-export-rules(5)) for bind/unbind --persist
 * and list -l. */
/* $(sysconfdir)/usbip/export.rules, or $USBIP_EXPORT_RULES. */
const char *persist_rules_path(void);
/* Adds/removes the rule @sel; 0 (also when already there, for add), -ENOENT
 * (remove: no such rule) or -1, with a message. */
int persist_add(struct usbip_cli *cli, const struct usbip_selector *sel);
int persist_remove(struct usbip_cli *cli, const struct usbip_selector *sel);
/* The rules, or NULL (none, or a broken file, reported). */
struct usbip_rules *persist_rules_load(struct usbip_cli *cli);
/* "export rule: export.rules:3" in @buf when a rule covers device @id,
 * else NULL. */
const char *persist_rule_note(const struct usbip_rules *rules,
			      const struct usbip_device_ident *id, char *buf, size_t size);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIPD_SETTINGS_H
#define USBIPD_SETTINGS_H

#include <glib.h>
#include <stdbool.h>

struct addrinfo;

#include "acl.h"

/* Settings from defaults, the configuration file and the command line. */
struct config {
	bool ipv4, ipv6, device, debug;
	bool no_mdns;			/* do not advertise over mDNS (mdns.c) */
	char *port;
	char *pid_file;
	char *file;			/* the configuration file in use */
	char *rules;			/* export rules file; NULL: the default */
	int timeout_ms;			/* a client must send its request in this */
	unsigned max_handshakes;	/* connections still talking to us, at most */
	unsigned max_per_source;	/* of those, from one address, at most */
	int keepalive_idle, keepalive_interval, keepalive_count;	/* seconds, probes */
	GPtrArray *allow;		/* struct acl_entry *; empty (not given): everyone */
	GPtrArray *listen;		/* char * numeric addresses, no brackets; empty: the wildcards */
	char *tls_cert, *tls_key;	/* the server's certificate chain and key (PEM) */
	char *tls_ca;			/* client certificates must chain to it; NULL: none asked */
	bool require_tls;		/* refuse plaintext USB/IP */
	unsigned set;			/* config_bit() of each setting given */
};

void config_defaults(struct config *c);
void config_clear(struct config *c);
bool config_set(struct config *c, const char *key, const char *value, const char *where);
bool config_load(struct config *c, const char *path, bool required);
void config_merge(struct config *out, const struct config *file, const struct config *cli);
unsigned config_bit(const char *key);
/* The bits of all settings usbipd knows. */
unsigned config_all_bits(void);
/* Do @a and @b agree on what is fixed at start (port, addresses, mode, PID file)? */
bool config_same_at_start(const struct config *a, const struct config *b);
/* Are the TLS settings consistent?  Logs what is missing. */
bool config_tls_check(const struct config *c, const char *where);
/* getaddrinfo() of a listen= address (numeric only) and @port (may be NULL). */
int config_resolve_listen(const char *addr, const char *port, struct addrinfo **res);

#endif

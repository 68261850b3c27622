/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIPD_H
#define USBIPD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "libusbip.h"

/* One --allow rule: an IPv4 or IPv6 prefix. */
struct acl_entry {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

/* Settings from defaults, the configuration file and the command line. */
struct config {
	bool ipv4, ipv6, device, debug;
	char *port;
	char *pid_file;
	char *file;			/* the configuration file in use */
	int timeout_ms;			/* a client must send its request in this */
	unsigned max_handshakes;	/* connections still talking to us, at most */
	int keepalive_idle, keepalive_interval, keepalive_count;	/* seconds, probes */
	GPtrArray *allow;		/* struct acl_entry *; empty: everyone */
	GPtrArray *listen;		/* char * addresses; empty: the wildcards */
	unsigned set;			/* config_bit() of each setting given */
};

struct devices;

/* Everything the daemon knows; one instance, passed around explicitly. */
struct usbipd {
	struct usbip_ctx *ctx;
	struct config cfg;		/* in force */
	struct config cli;		/* the command line, kept for reloads */
	enum usbip_backend backend;
	GMainLoop *loop;
	struct devices *devices;
	unsigned nconns;		/* connections not yet answered */
	bool use_syslog;
	guint resume_source;		/* listeners paused after EMFILE */
	GArray *listeners;		/* struct listener */
};

/* config.c */
void config_defaults(struct config *c);
void config_clear(struct config *c);
bool config_set(struct config *c, const char *key, const char *value, const char *where);
bool config_load(struct config *c, const char *path, bool required);
void config_merge(struct config *out, const struct config *file, const struct config *cli);
unsigned config_bit(const char *key);
bool parse_port(const char *s);
bool parse_seconds(const char *s, int *ms);
bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* acl.c */
bool acl_parse(const char *text, struct acl_entry *e);
bool acl_allows(const GPtrArray *allow, const struct sockaddr *sa);

/* devices.c */
struct devices *devices_new(struct usbipd *d);
void devices_free(struct devices *ds);
struct usbip_exported *devices_get(struct devices *ds, int *count);
unsigned devices_rescans(const struct devices *ds);

/* server.c */
int server_listen(struct usbipd *d);
/* Takes sockets passed by systemd (LISTEN_FDS); returns how many, or -errno. */
int server_adopt(struct usbipd *d, int first_fd, int count);
void server_stop(struct usbipd *d);

#endif

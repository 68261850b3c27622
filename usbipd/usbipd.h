/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIPD_H
#define USBIPD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "libusbip.h"
#include "settings.h"

struct devices;
struct conns;
struct export_rules;
struct udev_device;
struct mdns;
struct tls_creds;

/* Everything the daemon knows; one instance, passed around explicitly. */
struct usbipd {
	struct usbip_ctx *ctx;
	struct config cfg;		/* in force */
	struct config cli;		/* the command line, kept for reloads */
	enum usbip_backend backend;
	GMainLoop *loop;
	struct devices *devices;
	struct export_rules *rules;	/* export-rules.c */
	struct conns *conns;		/* connections not yet answered (server.c) */
	struct tls_creds *tls;		/* from cfg.tls_*; NULL: TLS not configured */
	bool use_syslog;
	guint resume_source;		/* listeners paused after EMFILE */
	GArray *listeners;		/* struct listener */
	int activated;			/* sockets from the service manager (LISTEN_FDS) */
	int pid_fd;			/* the locked PID file, or -1 */
	char *pid_path;			/* ... and the path it was written at */
	struct mdns *mdns;		/* mdns.c; NULL: not advertising */
};

/* devices.c */
struct devices *devices_new(struct usbipd *d);
void devices_free(struct devices *ds);
struct usbip_exported *devices_get(struct devices *ds, int *count);

/* export-rules.c: loads the rules and binds the devices they name (start),
 * reads them again and binds (SIGHUP), binds a device that appeared (a
 * uevent from devices.c). */
void export_rules_start(struct usbipd *d);
void export_rules_reload(struct usbipd *d);
void export_rules_uevent(struct usbipd *d, struct udev_device *dev);
void export_rules_free(struct usbipd *d);

/* activation.c: do the service manager's sockets (@count from @first_fd)
 * serve what the settings given in @cfg say?  @cli and @file say where each
 * came from.  Logs every contradiction. */
bool activation_matches(const struct config *cfg, const struct config *cli, const char *file,
			int first_fd, int count);

/* mdns.c: advertises _usbip._tcp over mDNS through avahi-daemon, unless
 * no-mdns is set: mdns_apply() at start and after each reload (starts or
 * stops), mdns_devices_changed() after any uevent (the TXT record's device
 * count), mdns_free() at exit (withdraws the service). */
void mdns_apply(struct usbipd *d);
void mdns_devices_changed(struct usbipd *d);
void mdns_free(struct usbipd *d);

/* privileges.c: sets no_new_privs and drops every capability; -1 on failure. */
int drop_privileges(void);

/* server.c */
int server_listen(struct usbipd *d);
/* Takes sockets passed by systemd (LISTEN_FDS); returns how many, or -errno. */
int server_adopt(struct usbipd *d, int first_fd, int count);
void server_stop(struct usbipd *d);
/* After a reload: deadlines follow the new timeout, limits apply from the
 * next connection on. */
void server_settings_changed(struct usbipd *d);

#endif

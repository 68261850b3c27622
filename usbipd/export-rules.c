// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Export rules (usbip-export-rules(5)): the devices the rules file names are
 * bound to usbip-host when usbipd starts, when they appear (uevent "add",
 * also under a new bus id after a replug) and when the file changes.
 *
 * A device is considered once per appearance: at its "add", or at the
 * "bind" that follows it (the kernel's generic driver may still be probing
 * it at "add").  A later plain `usbip unbind` therefore sticks until the
 * device is replugged or the rules are read again; `usbip unbind --persist`
 * removes the rule.  Hubs and devices behind vhci_hcd are never bound
 * (usbip_bind refuses them: exporting an imported device would loop).
 */
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "usbipd.h"
#include "util/ident.h"
#include "util/log.h"

#define DEFAULT_RULES SYSCONFDIR "/usbip/export.rules"

struct export_rules {
	struct usbip_rules *rules;	/* in force; never NULL once started */
	char *path;			/* the file they came from */
	char *name;			/* the last component of the rules' file, for log lines */
	struct stat st;			/* as read (st_ino 0: no file) */
	GHashTable *fresh;		/* busids added, not yet considered at "bind" */
	GHashTable *waiting;		/* busid -> tries: waiting for udev's ID_PATH */
	guint retry_source;		/* the timer that retries them */
	struct udev *udev;
	bool enabled;			/* host mode only: vudc has nothing to bind */
};

static const char *rules_path(const struct usbipd *d)
{
	return d->cfg.rules ? d->cfg.rules : DEFAULT_RULES;
}

/* The file's identity now: a change of any of these means read it again. */
static void file_state(const char *path, struct stat *st)
{
	if (stat(path, st) < 0)
		memset(st, 0, sizeof(*st));
}

static bool same_state(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Reads the rules file named by the settings in force.  On failure (logged
 * with file:line by the library) the rules in force stay, or, at start,
 * there are none: the daemon still serves the devices bound by hand.
 */
static bool load(struct usbipd *d)
{
	struct export_rules *er = d->rules;
	const char *path = rules_path(d);
	struct usbip_rules *rules;
	struct stat st;
	int r;

	file_state(path, &st);
	r = usbip_rules_load(d->ctx, path, &rules);
	if (strcmp(er->path ? er->path : "", path) != 0) {
		g_free(er->path);
		er->path = g_strdup(path);
	}
	/* Remembered even on failure: a broken file is reported once, not
	 * at every uevent, and read again when it changes. */
	er->st = st;
	if (r < 0) {
		err("%s: export rules not %s; %s", path, er->rules ? "reloaded" : "loaded",
		    er->rules ? "the previous rules stay in force" :
		    "no device is bound by a rule until the file is fixed");
		if (!er->rules) {
			usbip_rules_parse(NULL, 0, &er->rules, NULL, NULL);
			er->name = g_path_get_basename(path);
		}
		return false;
	}
	usbip_rules_free(er->rules);
	er->rules = rules;
	g_free(er->name);
	er->name = g_path_get_basename(path);
	if (st.st_ino)
		info("%s: %zu export rule%s", path, usbip_rules_count(rules),
		     usbip_rules_count(rules) == 1 ? "" : "s");
	return true;
}

/*
 * Binds @dev (a usb_device) if a rule names it and it is not bound yet.
 * Returns the enum usbip_match of the rules (USBIP_MATCH_NO for a device
 * skipped before matching).
 */
static int consider(struct usbipd *d, struct udev_device *dev)
{
	struct export_rules *er = d->rules;
	const char *busid = udev_device_get_sysname(dev);
	const char *drv = udev_device_get_driver(dev);
	struct local_ident li;
	unsigned line = 0;
	int match, r;

	if (!busid || usbip_busid_valid(busid, USBIP_BUSID_SIZE) < 0 ||
	    (drv && !strcmp(drv, "usbip-host")) ||
	    local_ident_get(d->ctx, busid, udev_device_get_sysattr_value(dev, "idVendor"),
			    udev_device_get_sysattr_value(dev, "idProduct"), &li) < 0)
		return USBIP_MATCH_NO;
	/* UNKNOWN: a path rule, and a device udev has not described yet (no
	 * ID_PATH): the caller tries again later. */
	if (!usbip_rules_match(er->rules, &li.id, &line, &match))
		return match;
	r = usbip_bind(d->ctx, busid);
	switch (r) {
	case 0:
		info("bound %s (%04x:%04x) by rule %s:%u", busid, li.id.vendor, li.id.product,
		     er->name, line);
		break;
	case -EALREADY:
		break;
	case -EISDIR:
		dbg("not binding %s (rule %s:%u): hubs are never exported", busid, er->name,
		    line);
		break;
	case -ELOOP:
		dbg("not binding %s (rule %s:%u): it is attached through vhci_hcd, and "
		    "exporting it would loop", busid, er->name, line);
		break;
	default:
		err("cannot bind %s by rule %s:%u: %s%s", busid, er->name, line, strerror(-r),
		    r == -EROFS ? " (a service sandbox keeps /sys/bus/usb/drivers read-only: "
		    "allow it with ReadWritePaths=, as usbipd.service does)" : "");
		break;
	}
	return USBIP_MATCH_YES;
}

#define RETRY_MS	500
#define RETRY_TRIES	10	/* udev describes a new device within 5 s */

/*
 * The kernel's uevent of a new device comes before udev has stored its
 * ID_PATH: a device only a path rule might name is looked at again a few
 * times, until udev has described it.
 */
static gboolean on_retry(gpointer data)
{
	struct usbipd *d = data;
	struct export_rules *er = d->rules;
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, er->waiting);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct udev_device *dev = er->udev ?
			udev_device_new_from_subsystem_sysname(er->udev, "usb", key) : NULL;
		unsigned tries = GPOINTER_TO_UINT(value) + 1;
		int m = dev ? consider(d, dev) : USBIP_MATCH_NO;

		if (dev)
			udev_device_unref(dev);
		if (m != USBIP_MATCH_UNKNOWN) {
			g_hash_table_iter_remove(&it);
		} else if (tries >= RETRY_TRIES) {
			dbg("udev gave no ID_PATH for %s: the path rules do not apply to it",
			    (const char *)key);
			g_hash_table_iter_remove(&it);
		} else {
			g_hash_table_iter_replace(&it, GUINT_TO_POINTER(tries));
		}
	}
	if (g_hash_table_size(er->waiting))
		return G_SOURCE_CONTINUE;
	er->retry_source = 0;
	return G_SOURCE_REMOVE;
}

static void wait_for_udev(struct usbipd *d, const char *busid)
{
	struct export_rules *er = d->rules;

	/* Bounded: a flood of new devices does not grow it without end. */
	if (g_hash_table_size(er->waiting) >= 256)
		return;
	g_hash_table_insert(er->waiting, g_strdup(busid), GUINT_TO_POINTER(0));
	if (!er->retry_source)
		er->retry_source = g_timeout_add(RETRY_MS, on_retry, d);
}

/* Every USB device present now. */
static void apply_all(struct usbipd *d)
{
	struct udev *udev = d->rules->udev;
	struct udev_enumerate *en = udev ? udev_enumerate_new(udev) : NULL;
	struct udev_list_entry *e;

	if (!en) {
		err("cannot enumerate USB devices: out of memory");
		goto out;
	}
	udev_enumerate_add_match_subsystem(en, "usb");
	udev_enumerate_add_match_property(en, "DEVTYPE", "usb_device");
	if (udev_enumerate_scan_devices(en) < 0) {
		err("cannot enumerate USB devices for the export rules");
		goto out;
	}
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev = udev_device_new_from_syspath(udev,
					udev_list_entry_get_name(e));

		if (dev) {
			consider(d, dev);
			udev_device_unref(dev);
		}
	}
out:
	udev_enumerate_unref(en);
}

void export_rules_start(struct usbipd *d)
{
	struct export_rules *er = g_new0(struct export_rules, 1);

	d->rules = er;
	er->fresh = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	er->waiting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	er->udev = udev_new();
	er->enabled = d->backend == USBIP_BACKEND_HOST;
	if (!er->enabled)
		return;
	load(d);
	apply_all(d);
}

void export_rules_reload(struct usbipd *d)
{
	struct export_rules *er = d->rules;

	if (!er || !er->enabled)
		return;
	load(d);
	/* Read again: every device gets a new chance, as at start. */
	apply_all(d);
}

void export_rules_uevent(struct usbipd *d, struct udev_device *dev)
{
	struct export_rules *er = d->rules;
	const char *action = udev_device_get_action(dev);
	const char *type = udev_device_get_devtype(dev);
	const char *busid = udev_device_get_sysname(dev);
	struct stat st;

	if (!er || !er->enabled || !action || !busid || !type || strcmp(type, "usb_device"))
		return;
	if (!strcmp(action, "remove")) {
		g_hash_table_remove(er->fresh, busid);
		g_hash_table_remove(er->waiting, busid);
		return;
	}
	if (!strcmp(action, "bind")) {
		/* Only the first bind after an appearance (see the top). */
		if (!g_hash_table_remove(er->fresh, busid))
			return;
	} else if (!strcmp(action, "add")) {
		/* Bounded: an entry lives until its bind or remove. */
		if (g_hash_table_size(er->fresh) < 4096)
			g_hash_table_add(er->fresh, g_strdup(busid));
	} else {
		return;
	}
	/* A cheap check that the file did not change since it was read. */
	file_state(er->path, &st);
	if (!same_state(&st, &er->st)) {
		info("%s changed: reading the export rules again", er->path);
		export_rules_reload(d);
		return;
	}
	if (consider(d, dev) == USBIP_MATCH_UNKNOWN)
		wait_for_udev(d, busid);
}

void export_rules_free(struct usbipd *d)
{
	struct export_rules *er = d->rules;

	if (!er)
		return;
	usbip_rules_free(er->rules);
	g_free(er->path);
	g_free(er->name);
	g_hash_table_unref(er->fresh);
	g_hash_table_unref(er->waiting);
	if (er->retry_source)
		g_source_remove(er->retry_source);
	if (er->udev)
		udev_unref(er->udev);
	g_free(er);
	d->rules = NULL;
}

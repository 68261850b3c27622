// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The exportable devices, kept current instead of rescanned per request:
 * the list is built once and rebuilt only after a uevent (add, remove,
 * bind, unbind, change) for the backend's subsystems.  Answering a request
 * re-reads only each device's usbip_status.
 *
 * Kernel uevents are used, not udevd's: the kernel queues them on our socket
 * before the sysfs write that caused them returns, so draining the socket
 * before answering makes a bind or unplug show in the very next reply.
 */
#include <errno.h>
#include <glib-unix.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "usbipd.h"
#include "util/log.h"

struct devices {
	struct usbipd *d;
	struct udev *udev;
	struct udev_monitor *mon;
	guint source;
	struct usbip_exported *list;
	int count;
	bool stale;
};

/* Reads every queued uevent; any of them makes the list stale. */
static void drain(struct devices *ds)
{
	struct udev_device *dev;

	if (!ds->mon)
		return;
	while ((dev = udev_monitor_receive_device(ds->mon))) {
		dbg("uevent %s %s", udev_device_get_action(dev), udev_device_get_syspath(dev));
		ds->stale = true;
		export_rules_uevent(ds->d, dev);
		mdns_devices_changed(ds->d);
		udev_device_unref(dev);
	}
}

static gboolean on_uevent(gint fd, GIOCondition cond, gpointer data)
{
	drain(data);
	return G_SOURCE_CONTINUE;
}

static void rescan(struct devices *ds)
{
	struct usbip_exported *list;
	int n = usbip_list_exported(ds->d->ctx, ds->d->backend, &list);

	if (n < 0) {
		err("cannot list exportable devices: %s", strerror(-n));
		return;	/* keep the old list, try again next time */
	}
	usbip_exported_list_free(ds->list);
	ds->list = list;
	ds->count = n;
	ds->stale = false;
	dbg("exportable device list rebuilt: %d devices", n);
}

struct devices *devices_new(struct usbipd *d)
{
	/* The subsystems usbip_list_exported() reads: their uevents make it stale. */
	const char *const *subsys = usbip_backend_subsystems(d->backend);
	struct devices *ds = g_new0(struct devices, 1);

	ds->d = d;
	ds->stale = true;
	ds->udev = udev_new();
	if (ds->udev)
		ds->mon = udev_monitor_new_from_netlink(ds->udev, "kernel");
	for (int i = 0; ds->mon && subsys && subsys[i]; i++)
		udev_monitor_filter_add_match_subsystem_devtype(ds->mon, subsys[i], NULL);
	if (ds->mon && udev_monitor_enable_receiving(ds->mon) < 0) {
		udev_monitor_unref(ds->mon);
		ds->mon = NULL;
	}
	if (ds->mon)
		ds->source = g_unix_fd_add(udev_monitor_get_fd(ds->mon), G_IO_IN, on_uevent, ds);
	else
		/* Without events every request must look at sysfs itself. */
		info("no uevent monitor: rescanning devices on every request");
	rescan(ds);
	return ds;
}

void devices_free(struct devices *ds)
{
	if (!ds)
		return;
	if (ds->source)
		g_source_remove(ds->source);
	if (ds->mon)
		udev_monitor_unref(ds->mon);
	if (ds->udev)
		udev_unref(ds->udev);
	usbip_exported_list_free(ds->list);
	g_free(ds);
}

/*
 * The current list, each entry's status freshly read.  Valid until the next
 * call.  A device whose status cannot be read has a negative status.
 */
struct usbip_exported *devices_get(struct devices *ds, int *count)
{
	drain(ds);
	if (ds->stale || !ds->mon)
		rescan(ds);
	for (int i = 0; i < ds->count; i++) {
		int st = usbip_exported_refresh_status(ds->d->ctx, &ds->list[i]);

		if (st < 0)
			ds->list[i].status = st;
	}
	*count = ds->count;
	return ds->list;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Server side: local USB devices, devices exported through usbip-host, and
 * binding/unbinding devices to that driver.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libusbip-internal.h"

#define USBIP_HOST_DRV		"usbip-host"
#define USBIP_HOST_DRV_DIR	"/sys/bus/usb/drivers/" USBIP_HOST_DRV

static bool is_usb_device(struct udev_device *d)
{
	const char *t = udev_device_get_devtype(d);

	/* Interfaces carry bInterfaceNumber; umockdev may omit DEVTYPE. */
	if (t)
		return strcmp(t, "usb_device") == 0;
	return udev_device_get_sysattr_value(d, "bInterfaceNumber") == NULL;
}

static bool is_hub(struct udev_device *d)
{
	const char *c = udev_device_get_sysattr_value(d, "bDeviceClass");

	return c && strncmp(c, "09", 2) == 0;
}

static bool behind_vhci(struct udev_device *d)
{
	const char *p = udev_device_get_devpath(d);

	return p && strstr(p, "vhci_hcd") != NULL;
}

static unsigned long attr_or_zero(struct udev_device *d, const char *attr, int base)
{
	unsigned long v;

	return udev_attr_ulong(d, attr, base, &v) < 0 ? 0 : v;
}

int usbip_device_from_udev(struct usbip_ctx *ctx, struct udev_device *d,
			   struct usbip_device *dev)
{
	const char *busid = udev_device_get_sysname(d);
	unsigned long nif;

	memset(dev, 0, sizeof(*dev));
	if (!copy_field(dev->path, sizeof(dev->path), udev_device_get_syspath(d)))
		DBG(ctx, "sysfs path of %s cut to %zu bytes", busid, sizeof(dev->path) - 1);
	if (!copy_field(dev->busid, sizeof(dev->busid), busid))
		return -ENAMETOOLONG;
	/* The bus number is the part of the bus id before the dash. */
	dev->busnum = (uint32_t)strtoul(busid, NULL, 10);
	dev->devnum = (uint32_t)attr_or_zero(d, "devnum", 10);
	dev->speed = usbip_speed_from_sysfs(udev_device_get_sysattr_value(d, "speed"));
	dev->idVendor = (uint16_t)attr_or_zero(d, "idVendor", 16);
	dev->idProduct = (uint16_t)attr_or_zero(d, "idProduct", 16);
	dev->bcdDevice = (uint16_t)attr_or_zero(d, "bcdDevice", 16);
	dev->bDeviceClass = (uint8_t)attr_or_zero(d, "bDeviceClass", 16);
	dev->bDeviceSubClass = (uint8_t)attr_or_zero(d, "bDeviceSubClass", 16);
	dev->bDeviceProtocol = (uint8_t)attr_or_zero(d, "bDeviceProtocol", 16);
	dev->bNumConfigurations = (uint8_t)attr_or_zero(d, "bNumConfigurations", 10);
	/* Both are unreadable while the device is unconfigured: treat as 0. */
	dev->bConfigurationValue = (uint8_t)attr_or_zero(d, "bConfigurationValue", 10);
	nif = attr_or_zero(d, "bNumInterfaces", 10);
	dev->bNumInterfaces = nif > USBIP_MAX_INTERFACES ? USBIP_MAX_INTERFACES : (uint8_t)nif;

	for (unsigned i = 0; i < dev->bNumInterfaces; i++) {
		char name[USBIP_BUSID_SIZE + 16];
		struct udev_device *intf;

		snprintf(name, sizeof(name), "%s:%u.%u", busid,
			 dev->bConfigurationValue, i);
		intf = udev_device_new_from_subsystem_sysname(ctx->udev, "usb", name);
		if (!intf) {
			DBG(ctx, "interface %s not found", name);
			continue;
		}
		dev->interfaces[i].bInterfaceClass =
			(uint8_t)attr_or_zero(intf, "bInterfaceClass", 16);
		dev->interfaces[i].bInterfaceSubClass =
			(uint8_t)attr_or_zero(intf, "bInterfaceSubClass", 16);
		dev->interfaces[i].bInterfaceProtocol =
			(uint8_t)attr_or_zero(intf, "bInterfaceProtocol", 16);
		udev_device_unref(intf);
	}
	return 0;
}

typedef int (*usb_visit_fn)(struct usbip_ctx *ctx, struct udev_device *d, void *data);

/* Calls @fn for every device of the NULL-terminated @subsystems. */
static int foreach_device(struct usbip_ctx *ctx, const char *const *subsystems,
			  usb_visit_fn fn, void *data)
{
	struct udev_enumerate *e = udev_enumerate_new(ctx->udev);
	struct udev_list_entry *entry;
	int r = 0;

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; subsystems[i]; i++)
		udev_enumerate_add_match_subsystem(e, subsystems[i]);
	r = udev_enumerate_scan_devices(e);
	if (r < 0)
		goto out;
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(ctx->udev,
					udev_list_entry_get_name(entry));

		if (!d)
			continue;
		r = fn(ctx, d, data);
		udev_device_unref(d);
		if (r < 0)
			break;
	}
out:
	udev_enumerate_unref(e);
	return r < 0 ? r : 0;
}

struct local_list {
	struct usbip_local_device *devs;
	size_t n, cap;
};

static int visit_local(struct usbip_ctx *ctx, struct udev_device *d, void *data)
{
	struct local_list *l = data;
	struct usbip_local_device *ld;
	const char *vid, *pid, *drv;

	if (!is_usb_device(d) || is_hub(d) || behind_vhci(d))
		return 0;
	vid = udev_device_get_sysattr_value(d, "idVendor");
	pid = udev_device_get_sysattr_value(d, "idProduct");
	if (!vid || !pid || !udev_device_get_sysattr_value(d, "bConfigurationValue") ||
	    !udev_device_get_sysattr_value(d, "bNumInterfaces"))
		return -ENOENT;
	if (ARRAY_RESERVE(l->devs, l->cap, l->n + 1) < 0)
		return -ENOMEM;
	ld = &l->devs[l->n++];
	copy_field(ld->busid, sizeof(ld->busid), udev_device_get_sysname(d));
	copy_field(ld->idVendor, sizeof(ld->idVendor), vid);
	copy_field(ld->idProduct, sizeof(ld->idProduct), pid);
	drv = udev_device_get_driver(d);
	copy_field(ld->driver, sizeof(ld->driver), drv ? drv : "");
	return 0;
}

USBIP_EXPORT int usbip_list_local(struct usbip_ctx *ctx, struct usbip_local_device **out,
				  size_t *count)
{
	static const char *const usb_subsystem[] = { "usb", NULL };
	struct local_list l = { NULL, 0, 0 };
	int r = foreach_device(ctx, usb_subsystem, visit_local, &l);

	*out = l.devs;
	*count = l.n;
	return r;
}

USBIP_EXPORT void usbip_local_list_free(struct usbip_local_device *list)
{
	free(list);
}

static int read_status(const char *syspath)
{
	char path[PATH_MAX], buf[16];
	int r;

	snprintf(path, sizeof(path), "%s/usbip_status", syspath);
	r = sysfs_read(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (r == 0 || buf[0] < '0' || buf[0] > '9')
		return -EBADMSG;
	return atoi(buf);
}

struct exported_list {
	struct usbip_exported *devs;
	size_t n, cap;
};

/* The next free slot of @l (not counted yet), or NULL when out of memory. */
static struct usbip_exported *exported_slot(struct exported_list *l)
{
	return ARRAY_RESERVE(l->devs, l->cap, l->n + 1) < 0 ? NULL : &l->devs[l->n];
}

static int visit_host(struct usbip_ctx *ctx, struct udev_device *d, void *data)
{
	struct exported_list *l = data;
	const char *drv = udev_device_get_driver(d);
	struct usbip_exported *e;
	int r;

	if (!drv || strcmp(drv, USBIP_HOST_DRV) != 0 || !is_usb_device(d))
		return 0;
	e = exported_slot(l);
	if (!e)
		return -ENOMEM;
	r = usbip_device_from_udev(ctx, d, &e->dev);
	if (r < 0)
		return 0;
	copy_field(e->syspath, sizeof(e->syspath), udev_device_get_syspath(d));
	e->status = read_status(e->syspath);
	if (e->status < 0) {
		DBG(ctx, "%s: cannot read usbip_status: %s", e->dev.busid,
		    strerror(-e->status));
		return 0;
	}
	l->n++;
	return 0;
}

/* Fills a device-mode record from the gadget's 18-byte device descriptor. */
static int vudc_device(struct usbip_ctx *ctx, struct udev_device *platform,
		       struct udev_device *udc, struct usbip_exported *e)
{
	char path[PATH_MAX];
	uint8_t desc[18];
	FILE *f;
	size_t n;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/dev_desc", udev_device_get_syspath(platform));
	f = fopen(path, "rbe");
	if (!f)
		return -errno;
	n = fread(desc, 1, sizeof(desc), f);
	fclose(f);
	if (n != sizeof(desc))
		return -ENODATA;
	copy_field(e->dev.path, sizeof(e->dev.path), udev_device_get_syspath(platform));
	if (!copy_field(e->dev.busid, sizeof(e->dev.busid), udev_device_get_sysname(platform)))
		return -ENAMETOOLONG;
	e->dev.bDeviceClass = desc[4];
	e->dev.bDeviceSubClass = desc[5];
	e->dev.bDeviceProtocol = desc[6];
	e->dev.idVendor = (uint16_t)(desc[8] | desc[9] << 8);
	e->dev.idProduct = (uint16_t)(desc[10] | desc[11] << 8);
	e->dev.bcdDevice = (uint16_t)(desc[12] | desc[13] << 8);
	e->dev.bNumConfigurations = desc[17];
	if (udc) {
		static const struct { const char *s; uint32_t v; } speeds[] = {
			{ "low-speed", USBIP_SPEED_LOW }, { "full-speed", USBIP_SPEED_FULL },
			{ "high-speed", USBIP_SPEED_HIGH }, { "wireless", USBIP_SPEED_WIRELESS },
			{ "super-speed", USBIP_SPEED_SUPER },
			{ "super-speed-plus", USBIP_SPEED_SUPER_PLUS },
		};
		const char *cs = udev_device_get_sysattr_value(udc, "current_speed");

		for (size_t i = 0; cs && i < ARRAY_SIZE(speeds); i++)
			if (strcmp(cs, speeds[i].s) == 0)
				e->dev.speed = speeds[i].v;
	}
	copy_field(e->syspath, sizeof(e->syspath), udev_device_get_syspath(platform));
	e->status = read_status(e->syspath);
	return e->status < 0 ? e->status : 0;
}

static int visit_udc(struct usbip_ctx *ctx, struct udev_device *d, void *data)
{
	struct exported_list *l = data;
	const char *name = udev_device_get_property_value(d, "USB_UDC_NAME");
	struct udev_device *platform;
	struct usbip_exported *e;

	if (!name || strcmp(name, "usbip-vudc") != 0)
		return 0;
	platform = udev_device_get_parent(d);
	if (!platform)
		return 0;
	e = exported_slot(l);
	if (!e)
		return -ENOMEM;
	if (vudc_device(ctx, platform, d, e) < 0) {
		DBG(ctx, "%s: no gadget bound", udev_device_get_sysname(platform));
		return 0;
	}
	l->n++;
	return 0;
}

/*
 * Each backend's subsystems and the visitor that picks its devices out of
 * them.  usbip-vudc's devices are udc class devices, each the child of a
 * usbip-vudc platform device, whose uevents (a driver loaded or unloaded)
 * change the list too; visit_udc() skips the platform devices themselves.
 */
static const struct {
	const char *const subsystems[3];
	usb_visit_fn visit;
} backends[] = {
	[USBIP_BACKEND_HOST] = { { "usb", NULL }, visit_host },
	[USBIP_BACKEND_VUDC] = { { "udc", "platform", NULL }, visit_udc },
};

USBIP_EXPORT const char *const *usbip_backend_subsystems(enum usbip_backend backend)
{
	if ((size_t)backend >= ARRAY_SIZE(backends))
		return NULL;
	return backends[backend].subsystems;
}

/* Hands the list over, or frees it and gives NULL on failure. */
static int exported_result(struct exported_list *l, int r, struct usbip_exported **out)
{
	if (r < 0) {
		free(l->devs);
		l->devs = NULL;
	}
	*out = l->devs;
	return r < 0 ? r : (int)l->n;
}

USBIP_EXPORT int usbip_list_exported(struct usbip_ctx *ctx, enum usbip_backend backend,
				     struct usbip_exported **out)
{
	struct exported_list l = { NULL, 0, 0 };
	int r = -EINVAL;

	if ((size_t)backend < ARRAY_SIZE(backends))
		r = foreach_device(ctx, backends[backend].subsystems,
				   backends[backend].visit, &l);
	return exported_result(&l, r, out);
}

USBIP_EXPORT void usbip_exported_list_free(struct usbip_exported *list)
{
	free(list);
}

static int visit_gadget(struct usbip_ctx *ctx, struct udev_device *d, void *data)
{
	struct exported_list *l = data;
	const char *drv = udev_device_get_driver(d);
	struct usbip_exported *e;
	int r;

	if (!drv || strcmp(drv, "usbip-vudc") != 0)
		return 0;
	e = exported_slot(l);
	if (!e)
		return -ENOMEM;
	r = vudc_device(ctx, d, NULL, e);
	if (r < 0)
		return r;
	l->n++;
	return 0;
}

USBIP_EXPORT int usbip_list_gadgets(struct usbip_ctx *ctx, struct usbip_exported **out)
{
	static const char *const platform_subsystem[] = { "platform", NULL };
	struct exported_list l = { NULL, 0, 0 };
	int r = foreach_device(ctx, platform_subsystem, visit_gadget, &l);

	return exported_result(&l, r, out);
}

USBIP_EXPORT int usbip_exported_refresh_status(struct usbip_ctx *ctx,
					       struct usbip_exported *e)
{
	int st = read_status(e->syspath);

	if (st >= 0)
		e->status = st;
	return st;
}

USBIP_EXPORT int usbip_export(struct usbip_ctx *ctx, struct usbip_exported *e, int sockfd)
{
	char path[PATH_MAX];
	int st, r;

	st = usbip_exported_refresh_status(ctx, e);
	if (st < 0)
		return st;
	if (st == USBIP_SDEV_ST_USED)
		return -EBUSY;
	if (st == USBIP_SDEV_ST_ERROR)
		return -EIO;
	if (st != USBIP_SDEV_ST_AVAILABLE)
		return -EBADMSG;
	snprintf(path, sizeof(path), "%s/usbip_sockfd", e->syspath);
	r = sysfs_writef(path, "%d\n", sockfd);
	if (r < 0)
		ERR(ctx, "write %s: %s", path, strerror(-r));
	return r;
}

/* Writes @value to sysfs file @path; a failure is logged with both. */
static int write_logged(struct usbip_ctx *ctx, const char *path, const char *value)
{
	int r = sysfs_write(path, value);

	if (r < 0)
		ERR(ctx, "write '%s' to %s: %s", value, path, strerror(-r));
	return r;
}

/*
 * Gives a device that lost its driver back to the driver core, so a failed
 * bind or unbind never leaves it with none: with @del, first drop its entry
 * from usbip-host's table, or the stub would take it again.  Not "rebind":
 * for a device the stub never probed it oopses kernel 6.1.
 */
static void reprobe(struct usbip_ctx *ctx, const char *busid, bool del)
{
	int r;

	if (del) {
		r = sysfs_writef(USBIP_HOST_DRV_DIR "/match_busid", "del %s", busid);
		if (r < 0)
			DBG(ctx, "drop %s from the match table: %s", busid, strerror(-r));
	}
	r = sysfs_write("/sys/bus/usb/drivers_probe", busid);
	if (r < 0)
		ERR(ctx, "%s may be left without a driver: reprobe failed: %s; replug it",
		    busid, strerror(-r));
}

USBIP_EXPORT int usbip_bind(struct usbip_ctx *ctx, const char *busid)
{
	struct udev_device *d;
	const char *drv;
	char path[PATH_MAX];
	int r;

	d = udev_device_new_from_subsystem_sysname(ctx->udev, "usb", busid);
	if (!d)
		return -ENODEV;
	if (!is_usb_device(d)) {
		r = -EINVAL;
		goto out;
	}
	if (behind_vhci(d)) {
		r = -ELOOP;
		goto out;
	}
	drv = udev_device_get_driver(d);
	if (drv && strcmp(drv, USBIP_HOST_DRV) == 0) {
		r = -EALREADY;
		goto out;
	}
	if (is_hub(d)) {
		r = -EISDIR;
		goto out;
	}
	/* Check the driver before taking the device from its current one. */
	r = usbip_load_module(ctx, "usbip-host");
	if (r < 0)
		goto out;
	if (drv) {
		snprintf(path, sizeof(path), "/sys/bus/usb/drivers/%s/unbind", drv);
		r = write_logged(ctx, path, busid);
		if (r < 0)
			goto out;
	}
	snprintf(path, sizeof(path), "add %s", busid);
	r = write_logged(ctx, USBIP_HOST_DRV_DIR "/match_busid", path);
	if (r < 0) {
		/* No entry was added: a probe gives the device its old driver. */
		if (drv)
			reprobe(ctx, busid, false);
		goto out;
	}
	r = write_logged(ctx, USBIP_HOST_DRV_DIR "/bind", busid);
	if (r < 0)
		reprobe(ctx, busid, true);
out:
	udev_device_unref(d);
	return r;
}

USBIP_EXPORT int usbip_unbind(struct usbip_ctx *ctx, const char *busid)
{
	char del[USBIP_BUSID_SIZE + 8];
	struct udev_device *d;
	const char *drv;
	int r;

	d = udev_device_new_from_subsystem_sysname(ctx->udev, "usb", busid);
	if (!d)
		return -ENODEV;
	drv = udev_device_get_driver(d);
	if (!drv || strcmp(drv, USBIP_HOST_DRV) != 0) {
		r = -EINVAL;
		goto out;
	}
	r = write_logged(ctx, USBIP_HOST_DRV_DIR "/unbind", busid);
	if (r < 0)
		goto out;
	snprintf(del, sizeof(del), "del %s", busid);
	r = write_logged(ctx, USBIP_HOST_DRV_DIR "/match_busid", del);
	if (r < 0) {
		/* Still in the table: a probe hands it back to usbip-host, as it was,
		 * rather than leave it driverless. */
		reprobe(ctx, busid, false);
		goto out;
	}
	/* "rebind" is safe here: the stub had probed this device. */
	r = write_logged(ctx, USBIP_HOST_DRV_DIR "/rebind", busid);
	if (r < 0)
		reprobe(ctx, busid, false);
out:
	udev_device_unref(d);
	return r;
}

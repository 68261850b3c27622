// SPDX-License-Identifier: LGPL-2.1-or-later
/* Client side: the vhci_hcd virtual host controller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libusbip-internal.h"

#define STATUS_MAX	(1 << 20)	/* far above 128 controllers x 30 ports */

struct usbip_vhci {
	struct usbip_ctx *ctx;
	struct udev_device *hc;		/* vhci_hcd.0 */
	size_t nports;
	size_t ncontrollers;
	struct usbip_vhci_port *ports;
	size_t count, cap;
};

static struct udev_device *find_hc(struct usbip_ctx *ctx)
{
	/* Platform bus today; the faux bus if the 2025 conversion lands. */
	static const char *const buses[] = { "platform", "faux" };

	for (size_t i = 0; i < ARRAY_SIZE(buses); i++) {
		struct udev_device *d = udev_device_new_from_subsystem_sysname(ctx->udev,
						buses[i], "vhci_hcd.0");
		if (d)
			return d;
	}
	return NULL;
}

/* Controllers are the vhci_hcd.N siblings of vhci_hcd.0. */
static size_t count_controllers(struct udev_device *hc)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/..", udev_device_get_syspath(hc));
	d = opendir(dir);
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vhci_hcd.", 9) == 0)
			n++;
	closedir(d);
	return n ? n : 1;
}

/* Reads a whole file of unknown size (less than STATUS_MAX bytes). */
static int read_all(const char *path, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			if (n >= STATUS_MAX) {
				r = -EFBIG;
				break;
			}
			r = ARRAY_RESERVE(buf, cap, n + 4096);
			if (r < 0)
				break;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int collect_port(const struct usbip_vhci_port *p, void *data)
{
	struct usbip_vhci *v = data;
	int r;

	if (p->port >= v->nports)
		return -ERANGE;
	r = ARRAY_RESERVE(v->ports, v->cap, v->count + 1);
	if (r < 0)
		return r;
	v->ports[v->count++] = *p;
	return 0;
}

USBIP_EXPORT int usbip_vhci_refresh(struct usbip_vhci *v)
{
	const char *syspath = udev_device_get_syspath(v->hc);
	int r = 0;

	/* The table is kept and refilled: ports are rarely added. */
	v->count = 0;
	for (size_t i = 0; i < v->ncontrollers; i++) {
		char path[PATH_MAX], *text = NULL;
		size_t len = 0;

		if (i == 0)
			snprintf(path, sizeof(path), "%s/status", syspath);
		else
			snprintf(path, sizeof(path), "%s/status.%zu", syspath, i);
		r = read_all(path, &text, &len);
		if (r < 0) {
			ERR(v->ctx, "read %s: %s", path, strerror(-r));
			break;
		}
		r = usbip_vhci_parse_status(text, len, collect_port, v);
		free(text);
		if (r < 0) {
			ERR(v->ctx, "%s: malformed content (%s)", path, strerror(-r));
			break;
		}
	}
	/* No half-read table: a failure leaves no ports. */
	if (r < 0)
		v->count = 0;
	return r;
}

USBIP_EXPORT int usbip_vhci_open(struct usbip_ctx *ctx, struct usbip_vhci **out)
{
	struct usbip_vhci *v;
	unsigned long nports;
	int r;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->ctx = usbip_ref(ctx);
	v->hc = find_hc(ctx);
	if (!v->hc && usbip_load_module(ctx, "vhci-hcd") == 0)
		v->hc = find_hc(ctx);
	if (!v->hc) {
		r = -ENODEV;
		goto fail;
	}
	r = udev_attr_ulong(v->hc, "nports", 10, &nports);
	if (r < 0 || nports == 0 || nports > 128 * 2 * 15) {
		ERR(ctx, "vhci_hcd: bad nports");
		r = -EBADMSG;
		goto fail;
	}
	v->nports = nports;
	v->ncontrollers = count_controllers(v->hc);
	r = usbip_vhci_refresh(v);
	if (r < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	usbip_vhci_close(v);
	return r;
}

USBIP_EXPORT void usbip_vhci_close(struct usbip_vhci *v)
{
	if (!v)
		return;
	if (v->hc)
		udev_device_unref(v->hc);
	usbip_unref(v->ctx);
	free(v->ports);
	free(v);
}

USBIP_EXPORT size_t usbip_vhci_nports(const struct usbip_vhci *v)
{
	return v->nports;
}

USBIP_EXPORT const struct usbip_vhci_port *usbip_vhci_ports(const struct usbip_vhci *v,
							    size_t *count)
{
	*count = v->count;
	return v->ports;
}

static const struct usbip_vhci_port *free_port(const struct usbip_vhci *v, uint32_t speed,
					       const uint8_t *tried)
{
	int hub = speed >= USBIP_SPEED_SUPER ? USBIP_HUB_SS : USBIP_HUB_HS;

	for (size_t i = 0; i < v->count; i++) {
		const struct usbip_vhci_port *p = &v->ports[i];

		if (p->hub == hub && p->status == USBIP_VDEV_ST_NULL && !tried[p->port])
			return p;
	}
	return NULL;
}

USBIP_EXPORT int usbip_vhci_attach(struct usbip_vhci *v, int sockfd, uint32_t devid,
				   uint32_t speed)
{
	char path[PATH_MAX];
	uint8_t *tried;
	int r = -EBUSY;

	tried = calloc(v->nports, 1);
	if (!tried)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/attach", udev_device_get_syspath(v->hc));
	for (;;) {
		const struct usbip_vhci_port *p = free_port(v, speed, tried);
		uint32_t port;

		if (!p) {
			r = -EBUSY;
			break;
		}
		port = p->port;
		tried[port] = 1;
		r = sysfs_writef(path, "%u %d %u %u", port, sockfd, devid, speed);
		if (r == 0) {
			r = (int)port;
			break;
		}
		/* Someone else took the port: look again with fresh state. */
		if (r != -EBUSY)
			break;
		DBG(v->ctx, "port %u busy, retrying", port);
		r = usbip_vhci_refresh(v);
		if (r < 0)
			break;
	}
	free(tried);
	return r;
}

USBIP_EXPORT int usbip_vhci_detach(struct usbip_vhci *v, uint32_t port)
{
	char path[PATH_MAX];

	if (port >= v->nports)
		return -ERANGE;
	snprintf(path, sizeof(path), "%s/detach", udev_device_get_syspath(v->hc));
	return sysfs_writef(path, "%u", port);
}

USBIP_EXPORT int usbip_vhci_port_device(struct usbip_vhci *v,
					const struct usbip_vhci_port *p, uint32_t *speed,
					uint16_t *vendor, uint16_t *product)
{
	struct udev_device *d;
	unsigned long x;

	*speed = 0;
	*vendor = *product = 0;
	d = udev_device_new_from_subsystem_sysname(v->ctx->udev, "usb", p->local_busid);
	if (!d)
		return -ENODEV;
	*speed = usbip_speed_from_sysfs(udev_device_get_sysattr_value(d, "speed"));
	*vendor = udev_attr_ulong(d, "idVendor", 16, &x) < 0 ? 0 : (uint16_t)x;
	*product = udev_attr_ulong(d, "idProduct", 16, &x) < 0 ? 0 : (uint16_t)x;
	udev_device_unref(d);
	return 0;
}

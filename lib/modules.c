// SPDX-License-Identifier: LGPL-2.1-or-later
/* Loading the usbip kernel modules through libkmod. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <libkmod.h>

#include "libusbip-internal.h"

__attribute__((format(printf, 6, 0)))
static void kmod_log_to_ctx(void *data, int priority, const char *file, int line,
			    const char *fn, const char *format, va_list args)
{
	struct usbip_ctx *ctx = data;
	char msg[512];

	if (ctx->log_priority < LOG_DEBUG)
		return;
	vsnprintf(msg, sizeof(msg), format, args);
	msg[strcspn(msg, "\n")] = '\0';
	usbip_log(ctx, LOG_DEBUG, file, line, fn, "libkmod: %s", msg);
}

static void explain_missing(struct usbip_ctx *ctx, const char *name, int err)
{
	struct utsname u;

	uname(&u);
	ERR(ctx, "cannot load kernel module %s: %s", name, strerror(-err));
	ERR(ctx, "it ships with the kernel: install linux-image-%s (Debian) or "
	    "linux-modules-extra-%s (Ubuntu), or run: modprobe %s", u.release,
	    u.release, name);
}

/* The driver directory each module creates: present means loaded. */
static bool driver_present(const char *name)
{
	static const struct { const char *module, *dir; } drivers[] = {
		{ "usbip-host", "/sys/bus/usb/drivers/usbip-host" },
		{ "usbip-vudc", "/sys/bus/platform/drivers/usbip-vudc" },
		{ "vhci-hcd", "/sys/bus/platform/drivers/vhci_hcd" },
	};
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (strcmp(name, drivers[i].module) == 0)
			return stat(drivers[i].dir, &st) == 0;
	return false;
}

USBIP_EXPORT int usbip_load_module(struct usbip_ctx *ctx, const char *name)
{
	struct kmod_ctx *kctx;
	struct kmod_list *list = NULL, *it;
	int r, loaded = 0;

	if (driver_present(name))
		return 0;
	kctx = kmod_new(NULL, NULL);
	if (!kctx) {
		explain_missing(ctx, name, -ENOENT);
		return -ENOENT;
	}
	kmod_set_log_fn(kctx, kmod_log_to_ctx, ctx);
	r = kmod_module_new_from_lookup(kctx, name, &list);
	if (r < 0 || !list) {
		r = r < 0 ? r : -ENOENT;
		goto out;
	}
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
						    NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r == 0 || r == -EEXIST) {
			loaded = 1;
			r = 0;
			break;
		}
	}
	kmod_module_unref_list(list);
out:
	kmod_unref(kctx);
	if (!loaded) {
		if (r == 0 || r > 0)
			r = -ENOENT;
		explain_missing(ctx, name, r);
		return r;
	}
	DBG(ctx, "loaded kernel module %s", name);
	return 0;
}

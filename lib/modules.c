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

/*
 * Why a module could not be loaded decides what the user must do, so each
 * cause has its own message: not root, not in the kernel's module tree (name
 * the package that ships it), a kernel without modules, blacklisted, or
 * libkmod itself failing.  The "missing" wording is pinned by the golden
 * suite (this machine has no module tree).
 */
static void explain(struct usbip_ctx *ctx, const char *name, int err)
{
	struct utsname u;

	uname(&u);
	ERR(ctx, "cannot load kernel module %s: %s", name, strerror(-err));
	switch (err) {
	case -ENOENT:
		ERR(ctx, "it ships with the kernel: install linux-image-%s (Debian) or "
		    "linux-modules-extra-%s (Ubuntu), or run: modprobe %s", u.release,
		    u.release, name);
		break;
	case -EPERM:
	case -EACCES:
		ERR(ctx, "loading a kernel module needs root (CAP_SYS_MODULE): run this "
		    "command as root, or load it first with: sudo modprobe %s", name);
		break;
	case -ENOSYS:
		ERR(ctx, "kernel %s was built without module support: %s must be built "
		    "into it", u.release, name);
		break;
	default:
		ERR(ctx, "the kernel refused it: its log (dmesg) says why");
		break;
	}
}

/* The driver directory each module creates: present means loaded. */
static bool driver_present(const char *name)
{
	static const struct { const char *module, *dir; } drivers[] = {
		{ "usbip-host", "/sys/bus/usb/drivers/usbip-host" },
		{ "usbip-vudc", "/sys/bus/platform/drivers/usbip-vudc" },
		{ "vhci-hcd", "/sys/bus/platform/drivers/vhci_hcd" },
		/* Kernel TLS: its statistics appear with the module (or built in). */
		{ "tls", "/proc/net/tls_stat" },
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
	const char *dir;
	struct stat st;
	int r;

	if (driver_present(name))
		return 0;
	errno = 0;
	kctx = kmod_new(NULL, NULL);
	if (!kctx) {
		r = errno > 0 ? -errno : -ENOMEM;
		ERR(ctx, "cannot load kernel module %s: libkmod failed to start: %s", name,
		    strerror(-r));
		return r;
	}
	kmod_set_log_fn(kctx, kmod_log_to_ctx, ctx);
	/* No module tree at all: the kernel's package is not installed. */
	dir = kmod_get_dirname(kctx);
	if (dir && stat(dir, &st) < 0 && errno == ENOENT) {
		DBG(ctx, "no module tree %s", dir);
		r = -ENOENT;
		goto fail;
	}
	r = kmod_load_resources(kctx);
	if (r < 0) {
		ERR(ctx, "cannot load kernel module %s: libkmod cannot read the module "
		    "index in %s: %s", name, dir ? dir : "?", strerror(-r));
		ERR(ctx, "rebuild the index with: depmod");
		goto out;
	}
	r = kmod_module_new_from_lookup(kctx, name, &list);
	if (r < 0) {
		ERR(ctx, "cannot load kernel module %s: libkmod lookup failed: %s", name,
		    strerror(-r));
		goto out;
	}
	r = -ENOENT;		/* an empty list: no such module in the tree */
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		/* 0: loaded; > 0: blacklisted (the flag that refused it). */
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
						    NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r >= 0 || r == -EEXIST)
			break;
	}
	kmod_module_unref_list(list);
	if (r > 0) {
		ERR(ctx, "cannot load kernel module %s: it is blacklisted in /etc/modprobe.d; "
		    "remove the blacklist line, or load it with: modprobe %s", name, name);
		r = -EPERM;
		goto out;
	}
	if (r == 0 || r == -EEXIST) {
		kmod_unref(kctx);
		DBG(ctx, "loaded kernel module %s", name);
		return 0;
	}
fail:
	explain(ctx, name, r);
out:
	kmod_unref(kctx);
	return r;
}

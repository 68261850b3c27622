// SPDX-License-Identifier: LGPL-2.1-or-later
/* Library context: reference counting, logging, settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "libusbip-internal.h"

__attribute__((format(printf, 6, 0)))
static void log_stderr(struct usbip_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format, va_list args)
{
	fprintf(stderr, "libusbip: %s: ", priority <= LOG_ERR ? "error" :
		priority <= LOG_INFO ? "info" : "debug");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static int priority_from_string(const char *s)
{
	static const struct { const char *name; int prio; } names[] = {
		{ "err", LOG_ERR }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	char *end;
	long v = strtol(s, &end, 10);

	if (end != s && *end == '\0' && v >= 0 && v <= LOG_DEBUG)
		return (int)v;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].prio;
	return -1;
}

USBIP_EXPORT struct usbip_ctx *usbip_new(void)
{
	struct usbip_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *env;

	if (!ctx)
		return NULL;
	ctx->refcount = 1;
	ctx->log_fn = log_stderr;
	ctx->log_priority = LOG_ERR;
	ctx->usbids_path = strdup(USBIDS_FILE);
	ctx->state_dir = strdup(VHCI_STATE_PATH);
	ctx->udev = udev_new();
	if (!ctx->usbids_path || !ctx->state_dir || !ctx->udev) {
		usbip_unref(ctx);
		return NULL;
	}
	env = secure_getenv("USBIP_LOG");
	if (env && priority_from_string(env) >= 0)
		ctx->log_priority = priority_from_string(env);
	return ctx;
}

USBIP_EXPORT struct usbip_ctx *usbip_ref(struct usbip_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

USBIP_EXPORT struct usbip_ctx *usbip_unref(struct usbip_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return ctx ? ctx : NULL;
	usbip_names_free(ctx->names);
	if (ctx->udev)
		udev_unref(ctx->udev);
	free(ctx->usbids_path);
	free(ctx->state_dir);
	free(ctx);
	return NULL;
}

USBIP_EXPORT void usbip_set_log_fn(struct usbip_ctx *ctx, usbip_log_fn fn)
{
	ctx->log_fn = fn ? fn : log_stderr;
}

USBIP_EXPORT void usbip_set_log_priority(struct usbip_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

USBIP_EXPORT int usbip_get_log_priority(const struct usbip_ctx *ctx)
{
	return ctx->log_priority;
}

USBIP_EXPORT void usbip_set_userdata(struct usbip_ctx *ctx, void *data)
{
	ctx->userdata = data;
}

USBIP_EXPORT void *usbip_get_userdata(const struct usbip_ctx *ctx)
{
	return ctx->userdata;
}

static int replace_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

USBIP_EXPORT int usbip_set_usbids_path(struct usbip_ctx *ctx, const char *path)
{
	usbip_names_free(ctx->names);
	ctx->names = NULL;
	return replace_string(&ctx->usbids_path, path);
}

USBIP_EXPORT int usbip_set_state_dir(struct usbip_ctx *ctx, const char *dir)
{
	return replace_string(&ctx->state_dir, dir);
}

USBIP_EXPORT const char *usbip_get_state_dir(const struct usbip_ctx *ctx)
{
	return ctx->state_dir;
}

void usbip_log(struct usbip_ctx *ctx, int priority, const char *file, int line,
	       const char *fn, const char *format, ...)
{
	va_list args;
	int saved = errno;

	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
	errno = saved;
}

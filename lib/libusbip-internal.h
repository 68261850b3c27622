/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBUSBIP_INTERNAL_H
#define LIBUSBIP_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <syslog.h>
#include <libudev.h>

#include "libusbip.h"

#define USBIP_EXPORT __attribute__((visibility("default")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct usbip_names;

struct usbip_ctx {
	int refcount;
	int log_priority;
	usbip_log_fn log_fn;
	void *userdata;
	struct udev *udev;
	char *usbids_path;
	char *state_dir;
	struct usbip_names *names;	/* loaded on first use */
};

void usbip_log(struct usbip_ctx *ctx, int priority, const char *file, int line,
	       const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define usbip_log_cond(ctx, prio, ...) do { \
	if ((ctx)->log_priority >= (prio)) \
		usbip_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
} while (0)
#define ERR(ctx, ...)	usbip_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define INFO(ctx, ...)	usbip_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define DBG(ctx, ...)	usbip_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* sysfs.c: attribute access on udev devices and plain sysfs files. */
/* Reads a whole attribute file (at most @size-1 bytes, NUL-terminated,
 * trailing newline removed).  Returns the length or -errno. */
int sysfs_read(const char *path, char *buf, size_t size);
/* One write() of exactly @value; returns 0 or -errno. */
int sysfs_write(const char *path, const char *value);
int sysfs_writef(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* udev attribute as an unsigned number in @base; -ENOENT/-EINVAL. */
int udev_attr_ulong(struct udev_device *d, const char *attr, int base,
		    unsigned long *out);
/* Writes all @len bytes of @buf to @fd (short writes and EINTR retried);
 * 0 or -errno. */
int write_all(int fd, const char *buf, size_t len);
/*
 * Replaces @name in directory @dfd by @alen bytes of @a then @blen of @b,
 * with @mode: written to a temporary file beside it (O_EXCL, O_NOFOLLOW),
 * then renamed over it, so a reader sees the old file or the new, never a
 * part.  @durable: fsync before the rename (configuration must survive a
 * crash; a port record describes the running kernel and need not).
 * Returns 0 or -errno; the temporary file never stays behind.
 */
int file_replace_at(int dfd, const char *name, mode_t mode, const char *a, size_t alen,
		    const char *b, size_t blen, bool durable);
/* Copies src into a fixed field, always NUL-terminated; false if cut. */
bool copy_field(char *dst, size_t size, const char *src);

/* selector.c: the value of hex digit @c, or -1. */
int hex_digit(int c);

/* array.c */
/*
 * Makes room for @need elements of @size bytes in the malloc'ed *@array,
 * which has room for *@cap: grows it geometrically (at least doubling, and
 * never beyond what @need asks when the doubled size would not fit size_t).
 * Returns 0, or -ENOMEM when memory is short or @need elements cannot be
 * sized (size_t overflow), leaving *@array and *@cap as they were.
 */
int array_reserve(void **array, size_t *cap, size_t need, size_t size);
/* array_reserve() for a typed array variable @a with capacity variable @cap. */
#define ARRAY_RESERVE(a, cap, need) \
	array_reserve((void **)&(a), &(cap), (need), sizeof(*(a)))

/* names.c */
void usbip_names_free(struct usbip_names *names);

/* host.c: fill the wire description of a local usb_device. */
int usbip_device_from_udev(struct usbip_ctx *ctx, struct udev_device *d,
			   struct usbip_device *dev);

#endif

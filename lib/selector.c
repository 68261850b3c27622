// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Selectors: naming a device by what survives a replug (ids, serial,
 * physical port) rather than only by its bus id.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libusbip-internal.h"

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to 4 hex digits, the whole of [s, end). */
static int parse_hex16(const char *s, const char *end, uint16_t *out)
{
	unsigned v = 0;

	if (end - s < 1 || end - s > 4)
		return -EINVAL;
	for (; s < end; s++) {
		int d = hex_digit((unsigned char)*s);

		if (d < 0)
			return -EINVAL;
		v = v * 16 + (unsigned)d;
	}
	*out = (uint16_t)v;
	return 0;
}

USBIP_EXPORT int usbip_hardware_id_parse(const char *text, uint16_t *vendor,
					 uint16_t *product)
{
	const char *colon;
	uint16_t v, p;

	if (!text)
		return -EINVAL;
	colon = strchr(text, ':');
	if (!colon || parse_hex16(text, colon, &v) < 0 ||
	    parse_hex16(colon + 1, colon + 1 + strlen(colon + 1), &p) < 0)
		return -EINVAL;
	*vendor = v;
	*product = p;
	return 0;
}

USBIP_EXPORT bool usbip_selector_empty(const struct usbip_selector *sel)
{
	return !sel->busid[0] && !sel->has_ids && !sel->serial[0] && !sel->path[0];
}

/* A string field: "" in the selector matches anything; NULL in the
 * device is unknown. */
static int match_text(const char *want, const char *have)
{
	if (!want[0])
		return USBIP_MATCH_YES;
	if (!have)
		return USBIP_MATCH_UNKNOWN;
	return strcmp(want, have) == 0 ? USBIP_MATCH_YES : USBIP_MATCH_NO;
}

USBIP_EXPORT int usbip_selector_match(const struct usbip_selector *sel,
				      const struct usbip_device_ident *id)
{
	int r = USBIP_MATCH_YES;
	int each[3];

	if (sel->has_ids && (sel->vendor != id->vendor || sel->product != id->product))
		return USBIP_MATCH_NO;
	each[0] = match_text(sel->busid, id->busid);
	each[1] = match_text(sel->serial, id->serial);
	each[2] = match_text(sel->path, id->path);
	for (unsigned i = 0; i < ARRAY_SIZE(each); i++) {
		if (each[i] == USBIP_MATCH_NO)
			return USBIP_MATCH_NO;
		if (each[i] == USBIP_MATCH_UNKNOWN)
			r = USBIP_MATCH_UNKNOWN;
	}
	return r;
}

USBIP_EXPORT const char *usbip_selector_str(const struct usbip_selector *sel,
					    char *buf, size_t size)
{
	size_t len = 0;

#define ADD(...) do { \
	int n_ = snprintf(buf + len, size - len, __VA_ARGS__); \
	if (n_ < 0 || (size_t)n_ >= size - len) \
		return buf; \
	len += (size_t)n_; \
} while (0)
	if (!size)
		return buf;
	buf[0] = '\0';
	if (sel->busid[0])
		ADD("%s-b %s", len ? " " : "", sel->busid);
	if (sel->has_ids)
		ADD("%s-i %04x:%04x", len ? " " : "", sel->vendor, sel->product);
	if (sel->serial[0])
		ADD("%s--serial %s", len ? " " : "", sel->serial);
	if (sel->path[0])
		ADD("%s--path %s", len ? " " : "", sel->path);
#undef ADD
	return buf;
}

USBIP_EXPORT int usbip_local_ident(struct usbip_ctx *ctx, const char *busid,
				   char serial[USBIP_SERIAL_SIZE],
				   char path[USBIP_PATH_SIZE])
{
	struct udev_device *d;
	const char *v;
	int r = 0;

	serial[0] = path[0] = '\0';
	d = udev_device_new_from_subsystem_sysname(ctx->udev, "usb", busid);
	if (!d)
		return -ENODEV;
	v = udev_device_get_sysattr_value(d, "serial");
	if (v && !copy_field(serial, USBIP_SERIAL_SIZE, v))
		r = -ENAMETOOLONG;
	v = udev_device_get_property_value(d, "ID_PATH");
	if (v && !copy_field(path, USBIP_PATH_SIZE, v))
		r = -ENAMETOOLONG;
	udev_device_unref(d);
	return r;
}

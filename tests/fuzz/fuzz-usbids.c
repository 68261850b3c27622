// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is a usb.ids file.  A fresh context is pointed at it and asked
 * for names: a few fixed ids, and ids found in the input itself (vendor and
 * product lines, class, subclass and protocol lines), with a roomy buffer and
 * with tiny ones.  Names must always come back as terminated strings inside
 * the buffer.
 */
#include <fcntl.h>
#include <limits.h>

#include "fuzz-common.h"

static char ids_path[PATH_MAX];
static int ids_fd = -1;

static void cleanup(void)
{
	if (ids_fd >= 0)
		close(ids_fd);
	unlink(ids_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(ids_path, sizeof(ids_path), "%s/fuzz-usbids.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ids_fd = mkstemp(ids_path);
	FUZZ_CHECK(ids_fd >= 0);
	atexit(cleanup);
	return 0;
}

static void check_name(const char *got, const char *buf, size_t size)
{
	FUZZ_CHECK(got == buf);
	FUZZ_CHECK(size == 0 || memchr(buf, '\0', size) != NULL);
}

static void product(struct usbip_ctx *ctx, uint16_t vendor, uint16_t prod)
{
	char big[512], small[12], one[1];

	check_name(usbip_names_product(ctx, big, sizeof(big), vendor, prod), big, sizeof(big));
	check_name(usbip_names_product(ctx, small, sizeof(small), vendor, prod), small, sizeof(small));
	check_name(usbip_names_product(ctx, one, sizeof(one), vendor, prod), one, sizeof(one));
}

static void class(struct usbip_ctx *ctx, uint8_t cls, uint8_t sub, uint8_t proto)
{
	char big[512], small[12], one[1];

	check_name(usbip_names_class(ctx, big, sizeof(big), cls, sub, proto), big, sizeof(big));
	check_name(usbip_names_class(ctx, small, sizeof(small), cls, sub, proto), small, sizeof(small));
	check_name(usbip_names_class(ctx, one, sizeof(one), cls, sub, proto), one, sizeof(one));
}

/* @digits hex digits at @s (inside @end); -1 when not there. */
static long hex_at(const char *s, const char *end, int digits)
{
	long v = 0;

	if (end - s < digits)
		return -1;
	for (int i = 0; i < digits; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (c - 'A' + 10);
		else
			return -1;
	}
	return v;
}

#define MAX_LOOKUPS 64

/* Looks up the ids the input's own lines define (a rough usb.ids reader). */
static void lookup_input_ids(struct usbip_ctx *ctx, const char *text, size_t size)
{
	const char *end = text + size, *line = text;
	long vendor = 0, cls = 0, sub = 0, v;
	int lookups = 0;

	while (line < end && lookups < MAX_LOOKUPS) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;

		if (le - line >= 2 && line[0] == '\t' && line[1] == '\t') {
			if ((v = hex_at(line + 2, le, 2)) >= 0) {
				class(ctx, (uint8_t)cls, (uint8_t)sub, (uint8_t)v);
				lookups++;
			}
		} else if (le - line >= 1 && line[0] == '\t') {
			if ((v = hex_at(line + 1, le, 4)) >= 0) {
				product(ctx, (uint16_t)vendor, (uint16_t)v);
				lookups++;
			} else if ((v = hex_at(line + 1, le, 2)) >= 0) {
				sub = v;
				class(ctx, (uint8_t)cls, (uint8_t)sub, 0);
				lookups++;
			}
		} else if (le - line >= 2 && line[0] == 'C' && line[1] == ' ') {
			if ((v = hex_at(line + 2, le, 2)) >= 0) {
				cls = v;
				class(ctx, (uint8_t)cls, 0, 0);
				lookups++;
			}
		} else if ((v = hex_at(line, le, 4)) >= 0) {
			vendor = v;
			product(ctx, (uint16_t)vendor, 0);
			lookups++;
		}
		line = le + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbip_ctx *ctx;

	fuzz_write_file(ids_fd, data, size);
	ctx = fuzz_ctx_new();
	FUZZ_CHECK(usbip_set_usbids_path(ctx, ids_path) == 0);

	product(ctx, 0x1d6b, 0x0002);
	product(ctx, 0x0000, 0x0000);
	product(ctx, 0xffff, 0xffff);
	class(ctx, 0x09, 0x00, 0x00);
	class(ctx, 0x00, 0x00, 0x00);
	class(ctx, 0xff, 0xff, 0xff);
	lookup_input_ids(ctx, (const char *)data, size);
	/* The last bytes of the input as ids, whatever the text says. */
	if (size >= 4) {
		const uint8_t *t = data + size - 4;

		product(ctx, (uint16_t)(t[0] << 8 | t[1]), (uint16_t)(t[2] << 8 | t[3]));
		class(ctx, t[1], t[2], t[3]);
	}

	/* Pointing the context elsewhere drops the tables; the next lookup reloads. */
	FUZZ_CHECK(usbip_set_usbids_path(ctx, ids_path) == 0);
	product(ctx, 0x1d6b, 0x0003);
	FUZZ_CHECK(usbip_unref(ctx) == NULL);
	return 0;
}

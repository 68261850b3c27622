// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Vendor, product and class names.  usb.ids is read once, on the first name
 * printed, into sorted tables that point into the file's own buffer.  When
 * it is missing, names come from the udev hwdb.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libusbip-internal.h"

#define USBIDS_MAX	(64 << 20)

enum kind { VENDOR, PRODUCT, CLASS, SUBCLASS, PROTOCOL, NKINDS };

struct entry {
	uint32_t key;
	const char *name;
};

struct table {
	struct entry *e;
	size_t n, alloc;
};

struct usbip_names {
	char *text;		/* the file, lines NUL-terminated in place */
	struct table t[NKINDS];
	struct udev_hwdb *hwdb;	/* fallback when the file is missing */
};

static int add(struct table *t, uint32_t key, const char *name)
{
	int r = ARRAY_RESERVE(t->e, t->alloc, t->n + 1);

	if (r < 0)
		return r;
	t->e[t->n].key = key;
	t->e[t->n].name = name;
	t->n++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	/* Stable on equal keys (by position), so the first definition wins. */
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static const char *find(const struct table *t, uint32_t key)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->e[lo].key == key ? t->e[lo].name : NULL;
}

/* Parses "<hex id of @digits digits><spaces><name>"; returns name or NULL. */
static const char *parse_id(const char *s, int digits, uint32_t *id)
{
	uint32_t v = 0;

	for (int i = 0; i < digits; i++, s++) {
		int c = *s;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return NULL;
	}
	if (*s != ' ' && *s != '\t')
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	*id = v;
	return *s ? s : NULL;
}

/* One line of usb.ids; @section tracks what indented lines belong to. */
static int parse_line(struct usbip_names *n, char *line, enum kind *section,
		      uint32_t *vendor, uint32_t *cls, uint32_t *subcls)
{
	const char *name;
	uint32_t id;

	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (line[0] == '\t' && line[1] == '\t') {
		if (*section == SUBCLASS && (name = parse_id(line + 2, 2, &id)))
			return add(&n->t[PROTOCOL], *cls << 16 | *subcls << 8 | id, name);
		return 0;
	}
	if (line[0] == '\t') {
		if (*section == VENDOR && (name = parse_id(line + 1, 4, &id)))
			return add(&n->t[PRODUCT], *vendor << 16 | id, name);
		if ((*section == CLASS || *section == SUBCLASS) &&
		    (name = parse_id(line + 1, 2, &id))) {
			*subcls = id;
			*section = SUBCLASS;
			return add(&n->t[SUBCLASS], *cls << 8 | id, name);
		}
		return 0;
	}
	if (line[0] == 'C' && line[1] == ' ' && (name = parse_id(line + 2, 2, &id))) {
		*cls = id;
		*section = CLASS;
		return add(&n->t[CLASS], id, name);
	}
	if ((name = parse_id(line, 4, &id))) {
		*vendor = id;
		*section = VENDOR;
		return add(&n->t[VENDOR], id, name);
	}
	/* Another section (AT, HID, R, BIAS, PHY, HUT, L, HCC, VT, ...). */
	*section = NKINDS;
	return 0;
}

static int load_file(struct usbip_names *n, const char *path)
{
	enum kind section = NKINDS;
	uint32_t vendor = 0, cls = 0, subcls = 0;
	size_t size = 0, cap = 0;
	char *line;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - size < 65536) {
			/* usb.ids is under 1 MiB; refuse to swallow anything huge. */
			if (cap >= USBIDS_MAX) {
				fclose(f);
				return -EFBIG;
			}
			if (ARRAY_RESERVE(n->text, cap, cap + 262144) < 0) {
				fclose(f);
				return -ENOMEM;
			}
		}
		got = fread(n->text + size, 1, cap - size - 1, f);
		size += got;
		if (got == 0)
			break;
	}
	fclose(f);
	n->text[size] = '\0';

	for (line = n->text; line && *line; ) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (parse_line(n, line, &section, &vendor, &cls, &subcls) < 0)
			return -ENOMEM;
		line = next;
	}
	for (int k = 0; k < NKINDS; k++)
		if (n->t[k].n > 1)
			qsort(n->t[k].e, n->t[k].n, sizeof(struct entry), cmp_entry);
	return 0;
}

void usbip_names_free(struct usbip_names *n)
{
	if (!n)
		return;
	for (int k = 0; k < NKINDS; k++)
		free(n->t[k].e);
	if (n->hwdb)
		udev_hwdb_unref(n->hwdb);
	free(n->text);
	free(n);
}

static struct usbip_names *names_get(struct usbip_ctx *ctx)
{
	struct usbip_names *n;
	int r;

	if (ctx->names)
		return ctx->names;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	r = load_file(n, ctx->usbids_path);
	if (r < 0) {
		DBG(ctx, "%s: %s; using the udev hwdb", ctx->usbids_path, strerror(-r));
		for (int k = 0; k < NKINDS; k++)
			n->t[k].n = 0;
		n->hwdb = udev_hwdb_new(ctx->udev);
	}
	ctx->names = n;
	return n;
}

static const char *hwdb_get(struct usbip_names *n, const char *modalias,
			    const char *key)
{
	struct udev_list_entry *e;

	if (!n->hwdb)
		return NULL;
	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(n->hwdb, modalias, 0))
		if (strcmp(udev_list_entry_get_name(e), key) == 0)
			return udev_list_entry_get_value(e);
	return NULL;
}

static const char *lookup(struct usbip_names *n, enum kind k, uint32_t key)
{
	static const char *const hwdb_keys[NKINDS] = {
		"ID_VENDOR_FROM_DATABASE", "ID_MODEL_FROM_DATABASE",
		"ID_USB_CLASS_FROM_DATABASE", "ID_USB_SUBCLASS_FROM_DATABASE",
		"ID_USB_PROTOCOL_FROM_DATABASE",
	};
	char alias[64];

	if (!n)
		return NULL;
	if (!n->hwdb)
		return find(&n->t[k], key);
	switch (k) {
	case VENDOR:
	case PRODUCT:
		snprintf(alias, sizeof(alias), "usb:v%04Xp%04X*",
			 k == VENDOR ? key : key >> 16, k == VENDOR ? 0 : key & 0xffff);
		break;
	default:
		snprintf(alias, sizeof(alias), "usb:v*p*d*dc%02Xdsc%02Xdp%02X*",
			 k == PROTOCOL ? key >> 16 : k == SUBCLASS ? key >> 8 : key,
			 k == PROTOCOL ? (key >> 8) & 0xff : k == SUBCLASS ? key & 0xff : 0,
			 k == PROTOCOL ? key & 0xff : 0);
		break;
	}
	return hwdb_get(n, alias, hwdb_keys[k]);
}

USBIP_EXPORT const char *usbip_names_product(struct usbip_ctx *ctx, char *buf, size_t size,
					     uint16_t vendor, uint16_t product)
{
	struct usbip_names *n = names_get(ctx);
	const char *v = lookup(n, VENDOR, vendor);
	const char *p = lookup(n, PRODUCT, (uint32_t)vendor << 16 | product);

	snprintf(buf, size, "%s : %s (%04x:%04x)", v ? v : "unknown vendor",
		 p ? p : "unknown product", vendor, product);
	return buf;
}

USBIP_EXPORT const char *usbip_names_class(struct usbip_ctx *ctx, char *buf, size_t size,
					   uint8_t cls, uint8_t subcls, uint8_t proto)
{
	struct usbip_names *n;
	const char *c, *s, *p;

	if (cls == 0 && subcls == 0 && proto == 0) {
		snprintf(buf, size, "(Defined at Interface level) (%02x/%02x/%02x)",
			 cls, subcls, proto);
		return buf;
	}
	n = names_get(ctx);
	c = lookup(n, CLASS, cls);
	s = lookup(n, SUBCLASS, (uint32_t)cls << 8 | subcls);
	p = lookup(n, PROTOCOL, (uint32_t)cls << 16 | (uint32_t)subcls << 8 | proto);
	snprintf(buf, size, "%s / %s / %s (%02x/%02x/%02x)", c ? c : "unknown class",
		 s ? s : "unknown subclass", p ? p : "unknown protocol", cls, subcls, proto);
	return buf;
}

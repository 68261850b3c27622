// SPDX-License-Identifier: GPL-2.0-or-later
/* --json output: the pieces of the usbip-json(7) documents. */
#include <stdio.h>
#include <string.h>

#include "json.h"

JsonBuilder *json_doc_new(const char *command)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_int_value(b, JSON_SCHEMA_VERSION);
	json_builder_set_member_name(b, "command");
	json_builder_add_string_value(b, command);
	return b;
}

int json_doc_print(JsonBuilder *b)
{
	JsonGenerator *gen = json_generator_new();
	JsonNode *root;
	gchar *text;
	int r = 0;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	if (fputs(text, stdout) == EOF || putchar('\n') == EOF) {
		err("could not write the JSON document to standard output");
		r = -1;
	}
	g_free(text);
	json_node_unref(root);
	g_object_unref(gen);
	g_object_unref(b);
	return r;
}

void json_add_text(JsonBuilder *b, const char *member, const char *s)
{
	json_builder_set_member_name(b, member);
	if (!s) {
		json_builder_add_null_value(b);
	} else if (g_utf8_validate(s, -1, NULL)) {
		json_builder_add_string_value(b, s);
	} else {
		size_t size = ESCAPED_SIZE(strlen(s));
		char *e = g_malloc(size);

		json_builder_add_string_value(b, escape_text(e, size, s));
		g_free(e);
	}
}

void json_add_hex4(JsonBuilder *b, const char *member, unsigned v)
{
	char hex[8];

	snprintf(hex, sizeof(hex), "%04x", v & 0xffff);
	json_builder_set_member_name(b, member);
	json_builder_add_string_value(b, hex);
}

/* Cuts the " (....)" that ends every name usbip_names_* gives. */
static void cut_ids(char *name)
{
	char *p = strrchr(name, '(');

	if (p && p > name && p[-1] == ' ')
		p[-1] = '\0';
}

void json_add_ids(JsonBuilder *b, struct usbip_ctx *ctx, uint16_t vendor, uint16_t product)
{
	char name[512], *sep, *prod = NULL;

	json_add_hex4(b, "vendor_id", vendor);
	json_add_hex4(b, "product_id", product);
	/* "<vendor> : <product> (vvvv:pppp)": no vendor name in usb.ids holds
	 * " : " (some product names do), so the first one separates them. */
	usbip_names_product(ctx, name, sizeof(name), vendor, product);
	cut_ids(name);
	sep = strstr(name, " : ");
	if (sep) {
		*sep = '\0';
		prod = sep + 3;
	}
	json_add_text(b, "vendor_name", strcmp(name, "unknown vendor") ? name : NULL);
	json_add_text(b, "product_name", prod && strcmp(prod, "unknown product") ? prod : NULL);
}

void json_add_class(JsonBuilder *b, struct usbip_ctx *ctx, const char *member,
		    uint8_t cls, uint8_t subcls, uint8_t proto)
{
	static const char *const unknown = "unknown class / unknown subclass / unknown protocol";
	char name[512], hex[4];

	json_builder_set_member_name(b, member);
	json_builder_begin_object(b);
	snprintf(hex, sizeof(hex), "%02x", cls);
	json_builder_set_member_name(b, "class");
	json_builder_add_string_value(b, hex);
	snprintf(hex, sizeof(hex), "%02x", subcls);
	json_builder_set_member_name(b, "subclass");
	json_builder_add_string_value(b, hex);
	snprintf(hex, sizeof(hex), "%02x", proto);
	json_builder_set_member_name(b, "protocol");
	json_builder_add_string_value(b, hex);
	/* The text list prints: "Mass Storage / SCSI / Bulk-Only". */
	usbip_names_class(ctx, name, sizeof(name), cls, subcls, proto);
	cut_ids(name);
	json_add_text(b, "name", strcmp(name, unknown) ? name : NULL);
	json_builder_end_object(b);
}

void json_add_speed(JsonBuilder *b, uint32_t speed)
{
	static const char *const names[] = {
		[USBIP_SPEED_UNKNOWN] = "unknown", [USBIP_SPEED_LOW] = "low",
		[USBIP_SPEED_FULL] = "full", [USBIP_SPEED_HIGH] = "high",
		[USBIP_SPEED_WIRELESS] = "wireless", [USBIP_SPEED_SUPER] = "super",
		[USBIP_SPEED_SUPER_PLUS] = "super_plus",
	};

	json_builder_set_member_name(b, "speed");
	json_builder_add_string_value(b, speed < sizeof(names) / sizeof(names[0]) ?
				      names[speed] : "unknown");
}

void json_add_usb_device(JsonBuilder *b, struct usbip_ctx *ctx, const struct usbip_device *d)
{
	json_add_text(b, "busid", d->busid);
	json_add_ids(b, ctx, d->idVendor, d->idProduct);
	json_add_text(b, "serial", NULL);
	json_add_text(b, "path", d->path);
	json_builder_set_member_name(b, "busnum");
	json_builder_add_int_value(b, d->busnum);
	json_builder_set_member_name(b, "devnum");
	json_builder_add_int_value(b, d->devnum);
	json_add_speed(b, d->speed);
	json_add_hex4(b, "bcd_device", d->bcdDevice);
	json_add_class(b, ctx, "class", d->bDeviceClass, d->bDeviceSubClass, d->bDeviceProtocol);
	json_builder_set_member_name(b, "configuration_value");
	json_builder_add_int_value(b, d->bConfigurationValue);
	json_builder_set_member_name(b, "num_configurations");
	json_builder_add_int_value(b, d->bNumConfigurations);
	json_builder_set_member_name(b, "interfaces");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < d->bNumInterfaces; i++) {
		const struct usbip_interface *in = &d->interfaces[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "number");
		json_builder_add_int_value(b, i);
		json_add_class(b, ctx, "class", in->bInterfaceClass, in->bInterfaceSubClass,
			       in->bInterfaceProtocol);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

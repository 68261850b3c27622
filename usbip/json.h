/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_JSON_H
#define USBIP_JSON_H

/*
 * --json output of list and port: the schema is usbip-json(7), version
 * JSON_SCHEMA_VERSION.  Every document is built with json-glib and printed
 * whole at the end, so a command that fails prints nothing on stdout.
 */
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "usbip.h"

#define JSON_SCHEMA_VERSION 1

/* The getopt value of --json (long option only). */
enum { OPT_JSON = 0x180 };
#define JSON_OPTION { "json", no_argument, NULL, OPT_JSON }
#define JSON_USAGE \
	"        --json                Print JSON (usbip-json(7))\n"

/* A new document: the top-level object with "version" and "command" set,
 * left open for the caller's members. */
JsonBuilder *json_doc_new(const char *command);
/* Closes the top-level object, prints the document and a newline to stdout
 * and frees @b.  Returns 0, or -1 after logging a write error. */
int json_doc_print(JsonBuilder *b);

/*
 * @member: @s, or null when @s is NULL.  Text from a server, sysfs or a
 * file may hold any bytes and JSON strings are UTF-8: a valid UTF-8 string
 * is kept as it is (json-glib escapes its control characters), any other is
 * replaced by its util/escape.h form (bytes outside printable ASCII as
 * \xNN, a backslash as \\), which keeps every byte readable.
 */
void json_add_text(JsonBuilder *b, const char *member, const char *s);
/* @member: four lower-case hex digits ("0781"). */
void json_add_hex4(JsonBuilder *b, const char *member, unsigned v);
/* "vendor_id", "product_id", "vendor_name", "product_name" (usb.ids; null
 * when unknown). */
void json_add_ids(JsonBuilder *b, struct usbip_ctx *ctx, uint16_t vendor, uint16_t product);
/* @member: {"class", "subclass", "protocol" (two hex digits each), "name"}. */
void json_add_class(JsonBuilder *b, struct usbip_ctx *ctx, const char *member,
		    uint8_t cls, uint8_t subcls, uint8_t proto);
/* "speed": "low", "full", "high", "wireless", "super", "super_plus" or
 * "unknown". */
void json_add_speed(JsonBuilder *b, uint32_t speed);
/* The members of a device as a server or usbip-vudc describes it (an
 * open object): bus id, path, bus/dev numbers, speed, ids and names, class,
 * interfaces; "serial" null (the protocol carries none). */
void json_add_usb_device(JsonBuilder *b, struct usbip_ctx *ctx, const struct usbip_device *d);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device selectors on the command line: -i/--hardware-id VID:PID and
 * --serial SERIAL next to -b BUSID, matched against the local devices
 * (bind, unbind, list -l) or a server's device list (attach, list -r).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usbip.h"
#include "util/ident.h"

bool select_option(struct usbip_selector *sel, int opt, const char *arg)
{
	char shown[ESCAPED_SIZE(64)];

	if (opt == 'i') {
		if (usbip_hardware_id_parse(arg, &sel->vendor, &sel->product) < 0) {
			err("invalid hardware id '%s': expected VID:PID, 1 to 4 hex digits "
			    "each, such as 0781:5567 (usbip list -l shows them)",
			    escape_text(shown, sizeof(shown), arg));
			return false;
		}
		sel->has_ids = true;
		return true;
	}
	/* --serial: what sysfs shows; an empty one would match any device. */
	if (!arg[0] || strlen(arg) >= sizeof(sel->serial)) {
		err("invalid serial number '%s': expected 1 to %zu bytes",
		    escape_text(shown, sizeof(shown), arg), sizeof(sel->serial) - 1);
		return false;
	}
	memcpy(sel->serial, arg, strlen(arg) + 1);
	return true;
}

bool select_busid(struct usbip_selector *sel, const char *busid)
{
	if (!cli_busid_ok(busid))
		return false;
	/* cli_busid_ok() bounds it to the field. */
	snprintf(sel->busid, sizeof(sel->busid), "%s", busid);
	return true;
}

bool select_wanted(const struct usbip_selector *sel)
{
	return sel->has_ids || sel->serial[0] || sel->path[0];
}

const char *select_shown(const struct usbip_selector *sel, char *buf, size_t size)
{
	char text[USBIP_BUSID_SIZE + USBIP_SERIAL_SIZE + USBIP_PATH_SIZE + 64];

	/* The serial comes from the command line: escaped like any outside text. */
	return escape_text(buf, size, usbip_selector_str(sel, text, sizeof(text)));
}

int select_local(struct usbip_ctx *ctx, const struct usbip_selector *sel,
		 struct select_match **out)
{
	struct usbip_local_device *devs;
	struct select_match *m = NULL;
	size_t n, count = 0;
	int r = usbip_list_local(ctx, &devs, &n);

	*out = NULL;
	if (r < 0) {
		err("problem getting device attributes: %s", strerror(-r));
		usbip_local_list_free(devs);
		return -1;
	}
	if (n) {
		m = calloc(n, sizeof(*m));
		if (!m) {
			err("out of memory");
			usbip_local_list_free(devs);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct select_match *c = &m[count];
		struct local_ident li;

		/* Unreadable ids, a device gone meanwhile: not selected. */
		if (local_ident_get(ctx, devs[i].busid, devs[i].idVendor, devs[i].idProduct,
				    &li) < 0) {
			dbg("%s: unreadable idVendor/idProduct, skipped", devs[i].busid);
			continue;
		}
		/* UNKNOWN (a serial too long to compare) is not a match. */
		if (usbip_selector_match(sel, &li.id) != USBIP_MATCH_YES)
			continue;
		memcpy(c->busid, devs[i].busid, sizeof(c->busid));
		c->vendor = li.id.vendor;
		c->product = li.id.product;
		c->serial_known = li.id.serial != NULL;
		memcpy(c->serial, li.serial, sizeof(c->serial));
		count++;
	}
	usbip_local_list_free(devs);
	if (!count) {
		free(m);
		m = NULL;
	}
	*out = m;
	return (int)count;
}

int select_candidates(struct usbip_cli *cli, const char *host, const char *port,
		      int timeout_ms, const struct usbip_selector *sel,
		      struct usbip_devlist *out, bool *connected)
{
	struct usbip_devlist list;
	size_t kept = 0;
	bool tls_failed = false;
	int fd, r;

	out->ndev = 0;
	out->devs = NULL;
	if (connected)
		*connected = false;
	fd = cli_open(cli, host, port, timeout_ms, &tls_failed);
	if (connected)
		*connected = fd >= 0 || tls_failed;
	if (fd < 0)
		return fd;
	r = usbip_request_devlist(cli->ctx, fd, usbip_now_ms() + timeout_ms, &list);
	close(fd);
	if (r < 0)
		return r;
	/* Keep the candidates in place, in the server's order. */
	for (size_t i = 0; i < list.ndev; i++) {
		const struct usbip_device *d = &list.devs[i];
		struct usbip_device_ident id = {
			.busid = d->busid, .vendor = d->idVendor, .product = d->idProduct,
		};

		if (usbip_selector_match(sel, &id) == USBIP_MATCH_NO)
			continue;
		if (kept != i)
			list.devs[kept] = *d;
		kept++;
	}
	list.ndev = kept;
	if (!kept)
		usbip_devlist_free(&list);
	*out = list;
	return (int)kept;
}

int select_remote(struct usbip_cli *cli, const char *host, const char *port,
		  int timeout_ms, const struct usbip_selector *sel,
		  struct usbip_devlist *out)
{
	char shown[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];
	bool connected;
	int n = select_candidates(cli, host, port, timeout_ms, sel, out, &connected);

	if (n >= 0)
		return n;
	if (!connected)
		err("could not connect to %s:%s: %s", escape_text(shown, sizeof(shown), host),
		    port, usbip_strerror(n));
	else
		err("could not get the device list of %s: %s",
		    escape_text(shown, sizeof(shown), host), usbip_strerror(n));
	return -1;
}

void select_report_many(struct usbip_ctx *ctx, const struct usbip_selector *sel,
			const struct select_match *m, size_t n, bool all_hint)
{
	char shown[SELECT_SHOWN_SIZE], name[512], text[sizeof("serial ") + ESCAPED_SIZE(USBIP_SERIAL_SIZE)];
	char busid[ESCAPED_SIZE(USBIP_BUSID_SIZE)], serial[ESCAPED_SIZE(USBIP_SERIAL_SIZE)];
	bool any_unknown = false;

	err("%zu devices match %s:", n, select_shown(sel, shown, sizeof(shown)));
	for (size_t i = 0; i < n; i++) {
		const char *s;

		if (!m[i].serial_known) {
			s = "serial not known";
			any_unknown = true;
		} else if (!m[i].serial[0]) {
			s = "no serial";
		} else {
			snprintf(text, sizeof(text), "serial %s",
				 escape_text(serial, sizeof(serial), m[i].serial));
			s = text;
		}
		/* The names as list -l prints them. */
		err("    %s: %s, %s", escape_text(busid, sizeof(busid), m[i].busid),
		    usbip_names_product(ctx, name, sizeof(name), m[i].vendor, m[i].product),
		    s);
	}
	if (all_hint)
		err("add --serial SERIAL or -b BUSID to choose one, or --all to act on every one");
	else if (any_unknown)
		err("add --serial SERIAL (each device is tried until one has it) or "
		    "-b BUSID to choose one");
	else
		err("add --serial SERIAL or -b BUSID to choose one");
}

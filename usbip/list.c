// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip list: remote exportable devices, local devices, local gadgets. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "servers.h"
#include "usbip.h"
#include "util/ident.h"
#include "util/parse.h"

static void usage(void)
{
	printf("usage: usbip list [-p|--parsable] <args>\n"
	       "    -p, --parsable         Parsable list format\n"
	       "    -r, --remote=<host>    List the exportable USB devices on <host>\n"
	       "    -l, --local            List the local USB devices\n"
	       "    -d, --device           List the local USB gadgets bound to usbip-vudc\n"
	       SELECT_USAGE
	       "                           (with -l or -r: list only the devices selected)\n"
	       JSON_USAGE
	       "    -r <host> -r <host>... List several servers' devices (HOST[:PORT], [V6ADDR]:PORT)\n"
	       "        --discover         List the devices of every server found over mDNS\n");
}

/* @note: an extra line under the device ("export rule: ..."), or NULL. */
static void print_device(struct usbip_cli *cli, bool parsable, const char *busid,
			 const char *vid, const char *pid, const char *note)
{
	char name[512];

	if (parsable) {
		printf("busid=%s#usbid=%.4s:%.4s#\n", busid, vid, pid);
		return;
	}
	printf(" - busid %s (%.4s:%.4s)\n", busid, vid, pid);
	printf("   %s\n", usbip_names_product(cli->ctx, name, sizeof(name),
		(uint16_t)strtoul(vid, NULL, 16), (uint16_t)strtoul(pid, NULL, 16)));
	if (note)
		printf("   %s\n", note);
	printf("\n");
}

/* One local device of list -l --json (usbip-json(7)); @li NULL: its
 * serial and port path could not be read. */
static void json_local_device(struct usbip_cli *cli, JsonBuilder *b,
			      const struct usbip_local_device *d, const struct local_ident *li,
			      const struct usbip_rules *rules)
{
	unsigned line = 0;

	json_builder_begin_object(b);
	json_add_text(b, "busid", d->busid);
	json_add_ids(b, cli->ctx, (uint16_t)strtoul(d->idVendor, NULL, 16),
		     (uint16_t)strtoul(d->idProduct, NULL, 16));
	json_add_text(b, "serial", li ? li->id.serial : NULL);
	json_add_text(b, "id_path", li ? li->id.path : NULL);
	json_add_text(b, "driver", d->driver[0] ? d->driver : NULL);
	json_builder_set_member_name(b, "bound");
	json_builder_add_boolean_value(b, strcmp(d->driver, "usbip-host") == 0);
	/* The rule list -l notes as "export rule: FILE:LINE". */
	json_builder_set_member_name(b, "export_rule");
	if (li && usbip_rules_match(rules, &li->id, &line, NULL)) {
		json_builder_begin_object(b);
		json_add_text(b, "file", persist_rules_path());
		json_builder_set_member_name(b, "line");
		json_builder_add_int_value(b, line);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_end_object(b);
}

static int list_local(struct usbip_cli *cli, enum list_format format,
		      const struct usbip_selector *sel)
{
	struct usbip_local_device *devs;
	struct usbip_rules *rules;
	char note[64], what[SELECT_SHOWN_SIZE];
	bool selecting = select_wanted(sel), parsable = format == LIST_PARSABLE;
	JsonBuilder *b = NULL;
	size_t n, shown = 0;
	int r = usbip_list_local(cli->ctx, &devs, &n);

	/* Which devices an export rule covers: a line more under those only. */
	rules = parsable ? NULL : persist_rules_load(cli);
	if (format == LIST_JSON) {
		b = json_doc_new("list-local");
		json_builder_set_member_name(b, "devices");
		json_builder_begin_array(b);
	}
	/* Like the kernel's tool, show what was read before a faulty device. */
	for (size_t i = 0; i < n; i++) {
		struct local_ident li;
		bool known = (selecting || usbip_rules_count(rules) || b) &&
			     local_ident_get(cli->ctx, devs[i].busid, devs[i].idVendor,
					     devs[i].idProduct, &li) == 0;

		/* -i/--serial: only the devices they select (as bind does). */
		if (selecting && (!known || usbip_selector_match(sel, &li.id) != USBIP_MATCH_YES))
			continue;
		if (b)
			json_local_device(cli, b, &devs[i], known ? &li : NULL, rules);
		else
			print_device(cli, parsable, devs[i].busid, devs[i].idVendor,
				     devs[i].idProduct, known ?
				     persist_rule_note(rules, &li.id, note, sizeof(note)) : NULL);
		shown++;
	}
	usbip_rules_free(rules);
	usbip_local_list_free(devs);
	if (r < 0) {
		/* JSON: nothing rather than a part that looks whole. */
		if (b)
			g_object_unref(b);
		err("problem getting device attributes: %s", strerror(-r));
		return -1;
	}
	if (selecting && !shown)
		info("no device matches %s", select_shown(sel, what, sizeof(what)));
	if (b) {
		json_builder_end_array(b);
		return json_doc_print(b);
	}
	return 0;
}

static int list_gadgets(struct usbip_cli *cli, enum list_format format)
{
	static const char *const status[] = {
		[USBIP_SDEV_ST_AVAILABLE] = "available", [USBIP_SDEV_ST_USED] = "used",
		[USBIP_SDEV_ST_ERROR] = "error",
	};
	struct usbip_exported *devs;
	JsonBuilder *b = NULL;
	int n = usbip_list_gadgets(cli->ctx, &devs);

	if (n < 0) {
		err("problem getting device attributes: %s", strerror(-n));
		return -1;
	}
	if (format == LIST_JSON) {
		b = json_doc_new("list-gadgets");
		json_builder_set_member_name(b, "devices");
		json_builder_begin_array(b);
	}
	for (int i = 0; i < n; i++) {
		char vid[8], pid[8];
		int st = devs[i].status;

		if (b) {
			json_builder_begin_object(b);
			json_add_usb_device(b, cli->ctx, &devs[i].dev);
			json_add_text(b, "status", st >= USBIP_SDEV_ST_AVAILABLE &&
				      st <= USBIP_SDEV_ST_ERROR ? status[st] : "unknown");
			json_builder_end_object(b);
			continue;
		}
		snprintf(vid, sizeof(vid), "%04x", devs[i].dev.idVendor);
		snprintf(pid, sizeof(pid), "%04x", devs[i].dev.idProduct);
		print_device(cli, format == LIST_PARSABLE, devs[i].dev.busid, vid, pid, NULL);
	}
	usbip_exported_list_free(devs);
	if (b) {
		json_builder_end_array(b);
		return json_doc_print(b);
	}
	return 0;
}

/* list --discover: servers_list() of every server found over mDNS. */
static int list_discovered(struct usbip_cli *cli, const struct usbip_selector *sel,
			   enum list_format format)
{
	struct cli_server *srv;
	int n = discover_servers(cli, discover_timeout(cli), &srv), r;

	if (n < 0)
		return -1;
	if (n == 0)
		info("no USB/IP server found over mDNS (usbipd advertises unless --no-mdns)");
	r = servers_list(cli, srv, (size_t)n, sel, format);
	free(srv);
	return r;
}

enum { OPT_DISCOVER = OPT_ALL + 1 };

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "parsable", no_argument, NULL, 'p' },
		{ "remote", required_argument, NULL, 'r' },
		{ "local", no_argument, NULL, 'l' },
		{ "device", no_argument, NULL, 'd' },
		{ "discover", no_argument, NULL, OPT_DISCOVER },
		SELECT_OPTIONS,
		JSON_OPTION,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cli_server srv[SERVERS_MAX];
	struct usbip_selector sel = { 0 };
	bool parsable = false, json = false;
	const char *hosts[SERVERS_MAX];
	enum list_format format;
	size_t nsrv = 0;
	int opt, mode = 0;

	/* The first of -r/-l/-d picks what to list, as in the kernel's tool; but
	 * -p counts wherever it stands, so "list -l -p" is parsable too. */
	while ((opt = getopt_long(argc, argv, "pr:ldi:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			parsable = true;
			break;
		case 'r':
			/* Each -r after the first adds a server (if -r came first). */
			if (mode && mode != 'r')
				break;
			if (nsrv == SERVERS_MAX) {
				err("too many servers: at most %d -r", SERVERS_MAX);
				return -1;
			}
			hosts[nsrv++] = optarg;
			/* fall through */
		case OPT_DISCOVER:
		case 'l':
		case 'd':
			if (!mode)
				mode = opt;
			break;
		case 'i':
		case OPT_SERIAL:
			if (!select_option(&sel, opt, optarg))
				return -1;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	if (select_wanted(&sel) && mode == 'd') {
		err("-i and --serial select among -l or -r devices, not gadgets (-d)");
		return -1;
	}
	if (sel.serial[0] && (mode == 'r' || mode == OPT_DISCOVER)) {
		/* OP_REP_DEVLIST has no serial numbers: a filter could only guess. */
		err("a server's device list carries no serial numbers: use --serial "
		    "with list -l on the server, or with attach (which checks it)");
		return -1;
	}
	if (json && parsable) {
		err("--json and -p are two output formats: give one of them");
		return -1;
	}
	format = json ? LIST_JSON : parsable ? LIST_PARSABLE : LIST_HUMAN;
	switch (mode) {
	case 'r':
		for (size_t i = 0; i < nsrv; i++) {
			char shown[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];

			if (parse_server(hosts[i], cli->port, srv[i].host, sizeof(srv[i].host),
					 srv[i].port, sizeof(srv[i].port)) < 0) {
				err("invalid server '%s': give HOST, HOST:PORT or [V6ADDR]:PORT",
				    escape_text(shown, sizeof(shown), hosts[i]));
				return -1;
			}
		}
		return servers_list(cli, srv, nsrv, &sel, format);
	case OPT_DISCOVER:
		return list_discovered(cli, &sel, format);
	case 'l':
		return list_local(cli, format, &sel);
	case 'd':
		return list_gadgets(cli, format);
	}
	usage();
	return -1;
}

const struct usbip_command cmd_list = {
	"list", run, "List exportable or local USB devices", usage,
};

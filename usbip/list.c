// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip list: remote exportable devices, local devices, local gadgets. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usbip.h"
#include "util/ident.h"

static void usage(void)
{
	printf("usage: usbip list [-p|--parsable] <args>\n"
	       "    -p, --parsable         Parsable list format\n"
	       "    -r, --remote=<host>    List the exportable USB devices on <host>\n"
	       "    -l, --local            List the local USB devices\n"
	       "    -d, --device           List the local USB gadgets bound to usbip-vudc\n"
	       SELECT_USAGE
	       "                           (with -l or -r: list only the devices selected)\n");
}

static int list_remote(struct usbip_cli *cli, const char *host,
		       const struct usbip_selector *sel)
{
	struct usbip_devlist list;
	char name[512], shown[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];
	int fd, r;

	if (select_wanted(sel)) {
		char what[SELECT_SHOWN_SIZE];

		r = select_remote(cli, host, cli->port, cli->timeout_ms, sel, &list);
		if (r < 0)
			return -1;
		if (r == 0) {
			info("no exportable device on %s matches %s",
			     escape_text(shown, sizeof(shown), host),
			     select_shown(sel, what, sizeof(what)));
			return 0;
		}
		goto print;
	}
	fd = cli_connect(cli, host);
	if (fd < 0)
		return -1;
	r = usbip_request_devlist(cli->ctx, fd, usbip_now_ms() + cli->timeout_ms, &list);
	close(fd);
	if (r < 0) {
		err("Exported Device List Request failed - %s", usbip_strerror(r));
		err("failed to get device list from %s", host);
		return -1;
	}
	if (list.ndev == 0) {
		info("no exportable devices found on %s", host);
		return 0;
	}
print:
	printf("Exportable USB devices\n");
	printf("======================\n");
	printf(" - %s\n", escape_text(shown, sizeof(shown), host));
	/* The bus ids and paths are the server's bytes: escaped, like the host
	 * name typed by the user, so none can drive the terminal. */
	for (size_t i = 0; i < list.ndev; i++) {
		const struct usbip_device *d = &list.devs[i];

		printf("%11s: %s\n", escape_text(shown, sizeof(shown), d->busid),
		       usbip_names_product(cli->ctx, name, sizeof(name), d->idVendor, d->idProduct));
		printf("%11s: %s\n", "", escape_text(shown, sizeof(shown), d->path));
		printf("%11s: %s\n", "", usbip_names_class(cli->ctx, name, sizeof(name),
			d->bDeviceClass, d->bDeviceSubClass, d->bDeviceProtocol));
		for (unsigned j = 0; j < d->bNumInterfaces; j++) {
			const struct usbip_interface *in = &d->interfaces[j];

			printf("%11s: %2u - %s\n", "", j,
			       usbip_names_class(cli->ctx, name, sizeof(name), in->bInterfaceClass,
						 in->bInterfaceSubClass, in->bInterfaceProtocol));
		}
		printf("\n");
	}
	usbip_devlist_free(&list);
	return 0;
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

static int list_local(struct usbip_cli *cli, bool parsable, const struct usbip_selector *sel)
{
	struct usbip_local_device *devs;
	struct usbip_rules *rules;
	char note[64], what[SELECT_SHOWN_SIZE];
	bool selecting = select_wanted(sel);
	size_t n, shown = 0;
	int r = usbip_list_local(cli->ctx, &devs, &n);

	/* Which devices an export rule covers: a line more under those only. */
	rules = parsable ? NULL : persist_rules_load(cli);
	/* Like the kernel's tool, show what was read before a faulty device. */
	for (size_t i = 0; i < n; i++) {
		struct local_ident li;
		bool known = (selecting || usbip_rules_count(rules)) &&
			     local_ident_get(cli->ctx, devs[i].busid, devs[i].idVendor,
					     devs[i].idProduct, &li) == 0;

		/* -i/--serial: only the devices they select (as bind does). */
		if (selecting && (!known || usbip_selector_match(sel, &li.id) != USBIP_MATCH_YES))
			continue;
		print_device(cli, parsable, devs[i].busid, devs[i].idVendor, devs[i].idProduct,
			     known ? persist_rule_note(rules, &li.id, note, sizeof(note)) : NULL);
		shown++;
	}
	usbip_rules_free(rules);
	usbip_local_list_free(devs);
	if (r < 0) {
		err("problem getting device attributes: %s", strerror(-r));
		return -1;
	}
	if (selecting && !shown)
		info("no device matches %s", select_shown(sel, what, sizeof(what)));
	return 0;
}

static int list_gadgets(struct usbip_cli *cli, bool parsable)
{
	struct usbip_exported *devs;
	int n = usbip_list_gadgets(cli->ctx, &devs);

	if (n < 0) {
		err("problem getting device attributes: %s", strerror(-n));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char vid[8], pid[8];

		snprintf(vid, sizeof(vid), "%04x", devs[i].dev.idVendor);
		snprintf(pid, sizeof(pid), "%04x", devs[i].dev.idProduct);
		print_device(cli, parsable, devs[i].dev.busid, vid, pid, NULL);
	}
	usbip_exported_list_free(devs);
	return 0;
}

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "parsable", no_argument, NULL, 'p' },
		{ "remote", required_argument, NULL, 'r' },
		{ "local", no_argument, NULL, 'l' },
		{ "device", no_argument, NULL, 'd' },
		SELECT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct usbip_selector sel = { 0 };
	bool parsable = false;
	const char *host = NULL;
	int opt, mode = 0;

	/* The first of -r/-l/-d picks what to list, as in the kernel's tool; but
	 * -p counts wherever it stands, so "list -l -p" is parsable too. */
	while ((opt = getopt_long(argc, argv, "pr:ldi:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			parsable = true;
			break;
		case 'r':
			if (!mode)
				host = optarg;
			/* fall through */
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
	if (sel.serial[0] && mode == 'r') {
		/* OP_REP_DEVLIST has no serial numbers: a filter could only guess. */
		err("a server's device list carries no serial numbers: use --serial "
		    "with list -l on the server, or with attach (which checks it)");
		return -1;
	}
	switch (mode) {
	case 'r':
		return list_remote(cli, host, &sel);
	case 'l':
		return list_local(cli, parsable, &sel);
	case 'd':
		return list_gadgets(cli, parsable);
	}
	usage();
	return -1;
}

const struct usbip_command cmd_list = {
	"list", run, "List exportable or local USB devices", usage,
};

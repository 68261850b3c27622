// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip bind / unbind: hand a device to usbip-host or give it back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbip.h"

static void bind_usage(void)
{
	printf("usage: usbip bind <args>\n"
	       "    -b, --busid=<busid>    Bind usbip-host.ko to device on <busid>\n"
	       SELECT_USAGE
	       "        --all                 Bind every device the options select\n"
	       "        --persist             Also store an export rule: usbipd binds it again\n"
	       "                              whenever it appears (usbip-export-rules(5))\n");
}

static void unbind_usage(void)
{
	printf("usage: usbip unbind <args>\n"
	       "    -b, --busid=<busid>    Unbind usbip-host.ko from device on <busid>\n"
	       SELECT_USAGE
	       "        --all                 Unbind every device the options select\n"
	       "        --persist             Also remove its export rule\n");
}

enum { OPT_PERSIST = OPT_ALL + 1 };

/*
 * Parses -b/--busid, -i/--hardware-id, --serial, --all and --persist
 * (persist.c) into @sel, @all and @persist.  Returns 1 to go on, else the
 * command's result (0 for --help, -1 after printing usage or an error).
 */
static int parse_args(int argc, char *argv[], void (*usage)(void),
		      struct usbip_selector *sel, bool *all, bool *persist)
{
	static const struct option opts[] = {
		{ "busid", required_argument, NULL, 'b' },
		SELECT_OPTIONS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *busid = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "b:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			/* The first -b counts, as when it was acted on at once. */
			if (!busid)
				busid = optarg;
			break;
		case 'i':
		case OPT_SERIAL:
			if (!select_option(sel, opt, optarg))
				return -1;
			break;
		case OPT_ALL:
			*all = true;
			break;
		case OPT_PERSIST:
			*persist = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	if (!busid && !select_wanted(sel)) {
		usage();
		return -1;
	}
	if (busid && !select_busid(sel, busid))
		return -1;
	return 1;
}

/* Reports usbip_bind()'s result @r for @busid; 0 or -1. */
static int bind_report(const char *busid, int r)
{
	switch (r) {
	case 0:
		info("bind device on busid %s: complete", busid);
		return 0;
	case -ENODEV:
		err("device with the specified bus ID does not exist");
		break;
	case -EINVAL:
		err("%s is a USB interface, not a device: bind the device it belongs to", busid);
		break;
	case -ELOOP:
		err("bind loop detected: device: %s is attached to vhci_hcd", busid);
		break;
	case -EALREADY:
		err("device on busid %s is already bound to usbip-host", busid);
		break;
	case -EISDIR:
		err("device on busid %s is a hub: hubs cannot be exported", busid);
		break;
	default:
		err("could not bind device on busid %s to usbip-host: %s", busid, strerror(-r));
		break;
	}
	return -1;
}

static int bind_one(struct usbip_cli *cli, const char *busid)
{
	return bind_report(busid, usbip_bind(cli->ctx, busid));
}

/* usbip_bind()'s result @r for a device a stored rule covers: bound
 * already, or absent now (usbipd binds it when it appears), is fine. */
static int bind_covered_report(const char *busid, int r)
{
	if (r == -EALREADY) {
		info("device on busid %s is already bound to usbip-host", busid);
		return 0;
	}
	if (r == -ENODEV) {
		info("no device on busid %s now: usbipd binds it when it appears", busid);
		return 0;
	}
	return bind_report(busid, r);
}

static int bind_covered(struct usbip_cli *cli, const char *busid)
{
	return bind_covered_report(busid, usbip_bind(cli->ctx, busid));
}

/* Reports usbip_unbind()'s result @r for @busid; 0 or -1. */
static int unbind_report(const char *busid, int r)
{
	switch (r) {
	case 0:
		info("unbind device on busid %s: complete", busid);
		return 0;
	case -ENODEV:
		err("device with the specified bus ID does not exist");
		break;
	case -EINVAL:
		err("device is not bound to usbip-host driver");
		break;
	default:
		err("could not unbind device on busid %s: %s", busid, strerror(-r));
		break;
	}
	return -1;
}

static int unbind_one(struct usbip_cli *cli, const char *busid)
{
	return unbind_report(busid, usbip_unbind(cli->ctx, busid));
}

/* unbind --persist, the rule removed: not bound (or gone) is what was asked. */
static int unbind_uncovered(struct usbip_cli *cli, const char *busid)
{
	int r = usbip_unbind(cli->ctx, busid);

	if (r == -ENODEV || r == -EINVAL) {
		info("device on busid %s is not bound to usbip-host", busid);
		return 0;
	}
	return unbind_report(busid, r);
}

/*
 * Runs @one on the device @sel names among the local ones, or on each with
 * --all.  Every device gets the messages of -b; the result is -1 when any
 * failed.  With @persist, the stored rule covers every match, now or later:
 * each is acted on, and none present now is no error.
 */
static int run_selected(struct usbip_cli *cli, const struct usbip_selector *sel, bool all,
			bool persist, int (*one)(struct usbip_cli *cli, const char *busid))
{
	struct select_match *m;
	char shown[SELECT_SHOWN_SIZE];
	int n = select_local(cli->ctx, sel, &m), r = 0;

	if (n < 0)
		return -1;
	if (n == 0 && persist) {
		info("no device matches %s now", select_shown(sel, shown, sizeof(shown)));
		return 0;
	}
	if (n == 0) {
		err("no device matches %s (usbip list -l shows the devices with their ids)",
		    select_shown(sel, shown, sizeof(shown)));
		return -1;
	}
	if (n > 1 && !all && !persist) {
		select_report_many(cli->ctx, sel, m, (size_t)n, true);
		free(m);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (one(cli, m[i].busid) < 0)
			r = -1;
	free(m);
	return r;
}

static int bind_run(struct usbip_cli *cli, int argc, char *argv[])
{
	struct usbip_selector sel = { 0 };
	bool all = false, persist = false;
	int r = parse_args(argc, argv, bind_usage, &sel, &all, &persist);

	if (r <= 0)
		return r;
	/* -b alone acts as it always did, device or not. */
	if (!select_wanted(&sel)) {
		r = usbip_bind(cli->ctx, sel.busid);
		/* A hub, an interface, a device behind vhci_hcd: no rule either. */
		if (!persist || (r < 0 && r != -ENODEV && r != -EALREADY))
			return bind_report(sel.busid, r);
		if (persist_add(cli, &sel) < 0)
			return -1;
		return bind_covered_report(sel.busid, r);
	}
	if (!persist)
		return run_selected(cli, &sel, all, false, bind_one);
	if (persist_add(cli, &sel) < 0)
		return -1;
	return run_selected(cli, &sel, all, true, bind_covered);
}

static int unbind_run(struct usbip_cli *cli, int argc, char *argv[])
{
	struct usbip_selector sel = { 0 };
	bool all = false, persist = false;
	int rc = 0, r = parse_args(argc, argv, unbind_usage, &sel, &all, &persist);

	if (r <= 0)
		return r;
	if (!select_wanted(&sel)) {
		if (!persist)
			return unbind_one(cli, sel.busid);
		/* The rule goes first, so usbipd does not bind the device again. */
		if ((rc = persist_remove(cli, &sel)) == -1)
			return -1;
		return unbind_uncovered(cli, sel.busid) < 0 ? -1 : rc;
	}
	if (!persist)
		return run_selected(cli, &sel, all, false, unbind_one);
	if ((rc = persist_remove(cli, &sel)) == -1)
		return -1;
	return run_selected(cli, &sel, all, true, unbind_uncovered) < 0 ? -1 : rc;
}

const struct usbip_command cmd_bind = {
	"bind", bind_run, "Bind device to usbip-host.ko", bind_usage,
};
const struct usbip_command cmd_unbind = {
	"unbind", unbind_run, "Unbind device from usbip-host.ko", unbind_usage,
};

// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip bind / unbind: hand a device to usbip-host or give it back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "usbip.h"

static void bind_usage(void)
{
	printf("usage: usbip bind <args>\n"
	       "    -b, --busid=<busid>    Bind usbip-host.ko to device on <busid>\n");
}

static void unbind_usage(void)
{
	printf("usage: usbip unbind <args>\n"
	       "    -b, --busid=<busid>    Unbind usbip-host.ko from device on <busid>\n");
}

enum { OPT_PERSIST = 256 };

/* Parses -b/--busid and --persist (persist.c); returns the bus id, or NULL
 * after printing usage. */
static const char *parse_busid(int argc, char *argv[], void (*usage)(void), int *rc,
			       bool *persist)
{
	static const struct option opts[] = {
		{ "busid", required_argument, NULL, 'b' },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *busid = NULL;
	int opt;

	*rc = -1;
	while ((opt = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			/* The first -b wins and, as always, every option after it
			 * is ignored, but for --persist. */
			if (!busid)
				busid = optarg;
			break;
		case OPT_PERSIST:
			*persist = true;
			break;
		case 'h':
			if (busid)
				break;
			*rc = 0;
			usage();
			return NULL;
		default:
			if (busid)
				break;
			usage();
			return NULL;
		}
	}
	if (busid)
		return busid;
	usage();
	return NULL;
}

static int bind_run(struct usbip_cli *cli, int argc, char *argv[])
{
	bool persist = false;
	int rc, r;
	const char *busid = parse_busid(argc, argv, bind_usage, &rc, &persist);

	if (!busid)
		return rc;
	if (!cli_busid_ok(busid))
		return -1;
	r = usbip_bind(cli->ctx, busid);
	if (persist && (rc = persist_after_bind(cli, busid, r)) <= 0)
		return rc;
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

static int unbind_run(struct usbip_cli *cli, int argc, char *argv[])
{
	bool persist = false;
	int rc, r;
	const char *busid = parse_busid(argc, argv, unbind_usage, &rc, &persist);

	if (!busid)
		return rc;
	if (!cli_busid_ok(busid))
		return -1;
	if (persist) {
		rc = persist_before_unbind(cli, busid);
		if (rc == -1)
			return -1;
	}
	r = usbip_unbind(cli->ctx, busid);
	/* The rule is gone: a device absent or not bound is what was asked. */
	if (persist && (r == -ENODEV || r == -EINVAL)) {
		info("device on busid %s is not bound to usbip-host", busid);
		return rc;
	}
	switch (r) {
	case 0:
		info("unbind device on busid %s: complete", busid);
		return persist ? rc : 0;
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

const struct usbip_command cmd_bind = {
	"bind", bind_run, "Bind device to usbip-host.ko", bind_usage,
};
const struct usbip_command cmd_unbind = {
	"unbind", unbind_run, "Unbind device from usbip-host.ko", unbind_usage,
};

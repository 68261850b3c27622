// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip attach: import a remote device onto a vhci_hcd port. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervise.h"
#include "usbip.h"

static void usage(void)
{
	printf("usage: usbip attach <args>\n"
	       "    -r, --remote=<host>      The machine with exported USB devices\n"
	       "    -b, --busid=<busid>    Busid of the device on <host>\n"
	       "    -d, --device=<devid>    Id of the virtual UDC on <host>\n");
	/* Byte-identical to the reference's (golden suite): --persistent,
	 * --foreground, -i and --serial are in usbip(8). */
}

static int attach(struct usbip_cli *cli, const char *host, const char *busid)
{
	struct usbip_record rec;
	struct usbip_device dev;
	struct usbip_vhci *vhci;
	char shown[ESCAPED_SIZE(USBIP_BUSID_SIZE)];
	int fd, r, port;

	/* Open vhci first: importing a device we cannot attach would leave it
	 * marked in use on the server until the connection times out. */
	r = usbip_vhci_open(cli->ctx, &vhci);
	if (r < 0) {
		err("open vhci_driver (is vhci_hcd loaded?)");
		return -1;
	}
	fd = cli_connect(cli, host);
	if (fd < 0) {
		usbip_vhci_close(vhci);
		return -1;
	}
	r = usbip_request_import(cli->ctx, fd, busid, usbip_now_ms() + cli->timeout_ms, &dev);
	if (r < 0) {
		err("Attach Request for %s failed - %s", escape_text(shown, sizeof(shown), busid),
		    usbip_strerror(r));
		goto fail;
	}
	port = usbip_vhci_attach(vhci, fd, dev.busnum << 16 | (dev.devnum & 0xffff), dev.speed);
	if (port < 0) {
		if (port == -EBUSY)
			err("no free port on vhci_hcd for a %s device", usbip_speed_str(dev.speed));
		else
			err("import device: %s", strerror(-port));
		goto fail;
	}
	close(fd);
	usbip_vhci_close(vhci);

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.host, sizeof(rec.host), "%s", host);
	snprintf(rec.service, sizeof(rec.service), "%s", cli->port);
	snprintf(rec.busid, sizeof(rec.busid), "%s", busid);
	r = usbip_record_write(cli->ctx, (uint32_t)port, &rec);
	if (r < 0)
		/* The device is attached; only `usbip port` will lack its origin. */
		err("record connection for port %d in %s: %s", port,
		    usbip_get_state_dir(cli->ctx), strerror(-r));
	dbg("attached %s from %s to port %d", escape_text(shown, sizeof(shown), busid), host,
	    port);
	return 0;
fail:
	close(fd);
	usbip_vhci_close(vhci);
	return -1;
}

enum { OPT_SERIAL = 256, OPT_PERSISTENT, OPT_FOREGROUND };

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "busid", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "hardware-id", required_argument, NULL, 'i' },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "persistent", no_argument, NULL, OPT_PERSISTENT },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL, *busid = NULL;
	struct usbip_selector sel;
	bool persistent = false, foreground = false;
	int opt;

	memset(&sel, 0, sizeof(sel));
	while ((opt = getopt_long(argc, argv, "r:b:d:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			host = optarg;
			break;
		case 'b':
		case 'd':
			busid = optarg;
			break;
		case 'i':
			if (usbip_hardware_id_parse(optarg, &sel.vendor, &sel.product) < 0) {
				err("invalid hardware id '%s': expected VID:PID in hex, such as "
				    "0781:5567", optarg);
				return -1;
			}
			sel.has_ids = true;
			break;
		case OPT_SERIAL:
			if (strlen(optarg) >= sizeof(sel.serial)) {
				err("serial number too long: at most %zu bytes", sizeof(sel.serial) - 1);
				return -1;
			}
			snprintf(sel.serial, sizeof(sel.serial), "%s", optarg);
			break;
		case OPT_PERSISTENT:
			persistent = true;
			break;
		case OPT_FOREGROUND:
			foreground = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	if (!host || (!busid && !sel.has_ids && !sel.serial[0])) {
		usage();
		return -1;
	}
	if (busid && !cli_busid_ok(busid))
		return -1;
	if (!persistent) {
		if (foreground || !busid || sel.has_ids || sel.serial[0]) {
			err("--foreground, -i and --serial go with --persistent");
			return -1;
		}
		return attach(cli, host, busid);
	}
	if (busid)
		snprintf(sel.busid, sizeof(sel.busid), "%s", busid);
	return supervise_attach(cli, host, &sel, foreground);
}

const struct usbip_command cmd_attach = {
	"attach", run, "Attach a remote USB device", usage,
};

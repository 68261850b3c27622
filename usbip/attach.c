// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip attach: import a remote device onto a vhci_hcd port. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "usbip.h"

static void usage(void)
{
	printf("usage: usbip attach <args>\n"
	       "    -r, --remote=<host>      The machine with exported USB devices\n"
	       "    -b, --busid=<busid>    Busid of the device on <host>\n"
	       "    -d, --device=<devid>    Id of the virtual UDC on <host>\n");
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

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "busid", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL, *busid = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "r:b:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			host = optarg;
			break;
		case 'b':
		case 'd':
			busid = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	if (!host || !busid) {
		usage();
		return -1;
	}
	if (!cli_busid_ok(busid))
		return -1;
	return attach(cli, host, busid);
}

const struct usbip_command cmd_attach = {
	"attach", run, "Attach a remote USB device", usage,
};

// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip detach: release an imported device from its vhci_hcd port. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervise.h"
#include "usbip.h"

static void usage(void)
{
	printf("usage: usbip detach <args>\n"
	       "    -p, --port=<port>    vhci_hcd port the device is on\n");
}

static int detach(struct usbip_cli *cli, const char *arg)
{
	const struct usbip_vhci_port *ports;
	const struct usbip_vhci_port *p = NULL;
	struct usbip_vhci *vhci;
	unsigned long port;
	size_t n;
	int r;

	if (!*arg || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 9) {
		err("invalid port %s", arg);
		return -1;
	}
	port = strtoul(arg, NULL, 10);
	/* A user's detach ends the supervision first: a supervisor never
	 * fights it by attaching again. */
	if (port <= UINT32_MAX)
		supervisor_stop_port(cli->ctx, (uint32_t)port);
	r = usbip_vhci_open(cli->ctx, &vhci);
	if (r < 0) {
		err("open vhci_driver (is vhci_hcd loaded?)");
		return -1;
	}
	ports = usbip_vhci_ports(vhci, &n);
	for (size_t i = 0; i < n; i++)
		if (ports[i].port == port)
			p = &ports[i];
	if (!p) {
		err("Invalid port %s > maxports %zu", arg, usbip_vhci_nports(vhci));
		r = -1;
		goto out;
	}
	if (p->status == USBIP_VDEV_ST_NULL) {
		info("Port %lu is already detached!", port);
		r = 0;
		goto out;
	}
	cli_tls_note(cli, (uint32_t)port, NULL, false);
	usbip_record_remove(cli->ctx, (uint32_t)port);
	r = usbip_vhci_detach(vhci, (uint32_t)port);
	if (r < 0) {
		err("Port %lu detach request failed!", port);
		r = -1;
		goto out;
	}
	info("Port %lu is now detached!", port);
out:
	usbip_vhci_close(vhci);
	return r;
}

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			return detach(cli, optarg);
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	usage();
	return -1;
}

const struct usbip_command cmd_detach = {
	"detach", run, "Detach a remote USB device", usage,
};

// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip port: list the devices imported on this machine. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usbip.h"

static void show_port(struct usbip_cli *cli, struct usbip_vhci *vhci,
		      const struct usbip_vhci_port *p)
{
	struct usbip_record rec;
	uint16_t vendor = 0, product = 0;
	uint32_t speed = 0;
	char name[512], host[ESCAPED_SIZE(sizeof(rec.host))];
	char service[ESCAPED_SIZE(sizeof(rec.service))], busid[ESCAPED_SIZE(sizeof(rec.busid))];
	int r;

	if (usbip_vhci_port_device(vhci, p, &speed, &vendor, &product) < 0)
		dbg("port %u: local device %s not found", p->port, p->local_busid);
	printf("Port %02u: <%s> at %s\n", p->port, usbip_dev_status_str(p->status),
	       usbip_speed_str(speed));
	printf("       %s\n", usbip_names_product(cli->ctx, name, sizeof(name), vendor, product));
	r = usbip_record_read(cli->ctx, p->port, &rec);
	if (r == 0) {
		/* The record holds what the user and the server gave at attach. */
		printf("%10s -> usbip://%s:%s/%s\n", p->local_busid,
		       escape_text(host, sizeof(host), rec.host),
		       escape_text(service, sizeof(service), rec.service),
		       escape_text(busid, sizeof(busid), rec.busid));
	} else {
		printf("%10s -> unknown host, remote port and remote busid\n", p->local_busid);
		err("read_record: %s/port%u: %s", usbip_get_state_dir(cli->ctx), p->port,
		    r == -EBADMSG ? "not a valid record" : strerror(-r));
	}
	printf("%10s -> remote bus/dev %03u/%03u\n", "", p->devid >> 16, p->devid & 0xffff);
}

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	const struct usbip_vhci_port *ports;
	struct usbip_vhci *vhci;
	size_t n;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: usbip port\n");
		return 0;
	}
	if (usbip_vhci_open(cli->ctx, &vhci) < 0) {
		err("open vhci_driver (is vhci_hcd loaded?)");
		err("list imported devices");
		return -1;
	}
	printf("Imported USB devices\n");
	printf("====================\n");
	ports = usbip_vhci_ports(vhci, &n);
	for (size_t i = 0; i < n; i++)
		if (ports[i].status != USBIP_VDEV_ST_NULL &&
		    ports[i].status != USBIP_VDEV_ST_NOTASSIGNED)
			show_port(cli, vhci, &ports[i]);
	usbip_vhci_close(vhci);
	return 0;
}

const struct usbip_command cmd_port = {
	"port", run, "Show imported USB devices", NULL,
};

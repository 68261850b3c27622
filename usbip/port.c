// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip port: list the devices imported on this machine. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "supervise.h"
#include "usbip.h"
#include "util/ident.h"

#define MAX_SUPERVISORS 64

/* Lines added only where a supervisor exists: without one the output is
 * the reference's, byte for byte. */
static void show_supervisor(const struct supervisor_info *s, bool with_origin)
{
	char state[128], host[ESCAPED_SIZE(sizeof(s->host))];
	char service[ESCAPED_SIZE(sizeof(s->service))], sel[ESCAPED_SIZE(sizeof(s->selector))];

	supervisor_state_str(s, state, sizeof(state));
	if (with_origin)
		printf("       usbip://%s:%s %s supervised by usbip attach --persistent (pid %ld): "
		       "%s\n", escape_text(host, sizeof(host), s->host),
		       escape_text(service, sizeof(service), s->service),
		       escape_text(sel, sizeof(sel), s->selector), (long)s->pid, state);
	else
		printf("       supervised by usbip attach --persistent (pid %ld): %s\n",
		       (long)s->pid, state);
}

static void show_port(struct usbip_cli *cli, struct usbip_vhci *vhci,
		      const struct usbip_vhci_port *p, const struct supervisor_info *sups,
		      int nsups, bool *shown)
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
		/* Only for TLS ports: plaintext output stays the reference's. */
		if (cli_tls_noted(cli, p->port, &rec))
			printf("%10s    encrypted: TLS, in the kernel\n", "");
	} else {
		printf("%10s -> unknown host, remote port and remote busid\n", p->local_busid);
		err("read_record: %s/port%u: %s", usbip_get_state_dir(cli->ctx), p->port,
		    r == -EBADMSG ? "not a valid record" : strerror(-r));
	}
	printf("%10s -> remote bus/dev %03u/%03u\n", "", p->devid >> 16, p->devid & 0xffff);
	for (int i = 0; i < nsups; i++)
		if (sups[i].port == (int)p->port && sups[i].state == SUP_ATTACHED) {
			show_supervisor(&sups[i], false);
			shown[i] = true;
		}
}

/* A supervisor in port --json: in its port's "supervisors", or in
 * "supervised" (not attached now), with where it attaches from. */
static void json_supervisor(JsonBuilder *b, const struct supervisor_info *s)
{
	char state[128];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "pid");
	json_builder_add_int_value(b, s->pid);
	json_add_text(b, "host", s->host);
	json_add_text(b, "port", s->service);
	json_add_text(b, "selector", s->selector);
	json_add_text(b, "state", supervisor_state_str(s, state, sizeof(state)));
	json_builder_end_object(b);
}

/* One used vhci port of port --json (usbip-json(7)): what show_port prints. */
static void json_port(struct usbip_cli *cli, JsonBuilder *b, struct usbip_vhci *vhci,
		      const struct usbip_vhci_port *p, const struct supervisor_info *sups,
		      int nsups, bool *shown)
{
	struct usbip_record rec;
	struct local_ident li;
	uint16_t vendor = 0, product = 0;
	uint32_t speed = 0;
	bool local = usbip_vhci_port_device(vhci, p, &speed, &vendor, &product) == 0;
	char vid[8], pid[8];
	int r;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "port");
	json_builder_add_int_value(b, p->port);
	json_add_text(b, "status", p->status == USBIP_VDEV_ST_USED ? "used" :
		      p->status == USBIP_VDEV_ST_ERROR ? "error" : "unknown");
	json_add_speed(b, speed);
	json_add_ids(b, cli->ctx, vendor, product);
	/* The imported device is a local one too: its serial is in sysfs. */
	snprintf(vid, sizeof(vid), "%04x", vendor);
	snprintf(pid, sizeof(pid), "%04x", product);
	json_add_text(b, "serial", local && local_ident_get(cli->ctx, p->local_busid, vid, pid,
							    &li) == 0 ? li.id.serial : NULL);
	json_add_text(b, "local_busid", p->local_busid);
	json_builder_set_member_name(b, "record");
	r = usbip_record_read(cli->ctx, p->port, &rec);
	if (r == 0) {
		json_builder_begin_object(b);
		json_add_text(b, "host", rec.host);
		json_add_text(b, "port", rec.service);
		json_add_text(b, "busid", rec.busid);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	/* As the text's "encrypted" line: the note must match the record. */
	json_builder_set_member_name(b, "tls");
	json_builder_add_boolean_value(b, r == 0 && cli_tls_noted(cli, p->port, &rec));
	if (r < 0) {
		err("read_record: %s/port%u: %s", usbip_get_state_dir(cli->ctx), p->port,
		    r == -EBADMSG ? "not a valid record" : strerror(-r));
	}
	json_builder_set_member_name(b, "remote_busnum");
	json_builder_add_int_value(b, p->devid >> 16);
	json_builder_set_member_name(b, "remote_devnum");
	json_builder_add_int_value(b, p->devid & 0xffff);
	json_builder_set_member_name(b, "supervisors");
	json_builder_begin_array(b);
	for (int i = 0; i < nsups; i++)
		if (sups[i].port == (int)p->port && sups[i].state == SUP_ATTACHED) {
			json_supervisor(b, &sups[i]);
			shown[i] = true;
		}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static struct supervisor_info sups[MAX_SUPERVISORS];
	bool shown[MAX_SUPERVISORS] = { false };
	const struct usbip_vhci_port *ports;
	struct usbip_vhci *vhci;
	int nsups;
	size_t n;

	JsonBuilder *b = NULL;
	bool json = false;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: usbip port [--json]\n" JSON_USAGE);
		return 0;
	}
	/* Other arguments are ignored, as by the kernel's tool. */
	for (int i = 1; i < argc; i++)
		json |= strcmp(argv[i], "--json") == 0;
	if (usbip_vhci_open(cli->ctx, &vhci) < 0) {
		err("open vhci_driver (is vhci_hcd loaded?)");
		err("list imported devices");
		return -1;
	}
	nsups = supervisor_list(cli->ctx, sups, MAX_SUPERVISORS);
	if (nsups < 0)
		nsups = 0;
	ports = usbip_vhci_ports(vhci, &n);
	if (json) {
		b = json_doc_new("port");
		json_builder_set_member_name(b, "ports");
		json_builder_begin_array(b);
	} else {
		printf("Imported USB devices\n");
		printf("====================\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (ports[i].status == USBIP_VDEV_ST_NULL ||
		    ports[i].status == USBIP_VDEV_ST_NOTASSIGNED)
			continue;
		if (b)
			json_port(cli, b, vhci, &ports[i], sups, nsups, shown);
		else
			show_port(cli, vhci, &ports[i], sups, nsups, shown);
	}
	usbip_vhci_close(vhci);
	if (b) {
		json_builder_end_array(b);
		json_builder_set_member_name(b, "supervised");
		json_builder_begin_array(b);
		for (int i = 0; i < nsups; i++)
			if (!shown[i])
				json_supervisor(b, &sups[i]);
		json_builder_end_array(b);
		return json_doc_print(b);
	}
	/* Supervisors between two attachments: no port to show them under. */
	for (int i = 0, header = 0; i < nsups; i++) {
		if (shown[i])
			continue;
		if (!header++)
			printf("Supervised, not attached now\n");
		show_supervisor(&sups[i], true);
	}
	return 0;
}

const struct usbip_command cmd_port = {
	"port", run, "Show imported USB devices", NULL,
};

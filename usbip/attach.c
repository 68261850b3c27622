// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip attach: import a remote device onto a vhci_hcd port. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervise.h"
#include "usbip.h"

static void usage(void)
{
	printf("usage: usbip attach <args>\n"
	       "    -r, --remote=<host>      The machine with exported USB devices\n"
	       "    -b, --busid=<busid>    Busid of the device on <host>\n"
	       "    -d, --device=<devid>    Id of the virtual UDC on <host>\n"
	       SELECT_USAGE
	       "        --persistent          Keep it attached (usbip(8), PERSISTENT ATTACH)\n"
	       "        --foreground          With --persistent: supervise in the foreground\n"
	       "        --discover            From any server found over mDNS that has the device\n");
}

/*
 * Imports @busid from @host onto a free port of @vhci.  Returns the port,
 * or -1 after logging why not.
 */
static int import(struct usbip_cli *cli, struct usbip_vhci *vhci, const char *host,
		  const char *busid)
{
	struct usbip_device dev;
	char shown[ESCAPED_SIZE(USBIP_BUSID_SIZE)];
	int fd, r, port;

	fd = cli_connect(cli, host);
	if (fd < 0)
		return -1;
	r = usbip_request_import(cli->ctx, fd, busid, usbip_now_ms() + cli->timeout_ms, &dev);
	if (r < 0) {
		err("Attach Request for %s failed - %s", escape_text(shown, sizeof(shown), busid),
		    usbip_strerror(r));
		close(fd);
		return -1;
	}
	port = usbip_vhci_attach(vhci, fd, cli_devid(&dev), dev.speed);
	/* On success the kernel holds its own reference to the socket. */
	close(fd);
	if (port < 0) {
		if (port == -EBUSY)
			err("no free port on vhci_hcd for a %s device", usbip_speed_str(dev.speed));
		else
			err("import device: %s", strerror(-port));
		return -1;
	}
	return port;
}

void attach_record(struct usbip_cli *cli, int port, const char *host, const char *busid)
{
	struct usbip_record rec;
	char shown[ESCAPED_SIZE(USBIP_BUSID_SIZE)];
	int r;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.host, sizeof(rec.host), "%s", host);
	snprintf(rec.service, sizeof(rec.service), "%s", cli->port);
	snprintf(rec.busid, sizeof(rec.busid), "%s", busid);
	r = usbip_record_write(cli->ctx, (uint32_t)port, &rec);
	/* Also when plaintext: a note of an earlier attachment must go. */
	cli_tls_note(cli, (uint32_t)port, &rec, r == 0 && cli->tls_ca);
	if (r < 0)
		/* The device is attached; only `usbip port` will lack its origin. */
		err("record connection for port %d in %s: %s", port,
		    usbip_get_state_dir(cli->ctx), strerror(-r));
	dbg("attached %s from %s to port %d", escape_text(shown, sizeof(shown), busid), host,
	    port);
}

/* Opens vhci_hcd, logging the failure as the kernel's tool does. */
static struct usbip_vhci *open_vhci(struct usbip_cli *cli)
{
	struct usbip_vhci *vhci;

	if (usbip_vhci_open(cli->ctx, &vhci) < 0) {
		err("open vhci_driver (is vhci_hcd loaded?)");
		return NULL;
	}
	return vhci;
}

static int attach(struct usbip_cli *cli, const char *host, const char *busid)
{
	/* Open vhci first: importing a device we cannot attach would leave it
	 * marked in use on the server until the connection times out. */
	struct usbip_vhci *vhci = open_vhci(cli);
	int port;

	if (!vhci)
		return -1;
	port = import(cli, vhci, host, busid);
	usbip_vhci_close(vhci);
	if (port < 0)
		return -1;
	attach_record(cli, port, host, busid);
	return 0;
}

/* How long an imported device may take to show up in sysfs (enumeration by
 * the kernel, then udev) before its serial number can be read. */
#define ENUMERATE_WAIT_MS 5000
#define ENUMERATE_POLL_US 100000

/*
 * The serial number of the device imported on @port ("" when it has none),
 * once the kernel has enumerated it: the port's local bus id in the vhci
 * status, then that device in sysfs.  Returns 0, -ETIMEDOUT when it did not
 * appear in ENUMERATE_WAIT_MS, -ENODEV when the port was released
 * meanwhile, or -ENAMETOOLONG.
 */
static int imported_serial(struct usbip_cli *cli, struct usbip_vhci *vhci, int port,
			   char serial[USBIP_SERIAL_SIZE])
{
	int64_t end = usbip_now_ms() + ENUMERATE_WAIT_MS;
	char path[USBIP_PATH_SIZE];
	bool taken = false;

	for (;;) {
		const struct usbip_vhci_port *ports;
		size_t n;

		if (usbip_vhci_refresh(vhci) == 0) {
			ports = usbip_vhci_ports(vhci, &n);
			for (size_t i = 0; i < n; i++) {
				const struct usbip_vhci_port *p = &ports[i];
				int r;

				if (p->port != (uint32_t)port)
					continue;
				/* Free again after it was taken: the connection
				 * ended.  (Free before that: the kernel has not
				 * shown our attach yet.) */
				if (p->status == USBIP_VDEV_ST_NULL) {
					if (taken)
						return -ENODEV;
					break;
				}
				taken = true;
				/* "0-0" until the kernel has enumerated the device. */
				if (!p->local_busid[0] || !strcmp(p->local_busid, "0-0"))
					break;
				r = usbip_local_ident(cli->ctx, p->local_busid, serial, path);
				if (r != -ENODEV)
					return r;
				break;
			}
		}
		if (usbip_now_ms() >= end)
			return -ETIMEDOUT;
		usleep(ENUMERATE_POLL_US);
	}
}

/* Detaches @port again after a wrong device was imported on it. */
static void release(struct usbip_vhci *vhci, int port)
{
	int r = usbip_vhci_detach(vhci, (uint32_t)port);

	if (r < 0)
		err("detach port %d again: %s (usbip detach -p %d)", port, strerror(-r), port);
}

/*
 * Attaches one of the @n (> 0) candidates @cands (freed here) that @host
 * listed for @sel, as attach_selected() describes.  Returns the vhci port;
 * -ENODEV when none of them could be imported or had the serial asked for
 * (another server may have it); -1 when the choice is the user's (several
 * candidates without --serial) or vhci_hcd is not there.  Logs why not.
 */
static int attach_candidates(struct usbip_cli *cli, const char *host,
			     const struct usbip_selector *sel, struct usbip_devlist *cands,
			     int n)
{
	struct usbip_vhci *vhci;
	char shown[SELECT_SHOWN_SIZE], host_shown[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];
	char busid[ESCAPED_SIZE(USBIP_BUSID_SIZE)], serial[USBIP_SERIAL_SIZE];
	char serial_shown[ESCAPED_SIZE(USBIP_SERIAL_SIZE)];
	int port = -1;

	escape_text(host_shown, sizeof(host_shown), host);
	/* Without a serial, the server's list decides alone. */
	if (n > 1 && !sel->serial[0]) {
		struct select_match *m = calloc((size_t)n, sizeof(*m));

		if (m) {
			for (int i = 0; i < n; i++) {
				memcpy(m[i].busid, cands->devs[i].busid, sizeof(m[i].busid));
				m[i].vendor = cands->devs[i].idVendor;
				m[i].product = cands->devs[i].idProduct;
			}
			select_report_many(cli->ctx, sel, m, (size_t)n, false);
			free(m);
		} else {
			err("%d devices on %s match %s: add -b BUSID to choose one", n,
			    host_shown, select_shown(sel, shown, sizeof(shown)));
		}
		usbip_devlist_free(cands);
		return -1;
	}
	vhci = open_vhci(cli);
	if (!vhci) {
		usbip_devlist_free(cands);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *b = cands->devs[i].busid;
		int r;

		port = import(cli, vhci, host, b);
		if (port < 0)
			continue;
		/* The server's list has no serial numbers: the imported device
		 * tells its own. */
		r = sel->serial[0] ? imported_serial(cli, vhci, port, serial) : 0;
		if (!sel->serial[0] || (r == 0 && !strcmp(serial, sel->serial))) {
			attach_record(cli, port, host, b);
			break;
		}
		escape_text(busid, sizeof(busid), b);
		if (r < 0)
			info("%s from %s on port %d: no serial number to compare (%s): detaching it",
			     busid, host_shown, port,
			     r == -ETIMEDOUT ? "not enumerated in time" : strerror(-r));
		else
			info("%s from %s has serial %s, not the one asked for: detaching it",
			     busid, host_shown,
			     serial[0] ? escape_text(serial_shown, sizeof(serial_shown), serial)
				       : "(none)");
		/* A port the kernel freed already needs no detach. */
		if (r != -ENODEV)
			release(vhci, port);
		port = -1;
	}
	usbip_vhci_close(vhci);
	if (port < 0) {
		err("no device on %s that matches %s could be attached (%d tried)",
		    host_shown, select_shown(sel, shown, sizeof(shown)), n);
		port = -ENODEV;
	}
	usbip_devlist_free(cands);
	return port;
}

int attach_selected(struct usbip_cli *cli, const char *host, const struct usbip_selector *sel)
{
	struct usbip_devlist cands;
	char shown[SELECT_SHOWN_SIZE], host_shown[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];
	int n, port;

	n = select_remote(cli, host, cli->port, cli->timeout_ms, sel, &cands);
	if (n < 0)
		return -1;
	if (n == 0) {
		escape_text(host_shown, sizeof(host_shown), host);
		err("no exportable device on %s matches %s (usbip list -r %s shows them)",
		    host_shown, select_shown(sel, shown, sizeof(shown)), host_shown);
		return -1;
	}
	port = attach_candidates(cli, host, sel, &cands, n);
	return port < 0 ? -1 : port;
}

/* What one server answered attach_search(), for the final message. */
enum search_answer { SEARCH_UNREACHABLE, SEARCH_NO_LIST, SEARCH_NO_MATCH, SEARCH_NOT_ATTACHED };

int attach_search(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		  const struct usbip_selector *sel)
{
	static const char *const said[] = {
		[SEARCH_UNREACHABLE] = "not reachable",
		[SEARCH_NO_LIST] = "no device list",
		[SEARCH_NO_MATCH] = "no match",
		[SEARCH_NOT_ATTACHED] = "matches, none could be attached",
	};
	enum search_answer *answer;
	char shown[SELECT_SHOWN_SIZE], name[CLI_SERVER_SHOWN_SIZE];
	size_t i;
	int port = -1;

	select_shown(sel, shown, sizeof(shown));
	if (!n) {
		err("no server to ask for %s: give -r HOST", shown);
		return -1;
	}
	/* The per-server copies of @cli below share its TLS credentials. */
	if (cli->tls_ca && cli_tls_prepare(cli) < 0)
		return -1;
	answer = calloc(n, sizeof(*answer));
	if (!answer) {
		err("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* The server's own port goes to the connections and the record. */
		struct usbip_cli one = *cli;
		struct usbip_devlist cands;
		bool connected;
		int found;

		one.port = srv[i].port;
		cli_server_shown(&srv[i], name, sizeof(name));
		dbg("asking %s for %s", name, shown);
		found = select_candidates(cli, srv[i].host, srv[i].port, cli->timeout_ms,
					  sel, &cands, &connected);
		if (found < 0) {
			/* One server down must not stop the search. */
			warn("%s: %s %s", name, connected ? "could not get the device list:" :
			     "could not connect:", usbip_strerror(found));
			answer[i] = connected ? SEARCH_NO_LIST : SEARCH_UNREACHABLE;
			continue;
		}
		if (!found) {
			dbg("%s has no device that matches %s", name, shown);
			answer[i] = SEARCH_NO_MATCH;
			continue;
		}
		port = attach_candidates(&one, srv[i].host, sel, &cands, found);
		if (port != -ENODEV)
			break;
		answer[i] = SEARCH_NOT_ATTACHED;
		port = -1;
	}
	if (i == n) {
		err("no device that matches %s could be attached from the %zu server%s asked:",
		    shown, n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			err("    %s: %s", cli_server_shown(&srv[i], name, sizeof(name)),
			    said[answer[i]]);
	}
	free(answer);
	return port < 0 ? -1 : port;
}

/*
 * attach --discover: the servers found over mDNS/DNS-SD, searched in the
 * order discovery gives them, as attach -i searches the configured ones.
 */
static int attach_discovered(struct usbip_cli *cli, const struct usbip_selector *sel)
{
	struct cli_server *srv;
	char shown[SELECT_SHOWN_SIZE];
	int n = discover_servers(cli, discover_timeout(cli), &srv), port;

	if (n < 0)
		return -1;
	if (!n) {
		err("no USB/IP server found over mDNS/DNS-SD for %s (is usbipd running with "
		    "mDNS on, on this network?); give -r HOST", select_shown(sel, shown, sizeof(shown)));
		return -1;
	}
	port = attach_search(cli, srv, (size_t)n, sel);
	free(srv);
	return port;
}

enum { OPT_PERSISTENT = OPT_ALL + 1, OPT_FOREGROUND, OPT_DISCOVER };

static int run(struct usbip_cli *cli, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "busid", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		SELECT_OPTIONS,
		{ "persistent", no_argument, NULL, OPT_PERSISTENT },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "discover", no_argument, NULL, OPT_DISCOVER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct usbip_selector sel = { 0 };
	const char *host = NULL, *busid = NULL;
	bool persistent = false, foreground = false, discover = false;
	int opt;

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
		case OPT_SERIAL:
			if (!select_option(&sel, opt, optarg))
				return -1;
			break;
		case OPT_PERSISTENT:
			persistent = true;
			break;
		case OPT_FOREGROUND:
			foreground = true;
			break;
		case OPT_DISCOVER:
			discover = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return -1;
		}
	}
	if (discover) {
		if (host || persistent || (!busid && !select_wanted(&sel))) {
			err("--discover takes -b, -i or --serial, and neither -r nor --persistent");
			return -1;
		}
		if (busid && !select_busid(&sel, busid))
			return -1;
		return attach_discovered(cli, &sel) < 0 ? -1 : 0;
	}
	if (!select_wanted(&sel) && (!host || !busid)) {
		usage();
		return -1;
	}
	/* Without -r a selector searches the configured servers. */
	if (!host && !cli->nservers) {
		usage();
		err("no server to search: give -r HOST, or list the servers in %s "
		    "([client] servers=, usbip.conf(5))",
		    cli->config_file ? cli->config_file : cli_config_path(NULL));
		return -1;
	}
	if (busid && !cli_busid_ok(busid))
		return -1;
	if (busid && select_wanted(&sel) && !select_busid(&sel, busid))
		return -1;
	if (!persistent) {
		if (foreground) {
			err("--foreground goes with --persistent");
			return -1;
		}
		if (!host)
			return attach_search(cli, cli->servers, cli->nservers, &sel) < 0 ? -1 : 0;
		if (select_wanted(&sel))
			return attach_selected(cli, host, &sel) < 0 ? -1 : 0;
		return attach(cli, host, busid);
	}
	/* The supervisor follows one server; which one must not change with
	 * whichever answers first after a reboot. */
	if (!host) {
		err("--persistent needs -r HOST: a persistent attach follows one server and "
		    "does not search the configured ones (usbip attach -i without "
		    "--persistent does)");
		return -1;
	}
	if (busid && !sel.busid[0])
		snprintf(sel.busid, sizeof(sel.busid), "%s", busid);
	return supervise_attach(cli, host, &sel, foreground);
}

const struct usbip_command cmd_attach = {
	"attach", run, "Attach a remote USB device", usage,
};

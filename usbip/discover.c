// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * USB/IP servers found over mDNS/DNS-SD (_usbip._tcp, as usbipd
 * advertises it), through the local avahi-daemon.  usbip has no event loop
 * of its own: Avahi's simple poll runs here until the browser has reported
 * everything it knows and each service found has been resolved, or the
 * time is up.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbip.h"

#ifdef HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>

#define SERVICE_TYPE "_usbip._tcp"
/* Keeps a hostile network from growing the list (and the work) without end. */
#define DISCOVER_MAX 256

/* A found server; @rank: which address to prefer when one server resolves
 * to several (IPv4, then IPv6 global, then link-local). */
struct found {
	struct cli_server srv;
	char name[AVAHI_DOMAIN_NAME_MAX * 2];	/* service name and domain: one server */
	int rank;
};

struct discovery {
	AvahiSimplePoll *poll;
	AvahiClient *client;
	struct found *found;
	size_t n;
	unsigned pending;		/* resolvers not yet answered */
	bool all_for_now;		/* the browser reported the cache */
	bool failed;
};

static void done_check(struct discovery *ds)
{
	if (ds->failed || (ds->all_for_now && ds->pending == 0))
		avahi_simple_poll_quit(ds->poll);
}

/* @a as text connect() understands: link-local IPv6 with "%ifname". */
static int address_text(const AvahiAddress *a, AvahiIfIndex iface, char *out, size_t size)
{
	char addr[AVAHI_ADDRESS_STR_MAX], ifname[IF_NAMESIZE];
	const uint8_t *b = a->data.ipv6.address;

	if (!avahi_address_snprint(addr, sizeof(addr), a))
		return -1;
	if (a->proto == AVAHI_PROTO_INET) {
		snprintf(out, size, "%s", addr);
		return 0;
	}
	/* fe80::/10: meaningless without the interface it was seen on. */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
		if (iface < 0 || !if_indextoname((unsigned)iface, ifname))
			return -1;
		snprintf(out, size, "%s%%%s", addr, ifname);
		return 2;
	}
	snprintf(out, size, "%s", addr);
	return 1;
}

static void add_found(struct discovery *ds, const char *name, const char *domain,
		      const char *host, int rank, uint16_t port)
{
	struct found f = { .rank = rank };
	size_t i;

	snprintf(f.name, sizeof(f.name), "%s.%s", name, domain);
	snprintf(f.srv.host, sizeof(f.srv.host), "%s", host);
	snprintf(f.srv.port, sizeof(f.srv.port), "%u", (unsigned)port);
	for (i = 0; i < ds->n; i++)
		if (!strcmp(ds->found[i].name, f.name))
			break;
	if (i < ds->n) {
		/* Seen on another interface or protocol: keep the better address. */
		if (rank < ds->found[i].rank)
			ds->found[i] = f;
		return;
	}
	if (ds->n >= DISCOVER_MAX) {
		dbg("more than %d servers: ignoring %s", DISCOVER_MAX, host);
		return;
	}
	struct found *grown = realloc(ds->found, (ds->n + 1) * sizeof(*grown));

	if (!grown) {
		err("out of memory");
		ds->failed = true;
		return;
	}
	ds->found = grown;
	ds->found[ds->n++] = f;
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
		       AvahiResolverEvent event, const char *name, const char *type,
		       const char *domain, const char *host_name, const AvahiAddress *a,
		       uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
		       void *data)
{
	struct discovery *ds = data;
	char host[USBIP_RECORD_HOST_MAX];
	int rank;

	if (event == AVAHI_RESOLVER_FOUND && a && port != 0) {
		rank = address_text(a, iface, host, sizeof(host));
		if (rank >= 0) {
			dbg("found %s on %s port %u", name, host, (unsigned)port);
			add_found(ds, name, domain, host, rank, port);
		}
	} else if (event == AVAHI_RESOLVER_FAILURE) {
		/* One server that does not answer does not end the search. */
		dbg("cannot resolve %s: %s", name,
		    avahi_strerror(avahi_client_errno(ds->client)));
	}
	avahi_service_resolver_free(r);
	ds->pending--;
	done_check(ds);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
		      AvahiBrowserEvent event, const char *name, const char *type,
		      const char *domain, AvahiLookupResultFlags flags, void *data)
{
	struct discovery *ds = data;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		if (ds->pending >= DISCOVER_MAX)
			break;
		if (avahi_service_resolver_new(ds->client, iface, proto, name, type, domain,
					       AVAHI_PROTO_UNSPEC, 0, resolve_cb, ds))
			ds->pending++;
		else
			dbg("cannot resolve %s: %s", name,
			    avahi_strerror(avahi_client_errno(ds->client)));
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		ds->all_for_now = true;
		break;
	case AVAHI_BROWSER_FAILURE:
		err("browsing for %s failed: %s", SERVICE_TYPE,
		    avahi_strerror(avahi_client_errno(ds->client)));
		ds->failed = true;
		break;
	default:
		break;
	}
	done_check(ds);
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *data)
{
	struct discovery *ds = data;

	if (state == AVAHI_CLIENT_FAILURE) {
		err("lost avahi-daemon: %s", avahi_strerror(avahi_client_errno(c)));
		ds->failed = true;
		avahi_simple_poll_quit(ds->poll);
	}
}

/* Server order: IPv4 first, then by service name: the same network gives
 * the same list. */
static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = x->rank - y->rank;

	return c ? c : strcmp(x->name, y->name);
}

int discover_servers(struct usbip_cli *cli, int timeout_ms, struct cli_server **out)
{
	struct discovery ds = { 0 };
	AvahiServiceBrowser *browser = NULL;
	int64_t end = usbip_now_ms() + timeout_ms;
	int error = 0, r = -1;

	*out = NULL;
	ds.poll = avahi_simple_poll_new();
	if (!ds.poll) {
		err("out of memory");
		return -1;
	}
	ds.client = avahi_client_new(avahi_simple_poll_get(ds.poll), 0, client_cb, &ds, &error);
	if (!ds.client) {
		if (error == AVAHI_ERR_NO_DAEMON)
			err("cannot discover servers: avahi-daemon is not running (start it: "
			    "systemctl start avahi-daemon), or name the server with -r HOST");
		else
			err("cannot discover servers: avahi-daemon: %s (is it running? is D-Bus?)",
			    avahi_strerror(error));
		goto out;
	}
	browser = avahi_service_browser_new(ds.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
					    SERVICE_TYPE, NULL, 0, browse_cb, &ds);
	if (!browser) {
		err("cannot browse for %s: %s", SERVICE_TYPE,
		    avahi_strerror(avahi_client_errno(ds.client)));
		goto out;
	}
	for (;;) {
		int64_t left = end - usbip_now_ms();
		int it;

		if (left <= 0) {
			/* What was found in time is the answer. */
			dbg("discovery: time is up (%d ms)", timeout_ms);
			break;
		}
		it = avahi_simple_poll_iterate(ds.poll, (int)left);
		if (it != 0) {
			if (it < 0 && errno != EINTR) {
				err("discovery: poll failed: %s", strerror(errno));
				ds.failed = true;
			}
			if (it > 0 || ds.failed)
				break;
		}
	}
	if (ds.failed)
		goto out;
	if (ds.n) {
		qsort(ds.found, ds.n, sizeof(*ds.found), found_cmp);
		*out = calloc(ds.n, sizeof(**out));
		if (!*out) {
			err("out of memory");
			goto out;
		}
		for (size_t i = 0; i < ds.n; i++)
			(*out)[i] = ds.found[i].srv;
	}
	r = (int)ds.n;
out:
	/* Frees the browser and any resolver still waiting. */
	if (ds.client)
		avahi_client_free(ds.client);
	avahi_simple_poll_free(ds.poll);
	free(ds.found);
	return r;
}

#else /* !HAVE_AVAHI */

int discover_servers(struct usbip_cli *cli, int timeout_ms, struct cli_server **out)
{
	*out = NULL;
	err("--discover: mDNS discovery was not built in (configure --with-avahi and "
	    "install libavahi-client-dev); name the server with -r HOST");
	return -1;
}

#endif

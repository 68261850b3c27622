// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNS-SD advertising over mDNS (through avahi-daemon): one _usbip._tcp
 * service on the listening port, named after the host, with TXT records
 * "vers=1.1.1" (the USB/IP protocol version) and "devices=N" (how many
 * devices are exportable now, kept current from the device list's uevents).
 *
 * avahi-daemon is optional at run time: without it usbipd serves as ever,
 * says so once, and advertises as soon as the daemon appears
 * (AVAHI_CLIENT_NO_FAIL keeps the client waiting for it on D-Bus).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbipd.h"
#include "util/log.h"
#include "util/parse.h"

#ifdef HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>

#define SERVICE_TYPE "_usbip._tcp"
/* uevents come in bursts (a bind is several): one TXT update after them. */
#define UPDATE_DELAY_MS 250

struct mdns {
	struct usbipd *d;
	AvahiGLibPoll *poll;
	AvahiClient *client;
	AvahiEntryGroup *group;
	AvahiProtocol proto;
	uint16_t port;
	char *name;			/* avahi_malloc'ed; changes after a collision */
	int devices;			/* in the TXT record; -1: not published yet */
	guint update_source;
	guint retry_source;		/* client_start() again: no D-Bus yet */
	bool said_waiting;		/* "avahi-daemon is not running" logged */
};

static void publish(struct mdns *m);

/* "vers=1.1.1": the protocol version, 0x0111, as USB/IP's documents write it. */
static const char *txt_vers(char *buf, size_t size)
{
	snprintf(buf, size, "vers=%u.%u.%u", USBIP_PROTO_VERSION >> 8,
		 (USBIP_PROTO_VERSION >> 4) & 0xf, USBIP_PROTO_VERSION & 0xf);
	return buf;
}

/* While there is no D-Bus system bus, Avahi cannot even wait for its daemon:
 * usbipd asks again this often. */
#define RETRY_SECONDS 30

static void client_start(struct mdns *m);

static gboolean on_retry(gpointer data)
{
	struct mdns *m = data;

	m->retry_source = 0;
	client_start(m);
	return G_SOURCE_REMOVE;
}

/* The device count as published: "devices=N". */
static int device_count(struct mdns *m)
{
	int n = 0;

	devices_get(m->d->devices, &n);
	return n;
}

static void group_callback(AvahiEntryGroup *g, AvahiEntryGroupState state, void *data)
{
	struct mdns *m = data;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		info("advertising %s as \"%s\" on port %u (mDNS)", SERVICE_TYPE, m->name,
		     (unsigned)m->port);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION: {
		/* Another host uses the name: "host #2", as Avahi's own tools do. */
		char *alt = avahi_alternative_service_name(m->name);

		info("mDNS service name \"%s\" is taken; trying \"%s\"", m->name, alt);
		avahi_free(m->name);
		m->name = alt;
		avahi_entry_group_reset(g);
		publish(m);
		break;
	}
	case AVAHI_ENTRY_GROUP_FAILURE:
		err("mDNS advertising failed: %s",
		    avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
		break;
	default:
		break;
	}
}

/* Adds the service to the (empty) entry group and commits it. */
static void publish(struct mdns *m)
{
	char txt[32], vers[32];
	int r, tries = 0;

	if (!m->group) {
		m->group = avahi_entry_group_new(m->client, group_callback, m);
		if (!m->group) {
			err("mDNS: cannot create an entry group: %s",
			    avahi_strerror(avahi_client_errno(m->client)));
			return;
		}
	}
	if (!avahi_entry_group_is_empty(m->group))
		return;
	if (!m->name)
		m->name = avahi_strdup(avahi_client_get_host_name(m->client));
	m->devices = device_count(m);
	snprintf(txt, sizeof(txt), "devices=%d", m->devices);
	for (;;) {
		r = avahi_entry_group_add_service(m->group, AVAHI_IF_UNSPEC, m->proto, 0, m->name,
						  SERVICE_TYPE, NULL, NULL, m->port,
						  txt_vers(vers, sizeof(vers)), txt, NULL);
		/* Bounded: "host #2" ... "host #100" cannot all be taken but
		 * by a bug or a hostile local publisher. */
		if (r != AVAHI_ERR_COLLISION || ++tries > 100)
			break;
		/* A local service has the name already. */
		char *alt = avahi_alternative_service_name(m->name);

		avahi_free(m->name);
		m->name = alt;
	}
	if (r < 0 || (r = avahi_entry_group_commit(m->group)) < 0) {
		err("mDNS: cannot advertise %s: %s", SERVICE_TYPE, avahi_strerror(r));
		avahi_entry_group_reset(m->group);
	}
}

static void client_callback(AvahiClient *c, AvahiClientState state, void *data)
{
	struct mdns *m = data;

	/* Called from inside avahi_client_new(), before it returned. */
	m->client = c;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (m->said_waiting)
			info("avahi-daemon is running now");
		m->said_waiting = false;
		publish(m);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The host name changes: publish again once it is settled. */
		if (m->group)
			avahi_entry_group_reset(m->group);
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (!m->said_waiting)
			info("avahi-daemon is not running: not advertising over mDNS until it "
			     "starts (--no-mdns turns advertising off)");
		m->said_waiting = true;
		break;
	case AVAHI_CLIENT_FAILURE:
		if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED) {
			/* The daemon went away: wait for the next one. */
			info("avahi-daemon disconnected: advertising again when it is back");
			m->said_waiting = true;
			m->group = NULL;	/* freed with the client */
			avahi_client_free(c);
			m->client = NULL;
			client_start(m);
		} else {
			err("mDNS: %s; not advertising", avahi_strerror(avahi_client_errno(c)));
		}
		break;
	}
}

static void client_start(struct mdns *m)
{
	int error = 0;

	if (avahi_client_new(avahi_glib_poll_get(m->poll), AVAHI_CLIENT_NO_FAIL,
			     client_callback, m, &error))
		return;
	m->client = NULL;
	if (error != AVAHI_ERR_NO_DAEMON) {
		err("mDNS: cannot create an Avahi client: %s; not advertising",
		    avahi_strerror(error));
		return;
	}
	/* No D-Bus system bus: a machine without avahi, which is no error. */
	if (!m->said_waiting)
		info("avahi-daemon is not running (no D-Bus system bus): not advertising over "
		     "mDNS until it starts (--no-mdns turns advertising off)");
	m->said_waiting = true;
	m->retry_source = g_timeout_add_seconds(RETRY_SECONDS, on_retry, m);
}

/* The protocols and the port the listening sockets use. */
static bool listen_scope(struct usbipd *d, AvahiProtocol *proto, uint16_t *port)
{
	unsigned p;
	bool any = d->cfg.listen->len == 0;

	if (!parse_uint(d->cfg.port, 1, 65535, &p)) {
		info("not advertising over mDNS: port %s is not fixed", d->cfg.port);
		return false;
	}
	*port = (uint16_t)p;
	/* Addresses only this host can reach are not worth announcing. */
	for (guint i = 0; i < d->cfg.listen->len; i++) {
		const char *a = g_ptr_array_index(d->cfg.listen, i);
		struct in6_addr a6;
		struct in_addr a4;

		if (inet_pton(AF_INET, a, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
			continue;
		if (inet_pton(AF_INET6, a, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
			continue;
		any = true;
	}
	if (!any) {
		info("not advertising over mDNS: listening on loopback addresses only");
		return false;
	}
	*proto = d->cfg.ipv4 && !d->cfg.ipv6 ? AVAHI_PROTO_INET :
		 d->cfg.ipv6 && !d->cfg.ipv4 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_UNSPEC;
	return true;
}

static void mdns_stop(struct usbipd *d)
{
	struct mdns *m = d->mdns;

	if (!m)
		return;
	if (m->update_source)
		g_source_remove(m->update_source);
	if (m->retry_source)
		g_source_remove(m->retry_source);
	/* Freeing the client frees its groups, which withdraws the service. */
	if (m->client)
		avahi_client_free(m->client);
	if (m->poll)
		avahi_glib_poll_free(m->poll);
	avahi_free(m->name);
	g_free(m);
	d->mdns = NULL;
}

void mdns_apply(struct usbipd *d)
{
	struct mdns *m;
	AvahiProtocol proto;
	uint16_t port;

	if (d->cfg.no_mdns) {
		if (d->mdns)
			info("mDNS advertising turned off");
		mdns_stop(d);
		return;
	}
	if (d->mdns || !listen_scope(d, &proto, &port))
		return;
	m = g_new0(struct mdns, 1);
	m->d = d;
	m->proto = proto;
	m->port = port;
	m->devices = -1;
	m->poll = avahi_glib_poll_new(NULL, G_PRIORITY_DEFAULT);
	d->mdns = m;
	if (!m->poll) {
		err("mDNS: out of memory");
		mdns_stop(d);
		return;
	}
	client_start(m);
}

static gboolean on_update(gpointer data)
{
	struct mdns *m = data;
	char txt[32], vers[32];
	int n, r;

	m->update_source = 0;
	if (!m->group || m->devices < 0 || avahi_entry_group_is_empty(m->group))
		return G_SOURCE_REMOVE;	/* publish() reads the count itself */
	n = device_count(m);
	if (n == m->devices)
		return G_SOURCE_REMOVE;
	snprintf(txt, sizeof(txt), "devices=%d", n);
	r = avahi_entry_group_update_service_txt(m->group, AVAHI_IF_UNSPEC, m->proto, 0, m->name,
						 SERVICE_TYPE, NULL, txt_vers(vers, sizeof(vers)),
						 txt, NULL);
	if (r < 0)
		err("mDNS: cannot update the TXT record: %s", avahi_strerror(r));
	else
		m->devices = n;
	dbg("mDNS TXT record now devices=%d", n);
	return G_SOURCE_REMOVE;
}

void mdns_devices_changed(struct usbipd *d)
{
	struct mdns *m = d->mdns;

	if (m && !m->update_source)
		m->update_source = g_timeout_add(UPDATE_DELAY_MS, on_update, m);
}

void mdns_free(struct usbipd *d)
{
	mdns_stop(d);
}

#else /* !HAVE_AVAHI */

void mdns_apply(struct usbipd *d)
{
	static bool said;

	/* Only worth a word when someone asked about it. */
	if (d->cfg.no_mdns && !said)
		info("--no-mdns: mDNS advertising was not built in (configure --with-avahi)");
	said |= d->cfg.no_mdns;
}

void mdns_devices_changed(struct usbipd *d)
{
}

void mdns_free(struct usbipd *d)
{
}

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket activation must not change what is served behind the
 * administrator's back.  With LISTEN_FDS the service manager's sockets
 * (usbipd.socket) are what usbipd serves; a listen=, tcp-port=, ipv4 or
 * ipv6 given in the file or on the command line that says otherwise is an
 * error, at start and on reload, rather than silently ignored.  Settings
 * not given (defaults) are not compared.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "usbipd.h"
#include "util/log.h"
#include "util/parse.h"

struct origin {
	const struct config *cfg, *cli;
	const char *file;
};

/* Was @key given at all, and where: for the error message. */
static const char *given(const struct origin *o, const char *key)
{
	if (!(o->cfg->set & config_bit(key)))
		return NULL;
	return (o->cli->set & config_bit(key)) ? "the command line" : o->file;
}

static bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       x->sin6_scope_id == y->sin6_scope_id;
	}
	return false;
}

/* Does this IPv6 socket take IPv4 clients too (as ::ffff:a.b.c.d)? */
static bool takes_ipv4(int fd, const struct sockaddr_in6 *sa)
{
	int v6only = 0;
	socklen_t len = sizeof(v6only);

	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) < 0 || v6only)
		return false;
	return IN6_IS_ADDR_UNSPECIFIED(&sa->sin6_addr) || IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr);
}

/* Is @sa the listen= address @addr? */
static bool is_address(const char *addr, const struct sockaddr *sa)
{
	struct addrinfo *res;
	bool same;

	if (config_resolve_listen(addr, NULL, &res) != 0)
		return false;
	same = same_address(res->ai_addr, sa);
	freeaddrinfo(res);
	return same;
}

/* Is @sa one of the listen= addresses? */
static bool listed(const struct config *c, const struct sockaddr *sa)
{
	for (guint i = 0; i < c->listen->len; i++)
		if (is_address(g_ptr_array_index(c->listen, i), sa))
			return true;
	return false;
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* One passed socket against the settings; logs what contradicts them. */
static bool socket_matches(const struct origin *o, int fd, const struct sockaddr_storage *ss,
			   socklen_t len)
{
	const struct config *c = o->cfg;
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
	unsigned port = 0;
	bool ok = true;
	const char *where;

	getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	if ((where = given(o, "tcp-port")) &&
	    (!parse_uint(c->port, 0, 65535, &port) || port != port_of(ss))) {
		err("socket activation: the service manager's socket [%s]:%s is not on "
		    "tcp-port=%s (from %s)", host, serv, c->port, where);
		ok = false;
	}
	if ((where = given(o, "listen")) && !listed(c, (const struct sockaddr *)ss)) {
		err("socket activation: the service manager's socket [%s]:%s is not one of the "
		    "listen= addresses (from %s)", host, serv, where);
		ok = false;
	}
	if (c->ipv4 && !c->ipv6 && ss->ss_family != AF_INET) {
		err("socket activation: the service manager's socket [%s]:%s is not IPv4, but "
		    "ipv4 (from %s) asks for IPv4 only", host, serv, given(o, "ipv4"));
		ok = false;
	}
	if (c->ipv6 && !c->ipv4 && (ss->ss_family != AF_INET6 ||
				    takes_ipv4(fd, (const struct sockaddr_in6 *)ss))) {
		err("socket activation: the service manager's socket [%s]:%s %s, but ipv6 "
		    "(from %s) asks for IPv6 only", host, serv,
		    ss->ss_family == AF_INET6 ? "takes IPv4 clients too (BindIPv6Only=both)" :
		    "is not IPv6", given(o, "ipv6"));
		ok = false;
	}
	return ok;
}

bool activation_matches(const struct config *cfg, const struct config *cli, const char *file,
			int first_fd, int count)
{
	const struct origin o = { cfg, cli, file };
	bool ok = true, *covered = g_new0(bool, cfg->listen->len);

	for (int fd = first_fd; fd < first_fd + count; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			continue;	/* server_adopt() reports it */
		ok &= socket_matches(&o, fd, &ss, len);
		for (guint i = 0; i < cfg->listen->len; i++)
			covered[i] |= is_address(g_ptr_array_index(cfg->listen, i),
						 (const struct sockaddr *)&ss);
	}
	for (guint i = 0; i < cfg->listen->len; i++) {
		if (!covered[i]) {
			err("socket activation: listen=%s (from %s) is not among the service "
			    "manager's sockets", (const char *)g_ptr_array_index(cfg->listen, i),
			    given(&o, "listen"));
			ok = false;
		}
	}
	g_free(covered);
	if (!ok)
		err("socket activation: set the addresses in usbipd.socket (systemctl edit "
		    "usbipd.socket) and remove listen=, tcp-port=, ipv4 and ipv6 from usbipd's "
		    "settings");
	return ok;
}

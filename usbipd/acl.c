// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Access control: which peers may talk to usbipd, as CIDR prefixes
 * ("192.168.1.0/24", "2001:db8::/32", "127.0.0.1").  An IPv4 peer reaching
 * a dual-stack IPv6 socket shows up as ::ffff:a.b.c.d; it is matched as the
 * IPv4 address it is, against the IPv4 rules only, so a rule means the same
 * whichever kind of socket the client came in on ("::/0" lets in every IPv6
 * client, not every client).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "util/parse.h"

bool acl_parse(const char *text, struct acl_entry *e)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (len == 0 || len >= sizeof(addr))
		return false;
	memcpy(addr, text, len);
	addr[len] = '\0';
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, addr, e->addr) == 1) {
		e->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
		e->family = AF_INET6;
		max = 128;
	} else {
		return false;
	}
	e->prefix = max;
	if (slash && !parse_uint(slash + 1, 0, max, &e->prefix))
		return false;
	return true;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool acl_allows(const GPtrArray *allow, const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *v4 = NULL, *v6 = NULL;

	if (allow->len == 0)
		return true;
	if (sa->sa_family == AF_INET) {
		v4 = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(v6, v4mapped, sizeof(v4mapped)) == 0) {
			v4 = v6 + 12;
			v6 = NULL;
		}
	}
	for (guint i = 0; i < allow->len; i++) {
		const struct acl_entry *e = g_ptr_array_index(allow, i);

		if (e->family == AF_INET && v4 && prefix_match(e->addr, v4, e->prefix))
			return true;
		if (e->family == AF_INET6 && v6 && prefix_match(e->addr, v6, e->prefix))
			return true;
	}
	return false;
}

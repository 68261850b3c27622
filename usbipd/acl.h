/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIPD_ACL_H
#define USBIPD_ACL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* One --allow rule: an IPv4 or IPv6 prefix. */
struct acl_entry {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

/* Parses "ADDR" or "ADDR/BITS"; false when it is neither. */
bool acl_parse(const char *text, struct acl_entry *e);
/* May the peer at @sa talk to us?  An empty @allow (struct acl_entry *) lets
 * everyone in.  A v4-mapped IPv6 peer (::ffff:a.b.c.d) is matched against
 * the IPv4 rules only. */
bool acl_allows(const GPtrArray *allow, const struct sockaddr *sa);

#endif

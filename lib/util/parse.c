// SPDX-License-Identifier: GPL-2.0-or-later
/* Number parsers shared by usbip and usbipd (see parse.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	/* strtoul would take "-1", " 1" and "+1"; a user meant none of them. */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

bool parse_port(const char *s)
{
	unsigned port;

	return parse_uint(s, 0, 65535, &port);
}

bool parse_seconds(const char *s, int min_ms, int max_ms, int *ms)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno)
		return false;
	v = v * 1000 + 0.5;	/* "0.1" is 100 ms, not 99 */
	/* Written so that NaN fails too. */
	if (!(v >= min_ms && v < (double)max_ms + 1))
		return false;
	*ms = (int)v;
	return true;
}

int parse_server(const char *s, const char *default_port, char *host, size_t host_size,
		 char *port, size_t port_size)
{
	const char *h = s, *p = NULL, *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1)
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		/* One colon separates a port; more make an IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (!hlen)
		return -EINVAL;
	if (p && !parse_port(p))
		return -EINVAL;
	if (!p)
		p = default_port;
	if (hlen >= host_size || strlen(p) >= port_size)
		return -ENAMETOOLONG;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, p);
	return 0;
}

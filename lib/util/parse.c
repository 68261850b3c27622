// SPDX-License-Identifier: GPL-2.0-or-later
/* Number parsers shared by usbip and usbipd (see parse.h). */
#include <errno.h>
#include <stdlib.h>

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

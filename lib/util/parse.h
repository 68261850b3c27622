/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_UTIL_PARSE_H
#define USBIP_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Strict parsers for numbers typed by a user (command line, configuration
 * file): the whole string must be the number, with no sign, space or suffix.
 * Each returns false without touching @out when @s is not acceptable.
 */

/* A decimal number from @min to @max. */
bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
/* A TCP port number, 0 to 65535. */
bool parse_port(const char *s);
/* Seconds, fractions allowed ("0.5"), from @min_ms to @max_ms; in ms. */
bool parse_seconds(const char *s, int min_ms, int max_ms, int *ms);

/*
 * A server as a user names it: HOST, HOST:PORT, [V6ADDR] or [V6ADDR]:PORT;
 * a bare IPv6 address (two colons or more) is a host without a port.
 * Copies the host (brackets removed) into @host and the port, or
 * @default_port when none is given, into @port.  Returns 0, or -EINVAL
 * (empty host, bad brackets, a port that is not 0..65535) or -ENAMETOOLONG
 * (a part does not fit), touching neither buffer then.
 */
int parse_server(const char *s, const char *default_port, char *host, size_t host_size,
		 char *port, size_t port_size);

#endif

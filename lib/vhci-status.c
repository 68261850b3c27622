// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parser of vhci_hcd's status files in every format the kernel has used:
 *  >= 4.14.8: "hub port sta spd dev      sockfd local_busid" + "hs  0000 004 ..."
 *  4.13-4.14: same with a "socket" column holding a kernel pointer
 *  <  4.13:   "prt sta spd bus dev socket           local_busid", no hub column
 * and the empty file a stopped controller may give.  Nothing in the text is
 * trusted: every field is length- and range-checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libusbip-internal.h"

#define MAX_TOKENS 8

/* Splits one line into at most MAX_TOKENS space-separated tokens. */
static int tokenize(const char *line, size_t len, const char **tok, size_t *toklen)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == MAX_TOKENS)
			return -1;
		tok[n] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		toklen[n] = (size_t)(line + i - tok[n]);
		n++;
	}
	return n;
}

/* Parses a token of only digits of @base into *v, at most @max. */
static bool number(const char *s, size_t len, int base, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		x = x * (uint64_t)base + (uint64_t)d;
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static int parse_line(const char *line, size_t len, bool sockfd_column,
		      struct usbip_vhci_port *p)
{
	const char *tok[MAX_TOKENS];
	size_t tl[MAX_TOKENS];
	uint64_t v, bus, dev;
	int n = tokenize(line, len, tok, tl), i = 0;
	bool split_devid = false;

	memset(p, 0, sizeof(*p));
	p->hub = USBIP_HUB_HS;
	if (n == 7 && tl[0] == 2 && (!memcmp(tok[0], "hs", 2) || !memcmp(tok[0], "ss", 2))) {
		p->hub = tok[0][0] == 's' ? USBIP_HUB_SS : USBIP_HUB_HS;
		i = 1;
	} else if (n == 7) {
		/* < 4.13 free port: "%03u %03u " "000 000 000 0000000000000000 0-0",
		 * i.e. separate bus and dev columns instead of one devid. */
		split_devid = true;
	} else if (n != 6) {
		return -EBADMSG;
	}
	if (!number(tok[i], tl[i], 10, UINT32_MAX, &v))
		return -EBADMSG;
	p->port = (uint32_t)v;
	if (!number(tok[i + 1], tl[i + 1], 10, 255, &v))
		return -EBADMSG;
	p->status = (int)v;
	if (!number(tok[i + 2], tl[i + 2], 10, 255, &v))
		return -EBADMSG;
	p->speed = (uint32_t)v;
	if (split_devid) {
		if (!number(tok[3], tl[3], 10, 0xffff, &bus) ||
		    !number(tok[4], tl[4], 10, 0xffff, &dev))
			return -EBADMSG;
		p->devid = (uint32_t)(bus << 16 | dev);
	} else {
		if (!number(tok[i + 3], tl[i + 3], 16, UINT32_MAX, &v))
			return -EBADMSG;
		p->devid = (uint32_t)v;
		/* Old kernels print a pointer here ("(null)" or hex); only an fd counts. */
		if (sockfd_column && number(tok[i + 4], tl[i + 4], 10, UINT64_MAX, &v))
			p->sockfd = v;
	}
	/* The local bus id is always the last column. */
	if (tl[n - 1] >= USBIP_BUSID_SIZE)
		return -EBADMSG;
	memcpy(p->local_busid, tok[n - 1], tl[n - 1]);
	p->local_busid[tl[n - 1]] = '\0';
	return 0;
}

USBIP_EXPORT int usbip_vhci_parse_status(const char *text, size_t len,
			int (*cb)(const struct usbip_vhci_port *p, void *data), void *data)
{
	const char *end = text + len, *line = text;
	bool sockfd_column = true;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t l = (size_t)((nl ? nl : end) - line);
		struct usbip_vhci_port p;
		int r;

		if (memchr(line, '\0', l))
			return -EBADMSG;
		/* Tolerate CRLF line ends: the CR is not part of the last field. */
		size_t ll = l > 0 && line[l - 1] == '\r' ? l - 1 : l;
		if (ll >= 3 && (!memcmp(line, "hub", 3) || !memcmp(line, "prt", 3))) {
			/* A header: remember whether the fd column is a pointer. */
			sockfd_column = memmem(line, ll, "sockfd", 6) != NULL;
		} else if (ll > 0) {
			r = parse_line(line, ll, sockfd_column, &p);
			if (r < 0)
				return r;
			r = cb(&p, data);
			if (r)
				return r;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

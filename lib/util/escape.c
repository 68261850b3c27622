// SPDX-License-Identifier: GPL-2.0-or-later
/* Escaping of untrusted text before it reaches a terminal (see escape.h). */
#include <stdbool.h>

#include "escape.h"

static const char *escape(char *buf, size_t size, const char *s, bool backslash)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (size == 0)
		return buf;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4];
		size_t len;

		if (c == '\\' && backslash) {
			e[0] = '\\';
			e[1] = '\\';
			len = 2;
		} else if (c < 0x20 || c > 0x7e) {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 0xf];
			len = 4;
		} else {
			e[0] = (char)c;
			len = 1;
		}
		if (n + len >= size)
			break;
		for (size_t i = 0; i < len; i++)
			buf[n++] = e[i];
	}
	buf[n] = '\0';
	return buf;
}

const char *escape_text(char *buf, size_t size, const char *s)
{
	return escape(buf, size, s, true);
}

const char *escape_controls(char *buf, size_t size, const char *s)
{
	return escape(buf, size, s, false);
}

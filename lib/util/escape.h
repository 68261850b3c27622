/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_UTIL_ESCAPE_H
#define USBIP_UTIL_ESCAPE_H

#include <stddef.h>

/*
 * Text from outside the program (a server's reply, a port record, the command
 * line) made safe to print: a server must not be able to send a terminal
 * escape sequence (colours, a title, an OSC 52 clipboard write) through
 * `usbip list -r`.  Every byte outside printable ASCII (0x20-0x7e) becomes
 * \xNN with two lower-case hex digits, and a backslash becomes \\, so the
 * original bytes can always be read back.  Other printable ASCII is copied
 * unchanged, so ordinary output stays byte-identical.
 */

/* Room for the escaped form of @n bytes, with the NUL. */
#define ESCAPED_SIZE(n) (4 * (n) + 1)

/* Escapes the string @s into @buf of @size bytes (always NUL-terminated; a
 * cut falls between whole escapes).  Returns @buf, for use as a printf
 * argument. */
const char *escape_text(char *buf, size_t size, const char *s);

/* The same for a log line: control and non-ASCII bytes only.  The backslash
 * is left alone, so a message that quotes already escaped text is not
 * escaped twice. */
const char *escape_controls(char *buf, size_t size, const char *s);

#endif

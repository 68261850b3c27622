// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Export rules: a file of selectors (one per line) naming the devices usbipd
 * binds to usbip-host whenever they appear.  The format is in
 * usbip-export-rules(5); this file is its only parser and writer.
 *
 * The file is edited by hand, so it is hostile input: lines and rule count
 * are bounded, nothing relies on NUL termination, and whatever is not
 * understood makes the whole file an error (fail closed: a typo must not
 * export a device nobody named, nor silently drop a rule).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libusbip-internal.h"

struct rule {
	struct usbip_selector sel;
	unsigned line;			/* in the file, for messages */
};

struct usbip_rules {
	size_t count, cap;
	struct rule *rule;
};

/* A file bigger than every allowed line of every allowed rule is not one. */
#define RULES_FILE_MAX ((size_t)1 << 20)

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Reads one value at *@pp (before @end) into @out of @size bytes: either a
 * run of bytes up to a blank, or "..." with \" \\ and \xHH escapes.  Returns
 * 0 and moves *@pp past it, or sets *@why.
 */
static int take_value(const char **pp, const char *end, char *out, size_t size,
		      const char **why)
{
	const char *p = *pp;
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++;; p++) {
			int c;

			if (p >= end) {
				*why = "missing closing quote";
				return -EINVAL;
			}
			c = (unsigned char)*p;
			if (c == '"')
				break;
			if (c == '\\') {
				int hi, lo;

				if (++p >= end) {
					*why = "missing closing quote";
					return -EINVAL;
				}
				c = (unsigned char)*p;
				if (c == 'x') {
					if (end - p < 3 || (hi = hex_digit(p[1])) < 0 ||
					    (lo = hex_digit(p[2])) < 0 || (hi | lo) == 0) {
						*why = "\\x needs two hex digits, not 00";
						return -EINVAL;
					}
					c = hi * 16 + lo;
					p += 2;
				} else if (c != '"' && c != '\\') {
					*why = "unknown escape (use \\\", \\\\ or \\xHH)";
					return -EINVAL;
				}
			} else if (c < 0x20 || c == 0x7f) {
				*why = "control character in a value (write it as \\xHH)";
				return -EINVAL;
			}
			if (n + 1 >= size) {
				*why = "value too long";
				return -EINVAL;
			}
			out[n++] = (char)c;
		}
		p++;	/* the closing quote */
		if (p < end && !is_space(*p)) {
			*why = "a closing quote must be followed by a blank";
			return -EINVAL;
		}
	} else {
		for (; p < end && !is_space(*p); p++) {
			int c = (unsigned char)*p;

			if (c == '"' || c == '\\') {
				*why = "quote or backslash in a value: put the value in quotes";
				return -EINVAL;
			}
			if (c < 0x20 || c == 0x7f) {
				*why = "control character in a value (write it as \\xHH in quotes)";
				return -EINVAL;
			}
			if (n + 1 >= size) {
				*why = "value too long";
				return -EINVAL;
			}
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	if (n == 0) {
		/* An empty field would match every device. */
		*why = "empty value";
		return -EINVAL;
	}
	*pp = p;
	return 0;
}

enum { KEY_HWID, KEY_SERIAL, KEY_PATH, KEY_BUSID, NKEYS };
static const char *const keys[NKEYS] = {
	[KEY_HWID] = "hardware-id", [KEY_SERIAL] = "serial",
	[KEY_PATH] = "path", [KEY_BUSID] = "busid",
};

/*
 * Parses one line (without its newline) into @sel.  Returns 1 for a rule,
 * 0 for a blank or comment line, or -EINVAL with *@why set.
 */
static int parse_line(const char *p, const char *end, struct usbip_selector *sel,
		      const char **why)
{
	bool seen[NKEYS] = { false };
	bool any = false;

	memset(sel, 0, sizeof(*sel));
	for (;;) {
		char value[USBIP_SERIAL_SIZE > USBIP_PATH_SIZE ?
			   USBIP_SERIAL_SIZE : USBIP_PATH_SIZE];
		const char *k;
		size_t klen;
		int key = -1;

		while (p < end && is_space(*p))
			p++;
		if (p >= end || *p == '#')
			break;
		for (k = p; p < end && *p != '=' && !is_space(*p); p++)
			;
		klen = (size_t)(p - k);
		if (p >= end || *p != '=') {
			*why = "expected key=value";
			return -EINVAL;
		}
		for (int i = 0; i < NKEYS; i++)
			if (strlen(keys[i]) == klen && !memcmp(keys[i], k, klen))
				key = i;
		if (key < 0) {
			*why = "unknown key (hardware-id, serial, path or busid)";
			return -EINVAL;
		}
		if (seen[key]) {
			*why = "key given twice in one rule";
			return -EINVAL;
		}
		seen[key] = true;
		p++;
		switch (key) {
		case KEY_HWID:
			if (take_value(&p, end, value, sizeof(value), why) < 0)
				return -EINVAL;
			if (usbip_hardware_id_parse(value, &sel->vendor, &sel->product) < 0) {
				*why = "hardware-id is not VID:PID (hex, e.g. 0781:5567)";
				return -EINVAL;
			}
			sel->has_ids = true;
			break;
		case KEY_SERIAL:
			if (take_value(&p, end, sel->serial, sizeof(sel->serial), why) < 0)
				return -EINVAL;
			break;
		case KEY_PATH:
			if (take_value(&p, end, sel->path, sizeof(sel->path), why) < 0)
				return -EINVAL;
			break;
		case KEY_BUSID:
			if (take_value(&p, end, value, sizeof(value), why) < 0)
				return -EINVAL;
			if (usbip_busid_valid(value, sizeof(sel->busid)) < 0) {
				*why = "busid is not a USB bus id (e.g. 1-1.2)";
				return -EINVAL;
			}
			memcpy(sel->busid, value, strlen(value) + 1);
			break;
		}
		any = true;
	}
	return any ? 1 : 0;
}

USBIP_EXPORT void usbip_rules_free(struct usbip_rules *rules)
{
	if (!rules)
		return;
	free(rules->rule);
	free(rules);
}

/* Adds a rule; -ENOMEM or -E2BIG past USBIP_RULES_MAX. */
static int rules_append(struct usbip_rules *r, const struct usbip_selector *sel,
			unsigned line)
{
	if (r->count >= USBIP_RULES_MAX)
		return -E2BIG;
	if (ARRAY_RESERVE(r->rule, r->cap, r->count + 1) < 0)
		return -ENOMEM;
	r->rule[r->count].sel = *sel;
	r->rule[r->count].line = line;
	r->count++;
	return 0;
}

/*
 * The line of @text starting at @p: sets *@eol to its end (the newline or
 * @end).  -EINVAL with *@why for a NUL or an over-long line.
 */
static int next_line(const char *p, const char *end, const char **eol, const char **why)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*eol = nl ? nl : end;
	if ((size_t)(*eol - p) > USBIP_RULES_LINE_MAX) {
		*why = "line too long";
		return -EINVAL;
	}
	if (memchr(p, '\0', (size_t)(*eol - p))) {
		*why = "NUL byte in the file";
		return -EINVAL;
	}
	return 0;
}

static int parse_text(const char *text, size_t len, struct usbip_rules **out,
		      unsigned *bad_line, const char **why)
{
	const char *p = text, *end = text + len;
	struct usbip_rules *r = calloc(1, sizeof(*r));
	unsigned line = 0;
	const char *dummy;
	int ret = 0;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (bad_line)
		*bad_line = 0;
	*out = NULL;
	if (!r)
		return -ENOMEM;
	while (p < end) {
		struct usbip_selector sel;
		const char *eol;

		line++;
		ret = next_line(p, end, &eol, why);
		if (ret == 0)
			ret = parse_line(p, eol, &sel, why);
		if (ret == 1) {
			ret = rules_append(r, &sel, line);
			if (ret == -E2BIG)
				*why = "too many rules";
		}
		if (ret < 0) {
			if (ret == -ENOMEM)
				*why = "out of memory";
			else
				ret = -EBADMSG;
			if (bad_line)
				*bad_line = line;
			usbip_rules_free(r);
			return ret;
		}
		p = eol < end ? eol + 1 : end;
	}
	*out = r;
	return 0;
}

USBIP_EXPORT int usbip_rules_parse(const char *text, size_t len, struct usbip_rules **rules,
				   unsigned *bad_line, const char **why)
{
	if (!text && len)
		return -EINVAL;
	return parse_text(text ? text : "", len, rules, bad_line, why);
}

USBIP_EXPORT size_t usbip_rules_count(const struct usbip_rules *rules)
{
	return rules ? rules->count : 0;
}

USBIP_EXPORT const struct usbip_selector *usbip_rules_get(const struct usbip_rules *rules,
							  size_t i, unsigned *line)
{
	if (!rules || i >= rules->count)
		return NULL;
	if (line)
		*line = rules->rule[i].line;
	return &rules->rule[i].sel;
}

USBIP_EXPORT const struct usbip_selector *
usbip_rules_match(const struct usbip_rules *rules, const struct usbip_device_ident *id,
		  unsigned *line, int *match)
{
	int best = USBIP_MATCH_NO;

	for (size_t i = 0; rules && i < rules->count; i++) {
		int m = usbip_selector_match(&rules->rule[i].sel, id);

		if (m == USBIP_MATCH_YES) {
			if (line)
				*line = rules->rule[i].line;
			if (match)
				*match = m;
			return &rules->rule[i].sel;
		}
		if (m == USBIP_MATCH_UNKNOWN)
			best = m;
	}
	if (match)
		*match = best;
	return NULL;
}

/* Does @s need quotes to read back as itself? */
static bool needs_quotes(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#')
			return true;
	}
	return false;
}

/* Appends key=value, quoted and escaped when needed; false when cut. */
static bool put_value(char *buf, size_t size, size_t *len, const char *key, const char *v)
{
	int n = snprintf(buf + *len, size - *len, "%s%s=", *len ? " " : "", key);

	if (n < 0 || (size_t)n >= size - *len)
		return false;
	*len += (size_t)n;
	if (!needs_quotes(v)) {
		n = snprintf(buf + *len, size - *len, "%s", v);
		if (n < 0 || (size_t)n >= size - *len)
			return false;
		*len += (size_t)n;
		return true;
	}
	if (*len + 1 >= size)
		return false;
	buf[(*len)++] = '"';
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		char esc[5];
		int el;

		if (c == '"' || c == '\\')
			el = snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			el = snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			el = snprintf(esc, sizeof(esc), "%c", c);
		if (*len + (size_t)el + 1 >= size)
			return false;
		memcpy(buf + *len, esc, (size_t)el);
		*len += (size_t)el;
	}
	if (*len + 2 > size)
		return false;
	buf[(*len)++] = '"';
	buf[*len] = '\0';
	return true;
}

static bool field_ok(const char *f, size_t size)
{
	return memchr(f, '\0', size) != NULL;
}

USBIP_EXPORT bool usbip_rules_equal(const struct usbip_selector *a,
				    const struct usbip_selector *b)
{
	return a->has_ids == b->has_ids &&
	       (!a->has_ids || (a->vendor == b->vendor && a->product == b->product)) &&
	       strncmp(a->busid, b->busid, sizeof(a->busid)) == 0 &&
	       strncmp(a->serial, b->serial, sizeof(a->serial)) == 0 &&
	       strncmp(a->path, b->path, sizeof(a->path)) == 0;
}

USBIP_EXPORT int usbip_rule_format(const struct usbip_selector *sel, char *buf, size_t size)
{
	struct usbip_selector back;
	const char *why;
	size_t len = 0;
	char ids[16];
	bool ok = true;

	if (!size)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (!field_ok(sel->busid, sizeof(sel->busid)) ||
	    !field_ok(sel->serial, sizeof(sel->serial)) ||
	    !field_ok(sel->path, sizeof(sel->path)) || usbip_selector_empty(sel))
		return -EINVAL;
	/* The order of usbip_selector_str(): the most specific first. */
	if (sel->busid[0])
		ok = put_value(buf, size, &len, "busid", sel->busid);
	if (ok && sel->has_ids) {
		snprintf(ids, sizeof(ids), "%04x:%04x", sel->vendor, sel->product);
		ok = put_value(buf, size, &len, "hardware-id", ids);
	}
	if (ok && sel->serial[0])
		ok = put_value(buf, size, &len, "serial", sel->serial);
	if (ok && sel->path[0])
		ok = put_value(buf, size, &len, "path", sel->path);
	if (!ok || len > USBIP_RULES_LINE_MAX) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	/* Only what reads back as the same rule is written: the one format is
	 * parse_line()'s (a bus id it refuses, say, is refused here too). */
	if (parse_line(buf, buf + len, &back, &why) != 1 || !usbip_rules_equal(&back, sel)) {
		buf[0] = '\0';
		return -EINVAL;
	}
	return (int)len;
}

/*
 * Reads the whole of regular file @fd (at most RULES_FILE_MAX bytes) into a
 * malloc'ed buffer.  Returns the length, or -errno (-EFBIG when too big).
 */
static ssize_t read_whole(int fd, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	struct stat st;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > RULES_FILE_MAX) {
				free(buf);
				return -EFBIG;
			}
			if (ARRAY_RESERVE(buf, cap, cap ? cap * 2 : 4096) < 0) {
				free(buf);
				return -ENOMEM;
			}
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > RULES_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	*out = buf;
	return (ssize_t)len;
}

/* Opens @path for reading: -ENOENT when absent, -EINVAL when not a file. */
static int open_rules(const char *path)
{
	/* O_NONBLOCK: a FIFO put there must not hang the daemon. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

/* Parses @text from @path, logging "path:line: why" on failure. */
static int parse_logged(struct usbip_ctx *ctx, const char *path, const char *text,
			size_t len, struct usbip_rules **rules)
{
	const char *why = NULL;
	unsigned line = 0;
	int r = parse_text(text, len, rules, &line, &why);

	if (r < 0)
		ERR(ctx, "%s:%u: %s; no rule of this file is used until it is fixed", path, line,
		    why ? why : strerror(-r));
	return r;
}

USBIP_EXPORT int usbip_rules_load(struct usbip_ctx *ctx, const char *path,
				  struct usbip_rules **rules)
{
	char *text;
	ssize_t len;
	int fd, r;

	*rules = NULL;
	fd = open_rules(path);
	if (fd == -ENOENT)
		return parse_text("", 0, rules, NULL, NULL);
	if (fd < 0) {
		ERR(ctx, "cannot open %s: %s", path, strerror(-fd));
		return fd;
	}
	len = read_whole(fd, &text);
	close(fd);
	if (len < 0) {
		ERR(ctx, "cannot read %s: %s", path, len == -EINVAL ? "not a regular file" :
		    len == -EFBIG ? "larger than 1 MiB" : strerror((int)-len));
		return (int)len;
	}
	r = parse_logged(ctx, path, text, (size_t)len, rules);
	free(text);
	return r;
}

/*
 * The directory of @path (made, 0755, when missing) opened and locked: two
 * `usbip bind --persist` at once then rewrite the file one after the other,
 * and neither loses the other's rule.  The directory, not the file, is
 * locked, because the rewrite replaces the file.  Sets *@base to the file
 * name.  Returns the descriptor or -errno.
 */
static int lock_dir(const char *path, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int dfd;

	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
		*base = path;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*base = slash + 1;
	}
	if (!**base)
		return -EISDIR;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	while (flock(dfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = -errno;

			close(dfd);
			return e;
		}
	}
	return dfd;
}

/*
 * Reads and checks the current file under the lock: *@text (may be NULL
 * when absent), its length and mode.  A broken file is not rewritten: the
 * user fixes it first (the error names the line).
 */
static int read_current(struct usbip_ctx *ctx, int dfd, const char *path, const char *name,
			char **text, size_t *len, mode_t *mode)
{
	struct usbip_rules *rules;
	struct stat st;
	ssize_t n;
	int fd, r;

	*text = NULL;
	*len = 0;
	*mode = 0644;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) == 0)
		*mode = st.st_mode & 07777;
	n = read_whole(fd, text);
	close(fd);
	if (n < 0) {
		ERR(ctx, "cannot read %s: %s", path, n == -EINVAL ? "not a regular file" :
		    n == -EFBIG ? "larger than 1 MiB" : strerror((int)-n));
		return (int)n;
	}
	*len = (size_t)n;
	r = parse_logged(ctx, path, *text, *len, &rules);
	usbip_rules_free(rules);
	if (r < 0) {
		free(*text);
		*text = NULL;
	}
	return r;
}

USBIP_EXPORT int usbip_rules_add(struct usbip_ctx *ctx, const char *path,
				 const struct usbip_selector *sel)
{
	char line[USBIP_RULES_LINE_MAX + 2];
	struct usbip_rules *rules = NULL;
	const char *name;
	size_t len, pre = 0;
	char *text;
	mode_t mode;
	int dfd, n, r;

	n = usbip_rule_format(sel, line, sizeof(line) - 1);
	if (n < 0)
		return n;
	line[n++] = '\n';
	dfd = lock_dir(path, &name);
	if (dfd < 0)
		return dfd;
	r = read_current(ctx, dfd, path, name, &text, &len, &mode);
	if (r < 0)
		goto out;
	r = parse_text(text ? text : "", len, &rules, NULL, NULL);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < rules->count; i++)
		if (usbip_rules_equal(&rules->rule[i].sel, sel))
			r = -EEXIST;
	if (!r && rules->count >= USBIP_RULES_MAX)
		r = -E2BIG;
	if (r < 0)
		goto out;
	/* A last line without its newline gets one before ours. */
	if (len && text[len - 1] != '\n') {
		memmove(line + 1, line, (size_t)n);
		line[0] = '\n';
		n++;
	}
	pre = len;
	/* Durable: unlike a port record, a rule is configuration. */
	r = file_replace_at(dfd, name, mode, text ? text : "", pre, line, (size_t)n, true);
out:
	usbip_rules_free(rules);
	free(text);
	close(dfd);	/* and the lock with it */
	return r;
}

USBIP_EXPORT int usbip_rules_remove(struct usbip_ctx *ctx, const char *path,
				    const struct usbip_selector *sel)
{
	const char *name, *p, *end, *why;
	char *text, *out = NULL;
	size_t len, olen = 0;
	bool found = false;
	mode_t mode;
	int dfd, r;

	dfd = lock_dir(path, &name);
	if (dfd < 0)
		return dfd;
	r = read_current(ctx, dfd, path, name, &text, &len, &mode);
	if (r < 0 || !text) {
		r = r < 0 ? r : -ENOENT;
		goto out;
	}
	out = malloc(len + 1);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	/* Every line but those holding an equal rule, byte for byte: comments,
	 * blank lines and the other rules' spelling stay as the user wrote them.
	 * The file parsed whole above, so each line parses here. */
	for (p = text, end = text + len; p < end;) {
		struct usbip_selector cur;
		const char *eol;
		size_t take;

		if (next_line(p, end, &eol, &why) < 0) {
			r = -EBADMSG;
			goto out;
		}
		take = (size_t)(eol - p) + (eol < end);
		if (parse_line(p, eol, &cur, &why) == 1 && usbip_rules_equal(&cur, sel)) {
			found = true;
		} else {
			memcpy(out + olen, p, take);
			olen += take;
		}
		p += take;
	}
	r = found ? file_replace_at(dfd, name, mode, out, olen, "", 0, true) : -ENOENT;
out:
	free(out);
	free(text);
	close(dfd);
	return r;
}

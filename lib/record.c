// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Port records: <state dir>/port<N> holds "<host> <service> <busid>\n" for
 * each port `usbip attach` filled, so `usbip port` can name the remote end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libusbip-internal.h"

/* Copies the next @sep-terminated field of at most @size-1 bytes. */
static const char *take_field(const char *p, const char *end, char sep,
			      char *dst, size_t size)
{
	const char *q = memchr(p, sep, (size_t)(end - p));

	if (!q || q == p || (size_t)(q - p) >= size)
		return NULL;
	for (const char *c = p; c < q; c++)
		if (*c == ' ' || *c == '\n' || *c == '\0')
			return NULL;
	memcpy(dst, p, (size_t)(q - p));
	dst[q - p] = '\0';
	return q + 1;
}

USBIP_EXPORT int usbip_record_parse(const char *text, size_t len, struct usbip_record *rec)
{
	const char *p = text, *end = text + len;

	p = take_field(p, end, ' ', rec->host, sizeof(rec->host));
	if (p)
		p = take_field(p, end, ' ', rec->service, sizeof(rec->service));
	if (p)
		p = take_field(p, end, '\n', rec->busid, sizeof(rec->busid));
	if (!p) {
		memset(rec, 0, sizeof(*rec));
		return -EBADMSG;
	}
	return 0;
}

static void record_path(struct usbip_ctx *ctx, uint32_t port, char *path, size_t size)
{
	snprintf(path, size, "%s/port%u", ctx->state_dir, port);
}

USBIP_EXPORT int usbip_record_write(struct usbip_ctx *ctx, uint32_t port,
				    const struct usbip_record *rec)
{
	char path[PATH_MAX], line[sizeof(*rec) + 4];
	struct stat st;
	int fd, n, r = 0;

	if (mkdir(ctx->state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(ctx->state_dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	n = snprintf(line, sizeof(line), "%s %s %s\n", rec->host, rec->service, rec->busid);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	record_path(ctx, port, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

USBIP_EXPORT int usbip_record_read(struct usbip_ctx *ctx, uint32_t port,
				   struct usbip_record *rec)
{
	char path[PATH_MAX], buf[sizeof(*rec) + 4];
	int n;

	record_path(ctx, port, path, sizeof(path));
	n = sysfs_read(path, buf, sizeof(buf));
	if (n < 0) {
		memset(rec, 0, sizeof(*rec));
		return n;
	}
	/* sysfs_read strips the newline the format requires: put it back. */
	if ((size_t)n + 1 < sizeof(buf))
		buf[n++] = '\n';
	return usbip_record_parse(buf, (size_t)n, rec);
}

USBIP_EXPORT int usbip_record_remove(struct usbip_ctx *ctx, uint32_t port)
{
	char path[PATH_MAX];
	int r = 0;

	record_path(ctx, port, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	/* Leave the directory when other records remain. */
	rmdir(ctx->state_dir);
	return r;
}

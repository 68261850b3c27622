// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Port records: <state dir>/port<N> holds "<host> <service> <busid>\n" for
 * each port `usbip attach` filled, so `usbip port` can name the remote end.
 * Other state files (usbip_state_write: a persistent attach's supervisor)
 * live next to them and go through the same writer and reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

/*
 * The state directory is trusted with root's records, so it must be ours: a
 * real directory (a planted symbolic link would send our writes elsewhere),
 * owned by our effective uid and writable by no one else (or anyone could
 * swap a record between our write and `usbip port`).  Returns a descriptor
 * of it, or -errno after logging the cause; with @create a missing directory
 * is made, mode 0700 as the kernel's tool makes it.
 */
static int open_state_dir(struct usbip_ctx *ctx, bool create, bool check_owner)
{
	const char *dir = ctx->state_dir;
	bool created = false;
	struct stat st;
	int dfd, r;

	if (create) {
		if (mkdir(dir, 0700) == 0)
			created = true;
		else if (errno != EEXIST)
			return -errno;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		if ((r == -ELOOP || r == -ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
			ERR(ctx, "%s is a symbolic link, not a directory: port records are not "
			    "kept there; remove it", dir);
			return -ELOOP;
		}
		return r;
	}
	if (created && fchmod(dfd, 0700) < 0)		/* whatever the umask */
		goto fail;
	if (fstat(dfd, &st) < 0)
		goto fail;
	if (!check_owner)
		return dfd;
	if (st.st_uid != geteuid()) {
		ERR(ctx, "%s belongs to uid %u, not to uid %u: port records are not kept "
		    "there; remove it, or run: chown %u %s", dir, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), dir);
		close(dfd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ERR(ctx, "%s is writable by others (mode %04o): port records are not kept "
		    "there; run: chmod go-w %s", dir, (unsigned)(st.st_mode & 07777), dir);
		close(dfd);
		return -EPERM;
	}
	return dfd;
fail:
	r = -errno;
	close(dfd);
	return r;
}

/* Replaces <state dir>/@name by @len bytes of @text, refusing a symbolic
 * link in its place: the one writer of every file in the state directory. */
static int state_write(struct usbip_ctx *ctx, const char *name, const char *text, size_t len)
{
	struct stat st;
	int dfd, r;

	dfd = open_state_dir(ctx, true, true);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		ERR(ctx, "%s/%s is a symbolic link, not a %s: remove it", ctx->state_dir, name,
		    strncmp(name, "port", 4) ? "state file" : "port record");
		r = -ELOOP;
	} else {
		/* 0644: `usbip port` reads it; not durable: a record means
		 * nothing after a crash, the rename alone keeps readers from halves. */
		r = file_replace_at(dfd, name, 0644, text, len, "", 0, false);
	}
	close(dfd);
	return r;
}

/* Reads at most @size - 1 bytes of <state dir>/@name into @buf, NUL-terminated;
 * returns the length or -errno.  Never follows a symbolic link. */
static int state_read(struct usbip_ctx *ctx, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	int dfd, fd, r;

	buf[0] = '\0';
	dfd = open_state_dir(ctx, false, false);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	close(dfd);
	if (r < 0)
		return r;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[r < 0 ? 0 : len] = '\0';
	return r < 0 ? r : (int)len;
}

static int state_remove(struct usbip_ctx *ctx, const char *name)
{
	int dfd, r = 0;

	dfd = open_state_dir(ctx, false, false);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		r = -errno;
	close(dfd);
	/* Leave the directory when other files remain. */
	rmdir(ctx->state_dir);
	return r;
}

USBIP_EXPORT int usbip_record_write(struct usbip_ctx *ctx, uint32_t port,
				    const struct usbip_record *rec)
{
	char name[32], line[sizeof(*rec) + 4];
	struct usbip_record back;
	int n;

	n = snprintf(line, sizeof(line), "%s %s %s\n", rec->host, rec->service, rec->busid);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	/* Only what reads back the same is stored (no space or newline inside a
	 * field, none empty): the one format lives in usbip_record_parse. */
	if (usbip_record_parse(line, (size_t)n, &back) < 0 ||
	    strcmp(back.host, rec->host) || strcmp(back.service, rec->service) ||
	    strcmp(back.busid, rec->busid))
		return -EINVAL;
	snprintf(name, sizeof(name), "port%u", port);
	return state_write(ctx, name, line, (size_t)n);
}

USBIP_EXPORT int usbip_record_read(struct usbip_ctx *ctx, uint32_t port,
				   struct usbip_record *rec)
{
	char name[32], buf[sizeof(*rec) + 4];
	size_t len;
	int r;

	/* Whatever fails, the caller gets no stale or partial fields. */
	memset(rec, 0, sizeof(*rec));
	snprintf(name, sizeof(name), "port%u", port);
	r = state_read(ctx, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	len = (size_t)r;
	/* A hand-written record may lack its final newline: one line all the same. */
	if (len < sizeof(buf) - 1 && !memchr(buf, '\n', len))
		buf[len++] = '\n';
	return usbip_record_parse(buf, len, rec);
}

USBIP_EXPORT int usbip_record_remove(struct usbip_ctx *ctx, uint32_t port)
{
	char name[32];

	snprintf(name, sizeof(name), "port%u", port);
	return state_remove(ctx, name);
}

/* Names of other state files: a plain name, never a path nor hidden (the
 * temporary files of file_replace_at start with a dot), nor a port record. */
static bool state_name_ok(const char *name)
{
	size_t n = strnlen(name, USBIP_STATE_NAME_MAX + 1);

	if (n == 0 || n > USBIP_STATE_NAME_MAX || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return false;
	return !(strncmp(name, "port", 4) == 0 && name[4] >= '0' && name[4] <= '9');
}

USBIP_EXPORT int usbip_state_write(struct usbip_ctx *ctx, const char *name,
				   const char *text, size_t len)
{
	if (!state_name_ok(name))
		return -EINVAL;
	return state_write(ctx, name, text, len);
}

USBIP_EXPORT int usbip_state_read(struct usbip_ctx *ctx, const char *name, char *buf,
				  size_t size)
{
	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!state_name_ok(name))
		return -EINVAL;
	return state_read(ctx, name, buf, size);
}

USBIP_EXPORT int usbip_state_remove(struct usbip_ctx *ctx, const char *name)
{
	if (!state_name_ok(name))
		return -EINVAL;
	return state_remove(ctx, name);
}

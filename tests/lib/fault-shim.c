// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for tests: failures umockdev cannot produce.  Every fault
 * is off unless its variable is set.
 *
 *   FAULT_WRITE=SUFFIX[:SUFFIX...]  write() to a file whose path ends with
 *                        one of the SUFFIXes fails with FAULT_WRITE_ERRNO
 *                        (a number; default EIO) and writes nothing
 *   FAULT_WRITE_LOG=FILE every write() to a path under /sys is appended to
 *                        FILE as "PATH <- DATA = RESULT" (PATH from /sys on,
 *                        RESULT "ok" or the errno number)
 *   FAULT_KMOD_NEW=fail  libkmod's kmod_new() returns NULL (ENOMEM)
 *   FAULT_KMOD_DIR=DIR   kmod_new() uses DIR as the module tree, not
 *                        /lib/modules/$(uname -r)
 *   FAULT_KMOD_CONFIG=DIR  kmod_new() reads its configuration (blacklists)
 *                        from DIR only, not /etc/modprobe.d and the others
 *   FAULT_MODULE_ERRNO=N init_module() and finit_module() fail with errno N.
 *                        With FAULT_KMOD_DIR they always fail (ENOEXEC when
 *                        N is unset): a test's fake module never reaches the
 *                        kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

struct kmod_ctx;

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	static ssize_t (*fn)(int, const void *, size_t);

	if (!fn)
		fn = (ssize_t (*)(int, const void *, size_t))next("write");
	return fn(fd, buf, len);
}

/* The path of @fd from "/sys/" on (umockdev's testbed prefix cut), or NULL. */
static const char *sys_path(int fd, char *path, size_t size)
{
	char link[64];
	const char *sys;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	sys = strstr(path, "/sys/");
	return sys;
}

static int ends_with_one_of(const char *path, const char *list)
{
	size_t plen = strlen(path);

	while (list && *list) {
		const char *end = strchr(list, ':');
		size_t n = end ? (size_t)(end - list) : strlen(list);

		if (n > 0 && n <= plen && strncmp(path + plen - n, list, n) == 0)
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}

static void log_write(const char *path, const void *buf, size_t len, int err)
{
	const char *log = getenv("FAULT_WRITE_LOG");
	char line[PATH_MAX + 512];
	int fd, n;

	if (!log)
		return;
	if (len > 256)
		len = 256;
	n = snprintf(line, sizeof(line), "%s <- %.*s = ", path, (int)len, (const char *)buf);
	if (err)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%d\n", err);
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n, "ok\n");
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (real_write(fd, line, (size_t)n) < 0) {
		/* Nothing to do: the test sees the line missing. */
	}
	close(fd);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	char path[PATH_MAX];
	const char *sys = sys_path(fd, path, sizeof(path));
	const char *e = getenv("FAULT_WRITE_ERRNO");
	int err = e ? atoi(e) : EIO;

	if (!sys)
		return real_write(fd, buf, len);
	if (ends_with_one_of(sys, getenv("FAULT_WRITE"))) {
		log_write(sys, buf, len, err);
		errno = err;
		return -1;
	}
	log_write(sys, buf, len, 0);
	return real_write(fd, buf, len);
}

EXPORT struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths)
{
	struct kmod_ctx *(*fn)(const char *, const char *const *) =
		(struct kmod_ctx *(*)(const char *, const char *const *))next("kmod_new");
	const char *dir = getenv("FAULT_KMOD_DIR");
	const char *config[] = { getenv("FAULT_KMOD_CONFIG"), NULL };

	if (getenv("FAULT_KMOD_NEW")) {
		errno = ENOMEM;
		return NULL;
	}
	return fn(dir ? dir : dirname, config[0] ? config : config_paths);
}

/* The errno module loading fails with, or 0 to let it through. */
static int module_errno(void)
{
	const char *e = getenv("FAULT_MODULE_ERRNO");

	if (e)
		return atoi(e);
	return getenv("FAULT_KMOD_DIR") ? ENOEXEC : 0;
}

EXPORT int init_module(void *image, unsigned long len, const char *params)
{
	int (*fn)(void *, unsigned long, const char *) =
		(int (*)(void *, unsigned long, const char *))next("init_module");
	int err = module_errno();

	if (err) {
		errno = err;
		return -1;
	}
	return fn(image, len, params);
}

/* libkmod calls finit_module through syscall(). */
EXPORT long syscall(long nr, ...)
{
	long (*fn)(long, ...) = (long (*)(long, ...))next("syscall");
	long a[6];
	va_list ap;
	int err;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_finit_module && (err = module_errno())) {
		errno = err;
		return -1;
	}
	return fn(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

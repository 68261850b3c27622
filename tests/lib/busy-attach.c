// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for tests/integration/test-client-attach-busy.py: writes
 * to a vhci_hcd "attach" file fail with EBUSY, as when another process takes
 * the port between our reading of the status file and our write (the kernel
 * answers EBUSY then).
 * umockdev cannot make a sysfs write fail, hence this shim.
 *
 *   BUSY_ATTACH_FAIL=N        the first N attach writes fail (default 0)
 *   BUSY_ATTACH_LOG=FILE      each attach write is appended to FILE as a line
 *   BUSY_ATTACH_STATUS=FROM:TO  at the first failure FROM's content replaces
 *                             TO, as the other process's attach changes the
 *                             status file
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);

static write_fn real_write(void)
{
	static write_fn fn;

	if (!fn)
		fn = (write_fn)dlsym(RTLD_NEXT, "write");
	return fn;
}

static int is_attach(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 7)
		return 0;
	path[n] = '\0';
	return strcmp(path + n - 7, "/attach") == 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = real_write()(fd, buf, len);

		if (n <= 0)
			return;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
}

static void log_write(const void *buf, size_t len)
{
	const char *log = getenv("BUSY_ATTACH_LOG");
	int fd;

	if (!log || (fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return;
	write_all(fd, buf, len);
	write_all(fd, "\n", 1);
	close(fd);
}

static void replace_status(void)
{
	const char *spec = getenv("BUSY_ATTACH_STATUS");
	char from[PATH_MAX], buf[65536];
	const char *to;
	int in, out;
	ssize_t n;

	if (!spec || !(to = strchr(spec, ':')) || (size_t)(to - spec) >= sizeof(from))
		return;
	memcpy(from, spec, (size_t)(to - spec));
	from[to - spec] = '\0';
	to++;
	in = open(from, O_RDONLY | O_CLOEXEC);
	out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (in >= 0 && out >= 0)
		while ((n = read(in, buf, sizeof(buf))) > 0)
			write_all(out, buf, (size_t)n);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

__attribute__((visibility("default")))
ssize_t write(int fd, const void *buf, size_t len)
{
	static int failed;
	const char *fail = getenv("BUSY_ATTACH_FAIL");

	if (!is_attach(fd))
		return real_write()(fd, buf, len);
	log_write(buf, len);
	if (fail && failed < atoi(fail)) {
		if (failed++ == 0)
			replace_status();
		errno = EBUSY;
		return -1;
	}
	return real_write()(fd, buf, len);
}

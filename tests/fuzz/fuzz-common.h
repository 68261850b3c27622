/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helpers of the libFuzzer targets: a quiet library context, feeding
 * an input to the library as a peer's bytes through a socketpair, and
 * invariant checks that abort (so libFuzzer reports a crash) when the library
 * hands back something its API promises never to give.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libusbip.h"

#define FUZZ_EXPORT __attribute__((visibility("default")))

FUZZ_EXPORT int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
FUZZ_EXPORT int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: say which and abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* True when @s is NUL-terminated within its @size-byte field. */
static inline int fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/*
 * Formats every message (so a bad argument to the log would still be read by
 * the sanitizers) but prints nothing: the fuzzer runs millions of inputs.
 */
__attribute__((format(printf, 6, 0)))
static inline void fuzz_log(struct usbip_ctx *ctx, int priority, const char *file,
		     int line, const char *fn, const char *format, va_list args)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), format, args);
}

static inline struct usbip_ctx *fuzz_ctx_new(void)
{
	struct usbip_ctx *ctx = usbip_new();

	FUZZ_CHECK(ctx != NULL);
	usbip_set_log_fn(ctx, fuzz_log);
	/* Every message is formatted, whatever its priority. */
	usbip_set_log_priority(ctx, 7 /* LOG_DEBUG */);
	return ctx;
}

/*
 * A new private directory for the files a target writes, in $TMPDIR, else
 * in memory (/dev/shm: each input may rewrite a file with fsync, which on a
 * disk runs a few hundred times a second), else /tmp.  Fills @dir.
 */
static inline void fuzz_tmpdir(const char *name, char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, size, "%s/%s.XXXXXX", tmp, name);
	FUZZ_CHECK(mkdtemp(dir) != NULL);
}

/* Makes the file open at @fd hold exactly @data: the input as a file. */
static inline void fuzz_write_file(int fd, const uint8_t *data, size_t size)
{
	size_t off = 0;

	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
}

/* The longest input written to a socket: below any socket buffer. */
#define FUZZ_MAX_WIRE 65536

/*
 * Makes a connected socketpair whose peer end has already sent @data and
 * shut down writing, as a server that replies and closes.  Returns the end
 * to give the library in *@ours and the peer in *@peer (close both).
 */
static inline void fuzz_peer_reply(const uint8_t *data, size_t size,
				   int *ours, int *peer)
{
	int sv[2], bufsize = 4 * FUZZ_MAX_WIRE;
	size_t off = 0;

	FUZZ_CHECK(size <= FUZZ_MAX_WIRE);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	while (off < size) {
		ssize_t n = write(sv[1], data + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	FUZZ_CHECK(shutdown(sv[1], SHUT_WR) == 0);
	*ours = sv[0];
	*peer = sv[1];
}

/*
 * The library's deadline.  The whole reply and its EOF are in the socket
 * before the call, so the library never has to wait: a call that waits until
 * the deadline (-ETIMEDOUT) is a bug, and one that waits for ever is a hang
 * (libFuzzer's -timeout).  Wall-clock checks would be flaky on a busy machine.
 */
#define FUZZ_DEADLINE_MS 5000

/* Checks what a decoder gave back for a device record. */
static inline void fuzz_check_device(const struct usbip_device *dev)
{
	FUZZ_CHECK(fuzz_terminated(dev->path, sizeof(dev->path)));
	FUZZ_CHECK(fuzz_terminated(dev->busid, sizeof(dev->busid)));
	/* The client prints these for any value the server sends. */
	FUZZ_CHECK(usbip_speed_str(dev->speed) != NULL);
}

/*
 * Checks a client request's result: 0 or a negative code, never positive;
 * a server status reads as the protocol's status text.
 */
static inline void fuzz_check_result(int r)
{
	FUZZ_CHECK(r <= 0);
	FUZZ_CHECK(usbip_strerror(r) != NULL);
	if (USBIP_ERR_IS_STATUS(r))
		FUZZ_CHECK(strcmp(usbip_strerror(r),
				  usbip_op_status_str(USBIP_ERR_TO_STATUS(r))) == 0);
}

#endif

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sockets: connect with a timeout, exact reads and writes with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libusbip-internal.h"

USBIP_EXPORT int64_t usbip_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline_ms; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline_ms - usbip_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

USBIP_EXPORT int usbip_net_recv(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		n = wait_fd(fd, POLLIN, deadline_ms);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

USBIP_EXPORT int usbip_net_send(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		n = wait_fd(fd, POLLOUT, deadline_ms);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int one = 1, err = 0, fd;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		err = wait_fd(fd, POLLOUT, usbip_now_ms() + timeout_ms);
		if (err < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			err = -err;
			goto fail;
		}
	}
	/*
	 * Back to blocking mode: the caller gets an ordinary socket.  The kernel
	 * does not care once it owns the socket: usbip-host and vhci_hcd read
	 * with sock_recvmsg(MSG_WAITALL) and write with kernel_sendmsg(), which
	 * ignore the file's O_NONBLOCK (only MSG_DONTWAIT counts there), so
	 * usbipd hands over its non-blocking sockets as they are.  What the
	 * kernel does honour is SO_RCVTIMEO/SO_SNDTIMEO: an idle device would
	 * read as a dead connection, so neither side ever sets them.
	 */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return err;
}

USBIP_EXPORT const char *usbip_strerror(int err)
{
	if (USBIP_ERR_IS_STATUS(err))
		return usbip_op_status_str(USBIP_ERR_TO_STATUS(err));
	if (USBIP_ERR_IS_RESOLVE(err))
		return gai_strerror(USBIP_ERR_TO_RESOLVE(err));
	return strerror(-err);
}

USBIP_EXPORT int usbip_net_connect(struct usbip_ctx *ctx, const char *host,
				   const char *service, int timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int r, fd = -ECONNREFUSED;

	r = getaddrinfo(host, service, &hints, &res);
	if (r == EAI_SYSTEM)
		return -errno;
	if (r) {
		DBG(ctx, "resolve %s:%s: %s", host, service, gai_strerror(r));
		return USBIP_ERR_FROM_RESOLVE(r);
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, timeout_ms);
		if (fd >= 0)
			break;
		DBG(ctx, "connect %s:%s: %s", host, service, strerror(-fd));
	}
	freeaddrinfo(res);
	return fd;
}

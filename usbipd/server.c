// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbipd's network side: listening sockets and the request handshake, all
 * on one GLib main loop.  Each connection is a small state machine that
 * reads its request without blocking, under a deadline; nothing a client
 * does (or fails to do) delays another.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usbipd.h"
#include "util/log.h"

struct listener {
	int fd;
	guint source;		/* 0 while paused */
};

struct conn {
	struct usbipd *d;
	int fd;
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	uint8_t in[USBIP_IMPORT_REQ_SIZE];
	size_t have, need;
	uint8_t *out;			/* reply being sent */
	size_t out_len, out_sent;
	guint io_source, timer_source;
};

static void conn_free(struct conn *c)
{
	if (c->io_source)
		g_source_remove(c->io_source);
	if (c->timer_source)
		g_source_remove(c->timer_source);
	if (c->fd >= 0)
		close(c->fd);
	c->d->nconns--;
	g_free(c->out);
	g_free(c);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

/* Queues @len bytes of reply; the connection closes once they are sent. */
static void conn_reply(struct conn *c, uint8_t *buf, size_t len)
{
	c->out = buf;
	c->out_len = len;
	c->out_sent = 0;
	g_source_remove(c->io_source);
	c->io_source = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
	struct conn *c = data;

	while (c->out_sent < c->out_len) {
		ssize_t n = send(fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		if (n < 0) {
			err("%s: send reply: %s", c->peer, strerror(errno));
			break;
		}
		c->out_sent += (size_t)n;
	}
	c->io_source = 0;
	conn_free(c);
	return G_SOURCE_REMOVE;
}

/* Devices as DEVLIST shows them: the kernel tool's order, in-use ones left out. */
static void handle_devlist(struct conn *c)
{
	GByteArray *reply = g_byte_array_new();
	uint8_t buf[USBIP_DEVICE_SIZE];
	uint32_t ndev = 0;
	int n;
	struct usbip_exported *devs = devices_get(c->d->devices, &n);

	/* Room for the header, written once the count is known. */
	g_byte_array_set_size(reply, USBIP_DEVLIST_HDR_SIZE);
	/* The kernel's usbipd lists in reverse enumeration order; so do we. */
	for (int i = n - 1; i >= 0; i--) {
		const struct usbip_device *dev = &devs[i].dev;

		if (devs[i].status == USBIP_SDEV_ST_USED || devs[i].status < 0)
			continue;
		ndev++;
		usbip_device_encode(buf, dev);
		g_byte_array_append(reply, buf, USBIP_DEVICE_SIZE);
		for (unsigned j = 0; j < dev->bNumInterfaces; j++) {
			usbip_interface_encode(buf, &dev->interfaces[j]);
			g_byte_array_append(reply, buf, USBIP_INTERFACE_SIZE);
		}
	}
	usbip_devlist_header_encode(reply->data, USBIP_ST_OK, ndev);
	info("exportable devices: %u", ndev);
	info("request %#x(%d): complete", USBIP_OP_REQ_DEVLIST, c->fd);
	n = (int)reply->len;
	conn_reply(c, g_byte_array_free(reply, FALSE), (size_t)n);
}

/*
 * The kernel owns the connection after the import; keepalive (and a user
 * timeout for unacknowledged data) is what frees the device when the client
 * vanishes without closing.
 */
static void set_keepalive(struct usbipd *d, int fd)
{
	const struct config *c = &d->cfg;
	int one = 1;
	unsigned user_timeout = (unsigned)(c->keepalive_idle +
				c->keepalive_interval * c->keepalive_count) * 1000;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &c->keepalive_idle, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &c->keepalive_interval, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &c->keepalive_count, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

static void reply_import_status(struct conn *c, uint32_t status)
{
	uint8_t *buf = g_malloc(USBIP_OP_COMMON_SIZE);

	info("request %#x(%d): failed", USBIP_OP_REQ_IMPORT, c->fd);
	usbip_op_common_encode(buf, USBIP_OP_REP_IMPORT, status);
	conn_reply(c, buf, USBIP_OP_COMMON_SIZE);
}

static void handle_import(struct conn *c)
{
	char busid[USBIP_BUSID_SIZE];
	struct usbip_exported *devs, *found = NULL;
	uint32_t status;
	uint8_t *buf;
	int n, r;

	/* dispatch() checked the header: only the bus id can be wrong here. */
	if (usbip_import_request_decode(c->in, c->have, busid) < 0) {
		/* Logged escaped: the bytes came from the network. */
		gchar *shown = g_strescape(busid, NULL);

		info("%s: refused import of invalid bus id \"%s\"", c->peer, shown);
		g_free(shown);
		reply_import_status(c, USBIP_ST_NODEV);
		return;
	}
	devs = devices_get(c->d->devices, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(devs[i].dev.busid, busid) == 0 && devs[i].status >= 0)
			found = &devs[i];
	if (!found) {
		info("requested device not found: %s", busid);
		reply_import_status(c, USBIP_ST_NODEV);
		return;
	}
	info("found requested device: %s", busid);
	set_keepalive(c->d, c->fd);
	r = usbip_export(c->d->ctx, found, c->fd);
	switch (r) {
	case 0:
		status = USBIP_ST_OK;
		break;
	case -EBUSY:
		status = USBIP_ST_DEV_BUSY;
		break;
	case -EIO:
		status = USBIP_ST_DEV_ERR;
		break;
	default:
		status = USBIP_ST_NA;
		break;
	}
	if (status != USBIP_ST_OK) {
		info("%s: import of %s failed: %s", c->peer, busid, usbip_op_status_str(status));
		reply_import_status(c, status);
		return;
	}
	info("connect: %s", busid);
	buf = g_malloc(USBIP_IMPORT_REP_SIZE);
	usbip_op_common_encode(buf, USBIP_OP_REP_IMPORT, USBIP_ST_OK);
	usbip_device_encode(buf + USBIP_OP_COMMON_SIZE, &found->dev);
	info("request %#x(%d): complete", USBIP_OP_REQ_IMPORT, c->fd);
	conn_reply(c, buf, USBIP_IMPORT_REP_SIZE);
}

/* A whole header (and body, if any) is in; act on it.  Returns false to close. */
static bool dispatch(struct conn *c)
{
	uint16_t code;
	uint32_t status;
	int r = usbip_op_common_decode(c->in, c->have, &code, &status);

	if (r == -EPROTO) {
		err("USBIP Kernel and tool version mismatch: %u %u: closing %s",
		    (unsigned)(c->in[0] << 8 | c->in[1]), USBIP_PROTO_VERSION, c->peer);
		return false;
	}
	if (status != 0) {
		info("%s: request status %u is not 0, closing", c->peer, status);
		return false;
	}
	if (c->have == USBIP_OP_COMMON_SIZE)
		info("received request: %#x(%d)", code, c->fd);
	switch (code) {
	case USBIP_OP_REQ_DEVLIST:
		handle_devlist(c);
		return true;
	case USBIP_OP_REQ_IMPORT:
		if (c->have < USBIP_IMPORT_REQ_SIZE) {
			c->need = USBIP_IMPORT_REQ_SIZE;
			return true;
		}
		handle_import(c);
		return true;
	default:
		err("received an unknown opcode: %#x", code);
		info("request %#x(%d): failed", code, c->fd);
		return false;
	}
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct conn *c = data;

	while (c->have < c->need) {
		ssize_t n = recv(fd, c->in + c->have, c->need - c->have, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		if (n <= 0) {
			info("%s: connection closed before a complete request (%zu of %zu bytes)",
			     c->peer, c->have, c->need);
			goto close;
		}
		c->have += (size_t)n;
		if (c->have == c->need) {
			size_t before = c->need;

			if (!dispatch(c))
				goto close;
			if (c->out)	/* conn_reply replaced this source */
				return G_SOURCE_REMOVE;
			if (c->need == before)
				goto close;
		}
	}
	return G_SOURCE_CONTINUE;
close:
	c->io_source = 0;
	conn_free(c);
	return G_SOURCE_REMOVE;
}

static gboolean on_deadline(gpointer data)
{
	struct conn *c = data;

	info("%s: no complete request within %d ms, closing", c->peer,
	     c->d->cfg.timeout_ms);
	c->timer_source = 0;
	conn_free(c);
	return G_SOURCE_REMOVE;
}

static void format_peer(const struct sockaddr_storage *ss, socklen_t len,
			char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		g_strlcpy(out, "?", size);
		return;
	}
	g_snprintf(out, size, "%s:%s", host, serv);
}

static void pause_listeners(struct usbipd *d);

/* Takes one connection off @lfd; false when there is none left to take. */
static bool accept_one(struct usbipd *d, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct conn *c;
	int fd, one = 1;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			/* The socket stays readable: without a pause this would spin. */
			err("accept: %s; not accepting for 100 ms", strerror(errno));
			pause_listeners(d);
		} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			err("accept: %s", strerror(errno));
		}
		return false;
	}
	c = g_new0(struct conn, 1);
	c->d = d;
	c->fd = fd;
	c->need = USBIP_OP_COMMON_SIZE;
	format_peer(&ss, len, c->peer, sizeof(c->peer));
	d->nconns++;
	if (!acl_allows(d->cfg.allow, (struct sockaddr *)&ss)) {
		info("denied access from %s", c->peer);
		conn_free(c);
		return true;
	}
	if (d->nconns > d->cfg.max_handshakes) {
		info("%s: too many connections in progress (%u), closing", c->peer,
		     d->cfg.max_handshakes);
		conn_free(c);
		return true;
	}
	info("connection from %s", c->peer);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->io_source = g_unix_fd_add(fd, G_IO_IN, on_readable, c);
	c->timer_source = g_timeout_add((guint)d->cfg.timeout_ms, on_deadline, c);
	return true;
}

static gboolean on_accept(gint lfd, GIOCondition cond, gpointer data)
{
	/* A bounded batch per wakeup: a burst is absorbed quickly, yet requests
	 * already accepted get their turn between batches. */
	for (int i = 0; i < 32 && accept_one(data, lfd); i++)
		;
	return G_SOURCE_CONTINUE;
}

static void add_listener(struct usbipd *d, int fd)
{
	struct listener l = { fd, g_unix_fd_add(fd, G_IO_IN, on_accept, d) };

	g_array_append_val(d->listeners, l);
}

static gboolean resume_listeners(gpointer data)
{
	struct usbipd *d = data;

	for (guint i = 0; i < d->listeners->len; i++) {
		struct listener *l = &g_array_index(d->listeners, struct listener, i);

		l->source = g_unix_fd_add(l->fd, G_IO_IN, on_accept, d);
	}
	d->resume_source = 0;
	return G_SOURCE_REMOVE;
}

static void pause_listeners(struct usbipd *d)
{
	if (d->resume_source)
		return;
	for (guint i = 0; i < d->listeners->len; i++) {
		struct listener *l = &g_array_index(d->listeners, struct listener, i);

		g_source_remove(l->source);
		l->source = 0;
	}
	d->resume_source = g_timeout_add(100, resume_listeners, d);
}

static int listen_one(struct usbipd *d, const struct addrinfo *ai)
{
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, one = 1;

	format_peer((const struct sockaddr_storage *)ai->ai_addr, ai->ai_addrlen,
		    name, sizeof(name));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0) {
		err("socket %s: %s", name, strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Separate v4 and v6 sockets, so a bindv6only=0 system sees no EADDRINUSE. */
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;

		err("bind: %s: %d (%s)", name, e, strerror(e));
		close(fd);
		return -e;
	}
	info("listening on %s", name);
	add_listener(d, fd);
	return 0;
}

/* Listens on @host (NULL: the wildcard addresses) at the configured port. */
static int listen_host(struct usbipd *d, const char *host)
{
	struct addrinfo hints = {
		.ai_family = d->cfg.ipv4 == d->cfg.ipv6 ? AF_UNSPEC :
			     d->cfg.ipv4 ? AF_INET : AF_INET6,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | (host ? AI_NUMERICHOST : 0),
	};
	struct addrinfo *res, *ai;
	int r;

	r = getaddrinfo(host, d->cfg.port, &hints, &res);
	if (r) {
		err("listen address %s: %s", host ? host : "*", gai_strerror(r));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next)
		listen_one(d, ai);
	freeaddrinfo(res);
	return 0;
}

int server_listen(struct usbipd *d)
{
	d->listeners = g_array_new(FALSE, FALSE, sizeof(struct listener));
	if (d->cfg.listen->len == 0)
		listen_host(d, NULL);
	for (guint i = 0; i < d->cfg.listen->len; i++) {
		char *a = g_strdup(g_ptr_array_index(d->cfg.listen, i));
		size_t n = strlen(a);

		/* "[::1]" as in URLs is accepted too. */
		if (n > 2 && a[0] == '[' && a[n - 1] == ']') {
			a[n - 1] = '\0';
			listen_host(d, a + 1);
		} else {
			listen_host(d, a);
		}
		g_free(a);
	}
	if (d->listeners->len == 0) {
		err("failed to open a listening socket");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

int server_adopt(struct usbipd *d, int first_fd, int count)
{
	d->listeners = g_array_new(FALSE, FALSE, sizeof(struct listener));
	for (int fd = first_fd; fd < first_fd + count; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char name[NI_MAXHOST + NI_MAXSERV + 4];

		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
			err("socket %d from the service manager: %s", fd, strerror(errno));
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		format_peer(&ss, len, name, sizeof(name));
		info("listening on %s (socket activation)", name);
		add_listener(d, fd);
	}
	return d->listeners->len ? (int)d->listeners->len : -EBADF;
}

void server_stop(struct usbipd *d)
{
	if (!d->listeners)
		return;
	for (guint i = 0; i < d->listeners->len; i++) {
		struct listener *l = &g_array_index(d->listeners, struct listener, i);

		if (l->source)
			g_source_remove(l->source);
		close(l->fd);
	}
	if (d->resume_source)
		g_source_remove(d->resume_source);
	g_array_free(d->listeners, TRUE);
	d->listeners = NULL;
}

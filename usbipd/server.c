// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbipd's network side: listening sockets and the request handshake, all
 * on one GLib main loop.  Each connection is a small state machine that
 * reads its request without blocking, under a deadline; nothing a client
 * does (or fails to do) delays another.  Unanswered connections are bounded
 * in total (--max-handshakes) and per client address (--max-per-source); a
 * new connection beyond either closes the oldest of the address holding the
 * most, so a flood from one address displaces only itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usbipd.h"
#include "util/log.h"
#include "util/tls.h"

struct listener {
	int fd;
	guint source;		/* 0 while paused */
};

/* A client's address; IPv4 as v4-mapped IPv6, so both forms are one source. */
struct addr_key {
	uint8_t b[16];
};

/* One client address and its unanswered connections. */
struct source {
	struct addr_key key;		/* first: the hash table's key */
	unsigned count;			/* conns.length */
	GQueue conns;			/* struct conn, oldest first (src_link) */
	GList bucket_link;		/* in conns->by_count[count] */
};

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Where a connection is: with TLS configured, its first byte says whether
 * a TLS handshake comes before the request. */
enum conn_state { CONN_FIRST_BYTE, CONN_HANDSHAKE, CONN_REQUEST };

struct conn {
	struct usbipd *d;
	int fd;
	enum conn_state state;
	struct tls_conn *tls;		/* during the handshake */
	bool encrypted;			/* kernel TLS is on the socket */
	bool logged;			/* its lines passed the log rate limit */
	uint32_t events;		/* epoll mask registered, 0 before */
	gint64 since;			/* accepted, g_get_monotonic_time() */
	union sockaddr_any addr;
	socklen_t addr_len;
	char peer[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];	/* "addr:port", made when logged */
	uint8_t in[USBIP_IMPORT_REQ_SIZE];
	size_t have, need;
	uint8_t *out;			/* reply being sent */
	size_t out_len, out_sent;
	struct source *src;
	GList age_link;			/* in conns->all */
	GList src_link;			/* in src->conns */
};

/*
 * The unanswered connections.  GLib polls every descriptor it watches on
 * every loop iteration, so a source per connection makes each event cost
 * O(connections); instead all of them are in one epoll set (one GLib source),
 * and their deadlines are one queue in accept order with one timer.  Every
 * event, accept, close and eviction is O(1) however many are idle.
 */
struct conns {
	int epfd;
	guint epoll_source;
	GSource *timer;			/* ready at the oldest connection's deadline */
	GQueue all;			/* struct conn, oldest first (age_link) */
	GHashTable *sources;		/* struct addr_key -> struct source */
	GQueue *by_count;		/* [k]: sources holding k connections */
	unsigned by_count_len, top;	/* array length; largest k in use */
	guint report_source;		/* reports what the log limits held back */
	struct log_limit conn_log, evict_log;
};

/* Log rate limits: every line of a connection is logged or none (a story
 * stays whole); evictions have their own, so they show during a flood. */
#define CONN_LOG_BURST 100
#define CONN_LOG_PER_SEC 5
#define EVICT_LOG_BURST 20
#define EVICT_LOG_PER_SEC 1
#define LOG_REPORT_SECONDS 5

#define conn_info(c, ...) do { if ((c)->logged) info(__VA_ARGS__); } while (0)
#define conn_err(c, ...) do { if ((c)->logged) err(__VA_ARGS__); } while (0)

static void format_peer(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		g_strlcpy(out, "?", size);
		return;
	}
	g_snprintf(out, size, "%s:%s", host, serv);
}

/* The peer as "address:port", formatted only when a line names it. */
static const char *peer(struct conn *c)
{
	if (!c->peer[0])
		format_peer(&c->addr.sa, c->addr_len, c->peer, sizeof(c->peer));
	return c->peer;
}

static gboolean on_log_report(gpointer data)
{
	struct conns *cs = data;

	log_limit_report(&cs->conn_log);
	log_limit_report(&cs->evict_log);
	cs->report_source = 0;
	return G_SOURCE_REMOVE;
}

/* log_limit_allow(), and a report of the count a while after holding back. */
static bool log_allow(struct conns *cs, struct log_limit *l)
{
	if (log_limit_allow(l))
		return true;
	if (!cs->report_source)
		cs->report_source = g_timeout_add_seconds(LOG_REPORT_SECONDS, on_log_report, cs);
	return false;
}

/* --- sources: who holds how many ------------------------------------------ */

/* Seeded, so the buckets of a peer's addresses cannot be chosen from outside. */
static uint64_t hash_seed;

static guint addr_hash(gconstpointer p)
{
	const struct addr_key *k = p;
	uint64_t h = hash_seed, w;

	for (int i = 0; i < 16; i += 8) {
		memcpy(&w, k->b + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15u;
		h ^= h >> 29;
	}
	return (guint)(h ^ h >> 32);
}

static gboolean addr_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct addr_key)) == 0;
}

static void addr_key_of(const union sockaddr_any *a, struct addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (a->sa.sa_family == AF_INET6) {
		memcpy(k->b, &a->in6.sin6_addr, 16);
	} else if (a->sa.sa_family == AF_INET) {
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &a->in.sin_addr, 4);
	}
	/* Anything else (not expected on a TCP socket) is one source: all zeros. */
}

/* Moves @s to the bucket of sources holding @to connections. */
static void bucket_move(struct conns *cs, struct source *s, unsigned to)
{
	if (s->count)
		g_queue_unlink(&cs->by_count[s->count], &s->bucket_link);
	s->count = to;
	if (to >= cs->by_count_len) {
		unsigned n = MAX(to + 1, cs->by_count_len * 2);

		cs->by_count = g_renew(GQueue, cs->by_count, n);
		for (unsigned i = cs->by_count_len; i < n; i++)
			g_queue_init(&cs->by_count[i]);
		cs->by_count_len = n;
	}
	if (to)
		g_queue_push_tail_link(&cs->by_count[to], &s->bucket_link);
	if (to > cs->top)
		cs->top = to;
	/* Counts move by one, so this walks at most one step. */
	while (cs->top && cs->by_count[cs->top].length == 0)
		cs->top--;
}

static void source_add(struct conns *cs, const struct addr_key *k, struct conn *c)
{
	struct source *s = g_hash_table_lookup(cs->sources, k);

	if (!s) {
		s = g_new0(struct source, 1);
		s->key = *k;
		s->bucket_link.data = s;
		g_hash_table_insert(cs->sources, &s->key, s);
	}
	c->src = s;
	c->src_link.data = c;
	g_queue_push_tail_link(&s->conns, &c->src_link);
	bucket_move(cs, s, s->count + 1);
}

static void source_remove(struct conns *cs, struct conn *c)
{
	struct source *s = c->src;

	g_queue_unlink(&s->conns, &c->src_link);
	bucket_move(cs, s, s->count - 1);
	if (!s->count)
		g_hash_table_remove(cs->sources, &s->key);	/* frees s */
}

/* The source holding the most connections (of those, the first to get there). */
static struct source *top_source(struct conns *cs)
{
	return cs->top ? cs->by_count[cs->top].head->data : NULL;
}

/* --- connections ------------------------------------------------------------ */

static gint64 deadline_of(const struct usbipd *d, const struct conn *c)
{
	return c->since + (gint64)d->cfg.timeout_ms * 1000;
}

/* The one timer: at the oldest connection's deadline (the queue is in accept
 * order and the timeout is the same for all, so that is the earliest). */
static void timer_arm(struct usbipd *d)
{
	struct conns *cs = d->conns;

	g_source_set_ready_time(cs->timer, cs->all.head ?
				deadline_of(d, cs->all.head->data) : -1);
}

/* Closes @c; @reset sends RST, which leaves no TIME_WAIT state behind on our
 * side (evictions come in floods).  The timer is not re-armed: if it was set
 * for @c, it fires early once and re-arms then. */
static void conn_free(struct conn *c, bool reset)
{
	struct conns *cs = c->d->conns;

	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	/* Explicitly: after an import the kernel holds the socket too, and the
	 * epoll registration lives as long as the socket, not our descriptor. */
	if (c->events)
		epoll_ctl(cs->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	tls_conn_free(c->tls);
	g_queue_unlink(&cs->all, &c->age_link);
	source_remove(cs, c);
	g_free(c->out);
	g_free(c);
}

/* Watches @c for @events (EPOLLIN or EPOLLOUT); false if it cannot be. */
static bool conn_watch(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return true;
	if (epoll_ctl(c->d->conns->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
		      &ev) < 0) {
		err("%s: epoll_ctl: %s", peer(c), strerror(errno));
		return false;
	}
	c->events = events;
	return true;
}

/* Queues @len bytes of reply; the caller then calls conn_write(). */
static void conn_reply(struct conn *c, uint8_t *buf, size_t len)
{
	c->out = buf;
	c->out_len = len;
	c->out_sent = 0;
}

/* Sends what it can of the reply; closes @c once all is sent (or on error). */
static void conn_write(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (conn_watch(c, EPOLLOUT))
				return;
			break;
		}
		if (n < 0) {
			conn_err(c, "%s: send reply: %s", peer(c), strerror(errno));
			break;
		}
		c->out_sent += (size_t)n;
	}
	conn_free(c, false);
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
	conn_info(c, "exportable devices: %u", ndev);
	conn_info(c, "request %#x(%d): complete", USBIP_OP_REQ_DEVLIST, c->fd);
	n = (int)reply->len;
	conn_reply(c, g_byte_array_free(reply, FALSE), (size_t)n);
}

/*
 * The kernel owns the connection after the import; keepalive (and a user
 * timeout for unacknowledged data) is what frees the device when the client
 * vanishes without closing.  TCP_NODELAY too, for the URB traffic: set here
 * rather than at accept, a system call saved on every other connection.
 */
static void set_handoff_options(struct usbipd *d, int fd)
{
	const struct config *c = &d->cfg;
	int one = 1;
	unsigned user_timeout = (unsigned)(c->keepalive_idle +
				c->keepalive_interval * c->keepalive_count) * 1000;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &c->keepalive_idle, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &c->keepalive_interval, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &c->keepalive_count, sizeof(int));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

static void reply_import_status(struct conn *c, uint32_t status)
{
	uint8_t *buf = g_malloc(USBIP_OP_COMMON_SIZE);

	conn_info(c, "request %#x(%d): failed", USBIP_OP_REQ_IMPORT, c->fd);
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

		conn_info(c, "%s: refused import of invalid bus id \"%s\"", peer(c), shown);
		g_free(shown);
		reply_import_status(c, USBIP_ST_NODEV);
		return;
	}
	devs = devices_get(c->d->devices, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(devs[i].dev.busid, busid) == 0 && devs[i].status >= 0)
			found = &devs[i];
	if (!found) {
		conn_info(c, "requested device not found: %s", busid);
		reply_import_status(c, USBIP_ST_NODEV);
		return;
	}
	conn_info(c, "found requested device: %s", busid);
	set_handoff_options(c->d, c->fd);
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
		conn_info(c, "%s: import of %s failed: %s", peer(c), busid, usbip_op_status_str(status));
		reply_import_status(c, status);
		return;
	}
	/* Always logged: exports are few, and the record of who has a device. */
	info("connect: %s", busid);
	if (c->encrypted)
		info("%s: %s is exported over kernel TLS", peer(c), busid);
	buf = g_malloc(USBIP_IMPORT_REP_SIZE);
	usbip_op_common_encode(buf, USBIP_OP_REP_IMPORT, USBIP_ST_OK);
	usbip_device_encode(buf + USBIP_OP_COMMON_SIZE, &found->dev);
	conn_info(c, "request %#x(%d): complete", USBIP_OP_REQ_IMPORT, c->fd);
	conn_reply(c, buf, USBIP_IMPORT_REP_SIZE);
}

/* A whole header (and body, if any) is in; act on it.  Returns false to close. */
static bool dispatch(struct conn *c)
{
	uint16_t code;
	uint32_t status;
	int r = usbip_op_common_decode(c->in, c->have, &code, &status);

	if (r == -EPROTO) {
		conn_err(c, "USBIP Kernel and tool version mismatch: %u %u: closing %s",
			 (unsigned)(c->in[0] << 8 | c->in[1]), USBIP_PROTO_VERSION, peer(c));
		return false;
	}
	if (status != 0) {
		conn_info(c, "%s: request status %u is not 0, closing", peer(c), status);
		return false;
	}
	if (c->have == USBIP_OP_COMMON_SIZE)
		conn_info(c, "received request: %#x(%d)", code, c->fd);
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
		conn_err(c, "received an unknown opcode: %#x", code);
		conn_info(c, "request %#x(%d): failed", code, c->fd);
		return false;
	}
}

static void conn_read(struct conn *c);

/*
 * Runs the TLS handshake as far as the socket allows, under the same
 * deadline and caps as a plaintext request (the connection stays in the
 * queue the timer and the evictions walk).  Once it is done, the kernel
 * takes over the record layer and the request is read as plaintext is.
 */
static void conn_handshake(struct conn *c)
{
	char why[TLS_WHY_SIZE], desc[64];

	switch (tls_handshake_step(c->tls, why, sizeof(why))) {
	case TLS_WANT_READ:
		if (!conn_watch(c, EPOLLIN))
			conn_free(c, false);
		return;
	case TLS_WANT_WRITE:
		if (!conn_watch(c, EPOLLOUT))
			conn_free(c, false);
		return;
	case TLS_FAILED:
		conn_info(c, "%s: TLS handshake failed: %s", peer(c), why);
		conn_free(c, false);
		return;
	case TLS_DONE:
		break;
	}
	if (tls_kernel_install(c->tls, why, sizeof(why)) < 0) {
		conn_err(c, "%s: refused: %s", peer(c), why);
		conn_free(c, false);
		return;
	}
	conn_info(c, "%s: TLS established (%s%s)", peer(c),
		  tls_conn_description(c->tls, desc, sizeof(desc)),
		  tls_creds_verify_peer(c->d->tls) ? ", client certificate verified" : "");
	tls_conn_free(c->tls);
	c->tls = NULL;
	c->encrypted = true;
	c->state = CONN_REQUEST;
	if (conn_watch(c, EPOLLIN))
		conn_read(c);	/* the request may be in already */
	else
		conn_free(c, false);
}

/*
 * With TLS configured, one port serves both: a ClientHello starts with
 * 0x16 (a handshake record), a USB/IP request with 0x01.  Peeked, so a
 * plaintext request is then read whole as without TLS.  False: @c is gone
 * or must wait for its byte.
 */
static bool conn_first_byte(struct conn *c)
{
	char why[TLS_WHY_SIZE];
	uint8_t b;
	ssize_t n;

	do
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	if (n <= 0) {
		conn_info(c, "%s: connection closed before a complete request (0 of %zu bytes)",
			  peer(c), c->need);
		conn_free(c, false);
		return false;
	}
	/* TLS may have been turned off by a reload since the accept. */
	if (c->d->tls && tls_is_client_hello(b)) {
		c->tls = tls_conn_new(c->d->tls, c->fd, NULL, why, sizeof(why));
		if (!c->tls) {
			conn_err(c, "%s: %s", peer(c), why);
			conn_free(c, false);
			return false;
		}
		c->state = CONN_HANDSHAKE;
		conn_handshake(c);
		return false;
	}
	if (c->d->cfg.require_tls) {
		conn_info(c, "%s: refused: plaintext USB/IP, and TLS is required (--require-tls)",
			  peer(c));
		conn_free(c, false);
		return false;
	}
	c->state = CONN_REQUEST;
	return true;
}

/* Reads what has come of the request and acts once it is whole. */
static void conn_read(struct conn *c)
{
	if (c->state == CONN_FIRST_BYTE && !conn_first_byte(c))
		return;
	while (c->have < c->need) {
		ssize_t n = recv(c->fd, c->in + c->have, c->need - c->have, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_info(c, "%s: connection closed before a complete request (%zu of %zu bytes)",
				  peer(c), c->have, c->need);
			break;
		}
		c->have += (size_t)n;
		if (c->have == c->need) {
			size_t before = c->need;

			if (!dispatch(c))
				break;
			if (c->out) {
				conn_write(c);	/* at once: the socket usually takes it all */
				return;
			}
			if (c->need == before)
				break;
		}
	}
	conn_free(c, false);
}

static gboolean on_conn_events(gint epfd, GIOCondition cond, gpointer data)
{
	struct epoll_event evs[64];
	int n = epoll_wait(epfd, evs, G_N_ELEMENTS(evs), 0);

	/* Level-triggered: what is left over comes back next time.  Handling one
	 * connection never closes another, so every pointer here stays valid. */
	for (int i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;

		if (c->out)
			conn_write(c);
		else if (c->state == CONN_HANDSHAKE)
			conn_handshake(c);
		else
			conn_read(c);
	}
	return G_SOURCE_CONTINUE;
}

/* Closes every connection past its deadline (a bounded batch per call). */
static gboolean on_deadlines(gpointer data)
{
	struct usbipd *d = data;
	struct conns *cs = d->conns;
	gint64 now = g_get_monotonic_time();

	for (int i = 0; i < 256 && cs->all.head; i++) {
		struct conn *c = cs->all.head->data;

		if (deadline_of(d, c) > now)
			break;
		if (c->out)
			conn_info(c, "%s: reply not taken within %d ms, closing", peer(c),
				  d->cfg.timeout_ms);
		else if (c->state == CONN_HANDSHAKE)
			conn_info(c, "%s: TLS handshake not finished within %d ms, closing",
				  peer(c), d->cfg.timeout_ms);
		else
			conn_info(c, "%s: no complete request within %d ms, closing", peer(c),
				  d->cfg.timeout_ms);
		conn_free(c, false);
	}
	timer_arm(d);	/* in the past if the batch ended early: runs again soon */
	return G_SOURCE_CONTINUE;
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	return cb(data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

enum evict_reason { EVICT_PER_SOURCE, EVICT_CAP, EVICT_NO_FD };

/*
 * Closes the oldest unanswered connection of @s to make room for a new one.
 * This, not refusing the newcomer, is what keeps one address from locking out
 * the others: whoever holds the most slots loses its oldest, so a flood only
 * ever displaces the flood.
 */
static void evict(struct conns *cs, struct source *s, enum evict_reason why, int error)
{
	struct conn *v = s->conns.head->data;
	struct usbipd *d = v->d;
	double age = (double)(g_get_monotonic_time() - v->since) / 1e6;

	if (log_allow(cs, &cs->evict_log)) {
		switch (why) {
		case EVICT_PER_SOURCE:
			info("too many unanswered connections from one address (%u, at most %u):"
			     " closing its oldest, %s, after %.1f s", s->count,
			     d->cfg.max_per_source, peer(v), age);
			break;
		case EVICT_CAP:
			info("too many connections in progress (%u): closing the oldest from the"
			     " address holding most (%u), %s, after %.1f s",
			     d->cfg.max_handshakes, s->count, peer(v), age);
			break;
		case EVICT_NO_FD:
			err("accept: %s; closing the oldest unanswered connection from the"
			    " address holding most (%u), %s, after %.1f s", strerror(error),
			    s->count, peer(v), age);
			break;
		}
	}
	conn_free(v, true);
}

/* Room for one more connection from @k, within both limits. */
static void make_room(struct usbipd *d, const struct addr_key *k)
{
	struct conns *cs = d->conns;
	struct source *s;

	/* Loops: after a reload that lowered a limit, more than one may go. */
	while ((s = g_hash_table_lookup(cs->sources, k)) && s->count >= d->cfg.max_per_source)
		evict(cs, s, EVICT_PER_SOURCE, 0);
	while (cs->all.length >= d->cfg.max_handshakes)
		evict(cs, top_source(cs), EVICT_CAP, 0);
}

static void pause_listeners(struct usbipd *d);

/* Takes one connection off @lfd; false when there is none left to take. */
static bool accept_one(struct usbipd *d, int lfd)
{
	struct conns *cs = d->conns;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct addr_key key;
	struct conn *c;
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if ((errno == EMFILE || errno == ENFILE) && cs->all.length) {
			/* Out of descriptors is a cap too: the biggest holder pays. */
			evict(cs, top_source(cs), EVICT_NO_FD, errno);
			return true;
		}
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
	/* Without TLS configured nothing is peeked: plaintext as it always was. */
	c->state = d->tls ? CONN_FIRST_BYTE : CONN_REQUEST;
	c->since = g_get_monotonic_time();
	c->addr_len = MIN(len, (socklen_t)sizeof(c->addr));
	memcpy(&c->addr, &ss, c->addr_len);
	c->logged = log_allow(cs, &cs->conn_log);
	if (!acl_allows(d->cfg.allow, &c->addr.sa)) {
		conn_info(c, "denied access from %s", peer(c));
		close(fd);
		g_free(c);
		return true;
	}
	conn_info(c, "connection from %s", peer(c));
	addr_key_of(&c->addr, &key);
	make_room(d, &key);
	source_add(cs, &key, c);
	c->age_link.data = c;
	g_queue_push_tail_link(&cs->all, &c->age_link);
	if (cs->all.length == 1)
		timer_arm(d);
	if (!conn_watch(c, EPOLLIN))
		conn_free(c, false);
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

/* The connection set, made with the first listening socket. */
static bool conns_init(struct usbipd *d)
{
	struct conns *cs;

	if (d->conns)
		return true;
	cs = g_new0(struct conns, 1);
	cs->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (cs->epfd < 0) {
		err("epoll_create1: %s", strerror(errno));
		g_free(cs);
		return false;
	}
	hash_seed = (uint64_t)g_random_int() << 32 | g_random_int();
	g_queue_init(&cs->all);
	cs->sources = g_hash_table_new_full(addr_hash, addr_equal, NULL, g_free);
	cs->conn_log = (struct log_limit)LOG_LIMIT_INIT("connections", CONN_LOG_BURST,
							 CONN_LOG_PER_SEC);
	cs->evict_log = (struct log_limit)LOG_LIMIT_INIT("evictions of unanswered connections",
							  EVICT_LOG_BURST, EVICT_LOG_PER_SEC);
	cs->epoll_source = g_unix_fd_add(cs->epfd, G_IO_IN, on_conn_events, d);
	cs->timer = g_source_new(&timer_funcs, sizeof(GSource));
	g_source_set_callback(cs->timer, on_deadlines, d, NULL);
	g_source_set_ready_time(cs->timer, -1);
	g_source_attach(cs->timer, NULL);
	d->conns = cs;
	return true;
}

static void conns_free(struct usbipd *d)
{
	struct conns *cs = d->conns;

	if (!cs)
		return;
	while (cs->all.head)
		conn_free(cs->all.head->data, false);
	log_limit_report(&cs->conn_log);
	log_limit_report(&cs->evict_log);
	if (cs->report_source)
		g_source_remove(cs->report_source);
	g_source_destroy(cs->timer);
	g_source_unref(cs->timer);
	g_source_remove(cs->epoll_source);
	close(cs->epfd);
	g_hash_table_destroy(cs->sources);
	g_free(cs->by_count);
	g_free(cs);
	d->conns = NULL;
}

/*
 * A USB/IP client always speaks first, so a connection that has sent
 * nothing is not worth a slot yet: with TCP_DEFER_ACCEPT the kernel keeps it
 * out of accept() until its first bytes arrive, or until about the handshake
 * timeout has passed (then it is accepted and that timeout runs).  A flood
 * of silent connections then never reaches the daemon, so it is neither
 * evicted nor reopened, and costs the clients behind it nothing.
 */
static void defer_accept(const struct usbipd *d, int fd)
{
	int secs = (int)((d->cfg.timeout_ms + 999) / 1000);

	/* Not TCP (a unix socket from the service manager): nothing to defer. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOPROTOOPT)
		dbg("TCP_DEFER_ACCEPT on socket %d: %s", fd, strerror(errno));
}

void server_settings_changed(struct usbipd *d)
{
	if (d->conns)
		timer_arm(d);
	for (guint i = 0; d->listeners && i < d->listeners->len; i++)
		defer_accept(d, g_array_index(d->listeners, struct listener, i).fd);
}

static void add_listener(struct usbipd *d, int fd)
{
	struct listener l = { fd, g_unix_fd_add(fd, G_IO_IN, on_accept, d) };

	defer_accept(d, fd);
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

/* As long a queue as net.core.somaxconn allows (the kernel caps it there):
 * deferred connections wait in it, so a longer one keeps more of a silent
 * flood away from the daemon. */
#define LISTEN_BACKLOG	65535

static int listen_one(struct usbipd *d, const struct addrinfo *ai)
{
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, one = 1;

	format_peer(ai->ai_addr, ai->ai_addrlen, name, sizeof(name));
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
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
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
	if (!conns_init(d))
		return -ENOMEM;
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
	if (!conns_init(d))
		return -ENOMEM;
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
		format_peer((struct sockaddr *)&ss, len, name, sizeof(name));
		info("listening on %s (socket activation)", name);
		add_listener(d, fd);
	}
	return d->listeners->len ? (int)d->listeners->len : -EBADF;
}

void server_stop(struct usbipd *d)
{
	conns_free(d);
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

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loadgen: a small USB/IP OP_REQ_DEVLIST load generator for benchmarking
 * usbipd implementations.  Only libc; every socket goes to 127.0.0.1; every
 * loop is bounded in time and count.
 *
 *   loadgen rate   -p PORT [-c CLIENTS] [-d SECONDS] [-t TIMEOUT_MS] [-e NDEV]
 *       CLIENTS concurrent client loops (one epoll loop), each repeatedly:
 *       connect, send OP_REQ_DEVLIST, read the reply until EOF, validate, close.
 *       Reports requests/s, failures and latency p50/p99/max.
 *
 *   loadgen silent -p PORT [-n N] [-d SECONDS] [-r REQUESTS] [-s SETTLE]
 *                  [-t TIMEOUT_MS] [-e NDEV] [-P PID]
 *       Opens N connections that never send anything and holds them for
 *       SECONDS (counted from the first connect); after SETTLE seconds it makes
 *       REQUESTS single DEVLIST requests one after another, spread over the rest
 *       of the run, and reports their latency and how many of the silent
 *       connections the server closed (and when).  The run takes at most
 *       SECONDS + TIMEOUT_MS (requests not started by then count as failed).  With -P it samples the total
 *       VmRSS / Pss of process PID and all its descendants while the
 *       connections are open (peak is reported).
 *
 *   loadgen hold   -p PORT [-n N] [-d SECONDS] [-o OPEN_SECONDS]
 *       Holds N connections that never send anything, and reopens each one as
 *       soon as the server closes it (an attacker who wants the server's
 *       handshake slots).  Prints "READY" once each of the N has connected at
 *       least once (or OPEN_SECONDS, default 30, have passed), then keeps going
 *       until SECONDS are over or SIGTERM/SIGINT comes.  Reports how many the
 *       server closed (and so were reopened) and the rate.
 *
 *   loadgen mem -P PID
 *       Prints the total VmRSS / Pss / VmHWM of PID and its descendants, and
 *       PID's own VmHWM.
 *
 * Every mode takes -b ADDRESS: the local address to connect from (default:
 * the kernel's choice, 127.0.0.1), so a client can come from 127.0.0.2.
 *
 * Every mode ends with one machine-readable line "RESULT key=value ...".
 * Exit status: 0 = ran (whatever the figures), 2 = usage error, 1 = could not run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEV_SIZE	312
#define HDR_SIZE	12
#define REPLY_MAX	(1u << 20)	/* a DEVLIST reply larger than this is invalid */
#define LAT_MAX		(1u << 25)	/* latency samples kept at most */
#define MAX_CLIENTS	4096
#define MAX_SILENT	200000
#define MAX_SECONDS	3600

static const uint8_t devlist_req[8] = { 0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0 };

/* ---------------------------------------------------------------- utils */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct lat {
	uint32_t *v;
	size_t n, cap, dropped;
};

static void lat_add(struct lat *l, uint64_t us)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		uint32_t *v;

		if (cap > LAT_MAX || !(v = realloc(l->v, cap * sizeof(*v)))) {
			l->dropped++;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, in ms; -1 when there are no samples. */
static double lat_pct(const struct lat *l, double pct)
{
	size_t rank;

	if (!l->n)
		return -1;
	rank = (size_t)(pct / 100.0 * (double)l->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	return l->v[rank - 1] / 1000.0;
}

static void lat_sort(struct lat *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
}

/* Failure classes */
enum fail { F_CONNECT, F_RESET, F_NOREPLY, F_INVALID, F_TIMEOUT, F_OTHER, F_COUNT };
static const char *const fail_names[F_COUNT] = {
	"connect", "reset", "noreply", "invalid", "timeout", "other",
};

struct fails {
	unsigned long n[F_COUNT];
	unsigned long total;
	char first[160];
};

static void fail_add(struct fails *f, enum fail kind, const char *why, int err)
{
	f->n[kind]++;
	f->total++;
	if (!f->first[0])
		snprintf(f->first, sizeof(f->first), "%s: %s%s%s", fail_names[kind], why,
			 err ? ": " : "", err ? strerror(err) : "");
}

static void fail_print(const struct fails *f, FILE *out)
{
	fprintf(out, "failures: %lu", f->total);
	for (int i = 0; i < F_COUNT; i++)
		if (f->n[i])
			fprintf(out, " %s=%lu", fail_names[i], f->n[i]);
	if (f->first[0])
		fprintf(out, " (first: %s)", f->first);
	fputc('\n', out);
}

/*
 * Checks a complete OP_REP_DEVLIST.  Returns NULL if valid, else the reason.
 * @expect < 0 accepts any device count.
 */
static const char *validate(const uint8_t *b, size_t len, long expect, uint32_t *ndev_out)
{
	uint32_t ndev;
	size_t off = HDR_SIZE;

	if (len == 0)
		return "closed without a reply";
	if (len < HDR_SIZE)
		return "reply shorter than 12 bytes";
	if (b[0] != 0x01 || b[1] != 0x11)
		return "version is not 0x0111";
	if (b[2] != 0x00 || b[3] != 0x05)
		return "code is not 0x0005";
	if (be32(b + 4) != 0)
		return "status is not 0";
	ndev = be32(b + 8);
	if (ndev > (REPLY_MAX - HDR_SIZE) / DEV_SIZE)
		return "absurd device count";
	for (uint32_t i = 0; i < ndev; i++) {
		if (off + DEV_SIZE > len)
			return "reply truncated inside a device record";
		if (b[off + 255] != 0 || b[off + 256 + 31] != 0)
			return "path or busid not NUL-terminated";
		off += DEV_SIZE + 4u * b[off + 0x137];
		if (off > len)
			return "reply truncated inside interface records";
	}
	if (off != len)
		return "bytes after the last device record";
	if (expect >= 0 && ndev != (uint32_t)expect)
		return "unexpected device count";
	*ndev_out = ndev;
	return NULL;
}

static struct sockaddr_in server;
static struct in_addr source_addr;	/* INADDR_ANY: the kernel's choice */

static void set_server(int port)
{
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* Starts a non-blocking connect; returns the fd or -errno. */
static int start_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (source_addr.s_addr != htonl(INADDR_ANY)) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = source_addr };
		int one = 1;

		/* The port is picked at connect(), against the 4-tuple, not at bind(). */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
	}
	if (connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* works as root */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---------------------------------------------------------------- memory */

struct pp {
	pid_t pid, ppid;
	char in;
};

static long read_kb_field(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct pp *)a)->pid, y = ((const struct pp *)b)->pid;

	return x < y ? -1 : x > y;
}

struct mem {
	long rss_kb, pss_kb;	/* summed over the tree */
	long hwm_kb;		/* VmHWM summed over the tree */
	long root_hwm_kb;	/* VmHWM of the root process alone */
	int nproc;
};

/* Sums VmRSS, Pss and VmHWM (kB) over @root and all its descendants. */
static int tree_mem(pid_t root, struct mem *m)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	struct pp *all = NULL;
	size_t n = 0, cap = 0;
	int changed, found = 0;

	memset(m, 0, sizeof(*m));
	m->root_hwm_kb = -1;
	if (!dir)
		return -1;
	while ((de = readdir(dir)) && n < 1000000) {
		char path[300], buf[512], *p;
		ssize_t len;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		p = strrchr(buf, ')');	/* comm may contain spaces and parens */
		if (!p || p[1] != ' ')
			continue;
		if (n == cap) {
			struct pp *a = realloc(all, (cap = cap ? cap * 2 : 1024) * sizeof(*a));

			if (!a)
				break;
			all = a;
		}
		all[n].pid = (pid_t)atol(de->d_name);
		/* ") S PPID ..." */
		all[n].ppid = (pid_t)atol(p + 4);
		all[n].in = all[n].pid == root;
		found |= all[n].in;
		n++;
	}
	closedir(dir);
	if (!found) {
		free(all);
		return -1;
	}
	/* Mark descendants (parents found by binary search: the reference may
	 * have 10,000 children); a depth of 64 is plenty. */
	qsort(all, n, sizeof(*all), cmp_pid);
	for (int pass = 0; pass < 64; pass++) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			struct pp key = { .pid = all[i].ppid }, *parent;

			if (all[i].in)
				continue;
			parent = bsearch(&key, all, n, sizeof(*all), cmp_pid);
			if (parent && parent->in) {
				all[i].in = 1;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		char path[64];
		long v, hwm;

		if (!all[i].in)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)all[i].pid);
		v = read_kb_field(path, "VmRSS:");
		hwm = read_kb_field(path, "VmHWM:");
		if (v < 0)
			continue;	/* exited meanwhile */
		m->rss_kb += v;
		if (hwm > 0)
			m->hwm_kb += hwm;
		if (all[i].pid == root)
			m->root_hwm_kb = hwm;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)all[i].pid);
		v = read_kb_field(path, "Pss:");
		if (v > 0)
			m->pss_kb += v;
		m->nproc++;
	}
	free(all);
	return 0;
}

/* ---------------------------------------------------------------- rate */

enum { ST_IDLE, ST_CONN, ST_READ };

struct client {
	int fd, st;
	uint64_t t0;
	uint8_t *buf;
	size_t len, cap;
};

struct rate_state {
	int ep;
	long expect;
	uint64_t timeout_us;
	struct lat lat;
	struct fails fails;
	unsigned long ok;
	uint32_t ndev;
	long ndev_seen;
};

static void client_done(struct rate_state *s, struct client *c)
{
	(void)s;
	if (c->fd >= 0)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->st = ST_IDLE;
	c->len = 0;
}

static void client_fail(struct rate_state *s, struct client *c, enum fail k,
			const char *why, int err)
{
	fail_add(&s->fails, k, why, err);
	client_done(s, c);
}

static void client_start(struct rate_state *s, struct client *c, unsigned idx)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = idx };
	int fd;

	c->t0 = now_us();
	c->len = 0;
	fd = start_connect();
	if (fd < 0) {
		fail_add(&s->fails, F_CONNECT, "connect", -fd);
		return;
	}
	c->fd = fd;
	c->st = ST_CONN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		client_fail(s, c, F_OTHER, "epoll_ctl", errno);
}

static void client_event(struct rate_state *s, struct client *c, uint32_t events)
{
	if (c->st == ST_CONN) {
		socklen_t sl = sizeof(int);
		int err = 0;
		ssize_t n;

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err) {
			client_fail(s, c, F_CONNECT, "connect", err);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		n = send(c->fd, devlist_req, sizeof(devlist_req), MSG_NOSIGNAL);
		if (n != (ssize_t)sizeof(devlist_req)) {
			client_fail(s, c, errno == ECONNRESET || errno == EPIPE ? F_RESET : F_OTHER,
				    "send", n < 0 ? errno : 0);
			return;
		}
		c->st = ST_READ;
		return;	/* caller switches the epoll mask */
	}
	/* ST_READ: read until EAGAIN or EOF */
	for (int loops = 0; loops < 1024; loops++) {
		ssize_t n;

		if (c->cap - c->len < 16384) {
			size_t cap = c->cap ? c->cap * 2 : 32768;
			uint8_t *b;

			if (cap > REPLY_MAX + 32768 || !(b = realloc(c->buf, cap))) {
				client_fail(s, c, F_INVALID, "reply too large", 0);
				return;
			}
			c->buf = b;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno != ECONNRESET) {
			client_fail(s, c, F_OTHER, "recv", errno);
			return;
		}
		/* EOF, or a reset after the whole reply (closing with unread input) */
		{
			uint32_t ndev = 0;
			const char *why = validate(c->buf, c->len, s->expect, &ndev);

			if (why) {
				enum fail k = c->len == 0 ? (n < 0 ? F_RESET : F_NOREPLY) : F_INVALID;

				client_fail(s, c, k, why, 0);
				return;
			}
			lat_add(&s->lat, now_us() - c->t0);
			s->ok++;
			if (s->ndev_seen < 0)
				s->ndev_seen = ndev;
			else if ((long)ndev != s->ndev_seen)
				s->ndev_seen = -2;	/* varies */
			client_done(s, c);
			return;
		}
	}
}

static int run_rate(int nclients, double seconds, int timeout_ms, long expect)
{
	struct rate_state s = { .expect = expect, .ndev_seen = -1 };
	struct client *cl;
	struct epoll_event evs[256];
	uint64_t t_start, deadline, t_end;
	unsigned long abandoned = 0;
	double elapsed;

	s.timeout_us = (uint64_t)timeout_ms * 1000u;
	raise_nofile((rlim_t)nclients + 64);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	cl = calloc((size_t)nclients, sizeof(*cl));
	if (s.ep < 0 || !cl) {
		perror("loadgen: setup");
		return 1;
	}
	for (int i = 0; i < nclients; i++)
		cl[i].fd = -1;
	t_start = now_us();
	deadline = t_start + (uint64_t)(seconds * 1e6);
	for (;;) {
		uint64_t now = now_us();
		int n, wait_ms;

		if (now >= deadline)
			break;
		for (int i = 0; i < nclients; i++)
			if (cl[i].st == ST_IDLE)
				client_start(&s, &cl[i], (unsigned)i);
		now = now_us();
		wait_ms = (int)((deadline - now) / 1000u) + 1;
		if (wait_ms > 100)
			wait_ms = 100;
		n = epoll_wait(s.ep, evs, 256, wait_ms);
		if (n < 0 && errno != EINTR) {
			perror("loadgen: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = &cl[evs[i].data.u32];
			int was = c->st;

			if (c->st == ST_IDLE)
				continue;
			client_event(&s, c, evs[i].events);
			if (was == ST_CONN && c->st == ST_READ) {
				struct epoll_event ev = { .events = EPOLLIN,
							  .data.u32 = evs[i].data.u32 };

				if (epoll_ctl(s.ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
					client_fail(&s, c, F_OTHER, "epoll_ctl", errno);
			}
		}
		now = now_us();
		for (int i = 0; i < nclients; i++)
			if (cl[i].st != ST_IDLE && now - cl[i].t0 > s.timeout_us)
				client_fail(&s, &cl[i], F_TIMEOUT, "no complete reply in time", 0);
		/* A server that refuses instantly must not make us spin: pace retries. */
		if (n == 0 && s.fails.total && !s.ok)
			sleep_us(1000);
	}
	t_end = now_us();
	for (int i = 0; i < nclients; i++)
		if (cl[i].st != ST_IDLE) {
			abandoned++;
			client_done(&s, &cl[i]);
		}
	elapsed = (double)(t_end - t_start) / 1e6;
	lat_sort(&s.lat);
	printf("rate: 127.0.0.1:%d from %s, %d client(s), %.2f s: %lu ok = %.1f req/s; "
	       "latency p50 %.3f ms, p99 %.3f ms, max %.3f ms; devices %ld\n",
	       ntohs(server.sin_port), source_addr.s_addr ? inet_ntoa(source_addr) : "127.0.0.1",
	       nclients, elapsed, s.ok, s.ok / elapsed,
	       lat_pct(&s.lat, 50), lat_pct(&s.lat, 99), lat_pct(&s.lat, 100), s.ndev_seen);
	fail_print(&s.fails, stdout);
	printf("RESULT mode=rate clients=%d seconds=%.3f ok=%lu failed=%lu abandoned=%lu "
	       "rps=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f ndev=%ld\n",
	       nclients, elapsed, s.ok, s.fails.total, abandoned, s.ok / elapsed,
	       lat_pct(&s.lat, 50), lat_pct(&s.lat, 99), lat_pct(&s.lat, 100), s.ndev_seen);
	for (int i = 0; i < nclients; i++)
		free(cl[i].buf);
	free(cl);
	free(s.lat.v);
	close(s.ep);
	return 0;
}

/* ---------------------------------------------------------------- silent */

/* One DEVLIST request with a deadline; returns 0 and the latency, or a failure. */
static int one_request(int timeout_ms, long expect, uint64_t *lat_us, struct fails *f)
{
	static uint8_t *buf;
	static size_t cap;
	uint64_t t0 = now_us(), deadline = t0 + (uint64_t)timeout_ms * 1000u;
	size_t len = 0;
	int fd = start_connect(), sent = 0;

	if (fd < 0) {
		fail_add(f, F_CONNECT, "connect", -fd);
		return -1;
	}
	if (!buf) {
		cap = REPLY_MAX + 1;
		buf = malloc(cap);
		if (!buf) {
			close(fd);
			fail_add(f, F_OTHER, "malloc", ENOMEM);
			return -1;
		}
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = sent ? POLLIN : POLLOUT };
		uint64_t now = now_us();
		ssize_t n;
		int r;

		if (now >= deadline) {
			close(fd);
			fail_add(f, F_TIMEOUT, "no complete reply in time", 0);
			return -1;
		}
		r = poll(&p, 1, (int)((deadline - now) / 1000u) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;	/* the deadline check above ends it */
		if (!sent) {
			socklen_t sl = sizeof(int);
			int err = 0;

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			if (err) {
				close(fd);
				fail_add(f, F_CONNECT, "connect", err);
				return -1;
			}
			if (send(fd, devlist_req, sizeof(devlist_req), MSG_NOSIGNAL) !=
			    (ssize_t)sizeof(devlist_req)) {
				int e = errno;

				close(fd);
				fail_add(f, F_RESET, "send", e);
				return -1;
			}
			sent = 1;
			continue;
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			if (len == cap) {
				close(fd);
				fail_add(f, F_INVALID, "reply too large", 0);
				return -1;
			}
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			int e = errno;

			close(fd);
			fail_add(f, F_OTHER, "recv", e);
			return -1;
		}
		{
			uint32_t ndev;
			const char *why = validate(buf, len, expect, &ndev);

			close(fd);
			if (why) {
				fail_add(f, len == 0 ? (n < 0 ? F_RESET : F_NOREPLY) : F_INVALID,
					 why, 0);
				return -1;
			}
			*lat_us = now_us() - t0;
			return 0;
		}
	}
}

struct silent {
	int ep, n;
	int *fds;
	char *est;			/* connect finished */
	unsigned long pending, established, closed, data;
	struct fails openf;
	uint64_t t_start;		/* first connect */
	double first_close, last_close;	/* seconds after t_start */
};

static void silent_event(struct silent *s, int idx)
{
	int fd = s->fds[idx];
	char b[64];
	ssize_t r;

	if (fd < 0)
		return;
	if (!s->est[idx]) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
					  .data.u32 = (uint32_t)idx };
		socklen_t sl = sizeof(int);
		int err = 0;

		s->pending--;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err || epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
			fail_add(&s->openf, F_CONNECT, "connect", err ? err : errno);
			close(fd);
			s->fds[idx] = -1;
			return;
		}
		s->est[idx] = 1;
		s->established++;
		return;	/* a close shows up as its own (level-triggered) event */
	}
	r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0) {
		s->data++;	/* a server talking to a silent client? */
		return;
	}
	/* r == 0 (FIN) or an error (RST): the server closed it */
	{
		double t = (double)(now_us() - s->t_start) / 1e6;

		if (!s->closed)
			s->first_close = t;
		s->last_close = t;
		s->closed++;
	}
	close(fd);
	s->fds[idx] = -1;
}

/* Handles connection completions and server-side closes until @until (us). */
static void silent_pump(struct silent *s, uint64_t until)
{
	struct epoll_event evs[256];

	for (int guard = 0; guard < 1000000; guard++) {
		uint64_t now = now_us();
		int n, wait_ms = now >= until ? 0 : (int)((until - now + 999) / 1000u);

		if (wait_ms > 100)
			wait_ms = 100;
		n = epoll_wait(s->ep, evs, 256, wait_ms);
		if (n < 0 && errno != EINTR)
			return;
		for (int i = 0; i < n; i++)
			silent_event(s, (int)evs[i].data.u32);
		if (n < 256 && now_us() >= until)
			return;
	}
}

static void mem_sample(pid_t pid, long *peak_rss, long *peak_pss, int *peak_nproc,
		       int *samples)
{
	struct mem m;

	if (pid <= 0 || tree_mem(pid, &m) < 0)
		return;
	(*samples)++;
	if (m.rss_kb > *peak_rss) {
		*peak_rss = m.rss_kb;
		*peak_nproc = m.nproc;
	}
	if (m.pss_kb > *peak_pss)
		*peak_pss = m.pss_kb;
}

static int run_silent(int nsilent, double seconds, int nreq, double settle,
		      int timeout_ms, long expect, pid_t mempid)
{
	struct silent s = { .n = nsilent };
	struct lat lat = { 0 };
	struct fails f = { 0 };
	uint64_t t_open, t_end, t_meas, next_mem = 0, now;
	unsigned long closed_settle, skipped = 0;
	long peak_rss = -1, peak_pss = -1;
	int peak_nproc = 0, mem_samples = 0;
	double interval, open_s;

	raise_nofile((rlim_t)nsilent + 256);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	s.fds = malloc((size_t)nsilent * sizeof(int) + 1);
	s.est = calloc((size_t)nsilent + 1, 1);
	if (s.ep < 0 || !s.fds || !s.est) {
		perror("loadgen: setup");
		return 1;
	}
	s.t_start = now_us();
	t_end = s.t_start + (uint64_t)(seconds * 1e6);
	for (int i = 0; i < nsilent; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
		int fd = start_connect();

		s.fds[i] = -1;
		if (fd < 0) {
			fail_add(&s.openf, F_CONNECT, "connect", -fd);
			continue;
		}
		if (epoll_ctl(s.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fail_add(&s.openf, F_OTHER, "epoll_ctl", errno);
			close(fd);
			continue;
		}
		s.fds[i] = fd;
		s.pending++;
	}
	/* Wait (at most 15 s) for every connect to finish. */
	while (s.pending && now_us() - s.t_start < 15000000u)
		silent_pump(&s, now_us() + 100000u);
	for (int i = 0; s.pending && i < nsilent; i++)
		if (s.fds[i] >= 0 && !s.est[i]) {
			fail_add(&s.openf, F_TIMEOUT, "connect not finished in 15 s", 0);
			close(s.fds[i]);
			s.fds[i] = -1;
			s.pending--;
		}
	t_open = now_us();
	open_s = (double)(t_open - s.t_start) / 1e6;

	/* Settle, collecting immediate closes. */
	silent_pump(&s, t_open + (uint64_t)(settle * 1e6));
	closed_settle = s.closed;

	/* Requests spread over the rest of the run, leaving room for the last one. */
	t_meas = now_us();
	interval = t_end > t_meas + 500000u ?
		   (double)(t_end - t_meas - 500000u) / (nreq > 0 ? nreq : 1) : 0;
	for (int k = 0; k < nreq; k++) {
		uint64_t when = t_meas + (uint64_t)(interval * k), lat_us;

		now = now_us();
		if (now >= next_mem && (k == 0 || when > now + 50000u)) {
			mem_sample(mempid, &peak_rss, &peak_pss, &peak_nproc, &mem_samples);
			next_mem = now_us() + 1000000u;
		}
		silent_pump(&s, when);
		if (now_us() >= t_end) {
			/* Slow earlier requests ate the run: the run ends at -d SECONDS. */
			fail_add(&f, F_TIMEOUT, "not made: the run time was over", 0);
			skipped++;
			continue;
		}
		if (one_request(timeout_ms, expect, &lat_us, &f) == 0)
			lat_add(&lat, lat_us);
	}
	mem_sample(mempid, &peak_rss, &peak_pss, &peak_nproc, &mem_samples);
	if (now_us() < t_end)
		silent_pump(&s, t_end);
	now = now_us();
	lat_sort(&lat);

	printf("silent: 127.0.0.1:%d, %d silent connections: %lu established in %.2f s, "
	       "%lu failed to open; held %.2f s\n", ntohs(server.sin_port), nsilent,
	       s.established, open_s, s.openf.total, (double)(now - s.t_start) / 1e6);
	if (s.openf.total)
		fail_print(&s.openf, stdout);
	printf("  closed by the server: %lu (%lu before %.1f s after opening", s.closed,
	       closed_settle, settle);
	if (s.closed)
		printf("; first %.2f s, last %.2f s after the first connect", s.first_close,
		       s.last_close);
	printf("); still open at the end: %lu\n", s.established - s.closed);
	if (s.data)
		printf("  server sent data on a silent connection %lu time(s)\n", s.data);
	if (skipped)
		printf("  %lu request(s) not made: earlier ones ran past the end of the run\n",
		       skipped);
	printf("  DEVLIST while they are open: %zu ok of %d; latency p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms\n", lat.n, nreq, lat_pct(&lat, 50), lat_pct(&lat, 99),
	       lat_pct(&lat, 100));
	if (f.total)
		fail_print(&f, stdout);
	if (mempid > 0)
		printf("  memory of pid %d and descendants (peak of %d samples): VmRSS %ld kB, "
		       "Pss %ld kB, %d process(es)\n", (int)mempid, mem_samples, peak_rss,
		       peak_pss, peak_nproc);
	printf("RESULT mode=silent n=%d established=%lu open_failed=%lu open_s=%.3f "
	       "closed=%lu closed_settle=%lu first_close_s=%.3f last_close_s=%.3f "
	       "still_open=%lu req=%d req_ok=%zu req_failed=%lu p50_ms=%.3f p99_ms=%.3f "
	       "max_ms=%.3f rss_kb=%ld pss_kb=%ld nproc=%d\n",
	       nsilent, s.established, s.openf.total, open_s, s.closed, closed_settle,
	       s.closed ? s.first_close : -1.0, s.closed ? s.last_close : -1.0,
	       s.established - s.closed, nreq, lat.n, f.total, lat_pct(&lat, 50),
	       lat_pct(&lat, 99), lat_pct(&lat, 100), peak_rss, peak_pss, peak_nproc);
	fflush(stdout);
	for (int i = 0; i < nsilent; i++)
		if (s.fds[i] >= 0)
			close(s.fds[i]);
	free(s.fds);
	free(s.est);
	free(lat.v);
	close(s.ep);
	return 0;
}

/* ---------------------------------------------------------------- hold */

static void usage(void);
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

#define HOLD_RETRY_US	10000	/* after a failed connect: no spinning on a refusal */

struct hold {
	int ep, n;
	int *fds;
	char *est;			/* connect finished */
	char *seen;			/* the slot's first connect has finished */
	unsigned long established;	/* established now (under churn most are
					 * closed before we see them established) */
	unsigned long settled;		/* slots whose first connect has finished */
	unsigned long opened, closed, failed, data;
	/* slots waiting to be opened again after a failed connect (a ring) */
	int *retry;
	uint64_t *retry_at;
	size_t retry_head, retry_len;
};

static void hold_retry_later(struct hold *h, int i)
{
	size_t at = (h->retry_head + h->retry_len) % (size_t)h->n;

	h->retry[at] = i;
	h->retry_at[at] = now_us() + HOLD_RETRY_US;
	h->retry_len++;		/* each slot is in the ring at most once */
}

static void hold_open(struct hold *h, int i)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
				  .data.u32 = (uint32_t)i };
	int fd = start_connect();

	h->opened++;
	h->fds[i] = -1;
	h->est[i] = 0;
	if (fd >= 0 && epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		h->failed++;
		hold_retry_later(h, i);
		return;
	}
	h->fds[i] = fd;
}

/* The server closed slot @i (or reset it): open it again at once. */
static void hold_closed(struct hold *h, int i)
{
	if (!h->seen[i]) {
		h->seen[i] = 1;
		h->settled++;
	}
	close(h->fds[i]);
	if (h->est[i])
		h->established--;
	h->closed++;
	hold_open(h, i);
}

static void hold_event(struct hold *h, int i, uint32_t events)
{
	int fd = h->fds[i];
	char b[64];
	ssize_t r;

	if (fd < 0)
		return;
	if (!h->est[i]) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i };
		socklen_t sl = sizeof(int);
		int err = 0;

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err == ECONNRESET || err == EPIPE) {
			hold_closed(h, i);	/* established, then reset at once */
			return;
		}
		if (err || (events & (EPOLLERR | EPOLLHUP)) ||
		    epoll_ctl(h->ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
			close(fd);
			h->fds[i] = -1;
			h->failed++;
			hold_retry_later(h, i);
			return;
		}
		h->est[i] = 1;
		h->established++;
		if (!h->seen[i]) {
			h->seen[i] = 1;
			h->settled++;
		}
		if (!(events & (EPOLLIN | EPOLLRDHUP)))
			return;
	}
	r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (r > 0) {
		h->data++;	/* a server talking to a silent client? */
		return;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	hold_closed(h, i);
}

static int run_hold(int n, double seconds, double open_seconds)
{
	struct hold h = { .n = n };
	struct epoll_event evs[256];
	struct sigaction sa = { .sa_handler = on_stop };
	uint64_t t_start, t_end, t_ready = 0, now;
	unsigned long closed_ready = 0, opened_ready = 0;
	int ready = 0;

	if (n < 1) {
		usage();
		return 2;
	}
	raise_nofile((rlim_t)n + 256);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	h.ep = epoll_create1(EPOLL_CLOEXEC);
	h.fds = malloc((size_t)n * sizeof(int));
	h.est = calloc((size_t)n, 1);
	h.seen = calloc((size_t)n, 1);
	h.retry = malloc((size_t)n * sizeof(int));
	h.retry_at = malloc((size_t)n * sizeof(uint64_t));
	if (h.ep < 0 || !h.fds || !h.est || !h.seen || !h.retry || !h.retry_at) {
		perror("loadgen: setup");
		return 1;
	}
	t_start = now_us();
	t_end = t_start + (uint64_t)(seconds * 1e6);
	for (int i = 0; i < n; i++)
		hold_open(&h, i);
	/* Bounded by time (the run) and by count (the guard). */
	for (unsigned long guard = 0; guard < 100000000ul && !stop_requested; guard++) {
		int k;

		now = now_us();
		if (now >= t_end)
			break;
		k = epoll_wait(h.ep, evs, 256, h.retry_len ? 1 : 50);
		if (k < 0 && errno != EINTR) {
			perror("loadgen: epoll_wait");
			return 1;
		}
		for (int j = 0; j < k; j++)
			hold_event(&h, (int)evs[j].data.u32, evs[j].events);
		now = now_us();
		while (h.retry_len && h.retry_at[h.retry_head] <= now) {
			int i = h.retry[h.retry_head];

			h.retry_head = (h.retry_head + 1) % (size_t)n;
			h.retry_len--;
			hold_open(&h, i);
		}
		if (!ready && (h.settled == (unsigned long)n ||
			       now - t_start >= (uint64_t)(open_seconds * 1e6))) {
			ready = 1;
			t_ready = now;
			closed_ready = h.closed;
			opened_ready = h.opened;
			printf("READY %lu of %d connected at least once after %.2f s (%lu open now)\n",
			       h.settled, n, (double)(now - t_start) / 1e6, h.established);
		}
	}
	now = now_us();
	if (!ready) {
		t_ready = now;
		closed_ready = h.closed;
		opened_ready = h.opened;
	}
	{
		double run = (double)(now - t_start) / 1e6;
		double after = (double)(now - t_ready) / 1e6;
		double rate = after > 0 ? (double)(h.closed - closed_ready) / after : 0;

		printf("hold: 127.0.0.1:%d, %d silent connections held %.2f s (%s): %lu open at the "
		       "end; the server closed %lu (%.0f/s after READY), each reopened at once; "
		       "%lu connects started, %lu failed\n", ntohs(server.sin_port), n, run,
		       stop_requested ? "stopped" : "run over", h.established, h.closed, rate,
		       h.opened, h.failed);
		if (h.data)
			printf("  server sent data on a silent connection %lu time(s)\n", h.data);
		printf("RESULT mode=hold n=%d seconds=%.3f ready_s=%.3f open_end=%lu closed=%lu "
		       "closed_after_ready=%lu closed_per_s=%.1f opened=%lu opened_after_ready=%lu "
		       "failed=%lu\n", n, run, (double)(t_ready - t_start) / 1e6, h.established,
		       h.closed, h.closed - closed_ready, rate, h.opened, h.opened - opened_ready,
		       h.failed);
	}
	for (int i = 0; i < n; i++)
		if (h.fds[i] >= 0)
			close(h.fds[i]);
	free(h.fds);
	free(h.est);
	free(h.seen);
	free(h.retry);
	free(h.retry_at);
	close(h.ep);
	return 0;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fputs("usage: loadgen rate   -p PORT [-c CLIENTS] [-d SECONDS] [-t TIMEOUT_MS] [-e NDEV]\n"
	      "       loadgen silent -p PORT [-n N] [-d SECONDS] [-r REQUESTS] [-s SETTLE]\n"
	      "                      [-t TIMEOUT_MS] [-e NDEV] [-P PID]\n"
	      "       loadgen hold   -p PORT [-n N] [-d SECONDS] [-o OPEN_SECONDS]\n"
	      "       loadgen mem    -P PID\n"
	      "       (every mode: -b ADDRESS, the local address to connect from)\n", stderr);
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "loadgen: bad number '%s' (%g..%g)\n", s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char *argv[])
{
	double port = 0, clients = 1, seconds = 10, n = 1000, reqs = 50, settle = 2,
	       timeout = 5000, expect = -1, pid = 0, open_seconds = 30;
	const char *mode;
	int opt;

	if (argc < 2) {
		usage();
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "p:c:d:n:r:s:t:e:P:o:b:")) != -1) {
		int r;

		switch (opt) {
		case 'p': r = num(optarg, 1, 65535, &port); break;
		case 'c': r = num(optarg, 1, MAX_CLIENTS, &clients); break;
		case 'd': r = num(optarg, 0.1, MAX_SECONDS, &seconds); break;
		case 'n': r = num(optarg, 0, MAX_SILENT, &n); break;
		case 'r': r = num(optarg, 0, 100000, &reqs); break;
		case 's': r = num(optarg, 0, MAX_SECONDS, &settle); break;
		case 't': r = num(optarg, 1, 600000, &timeout); break;
		case 'e': r = num(optarg, -1, 100000, &expect); break;
		case 'P': r = num(optarg, 1, 1e9, &pid); break;
		case 'o': r = num(optarg, 0, MAX_SECONDS, &open_seconds); break;
		case 'b':
			r = inet_pton(AF_INET, optarg, &source_addr) == 1 ? 0 : -1;
			if (r < 0)
				fprintf(stderr, "loadgen: -b takes an IPv4 address, not '%s'\n", optarg);
			break;
		default: usage(); return 2;
		}
		if (r < 0)
			return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "mem") == 0) {
		struct mem m;

		if (!pid) {
			usage();
			return 2;
		}
		if (tree_mem((pid_t)pid, &m) < 0) {
			fprintf(stderr, "loadgen: no process %d\n", (int)pid);
			return 1;
		}
		printf("mem: pid %d and descendants: VmRSS %ld kB, Pss %ld kB, VmHWM %ld kB, "
		       "%d process(es); VmHWM of pid %d alone %ld kB\n", (int)pid, m.rss_kb,
		       m.pss_kb, m.hwm_kb, m.nproc, (int)pid, m.root_hwm_kb);
		printf("RESULT mode=mem rss_kb=%ld pss_kb=%ld hwm_kb=%ld root_hwm_kb=%ld nproc=%d\n",
		       m.rss_kb, m.pss_kb, m.hwm_kb, m.root_hwm_kb, m.nproc);
		return 0;
	}
	if (!port) {
		usage();
		return 2;
	}
	set_server((int)port);
	if (strcmp(mode, "rate") == 0)
		return run_rate((int)clients, seconds, (int)timeout, (long)expect);
	if (strcmp(mode, "hold") == 0)
		return run_hold((int)n, seconds, open_seconds);
	if (strcmp(mode, "silent") == 0)
		return run_silent((int)n, seconds, (int)reqs, settle, (int)timeout,
				  (long)expect, (pid_t)pid);
	usage();
	return 2;
}

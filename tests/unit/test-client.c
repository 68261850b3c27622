// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/client.c and lib/net.c: DEVLIST and IMPORT requests
 * against a scripted fake server (a forked child on the other end of a
 * socketpair), deadlines, and connecting over loopback.
 *
 * The runner is linked with -Wl,--wrap=realloc,--wrap=free so the tests can
 * see what the library allocates and whether it gives everything back.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "test-common.h"

/* ------------------------------------------------------ allocation counter */

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static struct {
	bool on;
	unsigned reallocs;	/* realloc calls while on */
	size_t max_size;	/* largest size asked for */
	void *live[64];		/* blocks obtained while on and not yet freed */
	unsigned nlive;
} alloc;

static void alloc_forget(void *p)
{
	for (unsigned i = 0; i < alloc.nlive; i++) {
		if (alloc.live[i] == p) {
			alloc.live[i] = alloc.live[--alloc.nlive];
			return;
		}
	}
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = __real_realloc(p, n);

	if (alloc.on) {
		alloc.reallocs++;
		if (n > alloc.max_size)
			alloc.max_size = n;
		if (q) {
			if (p)
				alloc_forget(p);
			if (alloc.nlive < ARRAY_SIZE(alloc.live))
				alloc.live[alloc.nlive++] = q;
		}
	}
	return q;
}

void __wrap_free(void *p)
{
	if (alloc.on && p)
		alloc_forget(p);
	__real_free(p);
}

static void alloc_start(void)
{
	memset(&alloc, 0, sizeof(alloc));
	alloc.on = true;
}

static void alloc_stop(void)
{
	alloc.on = false;
}

/* ------------------------------------------------------------ fake peer */

enum peer_mode {
	PEER_REPLY,	/* read the request, send the reply, close */
	PEER_SILENT,	/* read the request, then wait for the client to close */
	PEER_DRIP,	/* read the request, send the reply a byte per 100 ms */
};

struct peer {
	pid_t pid;
	int fd;		/* the client's end */
};

static bool read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Child: exit status 0, or 2 if the request was not the expected bytes. */
static int peer_main(int fd, const uint8_t *expect, size_t expect_len,
		     const uint8_t *reply, size_t reply_len, enum peer_mode mode)
{
	uint8_t req[64], c;

	if (expect_len > sizeof(req) || !read_exact(fd, req, expect_len) ||
	    memcmp(req, expect, expect_len) != 0)
		return 2;
	switch (mode) {
	case PEER_REPLY:
		/* Errors ignored: the client may stop reading early and close. */
		for (size_t off = 0; off < reply_len; ) {
			ssize_t n = send(fd, reply + off, reply_len - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		break;
	case PEER_SILENT:
		while (read(fd, &c, 1) > 0)
			;
		break;
	case PEER_DRIP:
		for (size_t off = 0; off < reply_len; off++) {
			if (send(fd, reply + off, 1, MSG_NOSIGNAL) != 1)
				break;
			usleep(100 * 1000);
		}
		break;
	}
	return 0;
}

static void peer_start(struct peer *p, const uint8_t *expect, size_t expect_len,
		       const uint8_t *reply, size_t reply_len, enum peer_mode mode)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		close(sv[0]);
		_exit(peer_main(sv[1], expect, expect_len, reply, reply_len, mode));
	}
	close(sv[1]);
	p->fd = sv[0];
}

/* Closes the client end and checks the peer saw the expected request. */
static void peer_finish(struct peer *p)
{
	int status;

	close(p->fd);
	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "fake peer did not receive the expected request (status %#x)", status);
}

/* ------------------------------------------------------- reply building */

static const uint8_t req_devlist[] = { 0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0 };

struct script {
	uint8_t buf[8192];
	size_t len;
};

static void put_bytes(struct script *s, const void *data, size_t len)
{
	ck_assert_uint_le(s->len + len, sizeof(s->buf));
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static void put_header(struct script *s, uint16_t code, uint32_t status)
{
	uint8_t h[USBIP_OP_COMMON_SIZE];

	usbip_op_common_encode(h, code, status);
	put_bytes(s, h, sizeof(h));
}

static void put_u32(struct script *s, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(s, b, sizeof(b));
}

static void make_device(struct usbip_device *dev, const char *busid, uint16_t vid,
			uint16_t pid, uint8_t nintf)
{
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->path, sizeof(dev->path), "/sys/devices/pci0000:00/0000:00:14.0/usb1/%s",
		 busid);
	snprintf(dev->busid, sizeof(dev->busid), "%s", busid);
	dev->busnum = 1;
	dev->devnum = 7;
	dev->speed = USBIP_SPEED_HIGH;
	dev->idVendor = vid;
	dev->idProduct = pid;
	dev->bcdDevice = 0x0100;
	dev->bConfigurationValue = 1;
	dev->bNumConfigurations = 1;
	dev->bNumInterfaces = nintf;
	for (unsigned i = 0; i < nintf; i++) {
		dev->interfaces[i].bInterfaceClass = (uint8_t)(0x08 + i);
		dev->interfaces[i].bInterfaceSubClass = (uint8_t)(0x06 + i);
		dev->interfaces[i].bInterfaceProtocol = (uint8_t)(0x50 + i);
	}
}

/* Device record followed by @nsend of its interface records. */
static void put_device(struct script *s, const struct usbip_device *dev, unsigned nsend)
{
	uint8_t b[USBIP_DEVICE_SIZE];

	usbip_device_encode(b, dev);
	put_bytes(s, b, sizeof(b));
	for (unsigned i = 0; i < nsend; i++) {
		usbip_interface_encode(b, &dev->interfaces[i]);
		put_bytes(s, b, USBIP_INTERFACE_SIZE);
	}
}

static int64_t deadline_in(int ms)
{
	return usbip_now_ms() + ms;
}

/* Runs usbip_request_devlist() against a peer sending @s. */
static int devlist_against(const struct script *s, enum peer_mode mode, int timeout_ms,
			   struct usbip_devlist *list)
{
	struct usbip_ctx *ctx = test_ctx_new();
	struct peer p;
	int r;

	peer_start(&p, req_devlist, sizeof(req_devlist), s->buf, s->len, mode);
	alloc_start();
	r = usbip_request_devlist(ctx, p.fd, deadline_in(timeout_ms), list);
	alloc_stop();
	peer_finish(&p);
	usbip_unref(ctx);
	return r;
}

static int import_against(const char *busid, const struct script *s, enum peer_mode mode,
			  int timeout_ms, struct usbip_device *dev)
{
	struct usbip_ctx *ctx = test_ctx_new();
	uint8_t req[USBIP_IMPORT_REQ_SIZE] = { 0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0 };
	struct peer p;
	int r;

	memcpy(req + 8, busid, strnlen(busid, USBIP_BUSID_SIZE - 1));
	peer_start(&p, req, sizeof(req), s->buf, s->len, mode);
	r = usbip_request_import(ctx, p.fd, busid, deadline_in(timeout_ms), dev);
	peer_finish(&p);
	usbip_unref(ctx);
	return r;
}

/* ------------------------------------------------------------- devlist */

START_TEST(test_devlist_two_devices)
{
	struct script s = { .len = 0 };
	struct usbip_device a, b;
	struct usbip_devlist list;

	make_device(&a, "1-1", 0x046d, 0xc52b, 3);
	make_device(&b, "3-3.2", 0x1d6b, 0x0104, 1);
	b.speed = USBIP_SPEED_SUPER;
	b.bDeviceClass = 0xef;
	b.busnum = 3;
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 2);
	put_device(&s, &a, 3);
	put_device(&s, &b, 1);

	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 0);
	ck_assert_uint_eq(list.ndev, 2);
	ck_assert_ptr_nonnull(list.devs);
	ck_assert_str_eq(list.devs[0].busid, "1-1");
	ck_assert_str_eq(list.devs[0].path, "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1");
	ck_assert_uint_eq(list.devs[0].idVendor, 0x046d);
	ck_assert_uint_eq(list.devs[0].idProduct, 0xc52b);
	ck_assert_uint_eq(list.devs[0].speed, USBIP_SPEED_HIGH);
	ck_assert_uint_eq(list.devs[0].bNumInterfaces, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(list.devs[0].interfaces[i].bInterfaceClass, 0x08 + i);
		ck_assert_uint_eq(list.devs[0].interfaces[i].bInterfaceSubClass, 0x06 + i);
		ck_assert_uint_eq(list.devs[0].interfaces[i].bInterfaceProtocol, 0x50 + i);
	}
	ck_assert_str_eq(list.devs[1].busid, "3-3.2");
	ck_assert_uint_eq(list.devs[1].idVendor, 0x1d6b);
	ck_assert_uint_eq(list.devs[1].idProduct, 0x0104);
	ck_assert_uint_eq(list.devs[1].speed, USBIP_SPEED_SUPER);
	ck_assert_uint_eq(list.devs[1].busnum, 3);
	ck_assert_uint_eq(list.devs[1].bDeviceClass, 0xef);
	ck_assert_uint_eq(list.devs[1].bNumInterfaces, 1);
	ck_assert_uint_eq(list.devs[1].interfaces[0].bInterfaceClass, 0x08);

	/* usbip_devlist_free() gives back everything that was allocated. */
	alloc.on = true;
	usbip_devlist_free(&list);
	alloc_stop();
	ck_assert_uint_eq(alloc.nlive, 0);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_eq(list.ndev, 0);
}
END_TEST

START_TEST(test_devlist_empty)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 0);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 0);
	ck_assert_uint_eq(list.ndev, 0);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_eq(alloc.reallocs, 0);
	usbip_devlist_free(&list);
}
END_TEST

START_TEST(test_devlist_many_devices)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 20);
	for (unsigned i = 0; i < 20; i++) {
		char busid[16];

		snprintf(busid, sizeof(busid), "1-%u", i + 1);
		make_device(&d, busid, 0x1000, (uint16_t)i, 0);
		put_device(&s, &d, 0);
	}
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 0);
	ck_assert_uint_eq(list.ndev, 20);
	for (unsigned i = 0; i < 20; i++) {
		char busid[16];

		snprintf(busid, sizeof(busid), "1-%u", i + 1);
		ck_assert_str_eq(list.devs[i].busid, busid);
		ck_assert_uint_eq(list.devs[i].idProduct, i);
	}
	alloc.on = true;
	usbip_devlist_free(&list);
	alloc_stop();
	ck_assert_uint_eq(alloc.nlive, 0);
}
END_TEST

START_TEST(test_devlist_huge_count)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 0xffffffff);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -E2BIG);
	ck_assert_uint_eq(alloc.reallocs, 0);	/* nothing allocated at all */
	ck_assert_uint_eq(list.ndev, 0);
	ck_assert_ptr_null(list.devs);
}
END_TEST

START_TEST(test_devlist_count_limit)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, USBIP_MAX_DEVLIST + 1);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -E2BIG);
	ck_assert_uint_eq(alloc.reallocs, 0);
	ck_assert_ptr_null(list.devs);

	/* The limit itself is allowed: it fails on EOF, not on the count. */
	s.len = 0;
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, USBIP_MAX_DEVLIST);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);
	ck_assert_uint_eq(alloc.nlive, 0);
	ck_assert_uint_le(alloc.max_size, sizeof(struct usbip_device));
}
END_TEST

START_TEST(test_devlist_fewer_devices_than_announced)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;

	make_device(&d, "1-1", 0x1234, 0x5678, 2);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 3);
	put_device(&s, &d, 2);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);
	ck_assert_uint_eq(list.ndev, 0);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_ge(alloc.reallocs, 1);
	ck_assert_uint_eq(alloc.nlive, 0);	/* no leak */
	/* Memory grows with what really arrived, not with the announced count. */
	ck_assert_uint_le(alloc.max_size, 2 * sizeof(struct usbip_device));
}
END_TEST

START_TEST(test_devlist_max_interfaces)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;

	make_device(&d, "2-1", 0x1234, 0x5678, USBIP_MAX_INTERFACES);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 1);
	put_device(&s, &d, USBIP_MAX_INTERFACES);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 0);
	ck_assert_uint_eq(list.ndev, 1);
	ck_assert_uint_eq(list.devs[0].bNumInterfaces, 255);
	ck_assert_uint_eq(list.devs[0].interfaces[254].bInterfaceClass, (uint8_t)(0x08 + 254));
	ck_assert_uint_eq(list.devs[0].interfaces[254].bInterfaceProtocol,
			  (uint8_t)(0x50 + 254));
	usbip_devlist_free(&list);
}
END_TEST

START_TEST(test_devlist_interfaces_short)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;

	make_device(&d, "2-1", 0x1234, 0x5678, USBIP_MAX_INTERFACES);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 1);
	put_device(&s, &d, 10);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);
	ck_assert_uint_eq(list.ndev, 0);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_eq(alloc.nlive, 0);
}
END_TEST

START_TEST(test_devlist_truncated_device)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;

	make_device(&d, "1-1", 0x1234, 0x5678, 0);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 1);
	put_device(&s, &d, 0);
	s.len -= 100;
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_eq(alloc.nlive, 0);

	/* EOF inside the device count. */
	s.len = 0;
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_bytes(&s, "\0\0", 2);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);

	/* EOF inside the header. */
	s.len = 0;
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	s.len = 5;
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);

	/* No reply at all. */
	s.len = 0;
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -ECONNRESET);
}
END_TEST

START_TEST(test_devlist_wrong_code)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_u32(&s, 0);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), USBIP_ST_ERROR);
	ck_assert_int_eq(USBIP_ST_ERROR, 5);
	ck_assert_ptr_null(list.devs);
	ck_assert_ptr_nonnull(strstr(test_log, "0x0003"));

	/* The request code echoed back is not a reply either. */
	s.len = 0;
	put_header(&s, USBIP_OP_REQ_DEVLIST, 0);
	put_u32(&s, 0);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), USBIP_ST_ERROR);
}
END_TEST

START_TEST(test_devlist_wrong_version)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_bytes(&s, ((const uint8_t[]){ 0x01, 0x10, 0x00, 0x05, 0, 0, 0, 0 }), 8);
	put_u32(&s, 0);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), -EPROTO);
	ck_assert_ptr_null(list.devs);
	ck_assert_ptr_nonnull(strstr(test_log, "0x0110"));
}
END_TEST

START_TEST(test_devlist_status_not_ok)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;

	put_header(&s, USBIP_OP_REP_DEVLIST, USBIP_ST_NODEV);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 4);
	ck_assert_ptr_null(list.devs);
	ck_assert_uint_eq(list.ndev, 0);

	s.len = 0;
	put_header(&s, USBIP_OP_REP_DEVLIST, USBIP_ST_NA);
	ck_assert_int_eq(devlist_against(&s, PEER_REPLY, 2000, &list), 1);

	/* A status that does not fit an int is still a positive failure. */
	s.len = 0;
	put_header(&s, USBIP_OP_REP_DEVLIST, 0xffffffff);
	ck_assert_int_gt(devlist_against(&s, PEER_REPLY, 2000, &list), 0);
}
END_TEST

START_TEST(test_devlist_timeout_silent_peer)
{
	struct script s = { .len = 0 };
	struct usbip_devlist list;
	int64_t t0 = usbip_now_ms(), elapsed;

	ck_assert_int_eq(devlist_against(&s, PEER_SILENT, 200, &list), -ETIMEDOUT);
	elapsed = usbip_now_ms() - t0;
	ck_assert_int_ge(elapsed, 150);
	ck_assert_int_lt(elapsed, 2000);
	ck_assert_ptr_null(list.devs);
}
END_TEST

START_TEST(test_devlist_timeout_drip_peer)
{
	struct script s = { .len = 0 };
	struct usbip_device d;
	struct usbip_devlist list;
	int64_t t0, elapsed;

	make_device(&d, "1-1", 0x1234, 0x5678, 0);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_u32(&s, 1);
	put_device(&s, &d, 0);
	t0 = usbip_now_ms();
	ck_assert_int_eq(devlist_against(&s, PEER_DRIP, 200, &list), -ETIMEDOUT);
	elapsed = usbip_now_ms() - t0;
	ck_assert_int_ge(elapsed, 150);
	ck_assert_int_lt(elapsed, 2000);
	ck_assert_ptr_null(list.devs);

	/* The deadline covers the whole reply, not each read: 324 bytes at
	 * 10 bytes/s would take 32 s. */
	t0 = usbip_now_ms();
	ck_assert_int_eq(devlist_against(&s, PEER_DRIP, 600, &list), -ETIMEDOUT);
	elapsed = usbip_now_ms() - t0;
	ck_assert_int_ge(elapsed, 550);
	ck_assert_int_lt(elapsed, 2000);
	ck_assert_uint_eq(alloc.nlive, 0);
}
END_TEST

START_TEST(test_devlist_peer_gone)
{
	struct usbip_ctx *ctx = test_ctx_new();
	struct usbip_devlist list;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	/* No SIGPIPE: the runner would die of it. */
	ck_assert_int_eq(usbip_request_devlist(ctx, sv[0], deadline_in(1000), &list), -EPIPE);
	ck_assert_ptr_null(list.devs);
	close(sv[0]);
	usbip_unref(ctx);
}
END_TEST

/* -------------------------------------------------------------- import */

START_TEST(test_import_ok)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;
	int64_t t0;

	make_device(&d, "1-1.4", 0x0781, 0x5581, 2);
	d.speed = USBIP_SPEED_SUPER;
	d.busnum = 1;
	d.devnum = 9;
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);	/* IMPORT replies carry no interfaces */
	memset(&out, 0x5a, sizeof(out));
	t0 = usbip_now_ms();
	/* The peer closes after the reply: a client waiting for the announced
	 * interfaces would fail with -ECONNRESET. */
	ck_assert_int_eq(import_against("1-1.4", &s, PEER_REPLY, 2000, &out), 0);
	ck_assert_int_lt(usbip_now_ms() - t0, 1500);
	ck_assert_str_eq(out.busid, "1-1.4");
	ck_assert_str_eq(out.path, d.path);
	ck_assert_uint_eq(out.idVendor, 0x0781);
	ck_assert_uint_eq(out.idProduct, 0x5581);
	ck_assert_uint_eq(out.speed, USBIP_SPEED_SUPER);
	ck_assert_uint_eq(out.busnum, 1);
	ck_assert_uint_eq(out.devnum, 9);
	ck_assert_uint_eq(out.bNumInterfaces, 2);
}
END_TEST

START_TEST(test_import_ok_no_interfaces_read)
{
	struct usbip_ctx *ctx = test_ctx_new();
	uint8_t req[USBIP_IMPORT_REQ_SIZE] = { 0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1' };
	struct script s = { .len = 0 };
	struct usbip_device d, out;
	uint8_t extra[4];
	struct peer p;

	/* The reply is followed by bytes that belong to the URB traffic: the
	 * client must stop right after the 320-byte reply and leave them. */
	make_device(&d, "1-1", 0x0781, 0x5581, 4);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	put_bytes(&s, "URB!", 4);
	peer_start(&p, req, sizeof(req), s.buf, s.len, PEER_REPLY);
	ck_assert_int_eq(usbip_request_import(ctx, p.fd, "1-1", deadline_in(2000), &out), 0);
	ck_assert_uint_eq(out.bNumInterfaces, 4);
	ck_assert_int_eq(usbip_net_recv(p.fd, extra, 4, deadline_in(2000)), 0);
	ck_assert_mem_eq(extra, "URB!", 4);
	peer_finish(&p);
	usbip_unref(ctx);
}
END_TEST

START_TEST(test_import_status)
{
	struct script s = { .len = 0 };
	struct usbip_device out;

	for (uint32_t st = 1; st <= 4; st++) {
		s.len = 0;
		put_header(&s, USBIP_OP_REP_IMPORT, st);
		ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), (int)st);
	}
}
END_TEST

START_TEST(test_import_other_busid)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;

	make_device(&d, "1-2", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(test_log, "recv different busid 1-2"));

	/* A longer bus id with the requested one as prefix is another device. */
	s.len = 0;
	make_device(&d, "1-10", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), -EBADMSG);
}
END_TEST

START_TEST(test_import_wrong_code)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;

	make_device(&d, "1-1", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_DEVLIST, 0);
	put_device(&s, &d, 0);
	ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), USBIP_ST_ERROR);
}
END_TEST

START_TEST(test_import_wrong_version)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;

	make_device(&d, "1-1", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	s.buf[0] = 0x11;
	s.buf[1] = 0x01;
	ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), -EPROTO);
}
END_TEST

START_TEST(test_import_truncated)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;

	make_device(&d, "1-1", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	s.len = USBIP_IMPORT_REP_SIZE - 1;
	ck_assert_int_eq(import_against("1-1", &s, PEER_REPLY, 2000, &out), -ECONNRESET);
}
END_TEST

START_TEST(test_import_timeout)
{
	struct script s = { .len = 0 };
	struct usbip_device d, out;
	int64_t t0 = usbip_now_ms(), elapsed;

	ck_assert_int_eq(import_against("1-1", &s, PEER_SILENT, 200, &out), -ETIMEDOUT);
	elapsed = usbip_now_ms() - t0;
	ck_assert_int_ge(elapsed, 150);
	ck_assert_int_lt(elapsed, 2000);

	make_device(&d, "1-1", 0x0781, 0x5581, 0);
	put_header(&s, USBIP_OP_REP_IMPORT, 0);
	put_device(&s, &d, 0);
	t0 = usbip_now_ms();
	ck_assert_int_eq(import_against("1-1", &s, PEER_DRIP, 200, &out), -ETIMEDOUT);
	elapsed = usbip_now_ms() - t0;
	ck_assert_int_ge(elapsed, 150);
	ck_assert_int_lt(elapsed, 2000);
}
END_TEST

/* ----------------------------------------------------------------- net */

START_TEST(test_net_recv_send)
{
	uint8_t buf[16];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(usbip_net_send(sv[0], "0123456789", 10, deadline_in(1000)), 0);
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 4, deadline_in(1000)), 0);
	ck_assert_mem_eq(buf, "0123", 4);
	/* Data already there is read even with a deadline in the past. */
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 6, usbip_now_ms() - 1), 0);
	ck_assert_mem_eq(buf, "456789", 6);
	/* Nothing there and no time left. */
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 1, usbip_now_ms() - 1), -ETIMEDOUT);
	/* Partial data then EOF. */
	ck_assert_int_eq(usbip_net_send(sv[0], "ab", 2, deadline_in(1000)), 0);
	close(sv[0]);
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 3, deadline_in(1000)), -ECONNRESET);
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 1, deadline_in(1000)), -ECONNRESET);
	/* Zero length is a no-op. */
	ck_assert_int_eq(usbip_net_recv(sv[1], buf, 0, deadline_in(1000)), 0);
	close(sv[1]);
	ck_assert_int_eq(usbip_net_recv(-1, buf, 1, deadline_in(1000)), -EBADF);
	ck_assert_int_eq(usbip_net_send(-1, buf, 1, deadline_in(1000)), -EBADF);
}
END_TEST

START_TEST(test_net_send_timeout_full_buffer)
{
	static uint8_t big[4 << 20];
	int sv[2];
	int64_t t0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	t0 = usbip_now_ms();
	ck_assert_int_eq(usbip_net_send(sv[0], big, sizeof(big), deadline_in(200)), -ETIMEDOUT);
	ck_assert_int_lt(usbip_now_ms() - t0, 2000);
	close(sv[1]);
	ck_assert_int_eq(usbip_net_send(sv[0], big, 1, deadline_in(200)), -EPIPE);
	close(sv[0]);
}
END_TEST

/* A loopback TCP socket bound to an ephemeral port; listening or not. */
static int loopback_socket(bool listening, char *service, size_t size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(service, size, "%u", ntohs(sin.sin_port));
	return fd;
}

START_TEST(test_net_connect_refused)
{
	struct usbip_ctx *ctx = test_ctx_new();
	char service[16];
	/* Bound but not listening: nobody else can take the port meanwhile. */
	int bound = loopback_socket(false, service, sizeof(service));
	int64_t t0 = usbip_now_ms();
	int r = usbip_net_connect(ctx, "127.0.0.1", service, 1000);

	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(r, -ECONNREFUSED);
	ck_assert_int_lt(usbip_now_ms() - t0, 1000);
	close(bound);
	usbip_unref(ctx);
}
END_TEST

START_TEST(test_net_connect_ok)
{
	struct usbip_ctx *ctx = test_ctx_new();
	char service[16];
	int lfd = loopback_socket(true, service, sizeof(service));
	int fd, afd, v;
	socklen_t len = sizeof(v);

	fd = usbip_net_connect(ctx, "127.0.0.1", service, 1000);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	ck_assert_int_ne(v, 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
	ck_assert_int_ne(v, 0);
	/* Blocking again (the kernel takes the socket over) and close-on-exec. */
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(usbip_net_send(fd, "x", 1, deadline_in(1000)), 0);
	close(afd);
	close(fd);
	close(lfd);
	usbip_unref(ctx);
}
END_TEST

/* Connects to 127.0.0.1:@service without blocking; true once connected
 * within @ms. */
static bool probe_connect(const char *service, int ms, int *fd_out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				   .sin_port = htons((uint16_t)atoi(service)) };
	struct pollfd pfd;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	*fd_out = fd;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return true;
	ck_assert_int_eq(errno, EINPROGRESS);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	return poll(&pfd, 1, ms) == 1;
}

START_TEST(test_net_connect_timeout)
{
	struct usbip_ctx *ctx = test_ctx_new();
	char service[16];
	int lfd = loopback_socket(false, service, sizeof(service));
	int probes[16], n = 0, r;
	bool pending = false;
	int64_t t0, elapsed;

	/* A listener whose accept queue is full drops new SYNs, so a connect
	 * to it hangs: the loopback stand-in for an unreachable host. */
	ck_assert_int_eq(listen(lfd, 0), 0);
	while (n < (int)ARRAY_SIZE(probes) && !pending)
		pending = !probe_connect(service, 200, &probes[n++]);
	if (pending) {
		t0 = usbip_now_ms();
		r = usbip_net_connect(ctx, "127.0.0.1", service, 300);
		elapsed = usbip_now_ms() - t0;
		ck_assert_int_eq(r, -ETIMEDOUT);
		ck_assert_int_ge(elapsed, 250);
		ck_assert_int_lt(elapsed, 2000);
	} else {
		fprintf(stderr, "could not fill the accept queue; connect timeout not tested\n");
	}
	while (n > 0)
		close(probes[--n]);
	close(lfd);
	usbip_unref(ctx);
}
END_TEST

START_TEST(test_net_connect_ipv6_loopback)
{
	struct usbip_ctx *ctx = test_ctx_new();
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sin6);
	char service[16];
	int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		test_cannot_run("no IPv6 loopback; IPv6 connect not tested");
		if (lfd >= 0)
			close(lfd);
		usbip_unref(ctx);
		return;
	}
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin6, &len), 0);
	snprintf(service, sizeof(service), "%u", ntohs(sin6.sin6_port));
	fd = usbip_net_connect(ctx, "::1", service, 1000);
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(lfd);
	usbip_unref(ctx);
}
END_TEST

START_TEST(test_net_connect_bad_service)
{
	struct usbip_ctx *ctx = test_ctx_new();

	/* Numeric host, unknown service: fails in getaddrinfo without DNS, and
	 * the code maps back to the resolver's text. */
	int r = usbip_net_connect(ctx, "127.0.0.1", "no-such-usbip-service", 1000);

	ck_assert_int_le(r, USBIP_ERR_RESOLVE);
	ck_assert_str_eq(usbip_strerror(r), gai_strerror(r - USBIP_ERR_RESOLVE));
	ck_assert_str_eq(usbip_strerror(-ECONNREFUSED), strerror(ECONNREFUSED));
	usbip_unref(ctx);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("devlist");
	add_test(tc, test_devlist_two_devices);
	add_test(tc, test_devlist_empty);
	add_test(tc, test_devlist_many_devices);
	add_test(tc, test_devlist_huge_count);
	add_test(tc, test_devlist_count_limit);
	add_test(tc, test_devlist_fewer_devices_than_announced);
	add_test(tc, test_devlist_max_interfaces);
	add_test(tc, test_devlist_interfaces_short);
	add_test(tc, test_devlist_truncated_device);
	add_test(tc, test_devlist_wrong_code);
	add_test(tc, test_devlist_wrong_version);
	add_test(tc, test_devlist_status_not_ok);
	add_test(tc, test_devlist_peer_gone);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	add_test(tc, test_import_ok);
	add_test(tc, test_import_ok_no_interfaces_read);
	add_test(tc, test_import_status);
	add_test(tc, test_import_other_busid);
	add_test(tc, test_import_wrong_code);
	add_test(tc, test_import_wrong_version);
	add_test(tc, test_import_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("deadlines");
	add_test(tc, test_devlist_timeout_silent_peer);
	add_test(tc, test_devlist_timeout_drip_peer);
	add_test(tc, test_import_timeout);
	add_test(tc, test_net_send_timeout_full_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("net");
	add_test(tc, test_net_recv_send);
	add_test(tc, test_net_connect_refused);
	add_test(tc, test_net_connect_ok);
	add_test(tc, test_net_connect_timeout);
	add_test(tc, test_net_connect_ipv6_loopback);
	add_test(tc, test_net_connect_bad_service);
	suite_add_tcase(s, tc);

	return s;
}

TEST_MAIN(client_suite)

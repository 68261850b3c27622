// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/vhci-status.c: usbip_vhci_parse_status() on every status
 * format vhci_hcd has printed, and on broken text.
 */
#include "test-common.h"

#define MAX_PORTS 64

struct collected {
	size_t n;
	struct usbip_vhci_port p[MAX_PORTS];
	int stop_at;		/* 1-based call number that returns stop_value */
	int stop_value;
};

static int collect(const struct usbip_vhci_port *p, void *data)
{
	struct collected *c = data;

	/* Every busid handed out is NUL-terminated within its field. */
	ck_assert_uint_lt(strnlen(p->local_busid, sizeof(p->local_busid)),
			  sizeof(p->local_busid));
	if (c->n < MAX_PORTS)
		c->p[c->n] = *p;
	c->n++;
	if (c->stop_at && (int)c->n == c->stop_at)
		return c->stop_value;
	return 0;
}

static int parse(const char *text, struct collected *c)
{
	memset(c, 0, sizeof(*c));
	return usbip_vhci_parse_status(text, strlen(text), collect, c);
}

/* Parses @len bytes from an exactly sized heap copy (sanitizers see over-reads). */
static int parse_exact(const char *text, size_t len, struct collected *c)
{
	char *copy = malloc(len ? len : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	memset(c, 0, sizeof(*c));
	r = usbip_vhci_parse_status(copy, len, collect, c);
	free(copy);
	return r;
}

static void check_port(const struct usbip_vhci_port *p, uint32_t port, int hub, int status,
		       uint32_t speed, uint32_t devid, uint64_t sockfd, const char *busid)
{
	ck_assert_uint_eq(p->port, port);
	ck_assert_int_eq(p->hub, hub);
	ck_assert_int_eq(p->status, status);
	ck_assert_uint_eq(p->speed, speed);
	ck_assert_uint_eq(p->devid, devid);
	ck_assert_uint_eq(p->sockfd, sockfd);
	ck_assert_str_eq(p->local_busid, busid);
}

#define HDR_CURRENT "hub port sta spd dev      sockfd local_busid\n"
#define HDR_POINTER "hub port sta spd dev      socket           local_busid\n"
#define HDR_PRE413  "prt sta spd bus dev socket           local_busid\n"

/* A line with a valid hub column, to build malformed variants around. */
#define GOOD_LINE "hs  0000 006 002 00010004 000003 3-1\n"

/* ------------------------------------------------------------ formats */

START_TEST(test_current_format)
{
	static const char text[] =
		HDR_CURRENT
		"hs  0000 006 002 00010004 000003 3-1\n"
		"hs  0001 004 000 00000000 000000 0-0\n"
		"ss  0002 004 000 00000000 000000 0-0\n"
		"ss  0003 006 005 00020003 000012 3-2.1\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 4);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_FULL,
		   0x00010004, 3, "3-1");
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
	check_port(&c.p[2], 2, USBIP_HUB_SS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
	/* "000012" is decimal 12, not octal. */
	check_port(&c.p[3], 3, USBIP_HUB_SS, USBIP_VDEV_ST_USED, USBIP_SPEED_SUPER,
		   0x00020003, 12, "3-2.1");
}
END_TEST

START_TEST(test_current_format_full_controller)
{
	char text[4096];
	size_t off;
	struct collected c;

	/* Default sizing: 8 hs + 8 ss ports; a second controller in status.1
	 * numbers its ports from 16. */
	off = (size_t)snprintf(text, sizeof(text), HDR_CURRENT);
	for (unsigned i = 0; i < 16; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"%s  %04u 004 000 00000000 000000 0-0\n",
					i < 8 ? "hs" : "ss", 16 + i);
	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 16);
	for (unsigned i = 0; i < 16; i++) {
		ck_assert_uint_eq(c.p[i].port, 16 + i);
		ck_assert_int_eq(c.p[i].hub, i < 8 ? USBIP_HUB_HS : USBIP_HUB_SS);
		ck_assert_int_eq(c.p[i].status, USBIP_VDEV_ST_NULL);
	}
}
END_TEST

START_TEST(test_unpadded_sockfd)
{
	/* 4.14.x stables briefly printed the fd with "%u". */
	static const char text[] =
		HDR_CURRENT
		"hs  0000 006 003 00010002 5 1-1\n"
		"hs  0001 004 000 00000000 0000000000000000 0-0\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_HIGH,
		   0x00010002, 5, "1-1");
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
}
END_TEST

START_TEST(test_not_ready_sockfd)
{
	static const char text[] =
		HDR_CURRENT
		"hs  0000 004 000 00000000 0000000000000000 0-0\n"
		"ss  0008 004 000 00000000 0000000000000000 0-0\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
	check_port(&c.p[1], 8, USBIP_HUB_SS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
}
END_TEST

START_TEST(test_pointer_format)
{
	/* 4.13-4.14: the "socket" column holds a kernel pointer, never an fd. */
	static const char text[] =
		HDR_POINTER
		"hs  0000 006 003 00010002 ffff88003a1b2c00 1-1\n"
		"hs  0001 006 002 00010003 0000000012345678 1-2\n"
		"hs  0002 004 000 00000000 0000000000000000 0-0\n"
		"ss  0008 006 005 00020002 ffff8800deadbeef 2-1\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 4);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_HIGH,
		   0x00010002, 0, "1-1");
	/* All-digit pointer: still not an fd. */
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_FULL,
		   0x00010003, 0, "1-2");
	check_port(&c.p[2], 2, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
	check_port(&c.p[3], 8, USBIP_HUB_SS, USBIP_VDEV_ST_USED, USBIP_SPEED_SUPER,
		   0x00020002, 0, "2-1");
}
END_TEST

START_TEST(test_pre413_used_ports)
{
	/* Before 4.13: no hub column; a used port prints
	 * "%03u %03u " "%03u %08x " "%16p " "%s". */
	static const char text[] =
		HDR_PRE413
		"000 006 003 00010002 ffff88003a1b2c00 1-1\n"
		"001 006 002 00010003         c5a7bb80 1-2\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_HIGH,
		   0x00010002, 0, "1-1");
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_FULL,
		   0x00010003, 0, "1-2");
}
END_TEST

/*
 * Before 4.13 the kernel printed a free port as "%03u %03u " followed by the
 * literal "000 000 000 0000000000000000 0-0", i.e. SEVEN fields (separate
 * "bus" and "dev" zeros), e.g. "001 004 000 000 000 0000000000000000 0-0",
 * as many fields as a hub-format line: the parser must not take it for one
 * and reject it because "001" is not "hs"/"ss" (a bug it once had).
 */
START_TEST(test_pre413_free_ports)
{
	static const char text[] =
		HDR_PRE413
		"000 006 003 00010002 ffff88003a1b2c00 1-1\n"
		"001 004 000 000 000 0000000000000000 0-0\n"
		"002 004 000 000 000 0000000000000000 0-0\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_HIGH,
		   0x00010002, 0, "1-1");
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
	check_port(&c.p[2], 2, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
}
END_TEST

START_TEST(test_empty_text)
{
	struct collected c;

	ck_assert_int_eq(parse("", &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(parse(HDR_CURRENT, &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(parse("hub port sta spd dev      sockfd local_busid", &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(parse("\n", &c), 0);
	ck_assert_int_eq(parse("\n\n\n", &c), 0);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(test_no_trailing_newline)
{
	static const char text[] =
		HDR_CURRENT
		"hs  0000 004 000 00000000 000000 0-0\n"
		"hs  0001 006 003 00010002 000007 1-1";
	struct collected c;

	ck_assert_int_eq(parse_exact(text, strlen(text), &c), 0);
	ck_assert_uint_eq(c.n, 2);
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_HIGH,
		   0x00010002, 7, "1-1");
}
END_TEST

START_TEST(test_len_is_respected)
{
	static const char text[] =
		HDR_CURRENT
		"hs  0000 004 000 00000000 000000 0-0\n"
		"GARBAGE AFTER THE END";
	struct collected c;
	size_t len = strlen(HDR_CURRENT "hs  0000 004 000 00000000 000000 0-0\n");

	ck_assert_int_eq(parse_exact(text, len, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	/* Cutting inside the busid gives a shorter busid, not an over-read. */
	ck_assert_int_eq(parse_exact(text, len - 2, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.p[0].local_busid, "0-");
}
END_TEST

START_TEST(test_tabs_and_extra_spaces)
{
	static const char text[] =
		HDR_CURRENT
		"hs\t0000\t006  002 00010004   000003 3-1   \n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_FULL,
		   0x00010004, 3, "3-1");
}
END_TEST

START_TEST(test_limits_accepted)
{
	static const char text[] =
		HDR_CURRENT
		"ss  4294967295 255 255 FFFFFFFF 18446744073709551615 1234567890123456789012345678901\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	check_port(&c.p[0], 4294967295u, USBIP_HUB_SS, 255, 255, 0xffffffff,
		   UINT64_C(18446744073709551615), "1234567890123456789012345678901");
}
END_TEST

/*
 * CRLF line ends never come from the kernel, but if they do the parser
 * accepts them and hands out clean fields: a local_busid of "3-1\r" can never
 * be found in udev and corrupts the output of `usbip port`.
 */
START_TEST(test_crlf)
{
	static const char text[] =
		"hub port sta spd dev      sockfd local_busid\r\n"
		"hs  0000 006 002 00010004 000003 3-1\r\n"
		"hs  0001 004 000 00000000 000000 0-0\r\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	for (size_t i = 0; i < c.n; i++)
		ck_assert_msg(strpbrk(c.p[i].local_busid, "\r\n\t") == NULL,
			      "port %zu: local_busid has the CR of the line end", i);
	check_port(&c.p[0], 0, USBIP_HUB_HS, USBIP_VDEV_ST_USED, USBIP_SPEED_FULL,
		   0x00010004, 3, "3-1");
	check_port(&c.p[1], 1, USBIP_HUB_HS, USBIP_VDEV_ST_NULL, 0, 0, 0, "0-0");
}
END_TEST

/* ---------------------------------------------------------- malformed */

static void assert_bad(const char *line)
{
	char text[512];
	struct collected c;
	int r;

	snprintf(text, sizeof(text), "%s%s", HDR_CURRENT, line);
	r = parse(text, &c);
	ck_assert_msg(r == -EBADMSG, "\"%s\" gave %d", line, r);
	ck_assert_uint_eq(c.n, 0);
}

START_TEST(test_too_few_fields)
{
	assert_bad("hs  0000 006 002 00010004 000003\n");
	assert_bad("hs  0000 006 002 00010004\n");
	assert_bad("hs  0000\n");
	assert_bad("hs\n");
	assert_bad("x\n");
	assert_bad("000 004 000 00000000\n");
}
END_TEST

START_TEST(test_too_many_fields)
{
	assert_bad("hs  0000 006 002 00010004 000003 3-1 extra\n");
	assert_bad("hs  0000 006 002 00010004 000003 3-1 a b c d e f g h i j\n");
}
END_TEST

START_TEST(test_bad_numbers)
{
	assert_bad("hs  00x0 004 000 00000000 000000 0-0\n");	/* port */
	assert_bad("hs  -001 004 000 00000000 000000 0-0\n");
	assert_bad("hs  +001 004 000 00000000 000000 0-0\n");
	assert_bad("hs  0x01 004 000 00000000 000000 0-0\n");
	assert_bad("hs  99999999999 004 000 00000000 000000 0-0\n");	/* > 32 bits */
	assert_bad("hs  4294967296 004 000 00000000 000000 0-0\n");
	assert_bad("hs  999999999999999999999999 004 000 00000000 000000 0-0\n");
	assert_bad("hs  0000 0x4 000 00000000 000000 0-0\n");	/* status */
	assert_bad("hs  0000 256 000 00000000 000000 0-0\n");
	assert_bad("hs  0000 004 abc 00000000 000000 0-0\n");	/* speed */
	assert_bad("hs  0000 004 256 00000000 000000 0-0\n");
	assert_bad("hs  0000 004 000 0000000g 000000 0-0\n");	/* devid */
	assert_bad("hs  0000 004 000 100000000 000000 0-0\n");
}
END_TEST

START_TEST(test_bad_hub)
{
	assert_bad("xs  0000 004 000 00000000 000000 0-0\n");
	assert_bad("HS  0000 004 000 00000000 000000 0-0\n");
	assert_bad("hss 0000 004 000 00000000 000000 0-0\n");
	assert_bad("h   0000 004 000 00000000 000000 0-0\n");
}
END_TEST

START_TEST(test_busid_too_long)
{
	/* 32 characters do not fit the 32-byte field with its NUL. */
	assert_bad("hs  0000 006 002 00010004 000003 12345678901234567890123456789012\n");
	assert_bad("hs  0000 006 002 00010004 000003 "
		   "1234567890123456789012345678901234567890123456789012345678901234567890\n");
}
END_TEST

START_TEST(test_embedded_nul)
{
	static const char text[] = HDR_CURRENT "hs  0000 006 002 0001\0" "0004 000003 3-1\n";
	static const char text2[] = HDR_CURRENT "hs  0000 006 002 00010004 000003 3-1\0\n";
	static const char text3[] = "hub\0port sta spd dev      sockfd local_busid\n" GOOD_LINE;
	struct collected c;

	ck_assert_int_eq(parse_exact(text, sizeof(text) - 1, &c), -EBADMSG);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(parse_exact(text2, sizeof(text2) - 1, &c), -EBADMSG);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(parse_exact(text3, sizeof(text3) - 1, &c), -EBADMSG);
}
END_TEST

START_TEST(test_bad_line_after_good_ones)
{
	static const char text[] =
		HDR_CURRENT
		GOOD_LINE
		"hs  0001 004 000 00000000 000000 0-0\n"
		"hs  0002 004 000\n"
		"hs  0003 004 000 00000000 000000 0-0\n";
	struct collected c;

	ck_assert_int_eq(parse(text, &c), -EBADMSG);
	ck_assert_uint_eq(c.n, 2);
}
END_TEST

START_TEST(test_random_bytes_never_crash)
{
	/* Deterministic garbage: only 0 or -EBADMSG, and no crash. */
	static const char alphabet[] = "hs 0123456789abcdefx-.\t\n\r\0\xff";
	unsigned seed = 12345;

	for (int iter = 0; iter < 3000; iter++) {
		char text[160];
		size_t len;
		struct collected c;
		int r;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(text);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		r = parse_exact(text, len, &c);
		ck_assert_msg(r == 0 || r == -EBADMSG, "iteration %d gave %d", iter, r);
	}
}
END_TEST

/* ----------------------------------------------------------- callback */

START_TEST(test_callback_abort)
{
	static const char text[] =
		HDR_CURRENT
		"hs  0000 004 000 00000000 000000 0-0\n"
		"hs  0001 004 000 00000000 000000 0-0\n"
		"hs  0002 004 000 00000000 000000 0-0\n";
	struct collected c;

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	c.stop_value = 42;
	ck_assert_int_eq(usbip_vhci_parse_status(text, strlen(text), collect, &c), 42);
	ck_assert_uint_eq(c.n, 2);

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	c.stop_value = -EINTR;
	ck_assert_int_eq(usbip_vhci_parse_status(text, strlen(text), collect, &c), -EINTR);
	ck_assert_uint_eq(c.n, 1);

	/* The last port: its value is returned as well. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	c.stop_value = 7;
	ck_assert_int_eq(usbip_vhci_parse_status(text, strlen(text), collect, &c), 7);
	ck_assert_uint_eq(c.n, 3);
}
END_TEST

START_TEST(test_callback_abort_before_bad_line)
{
	static const char text[] = HDR_CURRENT GOOD_LINE "garbage\n";
	struct collected c;

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	c.stop_value = 1;
	ck_assert_int_eq(usbip_vhci_parse_status(text, strlen(text), collect, &c), 1);
}
END_TEST

static Suite *vhci_status_suite(void)
{
	Suite *s = suite_create("vhci-status");
	TCase *tc;

	tc = tcase_create("formats");
	add_test(tc, test_current_format);
	add_test(tc, test_current_format_full_controller);
	add_test(tc, test_unpadded_sockfd);
	add_test(tc, test_not_ready_sockfd);
	add_test(tc, test_pointer_format);
	add_test(tc, test_pre413_used_ports);
	add_test(tc, test_empty_text);
	add_test(tc, test_no_trailing_newline);
	add_test(tc, test_len_is_respected);
	add_test(tc, test_tabs_and_extra_spaces);
	add_test(tc, test_limits_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	add_test(tc, test_too_few_fields);
	add_test(tc, test_too_many_fields);
	add_test(tc, test_bad_numbers);
	add_test(tc, test_bad_hub);
	add_test(tc, test_busid_too_long);
	add_test(tc, test_embedded_nul);
	add_test(tc, test_bad_line_after_good_ones);
	add_test(tc, test_random_bytes_never_crash);
	suite_add_tcase(s, tc);

	tc = tcase_create("callback");
	add_test(tc, test_callback_abort);
	add_test(tc, test_callback_abort_before_bad_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("pre-4.13 and CRLF");
	add_test(tc, test_pre413_free_ports);
	add_test(tc, test_crlf);
	suite_add_tcase(s, tc);

	return s;
}

TEST_MAIN(vhci_status_suite)

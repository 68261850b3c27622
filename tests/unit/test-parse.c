// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the parsers for what users type (lib/util/parse.c): ports
 * and the server names of usbip -r and usbip.conf (HOST, HOST:PORT,
 * [V6ADDR]:PORT, a bare IPv6 address).
 */
#include <errno.h>

#include "test-common.h"
#include "util/parse.h"

static const struct test_group tc_server = { .name = "server" };
static const struct test_group tc_port = { .name = "port" };

START_TEST(test_port)
{
	ck_assert(parse_port("0"));
	ck_assert(parse_port("3240"));
	ck_assert(parse_port("65535"));
	ck_assert(!parse_port("65536"));
	ck_assert(!parse_port(""));
	ck_assert(!parse_port("-1"));
	ck_assert(!parse_port("12x"));
	ck_assert(!parse_port(" 1"));
}
END_TEST
TEST_IN(tc_port, test_port)

START_TEST(test_server_good)
{
	static const struct {
		const char *text, *host, *port;
	} good[] = {
		{ "host", "host", "3240" },
		{ "host:3241", "host", "3241" },
		{ "10.0.0.1", "10.0.0.1", "3240" },
		{ "10.0.0.1:1", "10.0.0.1", "1" },
		{ "::1", "::1", "3240" },			/* bare IPv6: no port */
		{ "fe80::1%eth0", "fe80::1%eth0", "3240" },
		{ "[::1]", "::1", "3240" },
		{ "[::1]:4000", "::1", "4000" },
		{ "[fe80::1%veth0]:3240", "fe80::1%veth0", "3240" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char host[64], port[8];

		ck_assert_msg(parse_server(good[i].text, "3240", host, sizeof(host),
					   port, sizeof(port)) == 0, "%s", good[i].text);
		ck_assert_str_eq(host, good[i].host);
		ck_assert_str_eq(port, good[i].port);
	}
}
END_TEST
TEST_IN(tc_server, test_server_good)

START_TEST(test_server_bad)
{
	static const char *const bad[] = {
		"", ":3240", "host:", "host:65536", "host:x", "[]", "[]:1", "[::1",
		"[::1]x", "[::1]:", "[::1]:-1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char host[64] = "untouched", port[8] = "same";

		ck_assert_msg(parse_server(bad[i], "3240", host, sizeof(host), port,
					   sizeof(port)) == -EINVAL, "%s", bad[i]);
		ck_assert_str_eq(host, "untouched");
		ck_assert_str_eq(port, "same");
	}
}
END_TEST
TEST_IN(tc_server, test_server_bad)

START_TEST(test_server_too_long)
{
	char host[8] = "x", port[8] = "y";

	/* Eight bytes hold seven characters and the NUL. */
	ck_assert_int_eq(parse_server("1234567", "1", host, sizeof(host), port, sizeof(port)), 0);
	ck_assert_int_eq(parse_server("12345678", "1", host, sizeof(host), port, sizeof(port)),
			 -ENAMETOOLONG);
	ck_assert_str_eq(host, "1234567");
	ck_assert_int_eq(parse_server("[12345678]:1", "1", host, sizeof(host), port,
				      sizeof(port)), -ENAMETOOLONG);
}
END_TEST
TEST_IN(tc_server, test_server_too_long)

TEST_MAIN("parse")

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbip's configuration file loader (usbip/config.c, built into this
 * runner): what cli_config_load() keeps in struct usbip_cli, what it
 * refuses, and that a refusal leaves no servers.  The messages are checked
 * by tests/integration/test-client-config.py.
 */
#include "test-common.h"
#include "usbip.h"

static const struct test_group tc_load = {
	.name = "load", .setup = test_tmpdir_setup, .teardown = test_tmpdir_teardown
};

/* A cli as main() has it before the file: port and timeout defaults. */
static struct usbip_cli cli_new(void)
{
	return (struct usbip_cli){ .port = "3240", .timeout_ms = 30000 };
}

static int load_text(struct usbip_cli *cli, const char *text)
{
	return cli_config_load(cli, test_write_file("usbip.conf", text, strlen(text)));
}

START_TEST(servers_in_order)
{
	struct usbip_cli cli = cli_new();

	cli.port = "4000";
	ck_assert_int_eq(load_text(&cli, "# lab\n[client]\n"
				   "servers=lab1; lab2:3241 ;[fe80::1%eth0]:3240;::1\n"), 0);
	ck_assert_uint_eq(cli.nservers, 4);
	ck_assert_str_eq(cli.servers[0].host, "lab1");
	ck_assert_str_eq(cli.servers[0].port, "4000");
	ck_assert_str_eq(cli.servers[1].host, "lab2");
	ck_assert_str_eq(cli.servers[1].port, "3241");
	ck_assert_str_eq(cli.servers[2].host, "fe80::1%eth0");
	ck_assert_str_eq(cli.servers[2].port, "3240");
	ck_assert_str_eq(cli.servers[3].host, "::1");
	ck_assert_str_eq(cli.servers[3].port, "4000");
	ck_assert_int_eq(cli.timeout_ms, 30000);
	cli_config_free(&cli);
	ck_assert_ptr_null(cli.servers);
	ck_assert_uint_eq(cli.nservers, 0);
}
END_TEST
TEST_IN(tc_load, servers_in_order)

START_TEST(server_shown)
{
	struct cli_server v4 = { "lab1", "3240" }, v6 = { "fe80::1%eth0", "1" },
			  odd = { "a\x1b[31m", "3240" };
	char buf[CLI_SERVER_SHOWN_SIZE];

	ck_assert_str_eq(cli_server_shown(&v4, buf, sizeof(buf)), "lab1:3240");
	ck_assert_str_eq(cli_server_shown(&v6, buf, sizeof(buf)), "[fe80::1%eth0]:1");
	ck_assert_str_eq(cli_server_shown(&odd, buf, sizeof(buf)), "a\\x1b[31m:3240");
}
END_TEST
TEST_IN(tc_load, server_shown)

START_TEST(timeout_key)
{
	struct usbip_cli cli = cli_new();

	ck_assert_int_eq(load_text(&cli, "[client]\ntimeout=2.5\n"), 0);
	ck_assert_int_eq(cli.timeout_ms, 2500);
	ck_assert_uint_eq(cli.nservers, 0);
	ck_assert_int_eq(load_text(&cli, "[client]\ntimeout=3600\n"), 0);
	ck_assert_int_eq(cli.timeout_ms, 3600000);
	ck_assert_int_eq(load_text(&cli, "[client]\ntimeout=3600.5\n"), -1);
	ck_assert_int_eq(load_text(&cli, "[client]\ntimeout=0.5\n"), -1);
	ck_assert_int_eq(load_text(&cli, "[client]\ntimeout=ten\n"), -1);
}
END_TEST
TEST_IN(tc_load, timeout_key)

START_TEST(limit_of_servers)
{
	struct usbip_cli cli = cli_new();
	char text[64 * 16 + 64] = "[client]\nservers=";

	for (int i = 0; i < CLI_SERVERS_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "h%d;", i);
	ck_assert_int_eq(load_text(&cli, text), 0);
	ck_assert_uint_eq(cli.nservers, CLI_SERVERS_MAX);
	ck_assert_str_eq(cli.servers[CLI_SERVERS_MAX - 1].host, "h63");
	cli_config_free(&cli);
	strcat(text, "one-more");
	ck_assert_int_eq(load_text(&cli, text), -1);
	ck_assert_ptr_null(cli.servers);
	ck_assert_uint_eq(cli.nservers, 0);
}
END_TEST
TEST_IN(tc_load, limit_of_servers)

/* Files and values refused: -1, and nothing half-loaded. */
START_TEST(refused)
{
	static const char *const bad[] = {
		"servers=a\n",				/* before any group */
		"[client]\nservers a\n",
		"[client\nservers=a\n",
		"[client]\nservers=a;;b\n",
		"[client]\nservers=a:70000\n",
		"[client]\nservers=[::1\n",
		"[client]\nservers=[]:1\n",
		"[client]\nservers=\xff\n",
		"[client]\nservers=a\ntimeout=0\n",
	};
	struct usbip_cli cli = cli_new();

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(load_text(&cli, bad[i]) == -1, "accepted: %s", bad[i]);
		ck_assert_ptr_null(cli.servers);
		ck_assert_uint_eq(cli.nservers, 0);
	}
}
END_TEST
TEST_IN(tc_load, refused)

START_TEST(not_text)
{
	struct usbip_cli cli = cli_new();
	static char big[64 * 1024 + 2];

	ck_assert_int_eq(cli_config_load(&cli, test_write_file("nul", "[client]\n\0x=1\n", 14)),
			 -1);
	memset(big, '#', sizeof(big) - 1);
	ck_assert_int_eq(cli_config_load(&cli, test_write_file("big", big, sizeof(big) - 2)), 0);
	ck_assert_int_eq(cli_config_load(&cli, test_write_file("big", big, sizeof(big) - 1)), -1);
	ck_assert_int_eq(cli_config_load(&cli, test_tmpdir), -1);
	ck_assert_int_eq(cli_config_load(&cli, "/dev/zero"), -1);
}
END_TEST
TEST_IN(tc_load, not_text)

START_TEST(unknown_names_warned)
{
	struct usbip_cli cli = cli_new();

	ck_assert_int_eq(load_text(&cli, "[client]\nservers=a\nretries=3\n"
				   "[tls]\nca=/etc/ca.pem\n[other]\nx=1\n"), 0);
	ck_assert_uint_eq(cli.nservers, 1);
	cli_config_free(&cli);
}
END_TEST
TEST_IN(tc_load, unknown_names_warned)

START_TEST(tls_group)
{
	struct usbip_cli cli = cli_new();

	/* The file's paths where the command line gave none. */
	ck_assert_int_eq(load_text(&cli, "[tls]\nca = /etc/usbip/ca.pem \ncert=/c.pem\n"
				   "key=/k.pem\nother=1\n"), 0);
	ck_assert_str_eq(cli.tls_ca, "/etc/usbip/ca.pem");
	ck_assert_str_eq(cli.tls_cert, "/c.pem");
	ck_assert_str_eq(cli.tls_key, "/k.pem");
	cli_config_free(&cli);
	ck_assert_ptr_null(cli.tls_ca);
	ck_assert_ptr_null(cli.tls_cert);

	/* --tls-ca wins over ca=. */
	cli.tls_ca = "/cmdline-ca.pem";
	ck_assert_int_eq(load_text(&cli, "[tls]\nca=/file-ca.pem\ncert=/c.pem\n"), 0);
	ck_assert_str_eq(cli.tls_ca, "/cmdline-ca.pem");
	ck_assert_str_eq(cli.tls_cert, "/c.pem");
	cli_config_free(&cli);
	ck_assert_str_eq(cli.tls_ca, "/cmdline-ca.pem");
	cli.tls_ca = NULL;

	/* An empty path is an error, and nothing is kept. */
	ck_assert_int_eq(load_text(&cli, "[tls]\nca=\ncert=/c.pem\n"), -1);
	ck_assert_ptr_null(cli.tls_ca);
	ck_assert_ptr_null(cli.tls_cert);
}
END_TEST
TEST_IN(tc_load, tls_group)

START_TEST(which_file)
{
	struct usbip_cli cli = cli_new();
	char missing[600];

	snprintf(missing, sizeof(missing), "%s/none.conf", test_tmpdir);
	/* Named by --config: must be there. */
	ck_assert_int_eq(cli_config_load(&cli, missing), -1);
	/* Named by USBIP_CONF, which stands for the default: may be missing. */
	setenv("USBIP_CONF", missing, 1);
	ck_assert_str_eq(cli_config_path(NULL), missing);
	ck_assert_str_eq(cli_config_path("/x.conf"), "/x.conf");
	ck_assert_int_eq(cli_config_load(&cli, NULL), 0);
	ck_assert_str_eq(cli.config_file, missing);
	ck_assert_uint_eq(cli.nservers, 0);
	setenv("USBIP_CONF", "", 1);
	ck_assert_str_eq(cli_config_path(NULL), SYSCONFDIR "/usbip/usbip.conf");
	unsetenv("USBIP_CONF");
	ck_assert_str_eq(cli_config_path(NULL), SYSCONFDIR "/usbip/usbip.conf");
}
END_TEST
TEST_IN(tc_load, which_file)

TEST_MAIN("config")

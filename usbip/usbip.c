// SPDX-License-Identifier: GPL-2.0-or-later
/* usbip: command dispatcher and global options. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbip.h"
#include "util/parse.h"
#include "util/tls.h"

static const char usage_string[] =
	"usbip [--debug] [--log] [--tcp-port PORT] [version]\n"
	"             [help] <command> <args>\n";


static void usbip_usage(void)
{
	printf("usage: %s", usage_string);
}

static int cmd_version_run(struct usbip_cli *cli, int argc, char *argv[])
{
	printf("usbip (%s)\n", USBIP_COMPAT_VERSION);
	return 0;
}

static int cmd_help_run(struct usbip_cli *cli, int argc, char *argv[]);

static const struct usbip_command cmd_help = {
	"help", cmd_help_run, NULL, NULL,
};
static const struct usbip_command cmd_version = {
	"version", cmd_version_run, NULL, NULL,
};

static const struct usbip_command *const commands[] = {
	&cmd_help, &cmd_version, &cmd_attach, &cmd_detach, &cmd_list,
	&cmd_bind, &cmd_unbind, &cmd_port,
};

static int cmd_help_run(struct usbip_cli *cli, int argc, char *argv[])
{
	int r = 0;

	if (argc > 1) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(commands[i]->name, argv[1]) == 0 && commands[i]->usage) {
				commands[i]->usage();
				return 0;
			}
		r = -1;
	}
	usbip_usage();
	printf("\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i]->help)
			printf("  %-10s %s\n", commands[i]->name, commands[i]->help);
	printf("\n");
	return r;
}

enum { OPT_TIMEOUT = 256, OPT_CONFIG, OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_KEY };

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "log", no_argument, NULL, 'l' },
		{ "tcp-port", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct usbip_cli cli = {
		.port = USBIP_DEFAULT_PORT_STR,
		.timeout_ms = 30000,
	};
	bool debug = false, use_syslog = false;
	const char *cmd, *config = NULL;
	int timeout_ms = -1;
	int opt, r = -1;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+dlt:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			debug = true;
			break;
		case 'l':
			use_syslog = true;
			break;
		case 't':
			if (!parse_port(optarg)) {
				log_setup(NULL, "usbip", debug, use_syslog, true);
				err("invalid port %s: give a number from 0 to 65535", optarg);
				return EXIT_FAILURE;
			}
			cli.port = optarg;
			info("using port %s (\"%s\")", optarg, optarg);
			break;
		case OPT_TIMEOUT:
			if (!parse_seconds(optarg, 1000, 3600 * 1000, &timeout_ms)) {
				log_setup(NULL, "usbip", debug, use_syslog, true);
				err("invalid timeout %s: give seconds from 1 to 3600", optarg);
				return EXIT_FAILURE;
			}
			cli.timeout_given = true;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_TLS_CA:
			cli.tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			cli.tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cli.tls_key = optarg;
			break;
		case 'h':
			/* The reference calls -h an invalid option; help is what was asked. */
			cmd_help_run(NULL, 0, NULL);
			return EXIT_SUCCESS;
		default:
			printf("usbip: invalid option\n");
			usbip_usage();
			return EXIT_FAILURE;
		}
	}

	cli.ctx = usbip_new();
	if (!cli.ctx) {
		fprintf(stderr, "usbip: error: out of memory\n");
		return EXIT_FAILURE;
	}
	log_setup(cli.ctx, "usbip", debug, use_syslog, true);

	cmd = argv[optind];
	if (cmd) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			if (strcmp(commands[i]->name, cmd) != 0)
				continue;
			/* After the options: --tcp-port is the servers' default
			 * port, and --timeout wins over the file's. */
			if (cli_config_load(&cli, config) < 0)
				goto out;
			if (timeout_ms > 0)
				cli.timeout_ms = timeout_ms;
			argc -= optind;
			argv += optind;
			optind = 0;
			r = commands[i]->run(&cli, argc, argv);
			goto out;
		}
	}
	cmd_help_run(&cli, 0, NULL);
out:
	cli_config_free(&cli);
	tls_creds_free(cli.tls);
	usbip_unref(cli.ctx);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "usbip: error: write error on standard output\n");
		return EXIT_FAILURE;
	}
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

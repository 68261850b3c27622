// SPDX-License-Identifier: GPL-2.0-or-later
/* usbipd: export USB devices over the network (USB/IP server). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib-unix.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "usbipd.h"

#define DEFAULT_PID_FILE "/var/run/usbipd.pid"

static const char usage_text[] =
	"usage: usbipd [options]\n"
	"\n"
	"	-4, --ipv4\n"
	"		Bind to IPv4. Default is both.\n"
	"\n"
	"	-6, --ipv6\n"
	"		Bind to IPv6. Default is both.\n"
	"\n"
	"	-e, --device\n"
	"		Run in device mode.\n"
	"		Rather than drive an attached device, create\n"
	"		a virtual UDC to bind gadgets to.\n"
	"\n"
	"	-D, --daemon\n"
	"		Run as a daemon process.\n"
	"\n"
	"	-d, --debug\n"
	"		Print debugging information.\n"
	"\n"
	"	-PFILE, --pid FILE\n"
	"		Write process id to FILE.\n"
	"		If no FILE specified, use " DEFAULT_PID_FILE "\n"
	"\n"
	"	-tPORT, --tcp-port PORT\n"
	"		Listen on TCP/IP port PORT.\n"
	"\n"
	"	-h, --help\n"
	"		Print this help.\n"
	"\n"
	"	-v, --version\n"
	"		Show version.\n"
	"\n";

static void usage(void)
{
	printf("%s", usage_text);
}

static gboolean on_quit_signal(gpointer data)
{
	struct usbipd *d = data;

	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static int write_pid_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f) {
		err("cannot write PID file %s: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0) {
		err("cannot write PID file %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static bool parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return *s && !*end && !errno && v >= 0 && v <= 65535;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "debug", no_argument, NULL, 'd' },
		{ "device", no_argument, NULL, 'e' },
		{ "pid", optional_argument, NULL, 'P' },
		{ "tcp-port", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct usbipd d = {
		.backend = USBIP_BACKEND_HOST,
		.family = AF_UNSPEC,
		.port = USBIP_DEFAULT_PORT_STR,
		.handshake_timeout_ms = 10000,
		.max_handshakes = 256,
	};
	bool ipv4 = false, ipv6 = false, daemonize = false, debug = false;
	const char *pid_file = NULL;
	int opt, r = EXIT_FAILURE;

	log_setup(NULL, "usbipd", false, false, true);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":46DdeP::t:hv", opts, NULL)) != -1) {
		switch (opt) {
		case '4':
			ipv4 = true;
			break;
		case '6':
			ipv6 = true;
			break;
		case 'D':
			daemonize = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'e':
			d.backend = USBIP_BACKEND_VUDC;
			break;
		case 'P':
			/* Also take "--pid FILE", the form the help text shows. */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			pid_file = optarg ? optarg : DEFAULT_PID_FILE;
			break;
		case 't':
			if (!parse_port(optarg)) {
				err("invalid port %s: give a number from 0 to 65535", optarg);
				return EXIT_FAILURE;
			}
			d.port = optarg;
			info("using port %s (\"%s\")", optarg, optarg);
			break;
		case 'h':
			usage();
			return EXIT_SUCCESS;
		case 'v':
			printf("usbipd (%s)\n", USBIP_COMPAT_VERSION);
			return EXIT_SUCCESS;
		case ':':
			fprintf(stderr, "usbipd: option requires an argument -- '%c'\n", optopt);
			usage();
			return EXIT_FAILURE;
		default:
			if (optopt)
				fprintf(stderr, "usbipd: invalid option -- '%c'\n", optopt);
			else
				fprintf(stderr, "usbipd: unrecognized option '%s'\n",
					argv[optind - 1]);
			usage();
			return EXIT_FAILURE;
		}
	}
	if (optind < argc)
		info("ignoring argument '%s'", argv[optind]);
	if (ipv4 != ipv6)
		d.family = ipv4 ? AF_INET : AF_INET6;

	d.ctx = usbip_new();
	if (!d.ctx) {
		err("out of memory");
		return EXIT_FAILURE;
	}
	log_setup(d.ctx, "usbipd", debug, daemonize, !daemonize);
	if (geteuid() != 0)
		err("not running as root?");
	if (usbip_load_module(d.ctx, d.backend == USBIP_BACKEND_VUDC ?
			      "usbip-vudc" : "usbip-host") < 0)
		info("no devices can be exported until the module is loaded");

	if (daemonize) {
		if (daemon(0, 0) < 0) {
			err("daemonizing failed: %s", strerror(errno));
			goto out;
		}
		umask(0);
	}
	signal(SIGPIPE, SIG_IGN);
	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_quit_signal, &d);
	g_unix_signal_add(SIGINT, on_quit_signal, &d);
	if (pid_file && write_pid_file(pid_file) < 0)
		goto out;
	info("starting usbipd (%s)", USBIP_COMPAT_VERSION);
	if (server_listen(&d) < 0)
		goto out_pid;
	g_main_loop_run(d.loop);
	info("shutting down usbipd");
	r = EXIT_SUCCESS;
out_pid:
	server_stop(&d);
	if (pid_file)
		unlink(pid_file);
out:
	if (d.loop)
		g_main_loop_unref(d.loop);
	usbip_unref(d.ctx);
	return r;
}

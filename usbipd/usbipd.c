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
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include "usbipd.h"
#include "util/log.h"
#include "util/tls.h"

#define DEFAULT_PID_FILE "/var/run/usbipd.pid"
#define USBIPD_CONF SYSCONFDIR "/usbip/usbipd.conf"
/* The first descriptor the service manager passes (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START 3

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
	"\n"
	"	-c FILE, --config FILE\n"
	"		Read settings from FILE (default " USBIPD_CONF ").\n"
	"\n"
	"	--allow PREFIX\n"
	"		Accept clients from this address or CIDR prefix only\n"
	"		(repeatable; default: everyone).\n"
	"\n"
	"	--listen ADDRESS\n"
	"		Listen on this address only (repeatable).\n"
	"\n"
	"	--timeout SECONDS\n"
	"		Close connections that have not sent a complete\n"
	"		request within SECONDS (default 10).\n"
	"\n"
	"	--max-handshakes N\n"
	"		At most N connections unanswered; a new one closes\n"
	"		the oldest of the address holding most (default 256).\n"
	"\n"
	"	--max-per-source N\n"
	"		At most N unanswered connections from one address;\n"
	"		a new one closes its oldest (default 64).\n"
	"\n"
	"	--keepalive-idle S, --keepalive-interval S, --keepalive-count N\n"
	"		TCP keepalive of exported connections (default 30, 10, 3).\n"
	"\n"
	"	--rules FILE\n"
	"		Bind the devices the export rules in FILE name\n"
	"		(default " SYSCONFDIR "/usbip/export.rules).\n"
	"\n"
	"	--no-mdns\n"
	"		Do not advertise the server over mDNS/DNS-SD.\n"
	"\n"
	"	-l, --log\n"
	"		Log to syslog.\n"
	"\n";

static void usage(void)
{
	printf("%s", usage_text);
}

static void notify_ready(void)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
}

static gboolean on_quit_signal(gpointer data)
{
	struct usbipd *d = data;

#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static const char *config_path(const struct usbipd *d)
{
	return d->cli.file ? d->cli.file : USBIPD_CONF;
}

/*
 * The credentials @c names, or NULL when TLS is not configured; false
 * after logging why they cannot be loaded.  Read at every reload, so a
 * renewed certificate takes effect on SIGHUP.
 */
static bool load_tls(const struct config *c, const char *path, struct tls_creds **out)
{
	char why[TLS_WHY_SIZE];

	*out = NULL;
	if (!config_tls_check(c, path))
		return false;
	if (!c->tls_cert)
		return true;
	*out = tls_creds_load(true, c->tls_cert, c->tls_key, c->tls_ca, why, sizeof(why));
	if (!*out) {
		err("TLS: %s", why);
		return false;
	}
	return true;
}

/*
 * Reads the configuration file again; the command line still wins.  On
 * false nothing changed: the settings in force stay.
 */
static bool reload(struct usbipd *d)
{
	struct config file, merged;
	const char *path = config_path(d);
	struct tls_creds *tls;

	config_defaults(&file);
	if (!config_load(&file, path, d->cli.file != NULL)) {
		config_clear(&file);
		return false;
	}
	config_merge(&merged, &file, &d->cli);
	config_clear(&file);
	if (d->activated && !activation_matches(&merged, &d->cli, path, LISTEN_FDS_START,
						d->activated)) {
		config_clear(&merged);
		return false;
	}
	if (!load_tls(&merged, path, &tls)) {
		config_clear(&merged);
		return false;
	}
	tls_creds_free(d->tls);
	d->tls = tls;
	if (d->loop && !config_same_at_start(&merged, &d->cfg))
		info("%s: listening addresses, mode and PID file change at the next restart",
		     path);
	config_clear(&d->cfg);
	d->cfg = merged;
	log_setup(d->ctx, "usbipd", d->cfg.debug, d->use_syslog, !d->use_syslog);
	server_settings_changed(d);
	return true;
}

static gboolean on_hangup(gpointer data)
{
	struct usbipd *d = data;

#ifdef HAVE_SYSTEMD
	sd_notify(0, "RELOADING=1");
#endif
	info("reloading configuration");
	if (!reload(d))
		err("configuration not reloaded; the previous settings stay in force");
	export_rules_reload(d);
	mdns_apply(d);
	notify_ready();
	return G_SOURCE_CONTINUE;
}

/*
 * Creates, locks and writes the PID file, which stays open (and locked) for
 * the life of the process.  Opened without following a symbolic link and
 * refused unless it is a plain file with a single name, so a link planted
 * where the file goes cannot make root write elsewhere.  A file another
 * usbipd holds locked is left exactly as it is.
 */
static int pid_file_create(struct usbipd *d, const char *path)
{
	/* O_NONBLOCK: a planted FIFO must not hang the start. */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		      0644);
	char buf[32];
	struct stat st;
	int len;

	if (fd < 0) {
		err("cannot open PID file %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (it is a symbolic link, which is not followed)" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		err("PID file %s is not a plain file with a single name; not using it", path);
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = errno == EWOULDBLOCK ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

		if (n >= 0) {
			g_autofree char *shown = NULL;

			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			shown = g_strescape(buf, NULL);	/* whatever the file holds */
			err("PID file %s is locked by a running usbipd (pid %s); not starting",
			    path, shown);
		} else {
			err("cannot lock PID file %s: %s", path, strerror(errno));
		}
		goto fail;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		err("cannot write PID file %s: %s", path, strerror(errno));
		goto fail;
	}
	d->pid_fd = fd;
	d->pid_path = g_strdup(path);
	return 0;
fail:
	close(fd);
	return -1;
}

/* Removes the PID file written at start (a reload may have named another). */
static void pid_file_remove(struct usbipd *d)
{
	struct stat ours, there;

	if (d->pid_fd < 0)
		return;
	/* Only if the path still names our file, not one made since. */
	if (fstat(d->pid_fd, &ours) == 0 && lstat(d->pid_path, &there) == 0 &&
	    ours.st_dev == there.st_dev && ours.st_ino == there.st_ino)
		unlink(d->pid_path);
	close(d->pid_fd);
	d->pid_fd = -1;
	g_free(d->pid_path);
	d->pid_path = NULL;
}

/* Each connection in progress is a descriptor: allow as many as permitted. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Sockets handed over by systemd (socket activation), or 0. */
static int listen_fds(void)
{
#ifdef HAVE_SYSTEMD
	int n = sd_listen_fds(1);

	return n > 0 ? n : 0;
#else
	return 0;
#endif
}

enum {
	OPT_TIMEOUT = 256, OPT_ALLOW, OPT_LISTEN, OPT_MAX_HANDSHAKES,
	OPT_KA_IDLE, OPT_KA_INTERVAL, OPT_KA_COUNT, OPT_MAX_PER_SOURCE, OPT_RULES,
	OPT_NO_MDNS,
	OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_CA, OPT_REQUIRE_TLS,
};

/* What main() does after parsing: go on, or exit with a status. */
enum { CMDLINE_RUN = -1 };

/*
 * Reads the options into d->cli (settings), d->use_syslog and @daemonize.
 * Returns CMDLINE_RUN, or the exit status for --help, --version and errors.
 */
static int parse_command_line(struct usbipd *d, int argc, char *argv[], bool *daemonize)
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
		{ "config", required_argument, NULL, 'c' },
		{ "log", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "max-handshakes", required_argument, NULL, OPT_MAX_HANDSHAKES },
		{ "max-per-source", required_argument, NULL, OPT_MAX_PER_SOURCE },
		{ "keepalive-idle", required_argument, NULL, OPT_KA_IDLE },
		{ "keepalive-interval", required_argument, NULL, OPT_KA_INTERVAL },
		{ "keepalive-count", required_argument, NULL, OPT_KA_COUNT },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "no-mdns", no_argument, NULL, OPT_NO_MDNS },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
		{ "require-tls", no_argument, NULL, OPT_REQUIRE_TLS },
		{ NULL, 0, NULL, 0 },
	};
	/* Long options that map 1:1 onto configuration keys. */
	static const struct { int opt; const char *key; } keyed[] = {
		{ '4', "ipv4" }, { '6', "ipv6" }, { 'd', "debug" }, { 'e', "device" },
		{ 't', "tcp-port" }, { OPT_TIMEOUT, "timeout" }, { OPT_ALLOW, "allow" },
		{ OPT_LISTEN, "listen" }, { OPT_MAX_HANDSHAKES, "max-handshakes" },
		{ OPT_MAX_PER_SOURCE, "max-per-source" },
		{ OPT_KA_IDLE, "keepalive-idle" }, { OPT_KA_INTERVAL, "keepalive-interval" },
		{ OPT_KA_COUNT, "keepalive-count" }, { OPT_RULES, "rules" },
		{ OPT_NO_MDNS, "no-mdns" },
		{ OPT_TLS_CERT, "tls-cert" }, { OPT_TLS_KEY, "tls-key" }, { OPT_TLS_CA, "tls-ca" },
		{ OPT_REQUIRE_TLS, "require-tls" },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":46DdeP::t:hvc:l", opts, NULL)) != -1) {
		const char *key = NULL;

		for (size_t i = 0; i < G_N_ELEMENTS(keyed); i++)
			if (keyed[i].opt == opt)
				key = keyed[i].key;
		if (key) {
			if (!config_set(&d->cli, key, optarg, "command line"))
				return EXIT_FAILURE;
			if (opt == 't')
				info("using port %s (\"%s\")", optarg, optarg);
			continue;
		}
		switch (opt) {
		case 'D':
			*daemonize = true;
			break;
		case 'l':
			d->use_syslog = true;
			break;
		case 'c':
			g_free(d->cli.file);
			d->cli.file = g_strdup(optarg);
			break;
		case 'P':
			/* Also take "--pid FILE", the form the help text shows. */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			config_set(&d->cli, "pid-file", optarg ? optarg : DEFAULT_PID_FILE,
				   "command line");
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
	d->use_syslog |= *daemonize;
	return CMDLINE_RUN;
}

/* The kernel side: the driver that exports devices, loaded while we may. */
static void prepare_kernel(struct usbipd *d)
{
	d->backend = d->cfg.device ? USBIP_BACKEND_VUDC : USBIP_BACKEND_HOST;
	if (geteuid() != 0)
		err("not running as root?");
	if (usbip_load_module(d->ctx, d->backend == USBIP_BACKEND_VUDC ?
			      "usbip-vudc" : "usbip-host") < 0)
		info("no devices can be exported until the module is loaded");
	/* Now: the capability to load it is dropped before the first client. */
	if (d->tls && usbip_load_module(d->ctx, "tls") < 0)
		err("TLS clients will be refused until the tls module is loaded");
}

/* Detaches from the terminal if asked; then the process-wide settings. */
static int enter_background(bool daemonize)
{
	if (daemonize) {
		if (daemon(0, 0) < 0) {
			err("daemonizing failed: %s", strerror(errno));
			return -1;
		}
		umask(022);
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	return 0;
}

static void add_signal_handlers(struct usbipd *d)
{
	g_unix_signal_add(SIGTERM, on_quit_signal, d);
	g_unix_signal_add(SIGINT, on_quit_signal, d);
	g_unix_signal_add(SIGHUP, on_hangup, d);
}

/* Listening sockets: those systemd passed (if the settings agree), or our own. */
static int open_sockets(struct usbipd *d)
{
	int nfds = listen_fds();

	if (nfds == 0)
		return server_listen(d);
	if (!activation_matches(&d->cfg, &d->cli, config_path(d), LISTEN_FDS_START, nfds))
		return -EINVAL;
	d->activated = nfds;
	return server_adopt(d, LISTEN_FDS_START, nfds);
}

int main(int argc, char *argv[])
{
	struct usbipd d = { .pid_fd = -1 };
	bool daemonize = false;
	int r = EXIT_FAILURE;

	log_setup(NULL, "usbipd", false, false, true);
	config_defaults(&d.cli);
	r = parse_command_line(&d, argc, argv, &daemonize);
	if (r != CMDLINE_RUN) {
		config_clear(&d.cli);
		return r;
	}
	r = EXIT_FAILURE;
	d.ctx = usbip_new();
	if (!d.ctx) {
		err("out of memory");
		goto out;
	}
	if (!reload(&d))
		goto out;
	prepare_kernel(&d);
	if (enter_background(daemonize) < 0)
		goto out;
	d.loop = g_main_loop_new(NULL, FALSE);
	add_signal_handlers(&d);
	info("starting usbipd (%s)", USBIP_COMPAT_VERSION);
	d.devices = devices_new(&d);
	/* After the monitor is up: the binds it makes show in the device list. */
	export_rules_start(&d);
	if (open_sockets(&d) < 0)
		goto out;
	/* After binding: a second instance that cannot bind, or finds the file
	 * locked, leaves the running one's PID file alone. */
	if (d.cfg.pid_file && pid_file_create(&d, d.cfg.pid_file) < 0)
		goto out;
	/* Everything that needs privileges is done: module, sockets, uevents. */
	if (drop_privileges() < 0)
		goto out;
	/* Announced once clients can connect. */
	mdns_apply(&d);
	notify_ready();
	g_main_loop_run(d.loop);
	info("shutting down usbipd");
	r = EXIT_SUCCESS;
out:
	mdns_free(&d);
	server_stop(&d);
	devices_free(d.devices);
	export_rules_free(&d);
	pid_file_remove(&d);
	if (d.loop)
		g_main_loop_unref(d.loop);
	config_clear(&d.cfg);
	config_clear(&d.cli);
	tls_creds_free(d.tls);
	usbip_unref(d.ctx);
	return r;
}

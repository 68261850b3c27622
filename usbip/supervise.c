// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbip attach --persistent: a supervisor that keeps one imported device
 * attached.  It polls the vhci_hcd status once a second; when its port goes
 * free or to another device (connection loss, server reboot, device replug,
 * server-side rebind, a detach through sysfs) it imports the device again,
 * looking it up by selector when the bus id may have changed.  A server that
 * cannot be reached is retried with exponential backoff (util/backoff.h); a
 * server that answers without exporting the device is polled every 2 s, so
 * recovery follows within seconds once the device is exportable again.
 *
 * Its state file, <state dir>/supervisor.<pid>, tells `usbip port` and
 * `usbip detach` (and the VM tests) what it does; SIGTERM ends it without
 * any further attach.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervise.h"
#include "util/backoff.h"
#include "util/parse.h"

#define WATCH_MS	1000	/* vhci status poll */
#define POLL_MS		2000	/* DEVLIST poll while the device is not exported */
#define TRY_MAX_MS	5000	/* bound of each connect and each reply of a try,
				 * or --timeout when shorter */
#define STOP_WAIT_MS	3000	/* usbip detach waits this long for a supervisor */
#define STATE_PREFIX	"supervisor."

struct sup {
	struct usbip_cli *cli;
	int try_ms;
	const char *host;
	struct usbip_selector sel;
	char what[USBIP_RECORD_HOST_MAX + 600];	/* "host:port -b 1-1", for logs */
	struct usbip_vhci *vhci;
	int port;			/* -1 until the first attach */
	uint32_t devid;			/* of the attached device, to spot a replacement */
	char busid[USBIP_BUSID_SIZE];	/* remote bus id last imported */
	struct backoff backoff;
	char state_name[32];
	unsigned long long starttime;	/* ours, from /proc: guards against pid reuse */
	struct supervisor_info info;
};

enum try_result { TRY_OK, TRY_UNREACHABLE, TRY_NOT_EXPORTED, TRY_LOCAL, TRY_STOPPED };

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t stop_signal;
static sigset_t run_mask;	/* the mask while not sleeping: SIGTERM, SIGINT blocked */

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* SIGTERM and SIGINT stay blocked except while sleeping, so that a signal
 * arriving during a connection attempt is seen at the next check instead of
 * being lost between a check and a sleep. */
static void signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&run_mask);
	sigaddset(&run_mask, SIGTERM);
	sigaddset(&run_mask, SIGINT);
	sigprocmask(SIG_BLOCK, &run_mask, NULL);
}

/* Sleeps @ms, or less when SIGTERM/SIGINT comes; true when one came. */
static bool sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	sigset_t open;

	sigprocmask(SIG_SETMASK, NULL, &open);
	sigdelset(&open, SIGTERM);
	sigdelset(&open, SIGINT);
	if (!stop_signal)
		ppoll(NULL, 0, &ts, &open);
	return stop_signal != 0;
}

/* Delivers a pending SIGTERM/SIGINT; true when the supervisor must stop. */
static bool stop_requested(void)
{
	return sleep_ms(0);
}

/* --------------------------------------------------------- state file */

static const char *const state_words[] = {
	[SUP_STARTING] = "starting",
	[SUP_ATTACHED] = "attached",
	[SUP_WAITING] = "waiting",
	[SUP_RETRYING] = "retrying",
};

/* The start time of process @pid in clock ticks since boot (field 22 of
 * /proc/PID/stat), 0 when it is gone or a zombie: a pid and its start time
 * name one process, a pid alone may be reused after a crash. */
static unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long t = 0;
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2] || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/* Control bytes and newlines of user-given text never reach the file: one
 * value per line. */
static void put_value(char *buf, size_t size, size_t *len, const char *key, const char *v)
{
	int n = snprintf(buf + *len, size - *len, "%s ", key);

	/* Room for the key, the newline and the NUL, or no line at all. */
	if (n < 0 || (size_t)n + 2 > size - *len - 1) {
		buf[*len] = '\0';
		return;
	}
	*len += (size_t)n;
	for (; *v && *len < size - 2; v++)
		buf[(*len)++] = (unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v;
	buf[(*len)++] = '\n';
	buf[*len] = '\0';
}

static void state_save(struct sup *s, enum supervisor_state state, int64_t retry_in_ms)
{
	char buf[4096], num[64];
	size_t len = 0;
	int r;

	if (state != s->info.state || state == SUP_RETRYING)
		s->info.since = (int64_t)time(NULL);
	s->info.state = state;
	s->info.port = s->port;
	s->info.retry_at = state == SUP_RETRYING ?
			   (int64_t)time(NULL) + (retry_in_ms + 999) / 1000 : 0;
	buf[0] = '\0';
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	put_value(buf, sizeof(buf), &len, "pid", num);
	snprintf(num, sizeof(num), "%llu", s->starttime);
	put_value(buf, sizeof(buf), &len, "starttime", num);
	put_value(buf, sizeof(buf), &len, "host", s->host);
	put_value(buf, sizeof(buf), &len, "service", s->cli->port);
	put_value(buf, sizeof(buf), &len, "selector", s->info.selector);
	put_value(buf, sizeof(buf), &len, "busid", s->busid[0] ? s->busid : "-");
	snprintf(num, sizeof(num), "%d", s->port);
	put_value(buf, sizeof(buf), &len, "port", s->port < 0 ? "-" : num);
	put_value(buf, sizeof(buf), &len, "state", state_words[state]);
	snprintf(num, sizeof(num), "%lld", (long long)s->info.since);
	put_value(buf, sizeof(buf), &len, "since", num);
	snprintf(num, sizeof(num), "%lld", (long long)s->info.retry_at);
	put_value(buf, sizeof(buf), &len, "retry_at", num);
	r = usbip_state_write(s->cli->ctx, s->state_name, buf, len);
	if (r < 0)
		err("attach %s: write state file %s/%s: %s", s->what,
		    usbip_get_state_dir(s->cli->ctx), s->state_name, strerror(-r));
}

/* Parses a state file; false when it is not one (hostile or torn). */
static bool state_parse(char *text, struct supervisor_info *out,
			unsigned long long *starttime)
{
	unsigned seen = 0, v;
	char *line, *save = NULL;

	memset(out, 0, sizeof(*out));
	out->port = -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (!val)
			return false;
		*val++ = '\0';
		if (!strcmp(line, "pid")) {
			if (!parse_uint(val, 1, 0x7fffffff, &v))
				return false;
			out->pid = (pid_t)v;
			seen |= 1;
		} else if (!strcmp(line, "starttime")) {
			char *end;

			errno = 0;
			*starttime = strtoull(val, &end, 10);
			if (errno || *end || end == val)
				return false;
			seen |= 2;
		} else if (!strcmp(line, "host")) {
			snprintf(out->host, sizeof(out->host), "%s", val);
		} else if (!strcmp(line, "service")) {
			snprintf(out->service, sizeof(out->service), "%s", val);
		} else if (!strcmp(line, "selector")) {
			snprintf(out->selector, sizeof(out->selector), "%s", val);
		} else if (!strcmp(line, "port")) {
			if (strcmp(val, "-") && !parse_uint(val, 0, 65535, &v))
				return false;
			out->port = strcmp(val, "-") ? (int)v : -1;
		} else if (!strcmp(line, "state")) {
			for (size_t i = 0; i < sizeof(state_words) / sizeof(state_words[0]); i++)
				if (!strcmp(val, state_words[i])) {
					out->state = (enum supervisor_state)i;
					seen |= 4;
				}
		} else if (!strcmp(line, "since")) {
			out->since = strtoll(val, NULL, 10);
		} else if (!strcmp(line, "retry_at")) {
			out->retry_at = strtoll(val, NULL, 10);
		}
	}
	return seen == 7;
}

/* @dir/@name belongs to our effective uid.  `usbip detach` signals the pid
 * a state file names: only a file we wrote may name it, and only a process
 * of ours may receive it. */
static bool ours(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0 && st.st_uid == geteuid() &&
	       (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

int supervisor_list(struct usbip_ctx *ctx, struct supervisor_info *out, size_t max)
{
	char dir[4096], text[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", usbip_get_state_dir(ctx));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && n < max) {
		unsigned long long start = 0;

		if (strncmp(de->d_name, STATE_PREFIX, strlen(STATE_PREFIX)))
			continue;
		if (!ours(dir, de->d_name) ||
		    usbip_state_read(ctx, de->d_name, text, sizeof(text)) < 0)
			continue;
		if (!state_parse(text, &out[n], &start))
			continue;
		out[n].starttime = start;
		/* The file's own name must agree, and the process be the one that
		 * wrote it: a crashed supervisor's file names a dead or reused pid. */
		char want[32];

		snprintf(want, sizeof(want), STATE_PREFIX "%ld", (long)out[n].pid);
		if (strcmp(want, de->d_name) || proc_starttime(out[n].pid) != start || !start ||
		    !ours("/proc", want + strlen(STATE_PREFIX)))
			continue;
		n++;
	}
	closedir(d);
	return (int)n;
}

const char *supervisor_state_str(const struct supervisor_info *s, char *buf, size_t size)
{
	int64_t left;

	switch (s->state) {
	case SUP_ATTACHED:
		snprintf(buf, size, "attached");
		break;
	case SUP_WAITING:
		snprintf(buf, size, "waiting for the device to be exported (polling every %d s)",
			 POLL_MS / 1000);
		break;
	case SUP_RETRYING:
		left = s->retry_at - (int64_t)time(NULL);
		snprintf(buf, size, "server unreachable, retry in %lld s",
			 (long long)(left < 0 ? 0 : left));
		break;
	default:
		snprintf(buf, size, "starting");
	}
	return buf;
}

int supervisor_stop_port(struct usbip_ctx *ctx, uint32_t port)
{
	struct supervisor_info list[64];
	int n = supervisor_list(ctx, list, 64), stopped = 0;

	for (int i = 0; i < n; i++) {
		if (list[i].port != (int)port)
			continue;
		if (kill(list[i].pid, SIGTERM) < 0) {
			err("stop the supervisor of port %u (pid %ld): %s", port,
			    (long)list[i].pid, strerror(errno));
			continue;
		}
		/* A supervisor sleeps most of the time and exits at once; one in
		 * a connection attempt (up to TRY_MAX_MS per step) checks the
		 * signal before it could attach, so waiting longer is not needed. */
		for (int t = 0; t < STOP_WAIT_MS / 50 && proc_starttime(list[i].pid) ==
		     list[i].starttime; t++) {
			struct timespec ts = { 0, 50 * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (proc_starttime(list[i].pid) == list[i].starttime)
			err("the supervisor of port %u (pid %ld) has not ended yet; it will "
			    "not attach again", port, (long)list[i].pid);
		else
			info("stopped the supervisor of port %u (pid %ld)", port,
			     (long)list[i].pid);
		stopped++;
	}
	return stopped;
}

/* ------------------------------------------------------------- import */

/*
 * Finds the device @sel names among those @host exports (one DEVLIST):
 * the first that matches on every field, else the only candidate when just
 * an unknown field (a serial) is left to tell.  Returns 0 with @out filled,
 * -ENODEV when there is none (or several such), or the connection's error.
 */
static int find_remote(struct usbip_cli *cli, const char *host,
		       const struct usbip_selector *sel, int timeout_ms, struct usbip_device *out)
{
	struct usbip_devlist list;
	int n = select_candidates(cli, host, cli->port, timeout_ms, sel, &list, NULL);
	size_t pick = list.ndev;

	memset(out, 0, sizeof(*out));
	if (n < 0)
		return n;
	for (size_t i = 0; i < list.ndev && pick == list.ndev; i++) {
		struct usbip_device_ident id = {
			.busid = list.devs[i].busid, .vendor = list.devs[i].idVendor,
			.product = list.devs[i].idProduct,
		};

		if (usbip_selector_match(sel, &id) == USBIP_MATCH_YES)
			pick = i;
	}
	if (pick == list.ndev && list.ndev == 1)
		pick = 0;
	if (pick < list.ndev)
		*out = list.devs[pick];
	usbip_devlist_free(&list);
	return pick < (size_t)n ? 0 : -ENODEV;
}

/* A server's answer that means "not now" rather than "not there". */
static bool server_answered(int r)
{
	return r == -ENODEV || USBIP_ERR_IS_STATUS(r);
}

/* One attempt: look up, import, attach.  @why gets the cause of a failure. */
static enum try_result try_attach(struct sup *s, char *why, size_t size)
{
	struct usbip_cli *cli = s->cli;
	struct usbip_device dev, found;
	const char *busid = s->sel.busid;
	int fd, r, port;

	if (!s->vhci && (r = usbip_vhci_open(cli->ctx, &s->vhci)) < 0) {
		snprintf(why, size, "open vhci_hcd: %s (is vhci_hcd loaded?)", usbip_strerror(r));
		return TRY_LOCAL;
	}
	/* A bus id alone is imported as it is; anything else is looked up, as
	 * a replug on the server may have given the device another bus id. */
	if (s->sel.has_ids || s->sel.serial[0] || s->sel.path[0] || !busid[0]) {
		r = find_remote(cli, s->host, &s->sel, s->try_ms, &found);
		if (r < 0) {
			snprintf(why, size, "%s", r == -ENODEV ? "not in the server's export list" :
				 usbip_strerror(r));
			return server_answered(r) ? TRY_NOT_EXPORTED : TRY_UNREACHABLE;
		}
		busid = found.busid;
	}
	fd = cli_open(cli, s->host, cli->port, s->try_ms, NULL);
	if (fd < 0) {
		snprintf(why, size, "%s", usbip_strerror(fd));
		return TRY_UNREACHABLE;
	}
	r = usbip_request_import(cli->ctx, fd, busid, usbip_now_ms() + s->try_ms, &dev);
	if (r < 0) {
		close(fd);
		snprintf(why, size, "%s", usbip_strerror(r));
		return server_answered(r) ? TRY_NOT_EXPORTED : TRY_UNREACHABLE;
	}
	/* The last moment to honour a user's detach: after this the port is
	 * taken again. */
	if (stop_requested()) {
		close(fd);
		return TRY_STOPPED;
	}
	port = usbip_vhci_attach(s->vhci, fd, cli_devid(&dev), dev.speed);
	close(fd);
	if (port < 0) {
		snprintf(why, size, "%s", port == -EBUSY ? "no free port on vhci_hcd" :
			 strerror(-port));
		return TRY_LOCAL;
	}
	s->port = port;
	s->devid = cli_devid(&dev);
	snprintf(s->busid, sizeof(s->busid), "%s", dev.busid);
	attach_record(cli, port, s->host, dev.busid);
	return TRY_OK;
}

/* Tries until attached; false when told to stop first. */
static bool attach_until_done(struct sup *s, bool first)
{
	int64_t t0 = usbip_now_ms();
	bool polling = false;
	char why[512];

	for (;;) {
		enum try_result r;
		unsigned delay;

		if (stop_requested())
			return false;
		r = try_attach(s, why, sizeof(why));
		switch (r) {
		case TRY_OK:
			backoff_reset(&s->backoff);
			if (first)
				info("attach %s: attached %s on port %d", s->what, s->busid, s->port);
			else
				info("attach %s: re-attached %s on port %d after %.1f s", s->what,
				     s->busid, s->port, (double)(usbip_now_ms() - t0) / 1000.0);
			state_save(s, SUP_ATTACHED, 0);
			return true;
		case TRY_STOPPED:
			return false;
		case TRY_NOT_EXPORTED:
			/* The server is up: the device comes back within seconds of
			 * being exportable, whatever the backoff had grown to. */
			backoff_reset(&s->backoff);
			info("attach %s: device not exported (%s), polling every %d s", s->what,
			     why, POLL_MS / 1000);
			if (!polling || s->info.state != SUP_WAITING)
				state_save(s, SUP_WAITING, 0);
			polling = true;
			if (sleep_ms(POLL_MS))
				return false;
			break;
		case TRY_UNREACHABLE:
		case TRY_LOCAL:
			polling = false;
			delay = backoff_next(&s->backoff);
			info("attach %s: %s (%s), retry in %.1f s", s->what,
			     r == TRY_LOCAL ? "cannot attach here" : "server unreachable", why,
			     delay / 1000.0);
			state_save(s, SUP_RETRYING, delay);
			if (sleep_ms((int)delay))
				return false;
			break;
		}
	}
}

/* Is our device still on our port?  Errors reading the status count as
 * "yes": only a port seen free or taken over is re-imported. */
static bool still_attached(struct sup *s, const char **how)
{
	const struct usbip_vhci_port *ports;
	size_t n;

	if (usbip_vhci_refresh(s->vhci) < 0)
		return true;
	ports = usbip_vhci_ports(s->vhci, &n);
	for (size_t i = 0; i < n; i++) {
		if (ports[i].port != (uint32_t)s->port)
			continue;
		if (ports[i].status == USBIP_VDEV_ST_NULL ||
		    ports[i].status == USBIP_VDEV_ST_NOTASSIGNED) {
			*how = "is free";
			/* The kernel dropped the device: its record is stale now. */
			usbip_record_remove(s->cli->ctx, (uint32_t)s->port);
			return false;
		}
		if (ports[i].devid != s->devid) {
			*how = "holds another device";
			return false;
		}
		/* USBIP_VDEV_ST_ERROR: the kernel is tearing it down; it goes
		 * free at the next poll. */
		return true;
	}
	*how = "is gone";
	return false;
}

static void supervise_loop(struct sup *s)
{
	const char *how = "";

	while (!sleep_ms(WATCH_MS)) {
		if (still_attached(s, &how))
			continue;
		info("attach %s: port %d %s, importing %s again", s->what, s->port, how,
		     s->info.selector);
		if (!attach_until_done(s, false))
			break;
	}
}

/* Forked mode: the child detaches from the terminal and logs to syslog;
 * the parent returns once the child has written its state file, so that
 * `usbip port` right after `usbip attach --persistent` shows it. */
static int daemonize(struct sup *s)
{
	int pipefd[2], fd;
	pid_t pid;
	char c;

	if (pipe(pipefd) < 0) {
		err("attach %s: pipe: %s", s->what, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		err("attach %s: fork: %s; the device stays attached, unsupervised", s->what,
		    strerror(errno));
		return -1;
	}
	if (pid > 0) {
		ssize_t n;

		close(pipefd[1]);
		do
			n = read(pipefd[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(pipefd[0]);
		info("attach %s: port %d supervised by pid %ld", s->what, s->port, (long)pid);
		return 1;
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/") < 0) {
		/* Nothing depends on the working directory. */
	}
	fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_setup(s->cli->ctx, "usbip", usbip_get_log_priority(s->cli->ctx) >= LOG_DEBUG,
		  true, false);
	s->starttime = proc_starttime(getpid());
	snprintf(s->state_name, sizeof(s->state_name), STATE_PREFIX "%ld", (long)getpid());
	state_save(s, SUP_ATTACHED, 0);
	c = 1;
	if (write(pipefd[1], &c, 1) < 0) {
		/* The parent is gone: nothing to tell. */
	}
	close(pipefd[1]);
	return 0;
}

int supervise_attach(struct usbip_cli *cli, const char *host,
		     const struct usbip_selector *sel, bool foreground)
{
	struct sup s;
	char why[512];
	int r = 0;

	memset(&s, 0, sizeof(s));
	s.cli = cli;
	s.try_ms = cli->timeout_ms < TRY_MAX_MS ? cli->timeout_ms : TRY_MAX_MS;
	s.host = host;
	s.sel = *sel;
	s.port = -1;
	usbip_selector_str(sel, s.info.selector, sizeof(s.info.selector));
	snprintf(s.what, sizeof(s.what), "%s:%s %s", host, cli->port, s.info.selector);
	s.info.state = SUP_STARTING;
	backoff_init(&s.backoff, (uint64_t)getpid() << 32 ^ (uint64_t)usbip_now_ms());
	signals_setup();

	if (!foreground) {
		/* Plain attach's contract: it fails when the device cannot be
		 * attached now; only a success is kept alive. */
		enum try_result t = try_attach(&s, why, sizeof(why));

		if (t != TRY_OK) {
			err("attach %s: %s", s.what, t == TRY_STOPPED ? "interrupted" : why);
			usbip_vhci_close(s.vhci);
			return -1;
		}
		r = daemonize(&s);
		if (r != 0) {
			usbip_vhci_close(s.vhci);
			return r > 0 ? 0 : -1;
		}
		info("attach %s: attached %s on port %d, supervising", s.what, s.busid, s.port);
	} else {
		s.starttime = proc_starttime(getpid());
		snprintf(s.state_name, sizeof(s.state_name), STATE_PREFIX "%ld", (long)getpid());
		state_save(&s, SUP_STARTING, 0);
		if (!attach_until_done(&s, true))
			goto out;
	}
	supervise_loop(&s);
out:
	if (s.port >= 0)
		info("attach %s: supervision ended (%s); port %d left as it is", s.what,
		     stop_signal == SIGINT ? "SIGINT" : "SIGTERM", s.port);
	else
		info("attach %s: supervision ended before any attach", s.what);
	usbip_state_remove(cli->ctx, s.state_name);
	usbip_vhci_close(s.vhci);
	return 0;
}

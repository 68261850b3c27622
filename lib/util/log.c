// SPDX-License-Identifier: GPL-2.0-or-later
/* Diagnostics of usbip and usbipd, and the sink for libusbip's messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"

static const char *progname = "usbip";
static int max_priority = LOG_INFO;
static bool to_syslog, to_stderr = true;

__attribute__((format(printf, 5, 0)))
static void vlog(int priority, const char *file, int line, const char *fn,
		 const char *fmt, va_list ap)
{
	const char *level = priority <= LOG_ERR ? "error" :
			    priority == LOG_WARNING ? "warning" :
			    priority <= LOG_INFO ? "info" : "debug";
	char msg[2048], safe[2048], buf[2048];
	int n;

	if (priority > max_priority)
		return;
	/* Messages quote bus ids, paths and host names that came from a server
	 * or a file: no control byte of theirs may reach a terminal or the log. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	escape_controls(safe, sizeof(safe), msg);
	if (to_syslog)
		syslog(priority, "%s", safe);
	if (!to_stderr)
		return;
	/* One write per line: cheap, and lines of concurrent writers stay whole. */
	n = snprintf(buf, sizeof(buf), "%s: %s: ", progname, level);
	if (priority == LOG_DEBUG)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s:%d:[%s] ", file, line, fn);
	if ((size_t)n < sizeof(buf) - 1)
		snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", safe);
	n = (int)strnlen(buf, sizeof(buf) - 1);
	buf[n++] = '\n';
	fflush(stderr);
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void log_msg(int priority, const char *file, int line, const char *fn,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(priority, file, line, fn, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 6, 0)))
static void lib_log(struct usbip_ctx *ctx, int priority, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	vlog(priority, file, line, fn, format, args);
}

void log_setup(struct usbip_ctx *ctx, const char *prog, bool debug, bool use_syslog,
	       bool use_stderr)
{
	progname = prog;
	max_priority = debug ? LOG_DEBUG : LOG_INFO;
	to_stderr = use_stderr;
	if (use_syslog && !to_syslog)
		openlog("", LOG_PID, LOG_USER);
	to_syslog = use_syslog;
	if (ctx) {
		usbip_set_log_fn(ctx, lib_log);
		usbip_set_log_priority(ctx, max_priority);
	}
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void log_limit_report(struct log_limit *l)
{
	if (!l->held)
		return;
	log_msg(LOG_INFO, __FILE__, __LINE__, __func__,
		"log rate limit: %lu %s not logged in the last %.1f s", l->held, l->what,
		(double)(monotonic_us() - l->held_since_us) / 1e6);
	l->held = 0;
}

bool log_limit_allow(struct log_limit *l)
{
	uint64_t now = monotonic_us();

	if (!l->started) {
		l->started = true;
		l->tokens = l->burst;
		l->refilled_us = now;
	}
	l->tokens += (double)(now - l->refilled_us) / 1e6 * l->per_sec;
	if (l->tokens > l->burst)
		l->tokens = l->burst;
	l->refilled_us = now;
	if (l->tokens < 1) {
		if (!l->held++)
			l->held_since_us = now;
		return false;
	}
	l->tokens -= 1;
	/* The count first, so the log reads in order. */
	log_limit_report(l);
	return true;
}

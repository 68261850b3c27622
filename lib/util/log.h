/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_LOG_H
#define USBIP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "libusbip.h"

/*
 * One voice for the tools and the library: "<prog>: <level>: <message>" on
 * stderr (debug adds "file:line:[function] "), and syslog when enabled.
 */
void log_setup(struct usbip_ctx *ctx, const char *prog, bool debug, bool use_syslog,
	       bool use_stderr);
void log_msg(int priority, const char *file, int line, const char *fn,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * A rate limit for messages that a remote peer can cause at will (one per
 * connection, say), so a flood cannot flood the log: at most @burst at once,
 * then @per_sec a second (a token bucket).  What is held back is counted and
 * reported in one line, "log rate limit: N <what> not logged in the last S s",
 * before the next message it lets through, or at log_limit_report().
 */
struct log_limit {
	const char *what;		/* plural noun: "connections" */
	unsigned burst, per_sec;
	/* state, zero at start */
	bool started;
	double tokens;
	uint64_t refilled_us;		/* CLOCK_MONOTONIC */
	unsigned long held;		/* not logged since the last report */
	uint64_t held_since_us;
};

#define LOG_LIMIT_INIT(what_, burst_, per_sec_) \
	{ .what = (what_), .burst = (burst_), .per_sec = (per_sec_) }

/* True when one more message may be logged now; false counts it as held. */
bool log_limit_allow(struct log_limit *l);
/* Logs how many were held back since the last report, if any. */
void log_limit_report(struct log_limit *l);
/* Messages held back and not reported yet. */
static inline unsigned long log_limit_held(const struct log_limit *l)
{
	return l->held;
}

#define err(...)  log_msg(LOG_ERR, __FILE__, __LINE__, __func__, __VA_ARGS__)
/* Something went wrong and the command goes on without it (a server of
 * several that does not answer, an unknown key in a file). */
#define warn(...) log_msg(LOG_WARNING, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define info(...) log_msg(LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define dbg(...)  log_msg(LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)

#endif

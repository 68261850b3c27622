/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_LOG_H
#define USBIP_LOG_H

#include <stdbool.h>
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

#define err(...)  log_msg(LOG_ERR, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define info(...) log_msg(LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define dbg(...)  log_msg(LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helpers of the Check unit tests (one runner binary per area, in the
 * style of libevdev's test suites).  Everything here is static: each runner
 * is a single translation unit.
 */
#ifndef USBIP_TEST_COMMON_H
#define USBIP_TEST_COMMON_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libusbip-internal.h"

#define add_test(tc, fn) tcase_add_test(tc, fn)

/*
 * For a test that cannot run on this machine (no IPv6 loopback, no system
 * usb.ids): says what goes untested, and the caller returns.  In CI (CI set)
 * the test fails instead, because there a skip would hide a failure.
 */
__attribute__((unused))
static void test_cannot_run(const char *why)
{
	if (getenv("CI"))
		ck_abort_msg("%s (a skip in CI would hide a failure)", why);
	fprintf(stderr, "%s\n", why);
}

/* ------------------------------------------------------------- logging */

/* Messages logged by the library through test_ctx_new() contexts. */
static char test_log[8192];

__attribute__((format(printf, 6, 0)))
static void test_log_fn(struct usbip_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format, va_list args)
{
	size_t used = strlen(test_log);

	if (used + 2 >= sizeof(test_log))
		return;
	vsnprintf(test_log + used, sizeof(test_log) - used - 1, format, args);
	used = strlen(test_log);
	test_log[used] = '\n';
	test_log[used + 1] = '\0';
}

__attribute__((unused))
static struct usbip_ctx *test_ctx_new(void)
{
	struct usbip_ctx *ctx = usbip_new();

	ck_assert_ptr_nonnull(ctx);
	usbip_set_log_fn(ctx, test_log_fn);
	usbip_set_log_priority(ctx, LOG_DEBUG);
	test_log[0] = '\0';
	return ctx;
}

/* --------------------------------------------------- temporary directory */

/* Created by test_tmpdir_setup(), removed with its content by _teardown(). */
static char test_tmpdir[256];

__attribute__((unused))
static void test_tmpdir_setup(void)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	snprintf(test_tmpdir, sizeof(test_tmpdir), "%s/usbip-unit-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(test_tmpdir));
}

__attribute__((unused))
static int test_rm_one(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

__attribute__((unused))
static void test_tmpdir_teardown(void)
{
	if (test_tmpdir[0])
		nftw(test_tmpdir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	test_tmpdir[0] = '\0';
}

/* Writes @len bytes of @data to <tmpdir>/<name>; returns the path (static). */
__attribute__((unused))
static const char *test_write_file(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir, name);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* ------------------------------------------------------------- runner */

#define TEST_MAIN(suite_fn)						\
int main(void)								\
{									\
	SRunner *sr = srunner_create(suite_fn());			\
	int failed;							\
									\
	srunner_run_all(sr, CK_ENV);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

#endif

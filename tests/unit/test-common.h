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

/*
 * A TCase of a runner: its name and, if its tests need one, the checked
 * fixture run around each of them.  Declared once per runner file, e.g.
 *	static const struct test_group tc_files = {
 *		.name = "files", .setup = setup, .teardown = teardown
 *	};
 */
struct test_group {
	const char *name;
	void (*setup)(void);
	void (*teardown)(void);
};

struct test_entry {
	const struct test_group *group;
	const TTest *test;
	int line;
};

/* Filled before main() by the TEST_IN() constructors of the runner. */
static struct test_entry test_entries[128];
static size_t test_nentries;

__attribute__((unused))
static void test_register(const struct test_group *group, const TTest *test, int line)
{
	if (test_nentries == ARRAY_SIZE(test_entries)) {
		fprintf(stderr, "test-common.h: more than %zu tests; raise test_entries[]\n",
			ARRAY_SIZE(test_entries));
		abort();
	}
	test_entries[test_nentries++] = (struct test_entry){ group, test, line };
}

/*
 * Puts the test @fn into the TCase @group; written right after the test's
 * END_TEST, so a runner keeps no separate list of its tests to keep in step
 * with the file.  A test left out is an unused static variable: a warning,
 * an error with --enable-werror.  Registration runs before main() (a
 * constructor); TEST_MAIN() builds the suite from what was registered.
 */
#define TEST_IN(group, fn)						\
static void fn##_register(void) __attribute__((constructor));		\
static void fn##_register(void)						\
{									\
	test_register(&(group), fn, __LINE__);				\
}

__attribute__((unused))
static int test_entry_cmp(const void *a, const void *b)
{
	const struct test_entry *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Runs every registered test in a suite named @name: one TCase per group, in
 * the order the tests stand in the file (sorted by line, as the order in which
 * constructors run is not something to rely on).
 */
__attribute__((unused))
static int test_run(const char *name)
{
	const struct test_group *groups[ARRAY_SIZE(test_entries)];
	TCase *tcases[ARRAY_SIZE(test_entries)];
	size_t ngroups = 0, g;
	Suite *s = suite_create(name);
	SRunner *sr;
	int failed;

	qsort(test_entries, test_nentries, sizeof(test_entries[0]), test_entry_cmp);
	for (size_t i = 0; i < test_nentries; i++) {
		const struct test_group *group = test_entries[i].group;

		for (g = 0; g < ngroups && groups[g] != group; g++)
			;
		if (g == ngroups) {
			groups[g] = group;
			tcases[g] = tcase_create(group->name);
			if (group->setup || group->teardown)
				tcase_add_checked_fixture(tcases[g], group->setup,
							  group->teardown);
			suite_add_tcase(s, tcases[g]);
			ngroups++;
		}
		tcase_add_test(tcases[g], test_entries[i].test);
	}

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* The runner's main(): the suite @name, made of the tests given TEST_IN(). */
#define TEST_MAIN(name)							\
int main(void)								\
{									\
	return test_run(name);						\
}

#endif

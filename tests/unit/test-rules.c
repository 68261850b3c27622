// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/rules.c: the export rules file (usbip-export-rules(5)),
 * parsed from text and rewritten in a temporary directory.
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "test-common.h"

static const struct test_group tc_parse = { .name = "parse" };

static struct usbip_rules *parse_ok(const char *text)
{
	struct usbip_rules *r = NULL;
	const char *why = NULL;
	unsigned line = 99;
	int ret = usbip_rules_parse(text, strlen(text), &r, &line, &why);

	ck_assert_msg(ret == 0, "'%s': %d, line %u: %s", text, ret, line, why ? why : "");
	ck_assert_ptr_nonnull(r);
	return r;
}

/* @text must fail at @line with a reason containing @what. */
static void parse_bad(const char *text, size_t len, unsigned want_line, const char *what)
{
	struct usbip_rules *r = (struct usbip_rules *)1;
	const char *why = NULL;
	unsigned line = 0;

	ck_assert_int_eq(usbip_rules_parse(text, len, &r, &line, &why), -EBADMSG);
	ck_assert_ptr_null(r);
	ck_assert_msg(line == want_line, "'%.*s': line %u, not %u", (int)len, text, line,
		      want_line);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, what), "'%.*s': '%s' lacks '%s'", (int)len, text, why, what);
}

START_TEST(test_good_file)
{
	const char *text =
		"# export rules\n"
		"\n"
		"hardware-id=0781:5567\n"
		"   serial=AA1234\thardware-id=46D:C077   # the keyboard\n"
		"path=pci-0000:00:14.0-usb-0:1.2\n"
		"busid=2-1.3\n"
		"serial=\"A B \\\"q\\\" \\\\ \\x01#\"\r\n"
		"busid=1-1";	/* no final newline */
	struct usbip_rules *r = parse_ok(text);
	const struct usbip_selector *s;
	unsigned line;

	ck_assert_uint_eq(usbip_rules_count(r), 6);
	s = usbip_rules_get(r, 0, &line);
	ck_assert_uint_eq(line, 3);
	ck_assert(s->has_ids && s->vendor == 0x0781 && s->product == 0x5567);
	ck_assert(!s->serial[0] && !s->busid[0] && !s->path[0]);
	s = usbip_rules_get(r, 1, &line);
	ck_assert_uint_eq(line, 4);
	ck_assert_str_eq(s->serial, "AA1234");
	ck_assert(s->has_ids && s->vendor == 0x046d && s->product == 0xc077);
	s = usbip_rules_get(r, 2, &line);
	ck_assert_str_eq(s->path, "pci-0000:00:14.0-usb-0:1.2");
	s = usbip_rules_get(r, 3, &line);
	ck_assert_uint_eq(line, 6);
	ck_assert_str_eq(s->busid, "2-1.3");
	s = usbip_rules_get(r, 4, &line);
	ck_assert_uint_eq(line, 7);
	ck_assert_str_eq(s->serial, "A B \"q\" \\ \x01#");
	s = usbip_rules_get(r, 5, &line);
	ck_assert_uint_eq(line, 8);
	ck_assert_str_eq(s->busid, "1-1");
	ck_assert_ptr_null(usbip_rules_get(r, 6, NULL));
	usbip_rules_free(r);

	/* Nothing but comments and blanks: no rules; nothing at all too. */
	r = parse_ok("# nothing\n\n   \n\t# more\n");
	ck_assert_uint_eq(usbip_rules_count(r), 0);
	usbip_rules_free(r);
	ck_assert_int_eq(usbip_rules_parse(NULL, 0, &r, NULL, NULL), 0);
	ck_assert_uint_eq(usbip_rules_count(r), 0);
	usbip_rules_free(r);
}
END_TEST
TEST_IN(tc_parse, test_good_file)

START_TEST(test_each_error_with_its_line)
{
#define BAD(text, line, what) parse_bad(text, sizeof(text) - 1, line, what)
	BAD("# ok\nvendor=1234\n", 2, "unknown key");
	BAD("busid=1-1\nbusid=1-2 busid=1-3\n", 2, "twice");
	BAD("\n\nhardware-id=12345:1\n", 3, "VID:PID");
	BAD("hardware-id=zz:1\n", 1, "VID:PID");
	BAD("hardware-id=0781\n", 1, "VID:PID");
	BAD("busid=../../x\n", 1, "bus id");
	BAD("serial=\n", 1, "empty value");
	BAD("serial=\"\"\n", 1, "empty value");
	BAD("serial\n", 1, "key=value");
	BAD("busid=1-1 junk\n", 1, "key=value");
	BAD("serial=\"open\n", 1, "closing quote");
	BAD("serial=\"a\"b\n", 1, "followed by a blank");
	BAD("serial=\"a\\nb\"\n", 1, "unknown escape");
	BAD("serial=\"a\\x0\"\n", 1, "two hex digits");
	BAD("serial=\"a\\x00\"\n", 1, "not 00");
	BAD("serial=a\"b\n", 1, "quote or backslash");
	BAD("serial=a\\b\n", 1, "quote or backslash");
	BAD("serial=a\x01 b\n", 1, "control character");
	BAD("busid=1-1\nserial=a\0b\n", 2, "NUL");
#undef BAD
}
END_TEST
TEST_IN(tc_parse, test_each_error_with_its_line)

START_TEST(test_limits)
{
	size_t big = USBIP_RULES_LINE_MAX + 1 + (USBIP_RULES_MAX + 1) * 12;
	char *text = malloc(big), *p = text;
	struct usbip_rules *r;

	/* A line of exactly USBIP_RULES_LINE_MAX bytes is fine, one more is not. */
	memset(text, ' ', USBIP_RULES_LINE_MAX);
	memcpy(text, "busid=1-1", 9);
	ck_assert_int_eq(usbip_rules_parse(text, USBIP_RULES_LINE_MAX, &r, NULL, NULL), 0);
	usbip_rules_free(r);
	text[USBIP_RULES_LINE_MAX] = ' ';
	parse_bad(text, USBIP_RULES_LINE_MAX + 1, 1, "line too long");

	/* A value longer than its field. */
	memset(text, 'a', 400);
	memcpy(text, "serial=", 7);
	parse_bad(text, 400, 1, "too long");

	/* USBIP_RULES_MAX rules, then one more. */
	for (unsigned i = 0; i < USBIP_RULES_MAX; i++)
		p += sprintf(p, "busid=1-%u\n", i + 1);
	ck_assert_int_eq(usbip_rules_parse(text, (size_t)(p - text), &r, NULL, NULL), 0);
	ck_assert_uint_eq(usbip_rules_count(r), USBIP_RULES_MAX);
	usbip_rules_free(r);
	p += sprintf(p, "busid=9-9\n");
	parse_bad(text, (size_t)(p - text), USBIP_RULES_MAX + 1, "too many rules");
	free(text);
}
END_TEST
TEST_IN(tc_parse, test_limits)

START_TEST(test_format_round_trip)
{
	static const char *const serials[] = {
		"plain", "A B", "q\"uote", "back\\slash", "#hash", "tab\there",
		"ctl\x01\x1f\x7f", "\xc3\xa9t\xc3\xa9", " lead", "x",
	};
	char line[USBIP_RULES_LINE_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(serials); i++) {
		struct usbip_selector sel = { .has_ids = true, .vendor = 0x1d6b, .product = 2 };
		struct usbip_rules *r;
		int n;

		snprintf(sel.serial, sizeof(sel.serial), "%s", serials[i]);
		snprintf(sel.path, sizeof(sel.path), "pci-0000:00:14.0-usb-0:%zu", i);
		snprintf(sel.busid, sizeof(sel.busid), "1-%zu", i + 1);
		n = usbip_rule_format(&sel, line, sizeof(line));
		ck_assert_int_gt(n, 0);
		ck_assert_uint_eq(strlen(line), (size_t)n);
		ck_assert_int_eq(usbip_rules_parse(line, (size_t)n, &r, NULL, NULL), 0);
		ck_assert_uint_eq(usbip_rules_count(r), 1);
		ck_assert_msg(usbip_rules_equal(usbip_rules_get(r, 0, NULL), &sel), "%s", line);
		usbip_rules_free(r);
	}
	{
		struct usbip_selector sel = { .busid = "1-1" };

		ck_assert_int_eq(usbip_rule_format(&sel, line, sizeof(line)), 9);
		ck_assert_str_eq(line, "busid=1-1");
		snprintf(sel.serial, sizeof(sel.serial), "A B");
		usbip_rule_format(&sel, line, sizeof(line));
		ck_assert_str_eq(line, "busid=1-1 serial=\"A B\"");
		ck_assert_int_eq(usbip_rule_format(&sel, line, 10), -ENAMETOOLONG);
		ck_assert_str_eq(line, "");
	}
	{
		struct usbip_selector empty = { .busid = "" }, bad = { .busid = "../x" };

		ck_assert_int_eq(usbip_rule_format(&empty, line, sizeof(line)), -EINVAL);
		ck_assert_int_eq(usbip_rule_format(&bad, line, sizeof(line)), -EINVAL);
		memset(bad.serial, 'a', sizeof(bad.serial));	/* no NUL */
		bad.busid[0] = '\0';
		ck_assert_int_eq(usbip_rule_format(&bad, line, sizeof(line)), -EINVAL);
	}
}
END_TEST
TEST_IN(tc_parse, test_format_round_trip)

START_TEST(test_match_first_rule)
{
	struct usbip_rules *r = parse_ok("hardware-id=0781:5567 serial=S1\n"
					 "path=pci-0000:00:14.0-usb-0:3\n"
					 "hardware-id=0781:5567\n");
	struct usbip_device_ident id = { .busid = "1-1", .vendor = 0x0781, .product = 0x5567,
					 .serial = "S2", .path = "pci-0000:00:14.0-usb-0:1" };
	unsigned line = 0;
	int m = -1;

	ck_assert_ptr_eq(usbip_rules_match(r, &id, &line, &m), usbip_rules_get(r, 2, NULL));
	ck_assert_uint_eq(line, 3);
	ck_assert_int_eq(m, USBIP_MATCH_YES);
	id.serial = "S1";
	ck_assert_ptr_eq(usbip_rules_match(r, &id, &line, NULL), usbip_rules_get(r, 0, NULL));
	ck_assert_uint_eq(line, 1);
	/* Another device: only the path rule could match, were its path known. */
	id.vendor = 1;
	id.path = NULL;
	ck_assert_ptr_null(usbip_rules_match(r, &id, &line, &m));
	ck_assert_int_eq(m, USBIP_MATCH_UNKNOWN);
	id.path = "pci-0000:00:14.0-usb-0:9";
	ck_assert_ptr_null(usbip_rules_match(r, &id, NULL, &m));
	ck_assert_int_eq(m, USBIP_MATCH_NO);
	usbip_rules_free(r);
}
END_TEST
TEST_IN(tc_parse, test_match_first_rule)

/* ----------------------------------------------------------- the file */

static struct usbip_ctx *ctx;
static char rules_path[600];

static void setup(void)
{
	test_tmpdir_setup();
	umask(022);
	ctx = test_ctx_new();
	/* A subdirectory, so add must make it. */
	snprintf(rules_path, sizeof(rules_path), "%s/usbip/export.rules", test_tmpdir);
}

static void teardown(void)
{
	usbip_unref(ctx);
	ctx = NULL;
	test_tmpdir_teardown();
}

static const struct test_group tc_file = {
	.name = "file", .setup = setup, .teardown = teardown
};

static const char *slurp(void)
{
	static char buf[65536];
	int fd = open(rules_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void put(const char *text)
{
	char dir[600];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/usbip", test_tmpdir);
	mkdir(dir, 0755);
	f = fopen(rules_path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_load_missing_is_empty)
{
	struct usbip_rules *r = (struct usbip_rules *)1;

	ck_assert_int_eq(usbip_rules_load(ctx, rules_path, &r), 0);
	ck_assert_uint_eq(usbip_rules_count(r), 0);
	usbip_rules_free(r);
}
END_TEST
TEST_IN(tc_file, test_load_missing_is_empty)

START_TEST(test_load_broken_names_file_and_line)
{
	struct usbip_rules *r = (struct usbip_rules *)1;
	char want[700];

	put("busid=1-1\n# fine\nbusid=1-1 colour=red\n");
	ck_assert_int_eq(usbip_rules_load(ctx, rules_path, &r), -EBADMSG);
	ck_assert_ptr_null(r);
	snprintf(want, sizeof(want), "%s:3: unknown key", rules_path);
	ck_assert_msg(strstr(test_log, want), "log: %s", test_log);
	/* A directory is not a rules file. */
	ck_assert_int_eq(usbip_rules_load(ctx, test_tmpdir, &r), -EINVAL);
}
END_TEST
TEST_IN(tc_file, test_load_broken_names_file_and_line)

START_TEST(test_add_remove)
{
	struct usbip_selector a = { .busid = "1-1" };
	struct usbip_selector b = { .has_ids = true, .vendor = 0x0781, .product = 0x5567,
				    .serial = "A B" };
	struct usbip_rules *r;
	struct stat st;

	/* Made with its directory; the second add of the same rule: -EEXIST. */
	ck_assert_int_eq(usbip_rules_add(ctx, rules_path, &a), 0);
	ck_assert_str_eq(slurp(), "busid=1-1\n");
	ck_assert_int_eq(stat(rules_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(usbip_rules_add(ctx, rules_path, &a), -EEXIST);

	/* Comments, blanks and spelling of the user's lines are kept. */
	put("# mine\nbusid=1-1   # first\n\nhardware-id=46d:c077\n# last, no newline");
	ck_assert_int_eq(usbip_rules_add(ctx, rules_path, &b), 0);
	ck_assert_str_eq(slurp(), "# mine\nbusid=1-1   # first\n\nhardware-id=46d:c077\n"
		       "# last, no newline\nhardware-id=0781:5567 serial=\"A B\"\n");
	ck_assert_int_eq(usbip_rules_load(ctx, rules_path, &r), 0);
	ck_assert_uint_eq(usbip_rules_count(r), 3);
	ck_assert(usbip_rules_equal(usbip_rules_get(r, 2, NULL), &b));
	usbip_rules_free(r);

	ck_assert_int_eq(usbip_rules_remove(ctx, rules_path, &a), 0);
	ck_assert_str_eq(slurp(), "# mine\n\nhardware-id=46d:c077\n"
		       "# last, no newline\nhardware-id=0781:5567 serial=\"A B\"\n");
	ck_assert_int_eq(usbip_rules_remove(ctx, rules_path, &a), -ENOENT);
	ck_assert_int_eq(usbip_rules_remove(ctx, rules_path, &b), 0);
	ck_assert_str_eq(slurp(), "# mine\n\nhardware-id=46d:c077\n# last, no newline\n");

	/* A broken file is never rewritten. */
	put("busid=1-1\nbogus\n");
	ck_assert_int_eq(usbip_rules_add(ctx, rules_path, &b), -EBADMSG);
	ck_assert_int_eq(usbip_rules_remove(ctx, rules_path, &a), -EBADMSG);
	ck_assert_str_eq(slurp(), "busid=1-1\nbogus\n");
	unlink(rules_path);
	ck_assert_int_eq(usbip_rules_remove(ctx, rules_path, &a), -ENOENT);
}
END_TEST
TEST_IN(tc_file, test_add_remove)

START_TEST(test_concurrent_adds_lose_nothing)
{
	enum { PROCS = 8, EACH = 10 };
	struct usbip_rules *r;
	pid_t pids[PROCS];

	for (int i = 0; i < PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct usbip_ctx *c = usbip_new();
			int bad = 0;

			for (int j = 0; j < EACH; j++) {
				struct usbip_selector s = { .has_ids = true };

				s.vendor = (uint16_t)i;
				s.product = (uint16_t)j;
				bad |= usbip_rules_add(c, rules_path, &s) != 0;
			}
			_exit(bad);
		}
	}
	for (int i = 0; i < PROCS; i++) {
		int st;

		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(usbip_rules_load(ctx, rules_path, &r), 0);
	ck_assert_uint_eq(usbip_rules_count(r), PROCS * EACH);
	usbip_rules_free(r);
}
END_TEST
TEST_IN(tc_file, test_concurrent_adds_lose_nothing)

TEST_MAIN("rules")

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/record.c: the "<host> <service> <busid>\n" port records
 * `usbip attach` leaves for `usbip port`, parsed and stored in a temporary
 * state directory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test-common.h"

static struct usbip_ctx *ctx;
static char state_dir[512];

static void setup(void)
{
	test_tmpdir_setup();
	umask(022);
	ctx = test_ctx_new();
	/* A subdirectory, so the library may create and remove it. */
	snprintf(state_dir, sizeof(state_dir), "%s/vhci_hcd", test_tmpdir);
	ck_assert_int_eq(usbip_set_state_dir(ctx, state_dir), 0);
}

static void teardown(void)
{
	usbip_unref(ctx);
	ctx = NULL;
	/* Restore permissions a test may have taken away. */
	chmod(state_dir, 0700);
	test_tmpdir_teardown();
}

static void make_record(struct usbip_record *rec, const char *host, const char *service,
			const char *busid)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->host, sizeof(rec->host), "%s", host);
	snprintf(rec->service, sizeof(rec->service), "%s", service);
	snprintf(rec->busid, sizeof(rec->busid), "%s", busid);
}

static const char *port_path(uint32_t port)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/port%u", state_dir, port);
	return path;
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

static int parse_str(const char *text, struct usbip_record *rec)
{
	/* Exactly sized heap copy without a terminating NUL. */
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	memset(rec, 0x5a, sizeof(*rec));
	r = usbip_record_parse(copy, len, rec);
	free(copy);
	return r;
}

/* @text must parse into exactly these three fields. */
static void expect_parsed(const char *text, const char *host, const char *service,
			  const char *busid)
{
	struct usbip_record rec;

	ck_assert_int_eq(parse_str(text, &rec), 0);
	ck_assert_str_eq(rec.host, host);
	ck_assert_str_eq(rec.service, service);
	ck_assert_str_eq(rec.busid, busid);
}

/* The TCases of this runner; each test names its own after its END_TEST. */
static const struct test_group tc_parse = {
	.name = "parse" };
static const struct test_group tc_files = { .name = "files", .setup = setup, .teardown = teardown
};

/* -------------------------------------------------------------- parse */

START_TEST(test_parse_basic)
{
	expect_parsed("host 3240 1-1\n", "host", "3240", "1-1");
	expect_parsed("192.168.1.20 3240 3-3.2\n", "192.168.1.20", "3240", "3-3.2");
	expect_parsed("server.example.org usbip usbip-vudc.0\n",
		      "server.example.org", "usbip", "usbip-vudc.0");
}
END_TEST
TEST_IN(tc_parse, test_parse_basic)

START_TEST(test_parse_ipv6)
{
	expect_parsed("::1 3240 2-1\n", "::1", "3240", "2-1");
	expect_parsed("fe80::1%eth0 3240 1-1.2\n", "fe80::1%eth0", "3240", "1-1.2");
	expect_parsed("2001:db8:85a3::8a2e:370:7334 13240 1-2\n",
		      "2001:db8:85a3::8a2e:370:7334", "13240", "1-2");
}
END_TEST
TEST_IN(tc_parse, test_parse_ipv6)

START_TEST(test_parse_first_line_only)
{
	struct usbip_record rec;

	ck_assert_int_eq(parse_str("host 3240 1-1\nother 1 2-2\n", &rec), 0);
	ck_assert_str_eq(rec.host, "host");
	ck_assert_str_eq(rec.busid, "1-1");
	ck_assert_int_eq(parse_str("host 3240 1-1\n garbage", &rec), 0);
}
END_TEST
TEST_IN(tc_parse, test_parse_first_line_only)

START_TEST(test_parse_max_lengths)
{
	char host[USBIP_RECORD_HOST_MAX + 1], serv[USBIP_RECORD_SERV_MAX + 1];
	char busid[USBIP_BUSID_SIZE + 1], text[2048];
	struct usbip_record rec;

	memset(host, 'h', sizeof(host));
	memset(serv, '9', sizeof(serv));
	memset(busid, 'b', sizeof(busid));

	/* 1024 / 31 / 31 characters: accepted. */
	snprintf(text, sizeof(text), "%.1024s %.31s %.31s\n", host, serv, busid);
	ck_assert_int_eq(parse_str(text, &rec), 0);
	ck_assert_uint_eq(strlen(rec.host), 1024);
	ck_assert_uint_eq(strlen(rec.service), 31);
	ck_assert_uint_eq(strlen(rec.busid), 31);

	/* One more in any field: rejected. */
	snprintf(text, sizeof(text), "%.1025s %.31s %.31s\n", host, serv, busid);
	ck_assert_int_eq(parse_str(text, &rec), -EBADMSG);
	snprintf(text, sizeof(text), "%.1024s %.32s %.31s\n", host, serv, busid);
	ck_assert_int_eq(parse_str(text, &rec), -EBADMSG);
	snprintf(text, sizeof(text), "%.1024s %.31s %.32s\n", host, serv, busid);
	ck_assert_int_eq(parse_str(text, &rec), -EBADMSG);
}
END_TEST
TEST_IN(tc_parse, test_parse_max_lengths)

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = {
		"",
		"\n",
		"host 3240 1-1",		/* missing newline */
		"host 3240 1-1 ",
		"host 3240\n",			/* missing fields */
		"host\n",
		"host 3240 \n",
		"host  3240\n",
		"host  3240 1-1\n",		/* double spaces */
		"host 3240  1-1\n",
		" host 3240 1-1\n",
		"host 3240 1-1 \n",		/* trailing space */
		"host 3240 1-1 extra\n",	/* extra field */
		"  \n",
		"\nhost 3240 1-1\n",		/* the first line counts */
	};
	struct usbip_record rec, zero;

	memset(&zero, 0, sizeof(zero));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(parse_str(bad[i], &rec) == -EBADMSG, "case %zu", i);
		/* A failed parse leaves no half-filled record behind. */
		ck_assert_msg(memcmp(&rec, &zero, sizeof(rec)) == 0, "case %zu", i);
	}
}
END_TEST
TEST_IN(tc_parse, test_parse_rejects)

START_TEST(test_parse_respects_len)
{
	static const char text[] = "host 3240 1-1\n";
	static const char nul[] = "ho\0st 3240 1-1\n";
	static const char nul2[] = "host 3240 1-\0001\n";
	struct usbip_record rec;

	ck_assert_int_eq(usbip_record_parse(text, strlen(text), &rec), 0);
	/* Without the newline inside @len it is incomplete. */
	ck_assert_int_eq(usbip_record_parse(text, strlen(text) - 1, &rec), -EBADMSG);
	ck_assert_int_eq(usbip_record_parse(text, 6, &rec), -EBADMSG);
	ck_assert_int_eq(usbip_record_parse(text, 0, &rec), -EBADMSG);
	/* Embedded NUL bytes are not part of a valid field. */
	ck_assert_int_eq(usbip_record_parse(nul, sizeof(nul) - 1, &rec), -EBADMSG);
	ck_assert_int_eq(usbip_record_parse(nul2, sizeof(nul2) - 1, &rec), -EBADMSG);
}
END_TEST
TEST_IN(tc_parse, test_parse_respects_len)

/* ----------------------------------------------------------- storage */

START_TEST(test_state_dir_setting)
{
	ck_assert_str_eq(usbip_get_state_dir(ctx), state_dir);
}
END_TEST
TEST_IN(tc_files, test_state_dir_setting)

START_TEST(test_write_read_remove)
{
	struct usbip_record rec, back;
	struct stat st;
	char buf[256];

	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 3, &rec), 0);

	ck_assert_int_eq(stat(state_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(port_path(3), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_uint_eq(read_file(port_path(3), buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "host 3240 1-1\n");

	memset(&back, 0x5a, sizeof(back));
	ck_assert_int_eq(usbip_record_read(ctx, 3, &back), 0);
	ck_assert_str_eq(back.host, "host");
	ck_assert_str_eq(back.service, "3240");
	ck_assert_str_eq(back.busid, "1-1");

	ck_assert_int_eq(usbip_record_remove(ctx, 3), 0);
	ck_assert_int_eq(access(port_path(3), F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* The now empty directory goes too. */
	ck_assert_int_eq(access(state_dir, F_OK), -1);
	ck_assert_int_eq(usbip_record_read(ctx, 3, &back), -ENOENT);
}
END_TEST
TEST_IN(tc_files, test_write_read_remove)

START_TEST(test_write_ipv6_and_max_lengths)
{
	struct usbip_record rec, back;

	make_record(&rec, "fe80::1%eth0", "3240", "3-3.2");
	ck_assert_int_eq(usbip_record_write(ctx, 0, &rec), 0);
	ck_assert_int_eq(usbip_record_read(ctx, 0, &back), 0);
	ck_assert_str_eq(back.host, "fe80::1%eth0");
	ck_assert_str_eq(back.busid, "3-3.2");

	memset(&rec, 0, sizeof(rec));
	memset(rec.host, 'h', sizeof(rec.host) - 1);
	memset(rec.service, 's', sizeof(rec.service) - 1);
	memset(rec.busid, 'b', sizeof(rec.busid) - 1);
	ck_assert_int_eq(usbip_record_write(ctx, 1, &rec), 0);
	ck_assert_int_eq(usbip_record_read(ctx, 1, &back), 0);
	ck_assert_str_eq(back.host, rec.host);
	ck_assert_str_eq(back.service, rec.service);
	ck_assert_str_eq(back.busid, rec.busid);
}
END_TEST
TEST_IN(tc_files, test_write_ipv6_and_max_lengths)

START_TEST(test_write_truncates)
{
	struct usbip_record rec, back;
	char buf[256];

	make_record(&rec, "a-rather-long-host-name.example.org", "3240", "1-1.2.3");
	ck_assert_int_eq(usbip_record_write(ctx, 5, &rec), 0);
	make_record(&rec, "h", "1", "2-2");
	ck_assert_int_eq(usbip_record_write(ctx, 5, &rec), 0);
	read_file(port_path(5), buf, sizeof(buf));
	ck_assert_str_eq(buf, "h 1 2-2\n");
	ck_assert_int_eq(usbip_record_read(ctx, 5, &back), 0);
	ck_assert_str_eq(back.host, "h");
}
END_TEST
TEST_IN(tc_files, test_write_truncates)

START_TEST(test_port_numbers)
{
	struct usbip_record rec, back;

	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 0, &rec), 0);
	ck_assert_int_eq(access(port_path(0), F_OK), 0);
	ck_assert_int_eq(usbip_record_write(ctx, 4294967295u, &rec), 0);
	ck_assert_str_eq(port_path(4294967295u) + strlen(state_dir), "/port4294967295");
	ck_assert_int_eq(access(port_path(4294967295u), F_OK), 0);
	ck_assert_int_eq(usbip_record_read(ctx, 4294967295u, &back), 0);
}
END_TEST
TEST_IN(tc_files, test_port_numbers)

START_TEST(test_remove_keeps_other_records)
{
	struct usbip_record rec, back;

	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 0, &rec), 0);
	ck_assert_int_eq(usbip_record_write(ctx, 15, &rec), 0);
	ck_assert_int_eq(usbip_record_remove(ctx, 0), 0);
	ck_assert_int_eq(access(state_dir, F_OK), 0);
	ck_assert_int_eq(usbip_record_read(ctx, 15, &back), 0);
	ck_assert_int_eq(usbip_record_remove(ctx, 15), 0);
	ck_assert_int_eq(access(state_dir, F_OK), -1);
}
END_TEST
TEST_IN(tc_files, test_remove_keeps_other_records)

START_TEST(test_remove_missing)
{
	struct usbip_record back;

	/* Neither the record nor the directory exists: nothing to do. */
	ck_assert_int_eq(usbip_record_remove(ctx, 9), 0);
	ck_assert_int_eq(usbip_record_read(ctx, 9, &back), -ENOENT);
}
END_TEST
TEST_IN(tc_files, test_remove_missing)

START_TEST(test_state_dir_is_a_file)
{
	struct usbip_record rec, back;
	struct stat st;

	test_write_file("vhci_hcd", "not a directory\n", 16);
	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 3, &rec), -ENOTDIR);
	ck_assert_int_eq(usbip_record_read(ctx, 3, &back), -ENOTDIR);
	ck_assert_int_eq(usbip_record_remove(ctx, 3), -ENOTDIR);
	/* The file is left alone. */
	ck_assert_int_eq(stat(state_dir, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 16);
}
END_TEST
TEST_IN(tc_files, test_state_dir_is_a_file)

START_TEST(test_state_dir_parent_missing)
{
	struct usbip_record rec;
	char dir[600];

	snprintf(dir, sizeof(dir), "%s/missing/vhci_hcd", test_tmpdir);
	ck_assert_int_eq(usbip_set_state_dir(ctx, dir), 0);
	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 3, &rec), -ENOENT);
}
END_TEST
TEST_IN(tc_files, test_state_dir_parent_missing)

START_TEST(test_state_dir_not_writable)
{
	struct usbip_record rec;
	bool root = geteuid() == 0;
	int r;

	ck_assert_int_eq(mkdir(state_dir, 0500), 0);
	make_record(&rec, "host", "3240", "1-1");
	/* Root ignores the mode: write as nobody (each test runs in its own
	 * process), then take root back for the teardown. */
	if (root) {
		ck_assert_int_eq(chmod(test_tmpdir, 0755), 0);
		ck_assert_int_eq(seteuid(65534), 0);
	}
	r = usbip_record_write(ctx, 3, &rec);
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(r, -EACCES);
}
END_TEST
TEST_IN(tc_files, test_state_dir_not_writable)

START_TEST(test_read_hand_written)
{
	struct usbip_record back;

	ck_assert_int_eq(mkdir(state_dir, 0700), 0);

	/* No trailing newline (e.g. written by hand): still one full line. */
	test_write_file("vhci_hcd/port1", "host 3240 1-1", 13);
	ck_assert_int_eq(usbip_record_read(ctx, 1, &back), 0);
	ck_assert_str_eq(back.busid, "1-1");

	/* Only the first line counts. */
	test_write_file("vhci_hcd/port2", "host 3240 1-1\nnoise noise noise\n", 32);
	ck_assert_int_eq(usbip_record_read(ctx, 2, &back), 0);
	ck_assert_str_eq(back.host, "host");

	test_write_file("vhci_hcd/port3", "garbage\n", 8);
	ck_assert_int_eq(usbip_record_read(ctx, 3, &back), -EBADMSG);
	test_write_file("vhci_hcd/port4", "", 0);
	ck_assert_int_eq(usbip_record_read(ctx, 4, &back), -EBADMSG);
	test_write_file("vhci_hcd/port5", "a b c\0d\n", 8);
	ck_assert_int_eq(usbip_record_read(ctx, 5, &back), -EBADMSG);
}
END_TEST
TEST_IN(tc_files, test_read_hand_written)

START_TEST(test_read_oversized_file)
{
	static char big[4096];
	struct usbip_record back;

	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	memset(big, 'h', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	test_write_file("vhci_hcd/port6", big, sizeof(big));
	ck_assert_int_eq(usbip_record_read(ctx, 6, &back), -EBADMSG);
}
END_TEST
TEST_IN(tc_files, test_read_oversized_file)

/* --------------------------------------------------- hostile state dir */

static const struct test_group tc_hostile_state_dir = {
	.name = "hostile state dir", .setup = setup, .teardown = teardown
};

/* The names in the state directory, sorted, joined by spaces. */
static const char *dir_names(const char *dir)
{
	static char names[1024];
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	names[0] = '\0';
	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			if (names[0])
				strcat(names, " ");
			strcat(names, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return names;
}

START_TEST(test_modes_whatever_the_umask)
{
	static const mode_t masks[] = { 0, 022, 077, 0277 };
	struct usbip_record rec;
	struct stat st;

	make_record(&rec, "host", "3240", "1-1");
	for (size_t i = 0; i < ARRAY_SIZE(masks); i++) {
		umask(masks[i]);
		ck_assert_int_eq(usbip_record_write(ctx, 1, &rec), 0);
		ck_assert_int_eq(stat(state_dir, &st), 0);
		ck_assert_msg((st.st_mode & 07777) == 0700, "umask %03o: dir %04o", masks[i],
			      st.st_mode & 07777);
		ck_assert_int_eq(stat(port_path(1), &st), 0);
		ck_assert_msg((st.st_mode & 07777) == 0644, "umask %03o: record %04o", masks[i],
			      st.st_mode & 07777);
		/* Only the record: no temporary file is left behind. */
		ck_assert_str_eq(dir_names(state_dir), "port1");
		ck_assert_int_eq(usbip_record_remove(ctx, 1), 0);
	}
	umask(022);
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_modes_whatever_the_umask)

START_TEST(test_symlink_at_record_refused)
{
	struct usbip_record rec, back;
	char victim[600], buf[64];
	struct stat st;

	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	snprintf(victim, sizeof(victim), "%s", test_write_file("victim", "precious\n", 9));
	ck_assert_int_eq(symlink(victim, port_path(2)), 0);
	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 2, &rec), -ELOOP);
	ck_assert_ptr_nonnull(strstr(test_log, "port2 is a symbolic link"));
	/* The link's target is untouched, the link left for the admin to see. */
	read_file(victim, buf, sizeof(buf));
	ck_assert_str_eq(buf, "precious\n");
	ck_assert_int_eq(lstat(port_path(2), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	/* Reading does not follow it either. */
	ck_assert_int_eq(usbip_record_read(ctx, 2, &back), -ELOOP);
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_symlink_at_record_refused)

START_TEST(test_symlink_at_dir_refused)
{
	struct usbip_record rec, back;
	char elsewhere[600];
	struct stat st;

	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", test_tmpdir);
	ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
	ck_assert_int_eq(symlink(elsewhere, state_dir), 0);
	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 3, &rec), -ELOOP);
	ck_assert_ptr_nonnull(strstr(test_log, "vhci_hcd is a symbolic link, not a directory"));
	ck_assert_str_eq(dir_names(elsewhere), "");
	ck_assert_int_eq(usbip_record_read(ctx, 3, &back), -ELOOP);
	ck_assert_int_eq(lstat(state_dir, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_symlink_at_dir_refused)

START_TEST(test_dir_of_another_user_refused)
{
	struct usbip_record rec;

	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(state_dir, 65534, 65534), 0);
	} else {
		/* Not root: a directory of root's stands for another user's. */
		snprintf(state_dir, sizeof(state_dir), "/");
		ck_assert_int_eq(usbip_set_state_dir(ctx, state_dir), 0);
	}
	ck_assert_int_eq(usbip_record_write(ctx, 4, &rec), -EPERM);
	ck_assert_ptr_nonnull(strstr(test_log, "belongs to uid"));
	ck_assert_int_eq(access(port_path(4), F_OK), -1);
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_dir_of_another_user_refused)

START_TEST(test_dir_writable_by_others_refused)
{
	static const mode_t modes[] = { 0770, 0720, 0707, 0702, 01777 };
	struct usbip_record rec;

	make_record(&rec, "host", "3240", "1-1");
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		ck_assert_int_eq(chmod(state_dir, modes[i]), 0);
		test_log[0] = '\0';
		ck_assert_msg(usbip_record_write(ctx, 5, &rec) == -EPERM, "mode %04o", modes[i]);
		ck_assert_ptr_nonnull(strstr(test_log, "is writable by others"));
		ck_assert_str_eq(dir_names(state_dir), "");
	}
	/* Readable by all is fine: only writers matter. */
	ck_assert_int_eq(chmod(state_dir, 0755), 0);
	ck_assert_int_eq(usbip_record_write(ctx, 5, &rec), 0);
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_dir_writable_by_others_refused)

START_TEST(test_failed_write_keeps_old_record)
{
	struct usbip_record rec, back;
	char buf[256];
	pid_t pid;
	int status;

	make_record(&rec, "old-host", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 6, &rec), 0);
	/* In a child, with any write past 8 bytes failing (EFBIG), as on a
	 * full disk; a child, because Check's own bookkeeping writes too. */
	make_record(&rec, "new-host.example.org", "3240", "2-2");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit small = { 8, 8 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &small) < 0)
			_exit(2);
		_exit(usbip_record_write(ctx, 6, &rec) == -EFBIG ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* The old record, whole; no temporary file left. */
	read_file(port_path(6), buf, sizeof(buf));
	ck_assert_str_eq(buf, "old-host 3240 1-1\n");
	ck_assert_int_eq(usbip_record_read(ctx, 6, &back), 0);
	ck_assert_str_eq(back.host, "old-host");
	ck_assert_str_eq(dir_names(state_dir), "port6");
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_failed_write_keeps_old_record)

START_TEST(test_write_refuses_what_does_not_read_back)
{
	struct usbip_record rec;

	make_record(&rec, "two words", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 7, &rec), -EINVAL);
	make_record(&rec, "host", "3240", "1-1\nevil 1 2-2");
	ck_assert_int_eq(usbip_record_write(ctx, 7, &rec), -EINVAL);
	make_record(&rec, "", "3240", "1-1");
	ck_assert_int_eq(usbip_record_write(ctx, 7, &rec), -EINVAL);
	ck_assert_int_eq(access(port_path(7), F_OK), -1);
}
END_TEST
TEST_IN(tc_hostile_state_dir, test_write_refuses_what_does_not_read_back)

START_TEST(test_read_failure_zeroes_record)
{
	static const struct usbip_record zero;
	struct usbip_record back;

	/* Whatever the failure, the caller gets no stale or partial fields. */
	memset(&back, 0x5a, sizeof(back));
	ck_assert_int_eq(usbip_record_read(ctx, 7, &back), -ENOENT);
	ck_assert_mem_eq(&back, &zero, sizeof(back));
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	test_write_file("vhci_hcd/port8", "host 3240\n", 10);
	memset(&back, 0x5a, sizeof(back));
	ck_assert_int_eq(usbip_record_read(ctx, 8, &back), -EBADMSG);
	ck_assert_mem_eq(&back, &zero, sizeof(back));
}
END_TEST
TEST_IN(tc_files, test_read_failure_zeroes_record)

/* ------------------------------------------- other files: usbip_state_* */

START_TEST(test_state_file_round_trip)
{
	char path[600], buf[64];
	struct stat st;

	ck_assert_int_eq(usbip_state_write(ctx, "supervisor.42", "pid 42\nstate attached\n", 22), 0);
	snprintf(path, sizeof(path), "%s/supervisor.42", state_dir);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(usbip_state_read(ctx, "supervisor.42", buf, sizeof(buf)), 22);
	ck_assert_str_eq(buf, "pid 42\nstate attached\n");
	/* A small buffer gets what fits, terminated. */
	ck_assert_int_eq(usbip_state_read(ctx, "supervisor.42", buf, 5), 4);
	ck_assert_str_eq(buf, "pid ");
	ck_assert_int_eq(usbip_state_remove(ctx, "supervisor.42"), 0);
	ck_assert_int_eq(usbip_state_read(ctx, "supervisor.42", buf, sizeof(buf)), -ENOENT);
	ck_assert_str_eq(buf, "");
	/* The last file gone, so is the directory; removing twice is fine. */
	ck_assert_int_eq(access(state_dir, F_OK), -1);
	ck_assert_int_eq(usbip_state_remove(ctx, "supervisor.42"), 0);
}
END_TEST
TEST_IN(tc_files, test_state_file_round_trip)

START_TEST(test_state_file_names)
{
	static const char *const bad[] = {
		"", ".hidden", "a/b", "../x", "port0", "port12", "sp ace", "new\nline",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(usbip_state_write(ctx, bad[i], "x", 1), -EINVAL);
		ck_assert_int_eq(usbip_state_read(ctx, bad[i], buf, sizeof(buf)), -EINVAL);
		ck_assert_int_eq(usbip_state_remove(ctx, bad[i]), -EINVAL);
	}
	/* Names that merely start like a record are others' to use. */
	ck_assert_int_eq(usbip_state_write(ctx, "ports", "x", 1), 0);
	ck_assert_int_eq(usbip_state_write(ctx, "supervisor.1_a-b", "x", 1), 0);
	ck_assert_int_eq(usbip_state_read(ctx, "x", buf, 0), -EINVAL);
}
END_TEST
TEST_IN(tc_files, test_state_file_names)

START_TEST(test_state_file_refuses_symlink)
{
	char path[600], buf[16];

	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/supervisor.7", state_dir);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(usbip_state_write(ctx, "supervisor.7", "x", 1), -ELOOP);
	ck_assert_ptr_nonnull(strstr(test_log, "is a symbolic link, not a state file"));
	ck_assert_int_eq(usbip_state_read(ctx, "supervisor.7", buf, sizeof(buf)), -ELOOP);
	ck_assert_str_eq(buf, "");
}
END_TEST
TEST_IN(tc_files, test_state_file_refuses_symlink)

TEST_MAIN("record")

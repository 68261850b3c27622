// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is the text of a port record (<state dir>/port<N>, written by
 * `usbip attach`, read back by `usbip port`).  It goes to usbip_record_parse()
 * directly, and through usbip_record_read() from a real file in a private
 * state directory.  A parsed record must hold three non-empty, space-free,
 * terminated fields that write and parse back to the same record.
 */
#include <fcntl.h>
#include <limits.h>

#include "fuzz-common.h"

static struct usbip_ctx *ctx;
static char state_dir[PATH_MAX], record_file[PATH_MAX + 16];

static void cleanup(void)
{
	unlink(record_file);
	rmdir(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_tmpdir("fuzz-record", state_dir, sizeof(state_dir));
	snprintf(record_file, sizeof(record_file), "%s/port7", state_dir);
	atexit(cleanup);
	ctx = fuzz_ctx_new();
	FUZZ_CHECK(usbip_set_state_dir(ctx, state_dir) == 0);
	return 0;
}

static int field_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n > 0 && n < size && !memchr(s, ' ', n) && !memchr(s, '\n', n);
}

static void check_record(const struct usbip_record *rec)
{
	char line[sizeof(*rec) + 4];
	struct usbip_record again;
	int n;

	FUZZ_CHECK(field_ok(rec->host, sizeof(rec->host)));
	FUZZ_CHECK(field_ok(rec->service, sizeof(rec->service)));
	FUZZ_CHECK(field_ok(rec->busid, sizeof(rec->busid)));
	n = snprintf(line, sizeof(line), "%s %s %s\n", rec->host, rec->service, rec->busid);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(line));
	FUZZ_CHECK(usbip_record_parse(line, (size_t)n, &again) == 0);
	FUZZ_CHECK(strcmp(again.host, rec->host) == 0);
	FUZZ_CHECK(strcmp(again.service, rec->service) == 0);
	FUZZ_CHECK(strcmp(again.busid, rec->busid) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbip_record rec, back;
	int r, fd;
	size_t off = 0;

	memset(&rec, 0x5a, sizeof(rec));
	r = usbip_record_parse((const char *)data, size, &rec);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	if (r == 0) {
		check_record(&rec);
		/* And through a file, as `usbip attach` then `usbip port` do. */
		FUZZ_CHECK(usbip_record_write(ctx, 7, &rec) == 0);
		memset(&back, 0x5a, sizeof(back));
		FUZZ_CHECK(usbip_record_read(ctx, 7, &back) == 0);
		FUZZ_CHECK(strcmp(back.host, rec.host) == 0);
		FUZZ_CHECK(strcmp(back.service, rec.service) == 0);
		FUZZ_CHECK(strcmp(back.busid, rec.busid) == 0);
	}

	/* The raw bytes as a record file someone else left behind. */
	fd = open(record_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	close(fd);
	memset(&back, 0x5a, sizeof(back));
	r = usbip_record_read(ctx, 7, &back);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	if (r == 0)
		check_record(&back);
	return 0;
}

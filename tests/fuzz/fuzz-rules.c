// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is an export rules file (usbip-export-rules(5)), a file users
 * edit by hand.  It goes to usbip_rules_parse() directly and, from a real
 * file, through usbip_rules_load(), then usbip_rules_remove() and
 * usbip_rules_add() rewrite that file.
 *
 * Invariants: parse returns 0 or -EBADMSG with a line number within the
 * text and a reason; load agrees with parse; every rule is non-empty,
 * within the limits, with terminated fields and increasing line numbers,
 * and matches a device described by its own fields; parse -> format ->
 * parse gives the same rules; remove takes out exactly the rules equal to
 * the first one, keeping the others in order, and add appends it again.
 */
#include <fcntl.h>
#include <limits.h>

#include "fuzz-common.h"

static struct usbip_ctx *ctx;
static char dir[PATH_MAX], file[PATH_MAX + 32];

static void cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tmpdir("fuzz-rules", dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/export.rules", dir);
	atexit(cleanup);
	ctx = fuzz_ctx_new();
	return 0;
}

static void check_rule(const struct usbip_selector *s)
{
	struct usbip_device_ident id;

	FUZZ_CHECK(fuzz_terminated(s->busid, sizeof(s->busid)));
	FUZZ_CHECK(fuzz_terminated(s->serial, sizeof(s->serial)));
	FUZZ_CHECK(fuzz_terminated(s->path, sizeof(s->path)));
	FUZZ_CHECK(!usbip_selector_empty(s));
	if (s->busid[0])
		FUZZ_CHECK(usbip_busid_valid(s->busid, sizeof(s->busid)) == 0);
	/* A device with exactly the rule's fields matches it. */
	id.busid = s->busid[0] ? s->busid : "1-1";
	id.vendor = s->vendor;
	id.product = s->product;
	id.serial = s->serial;
	id.path = s->path;
	FUZZ_CHECK(usbip_selector_match(s, &id) == USBIP_MATCH_YES);
}

static void write_file(const uint8_t *data, size_t size)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	FUZZ_CHECK(fd >= 0);
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	close(fd);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* The rules of @r but those equal to @skip, then @tail if not NULL, equal
 * to those of @s in order? */
static int same_rules(const struct usbip_rules *r, const struct usbip_selector *skip,
		      const struct usbip_selector *tail, const struct usbip_rules *s)
{
	size_t j = 0;

	for (size_t i = 0; i < usbip_rules_count(r); i++) {
		const struct usbip_selector *a = usbip_rules_get(r, i, NULL);

		if (skip && usbip_rules_equal(a, skip))
			continue;
		if (j >= usbip_rules_count(s) || !usbip_rules_equal(a, usbip_rules_get(s, j, NULL)))
			return 0;
		j++;
	}
	if (tail) {
		if (j >= usbip_rules_count(s) || !usbip_rules_equal(tail, usbip_rules_get(s, j, NULL)))
			return 0;
		j++;
	}
	return j == usbip_rules_count(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbip_rules *rules = NULL, *again = NULL, *loaded = NULL;
	const char *why = NULL;
	unsigned bad = 0, prev = 0;
	char *text, line[USBIP_RULES_LINE_MAX + 2];
	size_t len = 0;
	int r;

	r = usbip_rules_parse((const char *)data, size, &rules, &bad, &why);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	write_file(data, size);
	FUZZ_CHECK(usbip_rules_load(ctx, file, &loaded) == r);
	if (r < 0) {
		FUZZ_CHECK(!rules && !loaded);
		FUZZ_CHECK(why != NULL);
		FUZZ_CHECK(bad >= 1 && bad <= count_lines(data, size));
		/* A broken file is never rewritten. */
		return 0;
	}
	FUZZ_CHECK(rules && loaded && same_rules(rules, NULL, NULL, loaded));
	usbip_rules_free(loaded);
	FUZZ_CHECK(usbip_rules_count(rules) <= USBIP_RULES_MAX);

	/* parse -> format -> parse. */
	text = malloc(usbip_rules_count(rules) * sizeof(line) + 1);
	FUZZ_CHECK(text != NULL);
	for (size_t i = 0; i < usbip_rules_count(rules); i++) {
		unsigned ln = 0;
		const struct usbip_selector *s = usbip_rules_get(rules, i, &ln);
		int n;

		FUZZ_CHECK(s != NULL && ln > prev && ln <= count_lines(data, size));
		prev = ln;
		check_rule(s);
		FUZZ_CHECK(usbip_rules_match(rules, &(struct usbip_device_ident){
			.busid = s->busid[0] ? s->busid : "1-1", .vendor = s->vendor,
			.product = s->product, .serial = s->serial, .path = s->path },
			NULL, NULL) != NULL);
		n = usbip_rule_format(s, line, sizeof(line));
		FUZZ_CHECK(n > 0 && n <= USBIP_RULES_LINE_MAX && strlen(line) == (size_t)n);
		memcpy(text + len, line, (size_t)n);
		len += (size_t)n;
		text[len++] = '\n';
	}
	FUZZ_CHECK(usbip_rules_get(rules, usbip_rules_count(rules), NULL) == NULL);
	FUZZ_CHECK(usbip_rules_parse(text, len, &again, NULL, NULL) == 0);
	FUZZ_CHECK(same_rules(rules, NULL, NULL, again));
	usbip_rules_free(again);
	free(text);

	/* Rewrites of the file: remove the first rule, add it back. */
	if (usbip_rules_count(rules) > 0) {
		const struct usbip_selector *first = usbip_rules_get(rules, 0, NULL);

		FUZZ_CHECK(usbip_rules_remove(ctx, file, first) == 0);
		FUZZ_CHECK(usbip_rules_load(ctx, file, &loaded) == 0);
		FUZZ_CHECK(same_rules(rules, first, NULL, loaded));
		usbip_rules_free(loaded);
		FUZZ_CHECK(usbip_rules_remove(ctx, file, first) == -ENOENT);
		FUZZ_CHECK(usbip_rules_add(ctx, file, first) == 0);
		FUZZ_CHECK(usbip_rules_add(ctx, file, first) == -EEXIST);
		FUZZ_CHECK(usbip_rules_load(ctx, file, &loaded) == 0);
		FUZZ_CHECK(same_rules(rules, first, first, loaded));
		usbip_rules_free(loaded);
	}
	usbip_rules_free(rules);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is a usbipd configuration file (usbipd.conf(5)).  It goes
 * through config_load() as the daemon reads it at start and on SIGHUP, then
 * config_merge() with a command line, then the access rules it gave are
 * matched against addresses taken from the input.
 *
 * Invariants: whatever the file says, every setting stays within the range
 * usbipd.conf(5) gives (a bad value is refused, never half-applied); a
 * setting the command line gave wins the merge; each "allow" rule prints
 * back to itself through acl_parse(); acl_allows() agrees with a bit-by-bit
 * prefix match written out here (a v4-mapped peer matching IPv4 rules only).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>

#include "fuzz-common.h"
#include "settings.h"
#include "util/log.h"
#include "util/parse.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Silent: millions of "invalid setting" lines would drown libFuzzer's. */
	log_setup(NULL, "usbipd", false, false, false);
	/* The file lives in memory; config_load() opens it by name. */
	memfd = memfd_create("usbipd.conf", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

/* The ranges of usbipd.conf(5), whatever was read. */
static void check_ranges(const struct config *c)
{
	FUZZ_CHECK(c->port != NULL && parse_port(c->port));
	FUZZ_CHECK(c->timeout_ms >= 100 && c->timeout_ms <= 3600 * 1000);
	FUZZ_CHECK(c->max_handshakes >= 1 && c->max_handshakes <= 65536);
	FUZZ_CHECK(c->keepalive_idle >= 1 && c->keepalive_idle <= 32767);
	FUZZ_CHECK(c->keepalive_interval >= 1 && c->keepalive_interval <= 32767);
	FUZZ_CHECK(c->keepalive_count >= 1 && c->keepalive_count <= 127);
	FUZZ_CHECK(c->max_per_source >= 1 && c->max_per_source <= 65536);
	FUZZ_CHECK((c->set & ~config_all_bits()) == 0);
	for (guint i = 0; i < c->allow->len; i++) {
		const struct acl_entry *e = g_ptr_array_index(c->allow, i);

		FUZZ_CHECK((e->family == AF_INET && e->prefix <= 32) ||
			   (e->family == AF_INET6 && e->prefix <= 128));
	}
	for (guint i = 0; i < c->listen->len; i++)
		FUZZ_CHECK(g_ptr_array_index(c->listen, i) != NULL);
	/* Fails closed: a list that was given is never empty (an empty
	 * "allow=" must not read as "no rule: everyone"). */
	FUZZ_CHECK(!(c->set & config_bit("allow")) == (c->allow->len == 0));
	FUZZ_CHECK(!(c->set & config_bit("listen")) == (c->listen->len == 0));
}

/* A rule printed as "address/prefix" parses back to the same rule. */
static void check_roundtrip(const struct acl_entry *e)
{
	char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
	struct acl_entry again;

	FUZZ_CHECK(inet_ntop(e->family, e->addr, addr, sizeof(addr)) != NULL);
	snprintf(text, sizeof(text), "%s/%u", addr, e->prefix);
	FUZZ_CHECK(acl_parse(text, &again));
	FUZZ_CHECK(again.family == e->family && again.prefix == e->prefix);
	FUZZ_CHECK(memcmp(again.addr, e->addr, e->family == AF_INET ? 4 : 16) == 0);
}

/* The first @bits bits of @a and @b are equal, one bit at a time. */
static int same_bits(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++) {
		unsigned mask = 0x80u >> (i % 8);

		if ((a[i / 8] & mask) != (b[i / 8] & mask))
			return 0;
	}
	return 1;
}

/*
 * What acl_allows() must answer for a peer at @addr of @family.  A
 * v4-mapped IPv6 peer (::ffff:a.b.c.d) is the IPv4 client a.b.c.d on a
 * dual-stack socket: it is matched against the IPv4 rules only, so that
 * "::/0" or "::ffff:0:0/96" never lets IPv4 clients in.
 */
static int expect_allowed(const GPtrArray *allow, int family, const uint8_t *addr)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (allow->len == 0)
		return 1;
	if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (guint i = 0; i < allow->len; i++) {
		const struct acl_entry *e = g_ptr_array_index(allow, i);

		if (e->family == family && same_bits(e->addr, addr, e->prefix))
			return 1;
	}
	return 0;
}

/* Peers at addresses from the input, and close to each rule. */
static void check_acl(const GPtrArray *allow, const uint8_t *data, size_t size)
{
	uint8_t a[16] = { 0 };
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	memcpy(a, data + (size > 16 ? size - 16 : 0), size < 16 ? size : 16);
	for (int round = 0; round < 3; round++) {
		if (round == 1) {	/* the same IPv4 address, mapped */
			memmove(a + 12, a, 4);
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
		} else if (round == 2 && allow->len) {	/* one bit off the first rule */
			const struct acl_entry *e = g_ptr_array_index(allow, 0);
			unsigned bit = e->prefix ? (e->prefix - 1) : 0;

			memcpy(a, e->addr, 16);
			a[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		}
		memcpy(&in4.sin_addr, round == 1 ? a + 12 : a, 4);
		memcpy(&in6.sin6_addr, a, 16);
		FUZZ_CHECK(acl_allows(allow, (struct sockaddr *)&in4) ==
			   (bool)expect_allowed(allow, AF_INET, round == 1 ? a + 12 : a));
		FUZZ_CHECK(acl_allows(allow, (struct sockaddr *)&in6) ==
			   (bool)expect_allowed(allow, AF_INET6, a));
	}
}

/* A command line chosen by the first byte: which settings it gives. */
static void command_line(struct config *cli, uint8_t pick)
{
	config_defaults(cli);
	if (pick & 1)
		FUZZ_CHECK(config_set(cli, "tcp-port", "4000", "cli"));
	if (pick & 2)
		FUZZ_CHECK(config_set(cli, "timeout", "2.5", "cli"));
	if (pick & 4)
		FUZZ_CHECK(config_set(cli, "allow", "10.0.0.0/8", "cli"));
	if (pick & 8)
		FUZZ_CHECK(config_set(cli, "listen", "::1", "cli"));
	if (pick & 16)
		FUZZ_CHECK(config_set(cli, "debug", NULL, "cli"));
	if (pick & 32)
		FUZZ_CHECK(config_set(cli, "keepalive-count", "9", "cli"));
	if (pick & 64)
		FUZZ_CHECK(config_set(cli, "max-per-source", "8", "cli"));
}

static void check_merge(const struct config *out, const struct config *file,
			const struct config *cli)
{
#define FROM(key) ((cli->set & config_bit(key)) ? cli : file)
	FUZZ_CHECK(out->set == (file->set | cli->set));
	FUZZ_CHECK(!strcmp(out->port, FROM("tcp-port")->port));
	FUZZ_CHECK(out->timeout_ms == FROM("timeout")->timeout_ms);
	FUZZ_CHECK(out->debug == FROM("debug")->debug);
	FUZZ_CHECK(out->keepalive_count == FROM("keepalive-count")->keepalive_count);
	FUZZ_CHECK(out->max_per_source == FROM("max-per-source")->max_per_source);
	FUZZ_CHECK(out->allow->len == FROM("allow")->allow->len);
	FUZZ_CHECK(out->listen->len == FROM("listen")->listen->len);
	for (guint i = 0; i < out->allow->len; i++)
		FUZZ_CHECK(!memcmp(g_ptr_array_index(out->allow, i),
				   g_ptr_array_index(FROM("allow")->allow, i),
				   sizeof(struct acl_entry)));
	for (guint i = 0; i < out->listen->len; i++)
		FUZZ_CHECK(!strcmp(g_ptr_array_index(out->listen, i),
				   g_ptr_array_index(FROM("listen")->listen, i)));
#undef FROM
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config file, cli, out;
	bool ok;

	fuzz_write_file(memfd, data, size);
	config_defaults(&file);
	ok = config_load(&file, path, true);
	check_ranges(&file);
	/* The daemon refuses to start on a bad file: nothing more to check. */
	if (ok) {
		command_line(&cli, size ? data[0] : 0);
		config_merge(&out, &file, &cli);
		check_ranges(&out);
		check_merge(&out, &file, &cli);
		for (guint i = 0; i < out.allow->len; i++)
			check_roundtrip(g_ptr_array_index(out.allow, i));
		check_acl(out.allow, data, size);
		config_clear(&out);
		config_clear(&cli);
	}
	config_clear(&file);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/util/tls.c without kernel TLS: credentials and their errors, the
 * handshake between our client and server code over a socketpair (both
 * ends stepped in turn, non-blocking), the certificate checks, and the
 * first-byte dispatch usbipd uses to tell TLS from plaintext.  Certificates
 * are made at test time with contrib/usbip-make-certs.sh (certtool).
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "test-common.h"
#include "util/tls.h"

/* Two CAs: "good" signs the server and client "alice"; "other" signs a
 * server and a client the good CA never saw. */
static char certs[256];

static const char *cert(const char *name)
{
	static char buf[16][512];
	static int n;

	n = (n + 1) % 16;	/* enough for two sides of paths at once */
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", certs, name);
	return buf[n];
}

static void make_certs(void)
{
	static const char *const steps[] = {
		"good ca", "good server 127.0.0.1 usbip.example", "good client alice",
		"other ca", "other server 127.0.0.1 usbip.example", "other client mallory",
	};
	char cmd[1024];

	snprintf(certs, sizeof(certs), "/tmp/usbip-tls-unit-XXXXXX");
	if (!mkdtemp(certs)) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(cmd, sizeof(cmd), "DAYS=2 %s/contrib/usbip-make-certs.sh %s/%s",
			 TOP_SRCDIR, certs, steps[i]);
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot make test certificates (%s): is certtool "
				"(gnutls-bin) installed?\n", cmd);
			exit(EXIT_FAILURE);
		}
	}
}

static const struct test_group tc_dispatch = { .name = "dispatch" };
static const struct test_group tc_creds = { .name = "credentials" };
static const struct test_group tc_handshake = { .name = "handshake" };

START_TEST(test_first_byte)
{
	/* A ClientHello is a handshake record (0x16); USB/IP starts with the
	 * version's high byte (0x01); anything else goes the plaintext way,
	 * where the version check refuses it as before. */
	ck_assert(tls_is_client_hello(0x16));
	ck_assert(!tls_is_client_hello(0x01));
	ck_assert(!tls_is_client_hello(0x00));
	ck_assert(!tls_is_client_hello(0x17));
}
END_TEST
TEST_IN(tc_dispatch, test_first_byte)

/* Loads and expects failure with @needle in the reason. */
static void creds_fail(bool server, const char *c, const char *k, const char *ca,
		       const char *needle)
{
	char why[TLS_WHY_SIZE] = "";
	struct tls_creds *cr = tls_creds_load(server, c, k, ca, why, sizeof(why));

	ck_assert_ptr_null(cr);
	ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why, needle);
}

START_TEST(test_creds_errors)
{
	char bad[512];

	creds_fail(true, NULL, NULL, NULL, "give --tls-cert and --tls-key");
	creds_fail(true, cert("good/server.pem"), NULL, NULL, "give both");
	creds_fail(false, NULL, NULL, NULL, "give --tls-ca");
	creds_fail(true, "/nonexistent/s.pem", cert("good/server-key.pem"), NULL,
		   "certificate /nonexistent/s.pem: No such file");
	creds_fail(true, cert("good/server.pem"), cert("good/server-key.pem"),
		   "/nonexistent/ca.pem", "CA certificate /nonexistent/ca.pem");
	/* A key that does not belong to the certificate. */
	creds_fail(true, cert("good/server.pem"), cert("other/server-key.pem"), NULL,
		   "matching the certificate");
	/* A CA file without a certificate in it. */
	snprintf(bad, sizeof(bad), "%s/empty.pem", certs);
	close(open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	creds_fail(false, NULL, NULL, bad, bad);
}
END_TEST
TEST_IN(tc_creds, test_creds_errors)

START_TEST(test_creds_ok)
{
	char why[TLS_WHY_SIZE];
	struct tls_creds *s = tls_creds_load(true, cert("good/server.pem"),
					     cert("good/server-key.pem"), NULL, why, sizeof(why));
	struct tls_creds *m = tls_creds_load(true, cert("good/server.pem"),
					     cert("good/server-key.pem"), cert("good/ca.pem"),
					     why, sizeof(why));

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(m);
	ck_assert(!tls_creds_verify_peer(s));
	ck_assert(tls_creds_verify_peer(m));
	tls_creds_free(s);
	tls_creds_free(m);
}
END_TEST
TEST_IN(tc_creds, test_creds_ok)

struct side {
	const char *cert, *key, *ca;
	enum tls_step result;
	char why[TLS_WHY_SIZE];
};

/*
 * Runs a handshake between a server and a client over a socketpair, both
 * non-blocking in this one thread: each is stepped until it is done or
 * fails (a bounded number of rounds).  @host is what the client connects to.
 */
static void handshake(struct side *srv, struct side *cli, const char *host)
{
	char why[TLS_WHY_SIZE];
	struct tls_creds *sc, *cc;
	struct tls_conn *st, *ct;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	sc = tls_creds_load(true, srv->cert, srv->key, srv->ca, why, sizeof(why));
	ck_assert_msg(sc, "%s", why);
	cc = tls_creds_load(false, cli->cert, cli->key, cli->ca, why, sizeof(why));
	ck_assert_msg(cc, "%s", why);
	st = tls_conn_new(sc, sv[0], NULL, why, sizeof(why));
	ct = tls_conn_new(cc, sv[1], host, why, sizeof(why));
	ck_assert(st && ct);
	srv->result = cli->result = TLS_WANT_READ;
	for (int round = 0; round < 100; round++) {
		if (cli->result != TLS_DONE && cli->result != TLS_FAILED)
			cli->result = tls_handshake_step(ct, cli->why, sizeof(cli->why));
		if (srv->result != TLS_DONE && srv->result != TLS_FAILED)
			srv->result = tls_handshake_step(st, srv->why, sizeof(srv->why));
		if ((srv->result == TLS_DONE || srv->result == TLS_FAILED) &&
		    (cli->result == TLS_DONE || cli->result == TLS_FAILED))
			break;
		/* One side failed: the other sees the alert or the close. */
		if (srv->result == TLS_FAILED)
			shutdown(sv[0], SHUT_RDWR);
		if (cli->result == TLS_FAILED)
			shutdown(sv[1], SHUT_RDWR);
	}
	if (srv->result == TLS_DONE && cli->result == TLS_DONE) {
		char d[64];

		ck_assert_str_eq(tls_conn_description(ct, d, sizeof(d)), "TLS1.2 AES-128-GCM");
		/* A unix socket takes no kernel TLS: a reason, never plaintext. */
		ck_assert_int_lt(tls_kernel_install(ct, why, sizeof(why)), 0);
		ck_assert_msg(strstr(why, "kernel TLS"), "%s", why);
	}
	tls_conn_free(st);
	tls_conn_free(ct);
	tls_creds_free(sc);
	tls_creds_free(cc);
	close(sv[0]);
	close(sv[1]);
}

#define GOOD_SERVER { .cert = cert("good/server.pem"), .key = cert("good/server-key.pem"), \
		      .ca = cert("good/ca.pem") }
#define ALICE { .cert = cert("good/client-alice.pem"), \
		.key = cert("good/client-alice-key.pem"), .ca = cert("good/ca.pem") }

START_TEST(test_mutual_ok)
{
	struct side s = GOOD_SERVER, c = ALICE;

	handshake(&s, &c, "127.0.0.1");
	ck_assert_msg(s.result == TLS_DONE, "server: %s", s.why);
	ck_assert_msg(c.result == TLS_DONE, "client: %s", c.why);
	/* The name as a DNS name works as well as the address. */
	handshake(&s, &c, "usbip.example");
	ck_assert_msg(c.result == TLS_DONE, "client: %s", c.why);
}
END_TEST
TEST_IN(tc_handshake, test_mutual_ok)

START_TEST(test_server_only_ok)
{
	/* No --tls-ca on the server: no client certificate asked. */
	struct side s = { .cert = cert("good/server.pem"), .key = cert("good/server-key.pem") };
	struct side c = { .ca = cert("good/ca.pem") };

	handshake(&s, &c, "127.0.0.1");
	ck_assert_msg(s.result == TLS_DONE, "server: %s", s.why);
	ck_assert_msg(c.result == TLS_DONE, "client: %s", c.why);
}
END_TEST
TEST_IN(tc_handshake, test_server_only_ok)

START_TEST(test_server_from_other_ca)
{
	struct side s = { .cert = cert("other/server.pem"), .key = cert("other/server-key.pem"),
			  .ca = cert("good/ca.pem") };
	struct side c = ALICE;

	handshake(&s, &c, "127.0.0.1");
	ck_assert_int_eq(c.result, TLS_FAILED);
	ck_assert_msg(strstr(c.why, "server certificate not accepted") &&
		      strstr(c.why, "issuer is unknown"), "%s", c.why);
	ck_assert_int_eq(s.result, TLS_FAILED);
}
END_TEST
TEST_IN(tc_handshake, test_server_from_other_ca)

START_TEST(test_client_from_other_ca)
{
	struct side s = GOOD_SERVER;
	struct side c = { .cert = cert("other/client-mallory.pem"),
			  .key = cert("other/client-mallory-key.pem"), .ca = cert("good/ca.pem") };

	handshake(&s, &c, "127.0.0.1");
	ck_assert_int_eq(s.result, TLS_FAILED);
	ck_assert_msg(strstr(s.why, "client certificate not accepted"), "%s", s.why);
	ck_assert_int_eq(c.result, TLS_FAILED);
	ck_assert_msg(strstr(c.why, "server refused"), "%s", c.why);
}
END_TEST
TEST_IN(tc_handshake, test_client_from_other_ca)

START_TEST(test_client_without_cert)
{
	struct side s = GOOD_SERVER;
	struct side c = { .ca = cert("good/ca.pem") };

	handshake(&s, &c, "127.0.0.1");
	ck_assert_int_eq(s.result, TLS_FAILED);
	ck_assert_msg(strstr(s.why, "sent no certificate"), "%s", s.why);
	ck_assert_int_eq(c.result, TLS_FAILED);
}
END_TEST
TEST_IN(tc_handshake, test_client_without_cert)

START_TEST(test_wrong_name)
{
	struct side s = GOOD_SERVER, c = ALICE;

	/* Signed by the right CA, but for other names. */
	handshake(&s, &c, "127.0.0.2");
	ck_assert_int_eq(c.result, TLS_FAILED);
	ck_assert_msg(strstr(c.why, "server certificate not accepted") &&
		      strstr(c.why, "name in the certificate does not match"), "%s", c.why);
	handshake(&s, &c, "other.example");
	ck_assert_int_eq(c.result, TLS_FAILED);
}
END_TEST
TEST_IN(tc_handshake, test_wrong_name)

START_TEST(test_plaintext_server)
{
	/* A client speaking TLS to a server that answers USB/IP plaintext
	 * (an OP_REP_IMPORT error) gets a reason, not a hang. */
	static const uint8_t rep[8] = { 0x01, 0x11, 0x00, 0x03, 0, 0, 0, 1 };
	char why[TLS_WHY_SIZE] = "";
	struct tls_creds *cc = tls_creds_load(false, NULL, NULL, cert("good/ca.pem"), why,
					      sizeof(why));
	struct tls_conn *ct;
	enum tls_step r = TLS_WANT_READ;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	ct = tls_conn_new(cc, sv[1], "127.0.0.1", why, sizeof(why));
	ck_assert_int_eq(tls_handshake_step(ct, why, sizeof(why)), TLS_WANT_READ);
	ck_assert_int_eq(write(sv[0], rep, sizeof(rep)), (ssize_t)sizeof(rep));
	close(sv[0]);
	for (int i = 0; i < 10 && r != TLS_FAILED; i++)
		r = tls_handshake_step(ct, why, sizeof(why));
	ck_assert_int_eq(r, TLS_FAILED);
	ck_assert_msg(strstr(why, "usbipd --tls-cert"), "%s", why);
	tls_conn_free(ct);
	tls_creds_free(cc);
	close(sv[1]);
}
END_TEST
TEST_IN(tc_handshake, test_plaintext_server)

int main(void)
{
	char cmd[512];
	int r;

	make_certs();
	r = test_run("tls");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", certs);
	return r;
}

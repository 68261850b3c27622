// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS handshake in userspace (GnuTLS), record layer in the kernel (kTLS).
 * GnuTLS rather than OpenSSL: it exports a session's record state
 * (gnutls_record_get_state) in exactly the pieces the kernel's
 * tls12_crypto_info wants, and it is what Debian builds with kTLS support.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tls.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/*
 * TLS 1.2 only, ECDHE only (forward secrecy), AES-GCM only (what every
 * kernel with kTLS implements in software).  See tls.h for why not 1.3.
 */
static const char priorities[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA";

struct tls_creds {
	gnutls_certificate_credentials_t cred;
	bool server, have_ca;
	unsigned refs;		/* the loader's, and one per session using them; atomic:
			 * usbip list -r H1 -r H2 opens sessions from threads */
};

struct tls_conn {
	struct tls_creds *creds;	/* GnuTLS only points at them: held */
	gnutls_session_t session;
	bool server;
	int fd;
};

bool tls_is_client_hello(uint8_t first_byte)
{
	return first_byte == TLS_FIRST_BYTE;
}

/* Makes sure GnuTLS reads no file before it says which one is wrong. */
static bool readable(const char *what, const char *path, char *why, size_t size)
{
	if (access(path, R_OK) == 0)
		return true;
	snprintf(why, size, "%s %s: %s", what, path, strerror(errno));
	return false;
}

struct tls_creds *tls_creds_load(bool server, const char *cert, const char *key,
				 const char *ca, char *why, size_t size)
{
	struct tls_creds *c;
	int r;

	if (!cert != !key) {
		snprintf(why, size, "a certificate needs its key and a key its certificate: "
			 "give both --tls-cert and --tls-key");
		return NULL;
	}
	if (server && !cert) {
		snprintf(why, size, "the server needs a certificate and key: give --tls-cert "
			 "and --tls-key");
		return NULL;
	}
	if (!server && !ca) {
		snprintf(why, size, "the client needs the CA that signed the server's "
			 "certificate: give --tls-ca");
		return NULL;
	}
	if ((cert && !readable("certificate", cert, why, size)) ||
	    (key && !readable("key", key, why, size)) ||
	    (ca && !readable("CA certificate", ca, why, size)))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		snprintf(why, size, "out of memory");
		free(c);
		return NULL;
	}
	c->server = server;
	c->refs = 1;
	if (cert) {
		r = gnutls_certificate_set_x509_key_file2(c->cred, cert, key, GNUTLS_X509_FMT_PEM,
							  NULL, 0);
		if (r < 0) {
			snprintf(why, size, "certificate %s with key %s: %s (both PEM, the key "
				 "unencrypted and matching the certificate)", cert, key,
				 gnutls_strerror(r));
			goto fail;
		}
	}
	if (ca) {
		r = gnutls_certificate_set_x509_trust_file(c->cred, ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(why, size, "CA certificate %s: %s", ca,
				 r == 0 ? "no PEM certificate in it" : gnutls_strerror(r));
			goto fail;
		}
		c->have_ca = true;
	}
	return c;
fail:
	tls_creds_free(c);
	return NULL;
}

void tls_creds_free(struct tls_creds *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	gnutls_certificate_free_credentials(c->cred);
	free(c);
}

bool tls_creds_verify_peer(const struct tls_creds *c)
{
	return c->have_ca;
}

struct tls_conn *tls_conn_new(struct tls_creds *c, int fd, const char *host, char *why,
			      size_t size)
{
	struct tls_conn *t = calloc(1, sizeof(*t));
	const char *pos = NULL;
	int r;

	if (!t) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	t->server = c->server;
	t->fd = fd;
	/* No tickets: nothing but application data may follow the handshake.
	 * No SIGPIPE: a peer that hangs up is an error, not the end of us. */
	r = gnutls_init(&t->session, (c->server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
			GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS | GNUTLS_NO_SIGNAL);
	if (r < 0) {
		snprintf(why, size, "TLS session: %s", gnutls_strerror(r));
		free(t);
		return NULL;
	}
	r = gnutls_priority_set_direct(t->session, priorities, &pos);
	if (r >= 0)
		r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (r < 0) {
		snprintf(why, size, "TLS session setup: %s", gnutls_strerror(r));
		goto fail;
	}
	if (c->server) {
		if (c->have_ca) {
			gnutls_certificate_server_set_request(t->session, GNUTLS_CERT_REQUIRE);
			/* Chain to the CA; a client has no name to check. */
			gnutls_session_set_verify_cert(t->session, NULL, 0);
		}
	} else {
		/* Chain to the CA and name @host (SAN DNS, or SAN IP for an address). */
		gnutls_session_set_verify_cert(t->session, host, 0);
		/* SNI only for names: RFC 6066 forbids addresses there. */
		if (host && !strchr(host, ':') && strspn(host, "0123456789.") != strlen(host))
			gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, host, strlen(host));
	}
	gnutls_transport_set_int(t->session, fd);
	t->creds = c;
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return t;
fail:
	gnutls_deinit(t->session);
	free(t);
	return NULL;
}

void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	gnutls_deinit(t->session);
	tls_creds_free(t->creds);
	free(t);
}

/* Why the peer's certificate was not accepted, in GnuTLS' words. */
static void verify_reason(struct tls_conn *t, char *why, size_t size)
{
	unsigned status = gnutls_session_get_verify_cert_status(t->session);
	gnutls_datum_t out = { NULL, 0 };

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0) {
		snprintf(why, size, "%s certificate not accepted", t->server ? "client" : "server");
		return;
	}
	snprintf(why, size, "%s certificate not accepted: %s", t->server ? "client" : "server",
		 (const char *)out.data);
	gnutls_free(out.data);
	/* GnuTLS ends its sentences with a space. */
	for (size_t n = strlen(why); n > 0 && why[n - 1] == ' '; n--)
		why[n - 1] = '\0';
}

enum tls_step tls_handshake_step(struct tls_conn *t, char *why, size_t size)
{
	int r = gnutls_handshake(t->session);

	if (r == GNUTLS_E_SUCCESS)
		return TLS_DONE;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return gnutls_record_get_direction(t->session) ? TLS_WANT_WRITE : TLS_WANT_READ;
	if (r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		return TLS_WANT_READ;	/* not fatal; the handshake goes on */
	/* Tell the peer why (best effort, never waits), so it can say so too. */
	if (r != GNUTLS_E_FATAL_ALERT_RECEIVED && r != GNUTLS_E_PREMATURE_TERMINATION &&
	    r != GNUTLS_E_PUSH_ERROR && r != GNUTLS_E_PULL_ERROR)
		gnutls_alert_send_appropriate(t->session, r);
	switch (r) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		verify_reason(t, why, size);
		break;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		snprintf(why, size, "%s", t->server ?
			 "the client sent no certificate, and one is required (--tls-ca): "
			 "give the client --tls-cert and --tls-key" :
			 "the server sent no certificate");
		break;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		snprintf(why, size, "the %s refused the handshake: %s",
			 t->server ? "client" : "server",
			 gnutls_alert_get_name(gnutls_alert_get(t->session)));
		break;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		snprintf(why, size, "the %s closed the connection during the TLS handshake%s",
			 t->server ? "client" : "server", t->server ? "" :
			 " (is TLS configured on it: usbipd --tls-cert?)");
		break;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET:
		snprintf(why, size, "the %s does not speak TLS: %s%s",
			 t->server ? "client" : "server", gnutls_strerror(r),
			 t->server ? "" : " (is TLS configured on it: usbipd --tls-cert?)");
		break;
	default:
		snprintf(why, size, "TLS handshake: %s", gnutls_strerror(r));
		break;
	}
	return TLS_FAILED;
}

const char *tls_conn_description(struct tls_conn *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s",
		 gnutls_protocol_get_name(gnutls_protocol_get_version(t->session)),
		 gnutls_cipher_get_name(gnutls_cipher_get(t->session)));
	return buf;
}

/* One direction's keys in the kernel's struct; -errno with a reason. */
static int install_direction(struct tls_conn *t, bool read, gnutls_cipher_algorithm_t cipher,
			     char *why, size_t size)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	union {
		struct tls12_crypto_info_aes_gcm_128 g128;
		struct tls12_crypto_info_aes_gcm_256 g256;
	} info;
	socklen_t len;
	int r;

	r = gnutls_record_get_state(t->session, read, &mac, &iv, &key, seq);
	if (r < 0) {
		snprintf(why, size, "TLS record state: %s", gnutls_strerror(r));
		return -EINVAL;
	}
	memset(&info, 0, sizeof(info));
	/* TLS 1.2 GCM: a 4-byte implicit salt from the key block, and an 8-byte
	 * explicit nonce per record that the kernel takes from the sequence. */
	if (cipher == GNUTLS_CIPHER_AES_128_GCM && key.size == TLS_CIPHER_AES_GCM_128_KEY_SIZE &&
	    iv.size >= TLS_CIPHER_AES_GCM_128_SALT_SIZE) {
		info.g128.info.version = TLS_1_2_VERSION;
		info.g128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(info.g128.iv, seq, TLS_CIPHER_AES_GCM_128_IV_SIZE);
		memcpy(info.g128.key, key.data, TLS_CIPHER_AES_GCM_128_KEY_SIZE);
		memcpy(info.g128.salt, iv.data, TLS_CIPHER_AES_GCM_128_SALT_SIZE);
		memcpy(info.g128.rec_seq, seq, TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE);
		len = sizeof(info.g128);
	} else if (cipher == GNUTLS_CIPHER_AES_256_GCM &&
		   key.size == TLS_CIPHER_AES_GCM_256_KEY_SIZE &&
		   iv.size >= TLS_CIPHER_AES_GCM_256_SALT_SIZE) {
		info.g256.info.version = TLS_1_2_VERSION;
		info.g256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(info.g256.iv, seq, TLS_CIPHER_AES_GCM_256_IV_SIZE);
		memcpy(info.g256.key, key.data, TLS_CIPHER_AES_GCM_256_KEY_SIZE);
		memcpy(info.g256.salt, iv.data, TLS_CIPHER_AES_GCM_256_SALT_SIZE);
		memcpy(info.g256.rec_seq, seq, TLS_CIPHER_AES_GCM_256_REC_SEQ_SIZE);
		len = sizeof(info.g256);
	} else {
		snprintf(why, size, "negotiated cipher %s cannot be handed to the kernel",
			 gnutls_cipher_get_name(cipher));
		return -EINVAL;
	}
	r = setsockopt(t->fd, SOL_TLS, read ? TLS_RX : TLS_TX, &info, len);
	r = r < 0 ? -errno : 0;
	/* The keys do not stay on our stack. */
	memset(&info, 0, sizeof(info));
	if (r < 0)
		snprintf(why, size, "kernel TLS %s with %s: %s%s", read ? "receive" : "send",
			 gnutls_cipher_get_name(cipher), strerror(-r),
			 r == -ENOPROTOOPT || r == -EINVAL || r == -524 /* ENOTSUPP */ ?
			 " (this kernel's tls module lacks the cipher or TLS receive: "
			 "CONFIG_TLS, Linux 4.17 or later)" : "");
	return r;
}

int tls_kernel_install(struct tls_conn *t, char *why, size_t size)
{
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(t->session);
	static const char ulp[] = "tls";
	int r;

	if (gnutls_protocol_get_version(t->session) != GNUTLS_TLS1_2) {
		snprintf(why, size, "TLS version %s cannot be handed to the kernel",
			 gnutls_protocol_get_name(gnutls_protocol_get_version(t->session)));
		return -EPROTO;
	}
	/* Bytes GnuTLS has read but not returned would be lost to the kernel.
	 * TLS 1.2 has the client wait for the server's Finished before it sends
	 * data, so this is a peer breaking the protocol. */
	if (gnutls_record_check_pending(t->session) > 0) {
		snprintf(why, size, "the peer sent data before the handshake was over");
		return -EPROTO;
	}
	if (setsockopt(t->fd, SOL_TCP, TCP_ULP, ulp, sizeof(ulp)) < 0) {
		r = -errno;
		if (r == -ENOENT)
			snprintf(why, size, "kernel TLS is not available: the tls module is not "
				 "loaded (run: modprobe tls; the kernel needs CONFIG_TLS)");
		else
			snprintf(why, size, "kernel TLS (TCP_ULP tls): %s", strerror(-r));
		return r;
	}
	r = install_direction(t, false, cipher, why, size);
	if (r == 0)
		r = install_direction(t, true, cipher, why, size);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tls_client_start(struct tls_creds *c, int fd, const char *host, int64_t deadline_ms,
		     char *why, size_t size)
{
	int flags = fcntl(fd, F_GETFL);
	struct tls_conn *t;
	enum tls_step s;
	int r = 0;

	t = tls_conn_new(c, fd, host, why, size);
	if (!t)
		return -ENOMEM;
	/* Non-blocking while GnuTLS works, so the deadline holds on every read. */
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while ((s = tls_handshake_step(t, why, size)) != TLS_DONE) {
		struct pollfd pfd = { .fd = fd, .events = s == TLS_WANT_READ ? POLLIN : POLLOUT };
		int64_t left = deadline_ms - now_ms();

		if (s == TLS_FAILED) {
			r = -EPROTO;
			break;
		}
		if (left <= 0 || (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) < 0 &&
				  errno != EINTR)) {
			snprintf(why, size, "TLS handshake: %s",
				 left <= 0 ? "no answer in time" : strerror(errno));
			r = -ETIMEDOUT;
			break;
		}
	}
	fcntl(fd, F_SETFL, flags);
	if (r == 0)
		r = tls_kernel_install(t, why, size);
	tls_conn_free(t);
	return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_UTIL_TLS_H
#define USBIP_UTIL_TLS_H

/*
 * Mutual TLS for the management connection, with the record layer then
 * handed to the kernel (kTLS), shared by usbip and usbipd (not libusbip
 * ABI).  GnuTLS does the handshake and the certificate checks; as soon as
 * it is done, the session's keys and sequence numbers are installed on the
 * socket with setsockopt(SOL_TLS), so OP_REQ_DEVLIST/OP_REQ_IMPORT, their
 * replies and every URB after them are encrypted by the kernel, and the
 * descriptor can go to usbip-host or vhci_hcd as a plain TCP socket.
 *
 * Only TLS 1.2 with ECDHE and AES-GCM (128 or 256) is offered: once the
 * kernel reads the socket it cannot handle a record that is not
 * application data, and TLS 1.3 sends some after the handshake (session
 * tickets, KeyUpdate).  TLS 1.2 sends none unless renegotiation is asked,
 * which then ends the connection rather than leaving it unencrypted.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_creds;
struct tls_conn;

/* Messages: a buffer of this size takes any reason these functions give. */
#define TLS_WHY_SIZE 512

/* The first byte of a TLS connection (a handshake record); a USB/IP request
 * starts with the protocol version's high byte, 0x01. */
#define TLS_FIRST_BYTE 0x16

/* Is @first_byte the start of a TLS ClientHello (else: USB/IP plaintext)? */
bool tls_is_client_hello(uint8_t first_byte);

/*
 * Loads a certificate chain (@cert, PEM), its key (@key) and the CA that
 * peers must chain to (@ca; NULL: a server then asks for no client
 * certificate).  A client needs @ca; @cert and @key are given together or
 * not at all; a server needs @cert and @key.  NULL with the file and the
 * reason in @why.
 */
struct tls_creds *tls_creds_load(bool server, const char *cert, const char *key,
				 const char *ca, char *why, size_t why_size);
/* Drops the loader's hold: sessions made from @c keep it until they end
 * (a reload may replace the credentials while handshakes are under way). */
void tls_creds_free(struct tls_creds *c);
/* Does a server with @c require client certificates (a CA was given)? */
bool tls_creds_verify_peer(const struct tls_creds *c);

/*
 * A TLS session on connected socket @fd (not owned).  A client checks that
 * the server's certificate chains to the CA and names @host (a DNS name or
 * an IP address, matched against the certificate's subjectAltName DNS and
 * IP entries).  NULL with a reason.
 */
struct tls_conn *tls_conn_new(struct tls_creds *c, int fd, const char *host, char *why,
			      size_t why_size);
void tls_conn_free(struct tls_conn *t);

enum tls_step { TLS_DONE, TLS_WANT_READ, TLS_WANT_WRITE, TLS_FAILED };

/*
 * Advances the handshake on a non-blocking socket: TLS_DONE (certificates
 * checked), TLS_WANT_READ/WRITE (call again when the socket is ready), or
 * TLS_FAILED with the reason in @why.
 */
enum tls_step tls_handshake_step(struct tls_conn *t, char *why, size_t why_size);

/*
 * Hands the record layer of the finished session to the kernel: TCP_ULP
 * "tls", then TLS_TX and TLS_RX with the session's keys.  After this, plain
 * send()/recv() on the socket carry encrypted records.  0, or -errno with a
 * reason naming the fix (no tls module, cipher not supported by the
 * kernel).  Nothing is ever sent in clear after a failure: close the socket.
 */
int tls_kernel_install(struct tls_conn *t, char *why, size_t why_size);

/*
 * The whole client side on blocking socket @fd: handshake until
 * @deadline_ms (usbip_now_ms() clock), certificate checks, kernel TLS.
 * 0, or -errno with a reason.
 */
int tls_client_start(struct tls_creds *c, int fd, const char *host, int64_t deadline_ms,
		     char *why, size_t why_size);

/* The negotiated version and cipher ("TLS1.2 AES-128-GCM"), for logs. */
const char *tls_conn_description(struct tls_conn *t, char *buf, size_t size);

#endif

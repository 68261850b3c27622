// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is what a server sends back to OP_REQ_IMPORT, then it closes.
 * Each input is tried twice:
 *  1. as the whole reply to a request for the fixed bus id "1-1";
 *  2. with the bus id taken from the input itself: byte 0 (mod 33) is its
 *     length, the next bytes are the bus id (any bytes), the rest is the
 *     reply.
 * The client must return within its deadline, never read or write out of
 * bounds, and on success give a device whose bus id is the one requested;
 * on failure the device is all zero.
 */
#include "fuzz-common.h"

static struct usbip_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ctx = fuzz_ctx_new();
	return 0;
}

static void import_once(const char *busid, const uint8_t *data, size_t size)
{
	uint8_t req[USBIP_IMPORT_REQ_SIZE], sent[USBIP_IMPORT_REQ_SIZE + 16];
	char echoed[USBIP_BUSID_SIZE];
	struct usbip_device dev;
	int fd, peer, r, r2;

	fuzz_peer_reply(data, size, &fd, &peer);
	memset(&dev, 0x5a, sizeof(dev));
	r = usbip_request_import(ctx, fd, busid, usbip_now_ms() + FUZZ_DEADLINE_MS, &dev);
	/* Everything is already in the socket: waiting for more is a bug. */
	FUZZ_CHECK(r != -ETIMEDOUT);

	/* The request went out whole and names the bus id asked for. */
	usbip_import_request_encode(req, busid);
	FUZZ_CHECK(recv(peer, sent, sizeof(sent), MSG_DONTWAIT) == sizeof(req));
	FUZZ_CHECK(memcmp(sent, req, sizeof(req)) == 0);
	r2 = usbip_import_request_decode(sent, sizeof(req), echoed);
	FUZZ_CHECK(r2 == 0 || r2 == -EINVAL || r2 == -ENAMETOOLONG);
	FUZZ_CHECK(strncmp(echoed, busid, USBIP_BUSID_SIZE - 1) == 0);

	fuzz_check_result(r);
	if (r == 0) {
		fuzz_check_device(&dev);
		FUZZ_CHECK(strncmp(dev.busid, busid, USBIP_BUSID_SIZE - 1) == 0);
		FUZZ_CHECK(usbip_busid_valid(dev.busid, sizeof(dev.busid)) == 0);
		/* IMPORT replies carry no interface records. */
		FUZZ_CHECK(size >= USBIP_IMPORT_REP_SIZE);
	} else {
		static const struct usbip_device zero;

		FUZZ_CHECK(memcmp(&dev, &zero, sizeof(dev)) == 0);
	}
	close(fd);
	close(peer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char busid[USBIP_BUSID_SIZE + 1];
	size_t n;

	if (size > FUZZ_MAX_WIRE)
		return -1;
	import_once("1-1", data, size);

	if (size == 0)
		return 0;
	n = data[0] % (USBIP_BUSID_SIZE + 1);
	if (n > size - 1)
		n = size - 1;
	memcpy(busid, data + 1, n);
	busid[n] = '\0';
	import_once(busid, data + 1 + n, size - 1 - n);
	return 0;
}

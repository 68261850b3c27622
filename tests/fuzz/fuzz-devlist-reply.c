// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is what a server sends back to OP_REQ_DEVLIST (op_common, ndev,
 * then devices and their interfaces), then it closes the connection.  The
 * client must return within its deadline, never read or write out of
 * bounds, never leak, and give back only well-formed devices.  The same
 * bytes also go straight through the header, device and interface decoders.
 */
#include "fuzz-common.h"

static struct usbip_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ctx = fuzz_ctx_new();
	return 0;
}

static void check_roundtrip(const struct usbip_device *dev)
{
	uint8_t buf[USBIP_DEVICE_SIZE];
	struct usbip_device again;

	memset(buf, 0xa5, sizeof(buf));
	usbip_device_encode(buf, dev);
	memset(&again, 0, sizeof(again));
	FUZZ_CHECK(usbip_device_decode(buf, sizeof(buf), &again) == 0);
	FUZZ_CHECK(strcmp(again.path, dev->path) == 0);
	FUZZ_CHECK(strcmp(again.busid, dev->busid) == 0);
	FUZZ_CHECK(again.busnum == dev->busnum && again.devnum == dev->devnum);
	FUZZ_CHECK(again.speed == dev->speed);
	FUZZ_CHECK(again.idVendor == dev->idVendor && again.idProduct == dev->idProduct);
	FUZZ_CHECK(again.bcdDevice == dev->bcdDevice);
	FUZZ_CHECK(again.bDeviceClass == dev->bDeviceClass);
	FUZZ_CHECK(again.bDeviceSubClass == dev->bDeviceSubClass);
	FUZZ_CHECK(again.bDeviceProtocol == dev->bDeviceProtocol);
	FUZZ_CHECK(again.bConfigurationValue == dev->bConfigurationValue);
	FUZZ_CHECK(again.bNumConfigurations == dev->bNumConfigurations);
	FUZZ_CHECK(again.bNumInterfaces == dev->bNumInterfaces);
}

/* The DEVLIST header decoder: what it accepts re-encodes to the same bytes. */
static void check_header(const uint8_t *data, size_t size)
{
	uint8_t again[USBIP_DEVLIST_HDR_SIZE];
	uint32_t status, ndev;
	int r = usbip_devlist_header_decode(data, size, &status, &ndev);

	FUZZ_CHECK(r == 0 || r == -EMSGSIZE || r == -EPROTO || r == -EBADMSG);
	FUZZ_CHECK((r == -EMSGSIZE) == (size < USBIP_DEVLIST_HDR_SIZE));
	if (r == -EMSGSIZE)
		return;
	usbip_devlist_header_encode(again, status, ndev);
	/* Every field is decoded, even for a header that is then refused. */
	FUZZ_CHECK(memcmp(again + 4, data + 4, USBIP_DEVLIST_HDR_SIZE - 4) == 0);
	FUZZ_CHECK((r == 0) == (memcmp(again, data, 4) == 0));
}

/* The decoders on their own, at every offset a device could start at. */
static void decode_direct(const uint8_t *data, size_t size)
{
	static const size_t starts[] = { 0, USBIP_OP_COMMON_SIZE, USBIP_DEVLIST_HDR_SIZE };
	struct usbip_interface intf;
	struct usbip_device dev;
	uint16_t code;
	uint32_t status;

	usbip_op_common_decode(data, size, &code, &status);
	check_header(data, size);
	for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		size_t off = starts[s], left = size > off ? size - off : 0;
		int terminated, r;

		memset(&dev, 0, sizeof(dev));
		r = usbip_device_decode(data + off, left, &dev);
		FUZZ_CHECK(r == 0 || r == -EMSGSIZE || r == -ENAMETOOLONG || r == -EINVAL);
		FUZZ_CHECK((r == -EMSGSIZE) == (left < USBIP_DEVICE_SIZE));
		if (r == -EMSGSIZE)
			continue;
		/* Strings come back terminated whatever the verdict ... */
		fuzz_check_device(&dev);
		/* ... which names exactly the fields the input left unterminated, */
		terminated = memchr(data + off, '\0', USBIP_PATH_SIZE) &&
			     memchr(data + off + USBIP_PATH_SIZE, '\0', USBIP_BUSID_SIZE);
		FUZZ_CHECK((r == -ENAMETOOLONG) == !terminated);
		/* and a bus id it accepts passes the same check as a string. */
		FUZZ_CHECK((r == 0) == (terminated &&
			   usbip_busid_valid(dev.busid, sizeof(dev.busid)) == 0));
		if (r < 0)
			continue;
		check_roundtrip(&dev);
		off += USBIP_DEVICE_SIZE;
		for (unsigned i = 0; i < dev.bNumInterfaces; i++, off += USBIP_INTERFACE_SIZE) {
			left = size > off ? size - off : 0;
			r = usbip_interface_decode(data + off, left, &intf);
			FUZZ_CHECK(r == 0 || r == -EMSGSIZE);
			if (r < 0)
				break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbip_devlist list = { .ndev = 12345, .devs = (void *)&list };
	int fd, peer, r;

	if (size > FUZZ_MAX_WIRE)
		return -1;
	decode_direct(data, size);

	fuzz_peer_reply(data, size, &fd, &peer);
	r = usbip_request_devlist(ctx, fd, usbip_now_ms() + FUZZ_DEADLINE_MS, &list);
	/* Everything is already in the socket: waiting for more is a bug. */
	FUZZ_CHECK(r != -ETIMEDOUT);
	/* The request went out whole, whatever came back. */
	{
		static const uint8_t req[] = { 0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0 };
		uint8_t sent[64];

		FUZZ_CHECK(recv(peer, sent, sizeof(sent), MSG_DONTWAIT) == sizeof(req));
		FUZZ_CHECK(memcmp(sent, req, sizeof(req)) == 0);
	}
	fuzz_check_result(r);
	if (r == 0) {
		FUZZ_CHECK(list.ndev <= USBIP_MAX_DEVLIST);
		FUZZ_CHECK(list.ndev == 0 || list.devs != NULL);
		for (size_t i = 0; i < list.ndev; i++) {
			fuzz_check_device(&list.devs[i]);
			FUZZ_CHECK(usbip_busid_valid(list.devs[i].busid, USBIP_BUSID_SIZE) == 0);
		}
		usbip_devlist_free(&list);
		FUZZ_CHECK(list.devs == NULL && list.ndev == 0);
	} else {
		/* Failure leaves nothing to free (LeakSanitizer checks it too). */
		FUZZ_CHECK(list.devs == NULL && list.ndev == 0);
	}
	close(fd);
	close(peer);
	return 0;
}

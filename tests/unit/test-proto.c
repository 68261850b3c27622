// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of lib/proto.c: the pure encoders and decoders of the wire format. */
#include "test-common.h"

/* A heap copy of exactly @len bytes, so a sanitizer sees any over-read. */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static void fill_device(struct usbip_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	strcpy(dev->path, "/sys/devices/pci0000:00/0000:00:14.0/usb3/3-3/3-3.2");
	strcpy(dev->busid, "3-3.2");
	dev->busnum = 0x01020304;
	dev->devnum = 0x05060708;
	dev->speed = 0x090a0b0c;
	dev->idVendor = 0x1d6b;
	dev->idProduct = 0xa1b2;
	dev->bcdDevice = 0xc3d4;
	dev->bDeviceClass = 0xef;
	dev->bDeviceSubClass = 0x02;
	dev->bDeviceProtocol = 0x01;
	dev->bConfigurationValue = 0x03;
	dev->bNumConfigurations = 0x04;
	dev->bNumInterfaces = 0x05;
}

/* The TCases of this runner; each test names its own after its END_TEST. */
static const struct test_group tc_op_common = { .name = "op_common" };
static const struct test_group tc_usb_device = { .name = "usb_device" };
static const struct test_group tc_usb_interface = { .name = "usb_interface" };
static const struct test_group tc_import_request = { .name = "import_request" };
static const struct test_group tc_busid_valid = { .name = "busid_valid" };
static const struct test_group tc_strings = { .name = "strings" };

/* ---------------------------------------------------------- op_common */

START_TEST(test_op_common_req_devlist_bytes)
{
	static const uint8_t expect[] = { 0x01, 0x11, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00 };
	uint8_t buf[USBIP_OP_COMMON_SIZE + 4];

	memset(buf, 0xee, sizeof(buf));
	usbip_op_common_encode(buf, USBIP_OP_REQ_DEVLIST, 0);
	ck_assert_mem_eq(buf, expect, sizeof(expect));
	/* Exactly 8 bytes are written. */
	for (size_t i = USBIP_OP_COMMON_SIZE; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xee);
}
END_TEST
TEST_IN(tc_op_common, test_op_common_req_devlist_bytes)

START_TEST(test_op_common_other_bytes)
{
	static const uint8_t req_import[] = { 0x01, 0x11, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t rep_import[] = { 0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04 };
	static const uint8_t rep_devlist[] = { 0x01, 0x11, 0x00, 0x05, 0xa1, 0xb2, 0xc3, 0xd4 };
	uint8_t buf[USBIP_OP_COMMON_SIZE];

	usbip_op_common_encode(buf, USBIP_OP_REQ_IMPORT, 0);
	ck_assert_mem_eq(buf, req_import, sizeof(buf));
	usbip_op_common_encode(buf, USBIP_OP_REP_IMPORT, USBIP_ST_NODEV);
	ck_assert_mem_eq(buf, rep_import, sizeof(buf));
	usbip_op_common_encode(buf, USBIP_OP_REP_DEVLIST, 0xa1b2c3d4);
	ck_assert_mem_eq(buf, rep_devlist, sizeof(buf));
}
END_TEST
TEST_IN(tc_op_common, test_op_common_other_bytes)

START_TEST(test_op_common_decode_literal)
{
	static const uint8_t in[] = { 0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02 };
	uint16_t code = 0;
	uint32_t status = 99;

	ck_assert_int_eq(usbip_op_common_decode(in, sizeof(in), &code, &status), 0);
	ck_assert_uint_eq(code, USBIP_OP_REP_IMPORT);
	ck_assert_uint_eq(status, USBIP_ST_DEV_BUSY);
}
END_TEST
TEST_IN(tc_op_common, test_op_common_decode_literal)

START_TEST(test_op_common_roundtrip)
{
	static const uint16_t codes[] = { 0x0000, 0x8005, 0x0005, 0x8003, 0x0003, 0x8002,
					  0x00ff, 0x0100, 0xffff };
	static const uint32_t statuses[] = { 0, 1, 4, 5, 0x000000ff, 0x00000100,
					     0x01020304, 0x80000000, 0xffffffff };

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(statuses); j++) {
			uint8_t buf[USBIP_OP_COMMON_SIZE];
			uint16_t code;
			uint32_t status;

			usbip_op_common_encode(buf, codes[i], statuses[j]);
			ck_assert_int_eq(usbip_op_common_decode(buf, sizeof(buf),
								&code, &status), 0);
			ck_assert_uint_eq(code, codes[i]);
			ck_assert_uint_eq(status, statuses[j]);
		}
	}
}
END_TEST
TEST_IN(tc_op_common, test_op_common_roundtrip)

START_TEST(test_op_common_longer_buffer)
{
	static const uint8_t in[] = { 0x01, 0x11, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
				      0xff, 0xff, 0xff, 0xff };
	uint16_t code;
	uint32_t status;

	ck_assert_int_eq(usbip_op_common_decode(in, sizeof(in), &code, &status), 0);
	ck_assert_uint_eq(code, USBIP_OP_REP_DEVLIST);
	ck_assert_uint_eq(status, 0);
}
END_TEST
TEST_IN(tc_op_common, test_op_common_longer_buffer)

START_TEST(test_op_common_truncated)
{
	uint8_t full[USBIP_OP_COMMON_SIZE];

	usbip_op_common_encode(full, USBIP_OP_REP_DEVLIST, 0);
	for (size_t len = 0; len < USBIP_OP_COMMON_SIZE; len++) {
		uint8_t *p = dup_exact(full, len);
		uint16_t code;
		uint32_t status;

		ck_assert_msg(usbip_op_common_decode(p, len, &code, &status) == -EMSGSIZE,
			      "len %zu", len);
		free(p);
	}
}
END_TEST
TEST_IN(tc_op_common, test_op_common_truncated)

START_TEST(test_op_common_wrong_version)
{
	static const uint8_t versions[][2] = {
		{ 0x01, 0x10 }, { 0x01, 0x12 }, { 0x11, 0x01 }, /* little-endian */
		{ 0x00, 0x00 }, { 0xff, 0xff }, { 0x00, 0x11 }, { 0x02, 0x11 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		uint8_t buf[USBIP_OP_COMMON_SIZE] = { versions[i][0], versions[i][1],
						      0x00, 0x05, 0, 0, 0, 0 };
		uint16_t code;
		uint32_t status;

		ck_assert_msg(usbip_op_common_decode(buf, sizeof(buf), &code, &status) == -EPROTO,
			      "version %02x%02x", versions[i][0], versions[i][1]);
	}
}
END_TEST
TEST_IN(tc_op_common, test_op_common_wrong_version)

/* ---------------------------------------------------- devlist header */

static const struct test_group tc_devlist_header = { .name = "devlist_header" };

START_TEST(test_devlist_header_bytes)
{
	static const uint8_t expect[USBIP_DEVLIST_HDR_SIZE] = {
		0x01, 0x11, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04,
	};
	uint8_t buf[USBIP_DEVLIST_HDR_SIZE + 4];

	memset(buf, 0xee, sizeof(buf));
	usbip_devlist_header_encode(buf, USBIP_ST_OK, 0x01020304);
	ck_assert_mem_eq(buf, expect, sizeof(expect));
	/* Exactly 12 bytes are written. */
	for (size_t i = USBIP_DEVLIST_HDR_SIZE; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xee);
	/* op_common is the common header, as every other reply has it. */
	usbip_op_common_encode(buf + 4, USBIP_OP_REP_DEVLIST, USBIP_ST_OK);
	ck_assert_mem_eq(buf + 4, expect, USBIP_OP_COMMON_SIZE);
}
END_TEST
TEST_IN(tc_devlist_header, test_devlist_header_bytes)

START_TEST(test_devlist_header_roundtrip)
{
	static const uint32_t values[] = { 0, 1, 4, 0xff, 0x100, 4096, 0x80000000, 0xffffffff };

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(values); j++) {
			uint8_t *p, buf[USBIP_DEVLIST_HDR_SIZE];
			uint32_t status = 7, ndev = 7;

			usbip_devlist_header_encode(buf, values[i], values[j]);
			p = dup_exact(buf, sizeof(buf));
			ck_assert_int_eq(usbip_devlist_header_decode(p, sizeof(buf), &status,
								     &ndev), 0);
			ck_assert_uint_eq(status, values[i]);
			ck_assert_uint_eq(ndev, values[j]);
			free(p);
		}
	}
}
END_TEST
TEST_IN(tc_devlist_header, test_devlist_header_roundtrip)

START_TEST(test_devlist_header_truncated)
{
	uint8_t full[USBIP_DEVLIST_HDR_SIZE];

	usbip_devlist_header_encode(full, 0, 1);
	for (size_t len = 0; len < USBIP_DEVLIST_HDR_SIZE; len++) {
		uint8_t *p = dup_exact(full, len);
		uint32_t status = 7, ndev = 7;

		ck_assert_msg(usbip_devlist_header_decode(p, len, &status, &ndev) == -EMSGSIZE,
			      "len %zu", len);
		/* Nothing written on -EMSGSIZE. */
		ck_assert_uint_eq(status, 7);
		ck_assert_uint_eq(ndev, 7);
		free(p);
	}
}
END_TEST
TEST_IN(tc_devlist_header, test_devlist_header_truncated)

START_TEST(test_devlist_header_wrong_version_or_code)
{
	static const uint16_t codes[] = { USBIP_OP_REQ_DEVLIST, USBIP_OP_REP_IMPORT,
					  USBIP_OP_REQ_IMPORT, 0x0000, 0xffff };
	uint8_t buf[USBIP_DEVLIST_HDR_SIZE];
	uint32_t status, ndev;

	usbip_devlist_header_encode(buf, 3, 9);
	buf[1] = 0x06;	/* version 0x0106 */
	ck_assert_int_eq(usbip_devlist_header_decode(buf, sizeof(buf), &status, &ndev), -EPROTO);
	/* Still decoded, for the caller's message. */
	ck_assert_uint_eq(status, 3);
	ck_assert_uint_eq(ndev, 9);
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		usbip_devlist_header_encode(buf, 0, 2);
		buf[2] = (uint8_t)(codes[i] >> 8);
		buf[3] = (uint8_t)codes[i];
		ndev = 0;
		ck_assert_msg(usbip_devlist_header_decode(buf, sizeof(buf), &status, &ndev) ==
			      -EBADMSG, "code %#06x", codes[i]);
		ck_assert_uint_eq(ndev, 2);
	}
}
END_TEST
TEST_IN(tc_devlist_header, test_devlist_header_wrong_version_or_code)

/* -------------------------------------------------------- usb_device */

START_TEST(test_wire_sizes)
{
	ck_assert_int_eq(USBIP_OP_COMMON_SIZE, 8);
	ck_assert_int_eq(USBIP_DEVICE_SIZE, 312);
	ck_assert_int_eq(USBIP_DEVICE_SIZE, 0x138);
	ck_assert_int_eq(USBIP_INTERFACE_SIZE, 4);
	ck_assert_int_eq(USBIP_DEVLIST_HDR_SIZE, 12);
	ck_assert_int_eq(USBIP_IMPORT_REQ_SIZE, 40);
	ck_assert_int_eq(USBIP_IMPORT_REQ_SIZE, USBIP_OP_COMMON_SIZE + USBIP_BUSID_SIZE);
	ck_assert_int_eq(USBIP_IMPORT_REP_SIZE, 320);
	ck_assert_int_eq(USBIP_IMPORT_REP_SIZE, USBIP_OP_COMMON_SIZE + USBIP_DEVICE_SIZE);
	ck_assert_int_eq(USBIP_BUSID_SIZE, 32);
	ck_assert_int_eq(USBIP_PATH_SIZE, 256);
	ck_assert_int_eq(USBIP_PROTO_VERSION, 0x0111);
	ck_assert_int_eq(USBIP_OP_REQ_DEVLIST, 0x8005);
	ck_assert_int_eq(USBIP_OP_REP_DEVLIST, 0x0005);
	ck_assert_int_eq(USBIP_OP_REQ_IMPORT, 0x8003);
	ck_assert_int_eq(USBIP_OP_REP_IMPORT, 0x0003);
}
END_TEST
TEST_IN(tc_usb_device, test_wire_sizes)

START_TEST(test_device_encode_layout)
{
	struct usbip_device dev;
	uint8_t buf[USBIP_DEVICE_SIZE + 16];
	size_t plen, blen;

	fill_device(&dev);
	plen = strlen(dev.path);
	blen = strlen(dev.busid);
	memset(buf, 0xee, sizeof(buf));
	usbip_device_encode(buf, &dev);

	/* path at 0x000, zero padded to 256 bytes */
	ck_assert_mem_eq(buf + 0x000, dev.path, plen);
	for (size_t i = plen; i < 0x100; i++)
		ck_assert_msg(buf[i] == 0, "path padding byte %#zx is %#x", i, buf[i]);
	/* busid at 0x100, zero padded to 32 bytes */
	ck_assert_mem_eq(buf + 0x100, dev.busid, blen);
	for (size_t i = 0x100 + blen; i < 0x120; i++)
		ck_assert_msg(buf[i] == 0, "busid padding byte %#zx is %#x", i, buf[i]);
	ck_assert_mem_eq(buf + 0x120, ((const uint8_t[]){ 0x01, 0x02, 0x03, 0x04 }), 4);
	ck_assert_mem_eq(buf + 0x124, ((const uint8_t[]){ 0x05, 0x06, 0x07, 0x08 }), 4);
	ck_assert_mem_eq(buf + 0x128, ((const uint8_t[]){ 0x09, 0x0a, 0x0b, 0x0c }), 4);
	ck_assert_mem_eq(buf + 0x12c, ((const uint8_t[]){ 0x1d, 0x6b }), 2);
	ck_assert_mem_eq(buf + 0x12e, ((const uint8_t[]){ 0xa1, 0xb2 }), 2);
	ck_assert_mem_eq(buf + 0x130, ((const uint8_t[]){ 0xc3, 0xd4 }), 2);
	ck_assert_uint_eq(buf[0x132], 0xef);
	ck_assert_uint_eq(buf[0x133], 0x02);
	ck_assert_uint_eq(buf[0x134], 0x01);
	ck_assert_uint_eq(buf[0x135], 0x03);
	ck_assert_uint_eq(buf[0x136], 0x04);
	ck_assert_uint_eq(buf[0x137], 0x05);
	/* Nothing beyond the 312-byte record is touched. */
	for (size_t i = USBIP_DEVICE_SIZE; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xee);
}
END_TEST
TEST_IN(tc_usb_device, test_device_encode_layout)

START_TEST(test_device_roundtrip)
{
	struct usbip_device in, out;
	uint8_t buf[USBIP_DEVICE_SIZE];

	fill_device(&in);
	usbip_device_encode(buf, &in);
	memset(&out, 0x5a, sizeof(out));
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &out), 0);
	ck_assert_str_eq(out.path, in.path);
	ck_assert_str_eq(out.busid, in.busid);
	ck_assert_uint_eq(out.busnum, 0x01020304);
	ck_assert_uint_eq(out.devnum, 0x05060708);
	ck_assert_uint_eq(out.speed, 0x090a0b0c);
	ck_assert_uint_eq(out.idVendor, 0x1d6b);
	ck_assert_uint_eq(out.idProduct, 0xa1b2);
	ck_assert_uint_eq(out.bcdDevice, 0xc3d4);
	ck_assert_uint_eq(out.bDeviceClass, 0xef);
	ck_assert_uint_eq(out.bDeviceSubClass, 0x02);
	ck_assert_uint_eq(out.bDeviceProtocol, 0x01);
	ck_assert_uint_eq(out.bConfigurationValue, 0x03);
	ck_assert_uint_eq(out.bNumConfigurations, 0x04);
	ck_assert_uint_eq(out.bNumInterfaces, 0x05);
}
END_TEST
TEST_IN(tc_usb_device, test_device_roundtrip)

START_TEST(test_device_roundtrip_extremes)
{
	struct usbip_device in, out;
	uint8_t buf[USBIP_DEVICE_SIZE];

	memset(&in, 0, sizeof(in));
	memset(in.path, 'p', USBIP_PATH_SIZE - 1);
	memset(in.busid, 'b', USBIP_BUSID_SIZE - 1);
	in.busnum = in.devnum = in.speed = 0xffffffff;
	in.idVendor = in.idProduct = in.bcdDevice = 0xffff;
	in.bDeviceClass = in.bDeviceSubClass = in.bDeviceProtocol = 0xff;
	in.bConfigurationValue = in.bNumConfigurations = in.bNumInterfaces = 0xff;
	usbip_device_encode(buf, &in);
	ck_assert_uint_eq(buf[0x0ff], 0);
	ck_assert_uint_eq(buf[0x11f], 0);
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &out), 0);
	ck_assert_str_eq(out.path, in.path);
	ck_assert_str_eq(out.busid, in.busid);
	ck_assert_uint_eq(out.busnum, 0xffffffff);
	ck_assert_uint_eq(out.devnum, 0xffffffff);
	ck_assert_uint_eq(out.speed, 0xffffffff);
	ck_assert_uint_eq(out.idVendor, 0xffff);
	ck_assert_uint_eq(out.idProduct, 0xffff);
	ck_assert_uint_eq(out.bcdDevice, 0xffff);
	ck_assert_uint_eq(out.bNumInterfaces, 0xff);

	/* And all zeros. */
	memset(&in, 0, sizeof(in));
	memset(buf, 0xee, sizeof(buf));
	usbip_device_encode(buf, &in);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0);
}
END_TEST
TEST_IN(tc_usb_device, test_device_roundtrip_extremes)

START_TEST(test_device_decode_literal)
{
	uint8_t buf[USBIP_DEVICE_SIZE];
	struct usbip_device dev;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "/sys/devices/platform/usbip-vudc.0", 34);
	memcpy(buf + 0x100, "usbip-vudc.0", 12);
	buf[0x123] = 0x07;					/* busnum 7 */
	buf[0x126] = 0x01; buf[0x127] = 0x02;			/* devnum 0x102 */
	buf[0x12b] = USBIP_SPEED_SUPER;
	buf[0x12c] = 0x04; buf[0x12d] = 0x6d;			/* 046d */
	buf[0x12e] = 0xc5; buf[0x12f] = 0x2b;			/* c52b */
	buf[0x130] = 0x12; buf[0x131] = 0x10;			/* 1210 */
	buf[0x132] = 0x09; buf[0x133] = 0x00; buf[0x134] = 0x03;
	buf[0x135] = 0x01; buf[0x136] = 0x01; buf[0x137] = 0x02;

	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), 0);
	ck_assert_str_eq(dev.path, "/sys/devices/platform/usbip-vudc.0");
	ck_assert_str_eq(dev.busid, "usbip-vudc.0");
	ck_assert_uint_eq(dev.busnum, 7);
	ck_assert_uint_eq(dev.devnum, 0x102);
	ck_assert_uint_eq(dev.speed, USBIP_SPEED_SUPER);
	ck_assert_uint_eq(dev.idVendor, 0x046d);
	ck_assert_uint_eq(dev.idProduct, 0xc52b);
	ck_assert_uint_eq(dev.bcdDevice, 0x1210);
	ck_assert_uint_eq(dev.bDeviceClass, 0x09);
	ck_assert_uint_eq(dev.bDeviceSubClass, 0x00);
	ck_assert_uint_eq(dev.bDeviceProtocol, 0x03);
	ck_assert_uint_eq(dev.bConfigurationValue, 0x01);
	ck_assert_uint_eq(dev.bNumConfigurations, 0x01);
	ck_assert_uint_eq(dev.bNumInterfaces, 0x02);
}
END_TEST
TEST_IN(tc_usb_device, test_device_decode_literal)

START_TEST(test_device_truncated)
{
	struct usbip_device dev;
	uint8_t full[USBIP_DEVICE_SIZE];

	fill_device(&dev);
	usbip_device_encode(full, &dev);
	for (size_t len = 0; len < USBIP_DEVICE_SIZE; len++) {
		uint8_t *p = dup_exact(full, len);

		ck_assert_msg(usbip_device_decode(p, len, &dev) == -EMSGSIZE, "len %zu", len);
		free(p);
	}
	/* The exact size is enough. */
	{
		uint8_t *p = dup_exact(full, USBIP_DEVICE_SIZE);

		ck_assert_int_eq(usbip_device_decode(p, USBIP_DEVICE_SIZE, &dev), 0);
		free(p);
	}
}
END_TEST
TEST_IN(tc_usb_device, test_device_truncated)

START_TEST(test_device_decode_unterminated_strings)
{
	uint8_t buf[USBIP_DEVICE_SIZE];
	struct usbip_device dev;

	memset(buf, 0, sizeof(buf));
	memset(buf + 0x000, 'A', USBIP_PATH_SIZE);
	memset(buf + 0x100, 'B', USBIP_BUSID_SIZE);
	buf[0x123] = 0x2a;
	memset(&dev, 0x5a, sizeof(dev));
	/* Reported, yet every field is decoded, the strings cut to fit. */
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(dev.path), USBIP_PATH_SIZE - 1);
	ck_assert_uint_eq(strlen(dev.busid), USBIP_BUSID_SIZE - 1);
	for (size_t i = 0; i < USBIP_PATH_SIZE - 1; i++)
		ck_assert_int_eq(dev.path[i], 'A');
	for (size_t i = 0; i < USBIP_BUSID_SIZE - 1; i++)
		ck_assert_int_eq(dev.busid[i], 'B');
	ck_assert_uint_eq(dev.busnum, 0x2a);
	/* The truncated field is what usbip_busid_valid() reports. */
	ck_assert_int_eq(usbip_busid_valid((const char *)buf + 0x100, USBIP_BUSID_SIZE),
			 -ENAMETOOLONG);
}
END_TEST
TEST_IN(tc_usb_device, test_device_decode_unterminated_strings)

/* A valid record with @busid_len bytes of 'b' in the bus id field and
 * @path_len bytes of 'p' in the path field (no NUL when a field is full). */
static void device_fields(uint8_t *buf, size_t path_len, size_t busid_len)
{
	struct usbip_device dev;

	fill_device(&dev);
	usbip_device_encode(buf, &dev);
	memset(buf + 0x000, 0, USBIP_PATH_SIZE);
	memset(buf + 0x000, 'p', path_len);
	memset(buf + 0x100, 0, USBIP_BUSID_SIZE);
	memset(buf + 0x100, 'b', busid_len);
}

START_TEST(test_device_decode_full_fields)
{
	uint8_t buf[USBIP_DEVICE_SIZE];
	struct usbip_device dev;

	/* The longest strings that fit: 255 and 31 bytes and their NULs. */
	device_fields(buf, USBIP_PATH_SIZE - 1, USBIP_BUSID_SIZE - 1);
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), 0);
	ck_assert_uint_eq(strlen(dev.path), USBIP_PATH_SIZE - 1);
	ck_assert_uint_eq(strlen(dev.busid), USBIP_BUSID_SIZE - 1);

	/* One byte more: the bus id field holds no NUL. */
	device_fields(buf, 10, USBIP_BUSID_SIZE);
	memset(&dev, 0x5a, sizeof(dev));
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(dev.busid), USBIP_BUSID_SIZE - 1);
	ck_assert_uint_eq(strlen(dev.path), 10);
	ck_assert_uint_eq(dev.busnum, 0x01020304);

	/* The path field holds no NUL: the bus id's bytes after it do not end it. */
	device_fields(buf, USBIP_PATH_SIZE, 3);
	memset(&dev, 0x5a, sizeof(dev));
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(dev.path), USBIP_PATH_SIZE - 1);
	ck_assert_str_eq(dev.busid, "bbb");
	ck_assert_uint_eq(dev.bNumInterfaces, 0x05);
}
END_TEST
TEST_IN(tc_usb_device, test_device_decode_full_fields)

START_TEST(test_device_decode_invalid_busid)
{
	static const char *const bad[] = { "", ".", "..", "../../x", "1-1/", "1 1", "\x7f" };
	uint8_t buf[USBIP_DEVICE_SIZE];
	struct usbip_device dev;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		device_fields(buf, 20, 0);
		memcpy(buf + 0x100, bad[i], strlen(bad[i]));
		memset(&dev, 0x5a, sizeof(dev));
		ck_assert_msg(usbip_device_decode(buf, sizeof(buf), &dev) == -EINVAL,
			      "case %zu", i);
		/* The text is handed back, for the caller's message. */
		ck_assert_str_eq(dev.busid, bad[i]);
		ck_assert_uint_eq(strlen(dev.path), 20);
	}
	/* An empty path is not the decoder's concern. */
	device_fields(buf, 0, 3);
	ck_assert_int_eq(usbip_device_decode(buf, sizeof(buf), &dev), 0);
	ck_assert_str_eq(dev.path, "");
}
END_TEST
TEST_IN(tc_usb_device, test_device_decode_invalid_busid)

START_TEST(test_device_encode_unterminated_strings)
{
	struct usbip_device dev;
	uint8_t buf[USBIP_DEVICE_SIZE];

	fill_device(&dev);
	memset(dev.path, 'x', sizeof(dev.path));	/* no NUL at all */
	memset(dev.busid, 'y', sizeof(dev.busid));
	usbip_device_encode(buf, &dev);
	for (size_t i = 0; i < USBIP_PATH_SIZE - 1; i++)
		ck_assert_uint_eq(buf[i], 'x');
	ck_assert_uint_eq(buf[0x0ff], 0);
	for (size_t i = 0; i < USBIP_BUSID_SIZE - 1; i++)
		ck_assert_uint_eq(buf[0x100 + i], 'y');
	ck_assert_uint_eq(buf[0x11f], 0);
	ck_assert_mem_eq(buf + 0x120, ((const uint8_t[]){ 0x01, 0x02, 0x03, 0x04 }), 4);
}
END_TEST
TEST_IN(tc_usb_device, test_device_encode_unterminated_strings)

/* --------------------------------------------------------- interface */

START_TEST(test_interface_encode_layout)
{
	struct usbip_interface intf = { 0x08, 0x06, 0x50 };
	uint8_t buf[USBIP_INTERFACE_SIZE + 2];

	memset(buf, 0xee, sizeof(buf));
	usbip_interface_encode(buf, &intf);
	ck_assert_mem_eq(buf, ((const uint8_t[]){ 0x08, 0x06, 0x50, 0x00 }), 4);
	ck_assert_uint_eq(buf[4], 0xee);
	ck_assert_uint_eq(buf[5], 0xee);
}
END_TEST
TEST_IN(tc_usb_interface, test_interface_encode_layout)

START_TEST(test_interface_roundtrip)
{
	static const struct usbip_interface cases[] = {
		{ 0, 0, 0 }, { 0x03, 0x01, 0x02 }, { 0xff, 0xfe, 0xfd }, { 0x0e, 0x02, 0x00 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t buf[USBIP_INTERFACE_SIZE];
		struct usbip_interface out = { 0x55, 0x55, 0x55 };

		usbip_interface_encode(buf, &cases[i]);
		ck_assert_int_eq(usbip_interface_decode(buf, sizeof(buf), &out), 0);
		ck_assert_uint_eq(out.bInterfaceClass, cases[i].bInterfaceClass);
		ck_assert_uint_eq(out.bInterfaceSubClass, cases[i].bInterfaceSubClass);
		ck_assert_uint_eq(out.bInterfaceProtocol, cases[i].bInterfaceProtocol);
	}
}
END_TEST
TEST_IN(tc_usb_interface, test_interface_roundtrip)

START_TEST(test_interface_truncated)
{
	static const uint8_t full[USBIP_INTERFACE_SIZE] = { 1, 2, 3, 0 };
	struct usbip_interface intf;

	for (size_t len = 0; len < USBIP_INTERFACE_SIZE; len++) {
		uint8_t *p = dup_exact(full, len);

		ck_assert_msg(usbip_interface_decode(p, len, &intf) == -EMSGSIZE, "len %zu", len);
		free(p);
	}
}
END_TEST
TEST_IN(tc_usb_interface, test_interface_truncated)

/* ------------------------------------------------------------ import */

START_TEST(test_import_request_bytes)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE + 8];
	uint8_t expect[USBIP_IMPORT_REQ_SIZE] = { 0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0,
						   '3', '-', '3', '.', '2' };

	memset(buf, 0xee, sizeof(buf));
	usbip_import_request_encode(buf, "3-3.2");
	ck_assert_mem_eq(buf, expect, USBIP_IMPORT_REQ_SIZE);
	for (size_t i = USBIP_IMPORT_REQ_SIZE; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xee);
}
END_TEST
TEST_IN(tc_import_request, test_import_request_bytes)

START_TEST(test_import_request_long_busid)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE + 8];

	memset(buf, 0xee, sizeof(buf));
	usbip_import_request_encode(buf, "0123456789012345678901234567890123456789");
	ck_assert_mem_eq(buf + 8, "0123456789012345678901234567890", 31);
	ck_assert_uint_eq(buf[39], 0);
	for (size_t i = USBIP_IMPORT_REQ_SIZE; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xee);
}
END_TEST
TEST_IN(tc_import_request, test_import_request_long_busid)

START_TEST(test_import_request_roundtrip)
{
	static const char *const busids[] = { "1-1", "3-3.2", "usbip-vudc.0",
					      "1234567890123456789012345678901" };

	for (size_t i = 0; i < ARRAY_SIZE(busids); i++) {
		uint8_t buf[USBIP_IMPORT_REQ_SIZE];
		char busid[USBIP_BUSID_SIZE];

		usbip_import_request_encode(buf, busids[i]);
		memset(busid, 0x5a, sizeof(busid));
		ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), 0);
		ck_assert_str_eq(busid, busids[i]);
	}
}
END_TEST
TEST_IN(tc_import_request, test_import_request_roundtrip)

START_TEST(test_import_request_wrong_code)
{
	static const uint16_t codes[] = { USBIP_OP_REP_IMPORT, USBIP_OP_REQ_DEVLIST,
					  USBIP_OP_REP_DEVLIST, 0x8002, 0x8004, 0x0000, 0xffff };

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		uint8_t buf[USBIP_IMPORT_REQ_SIZE];
		char busid[USBIP_BUSID_SIZE];

		usbip_import_request_encode(buf, "1-1");
		buf[2] = (uint8_t)(codes[i] >> 8);
		buf[3] = (uint8_t)codes[i];
		ck_assert_msg(usbip_import_request_decode(buf, sizeof(buf), busid) == -EBADMSG,
			      "code %#06x", codes[i]);
	}
}
END_TEST
TEST_IN(tc_import_request, test_import_request_wrong_code)

START_TEST(test_import_request_wrong_version)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE];
	char busid[USBIP_BUSID_SIZE];

	usbip_import_request_encode(buf, "1-1");
	buf[1] = 0x10;
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -EPROTO);
	buf[0] = 0x11;
	buf[1] = 0x01;
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -EPROTO);
}
END_TEST
TEST_IN(tc_import_request, test_import_request_wrong_version)

START_TEST(test_import_request_truncated)
{
	uint8_t full[USBIP_IMPORT_REQ_SIZE];
	char busid[USBIP_BUSID_SIZE];

	usbip_import_request_encode(full, "1-1");
	for (size_t len = 0; len < USBIP_IMPORT_REQ_SIZE; len++) {
		uint8_t *p = dup_exact(full, len);

		ck_assert_msg(usbip_import_request_decode(p, len, busid) == -EMSGSIZE,
			      "len %zu", len);
		free(p);
	}
}
END_TEST
TEST_IN(tc_import_request, test_import_request_truncated)

START_TEST(test_import_request_unterminated_busid)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE];
	char busid[USBIP_BUSID_SIZE];

	usbip_import_request_encode(buf, "");
	memset(buf + 8, 'B', USBIP_BUSID_SIZE);
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(busid), USBIP_BUSID_SIZE - 1);
	ck_assert_int_eq(busid[0], 'B');
	ck_assert_int_eq(busid[30], 'B');
}
END_TEST
TEST_IN(tc_import_request, test_import_request_unterminated_busid)

START_TEST(test_import_request_busid_full_field)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE + 1];
	char busid[USBIP_BUSID_SIZE];

	/* 31 bytes and the NUL: the longest bus id. */
	usbip_import_request_encode(buf, "1234567890123456789012345678901");
	ck_assert_int_eq(usbip_import_request_decode(buf, USBIP_IMPORT_REQ_SIZE, busid), 0);
	ck_assert_str_eq(busid, "1234567890123456789012345678901");

	/* 32 bytes: over-long, even with a NUL right after the field. */
	memset(buf + 8, '7', USBIP_BUSID_SIZE);
	buf[USBIP_IMPORT_REQ_SIZE] = '\0';
	memset(busid, 0x5a, sizeof(busid));
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(busid), USBIP_BUSID_SIZE - 1);
	ck_assert_int_eq(busid[30], '7');
}
END_TEST
TEST_IN(tc_import_request, test_import_request_busid_full_field)

START_TEST(test_import_request_busid_invalid)
{
	static const char *const bad[] = { "", ".", "..", "../1-1", "/", "1-1\n", "\xff\xfe" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t buf[USBIP_IMPORT_REQ_SIZE];
		char busid[USBIP_BUSID_SIZE];

		usbip_import_request_encode(buf, bad[i]);
		memset(busid, 0x5a, sizeof(busid));
		ck_assert_msg(usbip_import_request_decode(buf, sizeof(buf), busid) == -EINVAL,
			      "case %zu", i);
		/* The text is handed back, for the caller's log. */
		ck_assert_str_eq(busid, bad[i]);
	}
}
END_TEST
TEST_IN(tc_import_request, test_import_request_busid_invalid)

START_TEST(test_import_request_errors_fill_busid)
{
	uint8_t buf[USBIP_IMPORT_REQ_SIZE];
	char busid[USBIP_BUSID_SIZE];

	/* A wrong header wins over the bus id, yet the bus id is decoded. */
	usbip_import_request_encode(buf, "../x");
	buf[3] = 0x05;
	memset(busid, 0x5a, sizeof(busid));
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -EBADMSG);
	ck_assert_str_eq(busid, "../x");
	buf[3] = 0x03;
	buf[0] = 0x02;
	memset(busid, 0x5a, sizeof(busid));
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf), busid), -EPROTO);
	ck_assert_str_eq(busid, "../x");
	/* Too short: nothing written. */
	memset(busid, 0x5a, sizeof(busid));
	ck_assert_int_eq(usbip_import_request_decode(buf, sizeof(buf) - 1, busid), -EMSGSIZE);
	ck_assert_int_eq(busid[0], 0x5a);
}
END_TEST
TEST_IN(tc_import_request, test_import_request_errors_fill_busid)

/* ------------------------------------------------------------- busid */

START_TEST(test_busid_valid_ok)
{
	static const char *const ok[] = {
		"1-1", "3-3.2", "usbip-vudc.0", "1-1.2.3.4.5", "...", "a",
		"1234567890123456789012345678901",	/* 31 chars */
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char field[USBIP_BUSID_SIZE] = { 0 };

		strcpy(field, ok[i]);
		ck_assert_msg(usbip_busid_valid(field, sizeof(field)) == 0, "\"%s\"", ok[i]);
	}
}
END_TEST
TEST_IN(tc_busid_valid, test_busid_valid_ok)

START_TEST(test_busid_valid_rejects)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "../x", "/", "1-1/", "/1-1", "1-1 ", " 1-1", "1 1",
		"1-1\n", "\t", "1-\t1", "\r", "\x01", "1-1\x1b", "\x7f", "1-1\x7f",
		"\x80", "1-1\xc3\xa9", "\xff",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char field[USBIP_BUSID_SIZE] = { 0 };

		strcpy(field, bad[i]);
		ck_assert_msg(usbip_busid_valid(field, sizeof(field)) == -EINVAL,
			      "case %zu", i);
	}
}
END_TEST
TEST_IN(tc_busid_valid, test_busid_valid_rejects)

START_TEST(test_busid_valid_too_long)
{
	char field[USBIP_BUSID_SIZE];

	memset(field, 'a', sizeof(field));
	ck_assert_int_eq(usbip_busid_valid(field, sizeof(field)), -ENAMETOOLONG);
	memset(field, '/', sizeof(field));
	ck_assert_int_eq(usbip_busid_valid(field, sizeof(field)), -ENAMETOOLONG);
	/* With the NUL in the last byte it is fine. */
	memset(field, 'a', sizeof(field));
	field[USBIP_BUSID_SIZE - 1] = '\0';
	ck_assert_int_eq(usbip_busid_valid(field, sizeof(field)), 0);
	/* Bytes after the NUL do not matter. */
	memset(field, 0xff, sizeof(field));
	strcpy(field, "1-1");
	ck_assert_int_eq(usbip_busid_valid(field, sizeof(field)), 0);
}
END_TEST
TEST_IN(tc_busid_valid, test_busid_valid_too_long)

/* ----------------------------------------------------------- strings */

START_TEST(test_op_status_str)
{
	ck_assert_str_eq(usbip_op_status_str(0), "Request Completed Successfully");
	ck_assert_str_eq(usbip_op_status_str(1), "Request Failed");
	ck_assert_str_eq(usbip_op_status_str(2), "Device busy (exported)");
	ck_assert_str_eq(usbip_op_status_str(3), "Device in error state");
	ck_assert_str_eq(usbip_op_status_str(4), "Device not found");
	ck_assert_str_eq(usbip_op_status_str(5), "Unexpected response");
	ck_assert_str_eq(usbip_op_status_str(6), "Unknown Op Common Status");
	ck_assert_str_eq(usbip_op_status_str(99), "Unknown Op Common Status");
	ck_assert_str_eq(usbip_op_status_str(0xffffffff), "Unknown Op Common Status");
}
END_TEST
TEST_IN(tc_strings, test_op_status_str)

START_TEST(test_speed_str)
{
	ck_assert_str_eq(usbip_speed_str(0), "Unknown Speed");
	ck_assert_str_eq(usbip_speed_str(1), "Low Speed(1.5Mbps)");
	ck_assert_str_eq(usbip_speed_str(2), "Full Speed(12Mbps)");
	ck_assert_str_eq(usbip_speed_str(3), "High Speed(480Mbps)");
	ck_assert_str_eq(usbip_speed_str(4), "Wireless");
	ck_assert_str_eq(usbip_speed_str(5), "Super Speed(5000Mbps)");
	ck_assert_str_eq(usbip_speed_str(6), "Super Speed Plus(10000Mbps)");
	ck_assert_str_eq(usbip_speed_str(7), "Unknown Speed");
	ck_assert_str_eq(usbip_speed_str(0xffffffff), "Unknown Speed");
}
END_TEST
TEST_IN(tc_strings, test_speed_str)

START_TEST(test_speed_from_sysfs)
{
	ck_assert_int_eq(usbip_speed_from_sysfs("1.5"), USBIP_SPEED_LOW);
	ck_assert_int_eq(usbip_speed_from_sysfs("12"), USBIP_SPEED_FULL);
	ck_assert_int_eq(usbip_speed_from_sysfs("480"), USBIP_SPEED_HIGH);
	ck_assert_int_eq(usbip_speed_from_sysfs("53.3-480"), USBIP_SPEED_WIRELESS);
	ck_assert_int_eq(usbip_speed_from_sysfs("5000"), USBIP_SPEED_SUPER);
	ck_assert_int_eq(usbip_speed_from_sysfs("10000"), USBIP_SPEED_SUPER_PLUS);
	ck_assert_int_eq(usbip_speed_from_sysfs("20000"), USBIP_SPEED_SUPER_PLUS);
	ck_assert_int_eq(usbip_speed_from_sysfs("garbage"), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs(""), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs("48"), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs("4800"), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs("480 "), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs("unknown"), USBIP_SPEED_UNKNOWN);
	ck_assert_int_eq(usbip_speed_from_sysfs(NULL), USBIP_SPEED_UNKNOWN);
}
END_TEST
TEST_IN(tc_strings, test_speed_from_sysfs)

START_TEST(test_dev_status_str)
{
	ck_assert_str_eq(usbip_dev_status_str(1), "Device Available");
	ck_assert_str_eq(usbip_dev_status_str(2), "Device in Use");
	ck_assert_str_eq(usbip_dev_status_str(3), "Device Error");
	ck_assert_str_eq(usbip_dev_status_str(4), "Port Available");
	ck_assert_str_eq(usbip_dev_status_str(5), "Port Initializing");
	ck_assert_str_eq(usbip_dev_status_str(6), "Port in Use");
	ck_assert_str_eq(usbip_dev_status_str(7), "Port Error");
	ck_assert_str_eq(usbip_dev_status_str(0), "Unknown Status");
	ck_assert_str_eq(usbip_dev_status_str(8), "Unknown Status");
	ck_assert_str_eq(usbip_dev_status_str(-1), "Unknown Status");
}
END_TEST
TEST_IN(tc_strings, test_dev_status_str)

TEST_MAIN("proto")

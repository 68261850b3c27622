// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the selectors (lib/selector.c): the VID:PID parser behind
 * usbip -i, matching a selector against what is known of a device (a
 * server's DEVLIST knows no serial: UNKNOWN), the empty selector, and the
 * text of a selector in messages.
 */
#include "test-common.h"

static const struct test_group tc_parse = { .name = "hardware_id" };
static const struct test_group tc_match = { .name = "match" };
static const struct test_group tc_str = { .name = "str" };

/* ------------------------------------------------------------ hardware id */

START_TEST(test_hwid_good)
{
	static const struct {
		const char *text;
		uint16_t vendor, product;
	} good[] = {
		{ "0781:5567", 0x0781, 0x5567 },
		{ "781:5567", 0x0781, 0x5567 },	/* leading zeros optional */
		{ "1:2", 0x0001, 0x0002 },
		{ "ffff:FFFF", 0xffff, 0xffff },	/* either case */
		{ "DeAd:bEeF", 0xdead, 0xbeef },
		{ "0000:0000", 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint16_t v = 1, p = 1;

		ck_assert_msg(usbip_hardware_id_parse(good[i].text, &v, &p) == 0, "%s",
			      good[i].text);
		ck_assert_uint_eq(v, good[i].vendor);
		ck_assert_uint_eq(p, good[i].product);
	}
}
END_TEST
TEST_IN(tc_parse, test_hwid_good)

START_TEST(test_hwid_bad)
{
	static const char *const bad[] = {
		"0781:",	/* no product */
		":5567",	/* no vendor */
		"12345:1",	/* 5 digits: more than 16 bits */
		"1:12345",
		"g781:1",	/* not hex */
		"0781:5567x",	/* trailing garbage */
		"",
		":",
		"07815567",	/* no colon */
		"0781:55:67",	/* two colons */
		" 781:5567",	/* no space allowed */
		"0781: 5567",
		"+781:5567",	/* no sign, as strtoul would take */
		"-1:1",
		"0x781:1",	/* no prefix */
		"0781:5567\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint16_t v = 0x1111, p = 0x2222;

		ck_assert_msg(usbip_hardware_id_parse(bad[i], &v, &p) == -EINVAL, "'%s'", bad[i]);
		/* The outputs are left alone on failure. */
		ck_assert_uint_eq(v, 0x1111);
		ck_assert_uint_eq(p, 0x2222);
	}
	ck_assert_int_eq(usbip_hardware_id_parse(NULL, &(uint16_t){ 0 }, &(uint16_t){ 0 }),
			 -EINVAL);
}
END_TEST
TEST_IN(tc_parse, test_hwid_bad)

/* ------------------------------------------------------------------ match */

static const struct usbip_device_ident stick = {
	.busid = "1-1", .vendor = 0x0781, .product = 0x5567,
	.serial = "4C530001", .path = "pci-0000:00:14.0-usb-0:1",
};

START_TEST(test_match_fields)
{
	struct usbip_selector sel = { .has_ids = true, .vendor = 0x0781, .product = 0x5567 };

	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_YES);
	sel.product = 0x5568;
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	sel.product = 0x5567;
	sel.vendor = 0x0782;
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	sel.vendor = 0x0781;

	strcpy(sel.serial, "4C530001");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_YES);
	strcpy(sel.serial, "4C530002");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	/* No prefix match: a serial is compared whole. */
	strcpy(sel.serial, "4C53000");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	strcpy(sel.serial, "4C530001");

	strcpy(sel.busid, "1-1");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_YES);
	strcpy(sel.busid, "1-2");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	sel.busid[0] = '\0';

	strcpy(sel.path, "pci-0000:00:14.0-usb-0:1");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_YES);
	strcpy(sel.path, "pci-0000:00:14.0-usb-0:2");
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
}
END_TEST
TEST_IN(tc_match, test_match_fields)

START_TEST(test_match_no_serial)
{
	/* A device without a serial number ("" known) is not one with it. */
	struct usbip_device_ident id = stick;
	struct usbip_selector sel = { 0 };

	id.serial = "";
	strcpy(sel.serial, "4C530001");
	ck_assert_int_eq(usbip_selector_match(&sel, &id), USBIP_MATCH_NO);
	sel.serial[0] = '\0';
	ck_assert_int_eq(usbip_selector_match(&sel, &id), USBIP_MATCH_YES);
}
END_TEST
TEST_IN(tc_match, test_match_no_serial)

START_TEST(test_match_unknown)
{
	/* What a server's DEVLIST tells: bus id and ids, no serial, no path. */
	const struct usbip_device_ident remote = {
		.busid = "1-1", .vendor = 0x0781, .product = 0x5567,
	};
	struct usbip_selector sel = { .has_ids = true, .vendor = 0x0781, .product = 0x5567 };

	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_YES);
	strcpy(sel.serial, "4C530001");
	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_UNKNOWN);
	strcpy(sel.path, "pci-0000:00:14.0-usb-0:1");
	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_UNKNOWN);
	/* A known field that differs decides, whatever is unknown. */
	sel.product = 0x1234;
	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_NO);
	sel.product = 0x5567;
	strcpy(sel.busid, "1-2");
	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_NO);
	strcpy(sel.busid, "1-1");
	ck_assert_int_eq(usbip_selector_match(&sel, &remote), USBIP_MATCH_UNKNOWN);
}
END_TEST
TEST_IN(tc_match, test_match_unknown)

START_TEST(test_match_empty)
{
	struct usbip_selector sel = { 0 };
	const struct usbip_device_ident nothing = { .busid = "9-9" };

	ck_assert(usbip_selector_empty(&sel));
	/* The empty selector matches every device, known or not. */
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_YES);
	ck_assert_int_eq(usbip_selector_match(&sel, &nothing), USBIP_MATCH_YES);

	/* Any one field makes it non-empty; vendor 0 with has_ids too. */
	sel.has_ids = true;
	ck_assert(!usbip_selector_empty(&sel));
	ck_assert_int_eq(usbip_selector_match(&sel, &stick), USBIP_MATCH_NO);
	sel = (struct usbip_selector){ 0 };
	sel.vendor = 0x0781;	/* without has_ids: not a field */
	ck_assert(usbip_selector_empty(&sel));
	strcpy(sel.serial, "x");
	ck_assert(!usbip_selector_empty(&sel));
	sel = (struct usbip_selector){ 0 };
	strcpy(sel.busid, "1-1");
	ck_assert(!usbip_selector_empty(&sel));
	sel = (struct usbip_selector){ 0 };
	strcpy(sel.path, "p");
	ck_assert(!usbip_selector_empty(&sel));
}
END_TEST
TEST_IN(tc_match, test_match_empty)

/* -------------------------------------------------------------------- str */

START_TEST(test_str)
{
	struct usbip_selector sel = { 0 };
	char buf[USBIP_BUSID_SIZE + USBIP_SERIAL_SIZE + USBIP_PATH_SIZE + 64];

	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)), "");
	sel.has_ids = true;
	sel.vendor = 0x781;
	sel.product = 0xa;
	/* Always 4 digits, as list -l prints them. */
	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)), "-i 0781:000a");
	strcpy(sel.serial, "4C530001");
	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)),
			 "-i 0781:000a --serial 4C530001");
	strcpy(sel.busid, "1-1");
	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)),
			 "-b 1-1 -i 0781:000a --serial 4C530001");
	strcpy(sel.path, "pci-0000:00:14.0-usb-0:1");
	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)),
			 "-b 1-1 -i 0781:000a --serial 4C530001 --path pci-0000:00:14.0-usb-0:1");
	sel = (struct usbip_selector){ 0 };
	strcpy(sel.serial, "only");
	ck_assert_str_eq(usbip_selector_str(&sel, buf, sizeof(buf)), "--serial only");
}
END_TEST
TEST_IN(tc_str, test_str)

START_TEST(test_str_small_buffer)
{
	struct usbip_selector sel = { .has_ids = true, .vendor = 0x0781, .product = 0x5567 };
	char buf[12];

	strcpy(sel.serial, "4C530001");
	memset(buf, 'x', sizeof(buf));
	/* Always NUL-terminated inside the buffer, whatever fits. */
	usbip_selector_str(&sel, buf, sizeof(buf));
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));
	ck_assert_str_eq(buf, "-i 0781:556");
	memset(buf, 'x', sizeof(buf));
	usbip_selector_str(&sel, buf, 1);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'x');
	/* Size 0 writes nothing. */
	usbip_selector_str(&sel, buf, 0);
	ck_assert_int_eq(buf[1], 'x');
}
END_TEST
TEST_IN(tc_str, test_str_small_buffer)

TEST_MAIN("selector")

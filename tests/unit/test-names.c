// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of lib/names.c: vendor/product and class names from small
 * usb.ids files written into a temporary directory, plus a few lookups in the
 * system's real usb.ids.
 *
 * Built with --enable-ubsan, the tests whose file lacks a section (no class
 * lines, no products, an empty file) catch lib/names.c calling
 * qsort(NULL, 0, ...) for an empty table: undefined behaviour, reported and
 * fatal under -fno-sanitize-recover.
 */
#include "test-common.h"

static struct usbip_ctx *ctx;

static void setup(void)
{
	test_tmpdir_setup();
	ctx = test_ctx_new();
}

static void teardown(void)
{
	usbip_unref(ctx);
	ctx = NULL;
	test_tmpdir_teardown();
}

/* Points the context at a usb.ids holding @text. */
static void use_ids(const char *text)
{
	static unsigned n;
	char name[32];

	snprintf(name, sizeof(name), "usb.ids.%u", n++);
	ck_assert_int_eq(usbip_set_usbids_path(ctx, test_write_file(name, text, strlen(text))), 0);
}

static const char *product(uint16_t v, uint16_t p)
{
	static char buf[512];

	return usbip_names_product(ctx, buf, sizeof(buf), v, p);
}

static const char *class(uint8_t c, uint8_t s, uint8_t p)
{
	static char buf[512];

	return usbip_names_class(ctx, buf, sizeof(buf), c, s, p);
}

static const char ids_basic[] =
	"#\n"
	"#\tList of USB ID's\n"
	"#\n"
	"# Syntax:\n"
	"# vendor  vendor_name\n"
	"#\tdevice  device_name\t\t\t\t<-- single tab\n"
	"#\t\tinterface  interface_name\t\t<-- two tabs\n"
	"\n"
	"1234  Acme Corp\n"
	"\t0001  Widget\n"
	"\t00ab  Gadget Pro\n"
	"\t\t01  some interface line\n"
	"1d6b  Linux Foundation\n"
	"\t0002  2.0 root hub\n"
	"\t0003  3.0 root hub\n"
	"ABCD  Upper Case Vendor\n"
	"\tEF01  Upper Case Product\n"
	"\n"
	"# List of known device classes, subclasses and protocols\n"
	"\n"
	"C 00  (Defined at Interface level)\n"
	"C 03  Human Interface Device\n"
	"\t00  No Subclass\n"
	"\t\t00  None\n"
	"\t01  Boot Interface Subclass\n"
	"\t\t01  Keyboard\n"
	"\t\t02  Mouse\n"
	"C 09  Hub\n"
	"\t00  Unused\n"
	"\t\t00  Full speed (or root) hub\n"
	"\t\t03  Hi-speed hub with multiple TTs\n"
	"C FF  Vendor Specific Class\n"
	"\tFF  Vendor Specific Subclass\n"
	"\t\tFF  Vendor Specific Protocol\n";

/* ------------------------------------------------------------ products */

START_TEST(test_product_names)
{
	use_ids(ids_basic);
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : Widget (1234:0001)");
	ck_assert_str_eq(product(0x1234, 0x00ab), "Acme Corp : Gadget Pro (1234:00ab)");
	ck_assert_str_eq(product(0x1d6b, 0x0002), "Linux Foundation : 2.0 root hub (1d6b:0002)");
	ck_assert_str_eq(product(0x1d6b, 0x0003), "Linux Foundation : 3.0 root hub (1d6b:0003)");
}
END_TEST

START_TEST(test_product_unknown)
{
	use_ids(ids_basic);
	ck_assert_str_eq(product(0x1234, 0x9999), "Acme Corp : unknown product (1234:9999)");
	ck_assert_str_eq(product(0xdead, 0xbeef), "unknown vendor : unknown product (dead:beef)");
	/* A product id known under another vendor only. */
	ck_assert_str_eq(product(0x1d6b, 0x0001), "Linux Foundation : unknown product (1d6b:0001)");
	ck_assert_str_eq(product(0x0000, 0x0000), "unknown vendor : unknown product (0000:0000)");
	ck_assert_str_eq(product(0xffff, 0xffff), "unknown vendor : unknown product (ffff:ffff)");
	/* The vendor line is not a product of itself. */
	ck_assert_str_eq(product(0x1234, 0x1234), "Acme Corp : unknown product (1234:1234)");
}
END_TEST

START_TEST(test_product_upper_case_ids)
{
	use_ids(ids_basic);
	/* Upper-case hex in the file; the output is always lower case. */
	ck_assert_str_eq(product(0xabcd, 0xef01),
			 "Upper Case Vendor : Upper Case Product (abcd:ef01)");
}
END_TEST

START_TEST(test_duplicate_vendor_first_wins)
{
	use_ids("1234  First Name\n"
		"\t0001  First Product\n"
		"5678  Between\n"
		"1234  Second Name\n"
		"\t0001  Second Product\n"
		"\t0002  Only In Second\n");
	ck_assert_str_eq(product(0x1234, 0x0001), "First Name : First Product (1234:0001)");
	/* Products listed under the second copy still belong to the vendor id. */
	ck_assert_str_eq(product(0x1234, 0x0002), "First Name : Only In Second (1234:0002)");
	ck_assert_str_eq(product(0x5678, 0x0001), "Between : unknown product (5678:0001)");
}
END_TEST

START_TEST(test_single_line_no_newline)
{
	use_ids("1234  Acme Corp");
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : unknown product (1234:0001)");
}
END_TEST

START_TEST(test_product_last_line_no_newline)
{
	use_ids("1234  Acme Corp\n\t0001  Widget");
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : Widget (1234:0001)");
}
END_TEST

START_TEST(test_crlf)
{
	use_ids("# comment\r\n"
		"1234  Acme Corp\r\n"
		"\t0001  Widget\r\n"
		"\r\n"
		"C 03  Human Interface Device\r\n"
		"\t01  Boot Interface Subclass\r\n"
		"\t\t02  Mouse\r\n");
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : Widget (1234:0001)");
	ck_assert_str_eq(class(0x03, 0x01, 0x02),
			 "Human Interface Device / Boot Interface Subclass / Mouse (03/01/02)");
}
END_TEST

START_TEST(test_tab_separator_and_names_with_spaces)
{
	use_ids("1234\tTab Separated Vendor  With  Spaces\n"
		"\t0001\tTab Product\n");
	ck_assert_str_eq(product(0x1234, 0x0001),
			 "Tab Separated Vendor  With  Spaces : Tab Product (1234:0001)");
}
END_TEST

START_TEST(test_malformed_lines_ignored)
{
	use_ids("123  Too Short\n"
		"12345  Too Long\n"
		"12g4  Not Hex\n"
		"4321\n"
		"1234  Acme Corp\n"
		"\t001  Short Product\n"
		"\t0001Widget Without Space\n"
		"\t0002  Widget Two\n");
	ck_assert_str_eq(product(0x1234, 0x0002), "Acme Corp : Widget Two (1234:0002)");
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : unknown product (1234:0001)");
	ck_assert_str_eq(product(0x0123, 0x0000), "unknown vendor : unknown product (0123:0000)");
	ck_assert_str_eq(product(0x4321, 0x0000), "unknown vendor : unknown product (4321:0000)");
}
END_TEST

START_TEST(test_empty_file)
{
	use_ids("");
	ck_assert_str_eq(product(0x1d6b, 0x0002), "unknown vendor : unknown product (1d6b:0002)");
	ck_assert_str_eq(class(0x09, 0x00, 0x00),
			 "unknown class / unknown subclass / unknown protocol (09/00/00)");
}
END_TEST

START_TEST(test_reload_on_new_path)
{
	use_ids("1234  First File\n");
	ck_assert_str_eq(product(0x1234, 0), "First File : unknown product (1234:0000)");
	use_ids("1234  Second File\n");
	ck_assert_str_eq(product(0x1234, 0), "Second File : unknown product (1234:0000)");
}
END_TEST

START_TEST(test_small_buffer)
{
	char buf[16];

	use_ids(ids_basic);
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_ptr_eq(usbip_names_product(ctx, buf, 10, 0x1234, 0x0001), buf);
	ck_assert_str_eq(buf, "Acme Corp");
	for (size_t i = 10; i < sizeof(buf); i++)
		ck_assert_uint_eq((uint8_t)buf[i], 0x5a);
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_ptr_eq(usbip_names_class(ctx, buf, 5, 0x09, 0, 0), buf);
	ck_assert_str_eq(buf, "Hub ");
	for (size_t i = 5; i < sizeof(buf); i++)
		ck_assert_uint_eq((uint8_t)buf[i], 0x5a);
	memset(buf, 0x5a, sizeof(buf));
	usbip_names_class(ctx, buf, 8, 0, 0, 0);
	ck_assert_str_eq(buf, "(Define");
}
END_TEST

/* ------------------------------------------------------------- classes */

START_TEST(test_class_names)
{
	use_ids(ids_basic);
	ck_assert_str_eq(class(0x09, 0x00, 0x00), "Hub / Unused / Full speed (or root) hub (09/00/00)");
	ck_assert_str_eq(class(0x09, 0x00, 0x03),
			 "Hub / Unused / Hi-speed hub with multiple TTs (09/00/03)");
	ck_assert_str_eq(class(0x03, 0x01, 0x01),
			 "Human Interface Device / Boot Interface Subclass / Keyboard (03/01/01)");
	ck_assert_str_eq(class(0x03, 0x00, 0x00), "Human Interface Device / No Subclass / None (03/00/00)");
	ck_assert_str_eq(class(0xff, 0xff, 0xff),
			 "Vendor Specific Class / Vendor Specific Subclass / Vendor Specific Protocol (ff/ff/ff)");
}
END_TEST

START_TEST(test_class_interface_level)
{
	use_ids(ids_basic);
	ck_assert_str_eq(class(0x00, 0x00, 0x00), "(Defined at Interface level) (00/00/00)");
	/* Only all three zero is special. */
	ck_assert_str_eq(class(0x00, 0x00, 0x01),
			 "(Defined at Interface level) / unknown subclass / unknown protocol (00/00/01)");
}
END_TEST

START_TEST(test_class_interface_level_without_file)
{
	char path[512];

	/* No file and no lookup needed: the text is fixed. */
	snprintf(path, sizeof(path), "%s/does-not-exist", test_tmpdir);
	ck_assert_int_eq(usbip_set_usbids_path(ctx, path), 0);
	ck_assert_str_eq(class(0, 0, 0), "(Defined at Interface level) (00/00/00)");
}
END_TEST

START_TEST(test_class_unknown)
{
	use_ids(ids_basic);
	ck_assert_str_eq(class(0x42, 0x01, 0x02),
			 "unknown class / unknown subclass / unknown protocol (42/01/02)");
	ck_assert_str_eq(class(0x09, 0x07, 0x00), "Hub / unknown subclass / unknown protocol (09/07/00)");
	ck_assert_str_eq(class(0x09, 0x00, 0x07), "Hub / Unused / unknown protocol (09/00/07)");
	/* Protocols belong to their class and subclass. */
	ck_assert_str_eq(class(0x03, 0x00, 0x02),
			 "Human Interface Device / No Subclass / unknown protocol (03/00/02)");
	/* Subclasses belong to their class. */
	ck_assert_str_eq(class(0xff, 0x00, 0x00),
			 "Vendor Specific Class / unknown subclass / unknown protocol (ff/00/00)");
}
END_TEST

/* ----------------------------------------------------- other sections */

START_TEST(test_other_sections_ignored)
{
	use_ids("0001  Vendor One\n"
		"\t0001  Product One\n"
		"C 09  Hub\n"
		"\t00  Unused\n"
		"\t\t00  Full speed (or root) hub\n"
		"AT 0101  USB Streaming\n"
		"\t0102  not a product\n"
		"HID 21  HID\n"
		"\t22  not a subclass\n"
		"R 01  Input\n"
		"\t02  not a subclass\n"
		"BIAS 0  Not Applicable\n"
		"\t01  not a subclass\n"
		"PHY 00  None\n"
		"\t03  not a subclass\n"
		"\t\t04  not a protocol\n"
		"HUT 01  Generic Desktop Controls\n"
		"\t001  Pointer\n"
		"\t0002  not a product\n"
		"L 0001  Arabic\n"
		"\t01  Saudi Arabia\n"
		"\t02  Iraq\n"
		"HCC 00  Not supported\n"
		"\t05  not a subclass\n"
		"VT 0000  Undefined\n"
		"\t0003  not a product\n"
		"\t06  not a subclass\n");
	ck_assert_str_eq(product(0x0001, 0x0001), "Vendor One : Product One (0001:0001)");
	ck_assert_str_eq(product(0x0001, 0x0102), "Vendor One : unknown product (0001:0102)");
	ck_assert_str_eq(product(0x0001, 0x0002), "Vendor One : unknown product (0001:0002)");
	ck_assert_str_eq(product(0x0001, 0x0003), "Vendor One : unknown product (0001:0003)");
	ck_assert_str_eq(class(0x09, 0x00, 0x00), "Hub / Unused / Full speed (or root) hub (09/00/00)");
	for (unsigned sub = 1; sub <= 0x22; sub++) {
		char expect[128];

		snprintf(expect, sizeof(expect),
			 "Hub / unknown subclass / unknown protocol (09/%02x/00)", sub);
		ck_assert_str_eq(class(0x09, (uint8_t)sub, 0x00), expect);
	}
	ck_assert_str_eq(class(0x09, 0x00, 0x04), "Hub / Unused / unknown protocol (09/00/04)");
}
END_TEST

START_TEST(test_hut_line_after_vendor)
{
	/* A HUT usage line must not become a product of the vendor before it,
	 * whatever the number of digits. */
	use_ids("1234  Acme Corp\n"
		"\t0010  Real Product\n"
		"HUT 01  Generic Desktop Controls\n"
		"\t001  Foo\n"
		"\t0001  Four Digit Foo\n"
		"\t00010  Five Digit Foo\n");
	ck_assert_str_eq(product(0x1234, 0x0010), "Acme Corp : Real Product (1234:0010)");
	ck_assert_str_eq(product(0x1234, 0x0001), "Acme Corp : unknown product (1234:0001)");
	ck_assert_str_eq(product(0x1234, 0x0000), "Acme Corp : unknown product (1234:0000)");
}
END_TEST

START_TEST(test_language_lines_after_class)
{
	/* "L" tab lines look like subclasses: they must not join the class. */
	use_ids("C 09  Hub\n"
		"\t00  Unused\n"
		"L 0001  Arabic\n"
		"\t01  Saudi Arabia\n"
		"\t\t02  not a protocol\n");
	ck_assert_str_eq(class(0x09, 0x01, 0x00), "Hub / unknown subclass / unknown protocol (09/01/00)");
	ck_assert_str_eq(class(0x09, 0x00, 0x02), "Hub / Unused / unknown protocol (09/00/02)");
}
END_TEST

START_TEST(test_vendor_after_class)
{
	/* Sections can come in any order; a vendor line ends a class. */
	use_ids("C 09  Hub\n"
		"\t00  Unused\n"
		"abcd  Late Vendor\n"
		"\t0001  Late Product\n"
		"\t01  not a subclass\n");
	ck_assert_str_eq(product(0xabcd, 0x0001), "Late Vendor : Late Product (abcd:0001)");
	ck_assert_str_eq(class(0x09, 0x01, 0x00), "Hub / unknown subclass / unknown protocol (09/01/00)");
}
END_TEST

/* ----------------------------------------------------- system usb.ids */

static bool use_system_ids(void)
{
	static const char *const paths[] = { "/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids" };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (access(paths[i], R_OK) == 0) {
			ck_assert_int_eq(usbip_set_usbids_path(ctx, paths[i]), 0);
			return true;
		}
	}
	test_cannot_run("no system usb.ids; real-file lookups not tested");
	return false;
}

START_TEST(test_system_usbids)
{
	if (!use_system_ids())
		return;
	ck_assert_str_eq(product(0x1d6b, 0x0002), "Linux Foundation : 2.0 root hub (1d6b:0002)");
	ck_assert_str_eq(product(0x1d6b, 0x0003), "Linux Foundation : 3.0 root hub (1d6b:0003)");
	ck_assert_str_eq(class(0x09, 0x00, 0x00), "Hub / Unused / Full speed (or root) hub (09/00/00)");
	ck_assert_str_eq(class(0x03, 0x01, 0x02),
			 "Human Interface Device / Boot Interface Subclass / Mouse (03/01/02)");
	ck_assert_str_eq(class(0x00, 0x00, 0x00), "(Defined at Interface level) (00/00/00)");
	/* Language ids ("L 0001  Arabic" / "\t01  Saudi Arabia") and HUT usages
	 * must not leak into the vendor/class tables. */
	ck_assert_str_eq(class(0xfe, 0x01, 0x01),
			 "Application Specific Interface / Device Firmware Update / unknown protocol (fe/01/01)");
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc;

	tc = tcase_create("products");
	tcase_add_checked_fixture(tc, setup, teardown);
	add_test(tc, test_product_names);
	add_test(tc, test_product_unknown);
	add_test(tc, test_product_upper_case_ids);
	add_test(tc, test_duplicate_vendor_first_wins);
	add_test(tc, test_single_line_no_newline);
	add_test(tc, test_product_last_line_no_newline);
	add_test(tc, test_crlf);
	add_test(tc, test_tab_separator_and_names_with_spaces);
	add_test(tc, test_malformed_lines_ignored);
	add_test(tc, test_empty_file);
	add_test(tc, test_reload_on_new_path);
	add_test(tc, test_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("classes");
	tcase_add_checked_fixture(tc, setup, teardown);
	add_test(tc, test_class_names);
	add_test(tc, test_class_interface_level);
	add_test(tc, test_class_interface_level_without_file);
	add_test(tc, test_class_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("sections");
	tcase_add_checked_fixture(tc, setup, teardown);
	add_test(tc, test_other_sections_ignored);
	add_test(tc, test_hut_line_after_vendor);
	add_test(tc, test_language_lines_after_class);
	add_test(tc, test_vendor_after_class);
	suite_add_tcase(s, tc);

	tc = tcase_create("system usb.ids");
	tcase_add_checked_fixture(tc, setup, teardown);
	add_test(tc, test_system_usbids);
	suite_add_tcase(s, tc);

	return s;
}

TEST_MAIN(names_suite)

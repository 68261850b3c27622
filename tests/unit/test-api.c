// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libusbip's conventions across its areas: the negative code
 * ranges and their text, the internal array growth helper every list uses,
 * free functions and out-parameters on failure, the backends' subsystems.
 */
#include <netdb.h>

#include "test-common.h"

/* ------------------------------------------------------------ error codes */

START_TEST(test_err_status_macros)
{
	for (uint32_t st = 1; st < USBIP_ERR_STATUS_MAX; st++) {
		int err = USBIP_ERR_FROM_STATUS(st);

		ck_assert_int_lt(err, -4095);
		ck_assert(USBIP_ERR_IS_STATUS(err));
		ck_assert(!USBIP_ERR_IS_RESOLVE(err));
		ck_assert_uint_eq(USBIP_ERR_TO_STATUS(err), st);
	}
	ck_assert_int_eq(USBIP_ERR_FROM_STATUS(USBIP_ST_NODEV), -20004);
	/* Statuses no protocol defines share the last code of the range. */
	ck_assert_int_eq(USBIP_ERR_FROM_STATUS(999u), USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX);
	ck_assert_int_eq(USBIP_ERR_FROM_STATUS(1000u), USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX);
	ck_assert_int_eq(USBIP_ERR_FROM_STATUS(0x80000000u),
			 USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX);
	ck_assert_int_eq(USBIP_ERR_FROM_STATUS(0xffffffffu),
			 USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX);
	/* Nothing else is a status. */
	ck_assert(!USBIP_ERR_IS_STATUS(0));
	ck_assert(!USBIP_ERR_IS_STATUS(5));
	ck_assert(!USBIP_ERR_IS_STATUS(-EPROTO));
	ck_assert(!USBIP_ERR_IS_STATUS(-4095));
	ck_assert(!USBIP_ERR_IS_STATUS(USBIP_ERR_FROM_RESOLVE(EAI_NONAME)));
	ck_assert(!USBIP_ERR_IS_STATUS(USBIP_ERR_STATUS + 1));
	ck_assert(!USBIP_ERR_IS_STATUS(USBIP_ERR_STATUS - USBIP_ERR_STATUS_MAX - 1));
}
END_TEST

START_TEST(test_err_resolve_macros)
{
	static const int eai[] = { EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_SERVICE, EAI_MEMORY };

	for (size_t i = 0; i < ARRAY_SIZE(eai); i++) {
		int err = USBIP_ERR_FROM_RESOLVE(eai[i]);

		ck_assert(USBIP_ERR_IS_RESOLVE(err));
		ck_assert(!USBIP_ERR_IS_STATUS(err));
		ck_assert_int_eq(USBIP_ERR_TO_RESOLVE(err), eai[i]);
	}
	ck_assert(!USBIP_ERR_IS_RESOLVE(-ENOENT));
	ck_assert(!USBIP_ERR_IS_RESOLVE(USBIP_ERR_FROM_STATUS(1u)));
}
END_TEST

START_TEST(test_strerror_codes)
{
	static const uint32_t statuses[] = { 1, 2, 3, 4, 5, 6, 99, 998, 999, 1000, 0xffffffff };

	/* A server's status reads as usbip_op_status_str() has it. */
	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
		ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_STATUS(statuses[i])),
				 usbip_op_status_str(statuses[i]));
	ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_STATUS(USBIP_ST_NA)), "Request Failed");
	ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_STATUS(USBIP_ST_NODEV)),
			 "Device not found");
	ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_STATUS(USBIP_ST_ERROR)),
			 "Unexpected response");
	ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_STATUS(0xffffffffu)),
			 "Unknown Op Common Status");
	/* The other ranges keep their own text. */
	ck_assert_str_eq(usbip_strerror(USBIP_ERR_FROM_RESOLVE(EAI_NONAME)),
			 gai_strerror(EAI_NONAME));
	ck_assert_str_eq(usbip_strerror(-EPROTO), strerror(EPROTO));
	ck_assert_str_eq(usbip_strerror(-ETIMEDOUT), strerror(ETIMEDOUT));
}
END_TEST

/* ----------------------------------------------------------------- growth */

START_TEST(test_array_reserve_geometric)
{
	uint32_t *a = NULL;
	size_t cap = 0, grown = 0, short_of = 0;

	for (size_t need = 1; need <= 20000; need++) {
		size_t before = cap;

		if (ARRAY_RESERVE(a, cap, need) != 0 || cap < need)
			short_of++;
		if (cap != before)
			grown++;
		a[need - 1] = (uint32_t)need;	/* the room is really there */
	}
	ck_assert_uint_eq(short_of, 0);
	/* Doubling: 15 steps reach 20000 from 1, not one per element. */
	ck_assert_uint_le(grown, 16);
	/* Growing kept what was stored. */
	for (size_t i = 0; i < 20000; i++)
		short_of += a[i] != i + 1;
	ck_assert_uint_eq(short_of, 0);
	free(a);
}
END_TEST

START_TEST(test_array_reserve_enough_room)
{
	char *a = NULL, *before;
	size_t cap = 0;

	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 10), 0);
	ck_assert_uint_eq(cap, 10);	/* a first request gets what it asks */
	before = a;
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 10), 0);
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 0), 0);
	ck_assert_ptr_eq(a, before);
	ck_assert_uint_eq(cap, 10);
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 11), 0);
	ck_assert_uint_eq(cap, 20);
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 100), 0);
	ck_assert_uint_eq(cap, 100);	/* more than double: what was asked */
	free(a);
}
END_TEST

START_TEST(test_array_reserve_overflow)
{
	struct big { char b[4096]; } *a = NULL, *before;
	size_t cap = 0;

	ck_assert_int_eq(ARRAY_RESERVE(a, cap, 2), 0);
	before = a;
	/* need * size overflows size_t: refused before any allocation. */
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, SIZE_MAX / sizeof(*a) + 1), -ENOMEM);
	ck_assert_int_eq(ARRAY_RESERVE(a, cap, SIZE_MAX), -ENOMEM);
	ck_assert_int_eq(array_reserve((void **)&a, &cap, 3, SIZE_MAX / 2), -ENOMEM);
	/* Nothing changed: the old array is still the caller's. */
	ck_assert_ptr_eq(a, before);
	ck_assert_uint_eq(cap, 2);
	a[1].b[4095] = 1;
	ck_assert_int_eq(array_reserve((void **)&a, &cap, 3, 0), -EINVAL);
	free(a);
}
END_TEST

/* -------------------------------------------------------------- ownership */

START_TEST(test_free_functions_accept_null)
{
	usbip_devlist_free(NULL);
	usbip_local_list_free(NULL);
	usbip_exported_list_free(NULL);
	usbip_vhci_close(NULL);
}
END_TEST

START_TEST(test_list_exported_bad_backend)
{
	struct usbip_ctx *ctx = test_ctx_new();
	struct usbip_exported *out = (struct usbip_exported *)&ctx;

	/* A failure sets the list too: NULL, which the free function takes. */
	ck_assert_int_eq(usbip_list_exported(ctx, (enum usbip_backend)2, &out), -EINVAL);
	ck_assert_ptr_null(out);
	usbip_exported_list_free(out);
	usbip_unref(ctx);
}
END_TEST

START_TEST(test_backend_subsystems)
{
	const char *const *s;

	s = usbip_backend_subsystems(USBIP_BACKEND_HOST);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s[0], "usb");
	ck_assert_ptr_null(s[1]);
	s = usbip_backend_subsystems(USBIP_BACKEND_VUDC);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s[0], "udc");
	ck_assert_str_eq(s[1], "platform");
	ck_assert_ptr_null(s[2]);
	ck_assert_ptr_null(usbip_backend_subsystems((enum usbip_backend)2));
	ck_assert_ptr_null(usbip_backend_subsystems((enum usbip_backend)-1));
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc;

	tc = tcase_create("error_codes");
	add_test(tc, test_err_status_macros);
	add_test(tc, test_err_resolve_macros);
	add_test(tc, test_strerror_codes);
	suite_add_tcase(s, tc);

	tc = tcase_create("growth");
	add_test(tc, test_array_reserve_geometric);
	add_test(tc, test_array_reserve_enough_room);
	add_test(tc, test_array_reserve_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("ownership");
	add_test(tc, test_free_functions_accept_null);
	add_test(tc, test_list_exported_bad_backend);
	add_test(tc, test_backend_subsystems);
	suite_add_tcase(s, tc);

	return s;
}

TEST_MAIN(api_suite)

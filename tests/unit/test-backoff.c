// SPDX-License-Identifier: GPL-2.0-or-later
/* The retry schedule of usbip attach --persistent (lib/util/backoff.c). */
#include "test-common.h"
#include "util/backoff.h"

static const struct test_group tc_schedule = { .name = "schedule" };

START_TEST(test_schedule_without_jitter)
{
	static const unsigned want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_uint_eq(backoff_delay_ms(i, 0), want[i]);
	/* Far past the cap: no shift overflow brings a short delay back. */
	ck_assert_uint_eq(backoff_delay_ms(31, 0), 60000);
	ck_assert_uint_eq(backoff_delay_ms(32, 0), 60000);
	ck_assert_uint_eq(backoff_delay_ms(~0u, 0), 60000);
}
END_TEST
TEST_IN(tc_schedule, test_schedule_without_jitter)

START_TEST(test_jitter_bounds)
{
	/* The jitter takes at most a quarter off, never adds: the cap holds. */
	ck_assert_uint_eq(backoff_delay_ms(0, UINT32_MAX), 751);
	ck_assert_uint_eq(backoff_delay_ms(0, 1u << 31), 875);
	ck_assert_uint_eq(backoff_delay_ms(6, UINT32_MAX), 45001);
	ck_assert_uint_eq(backoff_delay_ms(6, 1u << 31), 52500);
	for (unsigned a = 0; a < 10; a++)
		for (uint64_t r = 0; r <= UINT32_MAX; r += 0x01000193) {
			unsigned nominal = a >= 6 ? 60000 : 1000u << a;
			unsigned d = backoff_delay_ms(a, (uint32_t)r);

			ck_assert_uint_le(d, nominal);
			ck_assert_uint_gt(d, nominal - nominal / 4);
		}
}
END_TEST
TEST_IN(tc_schedule, test_jitter_bounds)

START_TEST(test_sequence_and_reset)
{
	struct backoff b, c;
	unsigned lo[] = { 750, 1500, 3000, 6000, 12000, 24000, 45000, 45000, 45000 };
	unsigned d;

	backoff_init(&b, 42);
	for (unsigned i = 0; i < sizeof(lo) / sizeof(lo[0]); i++) {
		d = backoff_next(&b);
		ck_assert_uint_gt(d, lo[i]);
		ck_assert_uint_le(d, lo[i] / 3 * 4);
	}
	/* A success starts the schedule over at 1 s. */
	backoff_reset(&b);
	d = backoff_next(&b);
	ck_assert_uint_gt(d, 750);
	ck_assert_uint_le(d, 1000);
	d = backoff_next(&b);
	ck_assert_uint_gt(d, 1500);
	ck_assert_uint_le(d, 2000);

	/* Seeded: the same seed gives the same delays (tests can be exact),
	 * another seed other ones (clients spread out). */
	backoff_init(&b, 7);
	backoff_init(&c, 7);
	for (int i = 0; i < 20; i++)
		ck_assert_uint_eq(backoff_next(&b), backoff_next(&c));
	backoff_init(&b, 7);
	backoff_init(&c, 8);
	int same = 0;
	for (int i = 0; i < 20; i++)
		same += backoff_next(&b) == backoff_next(&c);
	ck_assert_int_lt(same, 20);
	/* Seed 0 is a valid seed, not a stuck generator. */
	backoff_init(&b, 0);
	for (int i = 0; i < 10; i++)
		backoff_next(&b);
	ck_assert_uint_lt(backoff_next(&b), 60000);
}
END_TEST
TEST_IN(tc_schedule, test_sequence_and_reset)

TEST_MAIN("backoff")

// SPDX-License-Identifier: GPL-2.0-or-later
/* Exponential backoff with jitter for the persistent attach (backoff.h). */
#include "backoff.h"

unsigned backoff_delay_ms(unsigned attempt, uint32_t rnd)
{
	/* 1 s << 6 is already past the cap: no shift can overflow. */
	unsigned nominal = attempt >= 6 ? BACKOFF_CAP_MS : BACKOFF_FIRST_MS << attempt;

	if (nominal > BACKOFF_CAP_MS)
		nominal = BACKOFF_CAP_MS;
	return nominal - (unsigned)((uint64_t)(nominal / 4) * rnd >> 32);
}

void backoff_init(struct backoff *b, uint64_t seed)
{
	b->attempt = 0;
	/* xorshift must not start at 0, where it stays. */
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint32_t next_random(struct backoff *b)
{
	uint64_t x = b->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->rng = x;
	return (uint32_t)(x >> 32);
}

unsigned backoff_next(struct backoff *b)
{
	unsigned d = backoff_delay_ms(b->attempt, next_random(b));

	if (b->attempt < 6)
		b->attempt++;
	return d;
}

void backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

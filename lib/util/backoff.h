/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_UTIL_BACKOFF_H
#define USBIP_UTIL_BACKOFF_H

#include <stdint.h>

/*
 * The retry schedule of `usbip attach --persistent` while a server is
 * unreachable: 1 s, 2 s, 4 s, ... doubling up to a 60 s cap, each delay
 * shortened by a random jitter of up to a quarter, so that clients that lost
 * the same server at the same moment do not all come back in the same
 * second, and no delay ever exceeds the cap.  A success resets it.
 */
#define BACKOFF_FIRST_MS	1000u
#define BACKOFF_CAP_MS		60000u

/*
 * The delay before retry number @attempt (0 for the first retry) for the
 * random value @rnd: the nominal delay min(1 s << attempt, 60 s) less
 * nominal/4 * rnd / 2^32.  Pure: the unit tests pin it exactly.
 */
unsigned backoff_delay_ms(unsigned attempt, uint32_t rnd);

struct backoff {
	unsigned attempt;	/* retries since the last success */
	uint64_t rng;		/* xorshift64 state, never 0 */
};

/* Starts a schedule whose jitter comes from @seed (any value, 0 too). */
void backoff_init(struct backoff *b, uint64_t seed);
/* The next delay of the schedule, and one step further. */
unsigned backoff_next(struct backoff *b);
/* After a success: the next delay is the first one again. */
void backoff_reset(struct backoff *b);

#endif

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Growing arrays: the one place that sizes and reallocates them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "libusbip-internal.h"

int array_reserve(void **array, size_t *cap, size_t need, size_t size)
{
	size_t n;
	void *p;

	if (size == 0)
		return -EINVAL;
	if (need <= *cap)
		return 0;
	/* At least double: n appends then cost O(log n) reallocations. */
	n = *cap <= SIZE_MAX / 2 ? *cap * 2 : SIZE_MAX;
	if (n < need)
		n = need;
	/* Near the top of size_t, settle for what was asked. */
	if (n > SIZE_MAX / size)
		n = need;
	if (n > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*array, n * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

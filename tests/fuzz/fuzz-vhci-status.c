// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input is the text of a vhci_hcd status file (not NUL-terminated: the
 * parser gets a length).  Every port it reports must be well-formed, and a
 * callback's non-zero value must stop the parse and come back unchanged.
 */
#include "fuzz-common.h"

struct state {
	size_t n;
	size_t stop_at;		/* return non-zero at this port (0: never) */
};

static int check_port(const struct usbip_vhci_port *p, void *data)
{
	struct state *st = data;

	FUZZ_CHECK(fuzz_terminated(p->local_busid, sizeof(p->local_busid)));
	FUZZ_CHECK(p->hub == USBIP_HUB_HS || p->hub == USBIP_HUB_SS);
	FUZZ_CHECK(p->status >= 0 && p->status <= 255);
	FUZZ_CHECK(p->speed <= 255);
	/* What `usbip port` prints for it. */
	FUZZ_CHECK(usbip_dev_status_str(p->status) != NULL);
	FUZZ_CHECK(usbip_speed_str(p->speed) != NULL);
	st->n++;
	return st->stop_at && st->n == st->stop_at ? 1000 + (int)st->n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct state all = { 0, 0 }, first = { 0, 1 };
	int r, r1;

	r = usbip_vhci_parse_status(text, size, check_port, &all);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	/* No port can take fewer than 6 characters ("0 0 0 0 0 x"). */
	FUZZ_CHECK(all.n <= size / 6 + 1);

	r1 = usbip_vhci_parse_status(text, size, check_port, &first);
	if (all.n > 0) {
		/* The first port is reported before anything after it is read. */
		FUZZ_CHECK(r1 == 1001 && first.n == 1);
	} else {
		FUZZ_CHECK(r1 == r && first.n == 0);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* A local device as export rules see it (ident.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/ident.h"

int local_ident_get(struct usbip_ctx *ctx, const char *busid, const char *vid,
		    const char *pid, struct local_ident *out)
{
	char ids[16];
	int r;

	out->id.busid = busid;
	out->id.serial = out->id.path = NULL;
	/* Sysfs gives 4 hex digits and a newline already removed; "VID:PID"
	 * then goes through the one parser of hardware ids. */
	if (!vid || !pid)
		return -EINVAL;
	snprintf(ids, sizeof(ids), "%.4s:%.4s", vid, pid);
	if (usbip_hardware_id_parse(ids, &out->id.vendor, &out->id.product) < 0)
		return -EINVAL;
	r = usbip_local_ident(ctx, busid, out->serial, out->path);
	if (r < 0 && r != -ENAMETOOLONG)
		return -ENODEV;
	/* A field cut to fit fills its buffer: compared cut it could match
	 * wrongly, so it counts as not known; the other one still counts. */
	if (r == 0 || strlen(out->serial) < sizeof(out->serial) - 1)
		out->id.serial = out->serial;
	if (out->path[0] && (r == 0 || strlen(out->path) < sizeof(out->path) - 1))
		out->id.path = out->path;
	return 0;
}

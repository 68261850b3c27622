// SPDX-License-Identifier: GPL-2.0-or-later
/* A local device as export rules see it (ident.h). */
#include <errno.h>
#include <stdio.h>

#include "util/ident.h"

int local_ident_get(struct usbip_ctx *ctx, const char *busid, const char *vid,
		    const char *pid, struct local_ident *out)
{
	char ids[16];

	out->id.busid = busid;
	out->id.serial = out->id.path = NULL;
	/* Sysfs gives 4 hex digits and a newline already removed; "VID:PID"
	 * then goes through the one parser of hardware ids. */
	if (!vid || !pid)
		return -EINVAL;
	snprintf(ids, sizeof(ids), "%.4s:%.4s", vid, pid);
	if (usbip_hardware_id_parse(ids, &out->id.vendor, &out->id.product) < 0)
		return -EINVAL;
	switch (usbip_local_ident(ctx, busid, out->serial, out->path)) {
	case 0:
		out->id.serial = out->serial;
		break;
	case -ENAMETOOLONG:
		/* One was cut to fit: a cut serial compared whole could match
		 * wrongly, so it counts as not known. */
		return 0;
	default:
		return -ENODEV;
	}
	out->id.path = out->path[0] ? out->path : NULL;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef USBIP_UTIL_IDENT_H
#define USBIP_UTIL_IDENT_H

#include "libusbip.h"

/* What an export rule is matched against for a local device; @id points
 * into the struct, so it is used where it was filled. */
struct local_ident {
	struct usbip_device_ident id;
	char serial[USBIP_SERIAL_SIZE];
	char path[USBIP_PATH_SIZE];
};

/*
 * Describes local USB device @busid, whose sysfs idVendor and idProduct are
 * @vid and @pid (text, as read): ids, serial ("" for none; NULL, not known,
 * when it was too long to keep whole) and physical port (NULL while udev has
 * not given its ID_PATH, or when it was too long).  Returns 0, or -EINVAL for ids that are not hex,
 * -ENODEV for a device gone.  usbipd's rules and usbip's selectors (bind,
 * unbind, list -l) match local devices on exactly this.
 */
int local_ident_get(struct usbip_ctx *ctx, const char *busid, const char *vid,
		    const char *pid, struct local_ident *out);

#endif

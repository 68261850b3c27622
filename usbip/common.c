// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the usbip commands. */
#include <string.h>
#include <unistd.h>

#include "usbip.h"

int cli_connect(struct usbip_cli *cli, const char *host)
{
	int fd = usbip_net_connect(cli->ctx, host, cli->port, cli->timeout_ms);

	if (fd < 0)
		err("could not connect to %s:%s: %s", host, cli->port, usbip_strerror(fd));
	return fd;
}

bool cli_busid_ok(const char *s)
{
	size_t n = strnlen(s, USBIP_BUSID_SIZE);
	char shown[ESCAPED_SIZE(USBIP_BUSID_SIZE)];

	/* Same rule as for bus ids from the network: a 32-byte field with its NUL. */
	if (usbip_busid_valid(s, n < USBIP_BUSID_SIZE ? n + 1 : USBIP_BUSID_SIZE) < 0) {
		err("invalid bus id '%s': expected up to 31 printable characters "
		    "without '/', such as 1-2 or 3-1.4", escape_text(shown, sizeof(shown), s));
		return false;
	}
	return true;
}

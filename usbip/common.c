// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the usbip commands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "usbip.h"
#include "util/tls.h"

int cli_tls_prepare(struct usbip_cli *cli)
{
	char why[TLS_WHY_SIZE];

	if (cli->tls)
		return 0;
	cli->tls = tls_creds_load(false, cli->tls_cert, cli->tls_key, cli->tls_ca, why,
				  sizeof(why));
	if (!cli->tls) {
		err("TLS: %s", why);
		return -EINVAL;
	}
	/* Never plaintext instead: without the module there is no connection. */
	if (usbip_load_module(cli->ctx, "tls") < 0) {
		err("TLS: kernel TLS is needed for --tls-ca: load the tls module (modprobe tls)");
		return -ENOPROTOOPT;
	}
	return 0;
}

int cli_open(struct usbip_cli *cli, const char *host, const char *port, int timeout_ms,
	     bool *tls_failed)
{
	int64_t deadline = usbip_now_ms() + timeout_ms;
	char why[TLS_WHY_SIZE];
	int fd, r;

	if (tls_failed)
		*tls_failed = false;
	if (cli->tls_ca && (r = cli_tls_prepare(cli)) < 0)
		goto tls_fail;
	fd = usbip_net_connect(cli->ctx, host, port, timeout_ms);
	if (fd < 0 || !cli->tls_ca)
		return fd;
	r = tls_client_start(cli->tls, fd, host, deadline, why, sizeof(why));
	if (r == 0) {
		dbg("%s:%s: TLS established, kernel TLS installed", host, port);
		return fd;
	}
	close(fd);
	err("TLS with %s:%s: %s", host, port, why);
tls_fail:
	if (tls_failed)
		*tls_failed = true;
	return r;
}

int cli_connect(struct usbip_cli *cli, const char *host)
{
	bool tls_failed;
	int fd = cli_open(cli, host, cli->port, cli->timeout_ms, &tls_failed);

	if (fd < 0 && !tls_failed)
		err("could not connect to %s:%s: %s", host, cli->port, usbip_strerror(fd));
	return fd;
}

static void tls_note_name(uint32_t port, char *name, size_t size)
{
	snprintf(name, size, "tls.port%u", port);
}

/* The record's line as usbip_record_write() writes it. */
static void tls_note_text(const struct usbip_record *rec, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s %s\n", rec->host, rec->service, rec->busid);
}

void cli_tls_note(struct usbip_cli *cli, uint32_t port, const struct usbip_record *rec, bool on)
{
	char name[32], text[sizeof(*rec) + 4];
	int r;

	tls_note_name(port, name, sizeof(name));
	if (!on) {
		usbip_state_remove(cli->ctx, name);
		return;
	}
	tls_note_text(rec, text, sizeof(text));
	r = usbip_state_write(cli->ctx, name, text, strlen(text));
	if (r < 0)
		err("note that port %u is encrypted in %s: %s", port,
		    usbip_get_state_dir(cli->ctx), strerror(-r));
}

bool cli_tls_noted(struct usbip_cli *cli, uint32_t port, const struct usbip_record *rec)
{
	char name[32], want[sizeof(*rec) + 4], have[sizeof(*rec) + 4];

	tls_note_name(port, name, sizeof(name));
	if (usbip_state_read(cli->ctx, name, have, sizeof(have)) < 0)
		return false;
	tls_note_text(rec, want, sizeof(want));
	return strcmp(have, want) == 0;
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

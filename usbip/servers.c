// SPDX-License-Identifier: GPL-2.0-or-later
/* Several servers' device lists at once: usbip list -r H1 -r H2 ... */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "servers.h"

/* @srv as server_shown() gives it, not escaped; with @cli NULL, always
 * with the port. */
static const char *server_name(const struct usbip_cli *cli, const struct cli_server *srv,
			       char *buf, size_t size)
{
	if (cli && strcmp(srv->port, cli->port) == 0)
		snprintf(buf, size, "%s", srv->host);
	else if (strchr(srv->host, ':'))
		snprintf(buf, size, "[%s]:%s", srv->host, srv->port);
	else
		snprintf(buf, size, "%s:%s", srv->host, srv->port);
	return buf;
}

const char *server_shown(const struct usbip_cli *cli, const struct cli_server *srv,
			 char *buf, size_t size)
{
	char name[sizeof(srv->host) + 12];

	return escape_text(buf, size, server_name(cli, srv, name, sizeof(name)));
}

/* The library's messages from a query thread, in the one log format (whole
 * lines: log_msg writes each with one write(), so threads do not mix them). */
__attribute__((format(printf, 6, 0)))
static void thread_log(struct usbip_ctx *ctx, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), format, args);
	log_msg(priority, file, line, fn, "%s", msg);
}

struct query {
	struct usbip_cli cli;		/* the command's, with its own context */
	const struct cli_server *srv;
	int timeout_ms;
	const struct usbip_selector *sel;
	struct server_reply *out;
};

static void *query_run(void *arg)
{
	struct query *q = arg;

	q->out->status = select_candidates(&q->cli, q->srv->host, q->srv->port, q->timeout_ms,
					   q->sel, &q->out->list, &q->out->connected);
	return NULL;
}

void servers_query(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		   const struct usbip_selector *sel, struct server_reply *out)
{
	struct query q[SERVERS_MAX];
	pthread_t tid[SERVERS_MAX];
	bool started[SERVERS_MAX] = { false };

	memset(out, 0, n * sizeof(*out));
	if (n > SERVERS_MAX) {
		for (size_t i = SERVERS_MAX; i < n; i++)
			out[i].status = -E2BIG;
		n = SERVERS_MAX;
	}
	/* The threads share the TLS credentials: loaded here, once, before them. */
	if (n > 1 && cli->tls_ca) {
		int r = cli_tls_prepare(cli);

		if (r < 0) {
			for (size_t i = 0; i < n; i++)
				out[i].status = r;
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		q[i] = (struct query){ *cli, &srv[i], cli->timeout_ms, sel, &out[i] };
		/* One server: no thread, the command's own context (and messages). */
		if (n == 1)
			break;
		/* A context serves one thread at a time (libusbip.h): one each. */
		q[i].cli.ctx = usbip_new();
		if (!q[i].cli.ctx) {
			out[i].status = -ENOMEM;
			continue;
		}
		usbip_set_log_fn(q[i].cli.ctx, thread_log);
		usbip_set_log_priority(q[i].cli.ctx, usbip_get_log_priority(cli->ctx));
		started[i] = pthread_create(&tid[i], NULL, query_run, &q[i]) == 0;
		if (!started[i])
			query_run(&q[i]);	/* no thread to spare: ask it here */
	}
	if (n == 1)
		query_run(&q[0]);
	for (size_t i = 0; i < n && n > 1; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		usbip_unref(q[i].cli.ctx);
	}
}

void servers_reply_free(struct server_reply *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		usbip_devlist_free(&r[i].list);
}

/*
 * Logs why server @srv gave no list, and puts the last line (without the
 * "usbip: error: " prefix) in @why for a JSON error entry.  With a single
 * server these are the messages of the kernel's tool.
 */
static void report_failure(struct usbip_cli *cli, const struct cli_server *srv,
			   const struct server_reply *r, bool selecting, char *why, size_t size)
{
	char host[ESCAPED_SIZE(sizeof(srv->host))], shown[SERVER_SHOWN_SIZE];

	escape_text(host, sizeof(host), srv->host);
	if (r->status == -E2BIG && !r->connected) {
		snprintf(why, size, "not asked: more than %d servers", SERVERS_MAX);
		err("%s: %s", server_shown(cli, srv, shown, sizeof(shown)), why);
		return;
	}
	if (!r->connected) {
		snprintf(why, size, "could not connect to %s:%s: %s", host, srv->port,
			 usbip_strerror(r->status));
		err("%s", why);
		return;
	}
	if (selecting) {
		snprintf(why, size, "could not get the device list of %s: %s",
			 server_shown(cli, srv, shown, sizeof(shown)), usbip_strerror(r->status));
		err("%s", why);
		return;
	}
	err("Exported Device List Request failed - %s", usbip_strerror(r->status));
	snprintf(why, size, "failed to get device list from %s: %s",
		 server_shown(cli, srv, shown, sizeof(shown)), usbip_strerror(r->status));
	err("failed to get device list from %s", server_shown(cli, srv, shown, sizeof(shown)));
}

/* A field of a parsable line: escaped (util/escape.h), and '#', the
 * separator, as \x23; PARSABLE_SIZE(n) bytes hold it for n bytes. */
#define PARSABLE_SIZE(n) ESCAPED_SIZE(n)
static const char *parsable_field(char *buf, size_t size, const char *s)
{
	char tmp[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX + 12)];
	size_t o = 0;

	escape_text(tmp, sizeof(tmp), s);
	for (const char *p = tmp; *p && o + (*p == '#' ? 4 : 1) < size; p++) {
		if (*p == '#') {
			memcpy(buf + o, "\\x23", 4);
			o += 4;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void print_human(struct usbip_cli *cli, const struct cli_server *srv,
			const struct usbip_devlist *list, bool *titled)
{
	char name[512], shown[SERVER_SHOWN_SIZE];

	if (!*titled) {
		printf("Exportable USB devices\n");
		printf("======================\n");
		*titled = true;
	}
	printf(" - %s\n", server_shown(cli, srv, shown, sizeof(shown)));
	/* The bus ids and paths are the server's bytes: escaped, like the host
	 * name typed by the user, so none can drive the terminal. */
	for (size_t i = 0; i < list->ndev; i++) {
		const struct usbip_device *d = &list->devs[i];

		printf("%11s: %s\n", escape_text(shown, sizeof(shown), d->busid),
		       usbip_names_product(cli->ctx, name, sizeof(name), d->idVendor, d->idProduct));
		printf("%11s: %s\n", "", escape_text(shown, sizeof(shown), d->path));
		printf("%11s: %s\n", "", usbip_names_class(cli->ctx, name, sizeof(name),
			d->bDeviceClass, d->bDeviceSubClass, d->bDeviceProtocol));
		for (unsigned j = 0; j < d->bNumInterfaces; j++) {
			const struct usbip_interface *in = &d->interfaces[j];

			printf("%11s: %2u - %s\n", "", j,
			       usbip_names_class(cli->ctx, name, sizeof(name), in->bInterfaceClass,
						 in->bInterfaceSubClass, in->bInterfaceProtocol));
		}
		printf("\n");
	}
}

/* busid=1-1#usbid=0781:5567#server=lab1:3240# (usbip(8)), the local
 * format with the server added; the server always with its port. */
static void print_parsable(const struct cli_server *srv, const struct usbip_devlist *list)
{
	char busid[PARSABLE_SIZE(USBIP_BUSID_SIZE)], server[PARSABLE_SIZE(sizeof(srv->host) + 12)];
	char name[sizeof(srv->host) + 12];

	parsable_field(server, sizeof(server), server_name(NULL, srv, name, sizeof(name)));
	for (size_t i = 0; i < list->ndev; i++) {
		const struct usbip_device *d = &list->devs[i];

		printf("busid=%s#usbid=%04x:%04x#server=%s#\n",
		       parsable_field(busid, sizeof(busid), d->busid),
		       d->idVendor, d->idProduct, server);
	}
}

static void json_add_server(JsonBuilder *b, const struct cli_server *srv)
{
	json_add_text(b, "host", srv->host);
	json_builder_set_member_name(b, "port");
	json_builder_add_int_value(b, strtol(srv->port, NULL, 10));
}

int servers_list(struct usbip_cli *cli, const struct cli_server *srv, size_t n,
		 const struct usbip_selector *sel, enum list_format format)
{
	struct server_reply *replies = calloc(n ? n : 1, sizeof(*replies));
	bool selecting = select_wanted(sel), titled = false;
	JsonBuilder *b = NULL;
	int r = 0;

	if (!replies) {
		err("out of memory");
		return -1;
	}
	servers_query(cli, srv, n, sel, replies);
	if (format == LIST_JSON) {
		b = json_doc_new("list-remote");
		json_builder_set_member_name(b, "servers");
		json_builder_begin_array(b);
	}
	for (size_t i = 0; i < n; i++) {
		const struct server_reply *rep = &replies[i];
		char why[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX) + 256], shown[SERVER_SHOWN_SIZE];
		char what[SELECT_SHOWN_SIZE];

		if (b) {
			json_builder_begin_object(b);
			json_add_server(b, &srv[i]);
		}
		if (rep->status == 0) {
			/* Said on stderr, as the kernel's tool does. */
			if (selecting)
				info("no exportable device on %s matches %s",
				     server_shown(cli, &srv[i], shown, sizeof(shown)),
				     select_shown(sel, what, sizeof(what)));
			else
				info("no exportable devices found on %s",
				     server_shown(cli, &srv[i], shown, sizeof(shown)));
		}
		if (rep->status < 0) {
			report_failure(cli, &srv[i], rep, selecting, why, sizeof(why));
			if (b)
				json_add_text(b, "error", why);
			r = -1;
		} else if (b) {
			json_builder_set_member_name(b, "devices");
			json_builder_begin_array(b);
			for (size_t j = 0; j < rep->list.ndev; j++) {
				json_builder_begin_object(b);
				json_add_usb_device(b, cli->ctx, &rep->list.devs[j]);
				json_builder_end_object(b);
			}
			json_builder_end_array(b);
		} else if (format == LIST_PARSABLE) {
			print_parsable(&srv[i], &rep->list);
		} else if (rep->status > 0) {
			print_human(cli, &srv[i], &rep->list, &titled);
		}
		if (b)
			json_builder_end_object(b);
	}
	if (b) {
		json_builder_end_array(b);
		if (json_doc_print(b) < 0)
			r = -1;
	}
	servers_reply_free(replies, n);
	free(replies);
	return r;
}

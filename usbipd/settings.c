// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbipd settings: defaults, the configuration file (GKeyFile, group
 * [usbipd]) and the command line, which wins.  Reloaded on SIGHUP.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "util/log.h"
#include "util/parse.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = g_strdup(USBIP_DEFAULT_PORT_STR);
	c->timeout_ms = 10000;
	c->max_handshakes = 256;
	/* A quarter of the cap: one address alone cannot fill it. */
	c->max_per_source = 64;
	/* A dead client frees its device after about 30 + 3 x 10 = 60 s. */
	c->keepalive_idle = 30;
	c->keepalive_interval = 10;
	c->keepalive_count = 3;
	c->allow = g_ptr_array_new_with_free_func(g_free);
	c->listen = g_ptr_array_new_with_free_func(g_free);
}

void config_clear(struct config *c)
{
	g_free(c->port);
	g_free(c->pid_file);
	g_free(c->file);
	g_free(c->rules);
	g_free(c->tls_cert);
	g_free(c->tls_key);
	g_free(c->tls_ca);
	if (c->allow)
		g_ptr_array_unref(c->allow);
	if (c->listen)
		g_ptr_array_unref(c->listen);
	memset(c, 0, sizeof(*c));
}

int config_resolve_listen(const char *addr, const char *port, struct addrinfo **res)
{
	const struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		/* Numeric only: a name would be a DNS lookup at every start. */
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};

	return getaddrinfo(addr, port, &hints, res);
}

/*
 * A listen= address as given ("192.0.2.1", "::1", or "[::1]" as in URLs),
 * without brackets; NULL when it is empty or not a numeric address.  Stored
 * this way, the same address always reads the same (reload compares them).
 */
static char *listen_address(const char *text)
{
	size_t n = strlen(text);
	struct addrinfo *res;
	char *a;

	if (n > 2 && text[0] == '[' && text[n - 1] == ']')
		a = g_strndup(text + 1, n - 2);
	else
		a = g_strdup(text);
	if (*a == '\0' || config_resolve_listen(a, NULL, &res) != 0) {
		g_free(a);
		return NULL;
	}
	freeaddrinfo(res);
	return a;
}

/*
 * Applies one setting by name, from the command line or the file; @value is
 * NULL for flags.  Returns false, with a message, for a bad value.
 */
bool config_set(struct config *c, const char *key, const char *value, const char *where)
{
	unsigned u;

	if (!strcmp(key, "ipv4")) {
		c->ipv4 = true;
	} else if (!strcmp(key, "ipv6")) {
		c->ipv6 = true;
	} else if (!strcmp(key, "device")) {
		c->device = true;
	} else if (!strcmp(key, "debug")) {
		c->debug = true;
	} else if (!strcmp(key, "no-mdns")) {
		c->no_mdns = true;
	} else if (!strcmp(key, "tcp-port")) {
		if (!parse_port(value))
			goto bad;
		g_free(c->port);
		c->port = g_strdup(value);
	} else if (!strcmp(key, "pid-file")) {
		if (!value || *value == '\0')
			goto bad;
		g_free(c->pid_file);
		c->pid_file = g_strdup(value);
	} else if (!strcmp(key, "rules")) {
		if (!value || *value == '\0')
			goto bad;
		g_free(c->rules);
		/* Absolute: -D changes to / before the file is read again. */
		c->rules = g_canonicalize_filename(value, NULL);
	} else if (!strcmp(key, "tls-cert") || !strcmp(key, "tls-key") || !strcmp(key, "tls-ca")) {
		char **slot = !strcmp(key, "tls-cert") ? &c->tls_cert :
			      !strcmp(key, "tls-key") ? &c->tls_key : &c->tls_ca;

		if (!value || *value == '\0')
			goto bad;
		g_free(*slot);
		/* Absolute, as for rules: read again on SIGHUP after -D's chdir. */
		*slot = g_canonicalize_filename(value, NULL);
	} else if (!strcmp(key, "require-tls")) {
		c->require_tls = true;
	} else if (!strcmp(key, "timeout")) {
		if (!parse_seconds(value, 100, 3600 * 1000, &c->timeout_ms))
			goto bad;
	} else if (!strcmp(key, "max-handshakes")) {
		if (!parse_uint(value, 1, 65536, &c->max_handshakes))
			goto bad;
	} else if (!strcmp(key, "max-per-source")) {
		if (!parse_uint(value, 1, 65536, &c->max_per_source))
			goto bad;
	} else if (!strcmp(key, "keepalive-idle")) {
		if (!parse_uint(value, 1, 32767, &u))
			goto bad;
		c->keepalive_idle = (int)u;
	} else if (!strcmp(key, "keepalive-interval")) {
		if (!parse_uint(value, 1, 32767, &u))
			goto bad;
		c->keepalive_interval = (int)u;
	} else if (!strcmp(key, "keepalive-count")) {
		if (!parse_uint(value, 1, 127, &u))
			goto bad;
		c->keepalive_count = (int)u;
	} else if (!strcmp(key, "allow")) {
		struct acl_entry e;

		if (!acl_parse(value, &e))
			goto bad;
		g_ptr_array_add(c->allow, g_memdup2(&e, sizeof(e)));
	} else if (!strcmp(key, "listen")) {
		char *addr = value ? listen_address(value) : NULL;

		if (!addr)
			goto bad;
		g_ptr_array_add(c->listen, addr);
	} else {
		err("%s: unknown setting '%s'", where, key);
		return false;
	}
	c->set |= config_bit(key);
	return true;
bad:
	err("%s: invalid %s '%s'", where, key, value ? value : "");
	return false;
}

/* Every setting by name; its index is its bit in struct config's "set". */
static const char *const config_keys[] = {
	"ipv4", "ipv6", "device", "debug", "tcp-port", "pid-file", "timeout",
	"max-handshakes", "keepalive-idle", "keepalive-interval",
	"keepalive-count", "allow", "listen", "max-per-source", "rules",
	"no-mdns",
	"tls-cert", "tls-key", "tls-ca", "require-tls",
};

/* Bit of each setting, so the command line can override the file. */
unsigned config_bit(const char *key)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (!strcmp(key, config_keys[i]))
			return 1u << i;
	return 0;
}

unsigned config_all_bits(void)
{
	return (1u << G_N_ELEMENTS(config_keys)) - 1;
}

static bool is_flag(const char *key)
{
	return !strcmp(key, "ipv4") || !strcmp(key, "ipv6") || !strcmp(key, "device") ||
	       !strcmp(key, "debug") || !strcmp(key, "no-mdns") ||
	       !strcmp(key, "require-tls");
}

bool config_tls_check(const struct config *c, const char *where)
{
	if (!c->tls_cert != !c->tls_key) {
		err("%s: TLS needs both a certificate and its key: give tls-cert and tls-key",
		    where);
		return false;
	}
	if (!c->tls_cert && (c->tls_ca || c->require_tls)) {
		err("%s: %s without a server certificate: give tls-cert and tls-key", where,
		    c->require_tls ? "require-tls" : "tls-ca");
		return false;
	}
	return true;
}

/* The [tls] group's keys and the settings they stand for. */
static const struct { const char *key, *setting; } tls_keys[] = {
	{ "cert", "tls-cert" }, { "key", "tls-key" }, { "ca", "tls-ca" },
	{ "require", "require-tls" },
};

/* Reads the [tls] group (cert=, key=, ca=, require=) of @kf into @c. */
static bool load_tls_group(struct config *c, GKeyFile *kf, const char *path)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "tls", NULL, NULL);
	bool ok = true;

	for (size_t i = 0; keys && keys[i]; i++) {
		const char *setting = NULL;

		for (size_t j = 0; j < G_N_ELEMENTS(tls_keys); j++)
			if (!strcmp(keys[i], tls_keys[j].key))
				setting = tls_keys[j].setting;
		if (!setting) {
			g_autofree char *shown = g_strescape(keys[i], NULL);

			err("%s: unknown setting '%s' in [tls] (cert, key, ca, require)", path,
			    shown);
			ok = false;
		} else if (is_flag(setting)) {
			g_autoptr(GError) e = NULL;
			gboolean v = g_key_file_get_boolean(kf, "tls", keys[i], &e);

			if (e) {
				err("%s: [tls] %s: %s", path, keys[i], e->message);
				ok = false;
			} else if (v) {
				ok &= config_set(c, setting, NULL, path);
			}
		} else {
			g_autofree char *v = g_key_file_get_string(kf, "tls", keys[i], NULL);

			ok &= config_set(c, setting, v ? g_strstrip(v) : "", path);
		}
	}
	return ok;
}

/*
 * Reads @path into @c.  A missing file is fine when @required is false (the
 * default path).  Returns false after logging what is wrong.
 *
 * Fails closed: whatever the file says that usbipd does not understand (an
 * unknown group or key, a bad value, an empty list) is an error, never a
 * default.  A misspelt group name or an empty "allow=" would otherwise
 * quietly let everyone in.
 */
bool config_load(struct config *c, const char *path, bool required)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) groups = NULL;
	g_auto(GStrv) keys = NULL;
	bool ok = true;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
		if (!required && g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		err("%s: %s", path, error->message);
		return false;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (size_t i = 0; groups && groups[i]; i++) {
		if (strcmp(groups[i], "usbipd") != 0 && strcmp(groups[i], "tls") != 0) {
			g_autofree char *shown = g_strescape(groups[i], NULL);

			err("%s: unknown group [%s]; the settings belong in [usbipd] (and [tls])",
			    path, shown);
			ok = false;
		}
	}
	ok &= load_tls_group(c, kf, path);
	keys = g_key_file_get_keys(kf, "usbipd", NULL, NULL);
	for (size_t i = 0; keys && keys[i]; i++) {
		const char *key = keys[i];

		if (!strncmp(key, "tls-", 4) || !strcmp(key, "require-tls")) {
			err("%s: %s belongs in the [tls] group (cert, key, ca, require)", path, key);
			ok = false;
			continue;
		}

		if (is_flag(key)) {
			g_autoptr(GError) e = NULL;
			gboolean v = g_key_file_get_boolean(kf, "usbipd", key, &e);

			if (e) {
				err("%s: %s: %s", path, key, e->message);
				ok = false;
			} else if (v) {
				ok &= config_set(c, key, NULL, path);
			}
		} else if (!strcmp(key, "allow") || !strcmp(key, "listen")) {
			g_auto(GStrv) list = g_key_file_get_string_list(kf, "usbipd", key,
									NULL, NULL);

			if (!list || !list[0]) {
				err("%s: %s= is empty: %s", path, key, !strcmp(key, "allow") ?
				    "list the addresses or prefixes to let in (without an "
				    "allow line everyone may connect)" :
				    "list the addresses to listen on (without a listen line "
				    "usbipd listens on every address)");
				ok = false;
			}
			for (size_t j = 0; list && list[j]; j++)
				ok &= config_set(c, key, g_strstrip(list[j]), path);
		} else {
			g_autofree char *v = g_key_file_get_string(kf, "usbipd", key, NULL);

			ok &= config_set(c, key, v ? g_strstrip(v) : "", path);
		}
	}
	return ok;
}

bool config_same_at_start(const struct config *a, const struct config *b)
{
	if (strcmp(a->port, b->port) != 0 || a->ipv4 != b->ipv4 || a->ipv6 != b->ipv6 ||
	    a->device != b->device || g_strcmp0(a->pid_file, b->pid_file) != 0 ||
	    a->listen->len != b->listen->len)
		return false;
	for (guint i = 0; i < a->listen->len; i++)
		if (strcmp(g_ptr_array_index(a->listen, i), g_ptr_array_index(b->listen, i)) != 0)
			return false;
	return true;
}

/* @file's settings, with every one the command line set taken from @cli. */
void config_merge(struct config *out, const struct config *file, const struct config *cli)
{
	const struct config *src;

	config_defaults(out);
#define PICK(key) (src = (cli->set & config_bit(key)) ? cli : file)
	out->ipv4 = PICK("ipv4")->ipv4;
	out->ipv6 = PICK("ipv6")->ipv6;
	out->device = PICK("device")->device;
	out->debug = PICK("debug")->debug;
	out->no_mdns = PICK("no-mdns")->no_mdns;
	g_free(out->port);
	out->port = g_strdup(PICK("tcp-port")->port);
	out->pid_file = g_strdup(PICK("pid-file")->pid_file);
	out->rules = g_strdup(PICK("rules")->rules);
	out->timeout_ms = PICK("timeout")->timeout_ms;
	out->max_handshakes = PICK("max-handshakes")->max_handshakes;
	out->max_per_source = PICK("max-per-source")->max_per_source;
	out->keepalive_idle = PICK("keepalive-idle")->keepalive_idle;
	out->keepalive_interval = PICK("keepalive-interval")->keepalive_interval;
	out->keepalive_count = PICK("keepalive-count")->keepalive_count;
	out->tls_cert = g_strdup(PICK("tls-cert")->tls_cert);
	out->tls_key = g_strdup(PICK("tls-key")->tls_key);
	out->tls_ca = g_strdup(PICK("tls-ca")->tls_ca);
	out->require_tls = PICK("require-tls")->require_tls;
	for (guint i = 0; i < PICK("allow")->allow->len; i++)
		g_ptr_array_add(out->allow, g_memdup2(g_ptr_array_index(src->allow, i),
						     sizeof(struct acl_entry)));
	for (guint i = 0; i < PICK("listen")->listen->len; i++)
		g_ptr_array_add(out->listen, g_strdup(g_ptr_array_index(src->listen, i)));
#undef PICK
	out->set = file->set | cli->set;
}

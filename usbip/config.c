// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client's configuration file, usbip.conf(5): the servers that
 * `usbip attach -i` searches when no -r is given, a default timeout, and
 * the TLS files.  A GKeyFile with two groups, [client] and [tls].  The file is read before every
 * command, so what it says must be checked as carefully as what a server
 * sends: its size, its bytes, every value.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "usbip.h"
#include "util/parse.h"

#define DEFAULT_CONF SYSCONFDIR "/usbip/usbip.conf"

/* A few dozen lines are all the file needs; the cap keeps a wrong path
 * (a log, an image) from being read whole. */
#define CONF_SIZE_MAX (64 * 1024)

/* A value quoted in a message: escaped, and cut with "..." past SHOWN_MAX
 * bytes (the start is enough to find it in the file). */
#define SHOWN_MAX 64
static const char *value_shown(char *buf, size_t size, const char *s)
{
	g_autofree char *start = g_strndup(s, SHOWN_MAX - 3);

	escape_text(buf, size - 3, strlen(s) > SHOWN_MAX ? start : s);
	if (strlen(s) > SHOWN_MAX)
		strcat(buf, "...");
	return buf;
}

const char *cli_config_path(const char *explicit_path)
{
	const char *p = getenv("USBIP_CONF");

	if (explicit_path)
		return explicit_path;
	return p && *p ? p : DEFAULT_CONF;
}

/*
 * Reads @path whole into *@out (g_free it), NUL-terminated, with its length
 * in *@len.  Returns 1, 0 when the file does not exist and may be missing
 * (@required false), or -1 after logging why it cannot be used.
 */
static int read_conf(const char *path, bool required, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us here. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && !required) {
			dbg("no configuration file %s", path);
			return 0;
		}
		err("cannot read the configuration file %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (check the path given with --config)" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err("configuration file %s is not a regular file: give the path of "
		    "usbip.conf (usbip.conf(5))", path);
		close(fd);
		return -1;
	}
	buf = g_malloc(CONF_SIZE_MAX + 1);
	/* One byte more than allowed tells a file that is too large. */
	while (n <= CONF_SIZE_MAX) {
		ssize_t r = read(fd, buf + n, CONF_SIZE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err("cannot read the configuration file %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CONF_SIZE_MAX) {
		err("configuration file %s is larger than %d KiB: is it the right file? "
		    "(usbip.conf(5))", path, CONF_SIZE_MAX / 1024);
		goto fail;
	}
	/* GKeyFile would stop at a NUL without a word: a text file has none. */
	if (memchr(buf, '\0', n)) {
		err("configuration file %s contains a NUL byte: it must be a text file "
		    "(usbip.conf(5))", path);
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 1;
fail:
	close(fd);
	g_free(buf);
	return -1;
}

/*
 * GKeyFile's parse errors name no line: finds the first line of @text that
 * GKeyFile refuses (the same rules: blank, # comment, [group], key=value,
 * and no key before the first group) and logs it with its number.  False
 * when no line is at fault (the error is of another kind).
 */
static bool bad_line(const char *path, const char *text)
{
	bool group = false;
	unsigned no = 0;

	for (const char *line = text; *line; ) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		g_autofree char *l = g_strndup(line, n);
		char shown[ESCAPED_SIZE(SHOWN_MAX)];
		const char *eq;

		no++;
		line += n + (end != NULL);
		g_strstrip(l);
		if (!*l || *l == '#')
			continue;
		value_shown(shown, sizeof(shown), l);
		if (*l == '[') {
			if (l[strlen(l) - 1] != ']' || strlen(l) < 3) {
				err("%s:%u: '%s' is not a [group] line: %s", path, no, shown,
				    strlen(l) < 3 ? "name the group" : "close it with ']'");
				return true;
			}
			group = true;
			continue;
		}
		eq = strchr(l, '=');
		if (!eq || eq == l) {
			err("%s:%u: '%s' is not a [group], key=value or # comment line: fix "
			    "or remove it (usbip.conf(5))", path, no, shown);
			return true;
		}
		if (!group) {
			err("%s:%u: '%s' comes before any group: put [client] above it",
			    path, no, shown);
			return true;
		}
	}
	return false;
}

const char *cli_server_shown(const struct cli_server *s, char *buf, size_t size)
{
	char host[ESCAPED_SIZE(USBIP_RECORD_HOST_MAX)];

	escape_text(host, sizeof(host), s->host);
	/* An IPv6 address is bracketed, as parse_server() takes it back. */
	snprintf(buf, size, strchr(s->host, ':') ? "[%s]:%s" : "%s:%s", host, s->port);
	return buf;
}

/* Reads [client] servers= into @cli; false after logging what is wrong. */
static bool load_servers(struct usbip_cli *cli, GKeyFile *kf, const char *path)
{
	g_auto(GStrv) list = g_key_file_get_string_list(kf, "client", "servers", NULL, NULL);
	struct cli_server *srv;
	size_t n;

	/* (The key is there: not UTF-8 is the one error left.) */
	if (!list) {
		err("%s: [client] servers= is not UTF-8 text: write the host names in "
		    "ASCII or UTF-8", path);
		return false;
	}
	n = g_strv_length(list);
	if (n > CLI_SERVERS_MAX) {
		err("%s: [client] servers= lists %zu servers, more than the %d usbip asks: "
		    "keep the ones to search", path, n, CLI_SERVERS_MAX);
		return false;
	}
	if (!n)
		return true;
	srv = calloc(n, sizeof(*srv));
	if (!srv) {
		err("out of memory reading %s", path);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char shown[ESCAPED_SIZE(SHOWN_MAX)];
		const char *s = g_strstrip(list[i]);
		int r = parse_server(s, cli->port, srv[i].host, sizeof(srv[i].host),
				     srv[i].port, sizeof(srv[i].port));

		if (r < 0) {
			value_shown(shown, sizeof(shown), s);
			if (!*s)
				err("%s: [client] servers=: entry %zu is empty: remove the "
				    "extra ';'", path, i + 1);
			else if (r == -ENAMETOOLONG)
				err("%s: [client] servers=: '%s' is too long for a host name "
				    "(at most %d bytes)", path, shown, USBIP_RECORD_HOST_MAX - 1);
			else
				err("%s: [client] servers=: '%s' is not HOST, HOST:PORT or "
				    "[IPV6]:PORT with a port from 0 to 65535", path, shown);
			free(srv);
			return false;
		}
	}
	cli->servers = srv;
	cli->nservers = n;
	return true;
}

/* Reads [client] timeout= into @cli; false after logging what is wrong. */
static bool load_timeout(struct usbip_cli *cli, GKeyFile *kf, const char *path)
{
	g_autofree char *v = g_key_file_get_string(kf, "client", "timeout", NULL);
	char shown[ESCAPED_SIZE(SHOWN_MAX)];

	if (v && parse_seconds(g_strstrip(v), 1000, 3600 * 1000, &cli->timeout_ms))
		return true;
	err("%s: [client] timeout=%s: give seconds from 1 to 3600", path,
	    value_shown(shown, sizeof(shown), v ? v : ""));
	return false;
}

/*
 * Reads [tls] ca=, cert=, key= into @cli where the command line gave no
 * --tls-ca, --tls-cert, --tls-key (the command line wins, as for timeout=).
 * The paths are kept in cli->tls_conf (cli_config_free).
 */
static bool load_tls(struct usbip_cli *cli, GKeyFile *kf, const char *path)
{
	static const char *const names[] = { "ca", "cert", "key" };
	const char **dest[] = { &cli->tls_ca, &cli->tls_cert, &cli->tls_key };
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "tls", NULL, NULL);
	bool ok = true;

	for (size_t i = 0; keys && keys[i]; i++) {
		char shown[ESCAPED_SIZE(SHOWN_MAX)];
		size_t k = 0;

		while (k < G_N_ELEMENTS(names) && strcmp(keys[i], names[k]))
			k++;
		if (k == G_N_ELEMENTS(names)) {
			warn("%s: unknown key %s= in [tls] ignored: usbip reads ca=, cert= and key=",
			     path, value_shown(shown, sizeof(shown), keys[i]));
			continue;
		}
		g_autofree char *v = g_key_file_get_string(kf, "tls", keys[i], NULL);

		if (!v || !*g_strstrip(v) || strlen(v) >= PATH_MAX) {
			err("%s: [tls] %s=%s: give the path of a PEM file", path, keys[i],
			    value_shown(shown, sizeof(shown), v ? v : ""));
			ok = false;
			continue;
		}
		free(cli->tls_conf[k]);
		cli->tls_conf[k] = strdup(v);
		if (!cli->tls_conf[k]) {
			err("out of memory");
			ok = false;
		}
	}
	for (size_t k = 0; ok && k < G_N_ELEMENTS(names); k++)
		if (!*dest[k])
			*dest[k] = cli->tls_conf[k];
	return ok;
}

int cli_config_load(struct usbip_cli *cli, const char *path)
{
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) groups = NULL;
	g_auto(GStrv) keys = NULL;
	g_autofree char *text = NULL;
	bool ok = true;
	size_t len;
	int r;

	cli->config_file = cli_config_path(path);
	r = read_conf(cli->config_file, path != NULL, &text, &len);
	if (r <= 0)
		return r;
	path = cli->config_file;
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
		if (!bad_line(path, text))
			err("%s: %s: fix the file (usbip.conf(5): a [client] group of "
			    "key=value lines)", path, e->message);
		return -1;
	}
	/* Unknown names are warned about, not refused: a file written for a
	 * newer usbip must not stop an older one from working. */
	groups = g_key_file_get_groups(kf, NULL);
	for (size_t i = 0; groups[i]; i++) {
		char shown[ESCAPED_SIZE(SHOWN_MAX)];

		if (!strcmp(groups[i], "client") || !strcmp(groups[i], "tls"))
			continue;
		warn("%s: unknown group [%s] ignored: usbip reads [client] and [tls]", path,
		     value_shown(shown, sizeof(shown), groups[i]));
	}
	keys = g_key_file_get_keys(kf, "client", NULL, NULL);
	for (size_t i = 0; keys && keys[i]; i++) {
		char shown[ESCAPED_SIZE(SHOWN_MAX)];

		if (!strcmp(keys[i], "servers"))
			ok = load_servers(cli, kf, path) && ok;
		else if (!strcmp(keys[i], "timeout"))
			ok = load_timeout(cli, kf, path) && ok;
		else
			warn("%s: unknown key %s= in [client] ignored: usbip reads servers= "
			     "and timeout=", path, value_shown(shown, sizeof(shown), keys[i]));
	}
	ok = load_tls(cli, kf, path) && ok;
	if (!ok) {
		cli_config_free(cli);
		return -1;
	}
	dbg("read %s: %zu servers, timeout %d ms", path, cli->nservers, cli->timeout_ms);
	return 0;
}

void cli_config_free(struct usbip_cli *cli)
{
	free((void *)cli->servers);
	cli->servers = NULL;
	cli->nservers = 0;
	/* The TLS paths the file gave may be in use as cli->tls_*: unset them. */
	for (size_t k = 0; k < G_N_ELEMENTS(cli->tls_conf); k++) {
		if (cli->tls_ca == cli->tls_conf[k])
			cli->tls_ca = NULL;
		if (cli->tls_cert == cli->tls_conf[k])
			cli->tls_cert = NULL;
		if (cli->tls_key == cli->tls_conf[k])
			cli->tls_key = NULL;
		free(cli->tls_conf[k]);
		cli->tls_conf[k] = NULL;
	}
}

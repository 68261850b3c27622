// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Export rules from the client side: `usbip bind --persist` stores a rule
 * (usbip-export-rules(5)) that usbipd applies whenever the device appears,
 * `usbip unbind --persist` removes it, and `usbip list -l` says which rule
 * covers a device.  The file is $(sysconfdir)/usbip/export.rules, or the
 * one USBIP_EXPORT_RULES names (tests, other roots).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbip.h"

#define DEFAULT_RULES SYSCONFDIR "/usbip/export.rules"

const char *persist_rules_path(void)
{
	const char *p = getenv("USBIP_EXPORT_RULES");

	return p && *p ? p : DEFAULT_RULES;
}

/* The last component of the rules path, as in "export.rules:3". */
static const char *rules_name(void)
{
	const char *path = persist_rules_path(), *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The rule line of @sel, escaped for the terminal. */
static const char *rule_text(const struct usbip_selector *sel, char *buf, size_t size)
{
	char line[USBIP_RULES_LINE_MAX + 1];

	if (usbip_rule_format(sel, line, sizeof(line)) < 0)
		line[0] = '\0';
	return escape_text(buf, size, line);
}

int persist_add(struct usbip_cli *cli, const struct usbip_selector *sel)
{
	static char shown[ESCAPED_SIZE(USBIP_RULES_LINE_MAX)];
	const char *path = persist_rules_path();
	int r = usbip_rules_add(cli->ctx, path, sel);

	rule_text(sel, shown, sizeof(shown));
	switch (r) {
	case 0:
		info("export rule \"%s\" added to %s: usbipd binds the device whenever it "
		     "appears", shown, path);
		return 0;
	case -EEXIST:
		info("export rule \"%s\" is already in %s", shown, path);
		return 0;
	case -EBADMSG:
		err("%s is not valid (see the error above): fix it, then run this again", path);
		break;
	case -E2BIG:
		err("%s already holds %d rules, the most it may: remove some first", path,
		    USBIP_RULES_MAX);
		break;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		err("cannot write %s: %s (run as root)", path, strerror(-r));
		break;
	default:
		err("cannot add export rule \"%s\" to %s: %s", shown, path, strerror(-r));
		break;
	}
	return -1;
}

int persist_remove(struct usbip_cli *cli, const struct usbip_selector *sel)
{
	static char shown[ESCAPED_SIZE(USBIP_RULES_LINE_MAX)];
	const char *path = persist_rules_path();
	int r = usbip_rules_remove(cli->ctx, path, sel);

	rule_text(sel, shown, sizeof(shown));
	switch (r) {
	case 0:
		info("export rule \"%s\" removed from %s", shown, path);
		return 0;
	case -ENOENT:
		err("no export rule \"%s\" in %s (rules are removed as they were added: "
		    "see the file)", shown, path);
		return -ENOENT;
	case -EBADMSG:
		err("%s is not valid (see the error above): fix it, then run this again", path);
		break;
	default:
		err("cannot remove export rule \"%s\" from %s: %s", shown, path, strerror(-r));
		break;
	}
	return -1;
}

struct usbip_rules *persist_rules_load(struct usbip_cli *cli)
{
	struct usbip_rules *rules;

	/* A broken file is reported by the library; list the devices anyway. */
	if (usbip_rules_load(cli->ctx, persist_rules_path(), &rules) < 0)
		return NULL;
	return rules;
}

const char *persist_rule_note(const struct usbip_rules *rules,
			      const struct usbip_device_ident *id, char *buf, size_t size)
{
	unsigned line;

	if (!usbip_rules_match(rules, id, &line, NULL))
		return NULL;
	snprintf(buf, size, "export rule: %s:%u", rules_name(), line);
	return buf;
}

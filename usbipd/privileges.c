// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Least privilege.  Once the kernel module is loaded and the sockets are
 * bound, usbipd needs no capability at all: as uid 0 it still writes the
 * root-owned mode 0200 usbip_sockfd attributes, reads sysfs, its
 * configuration file and the kernel's uevents, accepts connections and
 * removes its PID file (in a root-owned directory), all through ordinary
 * owner permissions.  So every capability goes, the bounding set too, and
 * no_new_privs makes sure no execve() could bring one back.
 *
 * Plain capget/capset/prctl, not libcap-ng: dropping everything needs no
 * set arithmetic and no uid change, which is what such a library is for,
 * and it would be one more run-time dependency of a root daemon.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "usbipd.h"
#include "util/log.h"

/* capget/capset with the 64-bit (version 3) layout; glibc has no wrapper. */
static int caps_call(long nr, struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(nr, &hdr, data);
}

/* One set (effective, permitted, inheritable) of the two halves, as a mask. */
#define CAPS64(data, set) ((uint64_t)(data)[1].set << 32 | (data)[0].set)

int drop_privileges(void)
{
	struct __user_cap_data_struct data[2] = { { 0 } };
	uint64_t had;
	int bounding = 0, kept_bounding = 0;

	/* First, so that nothing below can be undone by an execve(). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (caps_call(SYS_capget, data) < 0) {
		err("cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	had = CAPS64(data, permitted) | CAPS64(data, inheritable);
	if (had == 0) {
		/* Started without privileges (non-root, or an empty
		 * CapabilityBoundingSet=): nothing to give up. */
		dbg("no capabilities to drop");
		return 0;
	}
	/* The bounding set needs CAP_SETPCAP, so it goes before the rest.
	 * PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability. */
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break;
		if (in == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			bounding++;
		else
			kept_bounding++;	/* no CAP_SETPCAP: harmless with nothing permitted */
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (caps_call(SYS_capset, data) < 0) {
		err("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	/* Trust but verify: a daemon that believes it is unprivileged must be. */
	if (caps_call(SYS_capget, data) < 0 || CAPS64(data, permitted) != 0 ||
	    CAPS64(data, effective) != 0) {
		err("capabilities still held after dropping them");
		return -1;
	}
	/* Kernel-independent wording (no mask): the line is in the golden logs. */
	dbg("capabilities were %016llx; %d dropped from the bounding set",
	    (unsigned long long)had, bounding);
	info("dropped all capabilities%s; no_new_privs set",
	     kept_bounding ? " (the bounding set stays: no CAP_SETPCAP)" :
	     ", the bounding set included");
	return 0;
}

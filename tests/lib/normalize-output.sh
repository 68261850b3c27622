#!/bin/bash
# Prints FILE with what legitimately varies between runs and implementations
# replaced: debug traces, usbipd's mDNS lines, connection fds, ephemeral client
# ports, the kernel release (the pins in golden/ours say KVER, so they hold on
# any kernel).
# usage: normalize-output.sh EXT FILE   (EXT: out rc err after writes)
#        normalize-output.sh kver FILE  (only the kernel release; for pinning)
ext=$1 f=$2
[ -e "$f" ] || exit 0
# The running kernel's release as an extended regular expression.
kver_re() { uname -r | sed 's/[][\\/.^$*+?(){}|]/\\&/g'; }
case $ext in
err)
	# usbipd's mDNS lines depend on the machine (is avahi-daemon running?)
	# and the reference has no mDNS: they are not part of the comparison.
	grep -v -e ': debug: ' -e 'mDNS' -e 'avahi-daemon' "$f" | sed -E \
		-e 's/\(([0-9]+)\)/(FD)/g' \
		-e 's/((127\.0\.0\.[0-9]+|::1|::ffff:127\.0\.0\.1)):[0-9]{4,5}/\1:PORT/g' \
		-e "s/$(kver_re)/KVER/g" ;;
kver)
	sed -E "s/$(kver_re)/KVER/g" "$f" ;;
after|writes)
	sed -E -e "s/usbip_sockfd: b'[0-9]+\\\\n'/usbip_sockfd: b'FD\\\\n'/" \
		-e "s/(attach: b'[0-9]+) [0-9]+ /\\1 FD /" "$f" ;;
*)
	cat "$f" ;;
esac

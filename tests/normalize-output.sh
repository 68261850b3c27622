#!/bin/bash
# Prints FILE with what legitimately varies between runs and implementations
# replaced: debug traces, connection fds, ephemeral client ports, the kernel
# release (also the one a pin was made on).  usage: normalize-output.sh EXT FILE   (EXT: out rc err after writes)
ext=$1 f=$2
[ -e "$f" ] || exit 0
case $ext in
err)
	grep -v -e ': debug: ' "$f" | sed -E \
		-e 's/\(([0-9]+)\)/(FD)/g' \
		-e 's/((127\.0\.0\.[0-9]+|::1|::ffff:127\.0\.0\.1)):[0-9]{4,5}/\1:PORT/g' \
		-e "s/$(uname -r | sed 's/[.]/[.]/g')/KVER/g" \
		-e 's/(linux-image-|linux-modules-extra-)[^ ]+ /\1KVER /g' ;;
after|writes)
	sed -E -e "s/usbip_sockfd: b'[0-9]+\\\\n'/usbip_sockfd: b'FD\\\\n'/" \
		-e "s/(attach: b'[0-9]+) [0-9]+ /\\1 FD /" "$f" ;;
*)
	cat "$f" ;;
esac

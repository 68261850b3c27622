#!/bin/bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed,
# build, then share a USB stick and attach it over USB/IP with our usbip/usbipd.
# Without USB hardware this runs inside the test VM (QEMU, Debian's kernel, an
# emulated xHCI stick): bind, usbipd -D, list -r, attach, read the stick back
# through vhci_hcd, detach, unbind.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/scripts/install-deps.sh --vm
[ -x configure ] || ./autogen.sh > /dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure > configure.out
make -j"$(nproc)" > make.out
rm -rf vm-root && make install DESTDIR="$PWD/vm-root" > install.out
cd "$top"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
tests/vm/run-vm-tests.sh --ours "$top/build/vm-root" --only ours-ours --keep-log "$log"
rc=$?
# Show what our tools did in the VM: bind, usbipd, list -r, attach, port, ...
echo
echo "=== transcript of the ours-ours run inside the VM"
sed -n '/^VMTEST: BEGIN ours-ours/,/^VMTEST: END ours-ours/p' "$log/console.log"
exit $rc

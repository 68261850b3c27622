#!/bin/bash
# The main job, end to end on a fresh Debian 12 machine: install what is needed,
# build, then share a USB stick and attach it over USB/IP with our usbip/usbipd.
# Without USB hardware this runs inside the test VM (QEMU, Debian's kernel, an
# emulated xHCI stick): bind, usbipd -D, list -r, attach, read the stick back
# through vhci_hcd, detach, unbind.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/install-deps.sh --vm
[ -x configure ] || ./autogen.sh > /dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure > configure.out
make -j"$(nproc)" > make.out
rm -rf vm-root && make install DESTDIR="$PWD/vm-root" > install.out
cd "$top"
exec tests/vm/run-vm-tests.sh --ours "$top/build/vm-root" --only ours-ours

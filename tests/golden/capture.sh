#!/bin/bash
# Regenerate the golden files from the reference tools (Debian's usbip package).
#
# usage: tests/golden/capture.sh [OUTDIR]
#   OUTDIR defaults to this directory.  BIN_DIR=/path/to/dir puts that directory first
#   in PATH, so "usbip"/"usbipd" resolve to another implementation (e.g. ours):
#       BIN_DIR=$PWD/build OUT=... tests/golden/capture.sh /tmp/ours && diff -r ...
#   GOLDEN_PORT (default 43240) is the TCP port of the test usbipd; it appears in
#   some goldens ("using port 43240"), so keep it when comparing.
# Needs root (unshare -m, mount), umockdev-run, strace, python3.
# Every case: <testbed>__<slug>.out / .err / .rc, optionally .writes (file writes
# seen by strace: path [open flags] <- bytes = result) and .after (write-target
# files read back from the testbed after the run; see fixtures/tb-run.sh -a).
# Every traced run goes through tests/lib/strace.sh (strace with LeakSanitizer
# off, so a sanitized build of ours can be captured too).
set -u
G=$(cd "$(dirname "$0")" && pwd)
F=$(cd "$G/../fixtures" && pwd)
T=$G/tools
TB=$F/tb-run.sh
OUT=${1:-$G}
mkdir -p "$OUT"
P=${GOLDEN_PORT:-43240}
NOPORT=${GOLDEN_NOPORT:-43299}     # nothing listens there
if [ -n "${BIN_DIR:-}" ]; then export PATH="$BIN_DIR:$PATH"; fi
export LC_ALL=C
ST="$G/../lib/strace.sh -f -xx -s 4096 -e trace=openat,open,creat,write,close,mkdir,unlink,rmdir,unlinkat"
CASES=$OUT/cases.tsv
: > "$CASES"

# run NAME [tb-run opts] FIXTURE -- CMD...     (CMD run under strace -> .writes)
run() {
    local name=$1; shift
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
    local b=$OUT/$name st; st=$(mktemp)
    rm -f "$b.after"
    # The guard times the command only: setting up a testbed alone can take
    # half a minute on a busy machine.
    "$TB" -a "$b.after" "${opts[@]}" -- timeout 30 $ST -o "$st" "$@" > "$b.out" 2> "$b.err"
    echo $? > "$b.rc"
    python3 "$T/strace-writes.py" "$st" > "$b.writes"; rm -f "$st"
    [ -s "$b.writes" ] || rm -f "$b.writes"
    [ -s "$b.after" ] || rm -f "$b.after"
    printf '%s\t%s\t%s\n' "$name" "${opts[*]}" "$*" >> "$CASES"
}

# session PREFIX [tb-run opts] FIXTURE [-- USBIPD-ARGS] <<EOF  "slug command" lines EOF
session() {
    local pre=$1; shift
    local opts=() dargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && { shift; dargs=("$@"); }
    local cases; cases=$(cat)
    rm -f "$OUT/${pre}__session.after"
    local try
    for try in 1 2 3; do
        rm -f "$OUT/${pre}__session.after" "$OUT/${pre}__usbipd.rc"
        printf '%s\n' "$cases" | timeout 600 "$TB" -a "$OUT/${pre}__session.after" "${opts[@]}" -- \
            "$T/session.sh" "$OUT" "$pre" "$P" "${dargs[@]}"
        [ -s "$OUT/${pre}__usbipd.rc" ] && break
        echo "session $pre failed (try $try), retrying" >&2; sleep 2
    done
    [ -s "$OUT/${pre}__session.after" ] || rm -f "$OUT/${pre}__session.after"
    printf '%s\t%s\tusbipd -t %s %s\n' "${pre}__usbipd" "${opts[*]}" "$P" "${dargs[*]}" >> "$CASES"
    printf '%s\n' "$cases" | while read -r slug cmd; do
        [ -n "$slug" ] && printf '%s\t%s\t%s\n' "${pre}__$slug" "${opts[*]} (usbipd running)" "$cmd" >> "$CASES"
    done
}

WC="python3 $T/wire-client.py -p $P"

########## no testbed devices at all: generic CLI behaviour
for a in "version" "help" "" "bogus" "--bogus" "-t" "-d" "--debug" \
         "help attach" "help detach" "help list" "help bind" "help unbind" "help port" \
         "help version" "help help" "help bogus" \
         "attach" "detach" "bind" "unbind" "list" "port" \
         "attach -h" "attach --help" "detach -h" "detach --help" "list -h" "list --help" \
         "bind -h" "bind --help" "unbind -h" "unbind --help" "port -h" "port --help" \
         "version -h" "attach --bogus" "list --bogus" "bind -x" "list -r" "bind -b" \
         "attach -r 127.0.0.1" "attach -b 1-1" "list -l" "list -p -l" "list -d" "list -p" \
         "port" "detach -p 0" "--debug version" "-d port" "list -l -r 127.0.0.1" \
         "version extra args" "port extra args"; do
    slug=$(echo "${a:-noargs}" | sed -e 's/^--*/opt-/' -e 's/ --*/-/g' -e 's/ /-/g')
    # shellcheck disable=SC2086
    run "none__$slug" none -- usbip $a
done
run none__usbipd-h none -- usbipd -h
run none__usbipd-help none -- usbipd --help
run none__usbipd-v none -- usbipd -v
run none__usbipd-version none -- usbipd --version
run none__usbipd-bogus none -- usbipd --bogus
run none__usbipd-x none -- usbipd -x
run none__usbipd-extra-arg none -- timeout -s INT 4 usbipd -t "$P" extra
run none__opt-h none -- usbip -h
run none__opt-help none -- usbip --help
run none__tcp-port-abc none -- usbip -t abc list -r 127.0.0.1
run none__tcp-port-70000 none -- usbip -t 70000 list -r 127.0.0.1
run none__tcp-port-12x none -- usbip --tcp-port 12x list -r 127.0.0.1
run none__list-r-refused none -- usbip -t "$NOPORT" list -r 127.0.0.1
run none__list-r-refused-localhost none -- usbip -t "$NOPORT" list -r localhost
run none__list-r-badhost none -- usbip list -r nonexistent.invalid
run none__attach-refused none -- usbip -t "$NOPORT" attach -r 127.0.0.1 -b 1-1
run none__list-r-parsable-refused none -- usbip -t "$NOPORT" list -p -r 127.0.0.1

########## host-basic: local listing, bind/unbind without usbip-host loaded
run host-basic__list-l host-basic.umockdev -- usbip list -l
run host-basic__list-p-l host-basic.umockdev -- usbip list -p -l
run host-basic__list-l-p host-basic.umockdev -- usbip list -l -p
run host-basic__list-parsable-local host-basic.umockdev -- usbip list --parsable --local
run host-basic__list-l-d host-basic.umockdev -- usbip list -l -d
run host-basic__list-d host-basic.umockdev -- usbip list -d
run host-basic__debug-list-l host-basic.umockdev -- usbip --debug list -l
run host-basic__d-list-l host-basic.umockdev -- usbip -d list -l
run host-basic__log-list-l host-basic.umockdev -- usbip --log list -l
run host-basic__bind-1-1 host-basic.umockdev -- usbip bind -b 1-1
run host-basic__bind-busid-1-1 host-basic.umockdev -- usbip bind --busid=1-1
run host-basic__bind-nonexistent host-basic.umockdev -- usbip bind -b 9-9
run host-basic__bind-hub host-basic.umockdev -- usbip bind -b 2-1
run host-basic__bind-roothub host-basic.umockdev -- usbip bind -b usb1
run host-basic__bind-interface host-basic.umockdev -- usbip bind -b 1-1:1.0
run host-basic__unbind-1-1 host-basic.umockdev -- usbip unbind -b 1-1
run host-basic__unbind-nonexistent host-basic.umockdev -- usbip unbind -b 9-9
run host-basic__port host-basic.umockdev -- usbip port
run host-basic__detach-p0 host-basic.umockdev -- usbip detach -p 0
run host-basic__order-shuffled "$F/host-basic-shuffled.umockdev" -- usbip list -l

########## host-bound: usbip-host loaded, devices bound
run host-bound__list-l host-bound.umockdev -- usbip list -l
run host-bound__list-p-l host-bound.umockdev -- usbip list -p -l
run host-bound__bind-already host-bound.umockdev -- usbip bind -b 1-1
run host-bound__bind-1-7 host-bound.umockdev -- usbip bind -b 1-7
run host-bound__bind-hub host-bound.umockdev -- usbip bind -b 2-1
run host-bound__bind-nonexistent host-bound.umockdev -- usbip bind -b 9-9
run host-bound__unbind-1-1 host-bound.umockdev -- usbip unbind -b 1-1
run host-bound__unbind-2-1.3 host-bound.umockdev -- usbip unbind --busid 2-1.3
run host-bound__unbind-notbound host-bound.umockdev -- usbip unbind -b 1-7
run host-bound__unbind-hub host-bound.umockdev -- usbip unbind -b 2-1
run host-bound__unbind-nonexistent host-bound.umockdev -- usbip unbind -b 9-9
run host-bound__bind-nodrvdir -n host-bound.umockdev -- usbip bind -b 1-7

########## variants
run host-missing-attr__list-l host-missing-attr.umockdev -- usbip list -l
run host-missing-attr__list-p-l host-missing-attr.umockdev -- usbip list -p -l
run host-unconfigured__list-l host-unconfigured.umockdev -- usbip list -l
run host-hubs-only__list-l host-hubs-only.umockdev -- usbip list -l
run host-hubs-only__list-p-l host-hubs-only.umockdev -- usbip list -p -l
run host-hubs-only__bind-1-1 host-hubs-only.umockdev -- usbip bind -b 1-1

########## vhci (client side)
run vhci__port -r "$F/vhci-records" vhci.umockdev -- usbip port
run vhci__port-norecords vhci.umockdev -- usbip port
run vhci__port-emptyrecdir -R vhci.umockdev -- usbip port
run vhci-empty__port vhci-empty.umockdev -- usbip port
run vhci-small__port -r "$F/vhci-records" vhci-small.umockdev -- usbip port
run vhci-small__port-nobind -B -r "$F/vhci-records" vhci-small.umockdev -- usbip port
run vhci-badstatus__port -r "$F/vhci-records" vhci-badstatus.umockdev -- usbip port
run vhci-missingdev__port -r "$F/vhci-records" vhci-missingdev.umockdev -- usbip port
run vhci-emptystatus__port vhci-emptystatus.umockdev -- usbip port
run vhci__list-l vhci.umockdev -- usbip list -l
run host-basic+vhci__list-l host-basic.umockdev:vhci.umockdev -- usbip list -l
run vhci__bind-imported vhci.umockdev -- usbip bind -b 3-1
run vhci__detach-p0 -r "$F/vhci-records" vhci.umockdev -- usbip detach -p 0
run vhci__detach-p1-norecord -r "$F/vhci-records" vhci.umockdev -- usbip detach -p 1
run vhci__detach-p15 -r "$F/vhci-records" vhci.umockdev -- usbip detach --port=15
run vhci__detach-p3-notassigned -r "$F/vhci-records" vhci.umockdev -- usbip detach -p 3
run vhci__detach-p5-free -r "$F/vhci-records" vhci.umockdev -- usbip detach -p 5
run vhci__detach-p239-free vhci.umockdev -- usbip detach -p 239
run vhci__detach-p240 vhci.umockdev -- usbip detach -p 240
run vhci__detach-p256 -r "$F/vhci-records" vhci.umockdev -- usbip detach -p 256
run vhci__detach-p999 vhci.umockdev -- usbip detach -p 999
run vhci__detach-pabc vhci.umockdev -- usbip detach -p abc
run vhci__detach-p1x vhci.umockdev -- usbip detach -p 1x
run vhci__detach-pminus1 vhci.umockdev -- usbip detach -p -1
run vhci__detach-pempty vhci.umockdev -- usbip detach -p ""
run vhci-small__detach-p16 vhci-small.umockdev -- usbip detach -p 16
run vhci-small__detach-p15-free vhci-small.umockdev -- usbip detach -p 15
run vhci-empty__detach-p0 vhci-empty.umockdev -- usbip detach -p 0

########## usbipd sessions (server and clients in the same testbed)
session host-bound host-bound.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
list-r-localhost usbip -t $P list -r localhost
list-r-ipv6 usbip -t $P list -r ::1
list-p-r usbip -t $P list -p -r 127.0.0.1
list-r-tcp-port-long usbip --tcp-port=$P list --remote=127.0.0.1
attach-unknown usbip -t $P attach -r 127.0.0.1 -b 9-9
attach-inuse usbip -t $P attach -r 127.0.0.1 -b 1-3
attach-error usbip -t $P attach -r 127.0.0.1 -b 1-4
attach-notbound usbip -t $P attach -r 127.0.0.1 -b 1-7
attach-novhci usbip -t $P attach -r 127.0.0.1 -b 1-1
attach-d-novhci usbip -t $P attach -r 127.0.0.1 -d 1-2
wire-devlist $WC devlist
wire-import-1-1 $WC import 1-1
wire-import-unknown $WC import 9-9
wire-import-inuse $WC import 1-3
wire-import-error $WC import 1-4
wire-import-2-1.3 $WC import 2-1.3
wire-bad-version $WC raw 0110800500000000
wire-unknown-opcode $WC raw 0111800100000000
wire-devinfo $WC raw 0111800200000000
wire-reply-code $WC raw 0111000500000000
wire-status-nonzero $WC raw 0111800500000001
wire-truncated-header $WC rawclose 011180
wire-truncated-header-open $WC -t 3 raw 011180
wire-truncated-import $WC rawclose 011180030000000031
wire-empty-close $WC rawclose ""
wire-devlist-trailing $WC raw 01118005000000000000000000
EOF

session host-hubs-only host-hubs-only.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
wire-devlist $WC devlist
EOF

session host-unconfigured host-unconfigured.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
wire-devlist $WC devlist
EOF

session host-basic host-basic.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
EOF

session none none <<EOF
list-r usbip -t $P list -r 127.0.0.1
EOF

session host-bound-ipv4 host-bound.umockdev -- -4 <<EOF
list-r-ipv6 usbip -t $P list -r ::1
EOF

session host-bound+vhci host-bound.umockdev:vhci.umockdev <<EOF
attach-1-1 usbip -t $P attach -r 127.0.0.1 -b 1-1
port-after usbip port
attach-2-1.3-superspeed usbip -t $P attach -r 127.0.0.1 -b 2-1.3
attach-2-2-superspeedplus usbip -t $P attach --remote=127.0.0.1 --busid=2-2
attach-1-2-lowspeed usbip -t $P attach -r localhost -b 1-2
attach-unknown usbip -t $P attach -r 127.0.0.1 -b 9-9
EOF

session host-bound+vhci-full host-bound.umockdev:vhci-full.umockdev <<EOF
attach-1-1 usbip -t $P attach -r 127.0.0.1 -b 1-1
EOF

session host-bound+vhci-norun -R host-bound.umockdev:vhci-small.umockdev <<EOF
attach-1-1-recdir-exists usbip -t $P attach -r 127.0.0.1 -b 1-1
EOF

session host-bound-debug host-bound.umockdev -- -d <<EOF
list-r usbip -t $P list -r 127.0.0.1
attach-novhci usbip -t $P attach -r 127.0.0.1 -b 1-1
second-usbipd-same-port timeout -s INT 10 usbipd -t $P
EOF

session host-bound-ipv6 host-bound.umockdev -- -6 <<EOF
list-r-ipv4 usbip -t $P list -r 127.0.0.1
list-r-ipv6 usbip -t $P list -r ::1
EOF

run many-40__list-p-l many-40.umockdev -- usbip list -p -l
session many-40 many-40.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
EOF

if [ -e "$F/vudc.umockdev" ]; then
    run vudc__list-d vudc.umockdev -- usbip list -d
    run vudc__list-p-d vudc.umockdev -- usbip list -p -d
    run vudc__list-l vudc.umockdev -- usbip list -l
    session vudc vudc.umockdev -- -e <<EOF
list-r usbip -t $P list -r 127.0.0.1
wire-devlist $WC devlist
wire-import $WC import usbip-vudc.0
EOF
    session vudc-hostmode vudc.umockdev <<EOF
list-r usbip -t $P list -r 127.0.0.1
EOF
fi

# debug output: usbip --debug dumps every usb.ids line it parses (~24000 lines of
# "usbip: debug: names.c:NNN:[parse] ..."); those lines are removed from the goldens
for f in "$OUT"/*.err; do
    n=$(grep -c '^usbip: debug: names\.c:[0-9]*:\[parse\]' "$f")
    if [ "$n" -gt 0 ]; then
        grep -v '^usbip: debug: names\.c:[0-9]*:\[parse\]' "$f" > "$f.tmp"; mv "$f.tmp" "$f"
        echo "$n" > "${f%.err}.names-lines-removed"
    fi
done

# raw wire captures: every non-empty *__wire-*.out -> wire-<what>--<testbed>.hex
rm -f "$OUT"/wire-*.hex
for f in "$OUT"/*__wire-*.out; do
    [ -s "$f" ] || continue
    b=$(basename "$f" .out)
    cp "$f" "$OUT/wire-${b#*__wire-}--${b%%__*}.hex"
done
python3 "$T/make-index.py" "$OUT"
echo "captured $(wc -l < "$CASES") cases into $OUT"

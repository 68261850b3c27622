#!/bin/bash
# Runs INSIDE a testbed (via tb-run.sh): start usbipd, run client cases, stop usbipd.
# usage: session.sh OUTDIR PREFIX PORT [USBIPD-ARGS...] < cases
#   cases: one per line, "<slug> <shell command>"; each command's stdout/stderr/exit
#   code go to OUTDIR/PREFIX__<slug>.{out,err,rc}; file writes made by the command
#   (strace) to OUTDIR/PREFIX__<slug>.writes (only if any).
#   usbipd runs under strace too: its stderr -> PREFIX__usbipd.err, its file writes ->
#   PREFIX__usbipd.writes, its exit code after SIGTERM -> PREFIX__usbipd.rc.
# In every .err, "connection from <addr>:<ephemeral port>" is normalised to ":PORT".
out=$1 pre=$2 port=$3; shift 3
tools=$(cd "$(dirname "$0")" && pwd)
. "$tools/../../lib/tap.sh"     # start_usbipd, STRACE
set +u
ST="$STRACE -f -xx -s 4096 -e trace=openat,open,creat,write,close,mkdir,unlink,rmdir,unlinkat"
tmp=$(mktemp -d)
# Under strace on a loaded machine usbipd can take long to start.
USBIPD_WAIT=60 start_usbipd "$out/${pre}__usbipd.err" \
    $ST -o "$tmp/usbipd.strace" sh -c 'echo $$ > "$1"; shift; exec usbipd "$@"' sh \
    "$tmp/pid" -t "$port" "$@" || echo "usbipd did not start" >&2
spid=$usbipd_pid
while read -r slug cmd; do
    case $slug in ""|"#"*) continue;; esac
    b="$out/${pre}__$slug"
    timeout 20 $ST -o "$tmp/c.strace" sh -c "$cmd" > "$b.out" 2> "$b.err"
    echo $? > "$b.rc"
    python3 "$tools/strace-writes.py" "$tmp/c.strace" > "$b.writes"
    [ -s "$b.writes" ] || rm -f "$b.writes"
    sleep 0.3   # let usbipd's child finish logging
done
kill -TERM "$(cat "$tmp/pid")"
# strace exits with the traced program's exit status
wait "$spid"; echo $? > "$out/${pre}__usbipd.rc"
python3 "$tools/strace-writes.py" "$tmp/usbipd.strace" > "$out/${pre}__usbipd.writes"
[ -s "$out/${pre}__usbipd.writes" ] || rm -f "$out/${pre}__usbipd.writes"
for f in "$out/${pre}__"*.err; do
    sed -i -E 's/(connection from [^ ]*:)[0-9]+$/\1PORT/' "$f"
done
rm -rf "$tmp"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (completion/usbip, completion/usbipd): the functions are
# registered, and for a command line they offer the commands, options and
# values a user expects.  Values come from a fake `usbip` first in PATH (what
# `usbip list -p -l` and `usbip port` print), a temporary client
# configuration file and known_hosts; then from our usbip in a umockdev
# testbed (root), where unbind's bus ids come from usbip-host's directory.
#
# Run with --complete LINE...: prints the sorted completions of each LINE
# (then a "--" line); the testbed part runs the test itself that way.
. "$(dirname "$0")/../lib/tap.sh"
BASH_COMPLETION_MAIN=${BASH_COMPLETION_MAIN:-/usr/share/bash-completion/bash_completion}
COMP_USBIP=${COMP_USBIP:-$abs_top_builddir/completion/usbip}
COMP_USBIPD=${COMP_USBIPD:-$abs_top_srcdir/completion/usbipd}

# Sources bash-completion and ours as an interactive shell's startup would,
# but in this (non-interactive) shell and without the machine's or the
# user's other completions.
load_completion() {
	set +u	# bash-completion reads unset variables
	BASH_COMPLETION_COMPAT_DIR=/nonexistent BASH_COMPLETION_USER_FILE=/dev/null
	. "$BASH_COMPLETION_MAIN" && . "$COMP_USBIP" && . "$COMP_USBIPD"
}

# comp LINE: calls the function `complete -p` names for the first word, with
# the cursor at the end of LINE and COMP_WORDS split as readline does: at
# blanks, and at "=" and ":" (COMP_WORDBREAKS), which are words of their own.
comp() {
	local s=$1 spec func
	COMP_LINE=$1 COMP_POINT=${#1} COMP_WORDS=() COMPREPLY=()
	while [[ -n $s ]]; do
		if [[ $s =~ ^\ + ]]; then
			s=${s:${#BASH_REMATCH}}
			continue
		fi
		[[ $s =~ ^([^\ =:]+|[=:]+) ]]
		COMP_WORDS+=("$BASH_REMATCH")
		s=${s:${#BASH_REMATCH}}
	done
	[[ -z $1 || $1 == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	# Another command's (sudo) is loaded on first use, as in a shell.
	spec=$(complete -p "${COMP_WORDS[0]}" 2> /dev/null) ||
		{ __load_completion "${COMP_WORDS[0]}" &&
		  spec=$(complete -p "${COMP_WORDS[0]}" 2> /dev/null); } || return 1
	func=${spec#*-F }
	func=${func%% *}
	"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	return 0
}

# The completions of LINE, sorted, one per line.
completions() {
	comp "$1" || { echo "(no completion for ${1%% *})"; return; }
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

if [ "${1-}" = --complete ]; then
	shift
	load_completion || exit 1
	for line; do completions "$line"; echo --; done
	exit 0
fi

[ -r "$BASH_COMPLETION_MAIN" ] ||
	missing "bash-completion ($BASH_COMPLETION_MAIN; tests/scripts/install-deps.sh)"
[ -r "$COMP_USBIP" ] || { echo "Bail out! $COMP_USBIP not built"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Known hosts from our known_hosts only: none from /etc/hosts or avahi.
export HOME=$tmp/home
mkdir -p "$HOME/.ssh" "$tmp/bin" "$tmp/files"
echo "srv-known ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc4" > "$HOME/.ssh/known_hosts"
export COMP_KNOWN_HOSTS_WITH_HOSTFILE= COMP_KNOWN_HOSTS_WITH_AVAHI=

# The fake usbip: what ours prints for these commands, and junk a foreign
# one might add (not offered).
cat > "$tmp/bin/usbip" <<'EOF'
#!/bin/sh
case "$*" in
"list -p -l")
	printf 'busid=1-1#usbid=0781:5567#\nbusid=1-2#usbid=046d:c31c#\n'
	printf 'busid=2-1.3#usbid=0781:ffff#\nbusid=$(touch @RAN@)#usbid=zzzz:1#\n'
	printf 'busid=1-9#usbid=$(touch @RAN@)#\n' ;;
port)
	printf 'Imported USB devices\n====================\n'
	for p in 00 04 15; do
		printf 'Port %s: <Port in Use> at High Speed(480Mbps)\n' $p
		printf '       SanDisk Corp. : Cruzer Blade (0781:5567)\n'
		printf '       3-1 -> usbip://srv:3240/1-1\n'
	done
	printf 'Supervised, not attached now\n       usbip://srv:3240 -b 1-1 supervised\n' ;;
*) exit 1 ;;
esac
EOF
sed -i "s|@RAN@|$tmp/ran|" "$tmp/bin/usbip"
chmod +x "$tmp/bin/usbip"
export PATH=$tmp/bin:$PATH

# The client configuration: the last servers= of [client] counts; the
# other groups' do not; items are trimmed; "\;" does not split; anything
# not shaped like a server name is left out, and a line too long to read
# whole is skipped, not read as several lines.
export USBIP_CONF=$tmp/usbip.conf
{
	printf '# servers=srv-comment\n[server]\nservers=srv-server\n'
	printf '[client]\n  servers = srv-old\r\n'
	printf 'servers = srv-a ;srv-b:3241; [::1]:3242;srv-$(touch %s/ran);srv\\;semi;\r\n' "$tmp"
	printf '%04096d' 0; printf 'servers=srv-long\n'
	printf '[other]\nservers=srv-other\n'
} > "$USBIP_CONF"
printf '[client]\nservers=srv-other-file\n' > "$tmp/files/other.conf"
: > "$tmp/files/usbip-a.conf"
: > "$tmp/files/usbip-b.conf"

load_completion || { echo "Bail out! cannot load the completion scripts"; exit 1; }

# expect NAME LINE [WORD...]: the completions of LINE are exactly WORDs.
expect() {
	local name=$1 line=$2 got want; shift 2
	got=$(completions "$line")
	want=$(printf '%s\n' "$@" | sort -u | sed '/^$/d')
	if [ "$got" = "$want" ]; then ok "$name"; else
		not_ok "$name" "line: '$line'" "want:" "$want" "got:" "$got"; fi
}
# expect_has NAME LINE WORD...: the completions of LINE include the WORDs.
expect_has() {
	local name=$1 line=$2 got w missed=""; shift 2
	got=$(completions "$line")
	for w; do grep -qxF -- "$w" <<< "$got" || missed+=" $w"; done
	if [ -z "$missed" ]; then ok "$name"; else
		not_ok "$name" "line: '$line'" "missing:$missed" "got:" "$got"; fi
}

commands="attach detach list bind unbind port version help"
check "complete -p usbip names _usbip" \
	test "$(complete -p usbip)" = "complete -F _usbip usbip"
check "complete -p usbipd names _usbipd" \
	test "$(complete -p usbipd)" = "complete -F _usbipd usbipd"

# Commands and global options.
expect "the commands" "usbip " $commands
expect "a command by its start" "usbip a" attach
expect "the global options" "usbip -" -d --debug -l --log -t --tcp-port --timeout \
	-h --help --config --tls-ca --tls-cert --tls-key
expect "global long options by their start" "usbip --t" --tcp-port --timeout \
	--tls-ca --tls-cert --tls-key
expect "the commands after global options and their values" \
	"usbip -d --tcp-port 3240 --timeout=5 --config /x " $commands
expect "the command after a short option cluster ending in -t and its value" \
	"usbip -dt 3240 li" list
expect "nothing for the --tcp-port value" "usbip --tcp-port "
expect "nothing for the --timeout value" "usbip --timeout="
expect "nothing after version" "usbip version "
expect "help: the commands it explains" "usbip help " attach detach list bind unbind port
expect "help: one command only" "usbip help list "

# Each command's options.
expect "attach's options" "usbip attach -" -r --remote -b --busid -d --device \
	-i --hardware-id --serial --persistent --foreground --discover -h --help
expect "detach's options" "usbip detach -" -p --port -h --help
expect "list's options" "usbip list -" -p --parsable -r --remote -l --local \
	-d --device -i --hardware-id --serial --json --discover -h --help
expect "bind's options" "usbip bind -" -b --busid -i --hardware-id --serial \
	--all --persist -h --help
expect "unbind's options" "usbip unbind --" --busid --hardware-id --serial \
	--all --persist --help
expect "port's options" "usbip port -" --json -h --help
expect "list's options again after -r HOST (-r is repeatable)" \
	"usbip list -r srv-a --j" --json
expect "a command's options, not the global ones" "usbip -d list --t"
expect "no options after an option's --opt=value form" "usbip bind --all="

# Values from usbip.
expect "bind -b: the local bus ids of usbip list -p -l" "usbip bind -b " 1-1 1-2 1-9 2-1.3
expect "bind --busid=: bus ids by their start" "usbip bind --busid=2" 2-1.3
expect "bind -i: the local VID:PIDs" "usbip bind -i " 0781:5567 046d:c31c 0781:ffff
expect "bind -i VID: the PIDs after the colon" "usbip bind -i 0781:" 5567 ffff
expect "list --hardware-id: the local VID:PIDs" "usbip list --hardware-id 04" 046d:c31c
expect "unbind -i: the local VID:PIDs" "usbip unbind -i 046d:c" c31c
expect "nothing for --serial" "usbip bind --serial "
expect "detach -p: the ports of usbip port" "usbip detach -p " 0 4 15
expect "detach --port=: ports by their start" "usbip detach --port=1" 15
expect "bind -b through sudo" "sudo usbip bind -b 1-" 1-1 1-2 1-9

# Servers: the configuration file and the known hosts.
expect_has "attach -r: the configured servers and the known hosts" \
	"usbip attach -r srv" srv-a srv-b:3241 srv-known
expect "attach -r: only the last servers= of [client], checked" \
	"usbip attach -r srv-" srv-a srv-b:3241 srv-known
expect "list -r: an IPv6 server" "usbip list -r [" "[::1]:3242"
expect "list -r HOST:: the port after the colon" "usbip list -r srv-b:" 3241
expect "list: a second -r" "usbip list -r srv-a -r srv-b" srv-b:3241
expect "--config on the line names the file" \
	"usbip --config $tmp/files/other.conf list -r srv-" srv-other-file srv-known
expect "--config=FILE on the line names the file" \
	"usbip --config=$tmp/files/other.conf attach -r srv-o" srv-other-file
USBIP_CONF=$tmp/files expect "a configuration that is not a file: the known hosts" \
	"usbip attach -r srv-" srv-known
USBIP_CONF=$tmp/none expect "no configuration file: the known hosts" \
	"usbip attach --remote srv-" srv-known
# compgen -W expands its words: a $(...) that got there would have run.
check "nothing in the file or in usbip's output ran" test ! -e "$tmp/ran"

# Files.
expect "usbip --config FILE" "usbip --config $tmp/files/usbip-" \
	"$tmp/files/usbip-a.conf" "$tmp/files/usbip-b.conf"
expect "usbip --tls-ca=FILE" "usbip --tls-ca=$tmp/files/usbip-a" "$tmp/files/usbip-a.conf"
expect "usbip --tls-cert FILE" "usbip --tls-cert $tmp/files/usbip-b" "$tmp/files/usbip-b.conf"
expect "usbip --tls-key FILE" "usbip --tls-key $tmp/files/o" "$tmp/files/other.conf"

# usbipd.
expect "usbipd's options" "usbipd -" -4 --ipv4 -6 --ipv6 -e --device -D --daemon \
	-d --debug -P --pid -t --tcp-port -h --help -v --version -c --config \
	--allow --listen --timeout --max-handshakes --max-per-source \
	--keepalive-idle --keepalive-interval --keepalive-count --rules \
	--no-mdns --tls-cert --tls-key --tls-ca --require-tls -l --log
# Every long option in a getopt table of the sources is offered: an option
# added to the C code without the completion fails here.
# long_options FILE: the names of the { "name", ... } rows of FILE's tables.
long_options() {
	sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", [a-z_]*_argument.*/--\1/p' "$1" | sort -u
}
expect_has "usbipd: every long option of usbipd.c" "usbipd --" \
	$(long_options "$abs_top_srcdir/usbipd/usbipd.c")
expect_has "usbip: every global long option of usbip.c" "usbip --" \
	$(long_options "$abs_top_srcdir/usbip/usbip.c")
for cmd in list attach detach bind unbind; do
	expect_has "usbip $cmd: every long option of $cmd.c" "usbip $cmd --" \
		$(long_options "$abs_top_srcdir/usbip/$cmd.c")
done
expect "usbipd long options by their start" "usbipd --keep" \
	--keepalive-idle --keepalive-interval --keepalive-count
expect "usbipd --config FILE" "usbipd --config $tmp/files/usbip-" \
	"$tmp/files/usbip-a.conf" "$tmp/files/usbip-b.conf"
expect "usbipd -c FILE" "usbipd -c $tmp/files/o" "$tmp/files/other.conf"
expect "usbipd --rules=FILE" "usbipd --rules=$tmp/files/o" "$tmp/files/other.conf"
expect "usbipd --pid FILE" "usbipd --pid $tmp/files/o" "$tmp/files/other.conf"
expect "usbipd -P then an option (its FILE is optional)" "usbipd -P --ipv" --ipv4 --ipv6
expect "nothing for usbipd --tcp-port" "usbipd --tcp-port "
expect "nothing for usbipd --allow=" "usbipd --allow="
expect_has "usbipd --listen: this machine's addresses" "usbipd --listen 127." 127.0.0.1

# Our usbip in a testbed: bind offers the devices it lists (no hubs), unbind
# the ones bound to usbip-host, detach the vhci ports in use.
if [ "$(id -u)" -ne 0 ] || ! command -v umockdev-run > /dev/null; then
	if [ -n "${CI:-}" ]; then
		not_ok "completion from our usbip in a testbed" "needs root and umockdev-run"
	else
		ok "completion from our usbip in a testbed # SKIP needs root and umockdev-run"
	fi
else
	bindir=$(ours_bin_dir)
	out=$(PATH=$bindir:$PATH "$TB_RUN" host-bound.umockdev:vhci.umockdev -- \
		"$BASH" "$0" --complete "usbip bind -b " "usbip unbind -b " \
		"usbip detach -p " "usbip list -i 0781:" 2>&1)
	rm -rf "$bindir"
	want=$(printf '%s\n' 1-1 1-2 1-3 1-4 1-5 1-6 1-7 2-1.3 2-2 -- \
		1-1 1-2 1-3 1-4 1-5 1-6 2-1.3 2-2 -- 0 1 15 2 4 -- 5567 ffff --)
	if [ "$out" = "$want" ]; then ok "completion from our usbip in a testbed"; else
		not_ok "completion from our usbip in a testbed" "want:" "$want" "got:" "$out"; fi
fi
tap_done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Makes what TLS between usbip and usbipd needs (usbip(8), TLS), with
# certtool (Debian: gnutls-bin):
#   usbip-make-certs.sh DIR ca                  DIR/ca.pem, DIR/ca-key.pem
#   usbip-make-certs.sh DIR server NAME...      DIR/server.pem, DIR/server-key.pem
#   usbip-make-certs.sh DIR client NAME         DIR/client-NAME.pem, DIR/client-NAME-key.pem
# A server's NAMEs are what clients give to -r: DNS names and IP addresses,
# each put in the certificate's subjectAltName (the client checks the name
# it connected to against these, never the CN).  A client's NAME is only
# its label (the server checks that the certificate chains to the CA).
# Keys are written mode 0600; the CA key signs every certificate: keep it
# off the machines that run usbip and usbipd.  DAYS (default 825) sets the
# validity.
set -eu

usage() {
	echo "usage: $0 DIR ca | DIR server NAME... | DIR client NAME" >&2
	exit 2
}
[ $# -ge 2 ] || usage
dir=$1 what=$2
shift 2
days=${DAYS:-825}
command -v certtool >/dev/null || { echo "$0: certtool not found: apt-get install gnutls-bin" >&2; exit 1; }
mkdir -p "$dir"
umask 077
tmpl=$(mktemp)
trap 'rm -f "$tmpl"' EXIT

key() {
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" 2>/dev/null
	chmod 600 "$1"
}

case $what in
ca)
	[ $# -eq 0 ] || usage
	key "$dir/ca-key.pem"
	printf 'cn = "usbip CA"\nca\ncert_signing_key\nexpiration_days = %s\n' "$days" > "$tmpl"
	certtool --generate-self-signed --load-privkey "$dir/ca-key.pem" --template "$tmpl" \
		--outfile "$dir/ca.pem" 2>/dev/null
	;;
server|client)
	[ $# -ge 1 ] || usage
	[ "$what" = server ] || [ $# -eq 1 ] || usage
	[ -f "$dir/ca.pem" ] && [ -f "$dir/ca-key.pem" ] || { echo "$0: make the CA first: $0 $dir ca" >&2; exit 1; }
	if [ "$what" = server ]; then base=$dir/server; else base=$dir/client-$1; fi
	key "$base-key.pem"
	{
		printf 'cn = "%s"\nexpiration_days = %s\nsigning_key\n' "$1" "$days"
		if [ "$what" = server ]; then
			echo tls_www_server
			for n in "$@"; do
				case $n in
				*[!0-9.]*) case $n in *:*) echo "ip_address = \"$n\"";; *) echo "dns_name = \"$n\"";; esac;;
				*) echo "ip_address = \"$n\"";;
				esac
			done
		else
			echo tls_www_client
		fi
	} > "$tmpl"
	certtool --generate-certificate --load-privkey "$base-key.pem" --load-ca-certificate "$dir/ca.pem" \
		--load-ca-privkey "$dir/ca-key.pem" --template "$tmpl" --outfile "$base.pem" 2>/dev/null
	chmod 644 "$base.pem"
	;;
*)
	usage
	;;
esac
chmod 644 "$dir/ca.pem"

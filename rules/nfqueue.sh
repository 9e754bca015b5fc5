#!/bin/bash
# NFQUEUE rules for running proxysimd -q without --redirect: the rules the
# daemon would install itself, in mangle's FORWARD chain, for TCP flows
# forwarded from IFACE to the ports (both directions: in on IFACE to a
# port, out on IFACE from one), with --queue-bypass so that traffic keeps
# flowing when no daemon reads the queue. Tagged "proxysim/qNUM/IF1,IF2"
# exactly as the daemon tags them, so `proxysimd --cleanup -q NUM -r IF`
# removes them too. iptables only: nft's queue statement is missing from
# some kernels this runs on.
set -eu

PROG=${PROXYSIM_RULES_PROG:-$(basename "$0")}

usage() {
	cat <<USAGE
Usage: $PROG up|down|status [-i IFACE]... [-q NUM] [-p PORTS]

Installs, removes or shows the NFQUEUE rules of one proxysimd -q instance
run without --redirect (iptables and ip6tables, mangle FORWARD).

  up        install the rules (replacing any with the same tag)
  down      remove the rules with this tag, and nothing else
  status    print the rules with this tag; exits 1 if there are none

  -i IFACE  the interface the clients are on (repeatable; needed)
  -q NUM    queue number (default 0)
  -p PORTS  server ports, e.g. 80,443,8000-8010 (default 80,443)
  -h        this text

Exit status: 0 success, 1 failure, 2 bad usage.
USAGE
}

usage_error() {
	echo "$PROG: $*" >&2
	echo "Try '$PROG -h'." >&2
	exit 2
}

VERB=
IFACES=()
QUEUE=0
PORTS=80,443
while [ $# -gt 0 ]; do
	case "$1" in
	up|down|status) [ -z "$VERB" ] || usage_error "one of up, down, status"; VERB=$1 ;;
	-i) [ $# -ge 2 ] || usage_error "-i needs an interface"; IFACES+=("$2"); shift ;;
	-q) [ $# -ge 2 ] || usage_error "-q needs a number"; QUEUE=$2; shift ;;
	-p) [ $# -ge 2 ] || usage_error "-p needs ports"; PORTS=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
	shift
done
[ -n "$VERB" ] || usage_error "up, down or status?"
[ ${#IFACES[@]} -gt 0 ] || usage_error "which interface (-i)?"
case "$QUEUE" in ''|*[!0-9]*) usage_error "queue '$QUEUE': a number" ;; esac
[ "$QUEUE" -le 65535 ] || usage_error "queue '$QUEUE': 0 to 65535"
PORTLIST=()
IFS=, read -ra parts <<<"$PORTS"
for p in "${parts[@]}"; do
	case "$p" in
	*[!0-9-]*|''|-*|*-) usage_error "ports '$PORTS': numbers and ranges" ;;
	esac
	PORTLIST+=("${p/-/:}")
done
TAG="proxysim/q$QUEUE/$(IFS=,; echo "${IFACES[*]}")"

# Deletes this tag's rules from mangle FORWARD; prints how many.
remove() {
	local bin=$1 n=0 line
	while IFS= read -r line; do
		case "$line" in
		"-A FORWARD "*"--comment \"$TAG\" "*|"-A FORWARD "*"--comment $TAG "*)
			eval "set -- ${line#-A }"
			"$bin" -w -t mangle -D "$@" && n=$((n + 1)) ;;
		esac
	done < <("$bin" -w -t mangle -S FORWARD)
	echo "$n"
}

case "$VERB" in
up)
	for bin in iptables ip6tables; do
		remove "$bin" >/dev/null
		for ifc in "${IFACES[@]}"; do
			for p in "${PORTLIST[@]}"; do
				"$bin" -w -t mangle -A FORWARD -i "$ifc" -p tcp --dport "$p" \
					-m comment --comment "$TAG" \
					-j NFQUEUE --queue-num "$QUEUE" --queue-bypass
				"$bin" -w -t mangle -A FORWARD -o "$ifc" -p tcp --sport "$p" \
					-m comment --comment "$TAG" \
					-j NFQUEUE --queue-num "$QUEUE" --queue-bypass
			done
		done
	done
	echo "$PROG: NFQUEUE rules installed ($TAG)"
	;;
down)
	n=0
	for bin in iptables ip6tables; do
		n=$((n + $(remove "$bin")))
	done
	echo "$PROG: removed $n rules ($TAG)"
	;;
status)
	found=1
	for bin in iptables ip6tables; do
		if "$bin" -w -t mangle -S FORWARD | grep -F -- "\"$TAG\""; then
			found=0
		fi
	done
	exit $found
	;;
esac

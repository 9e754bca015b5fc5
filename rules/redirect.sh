#!/bin/bash
# Capture rules for running proxysimd without --redirect: the REDIRECT or
# DNAT rules (or, with --tproxy, the TPROXY rules and policy routing) that
# the daemon would install itself, tagged "proxysim/LISTEN_PORT/IF1,IF2"
# exactly as the daemon tags them, so that these scripts and
# `proxysimd --cleanup` agree on which rules belong to which instance.
# tproxy.sh is this script with --tproxy.
set -eu

PROG=${PROXYSIM_RULES_PROG:-$(basename "$0")}

TAG_PREFIX=proxysim/
# The whole mark, not a bit: a bit would also match proxysimd's upstream
# packets whenever its --mark has that bit set.
TPROXY_MARK=0x1
TPROXY_TABLE=100

usage() {
	local what="REDIRECT rules (DNAT with -a) in the nat table"

	[ "$MODE" != tproxy ] || what="TPROXY rules in the mangle table and the
policy routing they need (fwmark $TPROXY_MARK lookup $TPROXY_TABLE)"
	cat <<EOF
Usage: $PROG up|down|status [-i IFACE]... [options]

Installs, removes or shows the capture rules of one proxysimd instance
run without --redirect: $what.
The rules are tagged "proxysim/LISTEN_PORT/IF1,IF2" like the daemon's
own; with the iptables backend, \`proxysimd --cleanup -l LISTEN_PORT
-r IF1 -r IF2\` removes them too. With nft, each instance is a table
"inet proxysim_LISTEN_PORT_IF1_IF2" whose comment is the tag.

  up        install the rules (replacing any with the same tag)
  down      remove the rules with this tag, and nothing else
  status    print the rules with this tag (without -i: every proxysim
            rule); exits 1 if there are none

  -i IFACE        capture TCP arriving on IFACE (repeatable; needed by up
                  and down; iptables' '+' wildcard is allowed)
  -p PORTS        destination ports, e.g. 80,443,8000-8010 (default 80,443)
  -l LISTEN_PORT  proxysimd's listening port (default 15080)
  -m MARK         firewall mark of proxysimd's upstream packets, which the
                  rules leave alone (default 0x7073)
  -b BACKEND      iptables (default) or nft
  -a LISTEN_ADDR  proxysimd listens on this address only: DNAT (or TPROXY)
                  to it, for its address family only
  --tproxy        TPROXY instead of REDIRECT/DNAT (what tproxy.sh does)
  -h, --help      this text

Exit status: 0 success, 1 failure, 2 bad usage.
EOF
}

usage_error() {
	echo "$PROG: $*" >&2
	echo "Try '$PROG --help'." >&2
	exit 2
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

warn() {
	echo "$PROG: $*" >&2
}

# --- Arguments ---

MODE=redirect
VERB=
IFACES=()
PORTS=80,443
LPORT=15080
MARK=0x7073
BACKEND=iptables
ADDR=

while [ $# -gt 0 ]; do
	case $1 in
	up|down|status)
		[ -z "$VERB" ] || usage_error "more than one verb: $VERB and $1"
		VERB=$1
		;;
	-i|-p|-l|-m|-b|-a)
		[ $# -ge 2 ] || usage_error "option $1 needs an argument"
		case $1 in
		-i) IFACES+=("$2") ;;
		-p) PORTS=$2 ;;
		-l) LPORT=$2 ;;
		-m) MARK=$2 ;;
		-b) BACKEND=$2 ;;
		-a) ADDR=$2 ;;
		esac
		shift
		;;
	--tproxy)
		MODE=tproxy
		;;
	-h|--help)
		usage
		exit 0
		;;
	-*)
		usage_error "unknown option \"$1\""
		;;
	*)
		usage_error "unknown verb \"$1\" (expected up, down or status)"
		;;
	esac
	shift
done

[ -n "$VERB" ] || usage_error "no verb given (expected up, down or status)"

# PORT: decimal, 1-65535. Prints it without leading zeros.
parse_port() {
	local v=$1

	[[ $v =~ ^[0-9]{1,5}$ ]] || return 1
	v=$((10#$v))
	[ "$v" -ge 1 ] && [ "$v" -le 65535 ] || return 1
	echo "$v"
}

LPORT_IN=$LPORT
LPORT=$(parse_port "$LPORT") ||
	usage_error "bad listen port \"$LPORT_IN\" in -l (a number from 1 to 65535)"

# Ports as "LO" or "LO-HI", normalised; the daemon's --ports syntax.
PORTLIST=()
IFS=, read -r -a port_items <<<"$PORTS"
[ -n "$PORTS" ] && [ "${PORTS: -1}" != , ] ||
	usage_error "bad port list \"$PORTS\" in -p (e.g. 80,443,8000-8010)"
for item in "${port_items[@]}"; do
	lo=${item%%-*}
	hi=${item#*-}
	if lo=$(parse_port "$lo") && hi=$(parse_port "$hi") &&
	    [[ $item =~ ^[0-9]+(-[0-9]+)?$ ]]; then
		[ "$hi" -ge "$lo" ] ||
			usage_error "bad port \"$item\" in -p: the range goes backwards"
		if [ "$lo" = "$hi" ]; then
			PORTLIST+=("$lo")
		else
			PORTLIST+=("$lo-$hi")
		fi
	else
		usage_error "bad port \"$item\" in -p (ports are numbers from 1 to 65535, or ranges LO-HI)"
	fi
done
[ "${#PORTLIST[@]}" -le 64 ] || usage_error "too many ports in -p (64 at most)"

# The daemon takes the mark with strtoul(base 0): decimal, 0x hex, 0 octal.
if [[ $MARK =~ ^0[xX]0*([0-9a-fA-F]{1,8})$ ]]; then
	mark_n=$((16#${BASH_REMATCH[1]}))
elif [[ $MARK =~ ^0+([0-7]{0,11})$ ]]; then
	mark_n=$((8#0${BASH_REMATCH[1]}))
elif [[ $MARK =~ ^[1-9][0-9]{0,9}$ ]]; then
	mark_n=$((10#$MARK))
else
	usage_error "bad mark \"$MARK\" in -m (a number from 1 to 0xffffffff)"
fi
[ "$mark_n" -ge 1 ] && [ "$mark_n" -le 4294967295 ] ||
	usage_error "bad mark \"$MARK\" in -m (a number from 1 to 0xffffffff)"
MARK=$(printf '0x%x' "$mark_n")
if [ "$MODE" = tproxy ] && [ "$MARK" = 0x1 ]; then
	usage_error "mark 0x1 in -m: the TPROXY rules use mark 1"
fi

case $BACKEND in
iptables|nft) ;;
*) usage_error "unknown backend \"$BACKEND\" in -b (iptables or nft)" ;;
esac

# Both families unless -a pins one.
FAMILIES=(4 6)
if [ -n "$ADDR" ]; then
	ADDR=${ADDR#\[}
	ADDR=${ADDR%\]}
	if [[ $ADDR =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
	    [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] &&
	    [ "${BASH_REMATCH[3]}" -le 255 ] && [ "${BASH_REMATCH[4]}" -le 255 ]; then
		FAMILIES=(4)
	elif [[ $ADDR =~ ^[0-9A-Fa-f:.]+$ && $ADDR == *:*:* ]]; then
		FAMILIES=(6)
	else
		usage_error "bad listen address \"$ADDR\" in -a (an IPv4 or IPv6 address)"
	fi
fi

# Same rules as the daemon's --redirect (settings_add_iface); duplicates
# are dropped there too, which keeps the tags identical.
UIFACES=()
for ifc in "${IFACES[@]}"; do
	[[ $ifc =~ ^[A-Za-z0-9._+@-]{1,15}$ ]] ||
		usage_error "bad interface name \"$ifc\" in -i (1 to 15 of A-Z a-z 0-9 . _ - + @)"
	dup=0
	for u in "${UIFACES[@]}"; do
		[ "$u" != "$ifc" ] || dup=1
	done
	[ "$dup" = 1 ] || UIFACES+=("$ifc")
done
IFACES=("${UIFACES[@]}")
[ "${#IFACES[@]}" -le 16 ] || usage_error "too many interfaces (16 at most)"

if [ "${#IFACES[@]}" -eq 0 ] && [ "$VERB" != status ]; then
	usage_error "$VERB needs at least one -i IFACE (the interfaces are part of the rules' tag)"
fi

TAG=$TAG_PREFIX$LPORT/$(IFS=,; echo "${IFACES[*]}")
# iptables' comment match holds 255 characters, nft's comments 127.
if [ "$BACKEND" = nft ] && [ "${#TAG}" -gt 127 ]; then
	usage_error "the tag \"$TAG\" is too long for nft (127 characters; use fewer or shorter interfaces)"
elif [ "${#TAG}" -gt 255 ]; then
	usage_error "the tag \"$TAG\" is too long (255 characters)"
fi

# --- Policy routing for TPROXY, shared by every TPROXY instance ---

local_net() {
	if [ "$1" = 4 ]; then echo 0.0.0.0/0; else echo ::/0; fi
}

has_route_rule() {
	ip -"$1" rule show 2>/dev/null |
		grep -Eq "fwmark $TPROXY_MARK lookup $TPROXY_TABLE( |\$)"
}

# TPROXY'd packets keep their foreign destination; the mark sends them to
# this table, whose only route delivers everything locally.
routing_up() {
	local f=$1

	if ! has_route_rule "$f"; then
		ip -"$f" rule add fwmark "$TPROXY_MARK" lookup "$TPROXY_TABLE" ||
			return 1
	fi
	ip -"$f" route replace local "$(local_net "$f")" dev lo \
	    table "$TPROXY_TABLE"
}

routing_down() {
	local f=$1

	if has_route_rule "$f"; then
		ip -"$f" rule del fwmark "$TPROXY_MARK" lookup "$TPROXY_TABLE" ||
			return 1
	fi
	ip -"$f" route del local "$(local_net "$f")" dev lo \
	    table "$TPROXY_TABLE" 2>/dev/null || true
}

routing_status() {
	local f=$1 r

	r=$(ip -"$f" rule show 2>/dev/null |
		grep -E "fwmark $TPROXY_MARK lookup $TPROXY_TABLE( |\$)") || return 0
	echo "ip -$f rule: $r"
	ip -"$f" route show table "$TPROXY_TABLE" 2>/dev/null |
		sed "s/^/ip -$f route table $TPROXY_TABLE: /"
}

# --- iptables ---

ipt() {
	if [ "$1" = 4 ]; then echo iptables; else echo ip6tables; fi
}

# Splits an `iptables -S` line into WORDS the way iptables quotes them:
# double quotes around values with spaces or quotes, backslash escapes
# inside (the daemon's fwrules_split does the same).
split_rule() {
	local line=$1 n=${#1} i=0 c w='' inword=0 inq=0

	WORDS=()
	while [ "$i" -lt "$n" ]; do
		c=${line:i:1}
		if [ "$inq" = 1 ]; then
			case $c in
			\\) i=$((i + 1)); w+=${line:i:1} ;;
			\") inq=0 ;;
			*) w+=$c ;;
			esac
		else
			case $c in
			' ')
				if [ "$inword" = 1 ]; then
					WORDS+=("$w")
					w=
					inword=0
				fi
				;;
			\") inq=1; inword=1 ;;
			*) w+=$c; inword=1 ;;
			esac
		fi
		i=$((i + 1))
	done
	if [ "$inword" = 1 ]; then
		WORDS+=("$w")
	fi
}

# The --comment value of WORDS, or nothing.
rule_comment() {
	local i

	for ((i = 0; i + 1 < ${#WORDS[@]}; i++)); do
		if [ "${WORDS[i]}" = --comment ]; then
			printf '%s\n' "${WORDS[i + 1]}"
			return 0
		fi
	done
}

# Prints the PREROUTING rules of FAMILY/TABLE whose comment is TAG (or,
# with an empty TAG, starts with proxysim/), one `-A ...` line each.
ipt_tagged() {
	local f=$1 table=$2 tag=$3 out line c

	out=$("$(ipt "$f")" -w -t "$table" -S PREROUTING) || return 1
	while IFS= read -r line; do
		case $line in
		"-A "*"${tag:-$TAG_PREFIX}"*) ;;
		*) continue ;;
		esac
		split_rule "$line"
		c=$(rule_comment)
		if [ -n "$tag" ] && [ "$c" = "$tag" ]; then
			echo "$line"
		elif [ -z "$tag" ] && [ "${c#"$TAG_PREFIX"}" != "$c" ]; then
			echo "$line"
		fi
	done <<<"$out"
}

# Both tables: the tag names an instance whichever mode it ran in, as
# for the daemon's --cleanup.
ipt_remove() {
	local f t lines line rc=0

	for f in 4 6; do
		command -v "$(ipt "$f")" >/dev/null 2>&1 || continue
		for t in nat mangle; do
			if ! lines=$(ipt_tagged "$f" "$t" "$TAG"); then
				warn "cannot list $(ipt "$f") -t $t PREROUTING"
				rc=1
				continue
			fi
			while IFS= read -r line; do
				[ -n "$line" ] || continue
				split_rule "$line"
				WORDS[0]=-D
				"$(ipt "$f")" -w -t "$t" "${WORDS[@]}" || {
					warn "could not remove rule: $line"
					rc=1
				}
			done <<<"$lines"
		done
	done
	return "$rc"
}

# TPROXY rules of other proxysim instances in FAMILY (iptables side).
ipt_tproxy_left() {
	local f=$1 line

	command -v "$(ipt "$f")" >/dev/null 2>&1 || return 0
	ipt_tagged "$f" mangle "" 2>/dev/null | while IFS= read -r line; do
		split_rule "$line"
		case " ${WORDS[*]} " in
		*" TPROXY "*) echo "$line" ;;
		esac
	done
}

ipt_add() {
	local f=$1 table=$2

	shift 2
	"$(ipt "$f")" -w -t "$table" -A PREROUTING "$@" -m comment \
	    --comment "$TAG" "${TARGET[@]}"
}

ipt_install() {
	local f ifc p dport onip dst

	for f in "${FAMILIES[@]}"; do
		if [ "$MODE" = tproxy ]; then
			TARGET=(-j MARK --set-mark "$TPROXY_MARK")
			ipt_add "$f" mangle -p tcp -m socket --transparent ||
				return 1
			routing_up "$f" || return 1
			if [ -n "$ADDR" ]; then
				onip=$ADDR
			elif [ "$f" = 4 ]; then
				onip=0.0.0.0
			else
				onip=::
			fi
			TARGET=(-j TPROXY --on-port "$LPORT" --on-ip "$onip"
			    --tproxy-mark "$TPROXY_MARK")
		elif [ -n "$ADDR" ]; then
			if [ "$f" = 4 ]; then
				dst=$ADDR:$LPORT
			else
				dst=[$ADDR]:$LPORT
			fi
			TARGET=(-j DNAT --to-destination "$dst")
		else
			TARGET=(-j REDIRECT --to-ports "$LPORT")
		fi
		for ifc in "${IFACES[@]}"; do
			for p in "${PORTLIST[@]}"; do
				dport=${p/-/:}
				if [ "$MODE" = tproxy ]; then
					ipt_add "$f" mangle -i "$ifc" -p tcp \
					    --dport "$dport" -m mark ! \
					    --mark "$MARK" || return 1
				else
					ipt_add "$f" nat -i "$ifc" -p tcp \
					    --dport "$dport" -m mark ! \
					    --mark "$MARK" || return 1
				fi
			done
		done
	done
}

ipt_status() {
	local f t line tag='' found=1

	[ "${#IFACES[@]}" -eq 0 ] || tag=$TAG
	for f in 4 6; do
		command -v "$(ipt "$f")" >/dev/null 2>&1 || continue
		for t in nat mangle; do
			while IFS= read -r line; do
				[ -n "$line" ] || continue
				echo "$(ipt "$f") -t $t $line"
				found=0
			done < <(ipt_tagged "$f" "$t" "$tag")
		done
	done
	return "$found"
}

# --- nft ---

# One table per instance. nft names allow fewer characters than the tag,
# so the exact tag is also the table's comment, checked before touching it.
nft_table_name() {
	local rest=${1#"$TAG_PREFIX"}

	echo "proxysim_${rest//[^A-Za-z0-9]/_}"
}

NFT_TABLE=$(nft_table_name "$TAG")

nft_has_table() {
	nft list table inet "$1" >/dev/null 2>&1
}

nft_table_comment() {
	nft list table inet "$1" 2>/dev/null | awk '
		/^[ \t]*chain / { exit }
		/^[ \t]*comment "/ {
			sub(/^[ \t]*comment "/, ""); sub(/"[ \t]*;?[ \t]*$/, "")
			print; exit
		}'
}

nft_check_ours() {
	local c

	nft_has_table "$NFT_TABLE" || return 0
	c=$(nft_table_comment "$NFT_TABLE")
	[ "$c" = "$TAG" ] ||
		die "table inet $NFT_TABLE exists but is not tagged \"$TAG\" (its comment: \"$c\"); not touching it"
}

nft_proxysim_tables() {
	nft list tables inet 2>/dev/null |
		sed -n 's/^table inet \(proxysim_[A-Za-z0-9_]*\)$/\1/p'
}

# TPROXY rules of other proxysim instances in FAMILY (nft side).
nft_tproxy_left() {
	local f=$1 t want

	command -v nft >/dev/null 2>&1 || return 0
	if [ "$f" = 4 ]; then want='tproxy ip to'; else want='tproxy ip6 to'; fi
	for t in $(nft_proxysim_tables); do
		if nft list table inet "$t" 2>/dev/null | grep -q "$want"; then
			echo "$t"
		fi
	done
}

nft_ruleset() {
	local set ifc nif f to

	set=$(IFS=,; echo "${PORTLIST[*]}")
	set=${set//,/, }
	echo "table inet $NFT_TABLE"
	echo "delete table inet $NFT_TABLE"
	echo "table inet $NFT_TABLE {"
	echo "	comment \"$TAG\""
	if [ "$MODE" = tproxy ]; then
		echo "	chain capture {"
		echo "		type filter hook prerouting priority mangle; policy accept;"
		echo "		meta l4proto tcp socket transparent 1 meta mark set 0x1"
	else
		echo "	chain capture {"
		echo "		type nat hook prerouting priority dstnat; policy accept;"
	fi
	for ifc in "${IFACES[@]}"; do
		# iptables' "eth+" is nft's "eth*".
		nif=${ifc%+}
		[ "$nif" = "$ifc" ] || nif=$nif\*
		for f in "${FAMILIES[@]}"; do
			if [ "$MODE" = tproxy ]; then
				if [ "$f" = 4 ]; then
					to="ip to ${ADDR}:$LPORT"
				else
					to="ip6 to ${ADDR:+[$ADDR]}:$LPORT"
				fi
				echo "		iifname \"$nif\" meta nfproto ipv$f tcp dport { $set } meta mark != $MARK tproxy $to meta mark set 0x1 accept"
			elif [ -z "$ADDR" ]; then
				# One rule serves both families.
				echo "		iifname \"$nif\" tcp dport { $set } meta mark != $MARK redirect to :$LPORT"
				break
			elif [ "$f" = 4 ]; then
				echo "		iifname \"$nif\" meta nfproto ipv4 tcp dport { $set } meta mark != $MARK dnat ip to $ADDR:$LPORT"
			else
				echo "		iifname \"$nif\" meta nfproto ipv6 tcp dport { $set } meta mark != $MARK dnat ip6 to [$ADDR]:$LPORT"
			fi
		done
	done
	echo "	}"
	echo "}"
}

nft_install() {
	local f

	nft_ruleset | nft -f - || return 1
	if [ "$MODE" = tproxy ]; then
		for f in "${FAMILIES[@]}"; do
			routing_up "$f" || return 1
		done
	fi
}

nft_remove() {
	nft_has_table "$NFT_TABLE" || return 0
	nft delete table inet "$NFT_TABLE"
}

nft_status() {
	local t c found=1

	if [ "${#IFACES[@]}" -gt 0 ]; then
		if nft_has_table "$NFT_TABLE"; then
			nft list table inet "$NFT_TABLE"
			found=0
		fi
		return "$found"
	fi
	for t in $(nft_proxysim_tables); do
		c=$(nft_table_comment "$t")
		[ "${c#"$TAG_PREFIX"}" != "$c" ] || continue
		nft list table inet "$t"
		found=0
	done
	return "$found"
}

# --- Verbs ---

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found (is the $2 package installed?)"
}

if [ "$BACKEND" = iptables ]; then
	need iptables iptables
	need ip6tables iptables
else
	need nft nftables
	nft_check_ours
fi
if [ "$MODE" = tproxy ]; then
	need ip iproute2
fi

# The policy routing goes with the last TPROXY rule of its family.
tproxy_routing_down() {
	local f rc=0

	for f in 4 6; do
		if [ -z "$(ipt_tproxy_left "$f")$(nft_tproxy_left "$f")" ]; then
			routing_down "$f" || rc=1
		fi
	done
	return "$rc"
}

case $VERB in
up)
	if [ "$BACKEND" = iptables ]; then
		# A previous run with this tag left these: start clean.
		ipt_remove || die "could not remove the old rules tagged $TAG"
		if ! ipt_install; then
			ipt_remove || true
			[ "$MODE" != tproxy ] || tproxy_routing_down || true
			die "could not install the rules tagged $TAG (removed again)"
		fi
	else
		if ! nft_install; then
			nft_remove 2>/dev/null || true
			[ "$MODE" != tproxy ] || tproxy_routing_down || true
			die "could not install table inet $NFT_TABLE (removed again)"
		fi
	fi
	;;
down)
	rc=0
	if [ "$BACKEND" = iptables ]; then
		ipt_remove || rc=1
	else
		nft_remove || rc=1
	fi
	if [ "$MODE" = tproxy ]; then
		tproxy_routing_down || rc=1
	fi
	exit "$rc"
	;;
status)
	found=1
	if [ "$BACKEND" = iptables ]; then
		if ipt_status; then found=0; fi
	elif nft_status; then
		found=0
	fi
	if [ "$MODE" = tproxy ] && [ "$found" = 0 ]; then
		for f in "${FAMILIES[@]}"; do
			routing_status "$f"
		done
	fi
	if [ "$found" = 1 ]; then
		if [ "${#IFACES[@]}" -gt 0 ]; then
			echo "no rules tagged $TAG"
		else
			echo "no proxysim rules"
		fi
		exit 1
	fi
	;;
esac

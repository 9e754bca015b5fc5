#!/bin/bash
# rules/redirect.sh and rules/tproxy.sh, with both backends, inside two
# private network namespaces (a client routed through a middlebox): the
# rules appear, really capture traffic, go away on down leaving the
# firewall and policy routing as they were, and one instance's down
# spares another's. TAP output; skips unless root with `ip netns`.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
RULES=$top_srcdir/rules

N=0
pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() { N=$((N + 1)); echo "not ok $N - $1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# t DESC CMD...: passes if CMD exits 0; its stderr shows only on failure.
t() {
	local desc=$1

	shift
	if "$@" 2>"$ERRF"; then
		pass "$desc"
	else
		fail "$desc"
		sed 's/^/# /' "$ERRF"
	fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:" "$1" "want:" "$2"
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
for tool in ip iptables ip6tables nft socat; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "needs $tool"
done

CLI=psrs-$$-cli
MB=psrs-$$-mb
ERRF=$(mktemp)

cleanup() {
	local ns

	for ns in "$CLI" "$MB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(ip netns pids "$CLI" 2>/dev/null)$(ip netns pids "$MB" 2>/dev/null)" ] &&
			break
		sleep 0.1
	done
	for ns in "$CLI" "$MB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "$ERRF"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$CLI" 2>/dev/null || skip_all "cannot create network namespaces"
ip netns add "$MB" || skip_all "cannot create network namespaces"

cli() { ip netns exec "$CLI" "$@"; }
mb() { ip netns exec "$MB" "$@"; }

# The scripts run from / to show they find their way from anywhere.
rs() { (cd / && mb "$RULES/redirect.sh" "$@"); }
tp() { (cd / && mb "$RULES/tproxy.sh" "$@"); }

# Client eth0 <-> middlebox mbc0; mbx0 (a veth whose peer stays in the
# middlebox) is a second interface for a second instance. The far
# addresses 198.18.2.2 and fd00:5053:2::2 exist nowhere: only capture
# answers them.
setup() {
	cli ip link set lo up &&
	mb ip link set lo up &&
	ip -n "$CLI" link add eth0 type veth peer name mbc0 netns "$MB" &&
	mb ip link add mbx0 type veth peer name mbx1 &&
	cli ip link set eth0 up &&
	mb ip link set mbc0 up &&
	mb ip link set mbx0 up &&
	mb ip link set mbx1 up &&
	cli ip addr add 198.18.0.2/24 dev eth0 &&
	cli ip addr add fd00:5053:1::2/64 dev eth0 nodad &&
	mb ip addr add 198.18.0.1/24 dev mbc0 &&
	mb ip addr add fd00:5053:1::1/64 dev mbc0 nodad &&
	cli ip route add default via 198.18.0.1 &&
	cli ip -6 route add default via fd00:5053:1::1 &&
	mb sysctl -qw net.ipv4.ip_forward=1 &&
	mb sysctl -qw net.ipv6.conf.all.forwarding=1
}
setup || { echo "Bail out! could not set up the namespaces"; exit 1; }

# Listeners standing in for proxysimd: each says which one it is and the
# local address of the accepted socket (the original destination under
# TPROXY, the middlebox's own address under REDIRECT).
for port in 15080 15081; do
	for fam in 4 6; do
		opts="fork,reuseaddr,ip-transparent"
		[ "$fam" = 6 ] && opts="$opts,ipv6only=1"
		mb socat "TCP$fam-LISTEN:$port,$opts" \
		    SYSTEM:"echo L$port \$SOCAT_SOCKADDR \$SOCAT_SOCKPORT" \
		    </dev/null >/dev/null 2>&1 &
	done
done
for _ in $(seq 1 50); do
	[ "$(mb ss -Hltn 'sport = :15080 or sport = :15081' | wc -l)" -ge 4 ] && break
	sleep 0.05
done

# fetch 4|6 ADDR PORT: what the client gets connecting there.
fetch() {
	local a=$2

	[ "$1" = 6 ] && a="[$2]"
	cli socat -T 3 -u "TCP$1:$a:$3,connect-timeout=3" STDOUT 2>/dev/null
}

FAR4=198.18.2.2
FAR6=fd00:5053:2::2
FAR6_FULL=fd00:5053:2:0:0:0:0:2

# socat 1.7 prints IPv6 addresses with every group in full; one form.
v6trim() {
	sed -E "s/[][]//g; s/(^| |:)0+([0-9a-f])/\\1\\2/g; s/ $FAR6 / $FAR6_FULL /"
}

# Everything `down` must restore. (A routing table that was never used
# lists as an error, one emptied again as nothing: the same to us.)
snap() {
	mb iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]$//'
	mb ip6tables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]$//'
	mb nft -s list ruleset 2>/dev/null
	mb ip -4 rule
	mb ip -6 rule
	mb ip -4 route show table 100 2>/dev/null | grep -v '^Dump terminated'
	mb ip -6 route show table 100 2>/dev/null | grep -v '^Dump terminated'
}

same_as() {
	local now

	now=$(snap)
	[ "$now" = "$1" ] && return 0
	diag "differs from before up:"
	diff <(echo "$1") <(echo "$now") | sed 's/^/# /'
	return 1
}

# Rules of other parties, some lookalikes, which must survive every down.
for ipt in iptables ip6tables; do
	mb "$ipt" -w -t nat -A PREROUTING -i mbc0 -p tcp --dport 9 \
	    -m comment --comment proxysim/15080/mbc0x -j REDIRECT --to-ports 9
	mb "$ipt" -w -t mangle -A PREROUTING -p udp --dport 9 \
	    -m comment --comment "not ours" -j ACCEPT
done
mb nft -f - <<'EOF'
table inet bystander {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		udp dport 9 accept
	}
}
table inet proxysim_15080_mbc9 {
	comment "proxysim/15080/mbc9"
}
EOF

# Rules carrying TAG: iptables lines, or 1 if the nft table exists.
count() {
	local b=$1 tag=$2 name

	if [ "$b" = iptables ]; then
		{ mb iptables-save; mb ip6tables-save; } |
			grep -cF -- "--comment \"$tag\""
	else
		name=proxysim_$(echo "${tag#proxysim/}" | tr -c 'A-Za-z0-9\n' _)
		mb nft list table inet "$name" 2>/dev/null |
			grep -cF "comment \"$tag\""
	fi
}

quiet() {
	local out

	out=$("$@" 2>&1) || { diag "$out"; return 1; }
	[ -z "$out" ] || { diag "unexpected output:" "$out"; return 1; }
}

# The TPROXY policy routing, in both families.
has_routing() {
	local f

	for f in 4 6; do
		mb ip -"$f" rule | grep -q 'fwmark 0x1 lookup 100' &&
		mb ip -"$f" route show table 100 | grep -q '^local default dev lo' ||
			return 1
	done
}

# fails CMD...: passes if CMD fails; its output is not TAP.
fails() {
	! "$@" >/dev/null 2>&1
}

# in_out PATTERN... -- CMD...: CMD succeeds and its output has every PATTERN.
in_out() {
	local pats=() out p

	while [ "$1" != -- ]; do pats+=("$1"); shift; done
	shift
	out=$("$@") || return 1
	for p in "${pats[@]}"; do
		grep -qF -- "$p" <<<"$out" || { diag "no \"$p\" in:" "$out"; return 1; }
	done
}

redirect_tests() {
	local b=$1 base

	base=$(snap)
	t "$b redirect: up" rs up -b "$b" -i mbc0
	if [ "$b" = iptables ]; then
		t "$b redirect: REDIRECT rules for ports 80 and 443, IPv4 and IPv6" \
		    test "$(count "$b" proxysim/15080/mbc0)" -eq 4
		t "$b redirect: the rule is the daemon's" \
		    grep -qxF -- '-A PREROUTING -i mbc0 -p tcp -m tcp --dport 443 -m mark ! --mark 0x7073 -m comment --comment "proxysim/15080/mbc0" -j REDIRECT --to-ports 15080' \
		    <(mb ip6tables-save)
	else
		t "$b redirect: table inet proxysim_15080_mbc0 tagged proxysim/15080/mbc0" \
		    test "$(count "$b" proxysim/15080/mbc0)" -eq 1
		t "$b redirect: the rule" \
		    grep -qF 'iifname "mbc0" tcp dport { 80, 443 } meta mark != 0x00007073 redirect to :15080' \
		    <(mb nft list table inet proxysim_15080_mbc0)
	fi
	t "$b redirect: status shows them" in_out proxysim/15080/mbc0 \
	    -- rs status -b "$b" -i mbc0
	is "$(fetch 4 "$FAR4" 80 | cut -d' ' -f1)" L15080 "$b redirect: IPv4 port 80 captured"
	is "$(fetch 6 "$FAR6" 443 | cut -d' ' -f1)" L15080 "$b redirect: IPv6 port 443 captured"

	t "$b redirect: second instance (-l 15081 -p 8080) up" \
	    rs up -b "$b" -i mbc0 -l 15081 -p 8080
	t "$b redirect: third instance (-i mbx0) up" rs up -b "$b" -i mbx0
	t "$b redirect: up again replaces, not duplicates" rs up -b "$b" -i mbx0
	t "$b redirect: down of the first" rs down -b "$b" -i mbc0
	is "$(count "$b" proxysim/15080/mbc0)" 0 "$b redirect: the first's rules are gone"
	if [ "$b" = iptables ]; then
		is "$(count "$b" proxysim/15081/mbc0)/$(count "$b" proxysim/15080/mbx0)" 2/4 \
		    "$b redirect: the others' rules are intact"
	else
		is "$(count "$b" proxysim/15081/mbc0)/$(count "$b" proxysim/15080/mbx0)" 1/1 \
		    "$b redirect: the others' tables are intact"
	fi
	is "$(fetch 4 "$FAR4" 80)" "" "$b redirect: port 80 no longer captured"
	is "$(fetch 4 "$FAR4" 8080 | cut -d' ' -f1)" L15081 "$b redirect: port 8080 still captured by the second"
	t "$b redirect: down of the second" rs down -b "$b" -i mbc0 -l 15081
	t "$b redirect: down of the third" rs down -b "$b" -i mbx0
	t "$b redirect: firewall as before up" same_as "$base"
	t "$b redirect: down with nothing installed succeeds quietly" \
	    quiet rs down -b "$b" -i mbc0
	t "$b redirect: status with nothing installed exits 1" \
	    fails rs status -b "$b" -i mbc0

	t "$b redirect: up -a 198.18.0.1 (DNAT)" rs up -b "$b" -i mbc0 -a 198.18.0.1
	if [ "$b" = iptables ]; then
		is "$(mb iptables-save | grep -F 'proxysim/15080/mbc0"' | grep -c 'DNAT --to-destination 198.18.0.1:15080')/$(mb ip6tables-save | grep -cF 'proxysim/15080/mbc0"')" \
		    2/0 "$b redirect: DNAT rules for IPv4 only"
	else
		is "$(mb nft list table inet proxysim_15080_mbc0 | grep -c 'meta nfproto ipv4 .* dnat ip to 198.18.0.1:15080')/$(mb nft list table inet proxysim_15080_mbc0 | grep -c 'ip6')" \
		    1/0 "$b redirect: DNAT rule for IPv4 only"
	fi
	is "$(fetch 4 "$FAR4" 443)" "L15080 198.18.0.1 15080" "$b redirect: DNAT captures"
	t "$b redirect: down after DNAT" rs down -b "$b" -i mbc0
	t "$b redirect: firewall as before up" same_as "$base"
}

tproxy_tests() {
	local b=$1 base

	base=$(snap)
	t "$b tproxy: up" tp up -b "$b" -i mbc0
	if [ "$b" = iptables ]; then
		t "$b tproxy: socket and TPROXY rules, IPv4 and IPv6" \
		    test "$(count "$b" proxysim/15080/mbc0)" -eq 6
		t "$b tproxy: the socket rule is the daemon's" \
		    grep -qxF -- '-A PREROUTING -p tcp -m socket --transparent -m comment --comment "proxysim/15080/mbc0" -j MARK --set-xmark 0x1/0xffffffff' \
		    <(mb iptables-save)
		t "$b tproxy: the TPROXY rule is the daemon's" \
		    grep -qxF -- '-A PREROUTING -i mbc0 -p tcp -m tcp --dport 80 -m mark ! --mark 0x7073 -m comment --comment "proxysim/15080/mbc0" -j TPROXY --on-port 15080 --on-ip :: --tproxy-mark 0x1/0xffffffff' \
		    <(mb ip6tables-save)
	else
		t "$b tproxy: table inet proxysim_15080_mbc0 tagged proxysim/15080/mbc0" \
		    test "$(count "$b" proxysim/15080/mbc0)" -eq 1
		t "$b tproxy: socket and tproxy rules for both families" in_out \
		    'meta l4proto tcp socket transparent 1 meta mark set 0x00000001' \
		    'iifname "mbc0" meta nfproto ipv4 tcp dport { 80, 443 } meta mark != 0x00007073 tproxy ip to :15080 meta mark set 0x00000001 accept' \
		    'iifname "mbc0" meta nfproto ipv6 tcp dport { 80, 443 } meta mark != 0x00007073 tproxy ip6 to :15080 meta mark set 0x00000001 accept' \
		    -- mb nft list table inet proxysim_15080_mbc0
	fi
	t "$b tproxy: policy routing, IPv4 and IPv6" has_routing
	t "$b tproxy: status shows rules and routing" in_out \
	    'proxysim/15080/mbc0' 'fwmark 0x1 lookup 100' \
	    -- tp status -b "$b" -i mbc0
	is "$(fetch 4 "$FAR4" 80)" "L15080 198.18.2.2 80" \
	    "$b tproxy: IPv4 captured, original destination kept"
	is "$(fetch 6 "$FAR6" 80 | v6trim)" "L15080 $FAR6_FULL 80" \
	    "$b tproxy: IPv6 captured, original destination kept"

	t "$b tproxy: second instance (-l 15081 -p 8080) up" \
	    tp up -b "$b" -i mbc0 -l 15081 -p 8080
	t "$b tproxy: down of the first" tp down -b "$b" -i mbc0
	if [ "$b" = iptables ]; then
		is "$(count "$b" proxysim/15080/mbc0)/$(count "$b" proxysim/15081/mbc0)" 0/4 \
		    "$b tproxy: the first's rules are gone, the second's intact"
	else
		is "$(count "$b" proxysim/15080/mbc0)/$(count "$b" proxysim/15081/mbc0)" 0/1 \
		    "$b tproxy: the first's table is gone, the second's intact"
	fi
	t "$b tproxy: the policy routing stays for the second" has_routing
	is "$(fetch 4 "$FAR4" 8080)" "L15081 198.18.2.2 8080" \
	    "$b tproxy: port 8080 still captured by the second"
	is "$(fetch 4 "$FAR4" 80)" "" "$b tproxy: port 80 no longer captured"
	t "$b tproxy: down of the second" tp down -b "$b" -i mbc0 -l 15081
	t "$b tproxy: firewall and policy routing as before up" same_as "$base"
	t "$b tproxy: down with nothing installed succeeds quietly" \
	    quiet tp down -b "$b" -i mbc0
}

for b in iptables nft; do
	redirect_tests "$b"
	tproxy_tests "$b"
done

# nft names are sanitized tags; a table of that name with another tag is
# someone else's.
mb nft add table inet proxysim_15080_mbx0 '{ comment "someone else"; }'
before=$(mb nft list table inet proxysim_15080_mbx0)
t "nft: up refuses a same-named table with another tag" fails rs up -b nft -i mbx0
t "nft: down refuses it too" fails rs down -b nft -i mbx0
is "$(mb nft list table inet proxysim_15080_mbx0)" "$before" "nft: that table is untouched"
mb nft delete table inet proxysim_15080_mbx0

# usage_is SCRIPT-FN PATTERN ARGS...: exit status 2, stderr matches.
usage_is() {
	local fn=$1 pat=$2 err rc

	shift 2
	err=$("$fn" "$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "$pat" <<<"$err" && return 0
	diag "exit $rc: $err"
	return 1
}

for fn in rs tp; do
	name=redirect.sh
	[ "$fn" = tp ] && name=tproxy.sh
	t "$name: unknown verb exits 2" usage_is "$fn" 'unknown verb "sideways"' sideways -i mbc0
	t "$name: port 99999 exits 2" usage_is "$fn" 'bad port "99999"' up -i mbc0 -p 80,99999
	t "$name: backwards range exits 2" usage_is "$fn" 'bad port "90-80"' up -i mbc0 -p 90-80
	t "$name: port 0 exits 2" usage_is "$fn" 'bad port "0"' up -i mbc0 -p 0
	t "$name: bad listen port exits 2" usage_is "$fn" 'bad listen port "http"' up -i mbc0 -l http
	t "$name: unknown backend exits 2" usage_is "$fn" 'unknown backend "pf"' up -i mbc0 -b pf
	t "$name: unknown option exits 2" usage_is "$fn" 'unknown option "-x"' up -i mbc0 -x
	t "$name: up without -i exits 2" usage_is "$fn" 'needs at least one -i' up
	t "$name: no verb exits 2" usage_is "$fn" 'no verb' -i mbc0
done

echo "1..$N"

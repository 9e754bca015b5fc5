# Shared helpers for the integration tests: TAP output, and a private lab
# (network namespaces via proxysim-lab) torn down on exit. Sourced.
set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PROXYSIMD="$top_builddir/proxysimd"
export WSPROBE="$top_builddir/wsprobe"
export PROXYSIM_PEERS="$top_srcdir/tests/peers"
export PROXYSIM_PROFILES="$top_srcdir/rules/profiles"
export PROXYSIM_LAB_STATE="${TMPDIR:-/tmp}/proxysim-lab-tests"
PY=/usr/bin/python3
PEERS=$PROXYSIM_PEERS

T_N=0
T_FAILED=0

# ok DESC CMD...: runs CMD; passes if it exits 0.
ok() {
	local desc=$1; shift
	T_N=$((T_N + 1))
	if "$@"; then
		echo "ok $T_N - $desc"
	else
		echo "not ok $T_N - $desc"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# is GOT WANT DESC
is() {
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T_N - $3"
	else
		echo "not ok $T_N - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		T_FAILED=$((T_FAILED + 1))
	fi
}

diag() { echo "# $*"; }

# quiet CMD...: CMD with its output discarded (for use after ok).
quiet() { "$@" >/dev/null 2>&1; }

done_testing() {
	# Stopped here so that what it prints on exit (a sanitizer's leak
	# report, say) is read before the lab goes.
	if [ -n "$LAB" ] && [ -d "$LABDIR" ]; then
		lab daemon stop >/dev/null 2>&1
		ok "the daemon's stderr has no sanitizer report" \
			sh -c "! grep -Eq 'Sanitizer|runtime error' '$LABDIR/proxysimd.log'"
	fi
	echo "1..$T_N"
	exit 0
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# Integration tests need root and network namespaces.
require_netns() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
	command -v ip >/dev/null 2>&1 || skip_all "needs iproute2"
	command -v iptables >/dev/null 2>&1 || skip_all "needs iptables"
	[ -x "$PY" ] && "$PY" -c 'import websockets' 2>/dev/null ||
		skip_all "needs python3-websockets"
	local probe="psl-probe-$$"
	ip netns add "$probe" 2>/dev/null || skip_all "cannot create network namespaces"
	ip netns del "$probe"
}

# test_pki [SAN,...]: a throwaway CA ($pki/ca.pem, ca.key) and a
# server1.lab certificate signed by it ($pki/srv.pem, srv.key) in
# $LABDIR/pki, valid for server1.lab, 198.18.2.2 and fd00:18:2::2 and
# whatever SAN entries are given ("DNS:x.lab,IP:...").
test_pki() {
	pki="$LABDIR/pki"
	mkdir -p "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=test CA" \
		-keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=server1.lab" \
		-keyout "$pki/srv.key" -out "$pki/srv.csr" 2>/dev/null
	printf 'subjectAltName=DNS:server1.lab,IP:198.18.2.2,IP:fd00:18:2::2%s\n' \
		"${1:+,$1}" >"$pki/ext"
	openssl x509 -req -in "$pki/srv.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 1 -extfile "$pki/ext" -out "$pki/srv.pem" 2>/dev/null ||
		{ echo "Bail out! could not make the test certificates"; exit 1; }
}

# lab_start [UP-ARGS]: a lab private to this test, removed on exit.
LAB=
lab_start() {
	LAB="t$(basename "$0" .sh | tr -cd 'a-z0-9' | cut -c1-8)$$"
	LAB=$(echo "$LAB" | cut -c1-20)
	LABDIR="$PROXYSIM_LAB_STATE/$LAB"
	trap lab_cleanup EXIT
	"$top_builddir/proxysim-lab" -n "$LAB" up "$@" >/dev/null ||
		{ echo "Bail out! the lab did not come up"; exit 1; }
	EVENTS="$LABDIR/events.jsonl"
}

lab_cleanup() {
	[ -n "$LAB" ] && "$top_builddir/proxysim-lab" -n "$LAB" down >/dev/null 2>&1
	LAB=
}

lab() { "$top_builddir/proxysim-lab" -n "$LAB" "$@"; }
on() { local r=$1; shift; ip netns exec "psl-$LAB-$r" "$@"; }

# bg ROLE OUTFILE CMD...: a background peer; waits for its "ready" line.
bg() {
	local r=$1 out=$2 i; shift 2
	on "$r" "$@" >"$out" 2>&1 &
	for i in $(seq 1 100); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	diag "peer did not start: $*"
	sed 's/^/#   /' "$out"
	return 1
}

# jq-like queries on the event log, in Python (no jq dependency).
# events_query EXPR: EXPR sees `ev` (a list of dicts); prints its value.
events_query() {
	"$PY" - "$EVENTS" "$1" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v = eval(sys.argv[2], {"ev": ev})
print(v if not isinstance(v, bool) else ("true" if v else "false"))
PY
}

# Waits until the event log holds N flow_close events (or 5 s pass).
wait_closes() {
	local n=$1 i
	for i in $(seq 1 100); do
		[ "$(grep -c '"event":"flow_close"' "$EVENTS" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

daemon_alive() {
	[ -f "$LABDIR/proxysimd.pid" ] && kill -0 "$(cat "$LABDIR/proxysimd.pid")" 2>/dev/null
}

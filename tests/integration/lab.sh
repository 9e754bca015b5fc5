#!/bin/bash
# proxysim-lab: up builds the topology and starts the daemon, down leaves
# nothing behind, bad usage exits 2, and the demo (the README's main job)
# echoes on ports 80 and 443 and prints what the middlebox logged.
. "$(dirname "$0")/lib.sh"
require_netns
L="$top_builddir/proxysim-lab"
name="tlab$$"

snapshot() {
	{ ip netns list | grep "psl-$name-" ; ls /etc/netns 2>/dev/null | grep "psl-$name-";
	  ip link show | grep -E 'm0|c0|s0' ; pgrep -f "proxysimd -r m0 -L $PROXYSIM_LAB_STATE/$name/"; } | sort
}
host_rules() { { iptables-save 2>/dev/null; ip6tables-save 2>/dev/null; } | grep -v '^#' | sort; }

before_rules=$(host_rules)
before=$(snapshot)
trap '"$L" -n "$name" down >/dev/null 2>&1' EXIT
ok "up" sh -c "'$L' -n '$name' up >/dev/null"
is "$(ip netns list | grep -c "psl-$name-")" 4 "four namespaces"
ok "proxysimd runs in mbox" quiet pgrep -f "proxysimd -r m0"
ok "exec runs in a namespace" sh -c "'$L' -n '$name' exec client ip -br addr | grep -q 198.18.1.2/24"
ok "the client reaches server1 through mbox" \
	quiet "$L" -n "$name" exec client ping -c3 -i0.2 -W2 198.18.2.2
ok "... and over IPv6" quiet "$L" -n "$name" exec client ping -6 -c3 -i0.2 -W2 fd00:18:3::2
ok "status shows the daemon" sh -c "'$L' -n '$name' status | grep -q 'proxysimd pid'"
ok "a second up of the same lab is refused" sh -c "! '$L' -n '$name' up 2>/dev/null"
ok "down" "$L" -n "$name" down
is "$(snapshot)" "$before" "down leaves no namespace, interface, hosts file or process"
is "$(host_rules)" "$before_rules" "the host's own firewall rules were never touched"

"$L" -n "$name" bogus >/dev/null 2>&1; is "$?" 2 "an unknown verb exits 2"
"$L" -n 'bad name' status >/dev/null 2>&1; is "$?" 2 "a bad lab name exits 2"
"$L" -n "$name" exec nosuch true >/dev/null 2>&1; is "$?" 2 "an unknown role exits 2"

out=$("$L" -n "$name" demo 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
is "$rc" 0 "the demo succeeds"
is "$(echo "$out" | grep -c '"result": "ok"')" 2 "the demo's ws and wss echoes both work"
ok "the demo prints the middlebox's flows (http and tls)" \
	sh -c "echo \"\$1\" | grep -q ' http ' && echo \"\$1\" | grep -q ' tls '" _ "$out"
ok "the demo prints what reached the server" grep -q "Upgrade: websocket" <<<"$out"
# The article's table, every cell measured in the demo.
cell() { echo "$out" | grep -A0 "^   $1 " | head -1 | sed "s/^   $1 *//"; }
is "$(cell 'transparent, strips Upgrade' | tr -s ' ')" "fails (http-status) works" \
	"table: a transparent proxy breaks ws://, wss:// passes"
is "$(cell 'transparent, inspects TLS' | tr -s ' ')" "fails (http-status) fails (http-status)" \
	"table: TLS inspection breaks wss:// too"
is "$(cell 'explicit, CONNECT to 443 only (Squid)' | tr -s ' ')" "fails (proxy) works" \
	"table: Squid's CONNECT allow-list refuses ws:// (port 80), wss:// works"
is "$(cell 'explicit, CONNECT to any port' | tr -s ' ')" "works works" \
	"table: an explicit proxy that allows CONNECT carries both"
is "$(cell 'explicit, inspects TLS' | tr -s ' ')" "fails (http-status) fails (http-status)" \
	"table: an inspecting explicit proxy breaks both"
is "$(snapshot)" "$before" "the demo leaves nothing behind"
done_testing

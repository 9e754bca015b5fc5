#!/bin/bash
# The capture rules live exactly as long as the daemon: SIGTERM and SIGINT
# remove them and traffic then flows directly; after SIGKILL they stay
# until --cleanup; two instances never remove each other's rules.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start --no-daemon

ours() { on mbox sh -c '{ iptables-save; ip6tables-save; } | grep -c "proxysim/"'; }
whoami() { on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode whoami --timeout 3; }
bg server1 "$LABDIR/who.out" "$PY" "$PEERS/tcp_peer.py" server --listen 0.0.0.0:80 --mode whoami

for sig in TERM INT; do
	lab daemon start
	ok "SIG$sig run: rules installed (v4 and v6, ports 80 and 443)" test "$(ours)" -eq 4
	r=$(whoami)
	is "${r##*peer=}" "$(echo "${r##*peer=}" | grep '^198.18.2.1:')" "traffic is relayed (server sees the middlebox)"
	lab daemon stop $sig
	is "$(ours)" 0 "after SIG$sig no rule of ours is left"
	r=$(whoami)
	is "$(echo "$r" | sed 's/.*peer=//; s/:[0-9]*$//')" 198.18.1.2 "after SIG$sig traffic flows directly"
done
ok "a stop event closes the event log" grep -q '"event":"stop"' "$EVENTS"

lab daemon start
lab daemon stop KILL
ok "after SIGKILL the rules stay" test "$(ours)" -eq 4
r=$(whoami)
ok "... and capture flows to a port where nothing listens" grep -q "ConnectionRefused" <<<"$r"
out=$(on mbox "$PROXYSIMD" --cleanup -r m0)
is "$out" "removed 4 rules" "--cleanup -r m0 removes exactly them"
is "$(ours)" 0 "nothing of ours is left"
r=$(whoami)
is "$(echo "$r" | sed 's/.*peer=//; s/:[0-9]*$//')" 198.18.1.2 "traffic flows directly again"

# Two instances: different interfaces and ports.
ip netns exec "psl-$LAB-mbox" "$PROXYSIMD" -r m0 -l 15080 -L "$LABDIR/a.jsonl" 2>"$LABDIR/a.err" & a=$!
ip netns exec "psl-$LAB-mbox" "$PROXYSIMD" -r m1 -l 15081 --ports 8080 -L "$LABDIR/b.jsonl" 2>"$LABDIR/b.err" & b=$!
for i in $(seq 1 100); do
	grep -q installed "$LABDIR/a.err" && grep -q installed "$LABDIR/b.err" && break
	sleep 0.05
done
is "$(ours)" 6 "two instances: 4 + 2 rules"
kill -TERM $a; wait $a
is "$(on mbox sh -c 'iptables-save | grep -c "proxysim/15081/m1"')" 1 \
	"stopping one instance leaves the other's rules"
is "$(ours)" 2 "... and only the other's"
kill -KILL $b; wait $b 2>/dev/null
out=$(on mbox "$PROXYSIMD" --cleanup -r m0)
is "$out" "removed 0 rules" "--cleanup for m0 does not touch m1's instance"
out=$(on mbox "$PROXYSIMD" --cleanup)
is "$out" "removed 2 rules" "--cleanup with no interface removes every proxysim rule"
is "$(on mbox sh -c 'nft list ruleset | grep -c proxysim')" 0 "nft sees none either"
done_testing

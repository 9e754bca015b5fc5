#!/bin/bash
# Limits: at --max-flows accepting pauses (new connections wait in the
# backlog) and resumes when a flow ends; SIGHUP reloads the configuration
# for new flows and a broken file keeps the old one.
. "$(dirname "$0")/lib.sh"
require_netns
command -v socat >/dev/null || skip_all "needs socat"
lab_start --no-daemon

conf="$LABDIR/proxysimd.conf"
printf '[proxysimd]\nmax-flows = 2\n' >"$conf"
lab daemon start -c "$conf"
bg server1 "$LABDIR/who.out" "$PY" "$PEERS/tcp_peer.py" server --listen 0.0.0.0:80 --mode whoami
bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:443
# Two long flows hold both slots.
for i in 1 2; do
	ip netns exec "psl-$LAB-client" socat -u TCP:198.18.2.2:443 SYSTEM:'sleep 30' 2>/dev/null &
	eval "hold$i=\$!"
done
sleep 0.5
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode whoami --timeout 1)
ok "a third flow waits while max-flows (2) are open ($r)" grep -q timed <<<"$r"
ok "the human log says accepting paused" grep -q "pausing accept" "$LABDIR/proxysimd.log"
kill $hold1
sleep 0.3
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode whoami --timeout 3)
ok "when one ends, new flows are accepted again ($r)" grep -q "local=198.18.2.2:80" <<<"$r"

printf '[proxysimd]\nmax-flows = 50\n' >"$conf"
kill -HUP "$(cat "$LABDIR/proxysimd.pid")"
sleep 0.3
is "$(events_query '[e.get("max_flows") for e in ev if e["event"]=="reload"]')" "[50]" \
	"SIGHUP reloads the file (reload event with max_flows 50)"
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode whoami --timeout 3)
ok "with the new limit a flow beside the held one is accepted" grep -q "local=" <<<"$r"
printf '[proxysimd]\nmax-flows = lots\n' >"$conf"
kill -HUP "$(cat "$LABDIR/proxysimd.pid")"
sleep 0.3
ok "a broken file on reload is reported with file:line" \
	grep -q "reload failed.*proxysimd.conf:2: not a number" "$LABDIR/proxysimd.log"
ok "... and the daemon keeps running" daemon_alive
is "$(events_query 'len([e for e in ev if e["event"]=="reload"])')" 1 "no second reload event"
kill $hold2 2>/dev/null

# Out of descriptors: accepting pauses instead of spinning.
lab daemon stop
lab daemon start
fdpid=$(cat "$LABDIR/proxysimd.pid")
# Room for two flows (two descriptors each) past what it holds now.
nfd=$(ls "/proc/$fdpid/fd" | wc -l)
prlimit --pid "$fdpid" --nofile=$((nfd + 4))
for i in 1 2 3 4 5 6; do
	ip netns exec "psl-$LAB-client" socat -u TCP:198.18.2.2:443 SYSTEM:'sleep 30' 2>/dev/null &
done
ticks() { awk '{print $14 + $15}' "/proc/$fdpid/stat"; }
sleep 0.3
t0=$(ticks); sleep 1; cpu=$(( $(ticks) - t0 ))
ok "out of descriptors: the human log says accept paused" grep -q "pausing for" "$LABDIR/proxysimd.log"
ok "... and it does not spin ($cpu CPU ticks in 1 s; a spin is ~100)" test "$cpu" -lt 30
ok "... and the daemon is alive" daemon_alive
lab daemon stop
ok "... and it exits on SIGTERM, its rules removed" \
	test "$(on mbox sh -c 'iptables-save | grep -c proxysim/')" -eq 0
done_testing

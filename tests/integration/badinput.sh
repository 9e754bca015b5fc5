#!/bin/bash
# Bad flows cost one flow and nothing else: garbage, a client that says
# nothing, a client that resets at once, an upstream that refuses or never
# answers (the client gets a reset, the log says why).
. "$(dirname "$0")/lib.sh"
require_netns
command -v socat >/dev/null || skip_all "needs socat"
lab_start -- --connect-timeout 1

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
good() { on client "$PY" "$PEERS/ws_client.py" ws://198.18.2.2/ --sizes 1,1000 | grep -q '"ok"'; }

head -c 65536 /dev/urandom | on client socat -u - TCP:198.18.2.2:80 2>/dev/null
printf '\x16\x03\x01\x00\x05\x01garbage' | on client socat -u - TCP:198.18.2.2:80 2>/dev/null
printf 'GET / HTTP/1.1\r\nHost: \xff\x00\x1b[2J\r\n\r\n' | on client socat - TCP:198.18.2.2:80 >/dev/null 2>&1
# A silent client: connects and says nothing for as long as the test runs.
ip netns exec "psl-$LAB-client" socat -u TCP:198.18.2.2:80,connect-timeout=5 SYSTEM:'sleep 60' 2>/dev/null &
silent=$!
on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode reset >/dev/null
ok "the daemon is alive after garbage, a silent client and an instant reset" daemon_alive
ok "a good WebSocket flow still works beside them" good
ok "garbage is relayed opaquely and logged as other" \
	test "$(events_query '[e["proto"] for e in ev if e["event"]=="classify"].count("other")')" -ge 1
ok "the flow with escapes in a header is logged as valid JSON with the bytes escaped" \
	grep -q 'Host: \\u00ff\\u0000\\u001b\[2J' "$EVENTS"
is "$(events_query 'len([e for e in ev if e["event"]=="flow_open"]) - len([e for e in ev if e["event"]=="flow_close"])')" \
	1 "every flow but the silent one is closed"

# Upstream refuses: the client gets a reset and the log says why.
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.3.2:80 --mode expect-reset)
ok "a refused upstream makes the client's connection reset ($r)" \
	grep -Eq "reset|ConnectionReset" <<<"$r"
sleep 0.2
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]')" \
	connect_refused "the log says connect_refused"

# Upstream never answers: SYNs dropped at server2.
on server2 iptables -A INPUT -p tcp --dport 443 -j DROP
t0=$(date +%s%N)
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.3.2:443 --mode expect-reset)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "an upstream that never answers makes the client's connection reset ($r)" \
	grep -Eq "reset|ConnectionReset" <<<"$r"
ok "... after the connect timeout of 1 s (took $ms ms)" test "$ms" -ge 900 -a "$ms" -lt 4000
sleep 0.2
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]')" \
	connect_timeout "the log says connect_timeout"
ok "the human log names the failure" grep -q "connect_timeout" "$LABDIR/proxysimd.log"
kill $silent 2>/dev/null
ok "the daemon is still alive" daemon_alive
done_testing

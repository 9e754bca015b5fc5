#!/bin/bash
# Behaviours of the engine's first primitives, with real WebSocket peers:
# idle timeout on payload bytes (FIN, RST, close 1001), a chatty flow
# survives; max lifetime; reset and close after N bytes; the blackhole;
# probabilities repeat under --seed; SIGHUP gives new flows the new
# profile while open flows keep theirs. The event log says what acted.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start --no-daemon

conf="$LABDIR/profiles.conf"
cat >"$conf" <<'CONF'
[proxysimd]
profile = idle1

[profile idle1]
behaviour = idle-timeout 1s action=fin
[profile idle1rst]
behaviour = idle-timeout 1s action=rst
[profile idle1ws]
behaviour = idle-timeout 1s action=close1001
[profile life]
behaviour = max-lifetime 1500ms action=fin
[profile cut]
behaviour = reset-after 20000 dir=down
[profile limit]
behaviour = limit-data 3000 dir=up
[profile hole]
behaviour = blackhole dir=up
[profile coin]
behaviour = blackhole dir=up p=0.5
CONF
bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
bg server1 "$LABDIR/sha.out" "$PY" "$PEERS/tcp_peer.py" server --listen 198.18.2.2:443 --mode sha256
chat() { on client "$PY" "$PEERS/ws_chatty.py" ws://198.18.2.2/ "$@"; }
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$1'))"; }
restart() { lab daemon stop; lab daemon start -c "$conf" "$@"; }

lab daemon start -c "$conf"
r=$(chat --seconds 4)
is "$(echo "$r" | field result)" closed "idle-timeout 1s: an idle WebSocket is cut ($r)"
t=$(echo "$r" | field t)
ok "... within a second of the limit (at ${t}s)" "$PY" -c "import sys; sys.exit(not 1.0 <= $t < 2.0)"
is "$(echo "$r" | field code)" None "... with a FIN and no close frame (1006 for the client)"
r=$(chat --seconds 3 --every 0.3)
is "$(echo "$r" | field result)" open "a chatty WebSocket survives the same idle timeout"
sleep 1.2
is "$(events_query '[(e.get("timer"), e.get("after_ms"), e.get("action")) for e in ev if e["event"]=="behaviour"]')" \
	"[('idle', 1000, 'fin')]" "the event log shows the idle timer firing once, with its action"
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"]')" \
	"['idle_timeout', 'eof']" "flow_close says idle_timeout for the idle flow only"

restart -P idle1rst
r=$(chat --seconds 4)
is "$(echo "$r" | field result)" reset "action=rst: the client sees a reset ($r)"
restart -P idle1ws
r=$(chat --seconds 4)
is "$(echo "$r" | field code)" 1001 "action=close1001: the client gets a close frame 1001 ($r)"

restart -P life
r=$(chat --seconds 4 --every 0.2)
is "$(echo "$r" | field result)" closed "max-lifetime 1.5s cuts even a chatty flow ($r)"
t=$(echo "$r" | field t)
ok "... at the limit (at ${t}s)" "$PY" -c "import sys; sys.exit(not 1.5 <= $t < 2.5)"

restart -P cut
r=$(on client "$PY" "$PEERS/ws_client.py" ws://198.18.2.2/ --sizes 10000,10000,10000)
ok "reset-after 20000 dir=down: the third echo is cut ($r)" grep -q '"error"' <<<"$r"
sleep 0.3
is "$(events_query '[e["bytes_down"] for e in ev if e["event"]=="flow_close"][-1]')" 20000 \
	"exactly 20000 bytes went down before the reset"
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]')" reset_after \
	"flow_close says reset_after"

restart -P limit
got=$(head -c 10000 /dev/zero | on client socat -t 5 - TCP:198.18.2.2:443 2>/dev/null)
is "$got" "" "limit-data 3000 dir=up: the flow is closed before the server's answer"
sleep 0.3
is "$(events_query '[(e["bytes_up"], e["reason"]) for e in ev if e["event"]=="flow_close"][-1]')" \
	"(3000, 'limit_data')" "exactly 3000 bytes went up, then a FIN (limit_data)"

restart -P hole
r=$(on client "$PY" "$PEERS/ws_client.py" ws://198.18.2.2/ --timeout 2)
ok "blackhole dir=up: the handshake never reaches the server ($r)" grep -q '"error"' <<<"$r"
sleep 0.3
ok "flow_close counts the dropped bytes" \
	test "$(events_query '[e.get("dropped_up", 0) for e in ev if e["event"]=="flow_close"][-1]')" -gt 100
is "$(events_query '[e.get("dropping") for e in ev if e["event"]=="behaviour"][-1]')" up \
	"a behaviour event says what it dropped"

pattern() {
	restart -P coin --seed 42
	for i in 1 2 3 4 5 6 7 8; do
		printf 'x' | on client socat -t 0.3 - TCP:198.18.2.2:443 >/dev/null 2>&1
	done
	sleep 0.3
	events_query '"".join("h" if e.get("dropped_up") else "p" for e in ev if e["event"]=="flow_close")[-8:]'
}
p1=$(pattern); p2=$(pattern)
is "$p1" "$p2" "p=0.5 with --seed 42 repeats the same choices ($p1)"
ok "... and makes both choices" sh -c "echo '$p1' | grep -q h && echo '$p1' | grep -q p"

# SIGHUP: open flows keep their profile, new flows take the new one.
restart
on client "$PY" "$PEERS/ws_chatty.py" ws://198.18.2.2/ --seconds 4 >"$LABDIR/old.json" &
old=$!
sleep 0.3
sed -i 's/^profile = idle1$/profile = passthrough/' "$conf"
kill -HUP "$(cat "$LABDIR/proxysimd.pid")"
sleep 0.2
r=$(chat --seconds 3)
wait $old
is "$(field result <"$LABDIR/old.json")" closed "after SIGHUP the open flow keeps idle1 and is cut"
is "$(echo "$r" | field result)" open "a new flow gets passthrough and stays open"
done_testing

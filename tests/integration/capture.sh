#!/bin/bash
# Capture files (-w, --pcap-dir): tshark reads every flow's two legs
# without errors, dissects the WebSocket handshake on both, and the legs
# differ exactly where the event log says the middlebox acted.
. "$(dirname "$0")/lib.sh"
require_netns
command -v tshark >/dev/null 2>&1 || skip_all "needs tshark"
lab_start --no-daemon

CLI=$(lab addr client)
SRV=$(lab addr server1)
bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen "$SRV:80" \
	--log "$LABDIR/hs.jsonl"
PC="$LABDIR/pc"
mkdir -p "$PC"
ts() { tshark -r "$@" 2>&1 | grep -v '^Running as user'; }
# Leg filters: the client's leg has the client's address; the other is
# the middlebox's upstream address and the server.
CLEG="ip.addr==$CLI"
SLEG="!(ip.addr==$CLI)"
# clean FILE: tshark exits 0, says nothing on stderr, and its expert
# analysis has no errors and no warnings (ALLOW: a warning allowed, e.g.
# the RST a flow ended with).
clean() {
	local f=$1 allow=${2:-} out
	out=$(tshark -r "$f" -q -z expert 2>"$LABDIR/tshark.err") || return 1
	[ -z "$(grep -v '^Running as user' "$LABDIR/tshark.err")" ] || return 1
	echo "$out" | grep -q '^Errors' && { echo "$out" | sed 's/^/#   /'; return 1; }
	if [ -n "$allow" ]; then
		echo "$out" | "$PY" -c '
import sys
sec, bad = None, 0
for l in sys.stdin:
    if l[:1].isalpha():
        sec = l.split()[0]
    elif sec == "Warns" and l.split()[:1] and l.split()[0].isdigit() and sys.argv[1] not in l:
        bad += 1
sys.exit(bad)' "$allow" || { echo "$out" | sed 's/^/#   /'; return 1; }
	else
		echo "$out" | grep -q '^Warns' && { echo "$out" | sed 's/^/#   /'; return 1; }
	fi
	return 0
}
field() { ts "$1" -Y "$2" -T fields -e "$3" | sed '/^$/d'; }
count() { ts "$1" -Y "$2" | wc -l; }

# passthrough: one file with everything, and one per flow.
lab daemon start --pcap "$LABDIR/all.pcap" --pcap-dir "$PC"
ok "a WebSocket echo through the middlebox" \
	on client "$PY" "$PEERS/ws_client.py" --sizes 5,3000,70000 "ws://$SRV/chat"
on client curl -s -o /dev/null "http://$SRV/"
wait_closes 2
lab daemon stop
F1="$PC/flow-1.pcap"
ok "one file per flow" test -s "$F1" -a -s "$PC/flow-2.pcap"
ok "tshark reads the flow's file cleanly" clean "$F1"
ok "... and the file of all flows" clean "$LABDIR/all.pcap"
is "$(count "$F1" "tcp.flags.syn==1 && tcp.flags.ack==0")" 2 "two legs, a handshake each"
is "$(field "$F1" "$CLEG && http.request" http.upgrade)" websocket "client leg: the Upgrade request"
is "$(field "$F1" "$SLEG && http.request" http.upgrade)" websocket "server leg: the same"
is "$(field "$F1" "$CLEG && http.response" http.response.code)" 101 "client leg: 101"
is "$(field "$F1" "$SLEG && http.response" http.response.code)" 101 "server leg: 101"
ok "WebSocket frames dissected on the client leg" \
	test "$(count "$F1" "$CLEG && websocket")" -ge 6
ok "... and on the server leg" test "$(count "$F1" "$SLEG && websocket")" -ge 6
# The 70000-byte message: masked client frames reassemble to the same
# length on both legs, so no byte went missing from either synthesis.
is "$(field "$F1" "$CLEG && websocket.payload_length_ext_64==70000" frame.number | wc -l)" 2 \
	"the 70000-byte message both ways on the client leg"
is "$(field "$F1" "$SLEG && websocket.payload_length_ext_64==70000" frame.number | wc -l)" 2 \
	"... and on the server leg"
up=$(events_query '[e["bytes_up"] for e in ev if e["event"]=="flow_close"][0]')
is "$(field "$F1" "$CLEG && ip.src==$CLI" tcp.len | awk '{s+=$1} END {print s}')" "$up" \
	"client leg payload equals the flow's bytes_up"
is "$(field "$F1" "$SLEG && ip.dst==$SRV" tcp.len | awk '{s+=$1} END {print s}')" "$up" \
	"... and so does the server leg's"
is "$(count "$F1" "tcp.flags.fin==1")" 4 "both legs closed with FINs both ways"
is "$(count "$LABDIR/all.pcap" "tcp.flags.syn==1 && tcp.flags.ack==0")" 4 "the one file has both flows' legs"

# squid-strip-upgrade: the legs differ in the Upgrade header.
rm -f "$PC"/*
: >"$EVENTS"
lab daemon start -P squid-strip-upgrade --pcap-dir "$PC"
ok "squid-strip-upgrade: the echo fails" \
	sh -c "! ip netns exec psl-$LAB-client '$PY' '$PEERS/ws_client.py' ws://$SRV/chat >/dev/null 2>&1"
wait_closes 1
lab daemon stop
removed=$(events_query "[e.get('removed') for e in ev if e.get('name')=='strip-hop-by-hop'][0]")
ok "the event log says Upgrade was removed ($removed)" sh -c "echo \"\$1\" | grep -q \"'Upgrade'\"" _ "$removed"
ok "tshark reads it cleanly" clean "$F1"
is "$(field "$F1" "$CLEG && http.request" http.upgrade)" websocket "client leg: Upgrade: websocket"
is "$(field "$F1" "$SLEG && http.request" http.upgrade)" "" "server leg: no Upgrade"
is "$(field "$F1" "$SLEG && http.request" http.request.line | grep -c "Via: 1.1")" 1 \
	"server leg: the Via the proxy added"
is "$(field "$F1" "$SLEG && http.response" http.response.code)" 426 "server leg: the server's 426"
is "$(field "$F1" "$CLEG && http.response" http.response.code)" 426 "client leg: relayed"

# cneonction: the same length, one header renamed.
rm -f "$PC"/*
: >"$EVENTS"
lab daemon start -P cneonction --pcap-dir "$PC"
on client "$PY" "$PEERS/ws_client.py" "ws://$SRV/chat" >/dev/null 2>&1
wait_closes 1
lab daemon stop
ok "cneonction: tshark reads it cleanly" clean "$F1"
is "$(field "$F1" "$CLEG && http.request" http.connection)" Upgrade "client leg: Connection: Upgrade"
is "$(field "$F1" "$SLEG && http.request" http.connection)" "" "server leg: no Connection"
is "$(field "$F1" "$SLEG && http.request" http.request.line | grep -c "Cneonction: Upgrade")" 1 \
	"server leg: Cneonction: Upgrade"
is "$(field "$F1" "$CLEG && ip.src==$CLI && http.request" tcp.len)" \
	"$(field "$F1" "$SLEG && ip.dst==$SRV && http.request" tcp.len)" "the request's length unchanged"

# 101-then-reset: the client leg ends with the middlebox's RST.
rm -f "$PC"/*
: >"$EVENTS"
lab daemon start -P 101-then-reset --pcap-dir "$PC"
on client "$PY" "$PEERS/ws_client.py" "ws://$SRV/chat" >/dev/null 2>&1
wait_closes 1
lab daemon stop
ok "101-then-reset: tshark reads it, the RST its only warning" clean "$F1" "Connection reset"
is "$(count "$F1" "$CLEG && tcp.flags.reset==1 && ip.dst==$CLI")" 1 "the client got a RST from the middlebox"
is "$(count "$F1" "$SLEG && tcp.flags.reset==1 && ip.dst==$SRV")" 1 "the server too"

# Every HTTP persona: tshark reads its flow cleanly (a reset allowed),
# and where the event log has no behaviour event the two legs carry the
# same bytes each way.
# The interception personas need a lab CA to start (plain ws never meets it).
mkdir -p "$LABDIR/labca"
"$PROXYSIMD" --make-ca "$LABDIR/labca" >/dev/null
for p in $("$PROXYSIMD" --list-profiles | grep -v '\[-q\]' | awk '{print $1}'); do
	rm -f "$PC"/*
	: >"$EVENTS"
	lab daemon start -P "$p" --pcap-dir "$PC" --ca "$LABDIR/labca"
	on client "$PY" "$PEERS/ws_client.py" --timeout 2 --sizes 5,3000 "ws://$SRV/chat" >/dev/null 2>&1
	lab daemon stop
	ok "$p: tshark reads the capture cleanly" clean "$F1" "Connection reset"
	nb=$(grep -c '"event":"behaviour"' "$EVENTS")
	legs=$(for d in "$CLEG && ip.src==$CLI" "$SLEG && ip.dst==$SRV" \
	    "$SLEG && ip.src==$SRV" "$CLEG && ip.dst==$CLI"; do
		field "$F1" "$d" tcp.len | awk '{s+=$1} END {printf "%d ", s}'
	done)
	set -- $legs
	if [ "$nb" -eq 0 ]; then
		is "$1/$3" "$2/$4" "... no behaviour event: the legs carry the same bytes ($legs)"
	else
		diag "$p: $nb behaviour events; bytes client up / server up / server down / client down: $legs"
	fi
done

ok "--pcap to a directory that does not exist fails at start" \
	sh -c "! ip netns exec psl-$LAB-mbox '$PROXYSIMD' -l 15999 -w /nonexistent/x.pcap 2>/dev/null"
done_testing

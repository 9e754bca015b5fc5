#!/bin/bash
# Each HTTP persona in the lab with real peers, showing the symptom a
# user would see (wsprobe's exit class) and what reached the server, and
# the behaviour events that say what the middlebox did.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start --no-daemon

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80 \
	--log "$LABDIR/hs.jsonl"
bg server2 "$LABDIR/w76.out" "$WSPROBE" --serve -l 198.18.3.2:80 -L "$LABDIR/hs76.jsonl"
grep -q ready "$LABDIR/hs76.jsonl" 2>/dev/null || sleep 0.5
persona() { lab daemon stop; lab daemon start -P "$1"; }
probe() { on client "$WSPROBE" -t 3 "$@" >"$LABDIR/probe.out" 2>&1; echo $?; }
last_headers() { tail -1 "$LABDIR/hs.jsonl" | "$PY" -c '
import json,sys; h=json.load(sys.stdin)["headers"]; print(" ".join(k for k,v in h))'; }
bhv() { events_query "[e.get('$1') for e in ev if e['event']=='behaviour']"; }

persona squid-strip-upgrade
is "$(probe -v ws://198.18.2.2/chat)" 5 "squid-strip-upgrade: the client gets an HTTP status, not 101 (class 5)"
is "$(grep -E '^< (X-Cache|X-Cache-Lookup|Via|Connection):' "$LABDIR/probe.out" | cut -d: -f1 | tr '\n' ' ')" \
	"< X-Cache < X-Cache-Lookup < Via < Connection " "... the answer ends with Squid's X-Cache lines, Via and Connection"
ok "... the server's own 426 ($(head -c 120 "$LABDIR/probe.out"))" grep -q 426 "$LABDIR/probe.out"
is "$(last_headers)" \
	"Sec-WebSocket-Key Sec-WebSocket-Version Host Via X-Forwarded-For Cache-Control Connection" \
	"... the server saw no Upgrade, Host moved last, Via, X-Forwarded-For, Cache-Control, Connection"
ok "... the event log lists the headers removed" \
	sh -c "echo \"\$1\" | grep -q \"'Upgrade', 'Connection'\"" _ "$(bhv removed)"
# Without Upgrade a hixie-76 server sees a plain GET and answers 426, as
# faye-websocket does behind real Squid (real-products.md).
is "$(probe --version 76 ws://198.18.3.2/)" 5 "... and a hixie-76 handshake is refused too (class 5)"

persona http10-proxy
is "$(probe ws://198.18.2.2/chat)" 5 "http10-proxy: the server will not upgrade an HTTP/1.0 request (class 5)"
ok "... websockets' 400 ($(head -c 90 "$LABDIR/probe.out"))" grep -q 400 "$LABDIR/probe.out"
ok "... the event log shows the version rewritten and Upgrade removed" \
	test "$(events_query "[(e.get('version'), 'Upgrade' in e.get('removed', [])) for e in ev if e['event']=='behaviour' and e['name']=='http10' and e['dir']=='up'][-1]")" = "(['HTTP/1.1'], True)"

# An optimistic client: its first frame in the same write as the head.
optimistic() {
	on client "$PY" - <<'PY'
import base64, os, socket
s = socket.create_connection(("198.18.2.2", 80), timeout=3)
key = base64.b64encode(os.urandom(16)).decode()
head = ("GET /chat HTTP/1.1\r\nHost: 198.18.2.2\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode()
mask = os.urandom(4)
payload = b"hello"
frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
    b ^ mask[i % 4] for i, b in enumerate(payload))
s.sendall(head + frame)
buf = b""
try:
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    rest = buf.split(b"\r\n\r\n", 1)[1]
    while len(rest) < 7:
        d = s.recv(4096)
        if not d:
            break
        rest += d
    print("echo" if rest[2:7] == payload else "other:%r" % rest[:16])
except socket.timeout:
    print("lost")
PY
}
persona passthrough
is "$(optimistic)" echo "passthrough: a first frame sent with the head is echoed"
persona first-frame-loss
is "$(optimistic)" lost "first-frame-loss: the same frame is lost, no echo in 3 s"
ok "... the event log shows the bytes after the head dropped" \
	sh -c "echo \"\$1\" | grep -q drop" _ "$(bhv action)"

persona drop-undeclared-body
is "$(probe --version 76 ws://198.18.3.2/)" 7 "drop-undeclared-body: hixie-76 times out (class 7)"
is "$(probe --version 13 -n 3 ws://198.18.3.2/)" 0 "... while version 13 works"
ok "... the event log shows the drop at the end of the head" \
	sh -c "echo \"\$1\" | grep -q drop" _ "$(bhv action)"

# hixie76-hold-key3 with a short hold: a user profile of the same shape.
printf '[profile hold1]\nbehaviour = undeclared-body hold timeout=1s\n' >"$LABDIR/hold.conf"
lab daemon stop; lab daemon start -c "$LABDIR/hold.conf" -P hold1
is "$(probe --version 76 ws://198.18.3.2/)" 5 "undeclared-body hold: a classic hixie-76 server deadlocks, the proxy answers (class 5)"
ok "... with a 504 ($(head -c 100 "$LABDIR/probe.out"))" grep -q 504 "$LABDIR/probe.out"
bg server2 "$LABDIR/w76d.out" "$WSPROBE" --serve -l 198.18.3.2:81 --key3 defer -L "$LABDIR/hs76d.jsonl"
lab daemon stop; lab daemon start -c "$LABDIR/hold.conf" -P hold1 --ports 80,81,443
is "$(probe --version 76 -n 2 ws://198.18.3.2:81/)" 0 "... while a server that sends the 101 head first gets key3 and works"
is "$(events_query '[e.get("action") for e in ev if e["event"]=="behaviour" and e["name"]=="undeclared-body"][-1]')" hold \
	"the event log shows the hold"
ok "the persona ships" sh -c "'$PROXYSIMD' --list-profiles | grep -q '^hixie76-hold-key3 '"

persona nginx-default
is "$(probe ws://198.18.2.2/chat)" 5 "nginx-default: HTTP/1.0 upstream, the upgrade fails (class 5)"
# websockets answers an HTTP/1.0 request 400 before it logs it: the
# event log says what went up instead (fidelity.sh shows the bytes).
ok "... Upgrade removed and the version rewritten on the way up" \
	test "$(events_query "[(e.get('version'), 'Upgrade' in e.get('removed', [])) for e in ev if e['event']=='behaviour' and e['name']=='http10' and e['dir']=='up'][-1]")" = "(['HTTP/1.1'], True)"
probe -v ws://198.18.2.2/chat >/dev/null
is "$(grep '^< ' "$LABDIR/probe.out" | sed -n 2,3p | cut -c1-22 | tr '\n' '|')" \
	"< Server: nginx/1.22.1|< Date: $(date -u "+%a, %d %b 20")|" "... the answer opens with nginx's own Server and Date"
is "$(grep -c '^< Server:' "$LABDIR/probe.out")" 1 "... the server's own Server is gone"

persona reject-upgrade-403
lines=$(wc -l <"$LABDIR/hs.jsonl")
is "$(probe ws://198.18.2.2/chat)" 5 "reject-upgrade-403: class 5"
ok "... 403 from Squid ($(head -c 100 "$LABDIR/probe.out"))" grep -q "403.*squid" "$LABDIR/probe.out"
is "$(wc -l <"$LABDIR/hs.jsonl")" "$lines" "... the server never saw the request"

persona cneonction
is "$(probe ws://198.18.2.2/chat)" 5 "cneonction: the server sees no Connection and refuses (class 5)"
ok "... the server received Cneonction" grep -q Cneonction "$LABDIR/hs.jsonl"
ok "... the event log says the rename kept the length" \
	sh -c "echo \"\$1\" | grep -q True" _ "$(bhv length_preserved)"

persona close-after-101
is "$(probe -n 2 ws://198.18.2.2/chat)" 8 "close-after-101: opens, then closed (class 8)"
persona 101-then-reset
is "$(probe -n 2 ws://198.18.2.2/chat)" 8 "101-then-reset: opens, then reset (class 8)"
ok "... the flow ends with after_101" test "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]')" = after_101

persona header-lowercase
is "$(probe -v -n 1 ws://198.18.2.2/chat)" 0 "header-lowercase: wsprobe compares names case-insensitively and copes"
ok "... but the 101 it got has lowercase names" grep -q "sec-websocket-accept" "$LABDIR/probe.out"
persona connection-merge
is "$(probe -v -n 1 ws://198.18.2.2/chat)" 0 "connection-merge: a tolerant client copes"
ok "... with 'Upgrade: websocket, websocket' in the 101" grep -qi "upgrade: websocket, websocket" "$LABDIR/probe.out"

persona canonical-case
is "$(probe -v -n 1 ws://198.18.2.2/chat)" 0 "canonical-case: wsprobe compares without case and copes"
ok "... the 101 it got says Sec-Websocket-Accept" grep -q "< Sec-Websocket-Accept:" "$LABDIR/probe.out"
ok "... and Upgrade: WebSocket" grep -q "< Upgrade: WebSocket" "$LABDIR/probe.out"
ok "... the event log names what was re-cased and rewritten" \
	sh -c "echo \"\$1\" | grep -q Sec-WebSocket-Accept" _ "$(bhv renamed)"

persona carrier-port80
is "$(probe ws://198.18.2.2/chat)" 5 "carrier-port80: ws on port 80 gets the carrier's 400"
ok "... 400" grep -q 400 "$LABDIR/probe.out"
is "$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:443 --mode whoami --timeout 2 >/dev/null 2>&1; echo $?)" 1 \
	"(no TLS server here: port 443 traffic reaches the server side untouched)"

persona strict-ws-validator
is "$(probe -n 1 ws://198.18.2.2/chat)" 0 "strict-ws-validator: a valid handshake passes"
done_testing

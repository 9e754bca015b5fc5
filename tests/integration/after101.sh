#!/bin/bash
# What a middlebox does after it forwards a 101: buffer until K bytes or
# the end (post-101-buffering), reset on the first data frame, close or
# reset N seconds later, and keep parsing as HTTP (a 400 mid-stream).
# Real peers: python3-websockets echo server, wsprobe and ws_chatty.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start --no-daemon

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80 \
	--log "$LABDIR/hs.jsonl"
conf="$LABDIR/after.conf"
cat >"$conf" <<'CONF'
[profile buf2k]
behaviour = after-101 buffer bytes=2k dir=down
[profile rst1s]
behaviour = after-101 reset after=1s
[profile fin1s]
behaviour = after-101 close after=1s
CONF
persona() { lab daemon stop; lab daemon start -c "$conf" -P "$1"; }
probe() { on client "$WSPROBE" -t 2 "$@" >"$LABDIR/probe.out" 2>&1; echo $?; }
chat() { on client "$PY" "$PEERS/ws_chatty.py" ws://198.18.2.2/ "$@"; }
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$1'))"; }
last_bhv() { events_query "[(e.get('action'), e.get('$1')) for e in ev if e['event']=='behaviour'][-1]"; }

persona post-101-buffering
is "$(probe -n 1 -s 20 ws://198.18.2.2/)" 9 "post-101-buffering: the handshake works, a small echo never comes (class 9)"
ok "... wsprobe says the first message was lost ($(tail -1 "$LABDIR/probe.out"))" grep -q "first message" "$LABDIR/probe.out"
is "$(last_bhv bytes)" "('buffer', 16384)" "... the event log says after-101 buffers 16 KiB"
is "$(probe -n 1 -s 40000 ws://198.18.2.2/)" 0 "... while a 40000-byte message fills the buffer and its echo arrives"

persona buf2k
is "$(probe -n 1 -s 100 ws://198.18.2.2/)" 9 "buffer bytes=2k down: a 100-byte echo is held"
is "$(probe -n 1 -s 3000 ws://198.18.2.2/)" 0 "... a 3000-byte one goes through"

persona 101-then-reset-on-data
r=$(probe -n 1 ws://198.18.2.2/)
is "$r" 8 "101-then-reset-on-data: the handshake works, the first message resets (class 8)"
ok "... the detail says reset or closed after 0 messages ($(tail -1 "$LABDIR/probe.out"))" grep -qE "0 (messages|of)" "$LABDIR/probe.out"
is "$(events_query "[(e.get('when'), e.get('action')) for e in ev if e['event']=='behaviour'][-1]")" \
	"('first data', 'rst')" "... the event log names the first data and the reset"
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]')" after_101 "... flow_close says after_101"

persona rst1s
r=$(chat --seconds 3 --every 0.2)
is "$(echo "$r" | field result)" reset "after-101 reset after=1s: a chatty WebSocket is reset ($r)"
t=$(echo "$r" | field t)
ok "... about a second after the 101 (at ${t}s)" "$PY" -c "import sys; sys.exit(not 0.9 <= $t < 1.8)"
persona fin1s
r=$(chat --seconds 3 --every 0.2)
is "$(echo "$r" | field result)" closed "after-101 close after=1s: closed without a close frame ($r)"
is "$(last_bhv after_ms)" "('fin', 1000)" "... the event log shows the timer and its action"

persona keep-parsing-http
is "$(probe -n 1 ws://198.18.2.2/)" 9 "keep-parsing-http: the handshake works, then the echo is garbage (class 9)"
ok "... the client got the proxy's HTTP 400 inside the stream" grep -qiE "invalid|corrupt|frame|reserved|opcode" "$LABDIR/probe.out"
is "$(events_query "[(e.get('action'), e.get('status')) for e in ev if e['event']=='behaviour' and e.get('status')][-1]")" \
	"('http', 400)" "... the event log says the frame was taken for a request and answered 400"
done_testing

#!/bin/bash
# Frame-aware behaviours after an RFC 6455 101: pings and pongs dropped
# (data still echoes), the nth data frame dropped, a frame truncated
# (the stream falls out of step); hixie-76 frames are left alone. Real
# peers: python3-websockets and wsprobe.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start --no-daemon

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
bg server2 "$LABDIR/w76.out" "$WSPROBE" --serve -l 198.18.3.2:80 -L "$LABDIR/hs76.jsonl"
conf="$LABDIR/frames.conf"
cat >"$conf" <<'CONF'
[profile drop2]
behaviour = ws-frame drop nth=2 dir=up
[profile cut1]
behaviour = ws-frame truncate nth=1 keep=3 dir=down
CONF
persona() { lab daemon stop; lab daemon start -c "$conf" -P "$1"; }
probe() { on client "$WSPROBE" -t 2 "$@" >"$LABDIR/probe.out" 2>&1; echo $?; }
ping() {
	on client "$PY" - <<'PY'
import asyncio, json, websockets
async def main():
    out = {}
    async with websockets.connect("ws://198.18.2.2/", ping_interval=None) as ws:
        await ws.send("hello")
        out["echo"] = await asyncio.wait_for(ws.recv(), 3)
        waiter = await ws.ping(b"are you there")
        try:
            await asyncio.wait_for(waiter, 2)
            out["pong"] = True
        except asyncio.TimeoutError:
            out["pong"] = False
        await ws.send("again")
        out["echo2"] = await asyncio.wait_for(ws.recv(), 3)
    print(json.dumps(out))
asyncio.run(main())
PY
}

persona passthrough
is "$(ping)" '{"echo": "hello", "pong": true, "echo2": "again"}' "passthrough: the ping gets its pong"
persona drop-ping-pong
is "$(ping)" '{"echo": "hello", "pong": false, "echo2": "again"}' \
	"drop-ping-pong: no pong within 2 s, while messages echo before and after"
is "$(events_query "[(e['action'], e['opcode'], e['dir']) for e in ev if e['event']=='behaviour' and e['name']=='ws-drop-control']")" \
	"[('drop', 'ping', 'up')]" "... the event log shows the client's ping dropped on its way up"
is "$(probe --version 76 -n 2 ws://198.18.3.2/)" 0 "... hixie-76 frames are left alone"

persona drop2
is "$(probe -n 3 ws://198.18.2.2/)" 9 "ws-frame drop nth=2 up: the second message is lost (class 9)"
ok "... wsprobe names message 2 ($(tail -1 "$LABDIR/probe.out"))" grep -q "message 2" "$LABDIR/probe.out"
is "$(events_query "[(e['action'], e['data_frame'], e['payload_len']) for e in ev if e['event']=='behaviour' and e['name']=='ws-frame']")" \
	"[('drop', 2, 32)]" "... the event log: data frame 2, 32 bytes, dropped"

persona cut1
is "$(probe -n 2 -s 100 ws://198.18.2.2/)" 9 "ws-frame truncate keep=3 down: the echo is out of step (class 9)"
is "$(events_query "[(e['action'], e['payload_len'], e['kept']) for e in ev if e['event']=='behaviour' and e.get('action')=='truncate']")" \
	"[('truncate', 100, 3)]" "... the event log: 3 of 100 payload bytes kept"
persona truncate-frame
r=$(probe -n 1 -s 10 ws://198.18.2.2/)
ok "truncate-frame: the first echo is corrupted or never complete (class $r)" test "$r" = 9 -o "$r" = 8
done_testing

#!/bin/bash
# Timing behaviours (shape.c) with real TCP peers: latency and jitter,
# bandwidth, the slicer (one byte a segment, counted by the server's
# kernel) and slow close; passthrough beside each, so the figures show
# what the middlebox added. The event log says what acted.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start --no-daemon

conf="$LABDIR/timing.conf"
cat >"$conf" <<'CONF'
[profile lat]
behaviour = latency 200ms dir=down
[profile jit]
behaviour = latency 100ms jitter=200ms
[profile bw]
behaviour = bandwidth 256k dir=down
[profile slice]
behaviour = slicer 1 delay=2ms dir=up
[profile slowfin]
behaviour = slow-close 1500ms dir=down
[profile combo]
behaviour = latency 50ms dir=down
behaviour = bandwidth 512k dir=down
behaviour = slicer 1000 variation=500 dir=down
CONF
bg server1 "$LABDIR/echo.out" "$PY" "$PEERS/timing_peer.py" server --listen 198.18.2.2:80 --mode echo
bg server2 "$LABDIR/sink.out" "$PY" "$PEERS/timing_peer.py" server --listen 198.18.3.2:80 --mode sink
bg server1 "$LABDIR/send.out" "$PY" "$PEERS/timing_peer.py" server --listen 198.18.2.2:443 --mode send --bytes 393216
tp() { on client "$PY" "$PEERS/timing_peer.py" client "$@"; }
py() { "$PY" -c "import json,sys; d=json.loads(sys.argv[1]); $2" "$1"; }
restart() { lab daemon stop; lab daemon start -c "$conf" "$@"; }

lab daemon start -c "$conf"
r=$(tp --connect 198.18.2.2:80 --mode rtt --count 5)
ok "passthrough: echo round trips under 100 ms ($r)" py "$r" 'sys.exit(not max(d["rtt_ms"]) < 100)'
r=$(tp --connect 198.18.2.2:443 --mode download)
ok "passthrough: 384 KiB arrive in under a second ($r)" py "$r" 'sys.exit(not (d["bytes"]==393216 and d["seconds"] < 1))'
base_dl=$r

restart -P lat
r=$(tp --connect 198.18.2.2:80 --mode rtt --count 5)
ok "latency 200ms down: every round trip takes 200 to 400 ms ($r)" \
	py "$r" 'sys.exit(not all(200 <= x < 400 for x in d["rtt_ms"]))'
is "$(events_query '[(e["name"], e["dir"], e["delay_ms"]) for e in ev if e["event"]=="behaviour"]')" \
	"[('latency', 'down', 200)]" "the event log names the latency, its direction and delay"

restart -P jit --seed 7
r1=$(tp --connect 198.18.2.2:80 --mode rtt --count 8)
ok "latency 100ms jitter=200ms both ways: round trips from 200 to 700 ms ($r1)" \
	py "$r1" 'sys.exit(not all(200 <= x < 700 for x in d["rtt_ms"]))'
ok "... and they vary (jitter)" py "$r1" 'sys.exit(not max(d["rtt_ms"]) - min(d["rtt_ms"]) > 30)'

restart -P bw
r=$(tp --connect 198.18.2.2:443 --mode download)
ok "bandwidth 256k down: 384 KiB take 1.3 to 2.5 s ($r; passthrough $base_dl)" \
	py "$r" 'sys.exit(not (d["bytes"]==393216 and 1.3 <= d["seconds"] < 2.5))'
r=$(tp --connect 198.18.3.2:80 --mode upload --bytes 393216)
ok "... upstream untouched: 384 KiB go up in under a second ($r)" \
	py "$r" 'sys.exit(not (d["reply"]=="393216" and d["seconds"] < 1))'

restart -P slice
segs() { on server1 nstat -az TcpInSegs | awk '/TcpInSegs/ { print $2 }'; }
s0=$(segs)
r=$(tp --connect 198.18.2.2:80 --mode rtt --bytes 300 --count 1)
s1=$(segs)
ok "slicer 1 delay=2ms up: 300 bytes echo whole ($r)" py "$r" 'sys.exit(len(d["rtt_ms"]) != 1)'
ok "... as 300 segments or more at the server ($((s1 - s0)) segments in)" test $((s1 - s0)) -ge 300
restart
s0=$(segs)
tp --connect 198.18.2.2:80 --mode rtt --bytes 300 --count 1 >/dev/null
s1=$(segs)
ok "passthrough: the same 300 bytes take a handful ($((s1 - s0)) segments in)" test $((s1 - s0)) -lt 20

restart -P slowfin
r=$(tp --connect 198.18.2.2:443 --mode download)
ok "slow-close 1500ms down: the data comes at once, the FIN 1.5 s later ($r)" \
	py "$r" 'sys.exit(not (d["bytes"]==393216 and 1400 <= d["fin_after_ms"] < 2500))'
wait_closes 1
is "$(events_query '[(e["name"], e.get("held")) for e in ev if e["event"]=="behaviour" and e["name"]=="slow-close"]')" \
	"[('slow-close', 'fin')]" "the event log shows the FIN held back"

restart -P combo --seed 3
r=$(tp --connect 198.18.2.2:443 --mode download)
ok "latency + bandwidth 512k + slicer together: 384 KiB arrive whole in 0.6 to 2 s ($r)" \
	py "$r" 'sys.exit(not (d["bytes"]==393216 and 0.6 <= d["seconds"] < 2))'
r=$(tp --connect 198.18.2.2:80 --mode upload --bytes 100000)
ok "... and an echo of 100000 bytes comes back whole ($r)" py "$r" 'sys.exit(d["echoed"] != 100000)'

done_testing

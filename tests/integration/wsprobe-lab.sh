#!/bin/bash
# wsprobe client against wsprobe server through proxysimd's passthrough
# in the lab: versions 13, 8, 7, 76 (key3 wait and defer) and 75 all
# survive, ws over IPv4 and IPv6 and wss; the classify event says http.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start

bg server1 "$LABDIR/s80.out" "$WSPROBE" --serve -l 198.18.2.2:80 -l "[fd00:18:2::2]:80" \
	-L "$LABDIR/hs80.jsonl"
bg server2 "$LABDIR/s443.out" "$WSPROBE" --serve -l 198.18.3.2:80 --key3 defer \
	-L "$LABDIR/hsdefer.jsonl"

for v in 13 8 7 76 75; do
	out=$(on client "$WSPROBE" --version $v -n 20 -s 4K -t 5 ws://198.18.2.2/echo 2>&1)
	is "$?" 0 "version $v through passthrough ($out)"
done
out=$(on client "$WSPROBE" --version 76 -n 5 -t 5 ws://198.18.3.2/echo 2>&1)
is "$?" 0 "hixie-76 with the server sending the 101 head before key3 ($out)"
out=$(on client "$WSPROBE" -n 5 -s 100K -t 5 "ws://[fd00:18:2::2]/echo" 2>&1)
is "$?" 0 "IPv6 through passthrough ($out)"
out=$(on client "$WSPROBE" -n 2 -t 5 --idle 1 ws://198.18.2.2/echo 2>&1)
is "$?" 0 "an idle second does not cost the connection: no timeout unless a profile asks"
wait_closes 8
is "$(events_query 'sorted(set(e["proto"] for e in ev if e["event"]=="classify"))')" "['http']" \
	"every flow is classified http"
ok "the server logged the hixie-76 handshake as it arrived (Key1, Key2)" \
	grep -q 'Sec-WebSocket-Key1' "$LABDIR/hs80.jsonl"
done_testing

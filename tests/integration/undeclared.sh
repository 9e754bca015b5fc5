#!/bin/bash
# Undeclared bytes on both sides of a hixie-76 handshake: key3 after a
# bodiless request head taken for the next request (the proxy's 400),
# and the server's 16-byte answer after the 101 dropped (the client
# waits in vain) or parsed as the next response (nginx's 502). RFC 6455
# handshakes, which have no undeclared bytes, pass each time.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start --no-daemon

bg server2 "$LABDIR/w76.out" "$WSPROBE" --serve -l 198.18.3.2:80 -L "$LABDIR/hs76.jsonl"
conf="$LABDIR/undeclared.conf"
cat >"$conf" <<'CONF'
[profile reqnext]
behaviour = undeclared-body next
[profile respdrop]
behaviour = undeclared-body drop dir=down
[profile respnext]
behaviour = undeclared-body next dir=down
CONF
persona() { lab daemon stop; lab daemon start -c "$conf" -P "$1"; }
probe() { on client "$WSPROBE" -t 2 "$@" >"$LABDIR/probe.out" 2>&1; echo $?; }
last() { events_query "[(e.get('action'), e.get('$1')) for e in ev if e['event']=='behaviour'][-1]"; }
reason() { events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]'; }

persona reqnext
is "$(probe --version 76 ws://198.18.3.2/)" 5 "undeclared-body next: key3 is no request, the proxy answers 400 (class 5)"
ok "... Squid's 400 ($(head -c 100 "$LABDIR/probe.out"))" grep -q "400" "$LABDIR/probe.out"
is "$(last status)" "('next', 400)" "... the event log says the undeclared bytes got a 400"
wait_closes 1
is "$(reason)" rejected "... and flow_close says rejected"
is "$(probe --version 13 -n 2 ws://198.18.3.2/)" 0 "... version 13 has no undeclared bytes and works"

persona respdrop
is "$(probe --version 76 ws://198.18.3.2/)" 6 "undeclared-body drop dir=down: the 16-byte answer is lost (class 6)"
ok "... wsprobe waited for it in vain ($(tail -1 "$LABDIR/probe.out"))" grep -q "got 0 of 16 bytes" "$LABDIR/probe.out"
is "$(events_query "[(e.get('action'), e.get('until')) for e in ev if e['event']=='behaviour'][-1]")" \
	"('drop', \"the client's next bytes\")" "... the event log says what is dropped and until when"
wait_closes 2
is "$(events_query '[e.get("dropped_down") for e in ev if e["event"]=="flow_close"][-1]')" 16 \
	"... flow_close counts the 16 bytes dropped"
is "$(probe --version 13 -n 2 ws://198.18.3.2/)" 0 "... version 13 works"

persona respnext
is "$(probe --version 76 ws://198.18.3.2/)" 6 "undeclared-body next dir=down: the answer is no response, nginx's 502 follows the 101 (class 6)"
is "$(last status)" "('next', 502)" "... the event log says 502"
wait_closes 3
is "$(reason)" bad_gateway "... flow_close says bad_gateway"
is "$(probe --version 13 -n 2 ws://198.18.3.2/)" 0 "... version 13 works"
done_testing

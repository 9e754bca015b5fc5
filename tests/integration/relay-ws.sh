#!/bin/bash
# A real WebSocket client and server (python3-websockets) through the
# transparent proxy on port 80: 1000 messages from 1 B to 1 MiB echo intact.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80 \
	--log "$LABDIR/hs.jsonl"
res=$(on client "$PY" "$PEERS/ws_client.py" ws://198.18.2.2/echo \
	--sizes geometric:1000:1048576 --timeout 30)
diag "$res"
is "$(echo "$res" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["result"])')" ok \
	"1000 messages of 1 B to 1 MiB echo intact through the redirect"
wait_closes 1
is "$(events_query '[e["proto"] for e in ev if e["event"]=="classify"]')" "['http']" \
	"the flow is classified http"
is "$(events_query '[e["server"] for e in ev if e["event"]=="flow_open"]')" "['198.18.2.2:80']" \
	"flow_open names the original destination"
is "$(events_query '[e["mode"] for e in ev if e["event"]=="flow_open"]')" "['redirect']" \
	"flow_open names the mode"
sent=$(echo "$res" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
ok "bytes_up covers every payload byte sent" \
	test "$(events_query '[e["bytes_up"] for e in ev if e["event"]=="flow_close"][0]')" -gt "$sent"
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"]')" "['eof']" \
	"the flow ends with eof"
is "$(events_query 'all(set(e) >= {"ts","event","flow"} for e in ev)')" true \
	"every event has ts, event and flow"
is "$("$PY" -c '
import json,sys
h=json.loads(open(sys.argv[1]).readline())
print(dict(h["headers"]).get("Upgrade"))' "$LABDIR/hs.jsonl")" websocket \
	"the server received the Upgrade header untouched"
done_testing

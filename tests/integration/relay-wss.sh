#!/bin/bash
# wss on port 443 through the transparent proxy, untouched: the client
# verifies the server's certificate against a test CA, over IPv4 and IPv6,
# and the middlebox only sees TLS.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start

test_pki
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other CA" \
	-keyout "$pki/other.key" -out "$pki/other.pem" 2>/dev/null

bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:443 --listen "[fd00:18:2::2]:443" \
	--cert "$pki/srv.pem" --key "$pki/srv.key"

result() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("result"))'; }

r=$(on client "$PY" "$PEERS/ws_client.py" wss://198.18.2.2/x --cafile "$pki/ca.pem" \
	--sizes geometric:50:262144)
is "$(echo "$r" | result)" ok "wss over IPv4 echoes, certificate verified"
r=$(on client "$PY" "$PEERS/ws_client.py" "wss://[fd00:18:2::2]/x" --cafile "$pki/ca.pem" \
	--sizes geometric:50:262144)
is "$(echo "$r" | result)" ok "wss over IPv6 echoes, certificate verified"
r=$(on client "$PY" "$PEERS/ws_client.py" wss://198.18.2.2/x --cafile "$pki/other.pem")
is "$(echo "$r" | result)" error "with the wrong CA the client refuses the certificate"
ok "... and says why" grep -q CERTIFICATE_VERIFY_FAILED <<<"$r"
wait_closes 3
is "$(events_query '[e["proto"] for e in ev if e["event"]=="classify"]')" \
	"['tls', 'tls', 'tls']" "each flow is classified tls"
is "$(events_query 'sorted(e["server"] for e in ev if e["event"]=="flow_open")')" \
	"['198.18.2.2:443', '198.18.2.2:443', '[fd00:18:2::2]:443']" \
	"each flow reached its original destination"
# The TLS record layer authenticates every byte: a verified session with
# all echoes intact means the relay changed nothing. Both directions of
# the good flows carried data.
is "$(events_query 'all(e["bytes_up"]>262144 and e["bytes_down"]>262144 for e in ev if e["event"]=="flow_close" and e["flow"]<3)')" \
	true "both directions carried the payload"
done_testing

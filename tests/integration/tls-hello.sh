#!/bin/bash
# TLS without decryption: the ClientHello in the event log (SNI, ALPN,
# versions, escaped), and the behaviours that act on it with a real wss
# client: SNI deny and allow lists, a reset after the hello, a stall after
# the ServerHello, a close after N bytes; passthrough leaves it verified.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start

test_pki DNS:x.blocked.lab,DNS:a.allowed.lab,DNS:other.lab
bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:443 --cert "$pki/srv.pem" --key "$pki/srv.key" \
	--log "$LABDIR/hs.jsonl"

result() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("result"))'; }
wss() { on client "$PY" "$PEERS/ws_client.py" wss://198.18.2.2/x --cafile "$pki/ca.pem" \
	--timeout "${TMO:-5}" ${1:+--server-name "$1"} | result; }
persona() { lab daemon stop; : >"$EVENTS"; lab daemon start -P "$1"; }
last() { events_query "[e.get('$2') for e in ev if e['event']=='$1'][-1:]"; }
closes() { events_query "len([e for e in ev if e['event']=='flow_close'])"; }

# passthrough: the hello is logged, nothing changes.
is "$(wss server1.lab)" ok "passthrough: wss with SNI echoes, certificate verified"
wait_closes 1
is "$(last tls_client_hello sni)" "['server1.lab']" "... tls_client_hello names the SNI"
is "$(last tls_client_hello result)" "['ok']" "... parsed"
ok "... offers TLSv1.3 in supported_versions" \
	sh -c "echo \"\$1\" | grep -q TLSv1.3" _ "$(last tls_client_hello versions)"
is "$(last tls_client_hello legacy_version)" "['TLSv1.2']" "... legacy_version TLSv1.2"
is "$(wss)" ok "wss to an address: no SNI"
wait_closes 2
is "$(last tls_client_hello sni)" "[None]" "... the event says sni null"

# ALPN from openssl s_client, and an SNI with bytes to escape (a raw hello).
echo | on client timeout 5 openssl s_client -connect 198.18.2.2:443 -servername server1.lab \
	-alpn h2,http/1.1 >/dev/null 2>&1
wait_closes 3
is "$(last tls_client_hello alpn)" "[['h2', 'http/1.1']]" "openssl s_client: the ALPN list, in order"
on client "$PY" - <<'PY'
import socket, struct
name = b'a"b\\c\x01.lab'
sni = struct.pack("!BH", 0, len(name)) + name
sni = struct.pack("!H", len(sni)) + sni
ext = struct.pack("!HH", 0, len(sni)) + sni
body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
body += struct.pack("!H", len(ext)) + ext
msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
s = socket.create_connection(("198.18.2.2", 443))
s.sendall(b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg)
s.settimeout(2)
try:
    s.recv(100)
except Exception:
    pass
s.close()
PY
wait_closes 4
ok "a raw SNI with a quote, a backslash and a control byte is escaped in the log" \
	grep -qF '"sni":"a\"b\\c\u0001.lab"' "$EVENTS"
# A hello split over tiny records still parses.
on client "$PY" - <<'PY'
import socket, struct
name = b'split.lab'
sni = struct.pack("!H", len(name) + 3) + struct.pack("!BH", 0, len(name)) + name
ext = struct.pack("!HH", 0, len(sni)) + sni
body = b"\x03\x03" + b"\x22" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
body += struct.pack("!H", len(ext)) + ext
msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
wire = b"".join(b"\x16\x03\x01" + struct.pack("!H", len(msg[i:i+3])) + msg[i:i+3]
                for i in range(0, len(msg), 3))
s = socket.create_connection(("198.18.2.2", 443))
s.sendall(wire)
s.settimeout(2)
try:
    s.recv(100)
except Exception:
    pass
s.close()
PY
wait_closes 5
is "$(last tls_client_hello sni)" "['split.lab']" "a hello in 3-byte records is reassembled"
is "$(last tls_client_hello records)" "[$(( (4 + 2 + 32 + 1 + 4 + 2 + 2 + 4 + 2 + 3 + 9 + 2) / 3 ))]" "... and its records counted"

persona sni-filter-deny
is "$(wss x.blocked.lab)" error "sni-filter-deny: *.blocked.lab is refused"
wait_closes 1
is "$(last flow_close reason)" "['sni_denied']" "... the flow ends sni_denied"
is "$(last flow_close bytes_up)" "[0]" "... the server got nothing"
is "$(last behaviour action)" "['rst']" "... the behaviour event says rst"
is "$(wss server1.lab)" ok "... server1.lab passes, verified"
is "$(wss)" ok "... and no SNI passes"

persona sni-filter-allow
is "$(wss server1.lab)" ok "sni-filter-allow: server1.lab passes"
is "$(wss a.allowed.lab)" ok "... *.allowed.lab passes"
is "$(wss other.lab)" error "... other.lab is refused"
is "$(wss)" error "... no SNI is refused"
wait_closes 4
is "$(events_query "[e['reason'] for e in ev if e['event']=='flow_close']")" \
	"['eof', 'eof', 'sni_denied', 'sni_denied']" "... the event log agrees"

persona tls-reset-after-hello
is "$(wss server1.lab)" error "tls-reset-after-hello: the handshake fails"
wait_closes 1
is "$(last flow_close reason)" "['tls_reset_after_hello']" "... reason tls_reset_after_hello"
is "$(last flow_close reset_sent)" "['both']" "... both ends reset"
is "$(events_query "[e for e in ev if e['event']=='behaviour'][0]['relayed'] == [e for e in ev if e['event']=='flow_close'][0]['bytes_up']")" \
	true "... exactly the hello was relayed"

persona tls-stall-after-server-hello
t0=$(date +%s)
is "$(TMO=2 wss server1.lab)" error "tls-stall-after-server-hello: the handshake hangs"
ok "... until the client's timeout" test $(( $(date +%s) - t0 )) -ge 2
is "$(last behaviour action)" "['stall']" "... the event log says stall"
ok "... after the ServerHello record" test "$(events_query "[e['relayed'] for e in ev if e['event']=='behaviour'][0] > 40")" = true

persona tls-close-after-hello
is "$(wss server1.lab)" error "tls-close-after-hello: the handshake fails"
wait_closes 1
is "$(last flow_close reason)" "['limit_data']" "... reason limit_data (the limit-data behaviour)"
ok "the TLS personas ship" sh -c "'$PROXYSIMD' --list-profiles | grep -q '^tls-reset-after-hello '"
done_testing

#!/bin/bash
# The explicit proxy (-x): real clients (wsprobe, curl, python3-websockets
# over a CONNECT tunnel) through CONNECT and absolute-form requests, the
# explicit personas (Squid's port allow-list, Basic/NTLM/Negotiate 407,
# the HTTP/1.0 reply, 200 then a reset), and bad input that costs one
# flow each. The lab's mbox is the proxy at 198.18.1.1:3128.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
command -v curl >/dev/null 2>&1 || skip_all "needs curl"
lab_start --no-daemon

test_pki

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:80 --listen "[fd00:18:2::2]:80" --log "$LABDIR/hs.jsonl"
bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:443 --listen "[fd00:18:2::2]:443" \
	--cert "$pki/srv.pem" --key "$pki/srv.key"

X=198.18.1.1:3128
xstart() { lab daemon stop; : >"$EVENTS"; lab daemon start -x "$X" "$@"; }
probe() { on client "$WSPROBE" -t 3 -x "http://$X" --cafile "$pki/ca.pem" "$@" \
	>"$LABDIR/probe.out" 2>&1; echo $?; }
pyc() { on client "$PY" "$PEERS/ws_connect_client.py" --proxy "$X" \
	--cafile "$pki/ca.pem" "$@" 2>&1; }
field() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get(sys.argv[1]))' "$1"; }
# raw BYTES: sends them to the proxy, prints what came back (up to 3 s).
raw() {
	on client "$PY" - "$1" "${2:-3}" <<'PY'
import socket, sys, time
s = socket.create_connection(("198.18.1.1", 3128), 3)
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.settimeout(float(sys.argv[2]))
got = b""
t0 = time.monotonic()
try:
    while True:
        b = s.recv(65536)
        if not b:
            got += b"<EOF>"
            break
        got += b
except socket.timeout:
    got += b"<OPEN>"
except ConnectionResetError:
    got += b"<RST>"
sys.stdout.write(got.decode("latin-1"))
sys.stdout.write("<%dms>" % ((time.monotonic() - t0) * 1000))
PY
}
last_close() { events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-1]'; }

# --- allow (passthrough): any port, both schemes ---------------------------
xstart
is "$(probe -n 3 ws://198.18.2.2/chat)" 0 "allow: wsprobe ws:// through CONNECT"
is "$(probe -n 3 wss://198.18.2.2/chat)" 0 "allow: wsprobe wss:// through CONNECT, certificate verified"
is "$(pyc ws://198.18.2.2/x | field result)" ok "allow: python3-websockets ws:// over a CONNECT tunnel"
is "$(pyc wss://server1.lab/x | field result)" ok "allow: python3-websockets wss:// to a name from /etc/hosts"
is "$(pyc 'wss://[fd00:18:2::2]/x' | field result)" ok "allow: CONNECT to an IPv6 literal"
c=$(on client curl -sS -m 5 -p -x "http://$X" -o /dev/null \
	-w '%{http_connect} %{http_code}' http://198.18.2.2/ 2>&1)
is "$c" "200 426" "allow: curl -p -x tunnels to port 80 (the WebSocket server's 426 to a plain GET)"
c=$(on client curl -sS -m 5 -x "http://$X" --cacert "$pki/ca.pem" -o /dev/null \
	-w '%{http_connect} %{http_code}' https://server1.lab/ 2>&1)
is "$c" "200 426" "allow: curl -x https:// tunnels and verifies the server"
is "$(probe --proxy-mode absolute -n 2 ws://198.18.2.2/abs)" 0 \
	"allow: an absolute-form GET ws:// is forwarded and works"
is "$(tail -1 "$LABDIR/hs.jsonl" | field path)" /abs "... the server got the origin-form target"
wait_closes 8
is "$(events_query 'sorted(set(e["mode"] for e in ev if e["event"]=="flow_open"))')" "['explicit']" \
	"flow_open says mode explicit"
is "$(events_query '[(e["form"], e["host"], e["port"]) for e in ev if e["event"]=="proxy_request"][:2]')" \
	"[('connect', '198.18.2.2', 80), ('connect', '198.18.2.2', 443)]" "proxy_request events name the target"
is "$(events_query 'sum(1 for e in ev if e["event"]=="upstream" and e["result"]=="connected")')" 8 \
	"an upstream event for each connect"
is "$(events_query '[e["proto"] for e in ev if e["event"]=="classify"][:2]')" "['http', 'tls']" \
	"the tunnels are classified like transparent flows"

# --- explicit with TLS inspection: the CONNECT tunnel is intercepted -------
mkdir -p "$LABDIR/labca"
"$PROXYSIMD" --make-ca "$LABDIR/labca" >/dev/null
xstart --ca "$LABDIR/labca" -P tls-intercept --upstream-cafile "$pki/ca.pem"
is "$(pyc wss://server1.lab/x | field result)" error \
	"tls-intercept through CONNECT: a client that trusts only the server's CA refuses"
is "$(on client "$PY" "$PEERS/ws_connect_client.py" --proxy "$X" --cafile "$LABDIR/labca/ca.pem" \
	wss://server1.lab/x | field result)" ok "... one that trusts the lab CA works"
xstart --ca "$LABDIR/labca" -P tls-inspect-strip-upgrade --upstream-cafile "$pki/ca.pem"
r=$(on client "$PY" "$PEERS/ws_connect_client.py" --proxy "$X" --cafile "$LABDIR/labca/ca.pem" \
	wss://server1.lab/x)
ok "... and the HTTP persona applies inside the tunnel (the server's 426)" grep -q "HTTP 426" <<<"$r"
printf '[profile auth-inspect]\nbehaviour = proxy-auth basic user=lab password=lab\nbehaviour = tls-intercept\n' \
	>"$LABDIR/auth-inspect.conf"
xstart --ca "$LABDIR/labca" --upstream-cafile "$pki/ca.pem" -c "$LABDIR/auth-inspect.conf" -P auth-inspect
is "$(on client "$PY" "$PEERS/ws_connect_client.py" --proxy "$X" --cafile "$LABDIR/labca/ca.pem" \
	--user lab:lab --retry-auth wss://server1.lab/x | field result)" ok \
	"407, then the credentials on the same connection, then an intercepted tunnel"

# --- squid-default-explicit: CONNECT to 443 only ----------------------------
xstart -P squid-default-explicit
is "$(probe -n 2 ws://198.18.2.2/chat)" 4 "squid-default-explicit: ws:// (CONNECT :80) is refused (class 4)"
ok "... with Squid's 403 ($(head -c 120 "$LABDIR/probe.out"))" grep -q '403 Forbidden.*squid/5.7' "$LABDIR/probe.out"
is "$(probe -n 2 wss://198.18.2.2/chat)" 0 "... while wss:// (CONNECT :443) works"
c=$(on client curl -sS -m 5 -p -x "http://$X" http://198.18.2.2/ 2>&1)
ok "... curl: CONNECT tunnel failed, response 403" grep -q "CONNECT tunnel failed, response 403" <<<"$c"
is "$(probe --proxy-mode absolute ws://198.18.2.2/chat)" 5 \
	"... an absolute-form ws:// gets Squid's rewrite: the server's 426 (class 5)"
is "$(tail -1 "$LABDIR/hs.jsonl" | "$PY" -c 'import json,sys; print(" ".join(k for k,v in json.load(sys.stdin)["headers"]))')" \
	"Sec-WebSocket-Key Sec-WebSocket-Version Host Via X-Forwarded-For Cache-Control Connection" \
	"... the server saw no Upgrade, and Squid's Via and Connection"
r=$(raw 'CONNECT 198.18.2.2:80 HTTP/1.1\r\nHost: 198.18.2.2:80\r\n\r\nCONNECT 198.18.2.2:443 HTTP/1.1\r\nHost: 198.18.2.2:443\r\n\r\n' 1)
ok "... the 403 has Squid's headers" sh -c 'printf %s "$1" | grep -q "^X-Squid-Error: ERR_ACCESS_DENIED 0" && printf %s "$1" | grep -q "^Server: squid/5.7"' _ "$(printf %s "$r" | tr -d '\r')"
ok "... and keeps the connection: a second CONNECT on it gets 200" \
	sh -c 'printf %s "$1" | grep -q "HTTP/1.1 200 Connection established"' _ "$r"
ok "the event log has the refusal" test "$(events_query '[(e["name"],e["action"],e["status"]) for e in ev if e["event"]=="behaviour" and e["name"]=="connect-ports"][0]')" \
	= "('connect-ports', 'deny', 403)"

# --- proxy-auth-basic --------------------------------------------------------
xstart -P proxy-auth-basic
r=$(pyc ws://198.18.2.2/x)
is "$(echo "$r" | field proxy_status)" "HTTP/1.1 407 Proxy Authentication Required" "proxy-auth-basic: no credentials, 407"
ok "... with Proxy-Authenticate: Basic realm" grep -q 'Proxy-Authenticate: Basic realm=\\"proxysim lab\\"' <<<"$r"
is "$(pyc --user lab:lab ws://198.18.2.2/x | field result)" ok "... the right credentials work"
is "$(pyc --user lab:nope ws://198.18.2.2/x | field proxy_status)" \
	"HTTP/1.1 407 Proxy Authentication Required" "... wrong ones get 407"
c=$(on client curl -sS -m 5 -p -x "http://$X" --proxy-user lab:lab -o /dev/null \
	-w '%{http_connect} %{http_code}' http://198.18.2.2/ 2>&1)
is "$c" "200 426" "... curl --proxy-user through CONNECT"
c=$(on client curl -sS -m 5 -x "http://$X" -o /dev/null -w '%{http_code}' http://198.18.2.2/ 2>&1)
is "$c" 407 "... curl without credentials, absolute-form: 407"
is "$(events_query '[e.get("credentials") for e in ev if e["event"]=="behaviour" and e["name"]=="proxy-auth"]')" \
	"['absent', 'right', 'wrong', 'right', 'absent']" "the event log says which credentials came"

# --- NTLM and Negotiate: challenge only -------------------------------------
for s in ntlm:NTLM negotiate:Negotiate; do
	xstart -P "proxy-auth-${s%%:*}"
	r=$(raw 'CONNECT 198.18.2.2:443 HTTP/1.1\r\nHost: a\r\n\r\nCONNECT 198.18.2.2:443 HTTP/1.1\r\nHost: a\r\nProxy-Authorization: NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n' 1)
	is "$(printf %s "$r" | tr -d '\r' | grep -c "^Proxy-Authenticate: ${s#*:}$")" 2 \
		"proxy-auth-${s%%:*}: 407 with Proxy-Authenticate: ${s#*:}, twice on one connection"
	ok "... never 200" sh -c '! printf %s "$1" | grep -q " 200 "' _ "$r"
done
c=$(on client curl -sS -m 5 -p -x "http://$X" --proxy-negotiate -U : http://198.18.2.2/ 2>&1)
ok "... curl --proxy-negotiate fails ($c)" grep -q "407" <<<"$c"

# --- connect-http10-reply and connect-200-reset ------------------------------
xstart -P connect-http10-reply
r=$(pyc wss://198.18.2.2/x)
is "$(echo "$r" | field proxy_status)" "HTTP/1.0 200 Connection established" "connect-http10-reply: the client sees HTTP/1.0 200"
is "$(echo "$r" | field result)" ok "... and a tolerant client goes on"
ok "... with Proxy-agent" grep -q 'Proxy-agent: proxysim/1.0' <<<"$r"
is "$(probe -n 1 wss://198.18.2.2/x)" 0 "... wsprobe copes too"
xstart -P connect-200-reset
r=$(raw 'CONNECT 198.18.2.2:443 HTTP/1.1\r\nHost: a\r\n\r\n')
ok "connect-200-reset: 200, then a reset ($r)" sh -c 'printf %s "$1" | grep -q "^HTTP/1.1 200 Connection established.*<RST>"' _ "$(printf %s "$r" | tr -d '\r\n')"
wait_closes 1
is "$(last_close)" connect_reset "... the flow ends with connect_reset"

# --- bad input and failures: each costs one flow ----------------------------
xstart --connect-timeout 1
code() { printf %s "$1" | head -c 12 | cut -c10-12; }
r=$(raw 'CONNECT :::: HTTP/1.1\r\n\r\n')
is "$(code "$r")" 400 "CONNECT :::: gets 400"
ok "... and the connection is closed" grep -q '<EOF>' <<<"$r"
is "$(code "$(raw 'CONNECT example HTTP/1.1\r\n\r\n')")" 400 "CONNECT without a port gets 400"
is "$(code "$(raw 'GET / HTTP/1.1\r\n\r\n')")" 400 "origin-form without Host gets 400"
is "$(code "$(raw 'GET / HTTP/1.1\r\nHost: 198.18.2.2\r\n\r\n')")" 400 "origin-form with Host (not a URL) gets 400"
is "$(code "$(raw 'GET http://198.18.2.2/ HTTP/1.1\r\n\r\n')")" 400 "absolute-form HTTP/1.1 without Host gets 400"
is "$(code "$(raw 'BAD\x01LINE\r\n\r\n')")" 400 "garbage gets 400"
big=$("$PY" -c 'print("GET http://198.18.2.2/ HTTP/1.1\\r\\nHost: a\\r\\n" + "X-Big: " + "a" * 82000 + "\\r\\n\\r\\n", end="")')
is "$(code "$(raw "$big")")" 431 "an 80 KiB head gets 431"
r=$(raw '' 3)
ok "a silent client is closed after --connect-timeout ($r)" sh -c 'printf %s "$1" | grep -qE "^<EOF><(9[5-9][0-9]|1[0-9][0-9][0-9])ms>$"' _ "$r"
wait_closes 8
is "$(last_close)" head_timeout "... reason head_timeout"
r=$(raw 'CONNECT 198.18.2.2:9 HTTP/1.1\r\n\r\n')
is "$(code "$r")" 502 "a refused target gets 502"
ok "... with a page that says so" grep -q "refused or could not be reached" <<<"$r"
on mbox iptables -A OUTPUT -d 198.18.2.2 -p tcp --dport 81 -j DROP
r=$(raw 'CONNECT 198.18.2.2:81 HTTP/1.1\r\n\r\n')
is "$(code "$r")" 504 "an unanswered target gets 504 after --connect-timeout"
on mbox iptables -D OUTPUT -d 198.18.2.2 -p tcp --dport 81 -j DROP
r=$(raw 'CONNECT nosuch.invalid:443 HTTP/1.1\r\n\r\n' 4)
ok "an unresolvable name gets 502 or 504 ($(code "$r"))" grep -Eq '^HTTP/1.1 50[24] ' <<<"$r"
ok "... saying the name does not resolve" grep -q "resolve" <<<"$r"
wait_closes 11
is "$(last_close)" resolve_failed "... reason resolve_failed"
is "$(code "$(raw 'CONNECT 198.18.1.1:3128 HTTP/1.1\r\n\r\n')")" 508 "CONNECT to the proxy itself gets 508, not a loop"
ok "the daemon is alive" daemon_alive
is "$(probe -n 2 wss://198.18.2.2/x)" 0 "and the next client is served"

# --- where it listens --------------------------------------------------------
lab daemon stop
lab daemon start -x 3128
c=$(on client curl -sS -m 3 -p -x "http://$X" -o /dev/null -w '%{http_connect}' http://198.18.2.2/ 2>&1)
ok "-x PORT is loopback only: the client cannot reach it ($c)" grep -q "Failed to connect\|Connection refused\|Couldn't connect" <<<"$c"
c=$(on mbox curl -sS -m 3 -p -x http://127.0.0.1:3128 -o /dev/null -w '%{http_connect} %{http_code}' http://198.18.2.2/ 2>&1)
is "$c" "200 426" "... it serves 127.0.0.1"
lab daemon stop
lab daemon start -x "[fd00:18:1::1]:3128"
c=$(on client curl -sS -m 3 -p -x "http://[fd00:18:1::1]:3128" -o /dev/null -w '%{http_connect} %{http_code}' "http://[fd00:18:2::2]/" 2>&1)
is "$c" "200 426" "-x [v6]:PORT listens on IPv6, CONNECT to an IPv6 target"
lab daemon stop
on mbox "$PROXYSIMD" -x 3129 -L "$LABDIR/alone.jsonl" >"$LABDIR/alone.log" 2>&1 &
alone=$!
for i in $(seq 1 50); do grep -q "explicit proxy" "$LABDIR/alone.log" && break; sleep 0.05; done
is "$(on mbox ss -Hltn | awk '{print $4}' | sort | tr '\n' ' ')" "127.0.0.1:3129 " \
	"-x alone: only the explicit listener (no transparent one)"
kill "$alone"; wait "$alone"
ok "... and it stops cleanly" sh -c "! grep -Eq 'Sanitizer|runtime error' '$LABDIR/alone.log'"
lab daemon start -x "$X"
done_testing

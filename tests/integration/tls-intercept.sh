#!/bin/bash
# TLS interception with the lab CA, real wss clients: the certificate is
# refused unless the client trusts the lab CA; with it, the echo works,
# the upstream is verified (or not, on request), the HTTP personas apply
# inside (Upgrade stripped), control frames can be dropped inside the
# tunnel, and the key log holds the session secrets.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start --no-daemon

test_pki
mkdir -p "$LABDIR/labca"
bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:443 --cert "$pki/srv.pem" --key "$pki/srv.key" \
	--log "$LABDIR/hs.jsonl"

# The lab CA.
ca="$LABDIR/labca"
is "$("$PROXYSIMD" --make-ca "$ca" >/dev/null 2>&1; echo $?)" 0 "--make-ca DIR exits 0"
ok "... ca.pem is a CA (CA:TRUE, keyCertSign) named proxysim lab CA" sh -c "
	openssl x509 -in '$ca/ca.pem' -noout -text | grep -q 'CA:TRUE' &&
	openssl x509 -in '$ca/ca.pem' -noout -text | grep -q 'Certificate Sign' &&
	openssl x509 -in '$ca/ca.pem' -noout -subject | grep -q 'proxysim lab CA'"
is "$(stat -c %a "$ca/ca.key")" 600 "... ca.key is 0600"
sum=$(sha256sum "$ca/ca.pem")
is "$("$PROXYSIMD" --make-ca "$ca" >/dev/null 2>&1; echo $?)" 2 "... a second --make-ca refuses (status 2)"
is "$(sha256sum "$ca/ca.pem")" "$sum" "... and leaves the CA as it was"
is "$("$PROXYSIMD" --make-ca "$LABDIR/no/such/dir" >/dev/null 2>&1; echo $?)" 2 "... a DIR whose parent is missing is status 2"
"$PROXYSIMD" --make-ca "$LABDIR/newca" >/dev/null 2>&1
is "$(stat -c %a "$LABDIR/newca" 2>&1) $(ls "$LABDIR/newca" 2>&1 | tr '\n' ' ')" "700 ca.key ca.pem " \
	"... a missing DIR is made, mode 0700, with the CA in it"
is "$("$PROXYSIMD" -P tls-intercept -l 127.0.0.1:1 >/dev/null 2>&1; echo $?)" 2 "tls-intercept without --ca is status 2"
is "$("$PROXYSIMD" --ca "$LABDIR/nonexistent" -l 127.0.0.1:1 >/dev/null 2>&1; echo $?)" 2 "--ca with no CA in DIR is status 2"

result() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("result"))'; }
wss() { local cafile=$1; shift
	on client "$PY" "$PEERS/ws_client.py" wss://198.18.2.2/x --cafile "$cafile" --timeout 5 "$@"; }
start() { lab daemon stop; : >"$EVENTS"; lab daemon start --ca "$ca" "$@"; }
last() { events_query "[e.get('$2') for e in ev if e['event']=='$1'][-1:]"; }

start -P tls-intercept --upstream-cafile "$pki/ca.pem" --keylog "$LABDIR/keys.log"
r=$(wss "$pki/ca.pem" --server-name server1.lab)
is "$(echo "$r" | result)" error "intercepted: a client trusting only the server's CA refuses the leaf"
ok "... certificate verify failed" grep -q CERTIFICATE_VERIFY_FAILED <<<"$r"
wait_closes 1
is "$(last tls_error side)" "['client']" "... the event log has the client's tls_error"
r=$(wss "$ca/ca.pem" --server-name server1.lab --sizes geometric:30:262144)
is "$(echo "$r" | result)" ok "... trusting the lab CA, the echo works through the interception"
wait_closes 2
is "$(events_query "sorted(e['side'] for e in ev if e['event']=='tls_handshake' and e['flow']==2)")" \
	"['client', 'server']" "... both handshakes are logged"
is "$(events_query "[e['verify'] for e in ev if e['event']=='tls_handshake' and e['side']=='server' and e['flow']==2]")" \
	"['ok']" "... the server verified against --upstream-cafile"
is "$(events_query "[e['proto'] for e in ev if e['event']=='classify' and e['flow']==2]")" \
	"['tls', 'http']" "... the plaintext is classified http"
is "$(events_query "[e.get('leaf') for e in ev if e['event']=='behaviour' and e['name']=='tls-intercept']")" \
	"['server1.lab', 'server1.lab']" "... the leaf is for the SNI"
leaf=$(echo | on client timeout 5 openssl s_client -connect 198.18.2.2:443 -servername server1.lab \
	-CAfile "$ca/ca.pem" -alpn h2,http/1.1 2>/dev/null)
ok "... openssl s_client verifies the leaf against the lab CA" grep -q "Verify return code: 0" <<<"$leaf"
ok "... whose issuer is the lab CA" grep -q "proxysim lab CA" <<<"$leaf"
ok "... offered h2 and http/1.1, the client gets http/1.1" grep -q "ALPN protocol: http/1.1" <<<"$leaf"
is "$(wss "$ca/ca.pem" | result)" ok "... without SNI, a leaf for the address verifies"
is "$(on client "$WSPROBE" -t 5 -n 3 --cafile "$ca/ca.pem" wss://198.18.2.2/x >/dev/null 2>&1; echo $?)" 0 \
	"wsprobe over wss through the interception, trusting the lab CA"
ok "... and refuses the leaf trusting only the server's CA" \
	test "$(on client "$WSPROBE" -t 5 --cafile "$pki/ca.pem" wss://198.18.2.2/x >/dev/null 2>&1; echo $?)" -ne 0
ok "the key log has TLS 1.3 secrets" grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]\{64\} ' "$LABDIR/keys.log"
ok "... and traffic secrets" grep -q '^SERVER_TRAFFIC_SECRET_0 ' "$LABDIR/keys.log"
echo | on client timeout 5 openssl s_client -tls1_2 -connect 198.18.2.2:443 -servername server1.lab \
	-CAfile "$ca/ca.pem" >/dev/null 2>&1
ok "... and CLIENT_RANDOM lines for a TLS 1.2 client" grep -q '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' "$LABDIR/keys.log"
is "$(stat -c %a "$LABDIR/keys.log")" 600 "... in a 0600 file"

start -P tls-intercept
is "$(wss "$ca/ca.pem" --server-name server1.lab | result)" error \
	"without --upstream-cafile the system store does not trust the lab server: the flow fails"
wait_closes 1
is "$(last tls_error side)" "['server']" "... with a server-side tls_error"
ok "... saying why" sh -c "echo \"\$1\" | grep -q 'certificate verify failed'" _ "$(last tls_error error)"
start -P tls-intercept --upstream-insecure
is "$(wss "$ca/ca.pem" --server-name server1.lab | result)" ok "--upstream-insecure: it works"

start -P tls-inspect-strip-upgrade --upstream-cafile "$pki/ca.pem"
lines=$(wc -l <"$LABDIR/hs.jsonl")
r=$(wss "$ca/ca.pem" --server-name server1.lab)
is "$(echo "$r" | result)" error "tls-inspect-strip-upgrade: the WebSocket handshake fails inside TLS"
wait_closes 1
is "$(tail -1 "$LABDIR/hs.jsonl" | grep -c '"Upgrade"')" 0 "... the server saw no Upgrade"
ok "... the server did see the request (decrypted and re-encrypted)" test "$(wc -l <"$LABDIR/hs.jsonl")" -gt "$lines"
ok "... the event log says Upgrade was removed" \
	sh -c "echo \"\$1\" | grep -q Upgrade" _ "$(last behaviour removed)"

start -P antivirus-drop-control-frames --upstream-cafile "$pki/ca.pem"
r=$(wss "$ca/ca.pem" --server-name server1.lab --ping --sizes 10,1000,70000)
is "$(echo "$r" | result)" ok "antivirus-drop-control-frames: text and binary messages echo"
is "$(echo "$r" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("pong"))')" False \
	"... but a ping gets no pong"
wait_closes 1
ok "... the event log shows the ping dropped" test "$(events_query "'ping' in [e.get('opcode') for e in ev if e['event']=='behaviour']")" = true
lab daemon stop
lab daemon start -P passthrough
r=$(wss "$pki/ca.pem" --server-name server1.lab --ping)
is "$(echo "$r" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("pong"))')" True \
	"passthrough: the same ping gets its pong"

# Bulk both ways through the interception: 16 MiB up, its sha256 back,
# then 16 MiB down, checked; --buffer-size small so backpressure acts.
cat >"$LABDIR/tlsbulk.py" <<'PY'
import hashlib, socket, ssl, struct, sys
N = 16 << 20
BLK = bytes(range(256)) * 256
def recvall(t, n):
    b = b""
    while len(b) < n:
        d = t.recv(n - len(b))
        if not d:
            break
        b += d
    return b
if sys.argv[1] == "server":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.2.2", 8443))
    s.listen()
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        t = ctx.wrap_socket(c, server_side=True)
        n = struct.unpack("!Q", recvall(t, 8))[0]
        h, left = hashlib.sha256(), n
        while left:
            d = t.recv(min(1 << 16, left))
            if not d:
                break
            h.update(d)
            left -= len(d)
        t.sendall(h.hexdigest().encode())
        left = n
        while left:
            k = min(len(BLK), left)
            t.sendall(BLK[:k])
            left -= k
        t.close()
else:
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    t = ctx.wrap_socket(socket.create_connection(("198.18.2.2", 8443)),
                        server_hostname="server1.lab", suppress_ragged_eofs=False)
    data = bytes(range(251)) * ((N // 251) + 1)
    data = data[:N]
    t.sendall(struct.pack("!Q", N) + data)
    ok_up = recvall(t, 64).decode() == hashlib.sha256(data).hexdigest()
    h, left = hashlib.sha256(), N
    while left:
        d = t.recv(1 << 16)
        if not d:
            break
        h.update(d)
        left -= len(d)
    want = hashlib.sha256((BLK * (N // len(BLK) + 1))[:N]).hexdigest()
    # The server's close reaches us as TLS close_notify, not a bare FIN
    # (which Python reports as SSLEOFError).
    try:
        clean = t.recv(1) == b""
    except ssl.SSLError:
        clean = False
    print("up=%s down=%s clean=%s" % (ok_up, h.hexdigest() == want and left == 0,
                                      clean))
PY
bg server1 "$LABDIR/bulk.out" "$PY" "$LABDIR/tlsbulk.py" server "$pki/srv.pem" "$pki/srv.key"
start -P tls-intercept --upstream-cafile "$pki/ca.pem" --ports 443,8443 --buffer-size 65536
is "$(on client timeout 60 "$PY" "$LABDIR/tlsbulk.py" client "$ca/ca.pem")" "up=True down=True clean=True" \
	"16 MiB each way through the interception arrive intact (64 KiB buffers), then close_notify"
wait_closes 1
is "$(last flow_close bytes_up)" "[$(( (16 << 20) + 8 ))]" "... bytes_up counts the plaintext"

# The same frame filter on plain ws:// (a user profile).
printf '[profile wsdrop]\nbehaviour = ws-drop-control\n' >"$LABDIR/wsdrop.conf"
bg server1 "$LABDIR/ws80.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
lab daemon stop
lab daemon start -c "$LABDIR/wsdrop.conf" -P wsdrop
r=$(on client "$PY" "$PEERS/ws_client.py" ws://198.18.2.2/x --ping --sizes 5,50000)
is "$(echo "$r" | result)" ok "ws-drop-control on plain ws: messages echo"
is "$(echo "$r" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("pong"))')" False \
	"... and the ping gets no pong"
done_testing

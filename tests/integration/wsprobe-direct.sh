#!/bin/bash
# wsprobe against itself and against python3-websockets, on 127.0.0.1 only:
# every version (hixie-76 with key3 wait and defer), ws and wss, echo
# checks up to 1 MiB, --idle, proxies, and each failure class from fake
# servers that misbehave in one way each. Bad input must not hurt the
# server. No root, no namespaces.
set -u

# The shared TAP helpers (ok, is, diag) and paths (WSPROBE, PEERS, PY).
. "$(dirname "$0")/lib.sh"

[ -x "$WSPROBE" ] || { echo "1..0 # SKIP no wsprobe at $WSPROBE"; exit 0; }
[ -x "$PY" ] || { echo "1..0 # SKIP needs $PY"; exit 0; }
HAVE_WEBSOCKETS=0
"$PY" -c 'import websockets' 2>/dev/null && HAVE_WEBSOCKETS=1
HAVE_CURL=0
command -v curl >/dev/null 2>&1 && HAVE_CURL=1

D=$(mktemp -d "${TMPDIR:-/tmp}/wsprobe-direct.XXXXXX")
PIDS=
cleanup() {
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT

# Free ports from 20000 + $$ % 10000 on, where nothing answers. Sets
# PORT (no command substitution: the counter must advance here).
NEXT_PORT=$((20000 + $$ % 10000))
port() {
	while (exec 3<>"/dev/tcp/127.0.0.1/$NEXT_PORT") 2>/dev/null; do
		NEXT_PORT=$((NEXT_PORT + 1))
	done
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}

# bg OUT CMD...: a background server; waits for "ready" in OUT.
bg() {
	local out=$1 i; shift
	"$@" >"$out" 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 1 100); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	diag "did not start: $*"
	sed 's/^/#   /' "$out"
	return 1
}

# probe WANT DESC ARGS...: runs the client, expects exit status WANT.
probe() {
	local want=$1 desc=$2 rc; shift 2
	"$WSPROBE" "$@" >"$D/out" 2>"$D/err"
	rc=$?
	is "$rc" "$want" "$desc"
	[ "$rc" = "$want" ] || { sed 's/^/#   stdout: /' "$D/out"; sed 's/^/#   stderr: /' "$D/err"; }
}

json_field() {
	"$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())[sys.argv[2]])' "$@"
}

# Fake peers, each wrong in one way. Bounded: each exits after 60 s.
cat >"$D/fake.py" <<'PY'
import base64, hashlib, socket, struct, sys, threading, time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
mode, port = sys.argv[1], int(sys.argv[2])

def read_head(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return None, b""
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest

def header(head, name):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None

def accept_for(head):
    key = header(head, "Sec-WebSocket-Key") or ""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()

def switching(acc):
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode()

def recv_exact(c, n, buf):
    while len(buf) < n:
        d = c.recv(65536)
        if not d:
            raise EOFError
        buf += d
    return buf[:n], buf[n:]

def flip_echo(c, rest):
    buf = rest
    while True:
        h, buf = recv_exact(c, 2, buf)
        op, n = h[0] & 0x0f, h[1] & 0x7f
        if n == 126:
            x, buf = recv_exact(c, 2, buf); n = struct.unpack("!H", x)[0]
        elif n == 127:
            x, buf = recv_exact(c, 8, buf); n = struct.unpack("!Q", x)[0]
        mask, buf = recv_exact(c, 4, buf)
        p, buf = recv_exact(c, n, buf)
        p = bytearray(b ^ mask[i % 4] for i, b in enumerate(p))
        if op == 8:
            c.sendall(bytes([0x88, len(p)]) + p)
            return
        if p:
            p[len(p) // 2] ^= 0x01
        hdr = bytes([0x80 | op])
        if n < 126:
            hdr += bytes([n])
        elif n < 65536:
            hdr += bytes([126]) + struct.pack("!H", n)
        else:
            hdr += bytes([127]) + struct.pack("!Q", n)
        c.sendall(hdr + bytes(p))

def relay(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def proxy(c):
    head, rest = read_head(c)
    if head is None:
        return
    method, target, _ = head.split("\r\n")[0].split(" ")
    if mode == "deny":
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nServer: fakeproxy/1\r\n"
                  b"Content-Length: 0\r\n\r\n")
        return
    if method == "CONNECT":
        host, _, p = target.rpartition(":")
        u = socket.create_connection((host.strip("[]"), int(p)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    else:
        # absolute-form: http://host:port/path
        hostport, _, path = target[len("http://"):].partition("/")
        host, _, p = hostport.rpartition(":")
        u = socket.create_connection((host, int(p or 80)))
        lines = head.split("\r\n")
        lines[0] = "%s /%s %s" % (method, path, lines[0].split(" ")[2])
        u.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + rest)
        rest = b""
    if rest:
        u.sendall(rest)
    threading.Thread(target=relay, args=(u, c), daemon=True).start()
    relay(c, u)

def serve(c):
    try:
        if mode in ("proxy", "deny"):
            return proxy(c)
        head, rest = read_head(c)
        if head is None:
            return
        if mode == "silent":
            time.sleep(30)
        elif mode == "badaccept":
            c.sendall(switching("dGhpcyBpcyBub3QgdGhlIGFjY2VwdAo="))
            time.sleep(2)
        elif mode == "close101":
            c.sendall(switching(accept_for(head)))
        elif mode == "flip":
            c.sendall(switching(accept_for(head)))
            flip_echo(c, rest)
    except (OSError, EOFError):
        pass
    finally:
        c.close()

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
s.settimeout(60)
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

# Throwaway PKI: a CA and a server certificate for localhost/127.0.0.1.
pki() {
	local p=$D/pki
	mkdir -p "$p" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$p/ca.key" -out "$p/ca.pem" -days 2 -subj /CN=wsprobe-test-ca \
		>/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$p/srv.key" -out "$p/srv.csr" -subj /CN=localhost >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$p/ext" &&
	openssl x509 -req -in "$p/srv.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" \
		-CAcreateserial -out "$p/srv.pem" -days 2 -extfile "$p/ext" >/dev/null 2>&1
}

# --- wsprobe against wsprobe, every version ---------------------------------
port; P1=$PORT
bg "$D/s1.log" "$WSPROBE" --serve --listen "127.0.0.1:$P1" --timeout 3 ||
	{ echo "Bail out! wsprobe --serve did not start"; exit 1; }
port; P2=$PORT
bg "$D/s2.log" "$WSPROBE" --serve --listen "127.0.0.1:$P2" --key3 defer --timeout 3 ||
	{ echo "Bail out! wsprobe --serve --key3 defer did not start"; exit 1; }

for v in 13 8 7 75; do
	probe 0 "version $v: 5 messages echo" --version "$v" -n 5 -s 100 "ws://127.0.0.1:$P1/echo"
done
probe 0 "version 76, server --key3 wait" --version 76 -n 5 -s 100 "ws://127.0.0.1:$P1/echo"
probe 0 "version 76, server --key3 defer" --version 76 -n 5 -s 100 "ws://127.0.0.1:$P2/echo"
is "$("$PY" -c '
import json, sys
hs = [json.loads(l) for l in open(sys.argv[1]) if "\"handshake\"" in l]
print([(h["version"], h["result"], h.get("key3_mode")) for h in hs])' "$D/s2.log")" \
	"[(76, 'accepted', 'defer')]" "the defer server logged its hixie-76 handshake"
is "$("$PY" -c '
import json, sys
hs = [json.loads(l) for l in open(sys.argv[1]) if "\"handshake\"" in l]
print(sorted(h["version"] for h in hs if h["version"] is not None))
h76 = [h for h in hs if h["version"] == 76][0]
names = [k for k, v in h76["headers"]]
print("Sec-WebSocket-Key1" in names and "Sec-WebSocket-Key2" in names and len(h76["key3"]) == 8)' \
	"$D/s1.log" | tr '\n' ' ')" "[7, 8, 13, 75, 76] True " \
	"the server logged each handshake with its headers and key3, as received"

probe 0 "20 messages of 1000 bytes" -n 20 -s 1000 "ws://127.0.0.1:$P1/"
probe 0 "a 1 MiB message echoes intact (13)" -n 2 -s 1M "ws://127.0.0.1:$P1/"
probe 0 "a 1 MiB message echoes intact (76)" --version 76 -s 1M "ws://127.0.0.1:$P1/"
probe 0 "64 KiB messages in 1000-byte fragments" -n 2 -s 64K --fragment 1000 "ws://127.0.0.1:$P1/"
probe 0 "no messages: handshake and close only" -n 0 "ws://127.0.0.1:$P1/"

t0=$(date +%s%N)
probe 0 "--idle 1: still echoes after a second idle" --idle 1 -n 1 "ws://127.0.0.1:$P1/"
t1=$(date +%s%N)
ok "--idle 1 did hold the connection a second" [ $(((t1 - t0) / 1000000)) -ge 1000 ]

port; P5=$PORT
bg "$D/s5.log" "$WSPROBE" --serve --listen "127.0.0.1:$P5" --idle-timeout 0.5
probe 8 "a server closing during --idle: 8 closed" --idle 5 "ws://127.0.0.1:$P5/"
ok "... naming the close frame and the idle time" \
	grep -q 'close frame (1001 "idle timeout") while idle (--idle 5), .* after 1 message' "$D/err"
probe 8 "the same with hixie-76" --version 76 --idle 5 "ws://127.0.0.1:$P5/"
ok "... naming hixie's close frame" grep -q 'close frame (0xFF 0x00) while idle' "$D/err"

probe 0 "--json" --json -n 3 -s 10 "ws://127.0.0.1:$P1/j"
is "$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["result"], r["status"], r["version"], r["messages"], r["bytes"], r["http_status"],
      r["server"], r["clean_close"], r["close_code"],
      all(k in r for k in ("url", "detail", "connect_ms", "handshake_ms", "total_ms")))' "$D/out")" \
	"ok 0 13 3 30 101 wsprobe/0.1.0 True 1000 True" "--json: one object with the result fields"

"$WSPROBE" -v -n 1 "ws://127.0.0.1:$P1/v" >/dev/null 2>"$D/err"
ok "-v prints both heads, escaped" grep -q '^> GET /v HTTP/1.1\\r\\n$' "$D/err"
ok "-v shows the 101" grep -q '^< HTTP/1.1 101 Switching Protocols\\r\\n$' "$D/err"

# --- wss -----------------------------------------------------------------------
if pki; then
	port; P3=$PORT
	bg "$D/s3.log" "$WSPROBE" --serve --listen "127.0.0.1:$P3" --tls "$D/pki/srv.pem" \
		"$D/pki/srv.key" --timeout 3
	probe 0 "wss with --cafile" --cafile "$D/pki/ca.pem" -n 3 -s 1000 "wss://127.0.0.1:$P3/"
	probe 0 "wss by name with --cafile" --cafile "$D/pki/ca.pem" "wss://localhost:$P3/"
	probe 0 "wss, version 76" --version 76 --cafile "$D/pki/ca.pem" "wss://127.0.0.1:$P3/"
	probe 10 "wss without the CA: 10 tls" "wss://127.0.0.1:$P3/"
	ok "... naming the certificate problem" grep -q '10 tls: certificate verify failed' "$D/err"
	probe 0 "wss with --insecure" --insecure "wss://127.0.0.1:$P3/"
	probe 10 "wss to a plain server: 10 tls" --cafile "$D/pki/ca.pem" "wss://127.0.0.1:$P1/"
	probe 0 "a 1 MiB message over wss" --cafile "$D/pki/ca.pem" -s 1M "wss://127.0.0.1:$P3/"
else
	diag "openssl could not make the test PKI"
	ok "test PKI" false
fi

# --- plain GETs and refusals ---------------------------------------------------
port; P4=$PORT
bg "$D/s4.log" "$WSPROBE" --serve --listen "127.0.0.1:$P4" --plain-get 400 --version 13
if [ "$HAVE_CURL" = 1 ]; then
	is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/")" 426 \
		"a plain GET gets 426 Upgrade Required"
	is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P4/")" 400 \
		"a plain GET gets 400 with --plain-get 400"
else
	diag "no curl: plain GET checks skipped"
fi
probe 5 "a version the server refuses: 5 http-status" --version 76 "ws://127.0.0.1:$P4/"
ok "... showing the status line and Server" \
	grep -q '5 http-status: got "HTTP/1.1 426 Upgrade Required" (Server: wsprobe/' "$D/err"

# --- failure classes from misbehaving peers --------------------------------------
port; PR=$PORT
probe 3 "a refused port: 3 connect" "ws://127.0.0.1:$PR/"

port; PS=$PORT
bg "$D/silent.log" "$PY" "$D/fake.py" silent "$PS"
t0=$(date +%s%N)
probe 7 "a server that never answers: 7 timeout" --timeout 1 "ws://127.0.0.1:$PS/"
t1=$(date +%s%N)
ok "... within 3 s ($(((t1 - t0) / 1000000)) ms)" [ $(((t1 - t0) / 1000000)) -lt 3000 ]

port; PB=$PORT
bg "$D/bad.log" "$PY" "$D/fake.py" badaccept "$PB"
probe 6 "a 101 with a wrong Sec-WebSocket-Accept: 6 handshake" "ws://127.0.0.1:$PB/"
ok "... naming the accept" grep -q '6 handshake: accept-wrong: got' "$D/err"

port; PC=$PORT
bg "$D/close.log" "$PY" "$D/fake.py" close101 "$PC"
probe 8 "closed right after the 101: 8 closed" -n 3 "ws://127.0.0.1:$PC/"
ok "... after 0 messages" grep -q 'after 0 messages' "$D/err"

port; PF=$PORT
bg "$D/flip.log" "$PY" "$D/fake.py" flip "$PF"
probe 9 "an echo with a flipped bit: 9 echo" -n 3 -s 100 "ws://127.0.0.1:$PF/"
ok "... naming the byte" grep -q 'echo differs at byte 50 of 100' "$D/err"

# --- proxies ---------------------------------------------------------------------
port; PP=$PORT
bg "$D/proxy.log" "$PY" "$D/fake.py" proxy "$PP"
probe 0 "through a CONNECT proxy" --proxy "http://127.0.0.1:$PP" -n 3 "ws://127.0.0.1:$P1/"
if [ -n "${P3:-}" ]; then
	probe 0 "wss through a CONNECT proxy" --proxy "http://127.0.0.1:$PP" \
		--cafile "$D/pki/ca.pem" "wss://localhost:$P3/"
fi
probe 0 "through a proxy with an absolute-form GET" --proxy "http://127.0.0.1:$PP" \
	--proxy-mode absolute -n 3 "ws://127.0.0.1:$P1/abs"
ok "... which the server saw as /abs" grep -q '"path":"/abs"' "$D/s1.log"
port; PD=$PORT
bg "$D/deny.log" "$PY" "$D/fake.py" deny "$PD"
probe 4 "a proxy refusing CONNECT: 4 proxy" --proxy "http://127.0.0.1:$PD" "ws://127.0.0.1:$P1/"
ok "... showing its status line" grep -q '4 proxy: CONNECT refused: got "HTTP/1.1 403 Forbidden" (Server: fakeproxy/1)' "$D/err"
probe 3 "a proxy that is not there: 3 connect" --proxy "http://127.0.0.1:$PR" "ws://127.0.0.1:$P1/"

# --- bad input does not hurt the server -------------------------------------------
bad() {
	"$PY" - "$P1" "$1" <<'PY'
import base64, os, socket, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
hs = ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode()
if what == "garbage":
    s.sendall(bytes(range(256)) * 4 + b"\r\n\r\n")
elif what == "oversized":
    s.sendall(b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 40000 + b"\r\n\r\n")
elif what == "truncated":
    s.sendall(hs)
    s.recv(4096)
    s.sendall(b"\x82\xfe\xff\xff\x01\x02")    # a 65535-byte frame, cut short
    s.close()
    print("sent")
    sys.exit(0)
elif what == "reserved":
    s.sendall(hs)
    s.recv(4096)
    s.sendall(b"\xf2\x80\x00\x00\x00\x00")    # RSV bits set
    s.settimeout(5)
    f = s.recv(200)
    print(f[:1].hex(), f[2:4].hex())
    sys.exit(0)
try:
    s.settimeout(5)
    print(s.recv(200).split(b"\r\n")[0].decode("latin-1"))
except OSError as e:
    print("error: %s" % e)
s.close()
PY
}
is "$(bad garbage)" "HTTP/1.1 400 Bad Request" "garbage gets 400"
is "$(bad oversized)" "HTTP/1.1 431 Request Header Fields Too Large" "an oversized head gets 431"
is "$(bad truncated)" sent "a truncated frame, then a close"
is "$(bad reserved)" "88 03ea" "a frame with RSV bits gets a close frame with 1002"
probe 0 "the server still serves a good client" -n 3 "ws://127.0.0.1:$P1/"
ok "the server logged the rejects" grep -q '"result":"rejected","status":431' "$D/s1.log"

# --- python3-websockets, both ways --------------------------------------------------
if [ "$HAVE_WEBSOCKETS" = 1 ]; then
	port; PW=$PORT
	bg "$D/pyws.log" "$PY" "$PEERS/ws_echo_server.py" --listen "127.0.0.1:$PW"
	probe 0 "wsprobe against python3-websockets" -n 10 -s 64K "ws://127.0.0.1:$PW/"
	probe 0 "... a 1 MiB message" -s 1M "ws://127.0.0.1:$PW/"
	probe 0 "... fragmented" -s 10000 --fragment 999 "ws://127.0.0.1:$PW/"
	probe 5 "python3-websockets answers version 8 with 426: 5 http-status" \
		--version 8 "ws://127.0.0.1:$PW/"
	ok "... naming its Server" grep -q '(Server: Python/.* websockets/' "$D/err"
	res=$("$PY" "$PEERS/ws_client.py" "ws://127.0.0.1:$P1/py" --sizes 1,100,65536,1048576 \
		--timeout 10 2>&1)
	is "$(echo "$res" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>&1)" \
		ok "python3-websockets against wsprobe's server"
	if [ -n "${P3:-}" ]; then
		res=$("$PY" "$PEERS/ws_client.py" "wss://localhost:$P3/py" --sizes 1,1000 \
			--cafile "$D/pki/ca.pem" --timeout 10 2>&1)
		is "$(echo "$res" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>&1)" \
			ok "python3-websockets against wsprobe's TLS server"
	fi
else
	diag "python3-websockets missing: interoperability skipped"
fi

# --- usage ---------------------------------------------------------------------------
probe 2 "no URL: 2 usage"
probe 2 "a bad URL: 2 usage" "http://127.0.0.1:$P1/"
probe 2 "a server option for the client: 2 usage" --key3 defer "ws://127.0.0.1:$P1/"
probe 2 "--serve without --listen: 2 usage" --serve
probe 2 "--proxy-mode absolute without --proxy: 2 usage" --proxy-mode absolute "ws://127.0.0.1:$P1/"
probe 2 "--proxy-mode absolute with wss: 2 usage" --proxy "http://127.0.0.1:$PP" \
	--proxy-mode absolute "wss://127.0.0.1:$P1/"
probe 2 "a URL with a fragment: 2 usage" "ws://127.0.0.1:$P1/#x"

ok "the servers are all still running" kill -0 $PIDS
done_testing

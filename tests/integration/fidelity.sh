#!/bin/bash
# Fidelity: the real products beside their personas, on the same
# handshake through the same lab path. Real Squid 5.7 intercepting port
# 80 (Debian's default squid.conf, http_port intercept + REDIRECT) and
# real nginx 1.22 as a reverse proxy (proxy_pass and nothing else) run
# in the middlebox, one at a time, then proxysimd with
# squid-strip-upgrade and nginx-default. The client sends the handshake
# of real-products.md byte for byte; the server records the head it got
# and answers 426. What reached the server and what the client got are
# compared field by field, real against persona: a persona that drifts
# from its product fails here.
. "$(dirname "$0")/lib.sh"
require_netns
SQUID=$(command -v squid || echo /usr/sbin/squid)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$SQUID" ] && [ -x "$NGINX" ] ||
	skip_all "needs the real products (Debian squid and nginx)"
"$SQUID" -v 2>/dev/null | grep -q 'Version 5\.7$' ||
	skip_all "needs Squid 5.7, the version squid-strip-upgrade imitates"
"$NGINX" -v 2>&1 | grep -q 'nginx/1\.22\.' ||
	skip_all "needs nginx 1.22, the version nginx-default imitates"
id proxy >/dev/null 2>&1 || skip_all "needs the proxy user (Debian squid)"
lab_start --no-daemon

T="$LABDIR/fid"
mkdir -p "$T"
PRODUCT_PIDS=
fid_cleanup() {
	local p
	for p in $PRODUCT_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	lab_cleanup
}
trap fid_cleanup EXIT

# Three handshakes. "rfc": real-products.md's, byte for byte. "browser":
# socket.io's URL (a query: the server answers with hop-by-hop headers
# of its own), a browser's order (Host early, Upgrade last), Firefox's
# "Connection: keep-alive, Upgrade", and hop-by-hop headers the two
# products treat differently: a header named by Connection (X-Hop),
# Keep-Alive, Proxy-Connection, TE. "lower": every name in lowercase,
# as undici (Node's WebSocket) sends them.
HANDSHAKES="rfc browser lower"
printf '%s\r\n' "GET /chat HTTP/1.1" "Host: 198.18.2.2" "Upgrade: websocket" \
	"Connection: Upgrade" "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
	"Origin: http://198.18.2.2" "Sec-WebSocket-Version: 13" "User-Agent: rawws/1" \
	"" >"$T/rfc.req"
printf '%s\r\n' "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1" \
	"User-Agent: rawws/2" "Accept:*/*" \
	"Host: 198.18.2.2" "Sec-WebSocket-Version: 13" "Origin: http://198.18.2.2" \
	"Sec-WebSocket-Protocol: chat" "Sec-WebSocket-Extensions: permessage-deflate" \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "Connection: keep-alive, Upgrade, X-Hop" \
	"X-Hop: 1" "Keep-Alive: 300" "Proxy-Connection: keep-alive" "TE: trailers" \
	"pragma:  no-cache" "Upgrade: websocket" "" >"$T/browser.req"
printf '%s\r\n' "GET /chat HTTP/1.1" "host: 198.18.2.2" "connection: upgrade" \
	"upgrade: websocket" "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==" \
	"sec-websocket-version: 13" "sec-websocket-extensions: permessage-deflate" \
	"origin: http://198.18.2.2" "user-agent: rawws/3" "accept: */*" \
	"accept-language: *" "sec-fetch-mode: websocket" "pragma: no-cache" \
	"cache-control: no-cache" "accept-encoding: gzip, deflate" "" >"$T/lower.req"

bg server1 "$T/server.out" "$PY" "$PEERS/raw_http.py" server --listen 198.18.2.2:80 \
	--log "$T/server.jsonl" || exit 1
touch "$T/server.jsonl"

# run_case NAME: each handshake through whatever intercepts port 80 now;
# NAME-HS.client is what the client got, NAME-HS.server what the server
# got.
# Then a real client, python3-websockets: NAME-websockets.client is what
# it reported (its handshake carries a random key, masked in compare).
run_case() {
	local hs
	for hs in $HANDSHAKES; do
		run_one "$1-$hs" on client "$PY" "$PEERS/raw_http.py" client \
			--connect 198.18.2.2:80 --head "$T/$hs.req"
	done
	run_one "$1-websockets" on client "$PY" "$PEERS/ws_client.py" \
		--timeout 5 --sizes 1 ws://198.18.2.2/chat
}

run_one() {	# run_one CASE CLIENT-CMD...
	local n i c=$1
	shift
	n=$(wc -l <"$T/server.jsonl")
	"$@" >"$T/$c.client"
	# The recorder logs before it answers; a line may still be on its way
	# if the client saw an error.
	for i in $(seq 1 40); do
		[ "$(wc -l <"$T/server.jsonl")" -gt "$n" ] && break
		sleep 0.05
	done
	# Every line since: one request each case, or the check below fails
	# (a late one would otherwise be taken for the next case's).
	sed -n "$((n + 1)),\$p" "$T/server.jsonl" >"$T/$c.server"
}

redirect() {	# redirect -A|-D PORT: port 80 from the client to PORT
	on mbox iptables -t nat "$1" PREROUTING -i m0 -p tcp -d 198.18.2.2 \
		--dport 80 -j REDIRECT --to-ports "$2"
}

# wait_listen PORT: until something listens on PORT in the middlebox.
wait_listen() {
	local i
	for i in $(seq 1 100); do
		on mbox ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

stop_product() {	# stop_product PID
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	return 0
}

# --- Squid 5.7 -------------------------------------------------------
# Debian 12's squid.conf without its comments, as real-products.md ran
# it: the lab subnet in localnet (allowed), an intercepting port beside
# 3128, no cache, no DNS, and files in a private directory.
mkdir -p "$T/squid"
chown proxy:proxy "$T/squid"
cat >"$T/squid/squid.conf" <<CONF
acl localnet src 0.0.0.1-0.255.255.255
acl localnet src 10.0.0.0/8
acl localnet src 100.64.0.0/10
acl localnet src 169.254.0.0/16
acl localnet src 172.16.0.0/12
acl localnet src 192.168.0.0/16
acl localnet src fc00::/7
acl localnet src fe80::/10
acl localnet src 198.18.0.0/15
acl SSL_ports port 443
acl Safe_ports port 80
acl Safe_ports port 21
acl Safe_ports port 443
acl Safe_ports port 70
acl Safe_ports port 210
acl Safe_ports port 1025-65535
acl Safe_ports port 280
acl Safe_ports port 488
acl Safe_ports port 591
acl Safe_ports port 777
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost manager
http_access deny manager
logfile_rotate 0
http_access allow localnet
http_access allow localhost
http_access deny all
http_port 3128
http_port 3129 intercept
refresh_pattern ^ftp:		1440	20%	10080
refresh_pattern ^gopher:	1440	0%	1440
refresh_pattern -i (/cgi-bin/|\?) 0	0%	0
refresh_pattern .		0	20%	4320
cache deny all
dns_nameservers 127.0.0.1
visible_hostname mb.lab
cache_effective_user proxy
coredump_dir $T/squid
pid_filename $T/squid/squid.pid
cache_log $T/squid/cache.log
access_log stdio:$T/squid/access.log
shutdown_lifetime 0 seconds
CONF

# ip netns exec itself, not on(): so that $! is the product's own PID.
ip netns exec "psl-$LAB-mbox" "$SQUID" -N -f "$T/squid/squid.conf" \
	>"$T/squid/stderr" 2>&1 &
pid=$!
PRODUCT_PIDS="$PRODUCT_PIDS $pid"
if wait_listen 3129; then
	redirect -A 3129
	run_case squid-real
	redirect -D 3129
else
	diag "squid did not start:"
	sed 's/^/#   /' "$T/squid/stderr" "$T/squid/cache.log" 2>/dev/null | tail -20
fi
stop_product "$pid"

lab daemon start -P squid-strip-upgrade
run_case squid-persona
lab daemon stop

# --- nginx 1.22 ------------------------------------------------------
# proxy_pass and nothing else, as real-products.md ran it; Debian's
# nginx.conf sets no proxy_* directive either.
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $T/nginx/access.log;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 8080;
		location / {
			proxy_pass http://198.18.2.2:80;
		}
	}
}
CONF
ip netns exec "psl-$LAB-mbox" "$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" \
	-c "$T/nginx/nginx.conf" >"$T/nginx/stderr" 2>&1 &
pid=$!
PRODUCT_PIDS="$PRODUCT_PIDS $pid"
if wait_listen 8080; then
	redirect -A 8080
	run_case nginx-real
	redirect -D 8080
else
	diag "nginx did not start:"
	sed 's/^/#   /' "$T/nginx/stderr" "$T/nginx/error.log" 2>/dev/null | tail -20
fi
stop_product "$pid"

lab daemon start -P nginx-default
run_case nginx-persona
lab daemon stop

# --- Field by field --------------------------------------------------
# compare REAL PERSONA (paths without .server/.client): one line per field, "FIELD<TAB>REAL<TAB>PERSONA".
# Request side: the request line, the address the server saw, the
# header names in order, and every header's value. Response side: the
# status line and the headers that matter to a WebSocket client.
compare() {
	"$PY" - "$1" "$2" <<'PY'
import json, re, sys

def load(path):
    try:
        return json.loads(open(path).readline())
    except (OSError, ValueError):
        return {}

def mask(head):
    # python3-websockets sends a random key: the same mask on both sides
    # (the fixed handshakes' key is compared as it is).
    return re.sub(r"(?im)^(sec-websocket-key:[ \t]*)"
                  r"(?!dGhlIHNhbXBsZSBub25jZQ==)[A-Za-z0-9+/=]{24}",
                  r"\1(random)", head) if head else head

def parse(head):
    head = mask(head)
    lines = head.split("\r\n")
    hdrs = []
    for l in lines[1:]:
        if not l:
            break
        n, _, v = l.partition(":")
        hdrs.append((n, v.strip()))
    return lines[0], hdrs

def values(hdrs, name):
    v = [x for n, x in hdrs if n.lower() == name]
    return ", ".join(v) if v else "(absent)"

real, pers = sys.argv[1], sys.argv[2]
rows = []
rs, ps = load(real + ".server"), load(pers + ".server")
rline, rh = parse(rs.get("head", "(nothing)"))
pline, ph = parse(ps.get("head", "(nothing)"))
rows.append(("request head, byte for byte",
             json.dumps(mask(rs.get("head"))), json.dumps(mask(ps.get("head")))))
rows.append(("request line", rline, pline))
rows.append(("server saw the connection from", rs.get("peer"), ps.get("peer")))
rows.append(("request header order", " ".join(n for n, _ in rh),
             " ".join(n for n, _ in ph)))
names = []
for n, _ in rh + ph:
    if n.lower() not in names:
        names.append(n.lower())
for n in names:
    rows.append(("request " + n, values(rh, n), values(ph, n)))
rc, pc = load(real + ".client"), load(pers + ".client")
# The websockets client reports an outcome, not a head.
rline, rh = parse(rc.get("head", rc.get("error", "(nothing)")))
pline, ph = parse(pc.get("head", pc.get("error", "(nothing)")))
rows.append(("response status line", rline, pline))
for n in ("connection", "upgrade", "keep-alive", "x-hop2",
          "sec-websocket-version",
          "sec-websocket-accept", "sec-websocket-protocol",
          "sec-websocket-extensions", "content-length"):
    rows.append(("response " + n, values(rh, n), values(ph, n)))
rows.append(("response body", json.dumps(rc.get("body")),
             json.dumps(pc.get("body"))))
for r in rows:
    print("\t".join(str(x) for x in r))
PY
}

check() {	# check PRODUCT PERSONA HANDSHAKE
	local field real pers r="$T/$1-real-$3" p="$T/$1-persona-$3"
	ok "$1 (real) answered the $3 handshake" grep -q '"head"\|"error"' "$r.client"
	is "$(grep -c '"head"' "$r.server")" 1 "... one request reached the server"
	is "$(grep -c '"head"' "$p.server")" 1 "... and one through $2"
	diag "$1 real, $3 handshake: the request the server got:"
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["head"])' \
		<"$r.server" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
	diag "$1 real, $3 handshake: the response head the client got:"
	"$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j.get("head", j))' \
		<"$r.client" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
	compare "$r" "$p" >"$T/$1-$3.cmp"
	while IFS="$(printf '\t')" read -r field real pers; do
		is "$pers" "$real" "$2 as $1, $3 handshake: $field"
	done <"$T/$1-$3.cmp"
}

for hs in $HANDSHAKES websockets; do
	check squid squid-strip-upgrade "$hs"
	check nginx nginx-default "$hs"
done

# Their workers and helpers too: nothing of theirs in the middlebox.
left=
for p in $(ip netns pids "psl-$LAB-mbox" 2>/dev/null); do
	case "$(cat "/proc/$p/comm" 2>/dev/null)" in
	squid*|nginx*) left="$left $p" ;;
	esac
done
is "$left" "" "nothing of the products is left running"
done_testing

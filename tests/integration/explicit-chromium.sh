#!/bin/bash
# Headless Chromium (Debian's chromium) with --proxy-server pointing at
# proxysimd's explicit proxy, running ws:// and wss:// from a page served
# in the lab. Chromium tunnels both schemes with CONNECT (never an
# absolute-form GET), so with `passthrough` both work, and with
# squid-default-explicit (CONNECT to 443 only) ws:// fails and wss://
# works, as behind a default Squid (real-products.md).
. "$(dirname "$0")/lib.sh"
require_netns
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "needs chromium (Debian package chromium)"
lab_start --no-daemon

test_pki
# Chromium trusts this one key for the test, and nothing else.
spki=$(openssl x509 -in "$pki/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:443 \
	--cert "$pki/srv.pem" --key "$pki/srv.key"
bg server1 "$LABDIR/http.out" "$PY" "$PEERS/http_report_server.py" --listen 198.18.2.2:8000 \
	--page "$PEERS/ws_page.html" --log "$LABDIR/report.jsonl"

X=198.18.1.1:3128
# browse: runs the page in headless Chromium through the proxy; waits for
# its "done" report (20 s at most), then stops Chromium's process group.
browse() {
	local dir="$LABDIR/chromium.$1" i pg bpid
	rm -rf "$dir"; mkdir -p "$dir"
	: >"$LABDIR/report.jsonl"
	# Its own session: the browser's pid is its process group, stopped
	# whole below. HOME keeps its crash database in the lab directory.
	on client setsid sh -c 'echo $$ >"$0.pid"; exec "$@"' "$dir" \
		env HOME="$dir" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-dev-shm-usage \
		--user-data-dir="$dir" --proxy-server="http://$X" \
		--ignore-certificate-errors-spki-list="$spki" \
		"http://198.18.2.2:8000/?u=ws://198.18.2.2/chat&u=wss://198.18.2.2/chat" \
		>"$dir.log" 2>&1 &
	bpid=$!
	for i in $(seq 1 200); do
		grep -q '"done"' "$LABDIR/report.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	pg=$(cat "$dir.pid" 2>/dev/null)
	if [ -n "$pg" ]; then
		kill -TERM -- "-$pg" 2>/dev/null; sleep 0.5
		kill -KILL -- "-$pg" 2>/dev/null
	fi
	wait "$bpid"
	return 0
}
res() { "$PY" - "$LABDIR/report.jsonl" "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("url", "").startswith(sys.argv[2] + ":"):
        print(r["result"] + ("" if r["result"] == "ok" else " opened=%s" % r.get("opened")))
PY
}

lab daemon start -x "$X"
browse allow
is "$(res ws)" ok "passthrough: Chromium's ws:// through the explicit proxy works"
is "$(res wss)" ok "... and wss://"
is "$(events_query '[e["target"] for e in ev if e["event"]=="proxy_request" and e["method"]=="CONNECT" and e.get("host")=="198.18.2.2"]')" \
	"['198.18.2.2:80', '198.18.2.2:443']" "... both tunnelled with CONNECT (:80 for ws, :443 for wss)"
ok "... the page came as an absolute-form GET" test "$(events_query \
	'any(e["form"]=="absolute" and e["port"]==8000 for e in ev if e["event"]=="proxy_request")')" = true

lab daemon stop
lab daemon start -x "$X" -P squid-default-explicit
browse squid
is "$(res ws)" "closed opened=False" "squid-default-explicit: Chromium's ws:// fails before open"
is "$(res wss)" ok "... while wss:// works"
is "$(events_query '[(e["target"], e["port"], e["status"]) for e in ev if e["event"]=="behaviour" and e["name"]=="connect-ports"]')" \
	"[('198.18.2.2', 80, 403)]" "... the proxy refused CONNECT to port 80 with 403"
done_testing

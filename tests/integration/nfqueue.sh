#!/bin/bash
# The NFQUEUE packet engine (-q) in the lab, with real peers: each packet
# persona's symptom at the client and what reached the server, the
# event log's behaviour events, 100 MiB byte-exact through the queue,
# the capture of packets before and after mangling, and fail-open after
# the daemon is killed.
. "$(dirname "$0")/lib.sh"
require_netns
command -v socat >/dev/null || skip_all "needs socat"
lab_start --no-daemon

SRV=$(lab addr server1)
bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen "$SRV:80" \
	--log "$LABDIR/hs.jsonl"
persona() { lab daemon stop; : >"$EVENTS"; lab daemon start -q 0 --ports 80,81,443 "$@"; }
echo_ws() { on client "$PY" "$PEERS/ws_client.py" --timeout "${T:-5}" "$@" >"$LABDIR/ws-client.out" 2>&1; }
fails() { ! "$@"; }
bhv() { events_query "[e.get('$1') for e in ev if e['event']=='behaviour']"; }
nrules() { on mbox "$1" -t mangle -S FORWARD | grep -c 'proxysim/q0/m0.*NFQUEUE --queue-num 0 --queue-bypass'; }
# A raw HTTP upgrade request; prints "reset", or what happened instead.
upgrade_req() {
	on client "$PY" - "$SRV" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=3)
s.sendall(b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
try:
    d = s.recv(100)
    print("data" if d else "eof")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
PY
}
# A TLS ClientHello naming $1 to port 443; prints "reset" or "timeout".
hello() {
	on client "$PY" - "$SRV" "$1" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
s = socket.create_connection((sys.argv[1], 443), timeout=1.5)
try:
    ctx.wrap_socket(s, server_hostname=sys.argv[2])
    print("handshake")
except (ConnectionResetError, ssl.SSLError) as e:
    print("reset" if isinstance(e, ConnectionResetError) or "RESET" in str(e).upper() else "ssl:" + str(e))
except socket.timeout:
    print("timeout")
PY
}

# passthrough: the rules, an echo, the packet capture.
persona -P passthrough -w "$LABDIR/pass.pcap"
is "$(nrules iptables)" 6 "6 IPv4 NFQUEUE rules (3 ports, both directions), tagged, with --queue-bypass"
is "$(nrules ip6tables)" 6 "... and 6 IPv6"
ok "passthrough: a WebSocket echo through the queue" echo_ws --sizes 5,3000,70000 "ws://$SRV/chat"
sleep 0.2
is "$(events_query '[e.get("mode") for e in ev if e["event"]=="flow_open"]')" "['nfqueue']" \
	"the flow is in the event log, mode nfqueue"

# 100 MiB each way, byte-exact, through the queue (GSO super-packets).
blob="$LABDIR/blob"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$blob"
want=$(sha256sum <"$blob" | cut -d' ' -f1)
on server1 socat TCP-LISTEN:81,bind="$SRV",reuseaddr SYSTEM:'sha256sum' &
sleep 0.3
got=$(on client socat -t 30 -T 60 - "TCP:$SRV:81" <"$blob" | cut -d' ' -f1)
is "$got" "$want" "100 MiB upstream through NFQUEUE passthrough: same sha256"
on server1 socat TCP-LISTEN:81,bind="$SRV",reuseaddr OPEN:"$blob",rdonly &
sleep 0.3
got=$(on client socat -u -T 60 "TCP:$SRV:81" - </dev/null | sha256sum | cut -d' ' -f1)
is "$got" "$want" "100 MiB downstream: same sha256"
rm -f "$blob"
lab daemon stop
ok "tshark reads the packet capture" sh -c "tshark -r '$LABDIR/pass.pcap' -c 20 >/dev/null 2>&1"

# cneonction: the handshake breaks; the server saw the renamed headers.
mkdir -p "$LABDIR/pd"
persona -P cneonction -w "$LABDIR/cn.pcap" --pcap-dir "$LABDIR/pd"
ok "cneonction: the WebSocket handshake fails at the client" fails echo_ws "ws://$SRV/chat"
ok "... the client saw the server's refusal ($(head -c 90 "$LABDIR/ws-client.out"))" \
	grep -q 426 "$LABDIR/ws-client.out"
last=$(tail -1 "$LABDIR/hs.jsonl")
ok "... the server received Cneonction and Upgrxde" sh -c 'echo "$1" | grep -q "\"Cneonction\", \"Upgrade\"" && echo "$1" | grep -q "\"Upgrxde\", \"websocket\""' _ "$last"
is "$(bhv renamed)" "[2]" "... one behaviour event: two names renamed in one segment"
is "$(bhv length_preserved)" "[True]" "... length preserved"
lab daemon stop
# Before and after: the request twice in the capture, the second renamed.
reqs=$(tshark -r "$LABDIR/cn.pcap" -Y 'frame contains "GET /chat"' -T fields \
	-e tcp.seq_raw -e tcp.len 2>/dev/null)
is "$(echo "$reqs" | wc -l)" 2 "the capture has the request before and after mangling"
is "$(echo "$reqs" | sort -u | wc -l)" 1 "... same seq and length"
is "$(tshark -r "$LABDIR/cn.pcap" -Y 'frame contains "Connection: Upgrade"' 2>/dev/null | wc -l)$(tshark -r "$LABDIR/cn.pcap" -Y 'frame contains "Cneonction: Upgrade"' 2>/dev/null | wc -l)" 11 \
	"... first with Connection, then with Cneonction"
is "$(tshark -r "$LABDIR/cn.pcap" -o tcp.check_checksum:TRUE -Y 'frame contains "Cneonction" && tcp.checksum.status==1' 2>/dev/null | wc -l)" 1 \
	"... the mangled one's TCP checksum is correct"
is "$(tshark -r "$LABDIR/pd/flow-1.pcap" -Y 'frame contains "GET /chat"' 2>/dev/null | wc -l)" 2 \
	"--pcap-dir: the flow's own file has both too"

# dpi-reset: the client gets a reset, the server never the request.
persona -P dpi-reset
n=$(wc -l <"$LABDIR/hs.jsonl")
is "$(upgrade_req)" reset "dpi-reset: the client gets a reset"
is "$(wc -l <"$LABDIR/hs.jsonl")" "$n" "... the server never saw the request"
is "$(bhv action)" "['reset']" "... the event log says reset"
is "$(bhv offset)" "[29]" "... at the pattern's offset in the segment"
bg server1 "$LABDIR/who.out" "$PY" "$PEERS/tcp_peer.py" server --listen "$SRV:81" --mode whoami
ok "a flow without the pattern passes" sh -c "echo \"\$1\" | grep -q '^local='" _ \
	"$(on client "$PY" "$PEERS/tcp_peer.py" client --connect "$SRV:81" --mode whoami)"

# sni-block: a ClientHello naming a listed name is reset; another passes.
bg server1 "$LABDIR/tls.out" "$PY" "$PEERS/tcp_peer.py" server --listen "$SRV:443" \
	--mode readlog --log "$LABDIR/tlslog"
persona -P sni-block --pkt-param sni=blocked.example --pkt-param sni=bad.lab
is "$(hello bad.lab)" reset "sni-block: a ClientHello for bad.lab is reset"
is "$(hello good.lab)" timeout "... one for good.lab reaches the server (which never answers)"
sleep 0.5
is "$(awk '$2 > 0' "$LABDIR/tlslog" | wc -l)" 1 "... the server got one ClientHello, not the blocked one"
is "$(bhv sni)" "['bad.lab']" "... the event log names the SNI"

# pmtu-blackhole: small messages pass, a large transfer stalls.
persona -P pmtu-blackhole --pkt-param mtu=1000
ok "pmtu-blackhole: small messages pass" echo_ws --sizes 5,100,900 "ws://$SRV/chat"
T=3
ok "... a 100 KB message stalls" fails echo_ws --sizes 100000 "ws://$SRV/chat"
T=5
ok "... segments over 1000 bytes dropped" sh -c "echo \"\$1\" | grep -q size" _ "$(bhv why)"

# drop / duplicate / delay with a probability: TCP recovers.
persona -P passthrough --seed 7 --pkt-param drop=0.2 --pkt-param dup=0.2 \
	--pkt-param delay=0.2 --pkt-param delay-ms=50
ok "drop, duplicate and delay 20% each: the echo still completes" \
	echo_ws --sizes 5,3000,70000,3000 "ws://$SRV/chat"
acts=$(bhv action)
ok "... and the event log has drops, duplicates and delays" \
	sh -c 'echo "$1" | grep -q drop && echo "$1" | grep -q duplicate && echo "$1" | grep -q delay' _ "$acts"

# Fail-open: SIGKILL leaves the rules; --queue-bypass lets traffic pass.
persona -P dpi-reset
lab daemon stop KILL
is "$(nrules iptables)" 6 "after SIGKILL the rules are still there"
ok "... and traffic keeps flowing (queue-bypass)" echo_ws --sizes 5 "ws://$SRV/chat"
is "$(on mbox "$PROXYSIMD" --cleanup -r m0 -q 0)" "removed 12 rules" "--cleanup -r m0 -q 0 removes them"
is "$(nrules iptables)$(nrules ip6tables)" 00 "... all of them"
# rules/nfqueue.sh installs the same rules, which the daemon's cleanup takes.
on mbox "$top_srcdir/rules/nfqueue.sh" up -i m0 -q 0 -p 80,81,443 >/dev/null
is "$(nrules iptables)$(nrules ip6tables)" 66 "rules/nfqueue.sh up: the daemon's 12 rules"
ok "... status lists them" quiet on mbox "$top_srcdir/rules/nfqueue.sh" status -i m0 -q 0
ok "... and with them the queue-less lab still forwards" echo_ws --sizes 5 "ws://$SRV/chat"
is "$(on mbox "$top_srcdir/rules/nfqueue.sh" down -i m0 -q 0 2>&1)" "nfqueue.sh: removed 12 rules (proxysim/q0/m0)" \
	"rules/nfqueue.sh down removes them"
ok "... status then fails" fails on mbox "$top_srcdir/rules/nfqueue.sh" status -i m0 -q 0
ok "unknown packet persona: exit 2" sh -c "'$PROXYSIMD' -q 0 -P squid-strip-upgrade -l 15999 2>/dev/null; [ \$? = 2 ]"
ok "--tproxy with -q: exit 2" sh -c "'$PROXYSIMD' -q 0 --tproxy 2>/dev/null; [ \$? = 2 ]"
ok "bad --pkt-param: exit 2" sh -c "'$PROXYSIMD' -q 0 -P passthrough --pkt-param mtu=x 2>/dev/null; [ \$? = 2 ]"
done_testing

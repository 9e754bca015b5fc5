#!/bin/bash
# Rules on the ClientHello's server name: a TLS flow waits (its bytes
# held, nothing decrypted) until the SNI is known, then gets the profile
# of the first rule that matches; flows without SNI, or not TLS, go on.
# Real peers: python3-websockets over wss with certificates verified,
# and openssl s_client with and without -servername.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start --no-daemon

test_pki DNS:blocked.lab
# blocked.lab is server1 too, for this test.
for r in client mbox server1 server2; do
	printf '198.18.2.2 blocked.lab\n' >>"/etc/netns/psl-$LAB-$r/hosts"
done
bg server1 "$LABDIR/wss.out" "$PY" "$PEERS/ws_echo_server.py" \
	--listen 198.18.2.2:443 --cert "$pki/srv.pem" --key "$pki/srv.key"
bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80

conf="$LABDIR/sni.conf"
cat >"$conf" <<'CONF'
[rules]
rule = sni=blocked.lab profile=tls-reset-after-hello
rule = sni=*.lab profile=tls-stall-after-server-hello
rule = port=443 profile=passthrough
rule = port=80 profile=squid-strip-upgrade
CONF
result() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("result"))'; }
wss() { on client timeout 20 "$PY" "$PEERS/ws_client.py" "wss://$1/x" --cafile "$pki/ca.pem" --sizes 10,1000; }
rule_of() { events_query "[(e.get('rule', '').split(':')[-1] if e.get('rule') else None, e.get('profile'), e.get('sni')) for e in ev if e['event']=='rule' and e['flow']==$1]"; }

lab daemon start -c "$conf"
r=$(wss blocked.lab)
ok "sni=blocked.lab: tls-reset-after-hello, the wss handshake fails ($r)" test "$(echo "$r" | result)" != ok
is "$(rule_of 1)" "[('2', 'tls-reset-after-hello', 'blocked.lab')]" "... the rule at line 2 picked it, on the SNI"
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close" and e["flow"]==1]')" "['tls_reset_after_hello']" \
	"... and reset it after the hello"
r=$(on client timeout 10 openssl s_client -connect 198.18.2.2:443 -servername x.server1.lab -CAfile "$pki/ca.pem" </dev/null 2>&1 | head -40)
is "$(rule_of 2)" "[('3', 'tls-stall-after-server-hello', 'x.server1.lab')]" "sni=*.lab: a name under it gets the stall"
ok "... the handshake never completes" sh -c "! echo \"\$1\" | grep -q 'Verify return code: 0'" _ "$r"
r=$(wss 198.18.2.2)
is "$(echo "$r" | result)" ok "no SNI (an address in the URL): port=443, passthrough, wss works ($r)"
is "$(rule_of 3)" "[('4', 'passthrough', None)]" "... decided once the hello showed no name"
r=$(on client "$WSPROBE" -t 3 ws://198.18.2.2/chat 2>&1); rc=$?
is "$rc" 5 "port 80, HTTP: no wait for an SNI, squid-strip-upgrade (class 5)"
is "$(events_query '[e.get("rule","").split(":")[-1] for e in ev if e["event"]=="rule" and e["flow"]==4]')" "['5']" \
	"... the rule at line 5"
done_testing

#!/bin/bash
# Each flow reaches its own original destination: two servers, IPv4 and
# IPv6, through the redirect; and with --tproxy the server sees the
# client's own address instead of the middlebox's.
. "$(dirname "$0")/lib.sh"
require_netns
lab_start

for s in server1 server2; do
	a4=$(lab addr $s); a6=$(lab addr $s -6)
	bg $s "$LABDIR/$s.out" "$PY" "$PEERS/tcp_peer.py" server --listen 0.0.0.0:80 --mode whoami
	bg $s "$LABDIR/$s-6.out" "$PY" "$PEERS/tcp_peer.py" server --listen "[::]:80" --mode whoami
	r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect "$a4:80" --mode whoami)
	is "${r%% *}" "local=$a4:80" "IPv4 flow to $s reaches $s"
	is "$(echo "$r" | sed 's/.*peer=//; s/:[0-9]*$//')" 198.18.$([ $s = server1 ] && echo 2 || echo 3).1 \
		"redirect mode: $s sees the middlebox's address"
	r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect "[$a6]:80" --mode whoami)
	is "${r%% *}" "local=[$a6]:80" "IPv6 flow to $s reaches $s"
done
wait_closes 4
is "$(events_query 'sorted(e["server"] for e in ev if e["event"]=="flow_open")')" \
	"['198.18.2.2:80', '198.18.3.2:80', '[fd00:18:2::2]:80', '[fd00:18:3::2]:80']" \
	"the event log names each original destination"

# TPROXY: the same flows, with the client's own address reaching the server.
lab daemon stop
lab daemon start --tproxy
for a in 198.18.2.2:80 "[fd00:18:3::2]:80"; do
	r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect "$a" --mode whoami)
	want=$([ "${a#[}" = "$a" ] && echo 198.18.1.2 || echo fd00:18:1::2)
	is "$(echo "$r" | sed 's/.*peer=\[\{0,1\}//; s/\]\{0,1\}:[0-9]*$//')" "$want" \
		"tproxy mode: the server at $a sees the client's own address"
done
sleep 0.2
is "$(events_query '[e["mode"] for e in ev if e["event"]=="flow_open"][-2:]')" \
	"['tproxy', 'tproxy']" "flow_open says tproxy"
ok "tproxy rules and policy routing are in place while it runs" \
	on mbox sh -c 'iptables-save -t mangle | grep -q "TPROXY" && ip rule | grep -q "lookup 100"'
lab daemon stop
ok "after SIGTERM no TPROXY rule and no policy routing is left" \
	on mbox sh -c '! iptables-save | grep -q proxysim && ! ip6tables-save | grep -q proxysim && ! ip rule | grep -q "lookup 100" && ! ip -6 rule | grep -q "lookup 100"'
done_testing

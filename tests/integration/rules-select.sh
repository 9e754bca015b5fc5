#!/bin/bash
# Rules pick each flow's profile by destination, Host, path and the nth
# flow, first match wins; flows no rule takes keep the default. Real
# peers: python3-websockets and wsprobe; the event log says which rule
# (file:line) picked what, and when a Host rule made the flow wait.
. "$(dirname "$0")/lib.sh"
require_netns
[ -x "$WSPROBE" ] || skip_all "wsprobe not built"
lab_start --no-daemon

bg server1 "$LABDIR/ws.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.2.2:80
# server1.lab resolves to IPv6 first.
bg server1 "$LABDIR/ws6.out" "$PY" "$PEERS/ws_echo_server.py" --listen "[fd00:18:2::2]:80"
bg server1 "$LABDIR/who.out" "$PY" "$PEERS/tcp_peer.py" server --listen 198.18.2.2:443 --mode whoami
bg server2 "$LABDIR/ws2.out" "$PY" "$PEERS/ws_echo_server.py" --listen 198.18.3.2:80
conf="$LABDIR/rules.conf"
cat >"$conf" <<'CONF'
[proxysimd]
profile = passthrough

[rules]
rule = dst=198.18.3.0/24 profile=reject-upgrade-403
rule = host=*.lab profile=carrier-port80
rule = path=/raw* profile=passthrough
rule = nth=5 profile=101-then-reset
rule = port=80 profile=squid-strip-upgrade
CONF
probe() { on client "$WSPROBE" -t 3 "$@" >"$LABDIR/probe.out" 2>&1; echo $?; }
rule_of() { events_query "[(e.get('rule'), e.get('profile')) for e in ev if e['event'] in ('flow_open', 'rule') and e['flow']==$1][-1]"; }

lab daemon start -c "$conf"
is "$(probe ws://198.18.2.2/chat)" 5 "flow 1, port 80: squid-strip-upgrade, the server's 426 (class 5)"
is "$(rule_of 1)" "('$conf:9', 'squid-strip-upgrade')" "... the rule at line 9 picked it"
ok "... after the request head: a Host rule came first" test "$(events_query '[e.get("profile_pending") for e in ev if e["event"]=="flow_open" and e["flow"]==1][0]')" = true
is "$(probe ws://198.18.3.2/)" 5 "flow 2, to server2: reject-upgrade-403 by destination"
ok "... Squid's 403 ($(head -c 80 "$LABDIR/probe.out"))" grep -q 403 "$LABDIR/probe.out"
is "$(rule_of 2)" "('$conf:5', 'reject-upgrade-403')" "... decided at once, in flow_open"
is "$(probe ws://server1.lab/)" 5 "flow 3, Host server1.lab: carrier-port80's 400"
ok "... a 400 ($(head -c 80 "$LABDIR/probe.out"))" grep -q 400 "$LABDIR/probe.out"
is "$(events_query '[e.get("host") for e in ev if e["event"]=="rule" and e["flow"]==3][0]')" server1.lab \
	"... the rule event shows the Host it matched"
is "$(probe -n 3 ws://198.18.2.2/raw/feed)" 0 "flow 4, path /raw/feed: passthrough, the echo works"
is "$(probe -n 2 ws://198.18.2.2/chat)" 8 "flow 5: the nth=5 rule, 101-then-reset (class 8)"
is "$(rule_of 5)" "('$conf:8', '101-then-reset')" "... by the nth rule"
is "$(probe ws://198.18.2.2/chat)" 5 "flow 6: squid-strip-upgrade again"
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:443 --mode whoami 2>&1)
ok "flow 7, port 443: the server answered ($r)" sh -c "echo \"\$1\" | grep -q local=" _ "$r"
is "$(rule_of 7)" "(None, 'passthrough')" "... not HTTP: no rule, the default"

# A rule naming no profile stops the daemon at start, with file:line.
printf '[rules]\nrule = port=80 profile=nosuch\n' >"$LABDIR/bad.conf"
out=$(on mbox "$PROXYSIMD" -c "$LABDIR/bad.conf" -l 15999 2>&1); rc=$?
is "$rc" 2 "a rule naming an unknown profile: exit status 2"
ok "... naming file:line ($out)" sh -c "echo \"\$1\" | grep -q 'bad.conf:2: rule: profile .nosuch. is not defined'" _ "$out"
done_testing

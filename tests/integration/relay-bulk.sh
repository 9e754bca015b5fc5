#!/bin/bash
# 100 MiB in each direction with equal sha256, half-close and reset
# propagation, through the redirect on port 80.
. "$(dirname "$0")/lib.sh"
require_netns
command -v socat >/dev/null || skip_all "needs socat"
lab_start

blob="$LABDIR/blob"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$blob"
want=$(sha256sum <"$blob" | cut -d' ' -f1)

# Upstream: the server hashes what arrives; the client's EOF (half-close)
# must reach it for the hash to be written back at all.
on server1 socat TCP-LISTEN:80,bind=198.18.2.2,reuseaddr SYSTEM:'sha256sum' &
sleep 0.3
got=$(on client socat -t 30 -T 60 - TCP:198.18.2.2:80 <"$blob" | cut -d' ' -f1)
is "$got" "$want" "100 MiB upstream: same sha256 at the server (and half-close reached it)"

# Downstream: the server sends the blob and closes.
on server1 socat TCP-LISTEN:80,bind=198.18.2.2,reuseaddr OPEN:"$blob",rdonly &
sleep 0.3
got=$(on client socat -u -T 60 TCP:198.18.2.2:80 - </dev/null | sha256sum | cut -d' ' -f1)
is "$got" "$want" "100 MiB downstream: same sha256 at the client"

# Half-close, both ways round: the client shuts down writing and the
# server still answers after seeing EOF.
bg server1 "$LABDIR/sha.out" "$PY" "$PEERS/tcp_peer.py" server --listen 198.18.2.2:81 --mode sha256
lab daemon stop
lab daemon start --ports 80,81,443
hc=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:81 --mode halfclose --data hello)
is "$hc" "$(printf hello | sha256sum | cut -d' ' -f1)" \
	"half-close: the server sees EOF and its answer still reaches the client"

# Server reset -> client reset.
bg server1 "$LABDIR/rst.out" "$PY" "$PEERS/tcp_peer.py" server --listen 198.18.2.2:80 --mode reset
r=$(on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:80 --mode expect-reset)
is "$r" reset "a server reset reaches the client as a reset"
# Client reset -> server reset.
bg server1 "$LABDIR/log.out" "$PY" "$PEERS/tcp_peer.py" server --listen 198.18.2.2:443 \
	--mode readlog --log "$LABDIR/readlog"
on client "$PY" "$PEERS/tcp_peer.py" client --connect 198.18.2.2:443 --mode reset >/dev/null
for i in $(seq 1 50); do [ -s "$LABDIR/readlog" ] && break; sleep 0.1; done
is "$(cut -d' ' -f1 "$LABDIR/readlog" 2>/dev/null)" reset "a client reset reaches the server as a reset"
sleep 0.2
is "$(events_query '[e["reason"] for e in ev if e["event"]=="flow_close"][-2:]')" \
	"['server_reset', 'client_reset']" "the event log names both resets"
done_testing

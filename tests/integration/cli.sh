#!/bin/bash
# The command line: --help tells the truth, and bad usage or
# configuration exits 2 with a message that names the problem.
. "$(dirname "$0")/lib.sh"
D=$PROXYSIMD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# st CMD...: exit status and stderr of CMD
st() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

is "$(st "$D" -h)" 0 "-h exits 0"
for o in --listen --redirect --ports --tproxy --profile --config --log --cleanup \
	--max-flows --connect-timeout --buffer-size --mark --detach --list-profiles --version \
	--make-ca --ca --upstream-cafile --upstream-insecure --keylog; do
	ok "--help documents $o" grep -q -- "$o" "$tmp/out"
done
is "$(st "$D" -V)" 0 "-V exits 0"
ok "-V prints the version" grep -q "^proxysimd [0-9]" "$tmp/out"
is "$(st "$D" --list-profiles)" 0 "--list-profiles exits 0"
ok "--list-profiles lists passthrough" grep -q "^passthrough " "$tmp/out"

bad() {	# bad "MESSAGE REGEX" ARGS...
	local re=$1; shift
	is "$(st "$D" "$@")" 2 "exit 2: $*"
	ok "  message names the problem: $re" grep -Eq -- "$re" "$tmp/err"
}
bad "--bogus.*unknown option" --bogus
bad "--listen.*needs a value" --listen
bad "--listen '70000'.*port" -l 70000
bad "--listen 'fd00::1:80'.*brackets" -l fd00::1:80
bad "--ports '80-'" --ports 80-
bad "--ports 'http'" --ports http
bad "profile 'nosuch' is not defined" -P nosuch
bad "--redirect 'a;b'" -r 'a;b'
bad "--max-flows '0'.*range" --max-flows 0
bad "--connect-timeout 'x'.*number" --connect-timeout x
bad "unexpected argument" extra
bad "--detach needs --log" -d
printf '[proxysimd]\nports = 80\nlisten = nope\n' >"$tmp/bad.conf"
bad "bad.conf:3: " -c "$tmp/bad.conf"
printf 'profile = passthrough\n[nosuch]\nx = 1\n' >"$tmp/bad2.conf"
bad "bad2.conf:3: unknown section \\[nosuch\\]" -c "$tmp/bad2.conf"
bad "missing.conf: No such file" -c "$tmp/missing.conf"

# Runtime failures exit 1 with a message.
if [ "$(id -u)" -eq 0 ]; then
	is "$(st "$D" -l 127.0.0.1:1 -L "$tmp/no/such/dir/x")" 1 "an unwritable event log exits 1"
	ok "  and names it" grep -q "cannot open event log" "$tmp/err"
	exec 7<>/dev/null
	socat TCP-LISTEN:39871,bind=127.0.0.1,reuseaddr SYSTEM:'sleep 5' 2>/dev/null & sp=$!
	sleep 0.3
	is "$(st "$D" -l 127.0.0.1:39871)" 1 "a busy listen port exits 1"
	ok "  and names it" grep -q "cannot listen on 127.0.0.1:39871: Address already in use" "$tmp/err"
	kill $sp 2>/dev/null

	# --detach: the command returns at once, the daemon runs on.
	is "$(st "$D" -d -l 127.0.0.1:39872 -L "$tmp/detach.jsonl")" 0 "--detach returns 0"
	dpid=$(pgrep -f "proxysimd -d -l 127.0.0.1:39872")
	ok "  the detached daemon runs in the background" test -n "$dpid"
	ok "  and writes its event log" grep -q '"event":"start"' "$tmp/detach.jsonl"
	[ -n "$dpid" ] && kill -TERM $dpid
	for i in $(seq 1 50); do kill -0 $dpid 2>/dev/null || break; sleep 0.05; done
	ok "  SIGTERM stops it" sh -c "! kill -0 $dpid 2>/dev/null"
	ok "  with a stop event" grep -q '"event":"stop"' "$tmp/detach.jsonl"
fi
done_testing

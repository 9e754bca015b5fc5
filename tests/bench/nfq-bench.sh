#!/bin/bash
# nfq-bench.sh: what the NFQUEUE packet engine (proxysimd -q) costs, in
# one run inside a private proxysim lab: packets per second through the
# queue (one iperf3 stream, the queue's own packet count over the time)
# and the round trip of small messages (sockperf ping-pong) with and
# without the queue, interleaved over N rounds. A benchmark: it prints
# figures; it is not a test (exit status 0 whenever it measured).
#
#   tests/bench/nfq-bench.sh [--rounds N] [--seconds S] [--persona NAME]
#
# Needs root, iperf3, sockperf, iproute2, iptables and python3. Nothing
# runs in the host's network namespace.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

usage() {
	cat <<USAGE
Usage: nfq-bench.sh [--rounds N] [--seconds S] [--persona NAME]

In a private lab, for the cases "direct" (routed by mbox, no rule) and
"nfqueue" (proxysimd -q 0 -r m0 --ports 5201,11111 -P NAME, default
passthrough), interleaved over N rounds (default 3) of S seconds
(default 5):
  throughput  iperf3, one stream, client -> server1; for nfqueue, the
              packets the queue saw (its flow_close events) per second
              and their mean size (GSO super-packets count as one)
  round trip  sockperf ping-pong over TCP (--full-rtt), median and p99
  small msgs  sockperf throughput, 64-byte messages at --mps max; for
              nfqueue, the packets the queue saw per second
Prints the medians and the latency the queue adds.
USAGE
}
die() { echo "nfq-bench: $*" >&2; exit 1; }
usage_die() { echo "nfq-bench: $*" >&2; exit 2; }

ROUNDS=3
SECS=5
PERSONA=passthrough
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:?}; shift ;;
	--seconds) SECS=${2:?}; shift ;;
	--persona) PERSONA=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage_die "unknown argument '$1'" ;;
	esac
	shift
done
case "$ROUNDS$SECS" in *[!0-9]*|'') usage_die "--rounds and --seconds take numbers" ;; esac
[ "$(id -u)" -eq 0 ] || usage_die "needs root"
for t in iperf3 sockperf ip iptables python3 timeout; do
	command -v "$t" >/dev/null 2>&1 || usage_die "$t is missing"
done

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PROXYSIMD:=$top_builddir/proxysimd}"
LABCMD=$top_builddir/proxysim-lab
[ -x "$PROXYSIMD" ] || die "no proxysimd at $PROXYSIMD"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/proxysim-nfqbench.XXXXXX") || die "mktemp failed"
export PROXYSIMD PROXYSIM_LAB_STATE="$WORK/state"
LAB=nfqb$$
LABUP=0
PIDS=
SERVER_IP=198.18.2.2
TLIMIT=$((SECS + 20))
on() { local r=$1; shift; ip netns exec "psl-$LAB-$r" "$@" 8>&-; }
lab() { "$LABCMD" -n "$LAB" "$@" 8>&-; }
cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "$LABUP" = 1 ]; then
		lab daemon stop >/dev/null 2>&1
		lab down >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

lab up --no-daemon >/dev/null || die "the lab did not come up"
LABUP=1
on server1 iperf3 -s -B "$SERVER_IP" >/dev/null 2>&1 &
PIDS="$PIDS $!"
on server1 sockperf server --tcp -i "$SERVER_IP" -p 11111 >/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 1

R="$WORK/results"
: >"$R"
# qstart CASE / qstop CASE: the daemon around one phase of the nfqueue
# case; qstop prints the packets and payload bytes its flows carried.
qstart() {
	[ "$1" = nfqueue ] || return 0
	: >"$WORK/ev.jsonl"
	lab daemon start -q 0 --ports 5201,11111 -P "$PERSONA" \
		-L "$WORK/ev.jsonl" >/dev/null || die "proxysimd did not start"
}
qstop() {
	[ "$1" = nfqueue ] || { echo "NA NA"; return 0; }
	lab daemon stop >/dev/null
	python3 -c 'import json,sys
ev=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
c=[e for e in ev if e["event"]=="flow_close"]
print(sum(e["packets_up"]+e["packets_down"] for e in c), sum(e["bytes_up"]+e["bytes_down"] for e in c))' "$WORK/ev.jsonl"
}
# measure ROUND CASE: iperf3, sockperf ping-pong, sockperf throughput.
measure() {
	local round=$1 case=$2 out="$WORK/$1.$2" bps p50 p99 pk1 pk2 mps
	qstart "$case"
	on client timeout -k 2 "$TLIMIT" iperf3 -c "$SERVER_IP" -t "$SECS" -J \
		>"$out.iperf3" 2>/dev/null
	bps=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])
except Exception: print("NA")' "$out.iperf3")
	pk1=$(qstop "$case")
	qstart "$case"
	on client timeout -k 2 "$TLIMIT" sockperf ping-pong --tcp -i "$SERVER_IP" \
		-p 11111 -t "$SECS" --full-rtt >"$out.sockperf" 2>&1
	sed -i 's/\x1b\[[0-9;]*m//g' "$out.sockperf"
	p50=$(awk '/percentile 50.000 =/ { print $NF }' "$out.sockperf")
	p99=$(awk '/percentile 99.000 =/ { print $NF }' "$out.sockperf")
	qstop "$case" >/dev/null
	qstart "$case"
	on client timeout -k 2 "$TLIMIT" sockperf throughput --tcp -i "$SERVER_IP" \
		-p 11111 -t "$SECS" -m 64 --mps max >"$out.tp" 2>&1
	sed -i 's/\x1b\[[0-9;]*m//g' "$out.tp"
	mps=$(sed -n 's/.*Message Rate is \([0-9]*\) \[msg\/sec\].*/\1/p' "$out.tp" | head -1)
	pk2=$(qstop "$case")
	echo "$round $case $bps ${p50:-NA} ${p99:-NA} $pk1 ${mps:-NA} $pk2" >>"$R"
	printf '  round %s %-8s %6.2f Gbit/s  rtt p50 %s us p99 %s us  64-byte msgs %s/s\n' \
		"$round" "$case" \
		"$(python3 -c "print(float('$bps')/1e9 if '$bps'!='NA' else float('nan'))")" \
		"${p50:-NA}" "${p99:-NA}" "${mps:-NA}"
}

echo "nfq-bench: $ROUNDS rounds of $SECS s, persona $PERSONA"
for r in $(seq 1 "$ROUNDS"); do
	measure "$r" direct
	measure "$r" nfqueue
done

python3 - "$R" "$SECS" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
secs = float(sys.argv[2])
def med(case, i):
    v = [float(r[i]) for r in rows if r[1] == case and r[i] != "NA"]
    return st.median(v) if v else float("nan")
d_bps, q_bps = med("direct", 2), med("nfqueue", 2)
d50, q50 = med("direct", 3), med("nfqueue", 3)
d99, q99 = med("direct", 4), med("nfqueue", 4)
def col(i):
    return [int(r[i]) for r in rows if r[1] == "nfqueue" and r[i] != "NA"]
print()
print("medians              direct     nfqueue")
print("throughput Gbit/s  %9.2f   %9.2f   (%.0f%% of direct)" % (d_bps / 1e9, q_bps / 1e9, 100 * q_bps / d_bps))
print("rtt p50 us         %9.1f   %9.1f   (+%.1f us through the queue)" % (d50, q50, q50 - d50))
print("rtt p99 us         %9.1f   %9.1f   (+%.1f us)" % (d99, q99, q99 - d99))
print("64-byte msgs/s     %9.0f   %9.0f   (sockperf throughput, --mps max)" % (med("direct", 7), med("nfqueue", 7)))
pk, by, pk2 = col(5), col(6), col(8)
if pk:
    print("queue packets/s, bulk stream        %9.0f   (mean %.0f payload bytes a packet: GSO)" % (st.median(pk) / secs, st.median(by) / max(1, st.median(pk))))
if pk2:
    print("queue packets/s, 64-byte messages   %9.0f" % (st.median(pk2) / secs))
PY

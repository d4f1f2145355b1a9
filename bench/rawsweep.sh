#!/bin/sh
# Full 65,535-port SYN sweep of one namespace host: scanfw's raw path
# (core/rawio via rawsweep) against nmap -sS -p- -T4 and, if installed, masscan,
# alternating, on the same host. Needs root. Creates and removes namespaces
# scanfw-bench-c/-t (198.18.201.0/29); sends only to 198.18.201.2.
set -eu
RUNS=${RUNS:-3}
C=scanfw-bench-c T=scanfw-bench-t DST=198.18.201.2
cd "$(dirname "$0")/.."
BIN=$(mktemp -d)
cleanup() {
	[ -n "${L1:-}" ] && kill "$L1" 2>/dev/null || true
	[ -n "${L2:-}" ] && kill "$L2" 2>/dev/null || true
	ip netns del $C 2>/dev/null || true
	ip netns del $T 2>/dev/null || true
	rm -rf "$BIN"
}
trap cleanup EXIT
go build -o "$BIN/rawsweep" ./core/rawio/rawsweep/cmd/rawsweep
ip netns add $C; ip netns add $T
ip link add bc0 netns $C type veth peer name bt0 netns $T
ip -n $C addr add 198.18.201.1/29 dev bc0; ip -n $C link set bc0 up; ip -n $C link set lo up
ip -n $T addr add $DST/29 dev bt0; ip -n $T link set bt0 up; ip -n $T link set lo up
ip netns exec $T python3 -m http.server -b $DST 8000 >/dev/null 2>&1 & L1=$!
ip netns exec $T python3 -m http.server -b $DST 2222 >/dev/null 2>&1 & L2=$!
sleep 1
[ "$(ip -n $C route get $DST | grep -o 'dev [a-z0-9]*')" = "dev bc0" ] || { echo "route check failed"; exit 1; }
TARGET_MAC=$(ip -n $T -br link show bt0 | awk '{print $3}')

now() { date +%s.%N; }
for i in $(seq "$RUNS"); do
	echo "run $i"
	out=$(ip netns exec $C "$BIN/rawsweep" -e bc0 -senders 2 $DST)
	echo "  scanfw rawsweep: $out"
	s=$(now); n=$(ip netns exec $C nmap -sS -p- -T4 -n $DST | grep -c '/tcp *open' || true); e=$(now)
	echo "  nmap -sS -p- -T4: open=$n wall_s=$(echo "$e - $s" | bc)"
	if command -v masscan >/dev/null; then
		# masscan never exits on a quiet link (packet-rate.md), hence timeout;
		# .3 is a free host address in the /29 (not the broadcast address).
		s=$(now)
		n=$(ip netns exec $C timeout 10 masscan -p0-65535 --rate 1000000 --wait 1 --adapter bc0 \
			--adapter-ip 198.18.201.3 --router-mac "$TARGET_MAC" $DST 2>/dev/null | grep -c open || true)
		e=$(now)
		echo "  masscan: open=$n wall_s=$(echo "$e - $s" | bc)"
	fi
done

#!/bin/sh
# Privileged host discovery (-sn as root): scanfw against Nmap in the same
# run, alternating, RUNS times each (3), on the lab farm /24 (directly
# connected: ARP) and on a routed lab /20 (198.18.16.0/20: absent addresses
# routed into the sink namespace, which drops them). Prints each median, the
# time ratio (goal: at most 0.5) and the hosts each found, plus scanfw's peak
# RSS. Brings the farm up (scanfw-lab up farm) when it is not up and takes it
# down at the end. Needs root; sends only to lab addresses.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
tmp=$(mktemp -d)
started=
cleanup() {
	rm -rf "$tmp"
	[ -z "$started" ] || go run ./lab/cmd/scanfw-lab down >/dev/null 2>&1 || true
}
trap cleanup EXIT
go build -o "$tmp/scanfw" ./cmd/scanfw
if ! ip link show sfw-farm >/dev/null 2>&1; then
	go run ./lab/cmd/scanfw-lab up farm >/dev/null
	started=1
fi
secs() { # command -> wall seconds
	s=$(date +%s%N); $1 >/dev/null 2>&1; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
up() { grep -c 'state="up"' "$1" || true; }
for target in 198.18.3.0/24 198.18.16.0/20; do
	: >"$tmp/o"; : >"$tmp/t"
	for i in $(seq "$runs"); do
		secs "$tmp/scanfw -sn -n -oX $tmp/ours.xml $target" >>"$tmp/o"
		secs "nmap -sn -n -oX $tmp/theirs.xml $target" >>"$tmp/t"
	done
	o=$(median <"$tmp/o"); t=$(median <"$tmp/t")
	rss=$( (/usr/bin/time -f %M "$tmp/scanfw" -sn -n -oX /dev/null "$target" >/dev/null) 2>&1 | tail -1)
	echo "$target: scanfw ${o}s ($(up "$tmp/ours.xml") up, peak RSS ${rss} KiB), nmap ${t}s ($(up "$tmp/theirs.xml") up), ratio $(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.2f", o / t }')"
done

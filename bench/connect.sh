#!/bin/sh
# Connect scan of every TCP port of 127.0.0.1: scanfw against nmap, run
# alternately five times each; prints the medians and scanfw/nmap.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if go build -o "$bin/scanfw" ./cmd/scanfw 2>/dev/null; then
	ours="$bin/scanfw -sT -p- -n -Pn 127.0.0.1"
else
	echo "cmd/scanfw does not build; using bench/connectbench" >&2
	go build -o "$bin/connectbench" ./bench/connectbench
	ours="$bin/connectbench -addr 127.0.0.1"
fi
theirs="nmap -sT -p- -n -Pn 127.0.0.1"
secs() { # command -> wall seconds
	s=$(date +%s.%N); $1 >/dev/null 2>&1; e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$bin/ours"; : >"$bin/theirs"
for i in $(seq "$runs"); do
	secs "$ours" >>"$bin/ours"
	secs "$theirs" >>"$bin/theirs"
done
o=$(median <"$bin/ours"); t=$(median <"$bin/theirs")
printf 'scanfw: %s\n' "$ours"
printf 'median scanfw %.3fs  nmap %.3fs  ratio scanfw/nmap %.2f\n' "$o" "$t" "$(echo "$o / $t" | bc -l)"

#!/bin/sh
# Connect scan of every TCP port of 127.0.0.1: scanfw against Nmap in the
# same run, alternating, five times each. Prints both medians, the time
# ratio and the open ports each found (they must agree).
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/scanfw" ./cmd/scanfw
ours="$tmp/scanfw -sT -p- -n -Pn 127.0.0.1 -oG $tmp/ours.gnmap"
theirs="nmap -sT -p- -n -Pn 127.0.0.1 -oG $tmp/theirs.gnmap"
secs() { # command -> wall seconds
	s=$(date +%s%N); $1 >/dev/null 2>&1; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
openports() { grep -o '[0-9]*/open/tcp' "$1" | sort | tr '\n' ' '; }
: >"$tmp/ours"; : >"$tmp/theirs"
for i in $(seq "$runs"); do
	secs "$ours" >>"$tmp/ours"
	secs "$theirs" >>"$tmp/theirs"
done
o=$(median <"$tmp/ours"); t=$(median <"$tmp/theirs")
printf 'scanfw -sT -p- 127.0.0.1: median %ss   nmap: median %ss   ratio scanfw/nmap %s\n' \
	"$o" "$t" "$(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.2f", o / t }')"
printf 'open ports  scanfw: %s\n            nmap:   %s\n' "$(openports "$tmp/ours.gnmap")" "$(openports "$tmp/theirs.gnmap")"

#!/bin/sh
# UDP scan of the top 100 UDP ports: scanfw -sU against Nmap -sU (both -T4
# --top-ports 100), alternating in one run, on the lab's service host (svc:
# DNS, NTP, SNMP answer) and firewalled host (fw: echo, silent, closed,
# dropped, prohibited ports; every other port closed behind Linux's ICMP
# rate limit). Prints median times, the ratio scanfw/nmap, the open ports
# each found and how many ports each left open|filtered. Needs root and the
# lab's packages; holds the lab lock for the whole run (lab tests wait).
#
#   RUNS=3        runs per scanner and host
#   EXTRA=        more scanfw flags, e.g. EXTRA=--defeat-icmp-ratelimit
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3} EXTRA=${EXTRA:-}
. bench/lab.sh
lab_up
lab_routed 198.18.1.2 198.18.2.2

secs() { # out-file command... -> wall seconds
	f=$1; shift
	s=$(date +%s%N); "$@" -oG "$f" >/dev/null 2>&1 </dev/null || true; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
openports() { grep -o '[0-9]*/open/udp' "$1" 2>/dev/null | cut -d/ -f1 | sort -n | tr '\n' ',' | sed 's/,$//'; }
# Grepable output folds the ports it does not list into "Ignored State";
# count open|filtered from the listed ports and the ignored summary.
openfiltered() {
	listed=$(grep -o '[0-9]*/open|filtered/udp' "$1" 2>/dev/null | wc -l)
	ignored=$(grep -o 'Ignored State: open|filtered ([0-9]*)' "$1" 2>/dev/null | grep -o '[0-9]*' || echo 0)
	echo $((listed + ignored))
}

printf '%-5s %-12s %9s %9s %6s  %-24s %s\n' host address scanfw_s nmap_s ratio "open (scanfw | nmap)" "open|filtered (scanfw | nmap)"
bench() { # name addr
	name=$1 addr=$2
	: >"$tmp/o"; : >"$tmp/n"
	for i in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		secs "$tmp/o.gnmap" "$tmp/scanfw" -sU -n -Pn -T4 --top-ports 100 $EXTRA "$addr" >>"$tmp/o"
		secs "$tmp/n.gnmap" nmap -sU -n -Pn -T4 --top-ports 100 "$addr" >>"$tmp/n"
	done
	o=$(median <"$tmp/o"); n=$(median <"$tmp/n")
	printf '%-5s %-12s %9s %9s %6s  %-24s %s | %s\n' "$name" "$addr" "$o" "$n" \
		"$(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.2f", o / n }')" \
		"$(openports "$tmp/o.gnmap") | $(openports "$tmp/n.gnmap")" \
		"$(openfiltered "$tmp/o.gnmap")" "$(openfiltered "$tmp/n.gnmap")"
}
bench svc 198.18.1.2
bench fw 198.18.2.2

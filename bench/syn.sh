#!/bin/sh
# SYN scan of every TCP port: scanfw -sS against Nmap -sS (both -p- -T4),
# alternating in one run, on the lab's clean host (svc), firewalled host (fw)
# and impaired host (wan: 50 ms each way, jitter, 3% loss), plus masscan at
# scanfw's packet rate on the clean host when it is installed. Prints median
# times, the ratio scanfw/nmap and the open ports each found. Needs root and
# the lab's packages; holds the lab lock for the whole run (lab tests wait).
#
#   RUNS=3        runs per scanner on svc and fw
#   WAN_RUNS=1    runs per scanner on wan
#   WAN_PORTS=-   ports on wan; Nmap needs many minutes for -p- there, so
#                 WAN_PORTS=1-2048 gives a quicker (and comparable) answer
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3} WAN_RUNS=${WAN_RUNS:-1} WAN_PORTS=${WAN_PORTS:--}
tmp=$(mktemp -d)
go build -o "$tmp/scanfw" ./cmd/scanfw
go build -o "$tmp/scanfw-lab" ./lab/cmd/scanfw-lab
exec 9>/run/scanfw-lab.lock
flock 9
export SCANFW_LAB_LOCK_HELD=1
cleanup() { "$tmp/scanfw-lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
"$tmp/scanfw-lab" up >/dev/null

secs() { # out-file command... -> wall seconds
	f=$1; shift
	s=$(date +%s%N); "$@" -oG "$f" >/dev/null 2>&1 </dev/null || true; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
openports() { grep -o '[0-9]*/open/tcp' "$1" 2>/dev/null | cut -d/ -f1 | sort -n | tr '\n' ',' | sed 's/,$//'; }

printf '%-5s %-16s %6s %10s %10s %7s  %s\n' host address ports scanfw_s nmap_s ratio "open ports (scanfw | nmap)"
bench() { # name addr ports runs
	name=$1 addr=$2 ports=$3 runs=$4
	: >"$tmp/o"; : >"$tmp/n"
	for i in $(seq "$runs"); do
		secs "$tmp/o.gnmap" "$tmp/scanfw" -sS -n -Pn -T4 -p"$ports" "$addr" >>"$tmp/o"
		secs "$tmp/n.gnmap" nmap -sS -n -Pn -T4 -p"$ports" "$addr" >>"$tmp/n"
	done
	o=$(median <"$tmp/o"); n=$(median <"$tmp/n")
	printf '%-5s %-16s %6s %10s %10s %7s  %s | %s\n' "$name" "$addr" "$ports" "$o" "$n" \
		"$(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.2f", o / n }')" \
		"$(openports "$tmp/o.gnmap")" "$(openports "$tmp/n.gnmap")"
	last_scanfw=$o
}
bench svc 198.18.1.2 - "$RUNS"
svc_s=$last_scanfw
bench fw 198.18.2.2 - "$RUNS"
bench wan 198.18.4.2 "$WAN_PORTS" "$WAN_RUNS"

if command -v masscan >/dev/null; then
	# Same packet rate as scanfw's clean run (65535 probes over its time).
	# masscan answers ARP for its own source address, so it takes a spare
	# one on the svc link; it may not exit on a quiet link, hence timeout.
	rate=$(awk -v s="$svc_s" 'BEGIN { printf "%d", 65535 / s }')
	mac=$(ip netns exec scanfw-svc cat /sys/class/net/eth0/address 2>/dev/null ||
		ip -n scanfw-svc -br link | awk '$1 !~ /^lo/ {print $3; exit}')
	s=$(date +%s%N)
	timeout 60 masscan -p0-65535 --rate "$rate" --wait 1 --adapter sfw-svc \
		--adapter-ip 198.18.1.250 --router-mac "$mac" 198.18.1.2 -oG "$tmp/m.gnmap" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	printf 'masscan at %s pps on svc: %.3f s, open: %s\n' "$rate" \
		"$(awk -v s="$s" -v e="$e" 'BEGIN { print (e - s) / 1e9 }')" \
		"$(grep -o 'Ports: [0-9]*/open' "$tmp/m.gnmap" | grep -o '[0-9]*' | sort -n | tr '\n' ',' | sed 's/,$//')"
fi

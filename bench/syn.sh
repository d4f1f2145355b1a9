#!/bin/sh
# SYN scan of every TCP port: scanfw -sS against Nmap -sS (both -p- -T4),
# alternating in one run, on the lab's clean host (svc), firewalled host (fw)
# and impaired host (wan: 50 ms each way, jitter, 3% loss); on svc also
# masscan, once at scanfw's median packet rate and once as fast as it goes,
# in rounds of its own after scanfw's and Nmap's (a round right after
# masscan's floods ran slower). Prints one table of medians:
#
#   seconds   whole process, wall clock (what a user waits for)
#   ratio     seconds / Nmap's seconds on the same host
#   pps       probes sent / the tool's own scan time: scanfw's "raw scan
#             timing" line (-d), Nmap's "Raw packets sent" over its
#             "Completed SYN Stealth Scan ... elapsed" (-v), masscan's
#             highest shown rate (its status line)
#   open      open ports found (last run)
#
# Needs root and the lab's packages; holds the lab lock for the whole run
# (lab tests wait).
#
#   RUNS=3        rounds on svc and fw
#   WAN_RUNS=1    rounds on wan
#   WAN_PORTS=-   ports on wan; Nmap needs many minutes for -p- there, so
#                 WAN_PORTS=1-2048 gives a quicker (and comparable) answer
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3} WAN_RUNS=${WAN_RUNS:-1} WAN_PORTS=${WAN_PORTS:--}
. bench/lab.sh
lab_up
lab_routed 198.18.1.2 198.18.2.2 198.18.4.2

# timed out-file log-file command... -> wall seconds; stdout+stderr to log
timed() {
	out=$1 log=$2; shift 2
	s=$(date +%s%N); "$@" -oG "$out" >"$log" 2>&1 </dev/null || true; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "-" }'; }
openports() { grep -o '[0-9]*/open/tcp' "$1" 2>/dev/null | cut -d/ -f1 | sort -n | tr '\n' ',' | sed 's/,$//'; }
# Go duration (295ms, 1.2s, 1m3.5s) -> seconds
gosecs='function gosecs(d,  t, m) {
	t = 0
	if (d ~ /m[0-9]/) { m = d; sub(/m.*/, "", m); t = m * 60; sub(/^[0-9]+m/, "", d) }
	if (d ~ /ms$/) { sub(/ms$/, "", d); return t + d / 1000 }
	if (d ~ /µs$/) { sub(/µs$/, "", d); return t + d / 1e6 }
	sub(/s$/, "", d); return t + d
}'
scanfw_pps() { # log -> probes per second of the scan phase
	awk "$gosecs"'/raw scan timing/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		s = gosecs(v["elapsed"]); if (s > 0) printf "%d\n", v["probes"] / s
	}' "$1" | tail -1
}
nmap_pps() { # log -> raw packets sent over the SYN scan's elapsed time
	awk '/Completed SYN Stealth Scan/ { for (i = 1; i <= NF; i++) if ($i == "elapsed") { s = $(i-1); sub(/s,?$/, "", s) } }
		/Raw packets sent:/ { p = $4 }
		END { if (s > 0) printf "%d\n", p / s }' "$1"
}
masscan_pps() { # log -> highest shown rate ("rate:133.66-kpps, ...")
	tr '\r' '\n' <"$1" | awk 'match($0, /rate: *[0-9.]+-kpps/) {
		r = substr($0, RSTART + 5, RLENGTH - 10); if (r * 1000 > m) m = r * 1000 }
		END { printf "%d\n", m }'
}
masscan_open() { grep -o 'Ports: [0-9]*/open' "$1" 2>/dev/null | grep -o '[0-9]*' | sort -n | tr '\n' ',' | sed 's/,$//'; }

# masscan sends from a spare address of svc's /24 and answers ARP for it
# itself; it needs svc's MAC because it does not route. It checks its
# --wait only when a packet arrives, so on a quiet link it overstays by
# seconds, and 1.3.2 sometimes never ends (masscan issues #144, #476): a
# slow ping to svc (5/s, ended with the run) keeps the link from going
# quiet, and after 10 s timeout sends SIGINT, on which masscan still
# writes its results (SIGTERM would lose them).
masscan_run() { # rate out log -> wall seconds
	rate=$1 out=$2 log=$3
	mac=$(ip netns exec scanfw-svc cat /sys/class/net/eth0/address)
	ping -q -n -i 0.2 -w 30 198.18.1.2 >/dev/null 2>&1 &
	pinger=$!
	s=$(date +%s%N)
	timeout -s INT -k 5 10 masscan -p0-65535 --rate "$rate" --wait 1 --adapter sfw-svc \
		--adapter-ip 198.18.1.250 --router-mac "$mac" 198.18.1.2 -oG "$out" >"$log" 2>&1 </dev/null || true
	e=$(date +%s%N)
	kill "$pinger" 2>/dev/null || true
	wait "$pinger" 2>/dev/null || true
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}

# row host tool secs-file pps-file nmap-median open
row() {
	sec=$(median <"$3") pps=$(median <"$4")
	printf '%-5s %-14s %8s %7s %9s  %s\n' "$1" "$2" "$sec" \
		"$(awk -v o="$sec" -v n="$5" 'BEGIN { if (n > 0 && o != "-") printf "%.2f", o / n; else print "-" }')" "$pps" "$6"
}

printf '%-5s %-14s %8s %7s %9s  %s\n' host tool seconds ratio pps "open ports"
bench() { # name addr ports runs with-masscan
	name=$1 addr=$2 ports=$3 runs=$4 mass=$5
	for f in os op ns np ms mp xs xp; do : >"$tmp/$f"; done
	for i in $(seq "$runs"); do
		timed "$tmp/o.gnmap" "$tmp/o.log" "$tmp/scanfw" -sS -n -Pn -T4 -d -p"$ports" "$addr" >>"$tmp/os"
		scanfw_pps "$tmp/o.log" >>"$tmp/op"
		timed "$tmp/n.gnmap" "$tmp/n.log" nmap -sS -n -Pn -T4 -v -p"$ports" "$addr" >>"$tmp/ns"
		nmap_pps "$tmp/n.log" >>"$tmp/np"
	done
	# masscan's rounds come after: its floods (seconds at up to 10M pps)
	# left the target slower for the next round's scanfw and nmap.
	if [ "$mass" = yes ]; then
		rate=$(median <"$tmp/op")
		for i in $(seq "$runs"); do
			masscan_run "${rate:-100000}" "$tmp/m.gnmap" "$tmp/m.log" >>"$tmp/ms"
			masscan_pps "$tmp/m.log" >>"$tmp/mp"
			masscan_run 10000000 "$tmp/x.gnmap" "$tmp/x.log" >>"$tmp/xs"
			masscan_pps "$tmp/x.log" >>"$tmp/xp"
		done
	fi
	n=$(median <"$tmp/ns")
	row "$name" scanfw "$tmp/os" "$tmp/op" "$n" "$(openports "$tmp/o.gnmap")"
	row "$name" nmap "$tmp/ns" "$tmp/np" "$n" "$(openports "$tmp/n.gnmap")"
	if [ "$mass" = yes ]; then
		row "$name" masscan-same "$tmp/ms" "$tmp/mp" "$n" "$(masscan_open "$tmp/m.gnmap")"
		row "$name" masscan-max "$tmp/xs" "$tmp/xp" "$n" "$(masscan_open "$tmp/x.gnmap")"
	fi
}
mass=no
command -v masscan >/dev/null && mass=yes
bench svc 198.18.1.2 - "$RUNS" "$mass"
bench fw 198.18.2.2 - "$RUNS" no
bench wan 198.18.4.2 "$WAN_PORTS" "$WAN_RUNS" no
echo "masscan-same: --rate = scanfw's median pps; masscan-max: --rate 10000000 (masscan's rounds run after scanfw's and nmap's)."
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

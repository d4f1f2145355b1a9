#!/bin/sh
# Memory of a wide raw scan: scanfw -sS -Pn -p 80 over a /20 and the /16
# 198.18.0.0/16 of the lab (everything no lab host holds is routed into the
# lab's sink namespace, so nothing leaves the machine; almost every address
# is silent). Prints peak RSS (the largest of scanfw and its plugin
# processes) and wall time for each: the peak must not grow with the number
# of addresses. --min-rate (RATE, 20000 by default) as one would for a wide
# scan; RATE=0 scans without it: a silent group opens its window on
# timeouts and the groups hand their window and RTT on (ultrascan/
# carry.go), so the /16 finishes, and the absent neighbours of the lab's
# connected /24s are resolved together (route.ResolveAll). Measured
# 2026-11-29 without --min-rate: the lab /20 11.0 s, the /16 93.2 s, peak
# RSS 98.9 and 100.7 MiB; with it 7.1 s and 53.0 s (a silent /24 at -T4:
# Nmap 26 s).
# Needs root; holds the lab lock.
set -eu
cd "$(dirname "$0")/.."
. bench/lab.sh
lab_up
lab_routed ${NETS:-198.18.0.0/20 198.18.0.0/16}
rateflag="--min-rate ${RATE:-20000}"
[ "${RATE:-20000}" = 0 ] && rateflag=
printf '%-16s %9s %12s %8s %s\n' targets addresses peak_rss_MiB wall_s "hosts with 80/open"
for net in ${NETS:-198.18.0.0/20 198.18.0.0/16}; do
	bits=${net#*/}
	n=$((1 << (32 - bits)))
	# shellcheck disable=SC2086 # rateflag is empty or two words
	/usr/bin/time -f '%M %e' -o "$tmp/time" "$tmp/scanfw" -sS -Pn -n -p 80 -T4 $rateflag --open -oG "$tmp/out.gnmap" "$net" >/dev/null 2>"$tmp/err" ||
		{ cat "$tmp/err"; exit 1; }
	read -r kb wall <"$tmp/time"
	printf '%-16s %9d %12.1f %8s %s\n' "$net" "$n" "$(echo "$kb / 1024" | bc -l)" "$wall" "$(grep -c '80/open' "$tmp/out.gnmap" || true)"
done

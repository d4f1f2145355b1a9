#!/bin/sh
# Privileged host discovery (-sn as root): scanfw against Nmap in the same
# run, alternating, on the lab farm /24 (directly connected: ARP), on a
# routed lab /20 (198.18.16.0/20: absent addresses routed into the sink
# namespace, which drops them) and on a routed /16 (198.18.0.0/16: the farm,
# svc and fw hosts and 65000 silent addresses). Prints each median wall time,
# the ratio (goal: at most 0.5), the hosts each found, and peak RSS (the
# largest process; scanfw's must stay flat over the /16).
#
# The routed ranges are silent, so Nmap's ping scan never opens its
# congestion window: about ten probes a second (a silent /28 takes it 14 s,
# a /20 would take most of an hour). Both scanners get --min-rate there
# (MIN_RATE, 10000), as one would for a wide sweep; scanfw sends as fast as
# it can anyway.
#
#   RUNS=3     runs per scanner on the /24 and the /20
#   RUNS16=1   runs per scanner on the /16 (Nmap needs about two minutes)
#
# Holds the lab lock for the whole run (a lab test elsewhere would otherwise
# take the lab down under it, and the routed ranges would then follow the
# default route out of the machine) and checks the route into the sink
# before sending. Needs root and the lab's packages.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3} runs16=${RUNS16:-1} rate=${MIN_RATE:-10000}
. bench/lab.sh
lab_up farm svc fw
lab_routed 198.18.3.77 198.18.16.1 198.18.200.1

run() { # out-file command... -> "wall_seconds peak_rss_KiB"; a failure is printed, not fatal
	f=$1; shift
	if ! /usr/bin/time -f '%e %M' -o "$tmp/time" timeout 900 "$@" -oX "$f" </dev/null >/dev/null 2>"$tmp/err"; then
		echo "discovery.sh: $* failed:" >&2
		tail -5 "$tmp/err" >&2
		echo "nan 0"
		return
	fi
	tail -1 "$tmp/time"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
maxcol() { awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }'; }
up() { grep -c 'state="up"' "$1" 2>/dev/null || true; }
bench() { # target runs extra-args...
	target=$1 n=$2; shift 2
	: >"$tmp/o"; : >"$tmp/t"
	for i in $(seq "$n"); do
		run "$tmp/ours.xml" "$tmp/scanfw" -sn -n "$@" "$target" >>"$tmp/o"
		run "$tmp/theirs.xml" nmap -sn -n "$@" "$target" >>"$tmp/t"
	done
	o=$(median <"$tmp/o"); t=$(median <"$tmp/t")
	printf '%s%s: scanfw %ss (%s up, peak RSS %s KiB), nmap %ss (%s up, peak RSS %s KiB), ratio %s\n' \
		"$target" "${1:+ $*}" "$o" "$(up "$tmp/ours.xml")" "$(maxcol <"$tmp/o")" \
		"$t" "$(up "$tmp/theirs.xml")" "$(maxcol <"$tmp/t")" \
		"$(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.2f", o / t }')"
}
bench 198.18.3.0/24 "$runs"
bench 198.18.16.0/20 "$runs" --min-rate "$rate"
bench 198.18.0.0/16 "$runs16" --min-rate "$rate"

# Sourced by the bench scripts (POSIX sh): the lab for one run, and the
# route check that keeps probes out of the default route.
#
# lab_up [HOST...] builds scanfw and scanfw-lab into $tmp (made here),
# takes the lab lock for the whole run (lab tests elsewhere wait instead
# of taking the lab down under us), brings the lab (or the named hosts) up
# and takes it down and removes $tmp at exit.
#
# lab_routed ADDR... stops the run unless every address leaves through a
# lab interface (sfw-*): with the lab down, 198.18.0.0/15 follows the
# default route off the machine, and a scan must never go there.

lab_up() {
	tmp=$(mktemp -d)
	go build -o "$tmp/scanfw" ./cmd/scanfw
	go build -o "$tmp/scanfw-lab" ./lab/cmd/scanfw-lab
	exec 9>/run/scanfw-lab.lock
	flock 9
	export SCANFW_LAB_LOCK_HELD=1
	trap '"$tmp/scanfw-lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	"$tmp/scanfw-lab" up "$@" >/dev/null
}

lab_routed() {
	for a in "$@"; do
		a=${a%/*}
		ip route get "$a" 2>/dev/null | grep -q ' dev sfw-' ||
			{ echo "$0: $a is not routed into the lab; refusing to scan it" >&2; exit 1; }
	done
}

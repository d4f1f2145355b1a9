#!/bin/sh
# Runs one command against the lab, safely: holds the lab lock, brings the
# lab up, and refuses to run unless every lab address or range among the
# arguments is routed into the lab (bench/lab.sh). For ad-hoc scans while
# developing, e.g.
#
#	bench/labrun.sh ./scanfw -sS -n -p- 198.18.1.2
#
# The tree's build is in $SCANFW_BIN for commands that want it. Needs root.
set -eu
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
cd "$(dirname "$0")/.."
. bench/lab.sh
lab_up
export SCANFW_BIN="$tmp/scanfw"
for arg in "$@"; do
	case $arg in
	198.18.* | 198.19.* | 2001:db8:* | 2001:DB8:*) lab_routed "$arg" ;;
	esac
done
"$@"

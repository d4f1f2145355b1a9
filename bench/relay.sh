#!/bin/sh
# Frames per second through the lab relay (lab/relay): builds a
# ns1 <-> relay <-> ns2 namespace lab (198.18.250.0/24, names scanfw-rt-*),
# blasts small UDP datagrams from ns1 with no delay or loss, and prints the
# rate the relay delivered to ns2. Needs root. Usage: bench/relay.sh [FRAMES]
# (default 1000000). RELAY_MIN_FPS=N makes it fail below a target rate.
set -eu
cd "$(dirname "$0")/.."
frames=${1:-1000000}
out=$(RELAY_BLAST_FRAMES=$frames go test -count=1 -v -run 'TestRelayNetns/throughput' ./lab/relay/ 2>&1) || {
	echo "$out"
	exit 1
}
echo "$out" | grep -E 'blast:|RATE' | sed 's/^ *netns_linux_test.go:[0-9]*: //'
rate=$(echo "$out" | sed -n 's/.*RATE \([0-9]*\) frames.*/\1/p')
echo "relay_fps=$rate frames=$frames"
if [ -n "${RELAY_MIN_FPS:-}" ] && [ "$rate" -lt "$RELAY_MIN_FPS" ]; then
	echo "below target $RELAY_MIN_FPS frames/s" >&2
	exit 1
fi

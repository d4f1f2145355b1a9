#!/bin/sh
# Version detection (-sV) of the lab's svc host, every open TCP port:
# scanfw against Nmap in the same run, alternating, RUNS times each (3).
# Prints both medians, the time ratio, and a table of service, product and
# version per port from each (the last run's), marking disagreements.
# Brings the svc host up (scanfw-lab up svc) when it is not up already and
# takes it down again at the end. Needs root.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
addr=198.18.1.2
ports=21,22,25,53,80,443,5432,6379,11211
tmp=$(mktemp -d)
started=
cleanup() {
	rm -rf "$tmp"
	[ -z "$started" ] || go run ./lab/cmd/scanfw-lab down >/dev/null 2>&1 || true
}
trap cleanup EXIT
go build -o "$tmp/scanfw" ./cmd/scanfw
if ! nc -z -w 1 "$addr" 22 2>/dev/null; then
	go run ./lab/cmd/scanfw-lab up svc >/dev/null
	started=1
fi
ours="$tmp/scanfw -sT -sV -n -Pn -p $ports -oX $tmp/ours.xml $addr"
theirs="nmap -sT -sV -n -Pn -p $ports -oX $tmp/theirs.xml $addr"
secs() { # command -> wall seconds
	s=$(date +%s%N); $1 >/dev/null 2>&1; e=$(date +%s%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$tmp/ours"; : >"$tmp/theirs"
for i in $(seq "$runs"); do
	secs "$ours" >>"$tmp/ours"
	secs "$theirs" >>"$tmp/theirs"
done
o=$(median <"$tmp/ours"); t=$(median <"$tmp/theirs")
printf 'scanfw -sV (svc host, %s): median %ss   nmap -sV: median %ss   ratio scanfw/nmap %s\n\n' \
	"$ports" "$o" "$t" "$(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.2f", o / t }')"
python3 - "$tmp/ours.xml" "$tmp/theirs.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
def services(path):
    out = {}
    for p in ET.parse(path).getroot().iter("port"):
        s = p.find("service")
        a = s.attrib if s is not None else {}
        name = (a.get("tunnel", "") + "/" if a.get("tunnel") else "") + a.get("name", "")
        out[p.get("portid") + "/" + p.get("protocol")] = (name, a.get("product", ""), a.get("version", ""))
    return out
ours, theirs = services(sys.argv[1]), services(sys.argv[2])
rows = [("port", "scanfw service", "product", "version", "nmap service", "product", "version", "")]
agree = 0
for k in sorted(set(ours) | set(theirs), key=lambda k: int(k.split("/")[0])):
    a, b = ours.get(k, ("", "", "")), theirs.get(k, ("", "", ""))
    agree += a == b
    rows.append((k,) + a + b + ("" if a == b else "DIFFERS",))
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows:
    print("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
print("\n%d of %d ports agree on service, product and version" % (agree, len(rows) - 1))
PY

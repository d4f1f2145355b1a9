#!/usr/bin/python3
"""Print what two Nmap XML readers, python3-libnmap and python3-nmap, make
of an XML file: one line per host and port (address, state, protocol, port,
state, service name), sorted. The Go test runs it on our file and on Nmap's
and compares the lines."""
import sys

from libnmap.parser import NmapParser
import nmap


def libnmap_lines(path):
    report = NmapParser.parse_fromfile(path)
    for h in report.hosts:
        yield "libnmap host %s %s" % (h.address, h.status)
        for s in h.services:
            yield "libnmap port %s %s/%d %s %s" % (h.address, s.protocol, s.port, s.state, s.service)


def pynmap_lines(path):
    scanner = nmap.PortScanner()
    with open(path) as f:
        scanner.analyse_nmap_xml_scan(f.read())
    for addr in scanner.all_hosts():
        h = scanner[addr]
        yield "python-nmap host %s %s" % (addr, h.state())
        for proto in h.all_protocols():
            for port in h[proto]:
                p = h[proto][port]
                yield "python-nmap port %s %s/%d %s %s" % (addr, proto, port, p["state"], p["name"])


lines = sorted(list(libnmap_lines(sys.argv[1])) + list(pynmap_lines(sys.argv[1])))
print("\n".join(lines))

# The scan a plain `scanfw TARGET` runs without privileges, written out.
#
#   scanfw --profile profiles/default.hcl 127.0.0.1
#
# behaves like `scanfw 127.0.0.1`. Targets given on the command line replace
# the `targets` below; every other flag overrides the value it names.

# Hosts, networks and ranges in Nmap syntax (CIDR, 10.0.0.1-20, names, IPv6).
targets = ["127.0.0.1"]

# The 1000 most frequent TCP ports from the services data (Nmap's default).
top_ports = 1000

timing {
  # T3 "normal": Nmap's default template. Explicit values set in this block
  # (max_retries, host_timeout, min_rate ...) override the template's.
  template = 3
}

# An unprivileged scan uses the operating system's connect(); with raw-socket
# privileges Nmap would choose probe.tcp_syn instead.
probe "probe.tcp_connect" {}

# The human-readable report on stdout ("-").
output "output.normal" {
  path = "-"
}

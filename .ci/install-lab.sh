#!/usr/bin/env bash
# Installs every Debian package the test lab (lab/, issue 3) needs on a fresh machine.
#
# The daemons are only ever started by the lab, inside its network namespaces, with their
# own configuration under a temporary directory. Debian's maintainer scripts would start
# them system-wide on install, so a policy-rc.d that answers 101 ("action forbidden") is
# in place for the duration of the install; a policy-rc.d the machine already had is put
# back afterwards.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "install-lab.sh: must run as root" >&2
	exit 1
fi

packages=(
	# plumbing: namespaces, veths, routes, firewall, flock, nsenter
	iproute2 nftables util-linux procps kmod
	# reference scanner and certificate generation
	nmap openssl ca-certificates
	# svc host daemons
	openssh-server nginx-light redis-server postgresql memcached vsftpd
	exim4-daemon-light dnsmasq-base snmpd chrony
)

export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
backup=""
if [[ -e $policy ]]; then
	backup=$(mktemp /usr/sbin/policy-rc.d.lab-backup.XXXXXX)
	cp -p "$policy" "$backup"
fi
restore() {
	if [[ -n $backup ]]; then
		mv -f "$backup" "$policy"
	else
		rm -f "$policy"
	fi
}
trap restore EXIT
printf '#!/bin/sh\n# written by .ci/install-lab.sh: no daemon starts system-wide during install\nexit 101\n' >"$policy"
chmod 0755 "$policy"

apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"

# A package whose maintainer script ignored policy-rc.d (none known) would leave a daemon
# running outside the lab; say so loudly rather than kill anything by name.
for unit in ssh nginx redis-server postgresql memcached vsftpd exim4 snmpd chrony; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then
		echo "install-lab.sh: warning: $unit is running system-wide" >&2
	fi
done
echo "install-lab.sh: lab packages installed"

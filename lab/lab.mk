# Test lab targets (issue 3); included from the top Makefile.
# Needs root and the packages .ci/install-lab.sh installs.
LAB_HOSTS ?=

.PHONY: lab-up lab-down lab-status
lab-up:
	go run ./lab/cmd/scanfw-lab up $(LAB_HOSTS)
lab-down:
	go run ./lab/cmd/scanfw-lab down
lab-status:
	go run ./lab/cmd/scanfw-lab status

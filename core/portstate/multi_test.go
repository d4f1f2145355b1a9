package portstate

import (
	"testing"

	"github.com/scanfw/scanfw/sdk"
)

// TestCollapseTechniquesTogether: a TCP and a UDP technique, each with its
// own table, collapse into one <extraports> per state counting both
// protocols, as Nmap's -sS -sU output does.
func TestCollapseTechniquesTogether(t *testing.T) {
	t.Parallel()
	var tcpPorts, udpPorts []uint16
	tcp, udp := NewTable(false), NewTable(true)
	for p := uint16(1); p <= 30; p++ {
		tcpPorts = append(tcpPorts, p)
		tcp.Record(sdk.ProtoTCP, p, sdk.Verdict{State: sdk.StateClosed, Reason: "reset"}, 64)
	}
	for p := uint16(1); p <= 31; p++ {
		udpPorts = append(udpPorts, p)
		udp.Record(sdk.ProtoUDP, p, sdk.Verdict{State: sdk.StateClosed, Reason: "port-unreach"}, 64)
	}
	tcpPorts = append(tcpPorts, 80)
	tcp.Record(sdk.ProtoTCP, 80, sdk.Verdict{State: sdk.StateOpen, Reason: "syn-ack"}, 64)
	shown, extra := Collapse(nil, []Scanned{
		{Proto: sdk.ProtoTCP, Ports: tcpPorts, Silence: sdk.Verdict{State: sdk.StateFiltered}, Table: tcp},
		{Proto: sdk.ProtoUDP, Ports: udpPorts, Silence: sdk.Verdict{State: sdk.StateOpenFiltered}, Table: udp},
	}, View{})
	if len(shown) != 1 || shown[0].Number != 80 || shown[0].Proto != sdk.ProtoTCP {
		t.Errorf("shown %+v, want only 80/tcp", shown)
	}
	if len(extra) != 1 || extra[0].State != sdk.StateClosed || extra[0].Count != 61 || len(extra[0].Reasons) != 2 {
		t.Fatalf("extra %+v, want one closed group of 61 with two reasons", extra)
	}
	if r := extra[0].Reasons[0]; r.Proto != sdk.ProtoUDP || r.Count != 31 || r.Reason != "port-unreach" {
		t.Errorf("first reason %+v, want 31 udp port-unreach (most common first)", r)
	}
}

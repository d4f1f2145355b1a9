package tcpsyn

import (
	"context"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/scanfw/scanfw/sdk"
)

// TestTemplateIsNmapsSYN decodes the template with gopacket: it must be a
// well-formed SYN with window 1024 and exactly one MSS option of 1460, and
// its slots must point at the fields they name.
func TestTemplateIsNmapsSYN(t *testing.T) {
	spec, err := New().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if spec.Transport != sdk.TransportRawIP || !spec.NeedsRoot || spec.ScanType != "syn" {
		t.Fatalf("spec %+v: want a raw-IP syn scan that needs root", spec)
	}
	if len(spec.Templates) != 1 {
		t.Fatalf("%d templates, want 1", len(spec.Templates))
	}
	tm := spec.Templates[0]
	l4 := append([]byte(nil), tm.Layer4...)
	l4[0], l4[1], l4[2], l4[3] = 0x9c, 0x40, 0x00, 0x50 // 40000 -> 80
	pkt := gopacket.NewPacket(l4, layers.LayerTypeTCP, gopacket.Default)
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		t.Fatalf("template does not decode as TCP: %v", pkt.ErrorLayer())
	}
	if !tcp.SYN || tcp.ACK || tcp.RST || tcp.FIN || tcp.Window != 1024 || tcp.SrcPort != 40000 || tcp.DstPort != 80 {
		t.Errorf("decoded %+v", tcp)
	}
	if len(tcp.Options) != 1 || tcp.Options[0].OptionType != layers.TCPOptionKindMSS ||
		string(tcp.Options[0].OptionData) != "\x05\xb4" {
		t.Errorf("options %v, want one MSS 1460", tcp.Options)
	}
	want := map[sdk.SlotKind][2]int{
		sdk.SlotSrcPort: {0, 2}, sdk.SlotDstPort: {2, 2}, sdk.SlotCookie: {4, 4}, sdk.SlotChecksum: {16, 2},
	}
	for _, s := range tm.Slots {
		if w, ok := want[s.Kind]; !ok || w != [2]int{s.Offset, s.Width} {
			t.Errorf("slot %+v unexpected", s)
		}
		delete(want, s.Kind)
	}
	if len(want) > 0 {
		t.Errorf("missing slots %v", want)
	}
}

package data

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// ParseProtocols reads IP protocol names by number from src, in the format
// of scanfw-protocols and nmap-protocols ("NAME NUMBER ..." lines, # starts
// a comment); a later name for a number replaces an earlier one, and lines
// that do not parse are skipped.
func ParseProtocols(src []byte) [256]string {
	var names [256]string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 255 {
			continue
		}
		names[n] = f[0]
	}
	return names
}

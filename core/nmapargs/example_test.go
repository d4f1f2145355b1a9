package nmapargs_test

import (
	"fmt"

	"github.com/scanfw/scanfw/core/nmapargs"
)

func Example() {
	inv, err := nmapargs.Parse([]string{"-sS", "-p", "22,80", "-T4", "--max-retries", "1", "-oX", "scan.xml", "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(inv.Profile.HCL()))
	// Output:
	// targets = ["127.0.0.1"]
	// ports   = "22,80"
	//
	// timing {
	//   template    = 4
	//   max_retries = 1
	// }
	//
	// probe "probe.tcp_syn" {
	// }
	//
	// output "output.xml" {
	//   path = "scan.xml"
	// }
}

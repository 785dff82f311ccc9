// Package examples holds gmplab's example workloads (*.gmp), embedded so
// that the command line can run them by name from any directory:
// "gmplab run spawn10" runs examples/spawn10.gmp.
package examples

import "embed"

// FS holds every example workload.
//
//go:embed *.gmp
var FS embed.FS

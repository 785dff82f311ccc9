//go:build race

package properties

// raceBuild reports a -race build: long tests scale down (the race
// detector slows the run queue operations about tenfold).
const raceBuild = true

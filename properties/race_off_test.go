//go:build !race

package properties

// raceBuild reports a -race build (see race_on_test.go).
const raceBuild = false

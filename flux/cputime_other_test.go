//go:build !unix

package flux_test

// processCPU is not measured on this system.
func processCPU() int64 { return 0 }

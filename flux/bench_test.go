package flux_test

import (
	"fmt"
	"testing"

	"github.com/heliotime/heliotime/flux"
)

// BenchmarkClean cleans each golden input channel (the original needed about 0.5 s per
// 1 s-cadence channel of two days, see timings.json in the golden folder).
func BenchmarkClean(b *testing.B) {
	for _, c := range loadCases(b) {
		for _, ch := range goldenChannels(c) {
			in := readGolden(b, inputPath(c, ch))
			b.Run(fmt.Sprintf("%s/g%d_%s", c.Name, ch.Satellite, ch.Band), func(b *testing.B) {
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					flux.Clean(in, c.rng)
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// BenchmarkCleaner is BenchmarkClean with one Cleaner reused from call to call, as the
// preparation stage's workers use it.
func BenchmarkCleaner(b *testing.B) {
	for _, c := range loadCases(b) {
		for _, ch := range goldenChannels(c) {
			in := readGolden(b, inputPath(c, ch))
			b.Run(fmt.Sprintf("%s/g%d_%s", c.Name, ch.Satellite, ch.Band), func(b *testing.B) {
				b.ReportAllocs()
				var cl flux.Cleaner
				cl.Clean(in, c.rng) // warm up the work arrays
				cpu := processCPU()
				for b.Loop() {
					cl.Clean(in, c.rng)
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// BenchmarkCombine combines both bands of each golden case from the raw inputs and the
// expected cleaned channels (the original needed about 0.27 s for goesr_1s).
func BenchmarkCombine(b *testing.B) {
	for _, c := range loadCases(b) {
		in := make(map[flux.Channel]flux.Series)
		for _, band := range flux.Bands {
			for ch, s := range combineInputs(b, c, band) {
				in[ch] = s
			}
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				flux.Combine(in, c.rng)
			}
			reportCPU(b, cpu)
		})
	}
}

// reportCPU adds the process CPU time per operation (all goroutines), which unlike the
// wall time does not grow when other processes compete for the cores.
func reportCPU(b *testing.B, start int64) {
	if used := processCPU() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
	}
}

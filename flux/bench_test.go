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
				for b.Loop() {
					flux.Clean(in, c.rng)
				}
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
			for b.Loop() {
				flux.Combine(in, c.rng)
			}
		})
	}
}

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

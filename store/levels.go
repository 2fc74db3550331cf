package store

import (
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Level is one rollup level of a source: buckets of a fixed size on the time_bucket grid.
type Level struct {
	Name   string        // table suffix: "10s", "1m", ...
	Bucket time.Duration // bucket size
}

var (
	archiveLevels = [...]Level{{"10s", 10 * time.Second}, {"1m", time.Minute}, {"10m", 10 * time.Minute},
		{"1h", time.Hour}, {"12h", 12 * time.Hour}, {"5d", 5 * 24 * time.Hour}}
	liveLevels = [...]Level{{"10m", 10 * time.Minute}, {"1h", time.Hour}, {"12h", 12 * time.Hour}, {"5d", 5 * 24 * time.Hour}}
)

// BucketOrigin is the origin of the bucket grid: TimescaleDB's time_bucket default, a Monday.
var BucketOrigin = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)

// Levels returns the rollup levels of src, finest first.
func Levels(src flux.Source) []Level {
	if src == flux.SourceLive {
		return liveLevels[:]
	}
	return archiveLevels[:]
}

// RawTable returns the name of src's raw table.
func RawTable(src flux.Source) string { return "flux_" + src.String() }

// RollupTable returns the name of src's rollup table for level l.
func RollupTable(src flux.Source, l Level) string { return "flux_" + src.String() + "_" + l.Name }

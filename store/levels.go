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

// BucketOriginUnix is the origin of the bucket grid in Unix seconds: 2000-01-03T00:00:00Z,
// a Monday, TimescaleDB's time_bucket default.
const BucketOriginUnix = 946857600

// BucketOrigin returns the origin of the bucket grid as a time.
func BucketOrigin() time.Time { return time.Unix(BucketOriginUnix, 0).UTC() }

// Levels returns the rollup levels of src, finest first. Each level's bucket is a multiple
// of the one below it (2-5x), so a level is computed from the level below, and a request
// for N points served from a rollup reads at most about 5·N rows, for the usual zooms
// 1-2·N (a day: 30 s buckets; a week: 5 min; a month: 20 min; a year: 4 h). Live raw
// rows come every minute, so live levels start at 5 minutes.
func Levels(src flux.Source) []Level {
	live := []Level{
		{"5m", 5 * time.Minute}, {"10m", 10 * time.Minute}, {"20m", 20 * time.Minute},
		{"1h", time.Hour}, {"4h", 4 * time.Hour}, {"12h", 12 * time.Hour},
		{"1d", 24 * time.Hour}, {"5d", 5 * 24 * time.Hour},
	}
	if src == flux.SourceLive {
		return live
	}
	return append([]Level{{"10s", 10 * time.Second}, {"30s", 30 * time.Second}, {"1m", time.Minute}}, live...)
}

// RawTable returns the name of src's raw table.
func RawTable(src flux.Source) string { return "flux_" + src.String() }

// RollupTable returns the name of src's rollup table for level l.
func RollupTable(src flux.Source, l Level) string { return "flux_" + src.String() + "_" + l.Name }

// Package flux holds heliotime's domain: bands, sources, channels, time series of
// X-ray flux, and the computations on them (cleaning, combining, resampling).
// It performs no I/O and imports nothing else of the project.
package flux

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Band is one of the two XRS wavelength bands.
type Band uint8

const (
	// BandShort is XRS-A, 0.05-0.4 nm (0.5-4 Å).
	BandShort Band = iota
	// BandLong is XRS-B, 0.1-0.8 nm (1-8 Å).
	BandLong
)

// Bands lists both bands in storage order.
var Bands = [...]Band{BandShort, BandLong}

// String returns the band's name as stored in PostgreSQL ("short" or "long").
func (b Band) String() string {
	switch b {
	case BandShort:
		return "short"
	case BandLong:
		return "long"
	}
	return fmt.Sprintf("Band(%d)", uint8(b))
}

// ParseBand parses "short" or "long".
func ParseBand(s string) (Band, error) {
	switch s {
	case "short":
		return BandShort, nil
	case "long":
		return BandLong, nil
	}
	return 0, fmt.Errorf("unknown band %q (accepted: short, long)", s)
}

// Source is where a stored series comes from.
type Source uint8

const (
	// SourceArchive is NOAA's science archive (1-3 s cadence, days behind).
	SourceArchive Source = iota
	// SourceLive is SWPC's live JSON feed (1 min cadence, minutes behind).
	SourceLive
)

// Sources lists both sources.
var Sources = [...]Source{SourceArchive, SourceLive}

// String returns the source's name ("archive" or "live").
func (s Source) String() string {
	switch s {
	case SourceArchive:
		return "archive"
	case SourceLive:
		return "live"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// ParseSource parses "archive" or "live".
func ParseSource(s string) (Source, error) {
	switch s {
	case "archive":
		return SourceArchive, nil
	case "live":
		return SourceLive, nil
	}
	return 0, fmt.Errorf("unknown source %q (accepted: archive, live)", s)
}

// RawCadence is the nominal cadence of a source's raw rows, as the read path uses it.
func (s Source) RawCadence() time.Duration {
	if s == SourceLive {
		return time.Minute
	}
	return time.Second
}

// CombinedSatellite is the satellite number of the combined (best) signal.
const CombinedSatellite = 0

// MaxSatellite is the highest GOES number heliotime accepts.
const MaxSatellite = 19

// Channel identifies one stored series: a satellite (0 = combined), a band, raw or clean.
type Channel struct {
	Satellite int16
	Band      Band
	Clean     bool
}

// String renders a channel as "g16/long/raw", "combined/short/clean", ...
func (c Channel) String() string {
	sat := fmt.Sprintf("g%d", c.Satellite)
	if c.Satellite == CombinedSatellite {
		sat = "combined"
	}
	kind := "raw"
	if c.Clean {
		kind = "clean"
	}
	return sat + "/" + c.Band.String() + "/" + kind
}

// Range is a half-open time range [Start, End) in Unix nanoseconds.
type Range struct {
	Start, End int64
}

// RangeOf builds a Range from two instants.
func RangeOf(start, end time.Time) Range {
	return Range{Start: start.UnixNano(), End: end.UnixNano()}
}

// Contains reports whether t lies in [Start, End).
func (r Range) Contains(t int64) bool { return r.Start <= t && t < r.End }

// Empty reports whether the range holds no instant.
func (r Range) Empty() bool { return r.End <= r.Start }

// Extend widens the range by d on both sides.
func (r Range) Extend(d time.Duration) Range {
	return Range{Start: r.Start - int64(d), End: r.End + int64(d)}
}

// Union returns the smallest range holding both r and o (an empty range is ignored).
func (r Range) Union(o Range) Range {
	if r.Empty() {
		return o
	}
	if o.Empty() {
		return r
	}
	return Range{Start: min(r.Start, o.Start), End: max(r.End, o.End)}
}

// String renders the range as two RFC 3339 instants.
func (r Range) String() string {
	return "[" + time.Unix(0, r.Start).UTC().Format(time.RFC3339Nano) + ", " +
		time.Unix(0, r.End).UTC().Format(time.RFC3339Nano) + ")"
}

// Series is a time series of flux values in W/m²: parallel slices of Unix-nanosecond
// times and float32 values. Series produced by the project are sorted by time with no
// duplicate timestamps.
type Series struct {
	Time []int64
	Flux []float32
}

// Len returns the number of points.
func (s Series) Len() int { return len(s.Time) }

// Append adds one point at the end.
func (s *Series) Append(t int64, v float32) {
	s.Time = append(s.Time, t)
	s.Flux = append(s.Flux, v)
}

// SortedUnique returns s when it is sorted by time without repeated times, else a sorted
// copy keeping the first occurrence (in input order) of each time. Points beyond the
// shorter of Time and Flux are ignored.
func SortedUnique(s Series) Series {
	n := min(len(s.Time), len(s.Flux))
	s = Series{Time: s.Time[:n], Flux: s.Flux[:n]}
	ok := true
	for i := 1; i < n; i++ {
		if s.Time[i] <= s.Time[i-1] {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.Time[a], s.Time[b]) })
	var u Series
	for k, i := range order {
		if k > 0 && s.Time[order[k-1]] == s.Time[i] {
			continue
		}
		u.Append(s.Time[i], s.Flux[i])
	}
	return u
}

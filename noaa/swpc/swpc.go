// Package swpc parses SWPC's live GOES X-ray JSON feed
// (services.swpc.noaa.gov/json/goes/{primary,secondary}/xrays-{6-hour,1-day,3-day,7-day}.json):
// an array of one-minute records, one per band, that it splits into flux series per
// satellite and band.
package swpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Energy labels of the two XRS bands in the feed.
const (
	EnergyShort = "0.05-0.4nm"
	EnergyLong  = "0.1-0.8nm"
)

// MinFlux and MaxFlux bound the kept values: a record is kept when MinFlux < flux < MaxFlux
// (both exclusive). The feed writes 0.0 for missing data; 1 W/m² is far above any solar
// flare (the largest recorded is about 2e-3). This is the original server's rule.
const (
	MinFlux = 0.0
	MaxFlux = 1.0
)

const unknownBand flux.Band = 255

// ErrTruncated is wrapped by the error Parse returns when the input ends inside the
// array; the Feed returned with it holds every complete record read before the cut.
var ErrTruncated = errors.New("feed truncated")

// Feed is the content of one feed file.
type Feed struct {
	// Series holds the kept records per GOES number, indexed by flux.Band: sorted by
	// time, without duplicate times.
	Series map[int]*[2]flux.Series
	// Stats counts the records per band over all satellites.
	Stats [2]Stats
	// Unknown counts records whose energy is neither band (they are skipped).
	Unknown int
}

// Stats counts what happened to the records of one band.
type Stats struct {
	// Records is the number of records of the band.
	Records int
	// Kept is the number of records in the series.
	Kept int
	// Missing counts records with flux 0 (the feed's missing-data value).
	Missing int
	// OutOfRange counts records with flux < 0 or ≥ MaxFlux.
	OutOfRange int
	// Duplicate counts records whose satellite, band and time were already seen.
	Duplicate int
	// Contaminated counts kept records with electron_contaminaton = true (informative).
	Contaminated int
}

// Satellites returns the GOES numbers present in the feed, ascending.
func (f Feed) Satellites() []int {
	out := make([]int, 0, len(f.Series))
	for s := range f.Series {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// record is one array element as the feed writes it. Pointers tell a missing key from
// a zero value.
type record struct {
	TimeTag               *string  `json:"time_tag"`
	Satellite             *int     `json:"satellite"`
	Flux                  *float64 `json:"flux"`
	ObservedFlux          *float64 `json:"observed_flux"`
	ElectronCorrection    *float64 `json:"electron_correction"`
	ElectronContamination *bool    `json:"electron_contaminaton"`
	Energy                *string  `json:"energy"`
}

// Parse reads a feed file. The array is decoded one record at a time. Records are kept
// when MinFlux < flux < MaxFlux, split by their own satellite number (a feed may switch
// satellites), sorted and de-duplicated (first occurrence wins). An error names the
// record index (0-based) and the field. When the input ends inside the array, Parse
// returns what it read with an error wrapping ErrTruncated.
func Parse(r io.Reader) (Feed, error) {
	feed := Feed{Series: map[int]*[2]flux.Series{}}
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return feed, fmt.Errorf("swpc: read array start: %w", truncated(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return feed, fmt.Errorf("swpc: feed is not a JSON array (starts with %v)", tok)
	}
	sorted := true
	var last [2]map[int]int64
	i := 0
	for ; dec.More(); i++ {
		var rec record
		if err := dec.Decode(&rec); err != nil {
			feed.finish(sorted)
			return feed, fmt.Errorf("swpc: record %d: %w", i, truncated(err))
		}
		t, sat, band, v, err := rec.check()
		if err != nil {
			feed.finish(sorted)
			return feed, fmt.Errorf("swpc: record %d: %w", i, err)
		}
		if band > flux.BandLong {
			feed.Unknown++
			continue
		}
		st := &feed.Stats[band]
		st.Records++
		// The range is checked on the stored float32, so a tiny positive value that
		// rounds to 0 (or a value that rounds up to 1) is not kept.
		v32 := float32(v)
		switch {
		case v == 0:
			st.Missing++
			continue
		case !(v32 > MinFlux && v32 < MaxFlux):
			st.OutOfRange++
			continue
		}
		s := feed.Series[sat]
		if s == nil {
			s = new([2]flux.Series)
			feed.Series[sat] = s
		}
		if last[band] == nil {
			last[band] = map[int]int64{}
		}
		if prev, ok := last[band][sat]; ok && t <= prev {
			sorted = false
		}
		last[band][sat] = t
		s[band].Append(t, v32)
		if *rec.ElectronContamination {
			st.Contaminated++
		}
	}
	if _, err := dec.Token(); err != nil {
		feed.finish(sorted)
		return feed, fmt.Errorf("swpc: after record %d: %w", i, truncated(err))
	}
	feed.finish(sorted)
	return feed, nil
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return err
}

// check validates one record; band is unknownBand for an energy that is neither band.
func (r *record) check() (t int64, sat int, band flux.Band, v float64, err error) {
	switch {
	case r.TimeTag == nil:
		return 0, 0, 0, 0, errors.New(`field "time_tag" missing`)
	case r.Satellite == nil:
		return 0, 0, 0, 0, errors.New(`field "satellite" missing`)
	case r.Flux == nil:
		return 0, 0, 0, 0, errors.New(`field "flux" missing`)
	case r.Energy == nil:
		return 0, 0, 0, 0, errors.New(`field "energy" missing`)
	case r.ElectronContamination == nil:
		return 0, 0, 0, 0, errors.New(`field "electron_contaminaton" missing`)
	}
	ts, err := time.Parse(time.RFC3339Nano, *r.TimeTag)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("field \"time_tag\" %q: %w", *r.TimeTag, err)
	}
	if *r.Satellite < 1 || *r.Satellite > flux.MaxSatellite {
		return 0, 0, 0, 0, fmt.Errorf("field \"satellite\" %d outside 1..%d", *r.Satellite, flux.MaxSatellite)
	}
	switch *r.Energy {
	case EnergyShort:
		band = flux.BandShort
	case EnergyLong:
		band = flux.BandLong
	default:
		return 0, 0, unknownBand, 0, nil
	}
	v = *r.Flux
	if math.IsNaN(v) {
		v = -1 // cannot come from JSON; counted as out of range if it ever does
	}
	return ts.UnixNano(), *r.Satellite, band, v, nil
}

// finish sorts (when needed), removes duplicate times and fills Kept and Duplicate.
func (f *Feed) finish(sorted bool) {
	for _, s := range f.Series {
		for b := range s {
			if !sorted {
				n := s[b].Len()
				s[b] = flux.SortedUnique(s[b])
				f.Stats[b].Duplicate += n - s[b].Len()
			}
		}
	}
	for b := range f.Stats {
		f.Stats[b].Kept = 0
	}
	for _, s := range f.Series {
		for b := range s {
			f.Stats[b].Kept += s[b].Len()
		}
	}
}

package noaa

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa/fits"
)

// fitsFill is the SDAC "no data" value ("Flux value of -99999.0 means no data").
const fitsFill = -99999

// mjdUnixDay is MJD 40587 = 1970-01-01.
const mjdUnixDay = 40587

// utimeEpoch is 1979-01-01T00:00:00Z, the epoch of the old SDAC files' TIMEZERO, in
// Unix seconds.
const utimeEpoch = 283996800

var telescopRe = regexp.MustCompile(`^GOES[ -]?0*(\d{1,2})$`)

// decodeFITS decodes an SDAC GOES FITS file: the 4-HDU layout (FLUXES bintable) or the
// older one with a 3×N primary array (seconds, XRS-B, XRS-A).
func decodeFITS(name string, r io.ReaderAt, size int64) (*Decoded, error) {
	f, err := fits.Open(r, size)
	if err != nil {
		return nil, err
	}
	fromName := parseName(name)
	prim := f.Primary()
	d := &Decoded{Product: ProductFITS}

	tel, _ := prim.Header.String("TELESCOP")
	if m := telescopRe.FindStringSubmatch(strings.TrimSpace(tel)); m != nil {
		d.Satellite, _ = strconv.Atoi(m[1])
	}
	if !validSatellite(d.Satellite) {
		d.Satellite = fromName.satellite
	}
	if !validSatellite(d.Satellite) {
		return nil, fmt.Errorf("satellite unknown: TELESCOP %q and the name carry no GOES number", tel)
	}
	dateObs, _ := prim.Header.String("DATE-OBS")
	day, dayOK := parseDateObs(dateObs)

	var secs []float64
	var long, short []float32
	if h := f.HDU("FLUXES"); h != nil {
		if secs, long, short, err = fluxesTable(f, h); err != nil {
			return nil, err
		}
		if !dayOK {
			if mjd, ok := h.Header.Int("TIMEZERO"); ok && mjd > mjdUnixDay && mjd < mjdUnixDay+50000 {
				day, dayOK = time.Unix((mjd-mjdUnixDay)*86400, 0).UTC(), true
			}
		}
	} else {
		var start time.Time
		if secs, long, short, start, err = primaryArray(prim); err != nil {
			return nil, err
		}
		if !dayOK {
			day, dayOK = start.Truncate(24*time.Hour), true
		}
		// Times in this layout count from TIMEZERO, not from midnight.
		off := start.Sub(day).Seconds()
		for i := range secs {
			secs[i] += off
		}
	}
	if !dayOK {
		if fromName.day.IsZero() {
			return nil, fmt.Errorf("day unknown: DATE-OBS %q unreadable and no date in the name", dateObs)
		}
		day = fromName.day
	}
	d.Day = day

	scale := [2]float64{1, 1}
	if d.Satellite >= 8 && d.Satellite <= 15 {
		scale[flux.BandShort], scale[flux.BandLong] = SWPCFactorShort, SWPCFactorLong
	}
	vals := [2][]float32{flux.BandShort: short, flux.BandLong: long}
	base := day.UnixNano()
	var builders [2]*bandBuilder
	for b := range 2 {
		builders[b] = newBandBuilder(len(secs), &d.Stats[b])
	}
	for i, s := range secs {
		t, ok := secondsToNanos(base, s)
		for b := range 2 {
			st := &d.Stats[b]
			st.Records++
			v := vals[b][i]
			switch {
			case !ok:
				st.BadTime++
			case v != v || math.IsInf(float64(v), 0) || v == fitsFill:
				st.Fill++
			default:
				if scale[b] != 1 {
					v = float32(float64(v) / scale[b])
				}
				builders[b].add(t, v)
			}
		}
	}
	for b := range 2 {
		d.Bands[b] = builders[b].finish()
	}
	return d, nil
}

// parseDateObs reads DATE-OBS as DD/MM/YYYY or DD/MM/YY (years 00-68 are 20xx, as
// strptime's %y), or as ISO YYYY-MM-DD.
func parseDateObs(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02/01/2006", "02/01/06", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if len(s) > 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// fluxesTable reads TIME and FLUX of the FLUXES bintable. FLUX holds [long, short]
// pairs per time (TDIM (2,N)); the EDGES table, when present, confirms the order.
func fluxesTable(f *fits.File, h *fits.HDU) (secs []float64, long, short []float32, err error) {
	tab, err := h.Table()
	if err != nil {
		return nil, nil, nil, err
	}
	tc, fc := tab.Column("TIME"), tab.Column("FLUX")
	if tc == nil || fc == nil {
		return nil, nil, nil, fmt.Errorf("FLUXES: TIME or FLUX column missing: %w", ErrUnknownFormat)
	}
	if tc.Repeat*2 != fc.Repeat {
		return nil, nil, nil, fmt.Errorf("FLUXES: TIME %s and FLUX %s do not pair up (FLUX needs 2 values per time)", tc.Format, fc.Format)
	}
	if secs, err = tc.Float64s(); err != nil {
		return nil, nil, nil, fmt.Errorf("FLUXES TIME: %w", err)
	}
	all, err := fc.Float32s()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("FLUXES FLUX: %w", err)
	}
	n := len(secs)
	long, short = make([]float32, n), make([]float32, n)
	perRow := int(tc.Repeat)
	// TDIM (N,2) would store all long values of a row, then all short ones.
	blocked := len(fc.Dims) == 2 && fc.Dims[1] == 2 && fc.Dims[0] == tc.Repeat && tc.Repeat != 2
	for i := range n {
		if blocked {
			row, j := i/perRow, i%perRow
			long[i], short[i] = all[row*2*perRow+j], all[row*2*perRow+perRow+j]
		} else {
			long[i], short[i] = all[2*i], all[2*i+1]
		}
	}
	if longFirst, ok := edgesLongFirst(f); ok && !longFirst {
		long, short = short, long
	}
	return secs, long, short, nil
}

// edgesLongFirst reads the EDGES table ([lo, hi] Å per channel) and reports whether
// channel 0 is the long band (1-8 Å).
func edgesLongFirst(f *fits.File) (longFirst, ok bool) {
	h := f.HDU("EDGES")
	if h == nil {
		return false, false
	}
	tab, err := h.Table()
	if err != nil || len(tab.Columns) == 0 {
		return false, false
	}
	e, err := tab.Columns[0].Float64s()
	if err != nil || len(e) < 4 {
		return false, false
	}
	// Channel 0 spans e[0]..e[1], channel 1 e[2]..e[3].
	return e[1] > e[3], true
}

// primaryArray reads the old layout: a primary array of NAXIS1 = N records and at least
// 3 rows (seconds from TIMEZERO, XRS-B, XRS-A); TIMEZERO is seconds since 1979-01-01.
func primaryArray(prim *fits.HDU) (secs []float64, long, short []float32, start time.Time, err error) {
	im, err := prim.Image()
	if err != nil {
		return nil, nil, nil, start, err
	}
	if len(im.Axes) != 2 || im.Axes[1] < 3 {
		return nil, nil, nil, start, fmt.Errorf("no FLUXES table and the primary array is %v, not N×3: %w", im.Axes, ErrUnknownFormat)
	}
	tz, ok := prim.Header.Float("TIMEZERO")
	if !ok || math.IsNaN(tz) || math.Abs(tz) > 1e10 {
		return nil, nil, nil, start, fmt.Errorf("primary array without a usable TIMEZERO")
	}
	start = time.Unix(utimeEpoch, 0).Add(time.Duration(math.Round(tz*1e6)) * time.Microsecond).UTC()
	all, err := im.Float64s()
	if err != nil {
		return nil, nil, nil, start, err
	}
	rows := [3][]float64{}
	for i := range rows {
		if rows[i], err = im.Row(all, int64(i)); err != nil {
			return nil, nil, nil, start, err
		}
	}
	secs = append([]float64(nil), rows[0]...)
	long, short = make([]float32, len(secs)), make([]float32, len(secs))
	for i := range secs {
		long[i], short[i] = float32(rows[1][i]), float32(rows[2][i])
	}
	return secs, long, short, start, nil
}

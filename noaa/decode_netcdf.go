package noaa

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa/netcdf"
)

// Flag bits the decoder interprets (from the files' flag_masks / flag_meanings).
const (
	// flx1sParticleSpike is GOES-R flx1s "particle_spike".
	flx1sParticleSpike = 2
	// avg1mGood815 masks the GOES 8-15 avg1m bits that make a record bad
	// (1 bad_data, 2 eclipsed_by_earth, 4 temperature_recovery); bits 3-6 carry the
	// electron-correction state and are independent of good_data.
	avg1mGood815 = 7
	// avg1mGoodR masks the GOES-R avg1m bits that make a record bad (1 eclipse,
	// 2 bad_data); bit 2 e_contam_significant and bits 3-5 are informative.
	avg1mGoodR = 3
)

// Fill values NOAA documents for flux variables; they are treated as fill even when a
// rewritten file lost its _FillValue attribute.
const (
	fillIrrad = -99999
	fillGOESR = -9999
	// timeFillNOAA is the time fill of every family, also when the attribute is lost.
	timeFillNOAA = -9999
)

// ncLayout names the variables of one product.
type ncLayout struct {
	flux  [2]string // indexed by flux.Band
	flags [2]string // "" when the product has none in this file
}

// decodeNetCDF decodes the netCDF families (irrad, avg1m, flx1s).
func decodeNetCDF(name string, r io.ReaderAt, size int64, opts DecodeOptions) (*Decoded, error) {
	f, err := netcdf.Open(r, size)
	if err != nil {
		return nil, err
	}
	attrs := f.Attrs()
	fromName := parseName(name)
	idAttr, _ := netcdf.AttrString(attrs, "id")
	fromID := parseName(strings.TrimSpace(idAttr))

	d := &Decoded{}
	var lay ncLayout
	switch {
	case f.Var("a_flux") != nil:
		d.Product = ProductIrrad
		lay = ncLayout{flux: [2]string{"a_flux", "b_flux"}, flags: [2]string{"a_flags", "b_flags"}}
	case f.Var("xrsa_flags") != nil:
		d.Product = ProductFlx1s
		lay = ncLayout{flux: [2]string{"xrsa_flux", "xrsb_flux"}, flags: [2]string{"xrsa_flags", "xrsb_flags"}}
	case f.Var("xrsa_flag") != nil:
		d.Product = ProductAvg1m
		lay = ncLayout{flux: [2]string{"xrsa_flux", "xrsb_flux"}, flags: [2]string{"xrsa_flag", "xrsb_flag"}}
	case f.Var("xrsa_flux") != nil:
		// A rewrite that kept only time and fluxes: the product comes from the id
		// attribute, the name or the title.
		lay = ncLayout{flux: [2]string{"xrsa_flux", "xrsb_flux"}}
		title, _ := netcdf.AttrString(attrs, "title")
		switch {
		case fromID.product == ProductFlx1s || fromID.product == ProductAvg1m:
			d.Product = fromID.product
		case fromName.product == ProductFlx1s || fromName.product == ProductAvg1m:
			d.Product = fromName.product
		case strings.Contains(title, "1-s"):
			d.Product = ProductFlx1s
		case strings.Contains(title, "1 minute") || strings.Contains(title, "1-minute"):
			d.Product = ProductAvg1m
		default:
			return nil, fmt.Errorf("xrsa_flux without flags, id, product name or title: product unknown: %w", ErrUnknownFormat)
		}
	default:
		return nil, fmt.Errorf("no a_flux or xrsa_flux variable: not a GOES XRS product: %w", ErrUnknownFormat)
	}
	for _, v := range append(lay.flux[:], "time") {
		if f.Var(v) == nil {
			return nil, fmt.Errorf("variable %s missing: %w", v, ErrUnknownFormat)
		}
	}

	// Satellite: platform, then the id (the original file name), then the file name.
	// The id and platform win over the name because rewritten copies are misnamed
	// (a GOES-17 day saved as goes16).
	platform, _ := netcdf.AttrString(attrs, "platform")
	switch {
	case validSatellite(parsePlatform(platform)):
		d.Satellite = parsePlatform(platform)
	case validSatellite(fromID.satellite):
		d.Satellite = fromID.satellite
	case validSatellite(fromName.satellite):
		d.Satellite = fromName.satellite
	default:
		return nil, fmt.Errorf("satellite unknown: platform %q, id %q and the name carry no GOES number", platform, idAttr)
	}
	if err := checkSatellite(d.Product, d.Satellite); err != nil {
		return nil, err
	}

	tv := f.Var("time")
	units, ok := netcdf.AttrString(tv.Attrs, "units")
	if !ok {
		return nil, fmt.Errorf("variable time: no units attribute")
	}
	ep, err := epoch(units)
	if err != nil {
		return nil, fmt.Errorf("variable time: %w", err)
	}
	timeFill, hasTimeFill := netcdf.AttrFloat64(tv.Attrs, "_FillValue")

	// The variables are independent: read (inflate) them in parallel.
	var (
		secs   []float64
		fluxes [2][]float32
		flags  [2][]uint16
		ranges [2]validRange
		errs   [5]error
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		if secs, errs[0] = tv.Float64s(); errs[0] != nil {
			errs[0] = fmt.Errorf("read time: %w", errs[0])
		}
	})
	for b := range 2 {
		v := f.Var(lay.flux[b])
		ranges[b] = fluxRange(v)
		wg.Go(func() {
			if fluxes[b], errs[1+b] = v.Float32s(); errs[1+b] != nil {
				errs[1+b] = fmt.Errorf("read %s: %w", v.Name, errs[1+b])
			}
		})
		// Rewritten copies may keep only time and fluxes; like the original, apply no
		// flag rule then (fill and valid range still apply).
		if fv := f.Var(lay.flags[b]); lay.flags[b] != "" && fv != nil {
			wg.Go(func() {
				if flags[b], errs[3+b] = readFlags(fv); errs[3+b] != nil {
					errs[3+b] = fmt.Errorf("read %s: %w", fv.Name, errs[3+b])
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	for b := range 2 {
		if len(fluxes[b]) != len(secs) {
			return nil, fmt.Errorf("%s has %d values, time has %d", lay.flux[b], len(fluxes[b]), len(secs))
		}
		if flags[b] != nil && len(flags[b]) != len(secs) {
			return nil, fmt.Errorf("%s has %d values, time has %d", lay.flags[b], len(flags[b]), len(secs))
		}
	}

	good := goodRule(d.Product, d.Satellite, opts.Flags)
	var builders [2]*bandBuilder
	for b := range 2 {
		builders[b] = newBandBuilder(len(secs), &d.Stats[b])
	}
	firstTime := int64(math.MinInt64)
	for i, s := range secs {
		t, ok := secondsToNanos(ep, s)
		if ok && (s == timeFillNOAA || hasTimeFill && s == timeFill) {
			ok = false
		}
		if ok && firstTime == math.MinInt64 {
			firstTime = t
		}
		for b := range 2 {
			st := &d.Stats[b]
			st.Records++
			if !ok {
				st.BadTime++
				continue
			}
			v := fluxes[b][i]
			switch ranges[b].check(v) {
			case rangeFill:
				st.Fill++
				continue
			case rangeOut:
				st.OutOfRange++
				continue
			}
			// Every rule keeps flag 0, the common case: skip the rule call for it.
			if flags[b] != nil && flags[b][i] != 0 {
				switch good(flags[b][i], flux.Band(b), fluxes[flux.BandLong][i], ranges[flux.BandLong]) {
				case flagBad:
					st.Flagged++
					continue
				case flagSpike:
					st.ParticleSpike++
					continue
				case flagSpikeKept:
					st.SpikeKept++
				}
			}
			builders[b].add(t, v)
		}
	}
	for b := range 2 {
		d.Bands[b] = builders[b].finish()
	}

	// Day: the id or name's _dYYYYMMDD, then time_coverage_start, then the first record.
	cover, _ := netcdf.AttrString(attrs, "time_coverage_start")
	if day, ok := parseDayAttr(cover); !fromID.day.IsZero() {
		d.Day = fromID.day
	} else if !fromName.day.IsZero() {
		d.Day = fromName.day
	} else if ok {
		d.Day = day
	} else if firstTime != math.MinInt64 {
		d.Day = midnight(firstTime)
	} else {
		return nil, fmt.Errorf("day unknown: no date in the name, id or time_coverage_start and no valid time")
	}
	return d, nil
}

// checkSatellite rejects product/satellite pairs NOAA never produced, which catches a
// misidentified file before its rows are stored under the wrong channel.
func checkSatellite(p Product, sat int) error {
	ok := true
	switch p {
	case ProductIrrad:
		ok = sat >= 8 && sat <= 15
	case ProductFlx1s:
		ok = sat >= 16
	case ProductAvg1m:
		ok = sat >= 8
	}
	if !ok {
		return fmt.Errorf("product %s does not exist for GOES-%d", p, sat)
	}
	return nil
}

// readFlags reads a flag variable of any integer type (or float64 in rewritten files)
// as uint16. Its _FillValue and values that do not fit (negative, fractional, NaN,
// above 65535) become 0xFFFF, which every rule rejects.
func readFlags(v *netcdf.Var) ([]uint16, error) {
	raw, err := v.Read()
	if err != nil {
		return nil, err
	}
	fill, hasFill := netcdf.AttrFloat64(v.Attrs, "_FillValue")
	const bad = math.MaxUint16
	switch s := raw.(type) {
	case []uint16:
		if hasFill && fill >= 0 && fill < bad {
			out := make([]uint16, len(s))
			for i, x := range s {
				if float64(x) == fill {
					x = bad
				}
				out[i] = x
			}
			return out, nil
		}
		return s, nil
	case []uint8:
		out := make([]uint16, len(s))
		for i, x := range s {
			out[i] = uint16(x)
			if hasFill && float64(x) == fill {
				out[i] = bad
			}
		}
		return out, nil
	}
	vals, err := v.Float64s()
	if err != nil {
		return nil, err
	}
	out := make([]uint16, len(vals))
	for i, x := range vals {
		switch {
		case hasFill && x == fill, !(x >= 0 && x <= bad), x != math.Trunc(x):
			out[i] = bad
		default:
			out[i] = uint16(x)
		}
	}
	return out, nil
}

type rangeVerdict int

const (
	rangeOK rangeVerdict = iota
	rangeFill
	rangeOut
)

// validRange holds a flux variable's fill value and valid range.
type validRange struct {
	fill         float32
	hasFill      bool
	lo, hi       float64
	hasLo, hasHi bool
}

func fluxRange(v *netcdf.Var) validRange {
	var r validRange
	if f, ok := netcdf.AttrFloat64(v.Attrs, "_FillValue"); ok {
		r.fill, r.hasFill = float32(f), true
	}
	if lo, ok := netcdf.AttrFloat64(v.Attrs, "valid_min"); ok {
		r.lo, r.hasLo = lo, true
	}
	if hi, ok := netcdf.AttrFloat64(v.Attrs, "valid_max"); ok {
		r.hi, r.hasHi = hi, true
	}
	if vr, ok := v.Attr("valid_range"); ok {
		if f, err := floats(vr); err == nil && len(f) == 2 {
			r.lo, r.hi, r.hasLo, r.hasHi = f[0], f[1], true, true
		}
	}
	return r
}

func (r validRange) check(v float32) rangeVerdict {
	switch {
	case v != v || math.IsInf(float64(v), 0):
		return rangeFill
	case r.hasFill && v == r.fill, v == fillIrrad, v == fillGOESR:
		return rangeFill
	case r.hasLo && float64(v) < r.lo, r.hasHi && float64(v) > r.hi:
		return rangeOut
	}
	return rangeOK
}

// floats converts a numeric attribute value to []float64.
func floats(a any) ([]float64, error) {
	switch s := a.(type) {
	case []float64:
		return s, nil
	case []float32:
		out := make([]float64, len(s))
		for i, x := range s {
			out[i] = float64(x)
		}
		return out, nil
	}
	f, ok := netcdf.AttrFloat64([]netcdf.Attr{{Name: "v", Value: a}}, "v")
	if !ok {
		return nil, fmt.Errorf("%T is not numeric", a)
	}
	return []float64{f}, nil
}

type flagVerdict int

const (
	flagGood flagVerdict = iota
	flagBad
	flagSpike     // dropped: particle_spike outside a flare
	flagSpikeKept // kept: particle_spike at flare-level flux
)

// goodRule returns the quality rule of a product and satellite. long and longRange
// give the record's XRS-B flux for the flare test.
func goodRule(p Product, sat int, rule FlagRule) func(flag uint16, b flux.Band, long float32, longRange validRange) flagVerdict {
	exact := func(flag uint16, _ flux.Band, _ float32, _ validRange) flagVerdict {
		if flag != 0 {
			return flagBad
		}
		return flagGood
	}
	if rule == FlagRuleOriginal {
		return exact
	}
	masked := func(mask uint16) func(uint16, flux.Band, float32, validRange) flagVerdict {
		return func(flag uint16, _ flux.Band, _ float32, _ validRange) flagVerdict {
			if flag&mask != 0 {
				return flagBad
			}
			return flagGood
		}
	}
	switch p {
	case ProductAvg1m:
		if sat >= 16 {
			return masked(avg1mGoodR)
		}
		return masked(avg1mGood815)
	case ProductFlx1s:
		return func(flag uint16, _ flux.Band, long float32, longRange validRange) flagVerdict {
			switch {
			case flag == 0:
				return flagGood
			case flag != flx1sParticleSpike:
				return flagBad
			case longRange.check(long) == rangeOK && float64(long) >= FlareThreshold:
				return flagSpikeKept
			}
			return flagSpike
		}
	}
	return exact
}

// Command gen builds the small offline NOAA-like mirror in testdata/mirror: GOES-16 and
// GOES-18 flx1s-like netCDF-4 day files (10 s cadence instead of 1 s, written with ncgen
// from CDL generated here) under NGDC's layout with the Apache-style layout a mirror
// tool leaves, and SWPC-like 6-hour JSON feeds. The flux is synthetic: a quiet-Sun
// background with a few flares, deterministic, with flagged and fill records.
//
//	go run ./testdata/mirror/gen            # writes testdata/mirror/<host>/...
//	go run ./testdata/mirror/gen -out DIR -from 2024-06-01 -days 30 -cadence 1 -feeds=false
//
// The second form writes full-size (1 s, 86,400 records per day) files for benchmarks.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	ngdcPath = "data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes"
	swpcPath = "services.swpc.noaa.gov/json/goes"
)

// epoch is the flx1s time origin ("seconds since 2000-01-01 12:00:00").
var epoch = time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC)

// flare is one synthetic flare: peak time, peak long-band flux, rise and decay (s).
type flare struct {
	peak        time.Time
	flux        float64
	rise, decay float64
}

// flares of the generated days.
var flares = []flare{
	{time.Date(2024, 5, 10, 6, 40, 0, 0, time.UTC), 2.1e-5, 600, 1800},
	{time.Date(2024, 5, 10, 17, 5, 0, 0, time.UTC), 4.5e-6, 300, 900},
	{time.Date(2024, 5, 11, 1, 20, 0, 0, time.UTC), 5.8e-4, 900, 3600},
	{time.Date(2024, 5, 11, 11, 45, 0, 0, time.UTC), 8.0e-6, 240, 1200},
	{time.Date(2024, 5, 12, 16, 30, 0, 0, time.UTC), 1.6e-5, 480, 2400},
}

// longFlux is the synthetic XRS-B flux at t seen by satellite sat.
func longFlux(t time.Time, sat int, rng *rand.Rand) float64 {
	h := float64(t.Unix()%86400) / 3600
	v := 2.0e-6 * (1 + 0.25*math.Sin(2*math.Pi*(h+float64(t.YearDay()))/24))
	for _, f := range flares {
		dt := t.Sub(f.peak).Seconds()
		switch {
		case dt < -6*f.rise:
		case dt < 0:
			v += f.flux * math.Exp(-dt*dt/(2*f.rise*f.rise))
		default:
			v += f.flux * math.Exp(-dt/f.decay)
		}
	}
	if sat == 18 {
		v *= 1.04 // a small calibration difference between the satellites
	}
	return v * (1 + 0.01*rng.NormFloat64())
}

func main() {
	out := flag.String("out", "testdata/mirror", "mirror folder to write")
	from := flag.String("from", "2024-05-10", "first day")
	ndays := flag.Int("days", 3, "number of days")
	cadence := flag.Int("cadence", 10, "seconds between records (1 for NOAA's full-size files)")
	feeds := flag.Bool("feeds", true, "also write the SWPC feeds ending after the last day")
	flag.Parse()
	first, err := time.Parse("2006-01-02", *from)
	if err != nil || *ndays < 1 || *cadence < 1 || 86400%*cadence != 0 {
		log.Fatalf("bad -from %q, -days %d or -cadence %d", *from, *ndays, *cadence)
	}
	var days []time.Time
	for i := range *ndays {
		days = append(days, first.AddDate(0, 0, i))
	}
	for _, sat := range []int{16, 18} {
		for _, d := range days {
			if err := writeDay(*out, sat, d, *cadence); err != nil {
				log.Fatal(err)
			}
		}
	}
	if !*feeds {
		return
	}
	// SWPC feeds as published at the end of the last day: primary GOES-16, secondary
	// GOES-18 switching to GOES-19 after two hours (a switch inside one file).
	end := days[len(days)-1].AddDate(0, 0, 1)
	if err := writeFeed(*out, "primary", end, func(time.Time) int { return 16 }); err != nil {
		log.Fatal(err)
	}
	if err := writeFeed(*out, "secondary", end, func(t time.Time) int {
		if t.Before(end.Add(-4 * time.Hour)) {
			return 18
		}
		return 19
	}); err != nil {
		log.Fatal(err)
	}
}

// writeDay writes one flx1s-like day file with ncgen.
func writeDay(out string, sat int, day time.Time, cadence int) error {
	name := fmt.Sprintf("sci_xrsf-l2-flx1s_g%02d_d%s_v2-2-0", sat, day.Format("20060102"))
	dir := filepath.Join(out, ngdcPath, fmt.Sprintf("goes%02d/l2/data/xrsf-l2-flx1s_science", sat), day.Format("2006/01"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(sat), uint64(day.Unix())))
	chunk := 86400 / cadence
	if chunk > 8640 {
		chunk = 8640
	}
	n := 86400 / cadence
	var ts, fa, fb, ga, gb []string
	for i := range n {
		t := day.Add(time.Duration(i*cadence)*time.Second + 477*time.Millisecond)
		long := longFlux(t, sat, rng)
		short := long * (0.08 + 0.04*math.Min(1, long/1e-4))
		flagA, flagB := 0, 0
		sa, sb := fmt.Sprintf("%.6g", short), fmt.Sprintf("%.6g", long)
		switch {
		case i%2000 == 1999: // fill value
			sa, sb = "-9999", "-9999"
			flagA, flagB = 512, 512
		case i >= 3000 && i < 3030 && sat == 16 && cadence == 10: // an eclipse-like flagged stretch
			flagA, flagB = 1, 1
		case i%977 == 5: // a particle spike in XRS-A
			flagA = 2
			sa = fmt.Sprintf("%.6g", short*30)
		}
		ts = append(ts, fmt.Sprintf("%.3f", t.Sub(epoch).Seconds()))
		fa = append(fa, sa)
		fb = append(fb, sb)
		ga = append(ga, fmt.Sprint(flagA))
		gb = append(gb, fmt.Sprint(flagB))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `netcdf %s {
dimensions:
	time = UNLIMITED ;
variables:
	double time(time) ;
		time:long_name = "Record start time, neglecting leap seconds." ;
		time:units = "seconds since 2000-01-01 12:00:00" ;
		time:_FillValue = -9999. ;
		time:_ChunkSizes = %[2]d ;
		time:_DeflateLevel = 4 ;
	float xrsa_flux(time) ;
		xrsa_flux:long_name = "XRS-A flux (primary channel)." ;
		xrsa_flux:units = "W/m2" ;
		xrsa_flux:_FillValue = -9999.f ;
		xrsa_flux:valid_min = -1.e-06f ;
		xrsa_flux:valid_max = 0.003f ;
		xrsa_flux:_ChunkSizes = %[2]d ;
		xrsa_flux:_DeflateLevel = 4 ;
	float xrsb_flux(time) ;
		xrsb_flux:long_name = "XRS-B flux (primary channel)." ;
		xrsb_flux:units = "W/m2" ;
		xrsb_flux:_FillValue = -9999.f ;
		xrsb_flux:valid_min = -1.e-06f ;
		xrsb_flux:valid_max = 0.003f ;
		xrsb_flux:_ChunkSizes = %[2]d ;
		xrsb_flux:_DeflateLevel = 4 ;
	ushort xrsa_flags(time) ;
		xrsa_flags:long_name = "Flags for xrsa_flux." ;
		xrsa_flags:_FillValue = 65535US ;
		xrsa_flags:flag_masks = 65535US, 1US, 2US, 4US, 8US, 16US, 32US, 64US, 128US, 256US, 512US ;
		xrsa_flags:flag_meanings = "good_data eclipse particle_spike calibration off_point temperature_error data_quality_error pointing_error invalid_mode missing_data L0_error" ;
		xrsa_flags:_ChunkSizes = %[2]d ;
		xrsa_flags:_DeflateLevel = 4 ;
	ushort xrsb_flags(time) ;
		xrsb_flags:long_name = "Flags for xrsb_flux." ;
		xrsb_flags:_FillValue = 65535US ;
		xrsb_flags:flag_masks = 65535US, 1US, 2US, 4US, 8US, 16US, 32US, 64US, 128US, 256US, 512US ;
		xrsb_flags:flag_meanings = "good_data eclipse particle_spike calibration off_point temperature_error data_quality_error pointing_error invalid_mode missing_data L0_error" ;
		xrsb_flags:_ChunkSizes = %[2]d ;
		xrsb_flags:_DeflateLevel = 4 ;

// global attributes:
		:title = "GOES-R XRS L2 1-s flux (synthetic, 10-s cadence, heliotime test mirror)" ;
		:id = "%[1]s.nc" ;
		:platform = "g%[3]d" ;
		:time_coverage_start = "%[4]s" ;
		:time_coverage_end = "%[5]s" ;
		:comment = "Synthetic data generated by heliotime's testdata/mirror/gen; not a measurement." ;
data:
`, name, chunk, sat, day.Format("2006-01-02T15:04:05.000Z"), day.Add(24*time.Hour-time.Millisecond).Format("2006-01-02T15:04:05.000Z"))
	for _, v := range []struct {
		name string
		vals []string
	}{{"time", ts}, {"xrsa_flux", fa}, {"xrsb_flux", fb}, {"xrsa_flags", ga}, {"xrsb_flags", gb}} {
		fmt.Fprintf(&b, "\n %s = %s ;\n", v.name, strings.Join(v.vals, ", "))
	}
	b.WriteString("}\n")
	cdl := filepath.Join(os.TempDir(), name+".cdl")
	if err := os.WriteFile(cdl, b.Bytes(), 0o644); err != nil {
		return err
	}
	defer os.Remove(cdl)
	cmd := exec.Command("ncgen", "-k", "nc4", "-o", filepath.Join(dir, name+".nc"), cdl)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ncgen %s: %w", name, err)
	}
	return nil
}

// writeFeed writes xrays-6-hour.json of one feed ending at end, one record per minute and
// band (short first), with a few missing (0) values.
func writeFeed(out, feed string, end time.Time, satAt func(time.Time) int) error {
	dir := filepath.Join(out, swpcPath, feed)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(feed))))
	var b bytes.Buffer
	b.WriteString("[")
	first := true
	for t := end.Add(-6 * time.Hour); t.Before(end); t = t.Add(time.Minute) {
		sat := satAt(t)
		long := longFlux(t, sat, rng)
		short := long * 0.1
		if t.Minute() == 17 && t.Hour()%2 == 0 {
			long, short = 0, 0 // missing data
		}
		for _, r := range []struct {
			energy string
			flux   float64
		}{{"0.05-0.4nm", short}, {"0.1-0.8nm", long}} {
			if !first {
				b.WriteString(", ")
			}
			first = false
			fmt.Fprintf(&b, `{"time_tag": "%s", "satellite": %d, "flux": %.6g, "observed_flux": %.6g, "electron_correction": 0.0, "electron_contaminaton": false, "energy": "%s"}`,
				t.Format("2006-01-02T15:04:05Z"), sat, r.flux, r.flux, r.energy)
		}
	}
	b.WriteString("]")
	return os.WriteFile(filepath.Join(dir, "xrays-6-hour.json"), b.Bytes(), 0o644)
}

package noaa_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heliotime/heliotime/noaa"
)

// TestInspect runs Inspect over samples and fixtures. Expected lines come from the
// samples' README (product, satellite, day, counts) and the CDL fixture comments.
func TestInspect(t *testing.T) {
	samples := sharedDir("HELIOTIME_NOAA_SAMPLES", "noaa")
	fixture := filepath.Join("testdata", "sci_gxrs-l2-irrad_g14_d20120307_v0-0-0.nc")
	cases := []struct {
		name    string
		paths   []string
		records bool
		want    []string // lines that must appear, in this order
		csvRows int      // data rows expected when records is set
		wantErr []string // substrings of the error
		sample  bool
	}{
		{
			name: "irrad fixture", paths: []string{fixture},
			want: []string{
				"file:      " + fixture, "product:   irrad", "satellite: 14", "day:       2012-03-07",
				"short: records 8, kept 3, dropped 5 (bad-time 1, fill 1, out-of-range 1, flagged 1, duplicate 1), 2012-03-07T00:00:00.000Z .. 2012-03-07T00:00:10.240Z",
				"long:  records 8, kept 5, dropped 3 (bad-time 1, flagged 1, duplicate 1), 2012-03-07T00:00:00.000Z .. 2012-03-07T00:00:08.192Z",
			},
		},
		{
			name: "irrad fixture records", paths: []string{fixture}, records: true, csvRows: 8,
			want: []string{
				"time,band,flux",
				"2012-03-07T00:00:00.000Z,short," + g9(-1e-9),
				"2012-03-07T00:00:00.000Z,long," + g9(6e-6),
				"2012-03-07T00:00:02.048Z,short," + g9(1e-8),
				"2012-03-07T00:00:10.240Z,short," + g9(8e-8),
			},
		},
		{
			name: "flx1s fixture", paths: []string{filepath.Join("testdata", "sci_xrsf-l2-flx1s_g19_d20250601_v2-2-0.nc")},
			want: []string{
				"product:   flx1s", "satellite: 19",
				"short: records 8, kept 3, dropped 5 (out-of-range 1, flagged 2, particle-spike 2), 2025-06-01T00:00:00.476Z .. 2025-06-01T00:00:07.476Z",
				"kept despite particle_spike at flare level: 1",
			},
		},
		{
			name: "FITS sample with records", sample: true, records: true, csvRows: 2 * 42177,
			paths: []string{filepath.Join(samples, "go1520110607.fits")},
			want: []string{
				"product:   fits", "satellite: 15", "day:       2011-06-07",
				"short: records 42177, kept 42177, dropped 0, 2011-06-06T23:59:59.962Z .. 2011-06-07T23:59:57.632Z",
				"time,band,flux",
				// raw SDAC values (verify_samples.py) divided by the SWPC factors
				"2011-06-06T23:59:59.962Z,short," + strconv.FormatFloat(float64(float32(float64(float32(9.999999717180685e-10))/0.85)), 'g', 9, 32),
				"2011-06-06T23:59:59.962Z,long," + strconv.FormatFloat(float64(float32(float64(float32(1.8871000406761596e-07))/0.7)), 'g', 9, 32),
			},
		},
		{
			name: "SWPC feed with zero flux", sample: true,
			paths: []string{filepath.Join(samples, "swpc", "primary_xrays-6-hour_2023-05-30T1812Z_g16_zero-flux.json")},
			want: []string{
				"product:   swpc-json",
				"short: records 358, kept 341, dropped 17 (missing 17)",
				"satellite: 16",
			},
		},
		{
			name: "a failing file does not stop the others", sample: true,
			paths: []string{filepath.Join(samples, "README.md"), fixture, filepath.Join(samples, "no-such-file.nc")},
			want:  []string{"product:   irrad", "satellite: 14"},
			wantErr: []string{
				"inspect " + filepath.Join(samples, "README.md") + ": decode README.md: neither netCDF nor FITS",
				"inspect " + filepath.Join(samples, "no-such-file.nc"),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sample {
				if _, err := os.Stat(samples); samples == "" || err != nil {
					t.Skipf("NOAA samples folder %q absent (set HELIOTIME_NOAA_SAMPLES)", samples)
				}
			}
			var out strings.Builder
			err := noaa.Inspect(context.Background(), &out, tc.paths, noaa.InspectOptions{Records: tc.records})
			if len(tc.wantErr) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(out.String(), "file:") || strings.Contains(out.String(), "\n\n\n") {
				t.Errorf("output does not start with a block or has stray blank lines:\n%s", head(out.String()))
			}
			lines := strings.Split(out.String(), "\n")
			at := 0
			for _, w := range tc.want {
				found := false
				for ; at < len(lines); at++ {
					if strings.TrimSpace(lines[at]) == strings.TrimSpace(w) {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("line %q missing (or out of order) in\n%s", w, head(out.String()))
				}
			}
			if tc.records {
				rows := 0
				for _, l := range lines {
					if csvRow.MatchString(l) {
						rows++
					}
				}
				if rows != tc.csvRows {
					t.Errorf("%d CSV rows, want %d", rows, tc.csvRows)
				}
			}
		})
	}
}

var csvRow = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,(short|long),-?\d\.\d*(e[-+]\d\d)?$`)

// g9 formats a float32 with 9 significant digits, as the CSV must.
func g9(v float32) string { return strconv.FormatFloat(float64(v), 'g', 9, 32) }

func head(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "..."
	}
	return s
}

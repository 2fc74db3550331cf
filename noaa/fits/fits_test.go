package fits_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heliotime/heliotime/noaa/fits"
	"github.com/heliotime/heliotime/noaa/fits/fitstest"
)

// samplesPath returns $HELIOTIME_NOAA_SAMPLES, else ../shared/noaa beside the module
// root (found by walking up to go.mod), or "" when neither can be determined.
func samplesPath() string {
	if dir := os.Getenv("HELIOTIME_NOAA_SAMPLES"); dir != "" {
		return dir
	}
	root, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, "..", "shared", "noaa")
		}
		parent := filepath.Dir(root)
		if parent == root {
			return ""
		}
		root = parent
	}
}

// samplesDir returns samplesPath and skips the test when the folder is absent.
func samplesDir(t testing.TB) string {
	t.Helper()
	dir := samplesPath()
	if dir == "" {
		t.Skip("NOAA samples folder unknown: set HELIOTIME_NOAA_SAMPLES")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("NOAA samples folder %s absent (set HELIOTIME_NOAA_SAMPLES): %v", dir, err)
	}
	return dir
}

func openBytes(t *testing.T, b []byte) *fits.File {
	t.Helper()
	f, err := fits.Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return f
}

// TestSamples checks both SDAC samples against their header dumps
// (headers/*.header.txt) and against values decoded independently with
// testdata/verify_samples.py (Python struct, no FITS library).
func TestSamples(t *testing.T) {
	dir := samplesDir(t)
	type point struct {
		i           int
		time        float64
		long, short float32
	}
	cases := []struct {
		file       string
		gzipped    bool
		fluxBytes  int64
		n          int64
		timezero   int64
		dateObs    string
		points     []point
		maxLongIdx int
		maxLong    float32
	}{
		{
			file: "go1520110607.fits", fluxBytes: 674832, n: 42177, timezero: 55719, dateObs: "07/06/2011",
			points: []point{
				{0, -0.03800010681152344, 1.8871000406761596e-07, 9.999999717180685e-10},
				{1, 2.0089999437332153, 1.834600027450506e-07, 9.999999717180685e-10},
				{21088, 43199.798999905586, 2.0970000491615792e-07, 9.999999717180685e-10},
				{42176, 86397.63199985027, 1.598500034560857e-07, 9.999999717180685e-10},
			},
			maxLongIdx: 11754, maxLong: 2.5553999876137823e-05,
		},
		{
			file: "go1520120601.fits.gz", gzipped: true, fluxBytes: 674576, n: 42161, timezero: 56079, dateObs: "01/06/2012",
			points: []point{
				{0, -0.91100013256073, 8.235400059675158e-07, 8.288799868694241e-09},
				{1, 1.1349998712539673, 8.235400059675158e-07, 7.1742998208890185e-09},
				{21080, 43197.30199992657, 8.471399723930517e-07, 6.059900137245222e-09},
				{42160, 86397.3489998579, 1.3666000313605764e-06, 2.946399924041998e-08},
			},
			maxLongIdx: 39880, maxLong: 3.4022000363620464e-06,
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f := openBytes(t, b)
			if f.Gzipped != tc.gzipped {
				t.Errorf("Gzipped = %v, want %v", f.Gzipped, tc.gzipped)
			}
			var names []string
			for _, h := range f.HDUs() {
				names = append(names, h.Name())
			}
			if got := strings.Join(names, ","); got != "PRIMARY,EDGES,FLUXES,STATUS" {
				t.Errorf("HDUs = %s", got)
			}
			p := f.Primary()
			if s, _ := p.Header.String("TELESCOP"); s != "GOES 15" {
				t.Errorf("TELESCOP = %q", s)
			}
			if s, _ := p.Header.String("DATE-OBS"); s != tc.dateObs {
				t.Errorf("DATE-OBS = %q, want %q", s, tc.dateObs)
			}
			if n, ok := p.Header.Int("NUMEXT"); !ok || n != 3 {
				t.Errorf("NUMEXT = %d %v", n, ok)
			}
			if len(p.Header.Comments()) != 11 {
				t.Errorf("primary COMMENT cards = %d, want 11", len(p.Header.Comments()))
			}

			edges, err := f.HDU("EDGES").Table()
			if err != nil {
				t.Fatal(err)
			}
			ev, err := edges.Column("EDGES").Float64s()
			if err != nil {
				t.Fatal(err)
			}
			if want := []float64{1, 8, 0.5, 4}; !equalF64(ev, want) {
				t.Errorf("EDGES = %v, want %v", ev, want)
			}

			h := f.HDU("fluxes")
			if h == nil {
				t.Fatal("no FLUXES HDU")
			}
			if h.DataSize() != tc.fluxBytes {
				t.Errorf("FLUXES data = %d bytes, want %d", h.DataSize(), tc.fluxBytes)
			}
			if tz, _ := h.Header.Int("TIMEZERO"); tz != tc.timezero {
				t.Errorf("TIMEZERO = %d, want %d", tz, tc.timezero)
			}
			if v, _ := h.Header.Int("MJDREF"); v != 43874 {
				t.Errorf("MJDREF = %d", v)
			}
			tab, err := h.Table()
			if err != nil {
				t.Fatal(err)
			}
			if tab.Rows != 1 || tab.RowSize != tc.fluxBytes {
				t.Errorf("table %d rows of %d bytes", tab.Rows, tab.RowSize)
			}
			tc1, fc := tab.Column("TIME"), tab.Column("FLUX")
			if tc1 == nil || fc == nil {
				t.Fatal("TIME or FLUX missing")
			}
			if tc1.Type != 'D' || tc1.Repeat != tc.n || fc.Type != 'E' || fc.Repeat != 2*tc.n {
				t.Errorf("TFORMs %s %s, want %dD %dE", tc1.Format, fc.Format, tc.n, 2*tc.n)
			}
			if len(fc.Dims) != 2 || fc.Dims[0] != 2 || fc.Dims[1] != tc.n {
				t.Errorf("TDIM2 = %v", fc.Dims)
			}
			if fc.Unit != "W /m**2" {
				t.Errorf("TUNIT2 = %q", fc.Unit)
			}
			times, err := tc1.Float64s()
			if err != nil {
				t.Fatal(err)
			}
			flux, err := fc.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(times)) != tc.n || int64(len(flux)) != 2*tc.n {
				t.Fatalf("%d times, %d fluxes", len(times), len(flux))
			}
			for _, p := range tc.points {
				if times[p.i] != p.time || flux[2*p.i] != p.long || flux[2*p.i+1] != p.short {
					t.Errorf("record %d = (%v, %v, %v), want (%v, %v, %v)",
						p.i, times[p.i], flux[2*p.i], flux[2*p.i+1], p.time, p.long, p.short)
				}
			}
			imax := 0
			for i := range tc.n {
				if flux[2*i] > flux[2*imax] {
					imax = int(i)
				}
			}
			if imax != tc.maxLongIdx || flux[2*imax] != tc.maxLong {
				t.Errorf("max long at %d = %v, want %d = %v", imax, flux[2*imax], tc.maxLongIdx, tc.maxLong)
			}
			// The header's own TSTART/TSTOP bound the TIME column.
			tstart, _ := h.Header.Float("TSTART")
			tstop, _ := h.Header.Float("TSTOP")
			if math.Abs(times[0]-tstart) > 1e-3 || math.Abs(times[len(times)-1]-tstop) > 1e-3 {
				t.Errorf("TIME spans %v..%v, header TSTART/TSTOP %v..%v", times[0], times[len(times)-1], tstart, tstop)
			}
			// The Float64 view of the E column matches the exact float32 view.
			f64, err := fc.Float64s()
			if err != nil {
				t.Fatal(err)
			}
			if float32(f64[12345]) != flux[12345] {
				t.Errorf("Float64s/Float32s disagree: %v vs %v", f64[12345], flux[12345])
			}
		})
	}
}

func equalF64(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fourHDU builds a file in the SDAC 4-HDU layout with n records.
func fourHDU(times []float64, flux []float32) []byte {
	n := len(times)
	return fitstest.Build(
		fitstest.HDU{Cards: fitstest.Primary(fitstest.Card("TELESCOP", "GOES 15"), fitstest.Card("DATE-OBS", "07/06/2011"))},
		fitstest.HDU{Cards: fitstest.BinTable(16, 1, 1, fitstest.Card("EXTNAME", "EDGES"),
			fitstest.Card("TFORM1", "4E"), fitstest.Card("TTYPE1", "EDGES"), fitstest.Card("TDIM1", "(2,2)")),
			Data: fitstest.BE([]float32{1, 8, 0.5, 4})},
		fitstest.HDU{Cards: fitstest.BinTable(16*n, 1, 2, fitstest.Card("EXTNAME", "FLUXES"),
			fitstest.Card("TFORM1", itoa(n)+"D"), fitstest.Card("TTYPE1", "TIME"),
			fitstest.Card("TFORM2", itoa(2*n)+"E"), fitstest.Card("TTYPE2", "FLUX"),
			fitstest.Card("TDIM2", "(2,"+itoa(n)+")")),
			Data: fitstest.BE(times, flux)},
	)
}

func itoa(n int) string {
	return strings.TrimSpace(strings.TrimPrefix(fitstest.Card("X", n)[8:], "="))
}

func TestBuiltLayouts(t *testing.T) {
	t.Run("4-HDU bintable", func(t *testing.T) {
		b := fourHDU([]float64{-0.5, 2, 4}, []float32{1e-6, 1e-8, 2e-6, 2e-8, -99999, 3e-8})
		f := openBytes(t, b)
		if len(f.HDUs()) != 3 {
			t.Fatalf("%d HDUs", len(f.HDUs()))
		}
		tab, err := f.HDU("FLUXES").Table()
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := tab.Column("TIME").Float64s()
		fl, _ := tab.Column("FLUX").Float32s()
		if !equalF64(ts, []float64{-0.5, 2, 4}) || fl[4] != -99999 || fl[5] != 3e-8 {
			t.Errorf("times %v flux %v", ts, fl)
		}
	})
	t.Run("primary array 3xN", func(t *testing.T) {
		// Old SDAC variant: NAXIS1 = N records, NAXIS2 = 3 rows (seconds, long, short).
		vals := []float32{0, 3, 6, 1e-6, 2e-6, 3e-6, 1e-8, 2e-8, 3e-8}
		b := fitstest.Build(fitstest.HDU{Cards: []string{
			fitstest.Card("SIMPLE", true), fitstest.Card("BITPIX", -32), fitstest.Card("NAXIS", 2),
			fitstest.Card("NAXIS1", 3), fitstest.Card("NAXIS2", 3), fitstest.Card("TIMEZERO", 1.0e8),
		}, Data: fitstest.BE(vals)})
		f := openBytes(t, b)
		im, err := f.Primary().Image()
		if err != nil {
			t.Fatal(err)
		}
		v, err := im.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		row1, err := im.Row(v, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 9 || float32(row1[2]) != 3e-6 {
			t.Errorf("values %v row1 %v", v, row1)
		}
		if _, err := im.Row(v, 3); err == nil {
			t.Error("Row(3) of 3 rows succeeded")
		}
		if tz, _ := f.Primary().Header.Float("TIMEZERO"); tz != 1e8 {
			t.Errorf("TIMEZERO = %v", tz)
		}
	})
	t.Run("multi-row table with scaling and integers", func(t *testing.T) {
		// 3 rows of (J with TSCAL/TZERO, 2I, 4A).
		row := func(j int32, a, b int16, s string) []byte {
			return append(fitstest.BE(j, a, b), []byte(s)...)
		}
		var data []byte
		data = append(data, row(10, -1, 2, "ab  ")...)
		data = append(data, row(20, 3, -4, "cd\x00\x00")...)
		data = append(data, row(-30, 5, 6, "efgh")...)
		b := fitstest.Build(
			fitstest.HDU{Cards: fitstest.Primary()},
			fitstest.HDU{Cards: fitstest.BinTable(12, 3, 3, fitstest.Card("EXTNAME", "T"),
				fitstest.Card("TFORM1", "J"), fitstest.Card("TTYPE1", "COUNT"),
				fitstest.Card("TSCAL1", 0.5), fitstest.Card("TZERO1", 100.0),
				fitstest.Card("TFORM2", "2I"), fitstest.Card("TTYPE2", "PAIR"),
				fitstest.Card("TFORM3", "4A"), fitstest.Card("TTYPE3", "NAME")),
				Data: data},
		)
		tab, err := openBytes(t, b).HDU("T").Table()
		if err != nil {
			t.Fatal(err)
		}
		c, _ := tab.Column("count").Float64s()
		p, _ := tab.Column("PAIR").Float64s()
		if !equalF64(c, []float64{105, 110, 85}) || !equalF64(p, []float64{-1, 2, 3, -4, 5, 6}) {
			t.Errorf("COUNT %v PAIR %v", c, p)
		}
		if s, err := tab.Column("NAME").String(1); err != nil || s != "cd" {
			t.Errorf("NAME[1] = %q, %v", s, err)
		}
		if _, err := tab.Column("NAME").Float64s(); err == nil {
			t.Error("Float64s of an A column succeeded")
		}
	})
	t.Run("gzip", func(t *testing.T) {
		plain := fourHDU([]float64{1}, []float32{1e-6, 1e-7})
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(plain)
		zw.Close()
		f := openBytes(t, z.Bytes())
		if !f.Gzipped || f.HDU("FLUXES") == nil {
			t.Errorf("gzip not detected or FLUXES missing")
		}
	})
	t.Run("CONTINUE long string and header values", func(t *testing.T) {
		b := fitstest.Build(fitstest.HDU{Cards: fitstest.Primary(
			fitstest.Raw("LONGSTR = 'abc&'  / first part"),
			fitstest.Raw("CONTINUE  'def'"),
			fitstest.Raw("QUOTE   = 'it''s'"),
			fitstest.Raw("DEXP    = 1.5D+02 / Fortran exponent"),
			fitstest.Raw("IREAL   = 42.0"),
			fitstest.Raw("HISTORY = not a value"),
		)})
		h := openBytes(t, b).Primary().Header
		if s, _ := h.String("LONGSTR"); s != "abcdef" {
			t.Errorf("LONGSTR = %q", s)
		}
		if s, _ := h.String("QUOTE"); s != "it's" {
			t.Errorf("QUOTE = %q", s)
		}
		if v, _ := h.Float("DEXP"); v != 150 {
			t.Errorf("DEXP = %v", v)
		}
		if v, ok := h.Int("IREAL"); !ok || v != 42 {
			t.Errorf("IREAL = %v %v", v, ok)
		}
		if _, ok := h.Int("QUOTE"); ok {
			t.Error("Int of a string value succeeded")
		}
		if _, ok := h.Card("HISTORY"); ok {
			t.Error("HISTORY read as a value card")
		}
	})
	t.Run("trailing garbage ignored", func(t *testing.T) {
		b := append(fourHDU([]float64{1}, []float32{1, 2}), bytes.Repeat([]byte{0}, 2880)...)
		if n := len(openBytes(t, b).HDUs()); n != 3 {
			t.Errorf("%d HDUs", n)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	good := fourHDU([]float64{1, 2}, []float32{1, 2, 3, 4})
	replace := func(old, new string) []byte {
		return bytes.Replace(good, []byte(fitstest.Raw(old)), []byte(fitstest.Raw(new)), 1)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"not FITS", bytes.Repeat([]byte("x"), 2880), "not SIMPLE"},
		{"no END", []byte(fitstest.Raw(fitstest.Card("SIMPLE", true)) + strings.Repeat(" ", 2800)), "not terminated by END"},
		{"truncated header", good[:len(good)-2880*2+100], "not terminated by END"},
		{"truncated data", good[:len(good)-2880+10], "exceeds"},
		{"huge NAXIS2", replace(fitstest.Card("NAXIS2", 1), fitstest.Card("NAXIS2", 1<<40)), "exceeds"},
		{"overflowing axes", replace(fitstest.Card("NAXIS2", 1), fitstest.Card("NAXIS2", int64(math.MaxInt64))), "overflow"},
		{"negative NAXIS1", replace(fitstest.Card("NAXIS1", 16), fitstest.Card("NAXIS1", -16)), "out of range"},
		{"bad BITPIX", replace(fitstest.Card("BITPIX", 8), fitstest.Card("BITPIX", 7)), "BITPIX"},
		{"truncated gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2}, "gunzip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fits.Open(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTableErrors(t *testing.T) {
	build := func(rowSize int, forms ...string) []byte {
		cards := []string{fitstest.Card("EXTNAME", "T")}
		for i, f := range forms {
			cards = append(cards, fitstest.Card("TFORM"+itoa(i+1), f))
		}
		return fitstest.Build(fitstest.HDU{Cards: fitstest.Primary()},
			fitstest.HDU{Cards: fitstest.BinTable(rowSize, 1, len(forms), cards...), Data: make([]byte, rowSize)})
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"column wider than row", build(8, "3E"), "needs 12 bytes"},
		{"unknown type", build(8, "2Z"), "unknown data type"},
		{"huge repeat", build(8, "9223372036854775807D"), "needs -1 bytes"},
		{"missing TFORM", fitstest.Build(fitstest.HDU{Cards: fitstest.Primary()},
			fitstest.HDU{Cards: fitstest.BinTable(4, 1, 1), Data: make([]byte, 4)}), "TFORM1 missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := openBytes(t, tc.data)
			_, err := f.HDUs()[1].Table()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !errors.Is(err, fits.ErrFormat) {
				t.Errorf("error does not wrap ErrFormat: %v", err)
			}
		})
	}
	if _, err := openBytes(t, build(8, "2E")).Primary().Table(); err == nil {
		t.Error("Table of the primary HDU succeeded")
	}
}

// FuzzOpen opens arbitrary bytes and reads every table column and image; nothing may
// panic and nothing may allocate beyond what the input declares and holds.
func FuzzOpen(f *testing.F) {
	f.Add(fourHDU([]float64{-1, 1}, []float32{1e-6, 1e-8, -99999, 2e-8}))
	if dir := samplesPath(); dir != "" {
		for _, name := range []string{"go1520110607.fits", "go1520120601.fits.gz"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ff, err := fits.Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, h := range ff.HDUs() {
			if tab, err := h.Table(); err == nil {
				for _, c := range tab.Columns {
					c.Float64s()
					c.Float32s()
					c.String(0)
				}
			}
			if im, err := h.Image(); err == nil {
				if v, err := im.Float64s(); err == nil {
					im.Row(v, 0)
				}
			}
		}
	})
}

// TestHeaderDumps compares every card the reader returns with the header dumps in
// headers/*.header.txt (written by a separate tool, one card per line, HDU by HDU).
func TestHeaderDumps(t *testing.T) {
	dir := samplesDir(t)
	for _, name := range []string{"go1520110607.fits", "go1520120601.fits.gz"} {
		t.Run(name, func(t *testing.T) {
			dump, err := os.ReadFile(filepath.Join(dir, "headers", name+".header.txt"))
			if err != nil {
				t.Skipf("header dump absent: %v", err)
			}
			// Split the dump into HDUs: "# HDU n ..." starts one, "END" ends it.
			var hdus [][]string
			for _, line := range strings.Split(string(dump), "\n") {
				switch {
				case strings.HasPrefix(line, "# HDU "):
					hdus = append(hdus, nil)
				case strings.HasPrefix(line, "#"), line == "END", line == "", len(hdus) == 0:
				default:
					hdus[len(hdus)-1] = append(hdus[len(hdus)-1], line)
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			f := openBytes(t, b)
			if len(f.HDUs()) != len(hdus) {
				t.Fatalf("%d HDUs, dump has %d", len(f.HDUs()), len(hdus))
			}
			for i, h := range f.HDUs() {
				if len(h.Header.Cards) != len(hdus[i]) {
					t.Fatalf("HDU %d: %d cards, dump has %d", i, len(h.Header.Cards), len(hdus[i]))
				}
				for j, c := range h.Header.Cards {
					line := hdus[i][j]
					key := strings.TrimSpace(line[:min(8, len(line))])
					if c.Key != key {
						t.Errorf("HDU %d card %d: key %q, dump %q", i, j, c.Key, key)
					}
					if len(line) < 10 || line[8:10] != "= " {
						if c.HasValue {
							t.Errorf("HDU %d card %s: value card, dump has commentary %q", i, key, line)
						}
						continue
					}
					raw := strings.TrimSpace(line[10:])
					var want string
					if strings.HasPrefix(raw, "'") {
						want = strings.TrimRight(raw[1:1+strings.Index(raw[1:], "'")], " ")
					} else {
						want = strings.TrimSpace(strings.SplitN(raw, "/", 2)[0])
					}
					if c.Value != want {
						t.Errorf("HDU %d card %s: value %q, dump %q", i, key, c.Value, want)
					}
				}
			}
		})
	}
}

package flux_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/fluxcsv"
)

// The golden cases are the original server's outputs (clean_flux and
// combine_flux_channels) on synthetic inputs; see $HELIOTIME_GOLDEN_DIR/README.md.

// minAgreement is the share of timestamps that must be kept or dropped exactly as the
// original did for a golden file to pass.
const minAgreement = 0.999

// maxLogDiff is the largest accepted |log10(ours) − log10(original)| on common points.
const maxLogDiff = 1e-4

type goldenCase struct {
	Name       string  `json:"case"`
	Start      string  `json:"start"`
	End        string  `json:"end"`
	Cadence    float64 `json:"cadence_seconds"`
	Satellites []int16 `json:"satellites"`
	dir        string
	rng        flux.Range
}

// goldenDir returns the golden folder: $HELIOTIME_GOLDEN_DIR, else ../shared/golden
// relative to the module root.
func goldenDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("HELIOTIME_GOLDEN_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("working directory: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "golden")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, "..", "..", "shared", "golden")
		}
	}
}

func loadCases(tb testing.TB) []goldenCase {
	tb.Helper()
	dir := goldenDir(tb)
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		tb.Skipf("golden cases not available (set HELIOTIME_GOLDEN_DIR): %v", err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		tb.Fatalf("decode %s: %v", filepath.Join(dir, "cases.json"), err)
	}
	for i := range cases {
		c := &cases[i]
		c.dir = filepath.Join(dir, c.Name)
		start, err1 := time.Parse("2006-01-02 15:04:05Z07:00", c.Start)
		end, err2 := time.Parse("2006-01-02 15:04:05Z07:00", c.End)
		if err1 != nil || err2 != nil {
			tb.Fatalf("case %s: bad range %q..%q", c.Name, c.Start, c.End)
		}
		c.rng = flux.RangeOf(start, end)
	}
	return cases
}

func readGolden(tb testing.TB, path string) flux.Series {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open golden file: %v", err)
	}
	defer f.Close()
	s, err := fluxcsv.ReadFile(path, f)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return s
}

// parity compares a result with the expected series over the candidate timestamps
// (the input's): the share of candidates both keep or both drop, and the largest
// |log10 difference| over the common points.
type parity struct {
	candidates, agree, onlyOurs, onlyTheirs, common int
	maxDiff                                         float64
	worstAt                                         int64
}

func (p parity) share() float64 {
	if p.candidates == 0 {
		return 1
	}
	return float64(p.agree) / float64(p.candidates)
}

func (p parity) String() string {
	return fmt.Sprintf("agreement %.5f%% (%d of %d; only ours %d, only original %d), common %d, max |Δlog10| %.3g at %s",
		100*p.share(), p.agree, p.candidates, p.onlyOurs, p.onlyTheirs, p.common, p.maxDiff,
		time.Unix(0, p.worstAt).UTC().Format(time.RFC3339))
}

func compare(candidates []int64, got, want flux.Series) parity {
	var p parity
	gm := make(map[int64]float32, got.Len())
	for i, t := range got.Time {
		gm[t] = got.Flux[i]
	}
	wm := make(map[int64]float32, want.Len())
	for i, t := range want.Time {
		wm[t] = want.Flux[i]
	}
	seen := make(map[int64]bool, len(candidates))
	for _, t := range slices.Concat(candidates, got.Time, want.Time) {
		if seen[t] {
			continue
		}
		seen[t] = true
		p.candidates++
		g, inG := gm[t]
		w, inW := wm[t]
		switch {
		case inG && inW:
			p.agree++
			p.common++
			d := logDiff(g, w)
			if d > p.maxDiff || d != d {
				p.maxDiff, p.worstAt = d, t
			}
		case inG:
			p.onlyOurs++
		case inW:
			p.onlyTheirs++
		default:
			p.agree++
		}
	}
	return p
}

// logDiff is |log10 g − log10 w|, on magnitudes for the invalid raw values (zero or
// negative) that raw combinations carry: 0 for equal values, +Inf for a sign mismatch.
func logDiff(g, w float32) float64 {
	switch {
	case g == w:
		return 0
	case g < 0 && w < 0:
		g, w = -g, -w
	case !(g > 0 && w > 0):
		return math.Inf(1)
	}
	return math.Abs(math.Log10(float64(g)) - math.Log10(float64(w)))
}

func checkParity(t *testing.T, name string, p parity) {
	t.Helper()
	t.Logf("%s: %v", name, p)
	if p.share() < minAgreement {
		t.Errorf("%s: timestamp agreement %.5f%% below %.1f%%", name, 100*p.share(), 100*minAgreement)
	}
	if p.maxDiff > maxLogDiff || p.maxDiff != p.maxDiff {
		t.Errorf("%s: max |Δlog10| %.3g above %g", name, p.maxDiff, maxLogDiff)
	}
}

func goldenChannels(c goldenCase) []flux.Channel {
	var chs []flux.Channel
	for _, b := range flux.Bands {
		for _, sat := range c.Satellites {
			chs = append(chs, flux.Channel{Satellite: sat, Band: b})
		}
	}
	return chs
}

func inputPath(c goldenCase, ch flux.Channel) string {
	return filepath.Join(c.dir, fmt.Sprintf("input_g%d_%s.csv.gz", ch.Satellite, ch.Band))
}

func expectedCleanPath(c goldenCase, ch flux.Channel) string {
	return filepath.Join(c.dir, fmt.Sprintf("expected_clean_g%d_%s.csv.gz", ch.Satellite, ch.Band))
}

func TestGoldenClean(t *testing.T) {
	for _, c := range loadCases(t) {
		for _, ch := range goldenChannels(c) {
			t.Run(c.Name+"/"+fmt.Sprintf("g%d_%s", ch.Satellite, ch.Band), func(t *testing.T) {
				in := readGolden(t, inputPath(c, ch))
				want := readGolden(t, expectedCleanPath(c, ch))
				got := flux.Clean(in, c.rng)
				checkParity(t, filepath.Base(expectedCleanPath(c, ch)), compare(in.Time, got, want))
			})
		}
	}
}

// combineInputs returns, for one band of a case, the raw inputs and the expected
// cleaned channels: what the original's combining step received.
func combineInputs(tb testing.TB, c goldenCase, b flux.Band) map[flux.Channel]flux.Series {
	tb.Helper()
	in := make(map[flux.Channel]flux.Series)
	for _, sat := range c.Satellites {
		ch := flux.Channel{Satellite: sat, Band: b}
		in[ch] = readGolden(tb, inputPath(c, ch))
		ch.Clean = true
		in[ch] = readGolden(tb, expectedCleanPath(c, ch))
	}
	return in
}

func TestGoldenCombine(t *testing.T) {
	for _, c := range loadCases(t) {
		for _, b := range flux.Bands {
			t.Run(c.Name+"/"+b.String(), func(t *testing.T) {
				in := combineInputs(t, c, b)
				got := flux.Combine(in, c.rng)
				if len(got) != 2 {
					t.Fatalf("Combine returned %d channels, want 2", len(got))
				}
				for _, clean := range []bool{false, true} {
					kind := "raw"
					if clean {
						kind = "clean"
					}
					name := fmt.Sprintf("expected_combined_%s_%s.csv.gz", b, kind)
					want := readGolden(t, filepath.Join(c.dir, name))
					var candidates []int64
					for ch, s := range in {
						if ch.Clean == clean {
							candidates = append(candidates, s.Time...)
						}
					}
					res := got[flux.Channel{Satellite: flux.CombinedSatellite, Band: b, Clean: clean}]
					checkParity(t, name, compare(candidates, res, want))
				}
			})
		}
	}
}

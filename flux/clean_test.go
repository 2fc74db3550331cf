package flux_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
)

var t0 = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC).UnixNano()

func sameSeries(a, b flux.Series) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Time {
		if a.Time[i] != b.Time[i] || a.Flux[i] != b.Flux[i] {
			return false
		}
	}
	return true
}

// checkOutput asserts what every Clean output satisfies: strictly increasing times taken
// from the input, finite positive values.
func checkOutput(t testing.TB, in, out flux.Series) {
	t.Helper()
	times := make(map[int64]bool, in.Len())
	for _, x := range in.Time {
		times[x] = true
	}
	for i, x := range out.Time {
		if i > 0 && x <= out.Time[i-1] {
			t.Fatalf("output time %d not after %d", x, out.Time[i-1])
		}
		if !times[x] {
			t.Fatalf("output time %d not in the input", x)
		}
		if v := out.Flux[i]; !(v > 0) || math.IsInf(float64(v), 0) {
			t.Fatalf("output value %g at %d", v, x)
		}
	}
}

func TestCleanEdgeCases(t *testing.T) {
	day := flux.Range{Start: t0, End: t0 + int64(24*time.Hour)}
	nan32, inf32 := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name string
		in   flux.Series
		r    flux.Range
		want int // output points
	}{
		{"empty", flux.Series{}, day, 0},
		{"one point, too few neighbours in 18 h", flux.Series{Time: []int64{t0}, Flux: []float32{1e-6}}, day, 0},
		{"one point, empty range keeps it", flux.Series{Time: []int64{t0}, Flux: []float32{1e-6}}, flux.Range{}, 1},
		{"all invalid", flux.Series{Time: []int64{t0, t0 + 1e9, t0 + 2e9, t0 + 3e9, t0 + 4e9}, Flux: []float32{0, -1e-6, 1, nan32, inf32}}, day, 0},
		{"mismatched slices", flux.Series{Time: []int64{t0, t0 + 1e9}, Flux: []float32{1e-6}}, flux.Range{}, 1},
	}
	for _, tt := range tests {
		got := flux.Clean(tt.in, tt.r)
		if got.Len() != tt.want {
			t.Errorf("%s: %d points, want %d", tt.name, got.Len(), tt.want)
		}
		checkOutput(t, tt.in, got)
	}
}

// TestCleanInputForms checks that unsorted input, repeated timestamps (the first
// occurrence counts) and invalid values (dropped on entry) give the same result as the
// clean input they hide.
func TestCleanInputForms(t *testing.T) {
	c := loadCases(t)[2] // one minute cadence: quick
	in := readGolden(t, inputPath(c, flux.Channel{Satellite: 18, Band: flux.BandLong}))
	want := flux.Clean(in, c.rng)
	if want.Len() < in.Len()/2 {
		t.Fatalf("only %d of %d points kept", want.Len(), in.Len())
	}
	checkOutput(t, in, want)
	rng := rand.New(rand.NewPCG(3, 4))

	var messy flux.Series
	for i := range in.Time {
		messy.Append(in.Time[i], in.Flux[i])
		if rng.IntN(20) == 0 {
			messy.Append(in.Time[i], 0.5) // repeated time: the first occurrence wins
		}
		if rng.IntN(20) == 0 {
			bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -1e-6, 2}
			messy.Append(in.Time[i]+1, bad[rng.IntN(len(bad))]) // invalid: dropped
		}
	}
	rng.Shuffle(messy.Len(), func(i, j int) {
		if messy.Time[i] != messy.Time[j] { // keep repeated times in order
			messy.Time[i], messy.Time[j] = messy.Time[j], messy.Time[i]
			messy.Flux[i], messy.Flux[j] = messy.Flux[j], messy.Flux[i]
		}
	})
	// Shuffling may have swapped repeated times' order; restore "first occurrence =
	// original value" by giving repeats the original value too.
	orig := make(map[int64]float32, in.Len())
	for i, x := range in.Time {
		orig[x] = in.Flux[i]
	}
	for i, x := range messy.Time {
		if v, ok := orig[x]; ok {
			messy.Flux[i] = v
		}
	}
	got := flux.Clean(messy, c.rng)
	if !sameSeries(got, want) {
		t.Fatalf("messy input: %d points, want the %d of the clean input", got.Len(), want.Len())
	}

	// A repeated time with a different first value changes the point.
	first := flux.Series{Time: append([]int64{in.Time[0]}, in.Time...), Flux: append([]float32{0}, in.Flux...)}
	if got := flux.Clean(first, c.rng); got.Len() > 0 && got.Time[0] == in.Time[0] {
		t.Errorf("an invalid first occurrence should drop time %d", in.Time[0])
	}
}

// FuzzClean builds series from bytes: a time step and a value code per point, with
// repeated and backward times and invalid values.
func FuzzClean(f *testing.F) {
	f.Add([]byte{1, 0x80, 1, 0x81, 1, 0x82, 0, 0xff, 0x80, 0x00})
	f.Add([]byte{})
	f.Add([]byte{60, 10, 60, 20, 60, 30, 60, 40, 200, 250, 1, 1, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s flux.Series
		tm := t0
		for i := 0; i+1 < len(data); i += 2 {
			step, code := data[i], data[i+1]
			switch {
			case step == 255:
				tm -= int64(time.Minute) // backwards
			case step >= 250:
				tm += int64(2 * time.Hour) // a huge gap
			default:
				tm += int64(step) * int64(time.Second) // 0: a repeated time
			}
			var v float32
			switch code {
			case 0:
				v = float32(math.NaN())
			case 1:
				v = float32(math.Inf(1))
			case 2:
				v = 0
			case 3:
				v = -1e-6
			case 4:
				v = 1.5
			default:
				v = float32(math.Pow(10, -9+8*float64(code)/255)) // 1e-9 .. 1e-1
			}
			s.Append(tm, v)
		}
		r := flux.Range{Start: t0 - int64(time.Hour), End: tm + int64(time.Hour)}
		out := flux.Clean(s, r)
		checkOutput(t, s, out)
	})
}

// TestCleanerReuse checks that a Cleaner reused over inputs of different sizes gives
// the same results as fresh calls (no state leaks through the recycled arrays).
func TestCleanerReuse(t *testing.T) {
	cases := loadCases(t)
	var inputs []flux.Series
	var ranges []flux.Range
	for _, c := range []goldenCase{cases[2], cases[1], cases[2]} {
		for _, ch := range goldenChannels(c)[:2] {
			inputs = append(inputs, readGolden(t, inputPath(c, ch)))
			ranges = append(ranges, c.rng)
		}
	}
	var cl flux.Cleaner
	for i, in := range inputs {
		want := flux.Clean(in, ranges[i])
		got := cl.Clean(in, ranges[i])
		if !sameSeries(got, want) {
			t.Fatalf("input %d: reused Cleaner gives %d points, fresh Clean %d", i, got.Len(), want.Len())
		}
	}
	if got := cl.Clean(flux.Series{}, ranges[0]); got.Len() != 0 {
		t.Fatalf("empty input after reuse: %d points", got.Len())
	}
}

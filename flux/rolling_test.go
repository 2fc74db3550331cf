package flux

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var nan = math.NaN()

func sec(s ...int64) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = v * 1e9
	}
	return out
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

func windowPairs(ws Windows) [][2]int32 {
	out := make([][2]int32, ws.Len())
	for i := range out {
		out[i] = [2]int32{ws.Lo[i], ws.Hi[i]}
	}
	return out
}

func TestCenteredWindows(t *testing.T) {
	tests := []struct {
		name string
		t    []int64
		w    int64
		want [][2]int32
	}{
		{"empty", nil, 4e9, [][2]int32{}},
		{"one point", sec(5), 4e9, [][2]int32{{0, 1}}},
		// (t−2 s, t+2 s]: t=1 s is out of the window of t=3 s (open left end), t=3 s is in
		// the window of t=1 s (closed right end).
		{"uneven, boundaries at ±w/2", sec(0, 1, 3, 4, 8), 4e9, [][2]int32{{0, 2}, {0, 3}, {2, 4}, {2, 4}, {4, 5}}},
		// Odd width in ns: both ends closed, half-width floor(5/2) = 2 ns.
		{"odd ns width", []int64{0, 2, 3, 5, 7}, 5, [][2]int32{{0, 2}, {0, 3}, {1, 4}, {2, 5}, {3, 5}}},
		{"even ns width for comparison", []int64{0, 2, 3, 5, 7}, 4, [][2]int32{{0, 2}, {1, 3}, {1, 4}, {3, 5}, {4, 5}}},
		{"zero width", sec(0, 1, 2), 0, [][2]int32{{0, 1}, {1, 2}, {2, 3}}},
		{"window wider than the series", sec(0, 1, 2), 100e9, [][2]int32{{0, 3}, {0, 3}, {0, 3}}},
	}
	for _, tt := range tests {
		got := windowPairs(CenteredWindows(tt.t, tt.w))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: windows %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCountWindows(t *testing.T) {
	tests := []struct {
		name    string
		groupOf []int32
		k       int
		want    [][2]int32
	}{
		{"k=3 in two groups", []int32{0, 0, 0, 1, 1}, 3, [][2]int32{{0, 2}, {0, 3}, {1, 3}, {3, 5}, {3, 5}}},
		// pandas rolling(4, center=True): 2 before, 1 after.
		{"k=4 even", []int32{0, 0, 0, 0, 0}, 4, [][2]int32{{0, 2}, {0, 3}, {0, 4}, {1, 5}, {2, 5}}},
		{"singleton groups", []int32{0, 1, 2}, 540, [][2]int32{{0, 1}, {1, 2}, {2, 3}}},
	}
	for _, tt := range tests {
		got := windowPairs(CountWindows(tt.groupOf, tt.k))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: windows %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRollingAggregations(t *testing.T) {
	// Times 0, 1, 3, 4, 8 s with a 4 s window: windows {0,1} {0,1,2} {2,3} {2,3} {4}.
	ws := CenteredWindows(sec(0, 1, 3, 4, 8), 4e9)
	x := []float64{1, nan, 4, 2, 8}
	allNaN := []float64{nan, nan, nan, nan, nan}
	tests := []struct {
		name string
		f    func(x []float64) []float64
		want []float64
		none []float64 // on all-NaN input
	}{
		{"sum", func(x []float64) []float64 { return RollingSum(x, ws, nil) }, []float64{1, 5, 6, 6, 8}, allNaN},
		{"mean", func(x []float64) []float64 { return RollingMean(x, ws, nil) }, []float64{1, 2.5, 3, 3, 8}, allNaN},
		{"count", func(x []float64) []float64 { return RollingCount(x, ws, nil) }, []float64{1, 2, 2, 2, 1}, []float64{0, 0, 0, 0, 0}},
		{"max", func(x []float64) []float64 { return RollingMax(x, ws, nil) }, []float64{1, 4, 4, 4, 8}, allNaN},
		{"min", func(x []float64) []float64 { return RollingMin(x, ws, nil) }, []float64{1, 1, 2, 2, 8}, allNaN},
		{"median", func(x []float64) []float64 { return RollingMedian(x, ws, nil) }, []float64{1, 2.5, 3, 3, 8}, allNaN},
		// {1,4}: h = 0.3·1 → 1 + 0.3·3 = 1.9; {2,4}: 2 + 0.3·2 = 2.6.
		{"quantile 0.3", func(x []float64) []float64 { return RollingQuantile(x, ws, 0.3, nil) }, []float64{1, 1 + 0.3*3, 2 + 0.3*2, 2 + 0.3*2, 8}, allNaN},
		{"quantile 1", func(x []float64) []float64 { return RollingQuantile(x, ws, 1, nil) }, []float64{1, 4, 4, 4, 8}, allNaN},
	}
	for _, tt := range tests {
		if got := tt.f(x); !sameFloats(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
		if got := tt.f(allNaN); !sameFloats(got, tt.none) {
			t.Errorf("%s over all NaN = %v, want %v", tt.name, got, tt.none)
		}
		if got := tt.f([]float64{1, 2}); !sameFloats(got, allNaN) {
			t.Errorf("%s with fewer values than windows = %v, want NaN", tt.name, got)
		}
	}
}

func TestRollingOnePoint(t *testing.T) {
	ws := CenteredWindows(sec(7), 60e9)
	for name, got := range map[string][]float64{
		"sum":      RollingSum([]float64{2.5}, ws, nil),
		"mean":     RollingMean([]float64{2.5}, ws, nil),
		"max":      RollingMax([]float64{2.5}, ws, nil),
		"min":      RollingMin([]float64{2.5}, ws, nil),
		"median":   RollingMedian([]float64{2.5}, ws, nil),
		"quantile": RollingQuantile([]float64{2.5}, ws, 0.3, nil),
	} {
		if len(got) != 1 || got[0] != 2.5 {
			t.Errorf("%s of one point = %v, want [2.5]", name, got)
		}
	}
	if got := RollingCount([]float64{nan}, ws, nil); got[0] != 0 {
		t.Errorf("count of one NaN = %v, want 0", got)
	}
	empty := CenteredWindows(nil, 60e9)
	if got := RollingMedian(nil, empty, nil); len(got) != 0 {
		t.Errorf("median of nothing = %v", got)
	}
}

func TestRollingMedianEvenOdd(t *testing.T) {
	// Count windows of 4 (2 before, 1 after) over 5, 1, 4, 2, 3.
	ws := CountWindows([]int32{0, 0, 0, 0, 0}, 4)
	got := RollingMedian([]float64{5, 1, 4, 2, 3}, ws, nil)
	// {5,1} → 3; {5,1,4} → 4; {5,1,4,2} → 3; {1,4,2,3} → 2.5; {4,2,3} → 3.
	want := []float64{3, 4, 3, 2.5, 3}
	if !sameFloats(got, want) {
		t.Errorf("median = %v, want %v", got, want)
	}
}

// TestRollingMeanRepeatedValue checks pandas' rule that a window holding one repeated
// value yields exactly that value, whatever the rounding of the running sum.
func TestRollingMeanRepeatedValue(t *testing.T) {
	ws := CenteredWindows(sec(0, 1, 2, 3, 4), 2e9) // (t−1, t+1]: {i, i+1}
	x := []float64{1e10, 0.1, 0.1, 0.1, 0.1}
	mean := RollingMean(x, ws, nil)
	sum := RollingSum(x, ws, nil)
	for i := 1; i < 4; i++ {
		if mean[i] != 0.1 || sum[i] != 0.1*2 {
			t.Errorf("window %d: mean %v sum %v, want exactly 0.1 and 0.2", i, mean[i], sum[i])
		}
	}
	// All-positive values never give a negative mean, and vice versa.
	y := []float64{1e17, 1, 1, 1e17, -1e17}
	for i, m := range RollingMean(y, ws, nil) {
		if m < 0 && i < 3 {
			t.Errorf("window %d: negative mean %v of positive values", i, m)
		}
	}
}

// TestRollingAgainstBruteForce compares every aggregation with a direct computation over
// random uneven series with NaN holes and ties, and over piecewise constant series
// (runs of one value, as sampling steps and running minima are), where most windows
// lose and gain equal values.
func TestRollingAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n    int
		w    int64
		runs bool
	}{{50, 7e9, false}, {400, 60e9, false}, {2000, 300e9, false}, {3000, 2000e9, false}, {3000, 1, false},
		{3000, 60e9, true}, {3000, 600e9, true}} {
		times := make([]int64, tc.n)
		x := make([]float64, tc.n)
		var t0 int64
		for i := range times {
			if tc.runs {
				t0 += 1e9 // regular: windows mostly slide by one point
			} else {
				t0 += 1e9 * (1 + rng.Int64N(5))
			}
			if rng.IntN(50) == 0 {
				t0 += 1e12
			}
			times[i] = t0
			x[i] = float64(rng.IntN(40)) / 4 // ties
			if tc.runs && i > 0 && rng.IntN(20) != 0 {
				x[i] = x[i-1]
			}
			if rng.IntN(10) == 0 {
				x[i] = nan
			}
		}
		ws := CenteredWindows(times, tc.w)
		sum := RollingSum(x, ws, nil)
		mx := RollingMax(x, ws, nil)
		mn := RollingMin(x, ws, nil)
		med := RollingMedian(x, ws, nil)
		q := RollingQuantile(x, ws, 0.3, nil)
		for i := range times {
			var v []float64
			for j := range times {
				d := times[j] - times[i]
				in := -tc.w/2 < d && d <= tc.w/2
				if tc.w%2 == 1 {
					in = -tc.w/2 <= d && d <= tc.w/2
				}
				if in && x[j] == x[j] {
					v = append(v, x[j])
				}
			}
			slices.Sort(v)
			wantSum, wantMax, wantMin, wantMed, wantQ := nan, nan, nan, nan, nan
			if len(v) > 0 {
				wantSum = 0
				for _, e := range v {
					wantSum += e
				}
				wantMin, wantMax = v[0], v[len(v)-1]
				wantMed = v[len(v)/2]
				if len(v)%2 == 0 {
					wantMed = (v[len(v)/2-1] + v[len(v)/2]) / 2
				}
				h := 0.3 * float64(len(v)-1)
				k := int(h)
				wantQ = v[k]
				if k+1 < len(v) {
					wantQ += (v[k+1] - v[k]) * (h - float64(k))
				}
			}
			check := func(name string, got, want float64) {
				if !(math.Abs(got-want) <= 1e-9 || (got != got && want != want)) {
					t.Fatalf("n=%d w=%d point %d: %s = %v, want %v", tc.n, tc.w, i, name, got, want)
				}
			}
			check("sum", sum[i], wantSum)
			check("max", mx[i], wantMax)
			check("min", mn[i], wantMin)
			check("median", med[i], wantMed)
			check("quantile", q[i], wantQ)
		}
	}
}

func TestPercentileAndMedian(t *testing.T) {
	v := []float64{4, 1, 3, 2, nan, 5}
	// numpy: nanpercentile([1..5], 1) = 1.04, 99 → 4.96; median 3.
	lo, hi := nanPercentiles(v, 1, 99, nil, nil)
	if math.Abs(lo-1.04) > 1e-12 || math.Abs(hi-4.96) > 1e-12 {
		t.Errorf("percentiles %v %v, want 1.04 4.96", lo, hi)
	}
	if m := median(v, nil); m != 3 {
		t.Errorf("median %v, want 3", m)
	}
	if m := median([]float64{4, 1, 3, 2}, nil); m != 2.5 {
		t.Errorf("even median %v, want 2.5", m)
	}
	if m := median([]float64{nan}, nil); m == m {
		t.Errorf("median of nothing %v, want NaN", m)
	}
}

// TestMedianBelow compares the count-based "median below limit" test with the median.
func TestMedianBelow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 3000
	times := make([]int64, n)
	x := make([]float64, n)
	for i := range n {
		times[i] = int64(i) * 1e9
		x[i] = float64(rng.IntN(7)) // ties at the limit 3, even and odd counts
		if rng.IntN(8) == 0 {
			x[i] = nan
		}
	}
	for _, w := range []int64{2e9, 5e9, 30e9} {
		ws := CenteredWindows(times, w)
		med := RollingMedian(x, ws, nil)
		for _, limit := range []float64{3, 3.5, 0, 7} {
			got := medianBelow(x, ws, limit, new(scratch))
			for i := range n {
				if got[i] != (med[i] < limit) {
					t.Fatalf("w=%d limit %v point %d: below %v, median %v", w, limit, i, got[i], med[i])
				}
			}
		}
	}
}

// TestExtremeHalves checks that the two-halves walk of the rolling extremes gives the
// same indices (the first extreme of each window) as one walk over all windows, and
// that sampled windows agree with a direct search, on a series long enough to be split.
func TestExtremeHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 3 * parallelMin
	times := make([]int64, n)
	x := make([]float64, n)
	var t0 int64
	for i := range times {
		t0 += 1e9 * (1 + rng.Int64N(3))
		if rng.IntN(5000) == 0 {
			t0 += 4e12 // a gap wider than the window: disjoint windows
		}
		times[i] = t0
		x[i] = float64(rng.IntN(30)) // many ties
		if rng.IntN(8) == 0 {
			x[i] = nan
		}
	}
	var sc scratch
	for _, w := range []int64{1, 60e9, 1800e9} {
		ws := CenteredWindows(times, w)
		for _, isMax := range []bool{false, true} {
			whole := make([]int32, n)
			extremeRange(x, ws, 0, n, isMax, whole, nil, nil)
			split := rollExtremeIndex(x, ws, nil, isMax, &sc)
			vals := rollExtremeSc(x, ws, nil, isMax, &sc)
			for i := range n {
				if split[i] != whole[i] {
					t.Fatalf("w=%d max=%v window %d: halves give index %d, one walk %d", w, isMax, i, split[i], whole[i])
				}
				if j := split[i]; (j < 0) != (vals[i] != vals[i]) || j >= 0 && vals[i] != x[j] {
					t.Fatalf("w=%d max=%v window %d: value %v does not match index %d", w, isMax, i, vals[i], j)
				}
				if i%97 != 0 {
					continue
				}
				want := int32(-1)
				for j := ws.Lo[i]; j < ws.Hi[i]; j++ {
					if v := x[j]; v == v && (want < 0 || isMax && v > x[want] || !isMax && v < x[want]) {
						want = j
					}
				}
				if split[i] != want {
					t.Fatalf("w=%d max=%v window %d: index %d, direct search %d", w, isMax, i, split[i], want)
				}
			}
		}
	}
}

// TestPercentilesLong checks the tail selection (and its fallback) of two percentiles
// on long arrays against sorting: numpy's linear method, h = p/100·(m − 1).
func TestPercentilesLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		name  string
		value func() float64
	}{
		{"normal", rng.NormFloat64},
		{"five levels (ties at the thresholds)", func() float64 { return float64(rng.IntN(5)) }},
		{"mostly one value", func() float64 {
			if rng.IntN(100) == 0 {
				return rng.Float64()
			}
			return 0.5
		}},
		{"skewed", func() float64 { return math.Exp(8 * rng.Float64()) }},
	} {
		for _, n := range []int{1000, 2*parallelMin + 3, 100000} {
			x := make([]float64, n)
			var v []float64
			for i := range x {
				x[i] = tc.value()
				if rng.IntN(20) == 0 {
					x[i] = nan
				} else {
					v = append(v, x[i])
				}
			}
			slices.Sort(v)
			want := func(p float64) float64 {
				h := p / 100 * float64(len(v)-1)
				k := int(h)
				return v[k] + (v[k+1]-v[k])*(h-float64(k))
			}
			in := slices.Clone(x)
			for _, p := range [][2]float64{{1, 99}, {0.01, 99.99}, {20, 80}} {
				lo, hi := nanPercentiles(x, p[0], p[1], nil, nil)
				if math.Abs(lo-want(p[0])) > 1e-12 || math.Abs(hi-want(p[1])) > 1e-12 {
					t.Errorf("%s n=%d p=%v: percentiles %v %v, want %v %v", tc.name, n, p, lo, hi, want(p[0]), want(p[1]))
				}
			}
			if !slices.EqualFunc(x, in, func(a, b float64) bool { return a == b || a != a && b != b }) {
				t.Errorf("%s n=%d: nanPercentiles changed its input", tc.name, n)
			}
		}
	}
}

// TestSortedOrder compares the radix order (split in halves for long arrays) with a
// stable comparison sort, on arrays with ties, NaN, −0 and +0.
func TestSortedOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 100, parallelMin - 1, 2*parallelMin + 1} {
		x := make([]float64, n)
		var want []int32
		for i := range x {
			switch rng.IntN(10) {
			case 0:
				x[i] = nan
			case 1:
				x[i] = math.Copysign(0, -1)
			case 2:
				x[i] = 0
			default:
				x[i] = float64(rng.IntN(500)-250) / 7
			}
			if x[i] == x[i] {
				want = append(want, int32(i))
			}
		}
		slices.SortStableFunc(want, func(a, b int32) int { return cmp.Compare(x[a], x[b]) })
		if got := sortedOrder(x); !slices.Equal(got, want) {
			t.Errorf("n=%d: order differs from a stable sort", n)
		}
	}
}

// TestCenteredWindowsLong checks the windows of a series long enough to be computed in
// two halves against the bounds' definition, with repeated times and gaps.
func TestCenteredWindowsLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 3 * parallelMin
	times := make([]int64, n)
	var t0 int64
	for i := range times {
		t0 += rng.Int64N(3) * 1e9 // repeated times included
		if rng.IntN(3000) == 0 {
			t0 += 1e13
		}
		times[i] = t0
	}
	for _, w := range []int64{-5, 1, 2, 60e9, 61e9 + 1, 7200e9} {
		ws := CenteredWindows(times, w)
		half := max(w, 0) / 2
		closed := w%2 != 0 || w < 0
		for i := 0; i < n; i += 7 {
			inside := func(j int) bool {
				d := times[j] - times[i]
				if closed {
					return -half <= d && d <= half
				}
				return -half < d && d <= half
			}
			lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
			ok := lo <= i && i < hi && (lo == 0 || !inside(lo-1)) && (hi == n || !inside(hi)) &&
				(inside(lo) || lo == i) && inside(hi-1)
			if !ok {
				t.Fatalf("w=%d point %d: window [%d, %d) does not match its bounds", w, i, lo, hi)
			}
		}
	}
}

// TestRollKahanMeans checks that the two-chain walk yields each window mean bit for bit
// as the single walk does, including windows that jump past gaps.
func TestRollKahanMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 5000
	times := make([]int64, n)
	x := make([]float64, n)
	var t0 int64
	for i := range n {
		t0 += 1e9 * (1 + rng.Int64N(3))
		if rng.IntN(200) == 0 {
			t0 += 1e12
		}
		times[i] = t0
		x[i] = -6 + rng.NormFloat64()
		if rng.IntN(20) == 0 {
			x[i] = nan
		}
		if rng.IntN(30) == 0 && i > 0 {
			x[i] = x[i-1]
		}
	}
	wa, wb := CenteredWindows(times, 300e9), CenteredWindows(times, 40e9)
	gotA, gotB := make([]float64, n), make([]float64, n)
	y := make([]float64, n)
	for i := range y {
		y[i] = rng.Float64()
	}
	rollKahanMeans(x, y, wa, wb, gotA, gotB)
	wantA, wantB := RollingMean(x, wa, nil), RollingMean(y, wb, nil)
	for i := range n {
		if math.Float64bits(gotA[i]) != math.Float64bits(wantA[i]) || math.Float64bits(gotB[i]) != math.Float64bits(wantB[i]) {
			t.Fatalf("point %d: means %v, %v, want %v, %v", i, gotA[i], gotB[i], wantA[i], wantB[i])
		}
	}
}

// TestRollMaxPair checks the paired maxima against RollingMax, bit for bit, over
// series with NaN holes (some windows without values), ties, signed zeros and gaps.
func TestRollMaxPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 40000 // long enough to be split in halves
	times := make([]int64, n)
	xa, xb := make([]float64, n), make([]float64, n)
	var t0 int64
	for i := range n {
		t0 += 1e9 * (1 + rng.Int64N(3))
		if rng.IntN(300) == 0 {
			t0 += 1e12
		}
		times[i] = t0
		xa[i] = float64(rng.IntN(50)) - 25
		xb[i] = rng.NormFloat64()
		switch rng.IntN(12) {
		case 0:
			xa[i] = nan
		case 1:
			xb[i] = nan
		case 2:
			xa[i] = math.Copysign(0, -1)
		}
		if i%1000 < 40 {
			xa[i], xb[i] = nan, nan // stretches without values
		}
	}
	for _, w := range []int64{1, 40e9, 300e9, 5000e9} {
		ws := CenteredWindows(times, w)
		gotA, gotB := make([]float64, n), make([]float64, n)
		rollMaxPair(xa, xb, ws, gotA, gotB)
		wantA, wantB := RollingMax(xa, ws, nil), RollingMax(xb, ws, nil)
		for i := range n {
			if math.Float64bits(gotA[i]) != math.Float64bits(wantA[i]) && !(gotA[i] != gotA[i] && wantA[i] != wantA[i]) ||
				math.Float64bits(gotB[i]) != math.Float64bits(wantB[i]) && !(gotB[i] != gotB[i] && wantB[i] != wantB[i]) {
				t.Fatalf("w=%d point %d: maxima %v, %v, want %v, %v", w, i, gotA[i], gotB[i], wantA[i], wantB[i])
			}
		}
	}
}

// TestCenteredPair checks that the paired walk gives each width's CenteredWindows,
// for even, odd, zero and negative widths, over a series long enough to be split.
func TestCenteredPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 50000
	times := make([]int64, n)
	var t0 int64
	for i := range n {
		t0 += 1 + rng.Int64N(3e9)
		if rng.IntN(500) == 0 {
			t0 += 5e12
		}
		times[i] = t0
	}
	for _, w := range [][2]int64{{40e9, 300e9}, {3e9 + 1, 7}, {0, -5}, {1, 18 * 3600e9}} {
		var a, b Windows
		centeredPair(times, w[0], w[1], &a, &b)
		for k, got := range []Windows{a, b} {
			want := CenteredWindows(times, w[k])
			if !slices.Equal(got.Lo, want.Lo) || !slices.Equal(got.Hi, want.Hi) {
				t.Fatalf("widths %v: windows of width %d differ from CenteredWindows", w, w[k])
			}
		}
	}
}

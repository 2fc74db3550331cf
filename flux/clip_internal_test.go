package flux

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestClippedFlags compares clippedFlags with a direct computation of the rule
// (flat and l > max(18 h max, −3) − 0.1 or l < min(18 h min, −8) + 0.1) for a few
// candidates (windows far apart), many (overlapping windows) and none.
func TestClippedFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name      string
		flatShare int // one point in flatShare is flat
	}{
		{"few candidates", 200},
		{"many candidates", 2},
		{"none", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 20000
			ts := make([]int64, n)
			l := make([]float64, n)
			flat := make([]bool, n)
			var t0 int64
			for i := range n {
				t0 += int64(time.Minute)
				if rng.IntN(500) == 0 {
					t0 += int64(3 * time.Hour)
				}
				ts[i] = t0
				// Mostly mid-range, with stretches near and beyond both limits.
				switch rng.IntN(10) {
				case 0:
					l[i] = -3.2 + 0.4*rng.Float64()
				case 1:
					l[i] = -8.2 + 0.4*rng.Float64()
				case 2:
					l[i] = math.NaN()
				default:
					l[i] = -7 + 3*rng.Float64()
				}
				flat[i] = tc.flatShare > 0 && rng.IntN(tc.flatShare) == 0
			}
			ws := CenteredWindows(ts, int64(clippedWindow))
			var sc scratch
			got := clippedFlags(ts, l, flat, make([]float64, n), make([]float64, n), &sc)
			hits := 0
			for i := range n {
				hx, hn := math.NaN(), math.NaN()
				for _, v := range l[ws.Lo[i]:ws.Hi[i]] {
					if v == v && (hx != hx || v > hx) {
						hx = v
					}
					if v == v && (hn != hn || v < hn) {
						hn = v
					}
				}
				want := flat[i] && (l[i] > math.Max(hx, upperBorder)-borderSlack ||
					l[i] < math.Min(hn, lowerBorder)+borderSlack)
				if got[i] != want {
					t.Fatalf("point %d (l %v, flat %v, max %v, min %v): clipped %v, want %v",
						i, l[i], flat[i], hx, hn, got[i], want)
				}
				if want {
					hits++
				}
			}
			if tc.flatShare > 0 && hits == 0 {
				t.Fatalf("no clipped point: the case tests nothing")
			}
		})
	}
}

// TestGroupMedianBelow compares the counting decision with median() < limit over random
// groups: odd and even sizes, NaN, values equal to the limit and splits exactly at it.
func TestGroupMedianBelow(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const limit = 1e-6
	values := []float64{0, 5e-7, 9.999e-7, limit, 1.0000001e-6, 3e-6, math.NaN()}
	x := make([]float64, 0, 64)
	splits := 0
	for range 20000 {
		x = x[:0]
		for range 1 + rng.IntN(12) {
			x = append(x, values[rng.IntN(len(values))])
		}
		pts := make(group, len(x))
		for i := range pts {
			pts[i] = int32(i)
		}
		buf := append([]float64(nil), x...)
		want := median(buf, buf) < limit
		if got := groupMedianBelow(x, pts, limit); got != want {
			t.Fatalf("values %v: below %v, want %v", x, got, want)
		}
		if gm, wm := groupMean(x, pts), mean(x); math.Float64bits(gm) != math.Float64bits(wm) && !(gm != gm && wm != wm) {
			t.Fatalf("values %v: mean %v, want %v", x, gm, wm)
		}
		below, valid := 0, 0
		for _, v := range x {
			if v == v {
				valid++
				if v < limit {
					below++
				}
			}
		}
		if valid%2 == 0 && 2*below == valid && valid > 0 {
			splits++
		}
	}
	if splits == 0 {
		t.Fatal("no group split exactly at the limit: the case is not tested")
	}
}

// TestMinOfMinima checks the dip filter's shortcut: the rolling minimum of the rolling
// minimum over windows W equals the minimum over the composed windows
// [Lo[Lo[i]], Hi[Hi[i]−1]), and its first index is one of the first rolling minimum's
// indices (so it has a rank). Values with many ties and uneven times.
func TestMinOfMinima(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 30000
	ts := make([]int64, n)
	x := make([]float64, n)
	var t0 int64
	for i := range n {
		t0 += 1e9 * (1 + rng.Int64N(3))
		if rng.IntN(400) == 0 {
			t0 += 4 * 3600e9
		}
		ts[i] = t0
		x[i] = float64(rng.IntN(30))
	}
	w := CenteredWindows(ts, 1800e9)
	argN := rollExtremeIndex(x, w, nil, false, nil)
	nmin := make([]float64, n)
	for i, j := range argN {
		nmin[i] = x[j]
	}
	argOld := rollExtremeIndex(nmin, w, nil, false, nil)
	w2 := Windows{Lo: make([]int32, n), Hi: make([]int32, n)}
	for i := range n {
		w2.Lo[i], w2.Hi[i] = w.Lo[w.Lo[i]], w.Hi[w.Hi[i]-1]
	}
	argNew := rollExtremeIndex(x, w2, nil, false, nil)
	isMin := make(map[int32]bool)
	for _, j := range argN {
		isMin[j] = true
	}
	for i := range n {
		if got, want := x[argNew[i]], nmin[argOld[i]]; got != want {
			t.Fatalf("point %d: minimum of minima %v, want %v", i, got, want)
		}
		if !isMin[argNew[i]] {
			t.Fatalf("point %d: index %d is not a first minimum of any window", i, argNew[i])
		}
	}
}

// speedRange, the reference for speedsAndAccelerations (the former four-array
// computation), stores the forward speed (y_i − y_{i−1}) / (t_i − t_{i−1}) per second,
// NaN at i = 0, in fwd (when not nil) and the backward speed (y_i − y_{i+1}) /
// (t_i − t_{i+1}), NaN at the end, in bwd (when not nil), for the points from..to−1.
func speedRange(t []int64, y, fwd, bwd []float64, from, to int) {
	n := len(y)
	for i := from; i < to; i++ {
		if fwd != nil {
			if i == 0 {
				fwd[i] = math.NaN()
			} else {
				fwd[i] = (y[i] - y[i-1]) / seconds(t[i]-t[i-1])
			}
		}
		if bwd != nil {
			if i == n-1 {
				bwd[i] = math.NaN()
			} else {
				bwd[i] = (y[i] - y[i+1]) / seconds(t[i]-t[i+1])
			}
		}
	}
}

// TestSpeedsAndAccelerations compares the one-pass V and A with the four speed arrays
// speedRange gives, bit for bit, for whole ranges and for ranges cut anywhere.
func TestSpeedsAndAccelerations(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{1, 2, 3, 50, 1000} {
		ts := make([]int64, n)
		y := make([]float64, n)
		var t0 int64
		for i := range n {
			t0 += 1 + rng.Int64N(5e9)
			ts[i] = t0
			y[i] = -6 + rng.NormFloat64()
		}
		vf, vb, af, ab := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		speedRange(ts, y, vf, vb, 0, n)
		speedRange(ts, vf, af, nil, 0, n)
		speedRange(ts, vb, nil, ab, 0, n)
		for _, cut := range []int{0, n / 3, n / 2, n - 1, n} {
			v, a := make([]float64, n), make([]float64, n)
			speedsAndAccelerations(ts, y, v, a, 0, cut)
			speedsAndAccelerations(ts, y, v, a, cut, n)
			for i := range n {
				wv, wa := absMax(vb[i], vf[i]), absMax(ab[i], af[i])
				same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) || x != x && y != y }
				if !same(v[i], wv) || !same(a[i], wa) {
					t.Fatalf("n=%d cut %d point %d: V %v A %v, want %v %v", n, cut, i, v[i], a[i], wv, wa)
				}
			}
		}
	}
}

package flux

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSmoothWeightsExactPath checks that the prefix-sum path gives bit for bit the
// results of pandas' running compensated sums whenever it reports exactness, and that
// it does so for regular cadences.
func TestSmoothWeightsExactPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name      string
		step      int64 // ns
		jitter    int64 // random extra ns per step, or −1: a minute, then two steps of 1-999 ns
		wantExact int   // 1: the exact path must be taken, 0: must not, −1: either
	}{
		{"1 s cadence", 1e9, 0, 1},
		{"0.25 s cadence (2400 rows per window)", 0.25e9, 0, 1},
		{"2 s cadence", 2e9, 0, 1},
		{"1 min cadence", 60e9, 0, 1},
		{"irregular steps", 1e9, 1e9, -1},
		{"minutes and nanoseconds", 60e9, -1, 0},
	} {
		m := 20000
		st := make([]int64, m)
		var tm int64 = 1.7e18
		for i := range st {
			switch {
			case tc.jitter < 0 && i%3 != 0:
				tm += 1 + rng.Int64N(999)
			case tc.jitter > 0:
				tm += tc.step + rng.Int64N(tc.jitter)
			default:
				tm += tc.step
			}
			if rng.IntN(2000) == 0 {
				tm += 3600e9 // a gap
			}
			st[i] = tm
		}
		nc := 2
		tau := make([]float32, m)
		for k := range m {
			prev, next := st[0]-int64(time60), st[m-1]+int64(time60)
			if k > 0 {
				prev = st[k-1]
			}
			if k+1 < m {
				next = st[k+1]
			}
			dl := float32(min(st[k]-prev, int64(time60))) * float32(1e-9)
			dr := float32(min(next-st[k], int64(time60))) * float32(1e-9)
			tau[k] = dl + dr
		}
		// Segments of random length with weights 0, 0.3 .. 1.
		var weights []float32
		rowSeg := make([]int32, m)
		seg := int32(-1)
		for k := range m {
			if k == 0 || rng.IntN(3000) == 0 {
				seg++
				for range nc {
					w := float32(0)
					if rng.IntN(4) > 0 {
						w = float32(0.3 + 0.7*rng.Float64())
					}
					weights = append(weights, w)
				}
			}
			rowSeg[k] = seg
		}
		exact := make([][]float64, nc)
		comp := make([][]float64, nc)
		for c := range nc {
			exact[c] = make([]float64, m)
			comp[c] = make([]float64, m)
		}
		ok := smoothWeightsExact(st, tau, weights, rowSeg, exact)
		smoothWeightsCompensated(st, tau, weights, rowSeg, comp)
		// The unchecked prefix sums must be taken for the regular cadences, and agree
		// with the compensated sums bit for bit whenever sumsExact vouches for them.
		fast := sumsExact(tau, weights)
		if tc.wantExact == 1 && !fast {
			t.Errorf("%s: sumsExact = false for a regular cadence", tc.name)
		}
		if fast {
			pre := make([][]float64, nc)
			for c := range nc {
				pre[c] = make([]float64, m)
			}
			smoothWeightsPrefix(st, tau, weights, rowSeg, pre)
			two := [][]float64{make([]float64, m), make([]float64, m)}
			for _, col := range two {
				for k := range col {
					col[k] = math.NaN() // every entry must be written, zero weights too
				}
			}
			var segEnd []int32 // the same segments as ends of their rows
			for k := 1; k <= m; k++ {
				if k == m || rowSeg[k] != rowSeg[k-1] {
					segEnd = append(segEnd, int32(k))
				}
			}
			smoothWeightsPrefix2(st, tau, weights, segEnd, two[0], two[1])
			for c := range nc {
				for k := range m {
					if math.Float64bits(pre[c][k]) != math.Float64bits(comp[c][k]) {
						t.Fatalf("%s: column %d row %d: unchecked prefix sums %v, compensated %v", tc.name, c, k, pre[c][k], comp[c][k])
					}
					if math.Float64bits(two[c][k]) != math.Float64bits(comp[c][k]) {
						t.Fatalf("%s: column %d row %d: two-satellite prefix sums %v, compensated %v", tc.name, c, k, two[c][k], comp[c][k])
					}
				}
			}
			if !ok {
				t.Errorf("%s: sumsExact vouched for sums the checked path found inexact", tc.name)
			}
		}
		if tc.wantExact >= 0 && ok != (tc.wantExact == 1) {
			t.Errorf("%s: exact path taken = %v, want %v", tc.name, ok, tc.wantExact)
		}
		t.Logf("%s: exact path %v", tc.name, ok)
		if !ok {
			continue
		}
		for c := range nc {
			for k := range m {
				if math.Float64bits(exact[c][k]) != math.Float64bits(comp[c][k]) {
					t.Fatalf("%s: column %d row %d: prefix sums %v, compensated %v", tc.name, c, k, exact[c][k], comp[c][k])
				}
			}
		}
	}
}

const time60 = 60e9

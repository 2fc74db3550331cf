package flux

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Cleaning constants (see docs/cleaning.md for what each one is for).
const (
	sustainedWindow = 40 * time.Second // shortest plausible flare rise
	smoothWindow    = 5 * time.Minute
	roughLimit      = 0.004
	slightRough     = 0.0035
	validSlopeRatio = 0.35
	roughShare      = 0.2
	detailClip      = 0.1
	correctionSlack = 0.1
	correctionLimit = 0.8

	hugeGap          = time.Hour
	intervalMin      = 1.0  // s
	intervalMax      = 60.0 // s
	intervalSamples  = 540
	upperBorder      = -3.0
	lowerBorder      = -8.0
	borderSlack      = 0.1
	clippedWindow    = 18 * time.Hour
	flatIntervals    = 30
	flatVelocity     = 1e-6
	minuteHighAcc    = 0.0002
	minuteExcessive  = 0.0007
	highAcc          = 0.01
	excessiveAcc     = 0.04
	bridgeIntervals  = 5
	gapIntervals     = 10
	groupMaxVelocity = 0.01

	dipMinWindow     = 30 * time.Minute
	dipShortWindow   = 4 * time.Hour
	dipLongWindow    = 16 * time.Hour
	dipQuantile      = 0.3
	dipLimit         = -0.2
	dipKeep          = -0.05
	dipMinPoints     = 10
	neighbourWindow  = 18 * time.Hour
	neighbourShare   = 0.02
	sampleSpan       = 60 * time.Second
	sampleMaxAge     = 9 * time.Hour
	coneSpanRate     = 0.001
	coneAgeRate      = 0.03
	sectionOpenLimit = 2.0
	bigGroupSamples  = 5
	passedGapSpan    = 90.0 // s
	sectionDeviation = 0.2
)

// Clean removes instrument artifacts from a raw flux series and returns the surviving
// points with their denoised values. r is the range the series covers; only its length
// matters (it caps the neighbour-count window). It follows the original server's
// clean_flux step by step:
//
//  1. keep 0 < flux < 1, first occurrence of each timestamp, in log10;
//  2. denoise: smooth rough stretches whose slopes are not sustained;
//  3. remove clipped values at the instrument's borders, excessive accelerations and
//     groups of points moving too fast or not at all;
//  4. drop impossible dips below the running baseline;
//  5. drop groups that do not connect to their neighbours in either direction, or that
//     stray from the line bridging an uncertain gap;
//  6. drop points with too few neighbours; back to linear flux.
//
// The input need not be sorted (it is sorted stably by time first); NaN, infinite,
// zero, negative and >= 1 values are dropped. Clean never panics and never modifies s.
func Clean(s Series, r Range) Series {
	var c Cleaner
	return c.Clean(s, r)
}

// Cleaner runs Clean and keeps its work arrays from one call to the next, which spares
// the allocations (and page faults) of a fresh start when many series are cleaned. The
// zero value is ready to use; a Cleaner must not be used by two goroutines at once.
type Cleaner struct {
	sc scratch
}

// Clean is the package's Clean, reusing the Cleaner's work arrays.
func (c *Cleaner) Clean(s Series, r Range) Series {
	sc := &c.sc
	sc.mu.Lock()
	sc.size = len(s.Time)
	sc.mu.Unlock()
	t, l := cleanInput(s, sc)
	if len(t) == 0 {
		sc.releaseInt64(t)
		sc.release(l)
		return Series{}
	}
	// The sampling-interval estimate needs only the times: compute it meanwhile.
	var iv intervalEstimate
	// The flat and bridging windows need only the times and the typical interval: they
	// are found while the denoising softens its forces.
	var flatW, bridgeW Windows
	ld := denoise(t, l, sc, func() { iv = intervals(t, sc) }, func() {
		flatW, bridgeW = sc.centeredPair(t, durationOf(flatIntervals*iv.typical), durationOf(bridgeIntervals*iv.typical))
	})
	keep := removeOutliers(t, ld, iv, flatW, bridgeW, r, sc)
	out := Series{Time: make([]int64, len(keep)), Flux: make([]float32, len(keep))}
	halves(len(keep), func(from, to int) {
		for k, i := range keep[from:to] {
			out.Time[from+k] = t[i]
			out.Flux[from+k] = float32(math.Exp(ld[i] * math.Ln10))
		}
	})
	// Drop NaN values (none expected: the kept values are finite).
	n := 0
	for k, v := range out.Flux {
		if v == v {
			out.Time[n], out.Flux[n] = out.Time[k], v
			n++
		}
	}
	out.Time, out.Flux = out.Time[:n], out.Flux[:n]
	sc.releaseInt64(t)
	sc.release(l, ld, iv.interval)
	sc.releaseInt32(keep)
	return out
}

// cleanInput sorts the points by time if needed and keeps the first occurrence of
// each timestamp if its flux is in (0, 1), returning times and log10 values.
func cleanInput(s Series, sc *scratch) ([]int64, []float64) {
	n := min(len(s.Time), len(s.Flux))
	t := sc.int64s(n)[:0]
	l := sc.float64s(n)[:0]
	sorted := true
	for i := 1; i < n; i++ {
		if s.Time[i] < s.Time[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		for i := range n {
			ti := s.Time[i]
			if i > 0 && s.Time[i-1] == ti {
				continue // only the first occurrence counts, valid or not
			}
			if v := s.Flux[i]; v > 0 && v < 1 {
				t = append(t, ti)
				l = append(l, float64(v))
			}
		}
		toLog10(l)
		return t, l
	}
	order := sc.int32s(n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		ta, tb := s.Time[a], s.Time[b]
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	for k, i := range order {
		ti := s.Time[i]
		if k > 0 && s.Time[order[k-1]] == ti {
			continue
		}
		if v := s.Flux[i]; v > 0 && v < 1 {
			t = append(t, ti)
			l = append(l, float64(v))
		}
	}
	sc.releaseInt32(order)
	toLog10(l)
	return t, l
}

// toLog10 replaces the values of x by their log10, in two halves at once.
func toLog10(x []float64) {
	halves(len(x), func(from, to int) {
		for i, v := range x[from:to] {
			x[from+i] = math.Log10(v)
		}
	})
}

// seconds converts a nanosecond difference the way pandas' total_seconds does.
func seconds(ns int64) float64 { return 1e-9 * float64(ns) }

// speedsAndAccelerations stores, for the points from..to−1, V = absMax(vb, vf) in v and
// A = absMax(ab, af) in a, where vf_i = (y_i − y_{i−1}) / (t_i − t_{i−1}) per second
// (NaN at i = 0) and vb_i = (y_i − y_{i+1}) / (t_i − t_{i+1}) (NaN at the end) are the
// forward and backward speeds, af the forward speed of vf and ab the backward speed of
// vb. Each speed is computed where it is needed (a neighbour's again at the range's
// ends), without storing the four arrays.
func speedsAndAccelerations(t []int64, y, v, a []float64, from, to int) {
	n := len(y)
	nan := math.NaN()
	fwd := func(i int) float64 {
		if i == 0 {
			return nan
		}
		return (y[i] - y[i-1]) / seconds(t[i]-t[i-1])
	}
	bwd := func(i int) float64 {
		if i == n-1 {
			return nan
		}
		return (y[i] - y[i+1]) / seconds(t[i]-t[i+1])
	}
	if from >= to {
		return
	}
	vfPrev := nan // vf[i−1]
	if from > 0 {
		vfPrev = fwd(from - 1)
	}
	vbi := bwd(from)
	for i := from; i < to; i++ {
		vfi := fwd(i)
		af := nan
		if i > 0 {
			af = (vfi - vfPrev) / seconds(t[i]-t[i-1])
		}
		ab := nan
		var vbNext float64
		if i < n-1 {
			vbNext = bwd(i + 1)
			ab = (vbi - vbNext) / seconds(t[i]-t[i+1])
		}
		v[i] = absMax(vbi, vfi)
		a[i] = absMax(ab, af)
		vfPrev, vbi = vfi, vbNext
	}
}

// absMax returns max(|a|, |b|) ignoring NaN (NaN only when both are).
func absMax(a, b float64) float64 {
	a, b = math.Abs(a), math.Abs(b)
	switch {
	case a != a:
		return b
	case b != b:
		return a
	}
	return max(a, b)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// denoise returns L + C, the log flux with rough, zig-zagging stretches smoothed.
// Independent aggregations run on two goroutines.
//
// side, when not nil, runs on a second goroutine from the start: work of the caller
// that balances the two. during, when not nil, runs on a second goroutine while the
// forces are softened (a sequential walk), after side has finished.
func denoise(t []int64, l []float64, sc *scratch, side, during func()) []float64 {
	n := len(l)
	var wg sync.WaitGroup
	if side != nil {
		wg.Go(side)
	}
	w40, w5 := sc.centeredPair(t, int64(sustainedWindow), int64(smoothWindow))
	m, s := sc.float64s(n), sc.float64s(n)
	rollKahanMeans(l, l, w5, w40, m, s)
	// Shares of rough and slightly rough points within 5 min, meanwhile (they need only
	// S and L). A compensated sum of 0/1 flags is an exact count, so prefix counts give
	// pandas' means exactly.
	roughBefore := sc.int32s(n + 1)
	slightBefore := sc.int32s(n + 1)
	var rough sync.WaitGroup
	rough.Go(func() {
		roughBefore[0], slightBefore[0] = 0, 0
		for i := range n {
			d := math.Abs(s[i] - l[i])
			roughBefore[i+1] = roughBefore[i]
			slightBefore[i+1] = slightBefore[i]
			if d > roughLimit {
				roughBefore[i+1]++
			}
			if d > slightRough {
				slightBefore[i+1]++
			}
		}
	})
	// Ar = max5(sum40(|speed(L)|)) and As = max5(sum40(|speed(S)|)), the two sums in one
	// walk.
	spL, spS := sc.float64s(n), sc.float64s(n)
	halves(n, func(from, to int) {
		absSpeedRange(t, l, spL, from, to)
		absSpeedRange(t, s, spS, from, to)
	})
	sumL, sumS := sc.float64s(n), sc.float64s(n)
	rollKahanPair(spL, spS, w40, w40, sumL, sumS, false)
	ar, as := spL, spS
	rollMaxPair(sumL, sumS, w5, ar, as)
	sc.release(sumL, sumS)
	rough.Wait()
	wg.Wait()

	// Forces, with the shares of rough points (rn, rnd) taken from the prefix counts.
	f := sc.float64s(n)
	fd := sc.float64s(n)
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			lo, hi := w5.Lo[i], w5.Hi[i]
			rn := float64(roughBefore[hi]-roughBefore[lo]) / float64(hi-lo)
			rnd := float64(slightBefore[hi]-slightBefore[lo]) / float64(hi-lo)
			valid := b2f(as[i]/ar[i] > validSlopeRatio)
			a := min(rn/roughShare, 1)
			b := min(rnd/roughShare, 1)
			f[i] = min(1-valid, a)
			fd[i] = max(b-f[i], 0)
		}
	})
	sc.releaseInt32(roughBefore, slightBefore)
	// Soften both forces over 40 s, in one walk (see rollKahanMeans); the unsoftened
	// arrays then hold the corrections and serve as work arrays. The caller's during runs
	// meanwhile (after side).
	var soften sync.WaitGroup
	if during != nil {
		soften.Go(during)
	}
	rollKahanMeans(f, fd, w40, w40, ar, as)
	soften.Wait()
	c := f
	f, fd, buf := ar, as, fd
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			c[i] = (m[i]-l[i])*f[i] + clip((s[i]-l[i])*fd[i], -detailClip, detailClip)
		}
	})
	lo, hi := nanPercentiles(c, 1, 99, buf, m)
	lo = max(lo-correctionSlack, -correctionLimit)
	hi = min(hi+correctionSlack, correctionLimit)
	out := s
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			out[i] = l[i] + clip(c[i], lo, hi)
		}
	})
	sc.release(m, c, f, fd, buf)
	sc.releaseWindows(w40, w5)
	return out
}

// absSpeedRange stores |speed(y, +1)| (NaN at 0) in out for the points from..to−1.
func absSpeedRange(t []int64, y, out []float64, from, to int) {
	for i := from; i < to; i++ {
		if i == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = math.Abs((y[i] - y[i-1]) / seconds(t[i]-t[i-1]))
		}
	}
}

// clip limits v to [lo, hi] (NaN stays NaN).
func clip(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// nanPercentiles returns numpy's nanpercentile (linear method) of x at p1 and p2
// percent. Both are NaN when x holds no value. buf and buf2 are work arrays (nil, or
// as long as x).
//
// For a low p1 and a high p2 (the cleaning asks for 1 and 99) only the values in the two
// tails are selected from: a strided sample estimates two thresholds beyond which the
// wanted order statistics must lie, one pass collects the values beyond them, and the
// selection runs on those few. When the estimate misses (a tail holds fewer values
// than the rank needs), all values are selected from; either way the order statistics,
// and so the results, are the same.
func nanPercentiles(x []float64, p1, p2 float64, buf, buf2 []float64) (float64, float64) {
	buf, buf2 = grow(buf, len(x)), grow(buf2, len(x))
	if r1, r2, ok := tailPercentiles(x, p1, p2, buf, buf2); ok {
		return r1, r2
	}
	v := buf[:0]
	for _, e := range x {
		if e == e {
			v = append(v, e)
		}
	}
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	if len(v) < parallelMin {
		return percentile(v, p1), percentile(v, p2)
	}
	v2 := buf2[:len(v)]
	copy(v2, v)
	var r1 float64
	var wg sync.WaitGroup
	wg.Go(func() { r1 = percentile(v, p1) })
	r2 := percentile(v2, p2)
	wg.Wait()
	return r1, r2
}

// percentileRanks returns the ranks i <= j of the two order statistics numpy's linear
// percentile p of n values interpolates between, and the weight gamma of the upper one.
func percentileRanks(n int, p float64) (i, j int, gamma float64) {
	q := p / 100
	virtual := float64(n)*q + (1 + q*(1-1-1)) - 1
	prev := math.Floor(virtual)
	gamma = virtual - prev
	i = max(0, min(int(prev), n-1))
	j = max(0, min(int(prev)+1, n-1))
	return i, j, gamma
}

// interpolate is numpy's linear interpolation between the order statistics a <= b.
func interpolate(a, b, gamma float64) float64 {
	diff := b - a
	if gamma >= 0.5 {
		return b - diff*(1-gamma)
	}
	return a + diff*gamma
}

// tailPercentiles is nanPercentiles by the tails (see there); ok is false when p1 or p2
// is not in its tail, x is short, or a threshold estimate missed.
func tailPercentiles(x []float64, p1, p2 float64, buf, buf2 []float64) (r1, r2 float64, ok bool) {
	const sampleSize = 4096
	if len(x) < 8*sampleSize || !(p1 < 25) || !(p2 > 75) {
		return 0, 0, false
	}
	stride := len(x) / sampleSize
	sample := buf[:0]
	n := 0
	for k, e := range x {
		if e == e {
			n++
			if k%stride == 0 {
				sample = append(sample, e)
			}
		}
	}
	m := len(sample)
	if m < sampleSize/2 {
		return 0, 0, false
	}
	i1, j1, g1 := percentileRanks(n, p1)
	i2, j2, g2 := percentileRanks(n, p2)
	// Sample ranks with a margin of several standard deviations of a sample count.
	margin := func(r int) int { return r + 6*int(math.Sqrt(float64(r)+1)) + 8 }
	lowRank := margin((j1 + 1) * m / n)
	highRank := margin((n - i2) * m / n)
	if lowRank >= m || highRank >= m {
		return 0, 0, false
	}
	lowT := selectKth(sample, lowRank)
	highT := selectKth(sample, m-1-highRank)
	if !(lowT < highT) {
		return 0, 0, false
	}
	low, high := buf[:0], buf2[:0]
	for _, e := range x {
		switch {
		case e <= lowT:
			low = append(low, e)
		case e >= highT:
			high = append(high, e)
		}
	}
	// low holds the smallest len(low) values, high the largest len(high).
	if len(low) < j1+1 || len(high) < n-i2 {
		return 0, 0, false
	}
	pair := func(v []float64, i, j int) (float64, float64) {
		a := selectKth(v, i)
		if j == i {
			return a, a
		}
		return a, minOf(v[i+1:])
	}
	a1, b1 := pair(low, i1, j1)
	off := n - len(high)
	a2, b2 := pair(high, i2-off, j2-off)
	return interpolate(a1, b1, g1), interpolate(a2, b2, g2), true
}

func nonNaN(x []float64) []float64 {
	v := make([]float64, 0, len(x))
	for _, e := range x {
		if e == e {
			v = append(v, e)
		}
	}
	return v
}

// percentile is numpy's linear quantile at p percent of v (reordered in place).
func percentile(v []float64, p float64) float64 {
	n := len(v)
	q := p / 100
	virtual := float64(n)*q + (1 + q*(1-1-1)) - 1
	prev := math.Floor(virtual)
	gamma := virtual - prev
	i := max(0, min(int(prev), n-1))
	j := max(0, min(int(prev)+1, n-1))
	a := selectKth(v, i)
	b := a
	if j != i {
		b = minOf(v[i+1:])
	}
	diff := b - a
	if gamma >= 0.5 {
		return b - diff*(1-gamma)
	}
	return a + diff*gamma
}

// median returns the NaN-skipping median of x (NaN if none). buf (which may be x
// itself) receives the reordered values; nil allocates.
func median(x, buf []float64) float64 {
	v := buf[:0]
	for _, e := range x {
		if e == e {
			v = append(v, e)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	m := len(v) / 2
	hi := selectKth(v, m)
	if len(v)%2 == 1 {
		return hi
	}
	return (hi + maxOf(v[:m])) / 2
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, e := range v[1:] {
		m = min(m, e)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, e := range v[1:] {
		m = max(m, e)
	}
	return m
}

// selectKth reorders v (no NaN) so that v[k] is its k-th smallest value, smaller or
// equal values before it and larger or equal after it, and returns v[k] (quickselect
// with a median-of-three pivot and three-way partitioning).
func selectKth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		a, b, c := v[lo], v[mid], v[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		// Dutch national flag partition: [lo,lt) < pivot, [lt,i) == pivot, (gt,hi] > pivot.
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch e := v[i]; {
			case e < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case e > pivot:
				v[i], v[gt] = v[gt], v[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return v[k]
		}
	}
	return v[k]
}

// mean returns the NaN-skipping mean of x (NaN if none).
func mean(x []float64) float64 {
	sum, n := 0.0, 0
	for _, e := range x {
		if e == e {
			sum += e
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// group is a run of kept points, as indices into the cleaned arrays, in time order.
type group []int32

// removeOutliers returns the indices of the points of the denoised log series l that
// survive outlier removal, the dip, connectivity and neighbour filters.
func removeOutliers(t []int64, l []float64, iv intervalEstimate, flatW, bridgeW Windows, r Range, sc *scratch) []int32 {
	n := len(l)
	// Speeds and accelerations, forwards and backwards, and the larger of each pair:
	// V and A, in one pass per half (see speedsAndAccelerations).
	v, a := sc.float64s(n), sc.float64s(n)
	halves(n, func(from, to int) {
		speedsAndAccelerations(t, l, v, a, from, to)
	})

	interval, typical := iv.interval, iv.typical

	// Clipped values at the instrument's borders: flat points near the limits or the 18 h
	// extremes (see clippedFlags).
	flat := medianBelow(v, flatW, flatVelocity, sc)
	buf1, buf2 := sc.float64s(n), sc.float64s(n)
	clipped := clippedFlags(t, l, flat, buf1, buf2, sc)
	sc.release(buf1, buf2)
	high := sc.bools(n)
	excessive := sc.bools(n)
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			// High and excessive accelerations.
			thr, exThr := highAcc, excessiveAcc
			if interval[i] == intervalMax {
				thr, exThr = minuteHighAcc, minuteExcessive
			}
			high[i] = a[i] > thr
			excessive[i] = a[i] > exThr
		}
	})
	// The bridging sum counts flags: prefix counts give it exactly.
	highBefore := sc.int32s(n + 1)
	highBefore[0] = 0
	for i, h := range high {
		highBefore[i+1] = highBefore[i]
		if h {
			highBefore[i+1]++
		}
	}
	sc.releaseWindows(flatW)

	// Split flags on the unfiltered series, grouping over the kept points: a flag on a
	// removed point is lost.
	kept := sc.int32s(n)[:0]
	var starts []int
	defer sc.releaseInt32(kept) // the groups' points
	// Per point (in two halves at once): high or bridged between highs, then whether a
	// group starts there (a change of either flag, or a gap of more than ten intervals).
	isHigh := sc.bools(n)
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			isHigh[i] = high[i] || highBefore[bridgeW.Hi[i]]-highBefore[bridgeW.Lo[i]] >= 2
		}
	})
	starting := high // high is no longer needed
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			step := int64(60 * time.Second)
			sp := false
			if i > 0 {
				step = t[i] - t[i-1]
				sp = clipped[i] != clipped[i-1] || isHigh[i] != isHigh[i-1]
			}
			starting[i] = sp || seconds(step) > gapIntervals*interval[i]
		}
	})
	sc.releaseBools(isHigh)
	for i := range n {
		if clipped[i] || excessive[i] {
			continue
		}
		if starting[i] || len(kept) == 0 {
			starts = append(starts, len(kept))
		}
		kept = append(kept, int32(i))
	}
	groups := make([]group, len(starts))
	for k, s := range starts {
		end := len(kept)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		groups[k] = kept[s:end:end]
	}

	// Velocity filter per group; the groups are independent, so the two halves (by
	// points) are filtered at once.
	drop := sc.bools(len(groups))
	filter := func(from, to int) {
		for k := from; k < to; k++ {
			pts := groups[k]
			if len(pts) > 1 {
				pts = pts[1:]
			}
			drop[k] = groupMean(v, pts) > groupMaxVelocity || groupMedianBelow(v, pts, flatVelocity)
		}
	}
	split := 0
	for points := 0; split < len(groups) && 2*points < len(kept); split++ {
		points += len(groups[split])
	}
	if len(kept) >= parallelMin {
		var wg sync.WaitGroup
		wg.Go(func() { filter(split, len(groups)) })
		filter(0, split)
		wg.Wait()
	} else {
		filter(0, len(groups))
	}
	out := groups[:0]
	for k, g := range groups {
		if !drop[k] {
			out = append(out, g)
		}
	}
	sc.releaseBools(drop)
	// The per-point arrays are done with: later stages reuse them.
	sc.release(v, a)
	sc.releaseBools(clipped, excessive, flat, high)
	sc.releaseInt32(highBefore)
	sc.releaseWindows(bridgeW)
	groups = out
	if len(groups) == 0 {
		return nil
	}

	groups = dipFilter(t, l, groups, sc)
	if len(groups) == 0 {
		return nil
	}
	groups = connectivityFilter(t, l, groups, typical)
	if len(groups) == 0 {
		return nil
	}
	return neighbourFilter(t, groups, interval, r, sc)
}

// clippedFlags returns, per point, whether it is a clipped value: flat and near the
// upper limit (above max(18 h maximum, 10⁻³) − 0.1 decades) or the lower one (below
// min(18 h minimum, 10⁻⁸) + 0.1). buf1 and buf2 are work arrays as long as l.
//
// The 18 h extremes matter only at candidates: flat points above 10⁻³·¹ or below
// 10⁻⁷·⁹ (every point in between is near neither limit, whatever the extremes, since
// max(·, −3) − 0.1 ≥ −3 − 0.1 and min(·, −8) + 0.1 ≤ −8 + 0.1 with rounding being
// monotonic). Clipping is rare, so only the candidates' windows are found and walked.
func clippedFlags(t []int64, l []float64, flat []bool, buf1, buf2 []float64, sc *scratch) []bool {
	n := len(l)
	out := sc.bools(n)
	upper, lower := upperBorder, lowerBorder
	upperT, lowerT := upper-borderSlack, lower+borderSlack
	cand := sc.int32s(n)[:0]
	defer sc.releaseInt32(cand)
	for i, f := range flat {
		if f && !(l[i] <= upperT && l[i] >= lowerT) {
			cand = append(cand, int32(i))
		}
	}
	if len(cand) == 0 {
		return out
	}
	// The candidates' 18 h windows, with the bounds Windows.centered gives them (the
	// width is even: open on the left). Both ends only move forwards.
	const half = int64(clippedWindow) / 2
	cw := Windows{Lo: sc.int32s(len(cand)), Hi: sc.int32s(len(cand))}
	defer sc.releaseInt32(cw.Lo, cw.Hi)
	lo, hi := 0, 0
	for k, i := range cand {
		for t[lo] <= t[i]-half {
			lo++
		}
		hi = max(hi, int(i)+1)
		for hi < n && t[hi] <= t[i]+half {
			hi++
		}
		cw.Lo[k], cw.Hi[k] = int32(lo), int32(hi)
	}
	hx, hn := buf1[:len(cand)], buf2[:len(cand)]
	extremeRange(l, cw, 0, len(cand), true, nil, hx, sc)
	extremeRange(l, cw, 0, len(cand), false, nil, hn, sc)
	for k, i := range cand {
		nearUpper := l[i] > max(hx[k], upperBorder)-borderSlack
		nearLower := l[i] < min(hn[k], lowerBorder)+borderSlack
		out[i] = nearUpper || nearLower
	}
	return out
}

// groupMean is mean of the values x[i], i in pts: the same sum in the same order.
func groupMean(x []float64, pts group) float64 {
	sum, n := 0.0, 0
	for _, i := range pts {
		if e := x[i]; e == e {
			sum += e
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// groupMedianBelow reports whether the median of the values x[i], i in pts (as median
// computes it, NaN skipped; false for none), is below limit. Counts decide, except for
// an even count split exactly at the limit, where the two middle values are the largest
// value below the limit and the smallest one not below it:
//   - more than half below: the middle values a, b are at most the largest value M below
//     the limit, so (a + b)/2 ≤ (M + M)/2 = M < limit (rounding is monotonic, and
//     doubling and halving are exact);
//   - fewer than half below (or, for an odd count, not more than half): the middle
//     values are at least the limit, and so is their mean.
func groupMedianBelow(x []float64, pts group, limit float64) bool {
	m, c := 0, 0
	a, b := math.Inf(-1), math.Inf(1)
	for _, i := range pts {
		e := x[i]
		switch {
		case e < limit:
			c++
			m++
			a = max(a, e)
		case e == e:
			m++
			b = min(b, e)
		}
	}
	switch {
	case m == 0:
		return false
	case 2*c > m:
		return true
	case 2*c < m:
		return false
	}
	return (b+a)/2 < limit
}

// intervalEstimate is the sampling interval (seconds) at each point and its median.
type intervalEstimate struct {
	interval []float64
	typical  float64
}

// medianBelow reports for each window whether the NaN-skipping median of x is below
// limit (false for a window without values). Only counts matter, except for an even
// count split exactly at the limit, where the two middle values are looked up.
func medianBelow(x []float64, ws Windows, limit float64, sc *scratch) []bool {
	n := len(x)
	valid := sc.int32s(n + 1)
	below := sc.int32s(n + 1)
	valid[0], below[0] = 0, 0
	for i, v := range x {
		valid[i+1], below[i+1] = valid[i], below[i]
		if v == v {
			valid[i+1]++
			if v < limit {
				below[i+1]++
			}
		}
	}
	out := sc.bools(n)
	defer sc.releaseInt32(valid, below)
	halves(n, func(from, to int) {
		for i := from; i < to; i++ {
			lo, hi := ws.Lo[i], ws.Hi[i]
			m := valid[hi] - valid[lo]
			c := below[hi] - below[lo]
			switch {
			case m == 0:
			case 2*c > m:
				out[i] = true
			case m%2 == 0 && 2*c == m:
				// The middle values: the largest below the limit, the smallest not below.
				a, b := math.Inf(-1), math.Inf(1)
				for _, v := range x[lo:hi] {
					if v < limit {
						a = max(a, v)
					} else if v == v {
						b = min(b, v)
					}
				}
				out[i] = (a+b)/2 < limit
			}
		}
	})
	return out
}

// durationOf converts seconds to nanoseconds.
func durationOf(s float64) int64 { return int64(math.Round(s * 1e9)) }

// intervals estimates the sampling interval (seconds) at each point: the median of the
// clipped time steps over 540 samples within the point's > 1 h-gap group, the smaller of
// a point's and its successor's. It also returns the median over all points.
func intervals(t []int64, sc *scratch) intervalEstimate {
	n := len(t)
	delta := sc.float64s(n)
	groupOf := sc.int32s(n)
	var g int32
	for i := range n {
		d := int64(60 * time.Second)
		if i > 0 {
			d = t[i] - t[i-1]
		}
		if d > int64(hugeGap) {
			g++
		}
		groupOf[i] = g
		delta[i] = clip(seconds(d), intervalMin, intervalMax)
	}
	ws := sc.counted(groupOf, intervalSamples)
	m := rollingMedian(delta, ws, sc.float64s(n))
	sc.releaseWindows(ws)
	sc.releaseInt32(groupOf)
	interval := delta
	for i := range n {
		if i+1 < n {
			interval[i] = min(m[i], m[i+1])
		} else {
			interval[i] = m[i]
		}
	}
	copy(m, interval)
	typical := median(m[:n], m)
	sc.release(m)
	return intervalEstimate{interval: interval, typical: typical}
}

// dipFilter drops the parts of groups that dip impossibly far below the baseline.
func dipFilter(t []int64, l []float64, groups []group, sc *scratch) []group {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	gt := sc.int64s(total)[:0]
	gl := sc.float64s(total)[:0]
	for _, g := range groups {
		for _, i := range g {
			gt = append(gt, t[i])
			gl = append(gl, l[i])
		}
	}
	// N and Wm hold values of G, taken from few of its points (the 30-min minima): rank
	// just those values, once, for both quantile windows.
	//
	// Wm, the 30-min minimum of N, is the minimum of G over the union of the 30-min
	// windows within a point's window: [Lo[Lo[i]], Hi[Hi[i]−1]) (contiguous, since every
	// window holds its own point). So both come from G at once. Only their values
	// matter (as ranks); the first index of Wm's minimum is also the first index of N's
	// minimum for the windows that hold it, so it is one of N's minima and has a rank.
	w30 := sc.centered(gt, int64(dipMinWindow))
	w60 := Windows{Lo: sc.int32s(total), Hi: sc.int32s(total)}
	halves(total, func(from, to int) {
		for i := from; i < to; i++ {
			w60.Lo[i] = w30.Lo[w30.Lo[i]]
			w60.Hi[i] = w30.Hi[w30.Hi[i]-1]
		}
	})
	var argN, argW []int32
	var wgN sync.WaitGroup
	wgN.Go(func() { argN = rollExtremeIndex(gl, w30, sc.int32s(total), false, sc) })
	argW = rollExtremeIndex(gl, w60, sc.int32s(total), false, sc)
	wgN.Wait()
	sc.releaseInt32(w60.Lo, w60.Hi)
	used := sc.bools(total)
	minima := sc.int32s(total)[:0]
	for _, j := range argN {
		if !used[j] {
			used[j] = true
			minima = append(minima, j)
		}
	}
	values := sc.float64s(len(minima))
	for k, j := range minima {
		values[k] = gl[j]
	}
	rankOf := sc.int32s(total)
	sortedG := sc.float64s(len(minima))[:0]
	for _, k := range sortedOrder(values) {
		if v := values[k]; len(sortedG) == 0 || sortedG[len(sortedG)-1] != v {
			sortedG = append(sortedG, v)
		}
		rankOf[minima[k]] = int32(len(sortedG) - 1)
	}
	sc.release(values)
	// argN and argW become the ranks of N and Wm.
	rankN, rankW := argN, argW
	halves(total, func(from, to int) {
		for i := from; i < to; i++ {
			rankN[i] = rankOf[argN[i]]
			rankW[i] = rankOf[argW[i]]
		}
	})
	sc.releaseBools(used)
	sc.releaseInt32(rankOf)
	var wg sync.WaitGroup
	sc.releaseWindows(w30)
	var b1 []float64
	w4, w16 := sc.centeredPair(gt, int64(dipShortWindow), int64(dipLongWindow))
	wg.Go(func() {
		b1 = rollingQuantileRanked(rankN, sortedG, w4, dipQuantile, sc.float64s(len(gt)))
	})
	b2 := rollingQuantileRanked(rankW, sortedG, w16, dipQuantile, sc.float64s(len(gt)))
	wg.Wait()
	sc.releaseWindows(w4, w16)
	sc.releaseInt32(minima)
	sc.release(sortedG)
	out := groups[:0]
	pos := 0
	for _, g := range groups {
		base := pos
		pos += len(g)
		dip := false
		for k, i := range g {
			if l[i]-min(b1[base+k], b2[base+k]) < dipLimit {
				dip = true
				break
			}
		}
		if !dip {
			out = append(out, g)
			continue
		}
		kept := make(group, 0, len(g))
		for k, i := range g {
			if l[i]-min(b1[base+k], b2[base+k]) > dipKeep {
				kept = append(kept, i)
			}
		}
		if len(kept) >= dipMinPoints {
			out = append(out, kept)
		}
	}
	sc.release(gl, b1, b2)
	sc.releaseInt32(argN, argW)
	sc.releaseInt64(gt)
	return out
}

// neighbourFilter keeps the points of the concatenated groups that have at least 2 % of
// the expected number of neighbours within the window.
func neighbourFilter(t []int64, groups []group, interval []float64, r Range, sc *scratch) []int32 {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	idx := sc.int32s(total)[:0]
	for _, g := range groups {
		idx = append(idx, g...)
	}
	w := min(int64(neighbourWindow), r.End-r.Start)
	gt := sc.int64s(len(idx))
	for k, i := range idx {
		gt[k] = t[i]
	}
	win := sc.centered(gt, w) // no NaN here: the count is the window's length
	out := idx[:0]
	ws := seconds(w)
	for k, i := range idx {
		if float64(win.Hi[k]-win.Lo[k]) >= neighbourShare*ws/interval[i] {
			out = append(out, i)
		}
	}
	sc.releaseWindows(win)
	sc.releaseInt64(gt)
	return out
}

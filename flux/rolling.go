package flux

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sort"
	"sync"
)

// This file holds the moving-window primitives the cleaning and combining algorithms are
// built from. They reproduce pandas' rolling-window semantics, on which the original
// algorithms were tuned:
//
//   - a centered time window of width w around t_i holds every t_j with
//     t_i − w/2 < t_j <= t_i + w/2; when w in nanoseconds is odd both ends are closed
//     with half-width floor(w/2);
//   - aggregations skip NaN and yield NaN only for a window without any non-NaN value;
//   - sums and means are updated incrementally with compensated (Kahan) summation and a
//     window holding nothing but one repeated value yields exactly that value.
//
// Every aggregation runs in O(n) (sums, means, counts, minimum and maximum) or
// O(n log n) (median and quantiles) whatever the window width.

// Windows gives, for each point i of a series, the half-open index range
// [Lo[i], Hi[i]) of the points in its window. Both slices are non-decreasing.
type Windows struct {
	Lo, Hi []int32
}

// Len returns the number of windows (one per point).
func (w Windows) Len() int { return len(w.Lo) }

// CenteredWindows returns the centered time windows of width w (nanoseconds) over the
// ascending times t, with pandas' bounds: (t_i − w/2, t_i + w/2], both ends closed with
// half-width floor(w/2) when w is odd. A width <= 0 gives windows holding only the point
// itself and its equal-time neighbours.
func CenteredWindows(t []int64, w int64) Windows {
	var ws Windows
	ws.reset(len(t))
	ws.centered(t, w)
	return ws
}

func (ws *Windows) reset(n int) {
	if cap(ws.Lo) < n {
		ws.Lo = make([]int32, n)
		ws.Hi = make([]int32, n)
	}
	ws.Lo = ws.Lo[:n]
	ws.Hi = ws.Hi[:n]
}

func (ws *Windows) centered(t []int64, w int64) {
	n := len(t)
	ws.reset(n)
	half := w / 2
	closedLeft := w%2 != 0
	if w < 0 {
		half, closedLeft = 0, true
	}
	// Each window depends on t alone: the two halves are found at once, the second
	// starting from its first window's bounds found by binary search.
	halves(n, func(from, to int) {
		if from >= to {
			return
		}
		left := t[from] - half
		lo := sort.Search(from, func(j int) bool {
			if closedLeft {
				return t[j] >= left
			}
			return t[j] > left
		})
		right := t[from] + half
		hi := from + sort.Search(n-from, func(k int) bool { return t[from+k] > right })
		for i := from; i < to; i++ {
			left := t[i] - half
			if closedLeft {
				for lo < i && t[lo] < left {
					lo++
				}
			} else {
				for lo < i && t[lo] <= left {
					lo++
				}
			}
			if hi < i+1 {
				hi = i + 1
			}
			right := t[i] + half
			for hi < n && t[hi] <= right {
				hi++
			}
			ws.Lo[i] = int32(lo)
			ws.Hi[i] = int32(hi)
		}
	})
}

// centeredPair is ws.centered(t, w) and wb.centered(t, wB) in one walk over t (the
// same bounds; each step loads t[i] once for both).
func centeredPair(t []int64, w, wB int64, ws, wb *Windows) {
	n := len(t)
	ws.reset(n)
	wb.reset(n)
	// The left end is open: t_j > t_i − off, with off = half + 1 for a closed end
	// (integer times: t_j ≥ t_i − half ⇔ t_j > t_i − half − 1).
	bounds := func(w int64) (half, off int64) {
		half = w / 2
		off = half
		if w%2 != 0 {
			off = half + 1
		}
		if w < 0 {
			half, off = 0, 1
		}
		return half, off
	}
	halfA, offA := bounds(w)
	halfB, offB := bounds(wB)
	halves(n, func(from, to int) {
		if from >= to {
			return
		}
		first := func(half, off int64) (int, int) {
			left := t[from] - off
			lo := sort.Search(from, func(j int) bool { return t[j] > left })
			right := t[from] + half
			hi := from + sort.Search(n-from, func(k int) bool { return t[from+k] > right })
			return lo, hi
		}
		loA, hiA := first(halfA, offA)
		loB, hiB := first(halfB, offB)
		for i := from; i < to; i++ {
			ti := t[i]
			for left := ti - offA; loA < i && t[loA] <= left; {
				loA++
			}
			for left := ti - offB; loB < i && t[loB] <= left; {
				loB++
			}
			hiA, hiB = max(hiA, i+1), max(hiB, i+1)
			for right := ti + halfA; hiA < n && t[hiA] <= right; {
				hiA++
			}
			for right := ti + halfB; hiB < n && t[hiB] <= right; {
				hiB++
			}
			ws.Lo[i], ws.Hi[i] = int32(loA), int32(hiA)
			wb.Lo[i], wb.Hi[i] = int32(loB), int32(hiB)
		}
	})
}

// CountWindows returns the centered count-based windows of k samples (pandas
// rolling(k, center=True)): positions [i − (k − 1 − (k−1)/2), i + (k−1)/2], e.g.
// [i − 270, i + 269] for k = 540, clipped to the group of point i. groupOf[i] is the
// group of point i; the points of a group must be contiguous.
func CountWindows(groupOf []int32, k int) Windows {
	var ws Windows
	ws.countWindows(groupOf, k)
	return ws
}

func (ws *Windows) countWindows(groupOf []int32, k int) {
	n := len(groupOf)
	ws.reset(n)
	after := (k - 1) / 2
	before := k - 1 - after
	gs := 0
	for gs < n {
		ge := gs + 1
		for ge < n && groupOf[ge] == groupOf[gs] {
			ge++
		}
		for i := gs; i < ge; i++ {
			ws.Lo[i] = int32(max(i-before, gs))
			ws.Hi[i] = int32(min(i+after+1, ge))
		}
		gs = ge
	}
}

// kahan is pandas' incremental window sum state.
type kahan struct {
	nobs       int
	sum        float64
	compAdd    float64
	compRemove float64
	negCount   int
	sameCount  int
	prev       float64
}

func (k *kahan) add(v float64) {
	if v != v {
		return
	}
	k.nobs++
	y := v - k.compAdd
	t := k.sum + y
	k.compAdd = t - k.sum - y
	k.sum = t
	if math.Signbit(v) {
		k.negCount++
	}
	if v == k.prev {
		k.sameCount++
	} else {
		k.sameCount = 1
	}
	k.prev = v
}

func (k *kahan) remove(v float64) {
	if v != v {
		return
	}
	k.nobs--
	y := -v - k.compRemove
	t := k.sum + y
	k.compRemove = t - k.sum - y
	k.sum = t
	if math.Signbit(v) {
		k.negCount--
	}
}

// rollKahan walks the windows with pandas' add/remove scheme and stores each window's
// sum (mean = false) or mean (mean = true) in out.
func rollKahan(x []float64, ws Windows, out []float64, mean bool) {
	var k kahan
	prevLo, prevHi := 0, 0
	for i := range ws.Lo {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if i == 0 || lo >= prevHi {
			k = kahan{}
			if lo < hi {
				k.prev = x[lo]
			}
			for j := lo; j < hi; j++ {
				k.add(x[j])
			}
		} else {
			for j := prevLo; j < lo; j++ {
				k.remove(x[j])
			}
			for j := prevHi; j < hi; j++ {
				k.add(x[j])
			}
		}
		prevLo, prevHi = lo, hi
		if k.nobs == 0 {
			out[i] = math.NaN()
			continue
		}
		if !mean {
			if k.sameCount >= k.nobs {
				out[i] = k.prev * float64(k.nobs)
			} else {
				out[i] = k.sum
			}
			continue
		}
		out[i] = k.mean()
	}
}

// rollKahanMeans is rollKahan(xa, wa, outA, true) and rollKahan(xb, wb, outB, true) in
// one walk. Each window's compensated sum is a chain of dependent additions whose
// latency, not the number of operations, bounds the speed: two independent chains
// advanced side by side take about the time of one.
func rollKahanMeans(xa, xb []float64, wa, wb Windows, outA, outB []float64) {
	rollKahanPair(xa, xb, wa, wb, outA, outB, true)
}

// rollKahanPair is rollKahan(xa, wa, outA, mean) and rollKahan(xb, wb, outB, mean) in
// one walk (see rollKahanMeans).
func rollKahanPair(xa, xb []float64, wa, wb Windows, outA, outB []float64, mean bool) {
	var ka, kb kahan
	aLo, aHi, bLo, bHi := 0, 0, 0, 0
	n := len(wa.Lo)
	wb.Lo, wb.Hi = wb.Lo[:n], wb.Hi[:n]
	for i := range n {
		lo, hi := int(wa.Lo[i]), int(wa.Hi[i])
		if i > 0 && lo == aLo+1 && hi == aHi+1 && lo < aHi {
			// The usual step: one value leaves, one enters.
			ka.remove(xa[aLo])
			ka.add(xa[aHi])
		} else if i == 0 || lo >= aHi {
			ka = kahan{}
			if lo < hi {
				ka.prev = xa[lo]
			}
			for j := lo; j < hi; j++ {
				ka.add(xa[j])
			}
		} else {
			for j := aLo; j < lo; j++ {
				ka.remove(xa[j])
			}
			for j := aHi; j < hi; j++ {
				ka.add(xa[j])
			}
		}
		aLo, aHi = lo, hi
		lo, hi = int(wb.Lo[i]), int(wb.Hi[i])
		if i > 0 && lo == bLo+1 && hi == bHi+1 && lo < bHi {
			kb.remove(xb[bLo])
			kb.add(xb[bHi])
		} else if i == 0 || lo >= bHi {
			kb = kahan{}
			if lo < hi {
				kb.prev = xb[lo]
			}
			for j := lo; j < hi; j++ {
				kb.add(xb[j])
			}
		} else {
			for j := bLo; j < lo; j++ {
				kb.remove(xb[j])
			}
			for j := bHi; j < hi; j++ {
				kb.add(xb[j])
			}
		}
		bLo, bHi = lo, hi
		if mean {
			outA[i] = ka.mean()
			outB[i] = kb.mean()
		} else {
			outA[i] = ka.total()
			outB[i] = kb.total()
		}
	}
}

// total is pandas' window sum from the running state (NaN for no values).
func (k *kahan) total() float64 {
	switch {
	case k.nobs == 0:
		return math.NaN()
	case k.sameCount >= k.nobs:
		return k.prev * float64(k.nobs)
	}
	return k.sum
}

// mean is pandas' window mean from the running state.
func (k *kahan) mean() float64 {
	if k.nobs == 0 {
		return math.NaN()
	}
	r := k.sum / float64(k.nobs)
	switch {
	case k.sameCount >= k.nobs:
		r = k.prev
	case k.negCount == 0 && r < 0:
		r = 0
	case k.negCount == k.nobs && r > 0:
		r = 0
	}
	return r
}

// RollingSum returns the NaN-skipping sum of x over each window (NaN for a window
// without values), into out (allocated when too short).
func RollingSum(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollingSum(x, ws, out)
}

// rollingSum is RollingSum for windows known to match x.
func rollingSum(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	rollKahan(x, ws, out, false)
	return out
}

// RollingMean returns the NaN-skipping mean of x over each window (NaN for a window
// without values), into out.
func RollingMean(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollingMean(x, ws, out)
}

// rollingMean is RollingMean for windows known to match x.
func rollingMean(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	rollKahan(x, ws, out, true)
	return out
}

// RollingCount returns the number of non-NaN values of x in each window, into out.
func RollingCount(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	nobs := 0
	prevLo, prevHi := 0, 0
	for i := range ws.Lo {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if i == 0 || lo >= prevHi {
			nobs = 0
			prevLo, prevHi = lo, lo
		}
		for j := prevLo; j < lo; j++ {
			if x[j] == x[j] {
				nobs--
			}
		}
		for j := prevHi; j < hi; j++ {
			if x[j] == x[j] {
				nobs++
			}
		}
		out[i] = float64(nobs)
		prevLo, prevHi = lo, hi
	}
	return out
}

// RollingMax returns the NaN-skipping maximum of x over each window, into out.
func RollingMax(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollExtreme(x, ws, out, true)
}

// RollingMin returns the NaN-skipping minimum of x over each window, into out.
func RollingMin(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollExtreme(x, ws, out, false)
}

func rollExtremeMax(x []float64, ws Windows, out []float64, sc *scratch) []float64 {
	return rollExtremeSc(x, ws, out, true, sc)
}

func rollExtremeMin(x []float64, ws Windows, out []float64, sc *scratch) []float64 {
	return rollExtremeSc(x, ws, out, false, sc)
}

// rollExtreme returns the NaN-skipping extreme of x over each window (NaN for a window
// without values).
func rollExtreme(x []float64, ws Windows, out []float64, isMax bool) []float64 {
	return rollExtremeSc(x, ws, out, isMax, nil)
}

// rollExtremeSc is rollExtreme with work arrays from sc (nil: allocated). The windows
// are computed in two halves at once: each window's extreme depends on the window
// alone, so the split does not change any result.
func rollExtremeSc(x []float64, ws Windows, out []float64, isMax bool, sc *scratch) []float64 {
	out = grow(out, ws.Len())
	halves(ws.Len(), func(from, to int) {
		extremeRange(x, ws, from, to, isMax, nil, out, sc)
	})
	return out
}

// rollExtremeIndex returns, per window, the index of the first largest (isMax) or
// smallest value, −1 for a window without values; like rollExtremeSc in two halves.
func rollExtremeIndex(x []float64, ws Windows, out []int32, isMax bool, sc *scratch) []int32 {
	n := ws.Len()
	if cap(out) < n {
		out = make([]int32, n)
	}
	out = out[:n]
	halves(n, func(from, to int) {
		extremeRange(x, ws, from, to, isMax, out, nil, sc)
	})
	return out
}

// parallelMin is the least number of windows worth splitting over two goroutines.
const parallelMin = 16384

// halves runs f(0, n/2) and f(n/2, n) at the same time when n is large enough, else
// f(0, n). f must write only the results of its own range.
func halves(n int, f func(from, to int)) {
	if n < parallelMin {
		f(0, n)
		return
	}
	mid := n / 2
	var wg sync.WaitGroup
	wg.Go(func() { f(mid, n) })
	f(0, mid)
	wg.Wait()
}

// extremeRange stores, for the windows from..to−1, the index of the window's first
// largest (isMax) or smallest non-NaN value in outIdx (−1 for none) and/or the value in
// outVal (NaN for none); either may be nil.
//
// It runs the two-stack queue: the window is split at outHi into an "out" part
// [lo, outHi), whose suffix extremes were computed when it was formed, and an "in" part
// [outHi, hi) with a running extreme. When lo passes outHi, the in part becomes the new
// out part (its suffix extremes computed backwards). Every value is handled a constant
// number of times, with well-predicted comparisons, unlike a monotonic deque's pops.
// Ties resolve to the first index in both parts, so the result does not depend on
// where the walk started.
func extremeRange(x []float64, ws Windows, from, to int, isMax bool, outIdx []int32, outVal []float64, sc *scratch) {
	if from >= to {
		return
	}
	// A minimum is the negated maximum of the negated values (negation is exact and
	// keeps ties and NaN as they are), so one comparison serves both.
	sgn := 1.0
	if !isMax {
		sgn = -1
	}
	base := int(ws.Lo[from])
	// The out part is formed from one window's values at a time, so its suffix extremes
	// need room for the widest window only (indexed from the part's start, sBase). Small
	// ones are not taken from sc, which would give them a series' length.
	widest := 0
	for i := from; i < to; i++ {
		widest = max(widest, int(ws.Hi[i]-ws.Lo[i]))
	}
	var suf []int32
	var sufV []float64
	if sc != nil && widest > 1<<12 {
		suf, sufV = sc.int32s(widest), sc.float64s(widest)
		defer func() {
			sc.releaseInt32(suf)
			sc.release(sufV)
		}()
	} else {
		suf, sufV = make([]int32, widest), make([]float64, widest)
	}
	nan := math.NaN()
	outHi, inHi, sBase := base, base, base
	inBest, inV := int32(-1), 0.0
	for i := from; i < to; i++ {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		for ; inHi < hi; inHi++ {
			if v := x[inHi] * sgn; v == v && (inBest < 0 || v > inV) {
				inBest, inV = int32(inHi), v
			}
		}
		if lo >= outHi {
			b, bv := int32(-1), 0.0
			sBase = lo
			for j := inHi - 1; j >= lo; j-- {
				if v := x[j] * sgn; v == v && (b < 0 || !(bv > v)) {
					b, bv = int32(j), v
				}
				suf[j-sBase], sufV[j-sBase] = b, bv
			}
			outHi = inHi
			inBest = -1
		}
		best, bestV := int32(-1), nan
		if lo < outHi {
			best, bestV = suf[lo-sBase], sufV[lo-sBase]
		}
		if inBest >= 0 && (best < 0 || inV > bestV) {
			best, bestV = inBest, inV
		}
		if outIdx != nil {
			outIdx[i] = best
		}
		if outVal != nil {
			if best < 0 {
				bestV = nan
			}
			outVal[i] = bestV * sgn
		}
	}
}

// rollMaxPair stores the NaN-skipping maxima of xa and of xb over the windows ws in
// outA and outB (NaN for a window without values), in two halves at once. It is
// extremeRange for two arrays with the same windows: the two-stack walk's steps depend
// on the windows alone, so both arrays share them, and NaN marks an empty part instead
// of an index. Ties do not matter for a value.
func rollMaxPair(xa, xb []float64, ws Windows, outA, outB []float64) {
	halves(ws.Len(), func(from, to int) {
		maxPairRange(xa, xb, ws, from, to, outA, outB)
	})
}

func maxPairRange(xa, xb []float64, ws Windows, from, to int, outA, outB []float64) {
	if from >= to {
		return
	}
	widest := 0
	for i := from; i < to; i++ {
		widest = max(widest, int(ws.Hi[i]-ws.Lo[i]))
	}
	sufA, sufB := make([]float64, widest), make([]float64, widest)
	nan := math.NaN()
	base := int(ws.Lo[from])
	outHi, inHi, sBase := base, base, base
	inA, inB := nan, nan
	for i := from; i < to; i++ {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		for ; inHi < hi; inHi++ {
			if v := xa[inHi]; v > inA || inA != inA {
				inA = v
			}
			if v := xb[inHi]; v > inB || inB != inB {
				inB = v
			}
		}
		if lo >= outHi {
			ba, bb := nan, nan
			sBase = lo
			for j := inHi - 1; j >= lo; j-- {
				if v := xa[j]; v == v && !(ba > v) {
					ba = v
				}
				if v := xb[j]; v == v && !(bb > v) {
					bb = v
				}
				sufA[j-sBase], sufB[j-sBase] = ba, bb
			}
			outHi = inHi
			inA, inB = nan, nan
		}
		a, b := nan, nan
		if lo < outHi {
			a, b = sufA[lo-sBase], sufB[lo-sBase]
		}
		if inA > a || a != a {
			a = inA
		}
		if inB > b || b != b {
			b = inB
		}
		outA[i], outB[i] = a, b
	}
}

// RollingMedian returns the NaN-skipping median of x over each window (the mean of the
// two middle values for an even count), into out.
func RollingMedian(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollingMedian(x, ws, out)
}

// rollingMedian is RollingMedian for windows known to match x.
func rollingMedian(x []float64, ws Windows, out []float64) []float64 {
	return rollOrder(x, ws, out, 0.5, true)
}

// medianStat is the median of a window of nobs > 0 values.
func medianStat(r orderWindow, nobs int) float64 {
	mid := nobs / 2
	if nobs%2 == 1 {
		return r.kth(mid)
	}
	return (r.kth(mid) + r.kth(mid-1)) / 2
}

// RollingQuantile returns the NaN-skipping quantile q (0..1, linear interpolation
// between the two nearest ranks) of x over each window, into out.
func RollingQuantile(x []float64, ws Windows, q float64, out []float64) []float64 {
	out = grow(out, ws.Len())
	if mismatched(x, ws, out) {
		return out
	}
	return rollOrder(x, ws, out, q, false)
}

// rollingQuantileRanked is RollingQuantile over values given by their ranks into
// sorted (−1 for NaN), for callers that rank several arrays of the same values at once.
func rollingQuantileRanked(rank []int32, sorted []float64, ws Windows, q float64, out []float64) []float64 {
	return rollRank(newRankWindowOf(rank, sorted), ws, out, q, false)
}

// smallWindow is the largest window (in points) for which order statistics keep the
// window's values in a plain sorted slice.
const smallWindow = 96

// orderWindow is a multiset of the values in the current window supporting k-th
// smallest queries.
type orderWindow interface {
	add(i int)
	remove(i int)
	kth(k int) float64
	// kth2 returns the k-th and (k+1)-th smallest values (k+1 < len).
	kth2(k int) (float64, float64)
	len() int
	// same reports whether the values at i and j are equal (or both NaN), so that
	// removing one and adding the other leaves the multiset as it is.
	same(i, j int) bool
}

// rollOrder returns the rolling median (median = true) or quantile q of x.
func rollOrder(x []float64, ws Windows, out []float64, q float64, median bool) []float64 {
	widest := 0
	for i := range ws.Len() {
		widest = max(widest, int(ws.Hi[i]-ws.Lo[i]))
	}
	if widest > smallWindow {
		return rollRank(newRankWindow(x), ws, out, q, median)
	}
	stat := medianStat
	if !median {
		stat = quantileStat(q)
	}
	return rollOrderOf(&sortedWindow{x: x, v: make([]float64, 0, widest)}, ws, out, stat)
}

// rollRank is rollOrderOf for a rankWindow and the median (median = true) or the
// quantile q, with the window's methods called directly rather than through the
// interface, which lets the compiler inline them: the per-point work is a few
// instructions, so the calls would cost as much as the work.
func rollRank(r *rankWindow, ws Windows, out []float64, q float64, median bool) []float64 {
	n := ws.Len()
	out = grow(out, n)
	prevLo, prevHi := 0, 0
	for i := range n {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if i > 0 && lo == prevLo+1 && hi == prevHi+1 && prevHi > prevLo && r.rank[prevLo] == r.rank[prevHi] {
			out[i] = out[i-1] // see rollOrderOf
			prevLo, prevHi = lo, hi
			continue
		}
		if i == 0 || lo >= prevHi {
			for j := prevLo; j < prevHi; j++ {
				r.remove(j)
			}
			prevLo, prevHi = lo, lo
		}
		for j := prevLo; j < lo; j++ {
			r.remove(j)
		}
		for j := prevHi; j < hi; j++ {
			r.add(j)
		}
		prevLo, prevHi = lo, hi
		nobs := r.n
		switch {
		case nobs == 0:
			out[i] = math.NaN()
		case median:
			mid := nobs / 2
			if nobs%2 == 1 {
				out[i] = r.kth(mid)
			} else {
				a, b := r.kth2(mid - 1)
				out[i] = (b + a) / 2
			}
		case nobs == 1:
			out[i] = r.kth(0)
		default:
			h := q * float64(nobs-1)
			idx := int(h)
			if float64(idx) == h || idx+1 >= nobs {
				out[i] = r.kth(idx)
				continue
			}
			var lowV, highV float64
			if c := r.below + int(r.count[r.cur]); r.below <= idx && idx+1 < c {
				// Both order statistics at the cursor's rank (the usual case: the
				// wanted rank moves little from one window to the next).
				lowV = r.sorted[r.cur]
				highV = lowV
			} else {
				lowV, highV = r.kth2(idx)
			}
			out[i] = lowV + (highV-lowV)*(h-float64(idx))
		}
	}
	return out
}

// quantileStat is pandas' linear rolling quantile over a window of nobs > 0 values.
func quantileStat(q float64) func(r orderWindow, nobs int) float64 {
	return func(r orderWindow, nobs int) float64 {
		if nobs == 1 {
			return r.kth(0)
		}
		h := q * float64(nobs-1)
		idx := int(h)
		if float64(idx) == h || idx+1 >= nobs {
			return r.kth(idx)
		}
		lowV, highV := r.kth2(idx)
		return lowV + (highV-lowV)*(h-float64(idx))
	}
}

func rollOrderOf(r orderWindow, ws Windows, out []float64, stat func(r orderWindow, nobs int) float64) []float64 {
	n := ws.Len()
	out = grow(out, n)
	prevLo, prevHi := 0, 0
	for i := range n {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if i > 0 && lo == prevLo+1 && hi == prevHi+1 && prevHi > prevLo && r.same(prevLo, prevHi) {
			// One value leaves and an equal one enters (common for piecewise constant
			// data such as sampling steps and running minima): the multiset, and so its
			// statistic, stays the same.
			out[i] = out[i-1]
			prevLo, prevHi = lo, hi
			continue
		}
		if i == 0 || lo >= prevHi {
			// A window disjoint from the previous one: empty the multiset element by
			// element, which keeps the whole pass O(n) however often it happens.
			for j := prevLo; j < prevHi; j++ {
				r.remove(j)
			}
			prevLo, prevHi = lo, lo
		}
		for j := prevLo; j < lo; j++ {
			r.remove(j)
		}
		for j := prevHi; j < hi; j++ {
			r.add(j)
		}
		if c := r.len(); c == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = stat(r, c)
		}
		prevLo, prevHi = lo, hi
	}
	return out
}

// sortedWindow keeps a small window's non-NaN values sorted.
type sortedWindow struct {
	x []float64
	v []float64
}

func (w *sortedWindow) len() int { return len(w.v) }

func (w *sortedWindow) add(i int) {
	x := w.x[i]
	if x != x {
		return
	}
	// First position holding a value > x.
	lo, hi := 0, len(w.v)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.v[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	w.v = append(w.v, 0)
	copy(w.v[lo+1:], w.v[lo:])
	w.v[lo] = x
}

func (w *sortedWindow) remove(i int) {
	x := w.x[i]
	if x != x {
		return
	}
	// First position holding a value >= x: an equal value is there.
	lo, hi := 0, len(w.v)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.v[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(w.v) && w.v[lo] == x {
		copy(w.v[lo:], w.v[lo+1:])
		w.v = w.v[:len(w.v)-1]
	}
}

func (w *sortedWindow) kth(k int) float64 { return w.v[k] }

func (w *sortedWindow) kth2(k int) (float64, float64) { return w.v[k], w.v[k+1] }

func (w *sortedWindow) same(i, j int) bool {
	a, b := w.x[i], w.x[j]
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

// rankWindow is an order-statistics multiset over the values of a fixed array. Each
// non-NaN value gets its rank in the sorted array once; the window is a count per rank
// plus a bitmap of the occupied ranks, and a cursor remembers where the last k-th
// smallest value was. A sliding window moves the wanted rank only a little per step, so
// the cursor walks a few occupied ranks (skipping 64 empty ones per word) per query.
type rankWindow struct {
	rank   []int32   // rank of x[i], −1 for NaN
	sorted []float64 // value of each rank
	count  []int32   // window values per rank
	bits   []uint64  // occupied ranks
	words  []uint64  // non-zero words of bits, to skip long empty stretches
	n      int       // values in the window
	cur    int       // cursor rank
	below  int       // window values with rank < cur
}

func newRankWindow(x []float64) *rankWindow {
	return newRankWindowOf(ranksOf(x))
}

// ranksOf returns the rank of each value of x among its distinct non-NaN values (−1 for
// NaN) and the distinct values in ascending order.
func ranksOf(x []float64) ([]int32, []float64) {
	if rank, sorted, ok := ranksFewDistinct(x, 1024); ok {
		return rank, sorted
	}
	order := sortedOrder(x)
	rank := make([]int32, len(x))
	for i := range rank {
		rank[i] = -1
	}
	sorted := make([]float64, 0, len(order))
	for _, idx := range order {
		v := x[idx]
		if len(sorted) == 0 || sorted[len(sorted)-1] != v {
			sorted = append(sorted, v)
		}
		rank[idx] = int32(len(sorted) - 1)
	}
	return rank, sorted
}

// ranksFewDistinct is ranksOf for arrays with at most limit distinct values (such as
// sampling intervals); ok is false when there are more.
func ranksFewDistinct(x []float64, limit int) (rank []int32, sorted []float64, ok bool) {
	ids := make(map[float64]int32)
	rank = make([]int32, len(x))
	last, lastID := math.NaN(), int32(-1)
	for i, v := range x {
		switch {
		case v != v:
			rank[i] = -1
			continue
		case v == last:
			rank[i] = lastID
			continue
		}
		id, seen := ids[v]
		if !seen {
			if len(ids) == limit {
				return nil, nil, false
			}
			id = int32(len(ids))
			ids[v] = id
			sorted = append(sorted, v)
		}
		rank[i], last, lastID = id, v, id
	}
	// Renumber the ids in value order.
	byValue := make([]int32, len(sorted))
	for i := range byValue {
		byValue[i] = int32(i)
	}
	slices.SortFunc(byValue, func(a, b int32) int { return cmp.Compare(sorted[a], sorted[b]) })
	remap := make([]int32, len(sorted))
	values := make([]float64, len(sorted))
	for k, id := range byValue {
		remap[id] = int32(k)
		values[k] = sorted[id]
	}
	for i, id := range rank {
		if id >= 0 {
			rank[i] = remap[id]
		}
	}
	return rank, values, true
}

// newRankWindowOf builds the multiset from precomputed ranks into sorted.
func newRankWindowOf(rank []int32, sorted []float64) *rankWindow {
	return &rankWindow{
		rank:   rank,
		sorted: sorted,
		count:  make([]int32, len(sorted)),
		bits:   make([]uint64, (len(sorted)+63)/64),
		words:  make([]uint64, (len(sorted)+64*64-1)/(64*64)),
	}
}

func (r *rankWindow) len() int { return r.n }

func (r *rankWindow) same(i, j int) bool { return r.rank[i] == r.rank[j] }

func (r *rankWindow) add(i int) {
	k := r.rank[i]
	if k < 0 {
		return
	}
	r.n++
	r.count[k]++
	r.bits[k>>6] |= 1 << (k & 63)
	r.words[k>>12] |= 1 << ((k >> 6) & 63)
	if int(k) < r.cur {
		r.below++
	}
}

func (r *rankWindow) remove(i int) {
	k := r.rank[i]
	if k < 0 {
		return
	}
	r.n--
	r.count[k]--
	if r.count[k] == 0 {
		r.bits[k>>6] &^= 1 << (k & 63)
		if r.bits[k>>6] == 0 {
			r.words[k>>12] &^= 1 << ((k >> 6) & 63)
		}
	}
	if int(k) < r.cur {
		r.below--
	}
}

// kth returns the k-th smallest value (0-based, k < len) in the window.
func (r *rankWindow) kth(k int) float64 {
	for r.below > k {
		r.cur = r.prevSet(r.cur - 1)
		r.below -= int(r.count[r.cur])
	}
	for r.below+int(r.count[r.cur]) <= k {
		r.below += int(r.count[r.cur])
		r.cur = r.nextSet(r.cur + 1)
	}
	return r.sorted[r.cur]
}

// kth2 returns the k-th and (k+1)-th smallest values (k+1 < len): the second is the
// first one's rank again or the next occupied one.
func (r *rankWindow) kth2(k int) (float64, float64) {
	a := r.kth(k)
	if k+1 < r.below+int(r.count[r.cur]) {
		return a, a
	}
	return a, r.sorted[r.nextSet(r.cur+1)]
}

// nextSet returns the first occupied rank >= from (one exists).
func (r *rankWindow) nextSet(from int) int {
	w := from >> 6
	if word := r.bits[w] >> (from & 63); word != 0 {
		return from + bits.TrailingZeros64(word)
	}
	w = r.nextWord(w + 1)
	return w<<6 + bits.TrailingZeros64(r.bits[w])
}

// nextWord returns the first non-zero word of bits at index >= w (one exists).
func (r *rankWindow) nextWord(w int) int {
	s := w >> 6
	if word := r.words[s] >> (w & 63); word != 0 {
		return w + bits.TrailingZeros64(word)
	}
	for s++; r.words[s] == 0; s++ {
	}
	return s<<6 + bits.TrailingZeros64(r.words[s])
}

// prevSet returns the last occupied rank <= from (one exists).
func (r *rankWindow) prevSet(from int) int {
	w := from >> 6
	if word := r.bits[w] << (63 - from&63); word != 0 {
		return from - bits.LeadingZeros64(word)
	}
	w = r.prevWord(w - 1)
	return w<<6 + 63 - bits.LeadingZeros64(r.bits[w])
}

// prevWord returns the last non-zero word of bits at index <= w (one exists).
func (r *rankWindow) prevWord(w int) int {
	s := w >> 6
	if word := r.words[s] << (63 - w&63); word != 0 {
		return w - bits.LeadingZeros64(word)
	}
	for s--; r.words[s] == 0; s-- {
	}
	return s<<6 + 63 - bits.LeadingZeros64(r.words[s])
}

// sortedOrder returns the indices of the non-NaN values of x in ascending value order
// (ties by index). A long array is sorted in two halves at once, which are then merged
// (on ties the first half's index, the smaller one, goes first).
func sortedOrder(x []float64) []int32 {
	if len(x) < parallelMin {
		return radixOrder(x, 0)
	}
	mid := len(x) / 2
	var a []int32
	var wg sync.WaitGroup
	wg.Go(func() { a = radixOrder(x[:mid], 0) })
	b := radixOrder(x[mid:], int32(mid))
	wg.Wait()
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if x[b[j]] < x[a[i]] {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// radixOrder returns the indices (plus offset) of the non-NaN values of x in ascending
// value order (ties by index), by an LSD radix sort on the order-preserving bit pattern.
func radixOrder(x []float64, offset int32) []int32 {
	n := 0
	for _, v := range x {
		if v == v {
			n++
		}
	}
	keys := make([]uint64, 0, n)
	idx := make([]int32, 0, n)
	for i, v := range x {
		if v != v {
			continue
		}
		keys = append(keys, sortKey(v))
		idx = append(idx, int32(i)+offset)
	}
	keys2 := make([]uint64, n)
	idx2 := make([]int32, n)
	const bits = 11
	const mask = 1<<bits - 1
	var counts [1 << bits]int32
	for shift := uint(0); shift < 64; shift += bits {
		clear(counts[:])
		for _, k := range keys {
			counts[(k>>shift)&mask]++
		}
		if n == 0 || int(counts[(keys[0]>>shift)&mask]) == n {
			continue // the same digit everywhere: nothing to reorder
		}
		var sum int32
		for d := range counts {
			c := counts[d]
			counts[d] = sum
			sum += c
		}
		for j, k := range keys {
			d := (k >> shift) & mask
			p := counts[d]
			counts[d]++
			keys2[p] = k
			idx2[p] = idx[j]
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return idx
}

// sortKey maps a non-NaN float64 to a uint64 with the same order (−0 equals +0).
func sortKey(v float64) uint64 {
	if v == 0 {
		v = 0
	}
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// mismatched reports whether x does not have one value per window (or the windows
// reach beyond x), filling out with NaN in that case: the exported aggregations never
// index out of range.
func mismatched(x []float64, ws Windows, out []float64) bool {
	bad := len(x) != ws.Len() || len(ws.Lo) != len(ws.Hi)
	for i := 0; !bad && i < len(ws.Lo); i++ {
		bad = ws.Lo[i] < 0 || ws.Hi[i] < ws.Lo[i] || int(ws.Hi[i]) > len(x) ||
			(i > 0 && (ws.Lo[i] < ws.Lo[i-1] || ws.Hi[i] < ws.Hi[i-1]))
	}
	if bad {
		for i := range out {
			out[i] = math.NaN()
		}
	}
	return bad
}

// grow returns out resized to n, reallocated if its capacity is too small.
func grow(out []float64, n int) []float64 {
	if cap(out) < n {
		return make([]float64, n)
	}
	return out[:n]
}

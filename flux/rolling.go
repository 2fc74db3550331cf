package flux

import (
	"math"
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
	lo, hi := 0, 0
	for i := range n {
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

// rollKahan walks the windows with pandas' add/remove scheme and calls emit with the
// state of each window.
func rollKahan(x []float64, ws Windows, emit func(i int, k *kahan)) {
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
		emit(i, &k)
		prevLo, prevHi = lo, hi
	}
}

// RollingSum returns the NaN-skipping sum of x over each window (NaN for a window
// without values), into out (allocated when too short).
func RollingSum(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	rollKahan(x, ws, func(i int, k *kahan) {
		switch {
		case k.nobs == 0:
			out[i] = math.NaN()
		case k.sameCount >= k.nobs:
			out[i] = k.prev * float64(k.nobs)
		default:
			out[i] = k.sum
		}
	})
	return out
}

// RollingMean returns the NaN-skipping mean of x over each window (NaN for a window
// without values), into out.
func RollingMean(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
	rollKahan(x, ws, func(i int, k *kahan) {
		if k.nobs == 0 {
			out[i] = math.NaN()
			return
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
		out[i] = r
	})
	return out
}

// RollingCount returns the number of non-NaN values of x in each window, into out.
func RollingCount(x []float64, ws Windows, out []float64) []float64 {
	out = grow(out, ws.Len())
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
	return rollExtreme(x, ws, out, true)
}

// RollingMin returns the NaN-skipping minimum of x over each window, into out.
func RollingMin(x []float64, ws Windows, out []float64) []float64 {
	return rollExtreme(x, ws, out, false)
}

// rollExtreme keeps a monotonic deque of indices whose values decrease (max) or
// increase (min) from front to back; NaN values never enter it.
func rollExtreme(x []float64, ws Windows, out []float64, isMax bool) []float64 {
	n := ws.Len()
	out = grow(out, n)
	q := make([]int32, 0, 64)
	head := 0
	next := 0
	for i := range n {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if next < lo {
			next = lo
		}
		for ; next < hi; next++ {
			v := x[next]
			if v != v {
				continue
			}
			if isMax {
				for len(q) > head && x[q[len(q)-1]] <= v {
					q = q[:len(q)-1]
				}
			} else {
				for len(q) > head && x[q[len(q)-1]] >= v {
					q = q[:len(q)-1]
				}
			}
			q = append(q, int32(next))
		}
		for head < len(q) && int(q[head]) < lo {
			head++
		}
		if head == len(q) {
			out[i] = math.NaN()
		} else {
			out[i] = x[q[head]]
		}
		if head > 4096 && head*2 > len(q) {
			q = append(q[:0], q[head:]...)
			head = 0
		}
	}
	return out
}

// RollingMedian returns the NaN-skipping median of x over each window (the mean of the
// two middle values for an even count), into out.
func RollingMedian(x []float64, ws Windows, out []float64) []float64 {
	return rollOrder(x, ws, out, func(r *rankWindow, nobs int) float64 {
		mid := nobs / 2
		if nobs%2 == 1 {
			return r.kth(mid)
		}
		return (r.kth(mid) + r.kth(mid-1)) / 2
	})
}

// RollingQuantile returns the NaN-skipping quantile q (0..1, linear interpolation
// between the two nearest ranks) of x over each window, into out.
func RollingQuantile(x []float64, ws Windows, q float64, out []float64) []float64 {
	return rollOrder(x, ws, out, func(r *rankWindow, nobs int) float64 {
		if nobs == 1 {
			return r.kth(0)
		}
		h := q * float64(nobs-1)
		idx := int(h)
		lowV := r.kth(idx)
		if float64(idx) == h || idx+1 >= nobs {
			return lowV
		}
		highV := r.kth(idx + 1)
		return lowV + (highV-lowV)*(h-float64(idx))
	})
}

func rollOrder(x []float64, ws Windows, out []float64, stat func(r *rankWindow, nobs int) float64) []float64 {
	n := ws.Len()
	out = grow(out, n)
	r := newRankWindow(x)
	prevLo, prevHi := 0, 0
	for i := range n {
		lo, hi := int(ws.Lo[i]), int(ws.Hi[i])
		if i == 0 || lo >= prevHi {
			r.clear()
			prevLo, prevHi = lo, lo
		}
		for j := prevLo; j < lo; j++ {
			r.remove(j)
		}
		for j := prevHi; j < hi; j++ {
			r.add(j)
		}
		if r.count == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = stat(r, r.count)
		}
		prevLo, prevHi = lo, hi
	}
	return out
}

// rankWindow is an order-statistics multiset over the values of a fixed array: each
// non-NaN value gets its rank in the sorted array once, and a Fenwick tree over ranks
// counts which are in the window, so adding, removing and finding the k-th smallest
// value all take O(log n).
type rankWindow struct {
	x      []float64
	rank   []int32 // rank of x[i] in sorted order, −1 for NaN
	sorted []float64
	tree   []int32 // 1-based Fenwick tree over ranks
	count  int
	top    int // highest power of two <= len(sorted)
}

func newRankWindow(x []float64) *rankWindow {
	order := sortedOrder(x)
	r := &rankWindow{
		x:      x,
		rank:   make([]int32, len(x)),
		sorted: make([]float64, len(order)),
		tree:   make([]int32, len(order)+1),
	}
	for i := range r.rank {
		r.rank[i] = -1
	}
	for k, idx := range order {
		r.rank[idx] = int32(k)
		r.sorted[k] = x[idx]
	}
	r.top = 1
	for r.top*2 <= len(order) {
		r.top *= 2
	}
	return r
}

func (r *rankWindow) clear() {
	clear(r.tree)
	r.count = 0
}

func (r *rankWindow) add(i int) {
	k := r.rank[i]
	if k < 0 {
		return
	}
	r.count++
	for p := int(k) + 1; p < len(r.tree); p += p & -p {
		r.tree[p]++
	}
}

func (r *rankWindow) remove(i int) {
	k := r.rank[i]
	if k < 0 {
		return
	}
	r.count--
	for p := int(k) + 1; p < len(r.tree); p += p & -p {
		r.tree[p]--
	}
}

// kth returns the k-th smallest value (0-based) in the window.
func (r *rankWindow) kth(k int) float64 {
	pos := 0
	rem := int32(k + 1)
	for step := r.top; step > 0; step >>= 1 {
		if p := pos + step; p < len(r.tree) && r.tree[p] < rem {
			pos = p
			rem -= r.tree[p]
		}
	}
	return r.sorted[pos]
}

// sortedOrder returns the indices of the non-NaN values of x in ascending value order
// (ties by index), by an LSD radix sort on the order-preserving bit pattern.
func sortedOrder(x []float64) []int32 {
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
		if v == 0 {
			v = 0 // −0 and +0 are equal
		}
		b := math.Float64bits(v)
		if b>>63 != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys = append(keys, b)
		idx = append(idx, int32(i))
	}
	keys2 := make([]uint64, n)
	idx2 := make([]int32, n)
	var counts [1 << 16]int32
	for shift := uint(0); shift < 64; shift += 16 {
		// Skip a pass whose digit is the same everywhere.
		clear(counts[:])
		for _, k := range keys {
			counts[(k>>shift)&0xffff]++
		}
		if n > 0 && int(counts[(keys[0]>>shift)&0xffff]) == n {
			continue
		}
		var sum int32
		for d := range counts {
			c := counts[d]
			counts[d] = sum
			sum += c
		}
		for j, k := range keys {
			d := (k >> shift) & 0xffff
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

// grow returns out resized to n, reallocated if its capacity is too small.
func grow(out []float64, n int) []float64 {
	if cap(out) < n {
		return make([]float64, n)
	}
	return out[:n]
}

package flux

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
)

// Combining constants.
const (
	maxTimeWeight    = 60 * time.Second // per side of a sample
	weightSmoothing  = 10 * time.Minute // centered window of the weight smoothing
	combineGap       = 5 * time.Minute  // a longer step between clean samples is a gap
	minRelativeCount = 0.25             // a satellite with less data than this share of the best gets no weight
)

// Combine merges the satellites' channels of each band into the combined channels
// (satellite 0), raw and clean, following the original server's
// combine_flux_channels. channels holds the raw and clean series of every satellite
// (satellite 0 entries are ignored); r is the range the series were read for, whose
// ends count as gaps. A satellite whose raw or clean counterpart is missing takes it as
// empty. A band with a single satellite passes its series through unchanged (less any
// NaN values, which the store drops anyway). The combined value is a weighted mean in
// linear flux; weights follow how much clean data each satellite has per gap-free
// segment, smoothed over 10 minutes. NaN results are left out.
//
// The result holds the channels (0, band, false) and (0, band, true) for every band
// present in channels; the bands, and a band's two versions, are computed concurrently.
func Combine(channels map[Channel]Series, r Range) map[Channel]Series {
	type bandResult struct {
		raw, clean Series
		ok         bool
	}
	results := make([]bandResult, len(Bands))
	bands := 0
	for _, b := range Bands {
		for c := range channels {
			if c.Band == b && c.Satellite != CombinedSatellite {
				bands++
				break
			}
		}
	}
	var wg sync.WaitGroup
	for k, b := range Bands {
		var sats []int16
		for c := range channels {
			if c.Band == b && c.Satellite != CombinedSatellite && !slices.Contains(sats, c.Satellite) {
				sats = append(sats, c.Satellite)
			}
		}
		if len(sats) == 0 {
			continue
		}
		// Newest satellite first: a fixed column order keeps the sums reproducible.
		slices.SortFunc(sats, func(a, b int16) int { return cmp.Compare(b, a) })
		raw := make([]Series, len(sats))
		clean := make([]Series, len(sats))
		for j, s := range sats {
			raw[j] = channels[Channel{Satellite: s, Band: b}]
			clean[j] = channels[Channel{Satellite: s, Band: b, Clean: true}]
		}
		// The bands are independent: each one's work runs on its own goroutines.
		wg.Go(func() {
			for j := range sats {
				raw[j] = SortedUnique(raw[j])
				clean[j] = SortedUnique(clean[j])
			}
			rawOut, cleanOut := combineBand(raw, clean, r, bands == 1)
			results[k] = bandResult{raw: rawOut, clean: cleanOut, ok: true}
		})
	}
	wg.Wait()
	out := make(map[Channel]Series)
	for k, b := range Bands {
		if res := results[k]; res.ok {
			out[Channel{Satellite: CombinedSatellite, Band: b}] = res.raw
			out[Channel{Satellite: CombinedSatellite, Band: b, Clean: true}] = res.clean
		}
	}
	return out
}

// frame is an outer join of series on the union of their times: one column per series,
// NaN where a series has no sample.
type frame struct {
	t    []int64
	cols [][]float32
}

func join(series []Series) frame {
	if len(series) == 2 {
		return join2(series[0], series[1])
	}
	var t []int64 // read only: may be the first series' own times
	for k, s := range series {
		if k == 0 {
			t = s.Time
			continue
		}
		t = mergeTimes(t, s.Time)
	}
	f := frame{t: t, cols: make([][]float32, len(series))}
	colBuf := make([]float32, len(series)*len(t))
	nan := float32(math.NaN())
	for c, s := range series {
		col := colBuf[c*len(t) : (c+1)*len(t) : (c+1)*len(t)]
		j := 0
		for i, ti := range t {
			if j < len(s.Time) && s.Time[j] == ti {
				col[i] = s.Flux[j]
				j++
			} else {
				col[i] = nan
			}
		}
		f.cols[c] = col
	}
	return f
}

// join2 is join for two series (the usual case): one merge walk yields the union of
// times and both columns.
func join2(a, b Series) frame {
	// The union's size first (a walk without writes), so that the arrays are exact.
	n := len(a.Time) + len(b.Time)
	for i, j := 0, 0; i < len(a.Time) && j < len(b.Time); {
		switch ta, tb := a.Time[i], b.Time[j]; {
		case ta < tb:
			i++
		case ta > tb:
			j++
		default:
			i++
			j++
			n--
		}
	}
	t := make([]int64, n)
	cols := make([]float32, 2*n)
	ca, cb := cols[:n:n], cols[n:]
	nan := float32(math.NaN())
	at, bt := a.Time, b.Time
	af, bf := a.Flux[:len(at)], b.Flux[:len(bt)]
	i, j, k := 0, 0, 0
	for ; i < len(at) && j < len(bt); k++ {
		switch ta, tb := at[i], bt[j]; {
		case ta < tb:
			t[k], ca[k], cb[k] = ta, af[i], nan
			i++
		case ta > tb:
			t[k], ca[k], cb[k] = tb, nan, bf[j]
			j++
		default:
			t[k], ca[k], cb[k] = ta, af[i], bf[j]
			i++
			j++
		}
	}
	for ; i < len(at); i, k = i+1, k+1 {
		t[k], ca[k], cb[k] = at[i], af[i], nan
	}
	for ; j < len(bt); j, k = j+1, k+1 {
		t[k], ca[k], cb[k] = bt[j], nan, bf[j]
	}
	return frame{t: t[:k:k], cols: [][]float32{ca[:k:k], cb[:k:k]}}
}

// join2Gaps is join2 that also returns the rows' gap flags (as gapFlags would), set in
// the same merge walk.
func join2Gaps(a, b Series, r Range) (frame, []gapFlag) {
	n := len(a.Time) + len(b.Time)
	for i, j := 0, 0; i < len(a.Time) && j < len(b.Time); {
		switch ta, tb := a.Time[i], b.Time[j]; {
		case ta < tb:
			i++
		case ta > tb:
			j++
		default:
			i++
			j++
			n--
		}
	}
	t := make([]int64, n)
	cols := make([]float32, 2*n)
	flags := make([]gapFlag, n)
	ca, cb := cols[:n:n], cols[n:]
	nan := float32(math.NaN())
	at, bt := a.Time, b.Time
	af, bf := a.Flux[:len(at)], b.Flux[:len(bt)]
	i, j, k := 0, 0, 0
	for ; i < len(at) && j < len(bt); k++ {
		switch ta, tb := at[i], bt[j]; {
		case ta < tb:
			t[k], ca[k], cb[k] = ta, af[i], nan
			flags[k] = gapAt(at, i, r)
			i++
		case ta > tb:
			t[k], ca[k], cb[k] = tb, nan, bf[j]
			flags[k] = gapAt(bt, j, r)
			j++
		default:
			t[k], ca[k], cb[k] = ta, af[i], bf[j]
			flags[k] = gapAt(at, i, r) | gapAt(bt, j, r)
			i++
			j++
		}
	}
	for ; i < len(at); i, k = i+1, k+1 {
		t[k], ca[k], cb[k] = at[i], af[i], nan
		flags[k] = gapAt(at, i, r)
	}
	for ; j < len(bt); j, k = j+1, k+1 {
		t[k], ca[k], cb[k] = bt[j], nan, bf[j]
		flags[k] = gapAt(bt, j, r)
	}
	return frame{t: t[:k:k], cols: [][]float32{ca[:k:k], cb[:k:k]}}, flags[:k:k]
}

// gapFlag marks a row of the clean frame that follows (gapAfter) or precedes
// (gapBefore) a gap in some clean series.
type gapFlag uint8

const (
	gapAfter gapFlag = 1 << iota
	gapBefore
)

// gapAt returns the gap flags of sample i of the times ts (read over the range r, whose
// ends count as neighbours).
func gapAt(ts []int64, i int, r Range) gapFlag {
	prev, next := r.Start, r.End
	if i > 0 {
		prev = ts[i-1]
	}
	if i+1 < len(ts) {
		next = ts[i+1]
	}
	var f gapFlag
	if ts[i]-prev > int64(combineGap) {
		f = gapAfter
	}
	if next-ts[i] > int64(combineGap) {
		f |= gapBefore
	}
	return f
}

// flagCursor reads the gap flags of rows of a frame (times t) at ascending times.
type flagCursor struct {
	t     []int64
	flags []gapFlag
	j     int
}

// at returns the flags of the row at time ti (none if there is no such row); ti must
// not be less than at the previous call.
func (c *flagCursor) at(ti int64) gapFlag {
	for c.j < len(c.t) && c.t[c.j] < ti {
		c.j++
	}
	if c.j < len(c.t) && c.t[c.j] == ti {
		return c.flags[c.j]
	}
	return 0
}

// gapFlags returns the gap flags of the rows of the join f of the series.
func gapFlags(f *frame, series []Series, r Range) []gapFlag {
	flags := make([]gapFlag, len(f.t))
	for _, s := range series {
		row := 0
		for j, tj := range s.Time {
			for f.t[row] != tj {
				row++
			}
			flags[row] |= gapAt(s.Time, j, r)
		}
	}
	return flags
}

// mergeTimes returns the sorted union of two sorted, duplicate-free time slices.
func mergeTimes(a, b []int64) []int64 {
	out := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func isNaN32(v float32) bool { return v != v }

// combineBand combines one band's satellites (raw and clean series in the same column
// order) over the range r.
//
// concurrent runs the two versions at once (else one after the other, sharing work
// arrays): the caller asks for it when nothing else runs beside this band.
func combineBand(raw, clean []Series, r Range, concurrent bool) (Series, Series) {
	if len(raw) == 1 {
		return copySeries(raw[0]), copySeries(clean[0])
	}
	// Gap flags from the clean channels only, on Cm's index.
	var cm frame
	var flags []gapFlag
	if len(clean) == 2 {
		cm, flags = join2Gaps(clean[0], clean[1], r)
	} else {
		cm = join(clean)
		flags = gapFlags(&cm, clean, r)
	}

	rawVersion := func(w *combineWork) Series {
		return combineVersion(join(raw), &cm, flags, r, w)
	}
	if !concurrent {
		// The caller runs other bands beside this one: one goroutine does both
		// versions, one after the other, with one set of work arrays.
		var w combineWork
		rawOut := rawVersion(&w)
		return rawOut, combineVersion(cm, nil, flags, r, &w)
	}
	var rawOut, cleanOut Series
	var wg sync.WaitGroup
	wg.Go(func() {
		var w combineWork
		rawOut = rawVersion(&w)
	})
	var w combineWork
	cleanOut = combineVersion(cm, nil, flags, r, &w)
	wg.Wait()
	return rawOut, cleanOut
}

// combineWork holds the work arrays of combineVersion, for reuse by a later call.
type combineWork struct {
	rows    []int32
	rowSeg  []int32
	keep    []int32
	st      []int64
	tau     []float32
	weights []float64
	vals    []float32
}

// reuse returns buf resized to n, reallocated when its capacity is too small (contents
// undefined).
func reuse[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// copySeries copies s without its NaN values (which the store would drop anyway).
func copySeries(s Series) Series {
	out := Series{Time: make([]int64, 0, len(s.Time)), Flux: make([]float32, 0, len(s.Flux))}
	for i, t := range s.Time {
		if v := s.Flux[i]; !isNaN32(v) {
			out.Append(t, v)
		}
	}
	return out
}

// countValid adds to counts[c] the number of non-NaN values of column c in rows [lo, hi).
func countValid(f *frame, lo, hi int, counts []int32) {
	for c, col := range f.cols {
		var k int32
		for _, v := range col[lo:hi] {
			if !isNaN32(v) {
				k++
			}
		}
		counts[c] = k
	}
}

// combineVersion combines the frame f (raw or clean). For the raw version ref is the
// clean frame Cm, whose data decides the segment weights where it has rows. flags are
// the gap flags of Cm's rows (a row of f without a row of Cm at its time has none).
func combineVersion(f frame, ref *frame, flags []gapFlag, r Range, work *combineWork) Series {
	nc := len(f.cols)

	// Segments and their weights; rows that would be pure interpolation are dropped.
	rows := reuse(work.rows, len(f.t))[:0] // kept rows of f
	var segEnd []int32                     // per segment, the end of its kept rows
	defer func() { work.rows = rows }()
	var weights []float32 // nc weights per segment
	counts := make([]int32, nc)
	w := make([]float32, nc)
	refPos := 0
	var gaps flagCursor // the raw rows' flags, read from Cm's rows
	if ref != nil {
		gaps = flagCursor{t: ref.t, flags: flags}
	}
	for a := 0; a < len(f.t); {
		b := a + 1
		if ref == nil {
			// The clean frame: the flags are its own rows'.
			for b < len(f.t) && flags[b-1]&gapBefore == 0 && flags[b]&gapAfter == 0 {
				b++
			}
		} else {
			for prev := gaps.at(f.t[a]); b < len(f.t); b++ {
				next := gaps.at(f.t[b])
				if prev&gapBefore != 0 || next&gapAfter != 0 {
					break
				}
				prev = next
			}
		}
		// Reference rows: Cm within [t_a, t_{b−1}] for raw when there are any, else own.
		src, lo, hi := &f, a, b
		if ref != nil {
			for refPos < len(ref.t) && ref.t[refPos] < f.t[a] {
				refPos++
			}
			end := refPos
			for end < len(ref.t) && ref.t[end] <= f.t[b-1] {
				end++
			}
			if end > refPos {
				src, lo, hi = ref, refPos, end
			}
		}
		countValid(src, lo, hi, counts)
		var best int32
		for _, k := range counts {
			best = max(best, k)
		}
		anyWeight := false
		for c := range nc {
			w[c] = float32(float64(counts[c]) / float64(best))
			if !(w[c] >= minRelativeCount) {
				w[c] = 0
			}
			anyWeight = anyWeight || w[c] != 0
		}
		if anyWeight {
			start := len(rows)
			if nc == 2 {
				// Two satellites (the usual case), without the loop over columns.
				c0, c1 := f.cols[0][a:b], f.cols[1][a:b:b]
				use0, use1 := w[0] != 0, w[1] != 0
				for k, v := range c0 {
					if use0 && !isNaN32(v) || use1 && !isNaN32(c1[k]) {
						rows = append(rows, int32(a+k))
					}
				}
			} else {
				for i := a; i < b; i++ {
					for c := range nc {
						if w[c] != 0 && !isNaN32(f.cols[c][i]) {
							rows = append(rows, int32(i))
							break
						}
					}
				}
			}
			if len(rows) > start {
				weights = append(weights, w...)
				segEnd = append(segEnd, int32(len(rows)))
			}
		}
		a = b
	}
	m := len(rows)
	if m == 0 {
		return Series{}
	}

	// Time weights and the 10-minute time-weighted smoothing.
	var st []int64
	if m == len(f.t) {
		st = f.t // every row kept (the usual case): rows[k] = k
	} else {
		st = reuse(work.st, m)
		work.st = st
		for k, i := range rows {
			st[k] = f.t[i]
		}
	}
	tau := reuse(work.tau, m)
	work.tau = tau
	maxW := int64(maxTimeWeight)
	ts := newTauStats() // sumsExact's part on τ, in the same pass
	for k := range m {
		prev, next := r.Start, r.End
		if k > 0 {
			prev = st[k-1]
		}
		if k+1 < m {
			next = st[k+1]
		}
		dl := float32(min(st[k]-prev, maxW)) * float32(1e-9)
		dr := float32(min(next-st[k], maxW)) * float32(1e-9)
		tau[k] = dl + dr
		ts.add(tau[k])
	}
	flat := reuse(work.weights, nc*m)
	work.weights = flat
	ws := smoothWeights(st, tau, weights, segEnd, flat, ts.exact(weights), &work.rowSeg)

	if nc == 2 {
		return combineMean2(f.cols[0], f.cols[1], rows, st, ws[0], ws[1])
	}

	// Rows where some satellite keeps a weight.
	keep := reuse(work.keep, m)[:0]
	defer func() { work.keep = keep }()
	for k := range m {
		for c := range nc {
			if ws[c][k] != 0 {
				keep = append(keep, int32(k))
				break
			}
		}
	}
	if len(keep) == 0 {
		return Series{}
	}

	// Values: per column, linear in time between the column's values on the kept rows,
	// nearest value at the edges.
	vals := make([][]float32, nc)
	valsFlat := reuse(work.vals, nc*len(keep))
	work.vals = valsFlat
	for c := range nc {
		vals[c] = valsFlat[c*len(keep) : (c+1)*len(keep) : (c+1)*len(keep)]
	}
	for c, col := range vals {
		for j, k := range keep {
			col[j] = f.cols[c][rows[k]]
		}
	}
	for _, col := range vals {
		fillTime(col, keep, st)
	}
	n := 0
	outT, outF := make([]int64, len(keep)), make([]float32, len(keep))
	for j, k := range keep {
		num, den := 0.0, 0.0
		for c := range nc {
			v := vals[c][j]
			if isNaN32(v) {
				continue // a satellite without any value here (missing counterpart)
			}
			num += float64(v) * ws[c][k]
			den += ws[c][k]
		}
		res := float32(num / den)
		if isNaN32(res) || den == 0 {
			continue
		}
		outT[n], outF[n] = st[k], res
		n++
	}
	return Series{Time: outT[:n:n], Flux: outF[:n:n]}
}

// combineMean2 is the end of combineVersion for two satellites (columns c0 and c1 of
// the frame, read at rows; times st, smoothed weights w0 and w1) in one pass: rows
// where some satellite keeps a weight, each column's value there (a missing one
// linear in time between the column's neighbouring values on those rows, the nearest
// value at the edges: fillTime, computed where it is needed instead of stored), and
// their weighted mean, columns in order. NaN means are left out.
func combineMean2(c0, c1 []float32, rows []int32, st []int64, w0, w1 []float64) Series {
	m := len(st)
	w0, w1, rows = w0[:m], w1[:m], rows[:m]
	kept := func(k int) bool { return w0[k] != 0 || w1[k] != 0 }
	var outT []int64
	var outF []float32
	// Per column: the last kept row with a value (p, -1 before the first) and the
	// next one at or after the row being filled (q, m when none is left).
	p0, p1 := -1, -1
	q0, q1 := 0, 0
	n := 0
	for k := range m {
		a, b := w0[k], w1[k]
		if a == 0 && b == 0 {
			continue
		}
		if outT == nil {
			// The first kept row: at most m-k results (usually nearly all rows are kept).
			outT, outF = make([]int64, m-k), make([]float32, m-k)
		}
		i := rows[k]
		v0 := c0[i]
		if !isNaN32(v0) {
			p0 = k
		} else {
			q0 = max(q0, k+1)
			for q0 < m && (!kept(q0) || isNaN32(c0[rows[q0]])) {
				q0++
			}
			v0 = fillAt(c0, rows, st, p0, q0, k)
		}
		v1 := c1[i]
		if !isNaN32(v1) {
			p1 = k
		} else {
			q1 = max(q1, k+1)
			for q1 < m && (!kept(q1) || isNaN32(c1[rows[q1]])) {
				q1++
			}
			v1 = fillAt(c1, rows, st, p1, q1, k)
		}
		num, den := 0.0, 0.0
		if !isNaN32(v0) {
			num += float64(v0) * a
			den += a
		}
		if !isNaN32(v1) {
			num += float64(v1) * b
			den += b
		}
		res := float32(num / den)
		if isNaN32(res) || den == 0 {
			continue
		}
		outT[n], outF[n] = st[k], res
		n++
	}
	if outT == nil {
		return Series{} // no kept row
	}
	return Series{Time: outT[:n:n], Flux: outF[:n:n]}
}

// fillAt is fillTime's value at kept row k of a column without a value there: p and q
// are the kept rows with a value before and after it (-1 and len(st) when none).
func fillAt(col []float32, rows []int32, st []int64, p, q, k int) float32 {
	switch {
	case p < 0 && q >= len(st):
		return float32(math.NaN())
	case p < 0:
		return col[rows[q]]
	case q >= len(st):
		return col[rows[p]]
	}
	t0, t1 := float64(st[p]), float64(st[q])
	v0, v1 := float64(col[rows[p]]), float64(col[rows[q]])
	slope := (v1 - v0) / (t1 - t0)
	return float32(slope*(float64(st[k])-t0) + v0)
}

// smoothWeights returns, per satellite, the smoothed and faded weights Ws at the kept
// rows (times st, time weights tau, weights of segment s for rows up to segEnd[s]):
//
//	Ws = smooth(Wt) · (1 − min(2·smooth(Z), 1)), 0 where Wt = 0,
//
// with smooth(X) = TW(10 min).sum(X·τ) / TW(10 min).sum(τ) and Z = (Wt == 0). All the
// window sums (pandas' compensated ones) advance together in one pass, with X·τ formed
// on the fly instead of stored.
//
// flat (nc·m values, any contents) holds the results; ws[c] is its part for satellite c.
// exact is sumsExact(tau, weights); rowBuf is a work array for the rows' segment
// numbers, which some paths use.
func smoothWeights(st []int64, tau []float32, weights []float32, segEnd []int32, flat []float64, exact bool, rowBuf *[]int32) [][]float64 {
	m := len(st)
	nc := len(flat) / max(m, 1)
	ws := make([][]float64, nc)
	for c := range ws {
		ws[c] = flat[c*m : (c+1)*m : (c+1)*m]
	}
	if exact && nc == 2 {
		smoothWeightsPrefix2(st, tau, weights, segEnd, ws[0], ws[1]) // writes every entry
		return ws
	}
	rowSeg := reuse(*rowBuf, m)
	*rowBuf = rowSeg
	for s, r := 0, 0; r < m; r++ {
		for int(segEnd[s]) <= r {
			s++
		}
		rowSeg[r] = int32(s)
	}
	// The other paths leave a weight that is zero in its segment untouched.
	clear(flat)
	if exact {
		smoothWeightsPrefix(st, tau, weights, rowSeg, ws)
		return ws
	}
	if smoothWeightsExact(st, tau, weights, rowSeg, ws) {
		return ws
	}
	clear(flat)
	smoothWeightsCompensated(st, tau, weights, rowSeg, ws)
	return ws
}

// smoothWeightsCompensated is smoothWeights with pandas' running compensated sums.
func smoothWeightsCompensated(st []int64, tau []float32, weights []float32, rowSeg []int32, ws [][]float64) {
	m, nc := len(st), len(ws)
	// k[0] sums τ, k[1+2c] Z_c·τ and k[2+2c] Wt_c·τ.
	k := make([]sumState, 1+2*nc)
	add := func(j int) {
		k[0].add(float64(tau[j]))
		for c := range nc {
			w := weights[int(rowSeg[j])*nc+c]
			z := 0.0
			if w == 0 {
				z = float64(tau[j])
			}
			k[1+2*c].add(z)
			k[2+2*c].add(float64(w * tau[j]))
		}
	}
	remove := func(j int) {
		k[0].remove(float64(tau[j]))
		for c := range nc {
			w := weights[int(rowSeg[j])*nc+c]
			z := 0.0
			if w == 0 {
				z = float64(tau[j])
			}
			k[1+2*c].remove(z)
			k[2+2*c].remove(float64(w * tau[j]))
		}
	}
	first := func(j int) { // pandas starts a window's state from its first value
		for c := range k {
			k[c] = sumState{}
		}
		k[0].prev = float64(tau[j])
		for c := range nc {
			w := weights[int(rowSeg[j])*nc+c]
			if w == 0 {
				k[1+2*c].prev = float64(tau[j])
			}
			k[2+2*c].prev = float64(w * tau[j])
		}
	}
	sum := func(kc *sumState) float64 {
		switch {
		case kc.nobs == 0:
			return math.NaN()
		case kc.sameCount >= kc.nobs:
			return kc.prev * float64(kc.nobs)
		}
		return kc.sum
	}
	half := int64(weightSmoothing) / 2
	lo, hi := 0, 0
	prevLo, prevHi := 0, 0
	for i := range m {
		for lo < i && st[lo] <= st[i]-half {
			lo++
		}
		hi = max(hi, i+1)
		for hi < m && st[hi] <= st[i]+half {
			hi++
		}
		if i == 0 || lo >= prevHi {
			first(lo)
			prevLo, prevHi = lo, lo
		}
		for j := prevLo; j < lo; j++ {
			remove(j)
		}
		for j := prevHi; j < hi; j++ {
			add(j)
		}
		prevLo, prevHi = lo, hi
		sigma := sum(&k[0])
		for c := range nc {
			if weights[int(rowSeg[i])*nc+c] == 0 {
				continue // faded out entirely
			}
			transition := 1 - min(2*(sum(&k[1+2*c])/sigma), 1)
			ws[c][i] = sum(&k[2+2*c]) / sigma * transition
		}
	}
}

// smoothWeightsExact is smoothWeights by prefix sums, used when no prefix sum rounds:
// the terms are float32 values, so their running sums are usually exact in float64, and
// then every window sum (a difference of two prefix sums) is exact too and equals what
// pandas' compensated running sum yields, bit for bit. It reports false, leaving ws
// unspecified, as soon as a prefix sum would round.
//
// The prefix sums are not stored: one set of running sums follows the windows' upper
// ends and a second one their lower ends. Both add the same terms in the same order, so
// the lower one reaches exactly the values the upper one had at those rows.
func smoothWeightsExact(st []int64, tau []float32, weights []float32, rowSeg []int32, ws [][]float64) bool {
	m, nc := len(st), len(ws)
	// Per column: τ, then Z_c·τ and Wt_c·τ per satellite.
	sums := make([]float64, 2*(1+2*nc))
	pHi, pLo := sums[:1+2*nc], sums[1+2*nc:]
	half := int64(weightSmoothing) / 2
	lo, hi := 0, 0
	for i := range m {
		for lo < i && st[lo] <= st[i]-half {
			tj := float64(tau[lo])
			pLo[0] += tj
			seg := int(rowSeg[lo]) * nc
			for c, wc := range weights[seg : seg+nc] {
				if wc == 0 {
					pLo[1+2*c] += tj
				}
				pLo[2+2*c] += float64(wc * float32(tj))
			}
			lo++
		}
		for hi < i+1 || hi < m && st[hi] <= st[i]+half {
			tj := float64(tau[hi])
			var ok bool
			if pHi[0], ok = exactAdd(pHi[0], tj); !ok {
				return false
			}
			seg := int(rowSeg[hi]) * nc
			for c, wc := range weights[seg : seg+nc] {
				if wc == 0 {
					if pHi[1+2*c], ok = exactAdd(pHi[1+2*c], tj); !ok {
						return false
					}
				}
				if pHi[2+2*c], ok = exactAdd(pHi[2+2*c], float64(wc*float32(tj))); !ok {
					return false
				}
			}
			hi++
		}
		sigma := pHi[0] - pLo[0]
		seg := int(rowSeg[i]) * nc
		for c, wc := range weights[seg : seg+nc] {
			if wc == 0 {
				continue
			}
			sz := pHi[1+2*c] - pLo[1+2*c]
			sw := pHi[2+2*c] - pLo[2+2*c]
			transition := 1 - min(2*(sz/sigma), 1)
			ws[c][i] = sw / sigma * transition
		}
	}
	return true
}

// sumsExact reports whether every prefix sum of the smoothing's terms (τ, Z·τ and
// Wt·τ, all float32 values) is exact in float64, without checking each addition.
// Every non-zero term is a float32 at least as large as fl32(w_min·τ_min) (smallest
// positive weight and time weight; rounding is monotonic), so each is a multiple of
// that value's float32 spacing 2^e; a sum of non-negative multiples of 2^e is exact
// while it stays below 2^(e+53). Z·τ and Wt·τ never exceed τ (weights are at most 1),
// so the sum of all τ bounds every prefix sum. Negative, subnormal, infinite and NaN
// terms, and weights outside [0, 1], make it report false.
func sumsExact(tau []float32, weights []float32) bool {
	ts := newTauStats()
	for _, t := range tau {
		ts.add(t)
	}
	return ts.exact(weights)
}

// tauStats gathers what sumsExact needs of the time weights, one at a time in order.
type tauStats struct {
	min   float64 // smallest positive τ (+Inf: none)
	total float64 // their sum in float64, in order
	bad   bool    // some τ is negative or NaN
}

func newTauStats() tauStats { return tauStats{min: math.Inf(1)} }

func (s *tauStats) add(t32 float32) {
	t := float64(t32)
	if !(t >= 0) {
		s.bad = true
	}
	if t > 0 && t < s.min { // t is no NaN, s.min no NaN: min(s.min, t)
		s.min = t
	}
	s.total += t
}

// exact is sumsExact for the time weights added to s.
func (s tauStats) exact(weights []float32) bool {
	wMin := float32(1)
	for _, w := range weights {
		if !(w >= 0 && w <= 1) {
			return false
		}
		if w > 0 {
			wMin = min(wMin, w)
		}
	}
	if s.bad {
		return false
	}
	tMin, total := s.min, s.total
	if total == 0 {
		return true // all terms zero
	}
	if math.IsInf(total, 0) {
		return false
	}
	least := wMin * float32(tMin)
	b := math.Float32bits(least)
	e := int(b>>23) & 0xff
	if e == 0 || e == 0xff {
		return false
	}
	return total*(1+1e-9) < math.Ldexp(1, e-150+53)
}

// smoothWeightsPrefix is smoothWeightsExact for terms sumsExact vouches for: the same
// running sums, without checking each addition.
func smoothWeightsPrefix(st []int64, tau []float32, weights []float32, rowSeg []int32, ws [][]float64) {
	m, nc := len(st), len(ws)
	sums := make([]float64, 2*(1+2*nc))
	pHi, pLo := sums[:1+2*nc], sums[1+2*nc:]
	add := func(p []float64, j int) {
		tj := float64(tau[j])
		p[0] += tj
		seg := int(rowSeg[j]) * nc
		for c, wc := range weights[seg : seg+nc] {
			if wc == 0 {
				p[1+2*c] += tj
			}
			p[2+2*c] += float64(wc * float32(tj))
		}
	}
	half := int64(weightSmoothing) / 2
	lo, hi := 0, 0
	for i := range m {
		for lo < i && st[lo] <= st[i]-half {
			add(pLo, lo)
			lo++
		}
		for hi < i+1 || hi < m && st[hi] <= st[i]+half {
			add(pHi, hi)
			hi++
		}
		sigma := pHi[0] - pLo[0]
		seg := int(rowSeg[i]) * nc
		for c, wc := range weights[seg : seg+nc] {
			if wc == 0 {
				continue
			}
			sz := pHi[1+2*c] - pLo[1+2*c]
			sw := pHi[2+2*c] - pLo[2+2*c]
			if sz == 0 && sigma > 0 {
				// No zero weight nearby (the usual case): the transition is
				// 1 − min(2·0/σ, 1) = 1 exactly, and w·1 = w.
				ws[c][i] = sw / sigma
				continue
			}
			transition := 1 - min(2*(sz/sigma), 1)
			ws[c][i] = sw / sigma * transition
		}
	}
}

// smoothWeightsPrefix2 is smoothWeightsPrefix for two satellites (the usual case),
// writing every entry of w0 and w1 (zero where a weight is zero in its segment), with
// the running sums in local variables rather than an array, so that each addition
// waits only for its own sum's previous one. Every sum gets the same terms in the same
// order, so the results are the same bit for bit. Segment s holds the rows up to
// segEnd[s] (ascending, the last one m): the walks follow the segments of their rows
// instead of reading a segment number per row.
func smoothWeightsPrefix2(st []int64, tau []float32, weights []float32, segEnd []int32, w0, w1 []float64) {
	m := len(st)
	if m == 0 {
		return
	}
	// Sums up to the windows' upper (h) and lower (l) ends: τ, Z·τ and Wt·τ per satellite.
	var hT, hZ0, hW0, hZ1, hW1 float64
	var lT, lZ0, lW0, lZ1, lW1 float64
	half := int64(weightSmoothing) / 2
	lo, hi := 0, 0
	// The segments of rows lo, hi and i, and their weights.
	sLo, sHi, sI := 0, 0, 0
	aLo, bLo := weights[0], weights[1]
	aHi, bHi := aLo, bLo
	aI, bI := aLo, bLo
	for i := range m {
		for lo < i && st[lo] <= st[i]-half {
			if int(segEnd[sLo]) <= lo {
				for int(segEnd[sLo]) <= lo {
					sLo++
				}
				aLo, bLo = weights[2*sLo], weights[2*sLo+1]
			}
			t32 := tau[lo]
			tj := float64(t32)
			lT += tj
			if aLo == 0 {
				lZ0 += tj
			}
			lW0 += float64(aLo * t32)
			if bLo == 0 {
				lZ1 += tj
			}
			lW1 += float64(bLo * t32)
			lo++
		}
		for hi < i+1 || hi < m && st[hi] <= st[i]+half {
			if int(segEnd[sHi]) <= hi {
				for int(segEnd[sHi]) <= hi {
					sHi++
				}
				aHi, bHi = weights[2*sHi], weights[2*sHi+1]
			}
			t32 := tau[hi]
			tj := float64(t32)
			hT += tj
			if aHi == 0 {
				hZ0 += tj
			}
			hW0 += float64(aHi * t32)
			if bHi == 0 {
				hZ1 += tj
			}
			hW1 += float64(bHi * t32)
			hi++
		}
		if int(segEnd[sI]) <= i {
			for int(segEnd[sI]) <= i {
				sI++
			}
			aI, bI = weights[2*sI], weights[2*sI+1]
		}
		sigma := hT - lT
		// smoothedWeight, with its usual case (no zero weight nearby) inline.
		switch sz := hZ0 - lZ0; {
		case aI == 0:
			w0[i] = 0 // faded out entirely
		case sz == 0 && sigma > 0:
			w0[i] = (hW0 - lW0) / sigma
		default:
			w0[i] = smoothedWeight(sz, hW0-lW0, sigma)
		}
		switch sz := hZ1 - lZ1; {
		case bI == 0:
			w1[i] = 0
		case sz == 0 && sigma > 0:
			w1[i] = (hW1 - lW1) / sigma
		default:
			w1[i] = smoothedWeight(sz, hW1-lW1, sigma)
		}
	}
}

// smoothedWeight is sw/σ · (1 − min(2·sz/σ, 1)) from the window sums of Z·τ (sz), Wt·τ
// (sw) and τ (σ).
func smoothedWeight(sz, sw, sigma float64) float64 {
	if sz == 0 && sigma > 0 {
		// No zero weight nearby (the usual case): the transition is 1 − min(2·0/σ, 1)
		// = 1 exactly, and w·1 = w.
		return sw / sigma
	}
	transition := 1 - min(2*(sz/sigma), 1)
	return sw / sigma * transition
}

// exactAdd returns a + b and whether the sum is exact (TwoSum's error term is zero).
func exactAdd(a, b float64) (float64, bool) {
	s := a + b
	bb := s - a
	return s, (a-(s-bb))+(b-bb) == 0
}

// sumState is kahan for finite values and sums only: pandas' compensated window sum
// with its repeated-value rule, without the NaN and sign bookkeeping.
type sumState struct {
	nobs       int
	sum        float64
	compAdd    float64
	compRemove float64
	sameCount  int
	prev       float64
}

func (k *sumState) add(v float64) {
	k.nobs++
	y := v - k.compAdd
	t := k.sum + y
	k.compAdd = t - k.sum - y
	k.sum = t
	if v == k.prev {
		k.sameCount++
	} else {
		k.sameCount = 1
	}
	k.prev = v
}

func (k *sumState) remove(v float64) {
	k.nobs--
	y := -v - k.compRemove
	t := k.sum + y
	k.compRemove = t - k.sum - y
	k.sum = t
}

// fillTime fills the NaN values of col (at times st[keep[j]]) by linear interpolation
// in time between the neighbouring values, and with the nearest value before the first
// and after the last one.
func fillTime(col []float32, keep []int32, st []int64) {
	prev := -1
	for j := range col {
		if isNaN32(col[j]) {
			continue
		}
		if prev < 0 {
			for k := range j {
				col[k] = col[j]
			}
		} else if j > prev+1 {
			t0, t1 := float64(st[keep[prev]]), float64(st[keep[j]])
			v0, v1 := float64(col[prev]), float64(col[j])
			slope := (v1 - v0) / (t1 - t0)
			for k := prev + 1; k < j; k++ {
				col[k] = float32(slope*(float64(st[keep[k]])-t0) + v0)
			}
		}
		prev = j
	}
	if prev >= 0 {
		for k := prev + 1; k < len(col); k++ {
			col[k] = col[prev]
		}
	}
}

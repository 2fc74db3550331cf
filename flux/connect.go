package flux

import (
	"math"
	"sync"
)

// section is an uncertainty section [start, end] (Unix ns) with a reference log value:
// a stretch of groups that are far, in time, from any trusted reference.
type section struct {
	start, end int64
	ref        float64
}

// uncertain is the intersection of a forward and a backward section with the line
// bridging the forward section's start reference and the backward section's end
// reference.
type uncertain struct {
	start, end     int64
	lineT0, lineT1 int64
	ref0, ref1     float64
}

func (u uncertain) at(t int64) float64 {
	return u.ref0 + (u.ref1-u.ref0)/float64(u.lineT1-u.lineT0)*float64(t-u.lineT0)
}

// refSample is the reference sample of the connectivity pass: up to k points, in time
// order.
type refSample struct {
	t []int64
	v []float64
}

func (s *refSample) mean() float64 { return mean(s.v) }

// connectivity runs one directional pass over the groups.
type connectivity struct {
	t       []int64
	l       []float64
	k       int
	forward bool
}

// limit replaces or extends the sample with the group g (nil for none) and keeps the k
// newest points within 9 h of the newest.
func (c *connectivity) limit(s refSample, g group) refSample {
	if g != nil {
		// Only the k newest points of the group can stay in the sample.
		pts := g
		if len(pts) > c.k {
			if c.forward {
				pts = pts[len(pts)-c.k:]
			} else {
				pts = pts[:c.k]
			}
		}
		gs := refSample{t: make([]int64, len(pts)), v: make([]float64, len(pts))}
		for k, i := range pts {
			gs.t[k] = c.t[i]
			gs.v[k] = c.l[i]
		}
		switch {
		case len(g) >= c.k:
			s = gs
		case c.forward:
			s = refSample{t: append(append([]int64{}, s.t...), gs.t...), v: append(append([]float64{}, s.v...), gs.v...)}
		default:
			s = refSample{t: append(gs.t, s.t...), v: append(gs.v, s.v...)}
		}
	}
	if len(s.t) > c.k {
		if c.forward {
			s.t, s.v = s.t[len(s.t)-c.k:], s.v[len(s.v)-c.k:]
		} else {
			s.t, s.v = s.t[:c.k], s.v[:c.k]
		}
	}
	if len(s.t) == 0 {
		return s
	}
	if c.forward {
		first := 0
		for first < len(s.t) && s.t[first] < s.t[len(s.t)-1]-int64(sampleMaxAge) {
			first++
		}
		s.t, s.v = s.t[first:], s.v[first:]
	} else {
		last := len(s.t)
		for last > 0 && s.t[last-1] > s.t[0]+int64(sampleMaxAge) {
			last--
		}
		s.t, s.v = s.t[:last], s.v[:last]
	}
	return s
}

// pass walks the groups in travel order and returns the outlier flags (by group index
// in time order) and the merged sections in time order.
func (c *connectivity) pass(groups []group) ([]bool, []section) {
	n := len(groups)
	outlier := make([]bool, n)
	at := func(k int) group {
		if c.forward {
			return groups[k]
		}
		return groups[n-1-k]
	}
	oldest := func(s refSample) int64 {
		if c.forward {
			return s.t[0]
		}
		return s.t[len(s.t)-1]
	}
	newest := func(s refSample) int64 {
		if c.forward {
			return s.t[len(s.t)-1]
		}
		return s.t[0]
	}
	entry := func(g group) int32 {
		if c.forward {
			return g[0]
		}
		return g[len(g)-1]
	}
	beyond := func(a, b int64) bool { // a lies strictly beyond b in travel direction
		if c.forward {
			return a > b
		}
		return a < b
	}
	var sections []section
	emit := func(start, end int64, ref float64) {
		if c.forward {
			sections = append(sections, section{start, end, ref})
		} else {
			sections = append(sections, section{end, start, ref})
		}
	}

	sample := c.limit(refSample{}, at(0))
	open := true
	secStart, secRef := oldest(sample), sample.mean()
	for k := 1; k < n; k++ {
		g := at(k)
		mu := sample.mean()
		span := float64(sample.t[len(sample.t)-1]-sample.t[0]) / 1e9
		age := float64(c.t[entry(g)]-newest(sample)) / 1e9
		if !c.forward {
			age = -age
		}
		delta := c.l[entry(g)] - mu
		allowed := (coneSpanRate*span + coneAgeRate*age) / math.Sqrt(float64(len(sample.t))/float64(c.k))
		if math.Abs(delta) > allowed {
			if c.forward {
				outlier[k] = true
			} else {
				outlier[n-1-k] = true
			}
			continue
		}
		justOpened := false
		if !open && allowed > sectionOpenLimit {
			open, secStart, secRef, justOpened = true, oldest(sample), mu, true
		}
		if open {
			var end int64
			has := false
			switch {
			case len(g) > bigGroupSamples*c.k:
				end, has = c.t[entry(g)], true
			case !justOpened && span < passedGapSpan:
				end, has = newest(sample), true
			}
			if has && beyond(end, secStart) {
				emit(secStart, end, secRef)
				open = false
			}
		}
		sample = c.limit(sample, g)
	}
	if open {
		last := at(n - 1)
		if c.forward {
			emit(secStart, c.t[last[len(last)-1]], secRef)
		} else {
			emit(secStart, c.t[last[0]], secRef)
		}
	}
	if !c.forward {
		for i, j := 0, len(sections)-1; i < j; i, j = i+1, j-1 {
			sections[i], sections[j] = sections[j], sections[i]
		}
	}
	return outlier, c.merge(sections)
}

// merge joins overlapping sections (in time order).
func (c *connectivity) merge(secs []section) []section {
	if len(secs) == 0 {
		return secs
	}
	out := []section{secs[0]}
	for _, next := range secs[1:] {
		cur := &out[len(out)-1]
		if cur.end < next.start {
			out = append(out, next)
			continue
		}
		ref := next.ref
		if c.forward {
			if cur.start < next.start {
				ref = cur.ref
			}
		} else if next.end < cur.end {
			ref = cur.ref
		}
		*cur = section{min(cur.start, next.start), max(cur.end, next.end), ref}
	}
	return out
}

// connectivityFilter drops groups that are outliers in both directions and groups that
// deviate from the line bridging an uncertainty section.
func connectivityFilter(t []int64, l []float64, groups []group, typical float64) []group {
	if len(groups) == 1 {
		return groups
	}
	k := int(math.Ceil(sampleSpan.Seconds() / typical))
	if k < 1 || typical != typical {
		k = 1
	}
	fwd := connectivity{t: t, l: l, k: k, forward: true}
	bwd := connectivity{t: t, l: l, k: k, forward: false}
	var outF []bool
	var secF []section
	var wg sync.WaitGroup
	wg.Go(func() { outF, secF = fwd.pass(groups) })
	outB, secB := bwd.pass(groups)
	wg.Wait()

	var unc []uncertain
	for i, j := 0, 0; i < len(secF) && j < len(secB); {
		f, b := secF[i], secB[j]
		if f.start < b.end && b.start < f.end {
			unc = append(unc, uncertain{
				start: max(f.start, b.start), end: min(f.end, b.end),
				lineT0: f.start, lineT1: b.end, ref0: f.ref, ref1: b.ref,
			})
		}
		if f.end < b.end {
			i++
		} else {
			j++
		}
	}

	out := groups[:0]
	p := 0
	for gi, g := range groups {
		if outF[gi] && outB[gi] {
			continue
		}
		gFirst, gLast := t[g[0]], t[g[len(g)-1]]
		for p < len(unc) && unc[p].end < gLast {
			p++
		}
		if p < len(unc) && unc[p].start <= gFirst && unc[p].end >= gLast {
			lo, hi := g[0], g[0]
			for _, i := range g {
				if l[i] < l[lo] {
					lo = i
				}
				if l[i] > l[hi] {
					hi = i
				}
			}
			u := unc[p]
			if math.Abs(l[lo]-u.at(t[lo])) > sectionDeviation || math.Abs(l[hi]-u.at(t[hi])) > sectionDeviation {
				continue
			}
		}
		out = append(out, g)
	}
	return out
}

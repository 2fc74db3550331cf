package flux

import "sync"

// pool keeps released arrays of one element type for reuse.
type pool[T any] struct {
	free [][]T
}

// get returns an array of n elements (contents undefined); a new array gets a capacity
// of at least size, so that it can serve a later, larger request too.
func (p *pool[T]) get(n, size int) []T {
	best := -1
	for k, f := range p.free {
		if cap(f) >= n && (best < 0 || cap(f) < cap(p.free[best])) {
			best = k
		}
	}
	if best < 0 {
		return make([]T, n, max(n, size))
	}
	f := p.free[best]
	p.free[best] = p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return f[:n]
}

func (p *pool[T]) put(fs ...[]T) {
	for _, f := range fs {
		if cap(f) > 0 {
			p.free = append(p.free, f)
		}
	}
}

// scratch recycles the work arrays of the cleaning: a stage returns the arrays it no
// longer needs and later stages (and, through a Cleaner, later calls) reuse them, which
// keeps the garbage, the collector's work and the page faults of fresh memory small. It
// is safe for concurrent use by the stages' goroutines.
type scratch struct {
	mu      sync.Mutex
	floats  pool[float64]
	ints    pool[int32]
	times   pool[int64]
	flags   pool[bool]
	windows []Windows
	// size is the capacity new arrays get at least: the length of the series being
	// cleaned, which most work arrays have, so that shorter ones (of the points left
	// after a filter) can be reused for full-length ones.
	size int
}

// float64s returns an array of n float64 (contents undefined).
func (s *scratch) float64s(n int) []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.floats.get(n, s.size)
}

// int32s returns an array of n int32 (contents undefined).
func (s *scratch) int32s(n int) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ints.get(n, s.size)
}

// int64s returns an array of n int64 (contents undefined).
func (s *scratch) int64s(n int) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.times.get(n, s.size)
}

// bools returns an array of n bool set to false.
func (s *scratch) bools(n int) []bool {
	s.mu.Lock()
	b := s.flags.get(n, s.size)
	s.mu.Unlock()
	clear(b)
	return b
}

// release hands float64 arrays back for reuse; the caller must not use them afterwards.
func (s *scratch) release(fs ...[]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floats.put(fs...)
}

// releaseInt32 hands int32 arrays back for reuse.
func (s *scratch) releaseInt32(fs ...[]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ints.put(fs...)
}

// releaseInt64 hands int64 arrays back for reuse.
func (s *scratch) releaseInt64(fs ...[]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times.put(fs...)
}

// releaseBools hands bool arrays back for reuse.
func (s *scratch) releaseBools(fs ...[]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.put(fs...)
}

// centered returns CenteredWindows(t, w) in recycled storage.
func (s *scratch) centered(t []int64, w int64) Windows {
	ws := s.takeWindows()
	ws.centered(t, w)
	return ws
}

// centeredPair returns CenteredWindows(t, wa) and CenteredWindows(t, wb) in recycled
// storage, found in one walk.
func (s *scratch) centeredPair(t []int64, wa, wb int64) (Windows, Windows) {
	a, b := s.takeWindows(), s.takeWindows()
	centeredPair(t, wa, wb, &a, &b)
	return a, b
}

// counted returns CountWindows(groupOf, k) in recycled storage.
func (s *scratch) counted(groupOf []int32, k int) Windows {
	ws := s.takeWindows()
	ws.countWindows(groupOf, k)
	return ws
}

func (s *scratch) takeWindows() Windows {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ws Windows
	if k := len(s.windows); k > 0 {
		ws = s.windows[k-1]
		s.windows = s.windows[:k-1]
	}
	return ws
}

// releaseWindows hands windows back for reuse.
func (s *scratch) releaseWindows(ws ...Windows) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows = append(s.windows, ws...)
}

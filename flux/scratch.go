package flux

import "sync"

// scratch recycles the work arrays of one Clean call: a stage returns the arrays it no
// longer needs and later stages reuse them, which keeps the garbage (and the collector's
// interruptions) per call small. It is safe for concurrent use by the stages' goroutines.
type scratch struct {
	mu      sync.Mutex
	floats  [][]float64
	windows []Windows
}

// floats64 returns an array of n float64 (contents undefined).
func (s *scratch) float64s(n int) []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := len(s.floats) - 1; k >= 0; k-- {
		if f := s.floats[k]; cap(f) >= n {
			s.floats = append(s.floats[:k], s.floats[k+1:]...)
			return f[:n]
		}
	}
	return make([]float64, n)
}

// release hands arrays back for reuse; the caller must not use them afterwards.
func (s *scratch) release(fs ...[]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		if cap(f) > 0 {
			s.floats = append(s.floats, f)
		}
	}
}

// centered returns CenteredWindows(t, w) in recycled storage.
func (s *scratch) centered(t []int64, w int64) Windows {
	s.mu.Lock()
	var ws Windows
	if k := len(s.windows); k > 0 {
		ws = s.windows[k-1]
		s.windows = s.windows[:k-1]
	}
	s.mu.Unlock()
	ws.centered(t, w)
	return ws
}

// releaseWindows hands windows back for reuse.
func (s *scratch) releaseWindows(ws ...Windows) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows = append(s.windows, ws...)
}

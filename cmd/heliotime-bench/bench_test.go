package main

import (
	"math"
	"testing"
	"time"
)

// TestAlignView checks the site's alignment: the aligned window covers the view, starts
// and ends on half-chunks, and its interval is a power of 1.4 at or above the view's.
func TestAlignView(t *testing.T) {
	for _, c := range []struct {
		from, span float64
		width      int
	}{
		{1.7e12, 86400e3, 2000}, {1.7e12 + 12345, 300e3, 1280}, {3.2e11, 365 * 86400e3, 800}, {1.7e12, 5 * 60e3, 1},
	} {
		to := c.from + c.span
		f, tt, res := alignView(c.from, to, c.width)
		r := math.Ceil(float64(c.width)/200) * 200
		interval := (tt - f) / float64(res)
		if f > c.from || tt < to {
			t.Errorf("%v: aligned [%v, %v] does not cover the view", c, f, tt)
		}
		k := math.Log(c.span/r) / math.Log(1.4)
		I := math.Pow(1.4, math.Ceil(k))
		chunk := I * r * 0.5
		if math.Abs(f/chunk-math.Round(f/chunk)) > 1e-6 || math.Abs(tt/chunk-math.Round(tt/chunk)) > 1e-6 {
			t.Errorf("%v: window not on half-chunks of %v", c, chunk)
		}
		if interval > I*1.0001 || res > int(2*r)+2 {
			t.Errorf("%v: resolution %d, interval %v, want about ≤ %v and ≤ 2R", c, res, interval, I)
		}
	}
}

// TestSynthetic checks the fill's signal: positive, finite, identical for the same times
// whatever the batch, raw spikes only where clean has none.
func TestSynthetic(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	times := make([]int64, 86400)
	for i := range times {
		times[i] = start + int64(i)*int64(time.Second)
	}
	day := synthetic(times, 1)
	half := synthetic(times[43200:], 1)
	if len(day) != 12 {
		t.Fatalf("%d channels, want 12", len(day))
	}
	for ch, s := range day {
		for i, v := range s.Flux {
			if !(v > 0 && v < 1) {
				t.Fatalf("%s: value %v at %d", ch, v, i)
			}
		}
		for i, v := range half[ch].Flux {
			if v != s.Flux[43200+i] {
				t.Fatalf("%s: depends on the batch at %d: %v vs %v", ch, i, v, s.Flux[43200+i])
			}
		}
	}
}

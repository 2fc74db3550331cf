package flux_test

import (
	"math"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// regular returns n samples every step from start, all of value v.
func regular(start int64, step time.Duration, n int, v float32) flux.Series {
	var s flux.Series
	for i := range n {
		s.Append(start+int64(i)*int64(step), v)
	}
	return s
}

func TestCombineSmall(t *testing.T) {
	r := flux.Range{Start: t0, End: t0 + int64(time.Hour)}
	long := func(sat int16, clean bool) flux.Channel {
		return flux.Channel{Satellite: sat, Band: flux.BandLong, Clean: clean}
	}
	a := regular(t0, time.Minute, 60, 1e-6)
	b := regular(t0, time.Minute, 60, 3e-6)
	tests := []struct {
		name string
		in   map[flux.Channel]flux.Series
		// want: value of every combined point per version (NaN: no channel expected)
		raw, clean float64
		rawN, clN  int
	}{
		{"empty", map[flux.Channel]flux.Series{}, math.NaN(), math.NaN(), 0, 0},
		{"one satellite passes through", map[flux.Channel]flux.Series{long(16, false): a, long(16, true): a}, 1e-6, 1e-6, 60, 60},
		// Equal weights everywhere: the linear mean of 1e-6 and 3e-6.
		{"two equal satellites", map[flux.Channel]flux.Series{long(16, false): a, long(16, true): a, long(18, false): b, long(18, true): b}, 2e-6, 2e-6, 60, 60},
		// g18 has no clean rows: weight 0, and its raw values do not count either.
		{"missing clean counterpart", map[flux.Channel]flux.Series{long(16, false): a, long(16, true): a, long(18, false): b}, 1e-6, 1e-6, 60, 60},
		// g18 has no raw rows: its clean data still weighs, its raw values are absent.
		{"missing raw counterpart", map[flux.Channel]flux.Series{long(16, false): a, long(16, true): a, long(18, true): b}, 1e-6, 2e-6, 60, 60},
		{"combined input ignored", map[flux.Channel]flux.Series{long(0, false): b, long(16, false): a, long(16, true): a}, 1e-6, 1e-6, 60, 60},
	}
	for _, tt := range tests {
		got := flux.Combine(tt.in, r)
		for _, clean := range []bool{false, true} {
			want, wantN := tt.raw, tt.rawN
			if clean {
				want, wantN = tt.clean, tt.clN
			}
			s, ok := got[long(0, clean)]
			if want != want {
				if ok {
					t.Errorf("%s: unexpected channel %v", tt.name, long(0, clean))
				}
				continue
			}
			if s.Len() != wantN {
				t.Errorf("%s clean=%v: %d points, want %d", tt.name, clean, s.Len(), wantN)
				continue
			}
			for i, v := range s.Flux {
				if math.Abs(float64(v)-want) > 1e-6*want {
					t.Errorf("%s clean=%v: point %d = %g, want %g", tt.name, clean, i, v, want)
					break
				}
			}
		}
		if _, ok := got[flux.Channel{Satellite: 0, Band: flux.BandShort}]; ok {
			t.Errorf("%s: a band without input got a combined channel", tt.name)
		}
	}
}

// TestCombineWeights checks the 25 % rule: a satellite with less than a quarter of the
// best satellite's clean samples in a segment gets no weight.
func TestCombineWeights(t *testing.T) {
	r := flux.Range{Start: t0, End: t0 + int64(time.Hour)}
	a := regular(t0, time.Second, 3600, 1e-6)
	sparse := regular(t0, 5*time.Second, 720, 4e-6) // 20 % of a's samples
	in := map[flux.Channel]flux.Series{
		{Satellite: 16, Band: flux.BandShort}:              a,
		{Satellite: 16, Band: flux.BandShort, Clean: true}: a,
		{Satellite: 17, Band: flux.BandShort}:              sparse,
		{Satellite: 17, Band: flux.BandShort, Clean: true}: sparse,
	}
	got := flux.Combine(in, r)[flux.Channel{Satellite: 0, Band: flux.BandShort, Clean: true}]
	if got.Len() != 3600 {
		t.Fatalf("%d points, want 3600", got.Len())
	}
	for i, v := range got.Flux {
		if v != 1e-6 {
			t.Fatalf("point %d = %g: the sparse satellite should not weigh", i, v)
		}
	}
	// At 30 % it weighs: values between the two.
	denser := regular(t0, 3*time.Second, 1200, 4e-6) // 33 %
	in[flux.Channel{Satellite: 17, Band: flux.BandShort}] = denser
	in[flux.Channel{Satellite: 17, Band: flux.BandShort, Clean: true}] = denser
	got = flux.Combine(in, r)[flux.Channel{Satellite: 0, Band: flux.BandShort, Clean: true}]
	mid := got.Flux[got.Len()/2]
	if !(mid > 1e-6 && mid < 4e-6) {
		t.Fatalf("middle value %g, want between the satellites' 1e-6 and 4e-6", mid)
	}
}

// FuzzCombine builds two satellites' raw and clean series from bytes (with gaps,
// repeated and backward times, NaN and negative values) and checks that Combine returns
// time-ordered points taken from its inputs.
func FuzzCombine(f *testing.F) {
	f.Add([]byte{1, 10, 1, 20, 1, 30, 200, 40, 1, 50}, int64(0))
	f.Add([]byte{}, int64(3600e9))
	f.Fuzz(func(t *testing.T, data []byte, rangeShift int64) {
		in := make(map[flux.Channel]flux.Series)
		tm := t0
		for i := 0; i+1 < len(data); i += 2 {
			step, code := data[i], data[i+1]
			switch {
			case step == 255:
				tm -= int64(time.Minute)
			case step >= 200:
				tm += int64(step-199) * int64(10*time.Minute)
			default:
				tm += int64(step) * int64(time.Second)
			}
			ch := flux.Channel{Satellite: int16(16 + code%2), Band: flux.Band(code / 2 % 2), Clean: code/4%2 == 1}
			v := float32(1e-6) * float32(code)
			switch code % 16 {
			case 13:
				v = float32(math.NaN())
			case 14:
				v = -1e-6
			}
			s := in[ch]
			s.Append(tm, v)
			in[ch] = s
		}
		r := flux.Range{Start: t0 + rangeShift, End: tm + int64(time.Hour)}
		times := make(map[int64]bool)
		for _, s := range in {
			for _, x := range s.Time {
				times[x] = true
			}
		}
		for ch, s := range flux.Combine(in, r) {
			if ch.Satellite != flux.CombinedSatellite {
				t.Fatalf("Combine returned channel %v", ch)
			}
			for i, x := range s.Time {
				if i > 0 && x <= s.Time[i-1] {
					t.Fatalf("%v: time %d not after %d", ch, x, s.Time[i-1])
				}
				if !times[x] {
					t.Fatalf("%v: time %d not in the input", ch, x)
				}
				if v := s.Flux[i]; v != v {
					t.Fatalf("%v: NaN at %d", ch, x)
				}
			}
		}
	})
}

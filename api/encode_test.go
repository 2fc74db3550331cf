package api

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/heliotime/heliotime/store"
)

// TestAppendMillis compares appendMillis with strconv.AppendInt on sequences as /flux
// writes them (rising by an interval, crossing the boundaries of its prefix), on values
// around the boundaries of its fast path, and on random ones in any order.
func TestAppendMillis(t *testing.T) {
	var values []int64
	for _, v := range []int64{0, 1, 999_999, 1_000_000, 9_999_999_999, 10_000_000_000, 10_000_000_001, 19_999_999_999,
		20_000_000_000, 99_999_999_999, 100_000_000_000, 1_000_000_000_000, 1_769_999_999_999, 1_770_000_000_000,
		-1, -9_999_999_999, -10_000_000_000, -1_234_567_890_123} {
		values = append(values, v)
	}
	for _, step := range []int64{1, 7, 1800, 43_200_000, 15_768_000, 7_776_000_000} {
		v := int64(1_700_000_000_000) - 5*step
		for range 3000 {
			values = append(values, v)
			v += step
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		values = append(values, rng.Int64N(4_000_000_000_000)-1_000_000_000_000)
	}
	var e pointEncoder
	for _, v := range values {
		got := string(e.appendMillis([]byte("x"), v))
		if want := "x" + strconv.FormatInt(v, 10); got != want {
			t.Fatalf("appendMillis(%d) = %q, want %q", v, got, want)
		}
	}
}

// TestPointEncoder checks the array elements for both shapes.
func TestPointEncoder(t *testing.T) {
	pts := []store.Point{
		{Time: time.UnixMilli(1_715_299_200_000), Min: 1e-6, Max: 2.5e-6},
		{Time: time.UnixMilli(1_715_299_201_800), Min: 3e-7, Max: 0.00012},
	}
	for _, c := range []struct {
		minmax bool
		want   string
	}{
		{false, "[1715299200000,2.5e-06],[1715299201800,0.00012]"},
		{true, "[1715299200000,1e-06,2.5e-06],[1715299201800,3e-07,0.00012]"},
	} {
		e := pointEncoder{minmax: c.minmax}
		var b []byte
		for _, p := range pts {
			b = e.append(b, p)
		}
		if string(b) != c.want {
			t.Errorf("minmax %v: %s, want %s", c.minmax, b, c.want)
		}
	}
}

package ingest

import (
	"net/http"
	"testing"
	"time"
)

func TestLiveFile(t *testing.T) {
	now := time.Date(2024, 5, 13, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		age  time.Duration
		want string
	}{
		{time.Minute, "xrays-6-hour.json"},
		{6 * time.Hour, "xrays-6-hour.json"},
		{6*time.Hour + time.Second, "xrays-1-day.json"},
		{24 * time.Hour, "xrays-1-day.json"},
		{25 * time.Hour, "xrays-3-day.json"},
		{72 * time.Hour, "xrays-3-day.json"},
		{73 * time.Hour, "xrays-7-day.json"},
		{30 * 24 * time.Hour, "xrays-7-day.json"},
	}
	for _, tc := range tests {
		if got := liveFile(now.Add(-tc.age), now); got != tc.want {
			t.Errorf("gap %s: %s, want %s", tc.age, got, tc.want)
		}
	}
}

func TestCacheWait(t *testing.T) {
	tests := []struct {
		cc, age string
		want    time.Duration
	}{
		{"", "", 60 * time.Second},
		{"public, max-age=120", "", 120 * time.Second},
		{"max-age=120", "30", 90 * time.Second},
		{"max-age=60", "75", -15 * time.Second},
		{"no-cache", "x", 60 * time.Second},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if tc.age != "" {
			h.Set("Age", tc.age)
		}
		if got := cacheWait(h); got != tc.want {
			t.Errorf("Cache-Control %q Age %q: %s, want %s", tc.cc, tc.age, got, tc.want)
		}
	}
}

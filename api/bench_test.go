package api

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/heliotime/heliotime/store"
)

// EnvBenchURL names the database BenchmarkFluxZoom reads: a store filled with
// heliotime-bench fill (see docs/benchmarks.md).
const EnvBenchURL = "HELIOTIME_BENCH_DATABASE_URL"

// BenchmarkFluxZoom measures a 2000-point GET /flux in-process (parsing, reading,
// encoding, no network) at every zoom level, windows at random positions inside the
// stored range, and reports the p50/p95 of the per-request time besides the mean.
func BenchmarkFluxZoom(b *testing.B) {
	u := os.Getenv(EnvBenchURL)
	if u == "" {
		b.Skipf("%s is not set: no filled store to benchmark", EnvBenchURL)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ext, err := db.Extents(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var first, last time.Time
	for _, e := range ext {
		if e.Channel != defaultChannel {
			continue
		}
		if first.IsZero() || e.First.Before(first) {
			first = e.First
		}
		if e.Last.After(last) {
			last = e.Last
		}
	}
	if first.IsZero() {
		b.Skip("the benchmark store has no data in the default channel")
	}
	srv := New(db, Options{Logger: quiet, Now: func() time.Time { return last }})
	levels := []struct {
		name string
		size time.Duration
	}{
		{"5min", 5 * time.Minute}, {"1h", time.Hour}, {"1d", 24 * time.Hour}, {"1w", 7 * 24 * time.Hour},
		{"1mo", 30 * 24 * time.Hour}, {"1y", 365 * 24 * time.Hour}, {"all", 0},
	}
	for _, l := range levels {
		b.Run(l.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var times []time.Duration
			for b.Loop() {
				target := "/flux?resolution=2000"
				if l.size > 0 {
					from := first
					if span := last.Sub(first) - l.size; span > 0 {
						from = first.Add(time.Duration(rng.Int64N(int64(span))))
					}
					target += "&start=" + from.Format("2006-01-02T15:04:05.000Z") + "&end=" + from.Add(l.size).Format("2006-01-02T15:04:05.000Z")
				}
				r := httptest.NewRequest(http.MethodGet, target, nil)
				w := httptest.NewRecorder()
				begin := time.Now()
				srv.ServeHTTP(w, r)
				times = append(times, time.Since(begin))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", target, w.Code, w.Body)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[(len(times)*95+99)/100-1].Microseconds())/1000, "p95-ms")
		})
	}
}

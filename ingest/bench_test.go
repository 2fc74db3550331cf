package ingest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store/storetest"
)

// benchMirror returns a local mirror of full-size GOES-16 and GOES-18 flx1s day files
// (1 s, 86,400 records) for days days from 2024-06-01, generated with
// testdata/mirror/gen (ncgen) into HELIOTIME_BENCH_MIRROR when set (kept and reused),
// else into a temporary folder.
func benchMirror(b *testing.B, days int) string {
	b.Helper()
	if _, err := exec.LookPath("ncgen"); err != nil {
		b.Skip("ncgen not installed: cannot generate the benchmark mirror")
	}
	dir := os.Getenv("HELIOTIME_BENCH_MIRROR")
	if dir == "" {
		dir = b.TempDir()
	}
	last := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days-1)
	probe := filepath.Join(dir, "data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes18/l2/data/xrsf-l2-flx1s_science",
		last.Format("2006/01"), fmt.Sprintf("sci_xrsf-l2-flx1s_g18_d%s_v2-2-0.nc", last.Format("20060102")))
	if _, err := os.Stat(probe); err == nil {
		return dir
	}
	cmd := exec.Command("go", "run", "./testdata/mirror/gen", "-out", dir, "-from", "2024-06-01", "-days", strconv.Itoa(days), "-cadence", "1", "-feeds=false")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("generate the benchmark mirror: %v", err)
	}
	return dir
}

// BenchmarkArchiveImport imports days of two satellites' full-size day files from a local
// mirror into a fresh database per iteration: fetch (read + hash), decode, prepare
// (cleaning, combining) and write (raw rows, rollups, extents), in batches of 5 days.
// HELIOTIME_BENCH_DAYS sets the number of days (default 10), HELIOTIME_BENCH_BATCH the
// days per batch (default 5).
func BenchmarkArchiveImport(b *testing.B) {
	days := 10
	if v, err := strconv.Atoi(os.Getenv("HELIOTIME_BENCH_DAYS")); err == nil && v > 0 {
		days = v
	}
	batch := 5
	if v, err := strconv.Atoi(os.Getenv("HELIOTIME_BENCH_BATCH")); err == nil && v > 0 {
		batch = v
	}
	dir := benchMirror(b, days)
	m, err := noaa.ParseMirror(dir)
	if err != nil {
		b.Fatal(err)
	}
	var (
		sum     ingest.Summary
		elapsed time.Duration
	)
	for b.Loop() {
		b.StopTimer()
		db := storetest.New(b)
		f, err := noaa.NewFetcher(noaa.FetchOptions{Mirror: m})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := ingest.Archive(context.Background(), db, ingest.ArchiveOptions{From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
			To: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days), Fetcher: f, BatchDays: batch})
		if err != nil {
			b.Fatal(err)
		}
		if s.Days != days || len(s.Failed) > 0 {
			b.Fatalf("imported %d of %d days, failures %+v", s.Days, days, s.Failed)
		}
		b.StopTimer()
		_ = f.Close()
		db.Close()
		sum = s
		elapsed += s.Elapsed
		b.StartTimer()
	}
	n := float64(b.N)
	rate := func(rows int64, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return float64(rows) / d.Seconds()
	}
	b.ReportMetric(float64(sum.Written())*n/elapsed.Seconds(), "stored-rows/s")
	b.ReportMetric(float64(sum.Written()), "stored-rows/op")
	b.ReportMetric(rate(sum.Stages.Records, sum.Stages.Fetch), "fetch-rows/s")
	b.ReportMetric(rate(sum.Stages.Records, sum.Stages.Decode), "decode-rows/s")
	b.ReportMetric(rate(sum.Written(), sum.Stages.Prepare), "prepare-rows/s")
	b.ReportMetric(rate(sum.Written(), sum.Stages.Write), "write-rows/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

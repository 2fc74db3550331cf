package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/ingest/archivetest"
	"github.com/heliotime/heliotime/noaa/swpc"
	"github.com/heliotime/heliotime/store/storetest"
)

// feedCounts parses feed files independently and counts the kept points per channel in
// [from, to); a later file's satellite replaces an earlier one's.
func feedCounts(t *testing.T, from, to time.Time, paths ...string) map[flux.Channel]int64 {
	t.Helper()
	out := map[flux.Channel]int64{}
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := swpc.Parse(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for sat, bands := range feed.Series {
			for _, b := range flux.Bands {
				var n int64
				for _, ts := range bands[b].Time {
					if !time.Unix(0, ts).Before(from) && time.Unix(0, ts).Before(to) {
						n++
					}
				}
				c := flux.Channel{Satellite: int16(sat), Band: b}
				delete(out, c)
				if n > 0 {
					out[c] = n
				}
			}
		}
	}
	return out
}

func TestLiveMirror(t *testing.T) {
	srv := archivetest.New(t, mirrorDir)
	db := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2024, 5, 13, 0, 3, 0, 0, time.UTC)
	start := time.Date(2024, 5, 12, 19, 0, 0, 0, time.UTC)
	opt := ingest.LiveOptions{Fetcher: newFetcher(t, srv), ImportStart: start, Now: func() time.Time { return now }, Prepare: testPreparer}
	sum, wait, err := ingest.Live(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if wait != ingest.MinLiveWait || len(sum.Failed) != 0 || sum.Files != 2 {
		t.Errorf("summary %+v, wait %s", sum, wait)
	}
	if srv.Requests("/services.swpc.noaa.gov/json/goes/primary/xrays-6-hour.json") != 1 {
		t.Error("the 6-hour primary feed was not read")
	}
	feeds := filepath.Join(mirrorDir, "services.swpc.noaa.gov/json/goes")
	want := feedCounts(t, start, now, filepath.Join(feeds, "primary/xrays-6-hour.json"), filepath.Join(feeds, "secondary/xrays-6-hour.json"))
	if len(want) != 6 {
		t.Fatalf("the generated feeds should carry GOES-16, 18 and 19: %v", want)
	}
	sameCounts(t, "live raw rows", rawRows(t, db, flux.SourceLive), want)
	storetest.CheckConsistent(t, db, flux.SourceLive)
	before := checksum(t, db, flux.SourceLive)
	// Polled again: nothing after the last stored minute, nothing changes.
	again, _, err := ingest.Live(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if again.Written() != 0 || checksum(t, db, flux.SourceLive) != before {
		t.Errorf("second poll wrote %d rows / changed the data", again.Written())
	}
}

func TestLiveSharedFeedAndFailures(t *testing.T) {
	dir := archivetest.SharedDir(t, "HELIOTIME_SWPC_DIR", "noaa/swpc")
	sample := filepath.Join(dir, "secondary_xrays-6-hour_2024-05-13T2033Z_g18.json")
	root := archivetest.Tree(t, t.TempDir(), map[string]string{
		"https://services.swpc.noaa.gov/json/goes/secondary/xrays-6-hour.json": sample,
	})
	srv := archivetest.New(t, root)
	db := storetest.New(t)
	now := time.Date(2024, 5, 13, 20, 36, 0, 0, time.UTC)
	start := time.Date(2024, 5, 13, 17, 0, 0, 0, time.UTC)
	opt := ingest.LiveOptions{Fetcher: newFetcher(t, srv), ImportStart: start, Now: func() time.Time { return now }, Prepare: testPreparer}
	// The primary feed is missing: reported, the secondary is stored.
	sum, _, err := ingest.Live(context.Background(), db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || sum.Failed[0].File != "primary/xrays-6-hour.json" {
		t.Errorf("failures: %+v", sum.Failed)
	}
	sameCounts(t, "live raw rows", rawRows(t, db, flux.SourceLive), feedCounts(t, start, now, sample))
	storetest.CheckConsistent(t, db, flux.SourceLive)
	// Both feeds failing: nothing could be done.
	srv.FailAlways("/services.swpc.noaa.gov/json/goes/secondary/xrays-6-hour.json", archivetest.Status500)
	if _, _, err := ingest.Live(context.Background(), db, opt); !errors.Is(err, ingest.ErrNothingDone) {
		t.Errorf("both feeds failing: %v", err)
	}
}

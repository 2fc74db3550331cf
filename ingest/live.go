package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/noaa/swpc"
	"github.com/heliotime/heliotime/store"
)

// DefaultLiveURL is SWPC's GOES JSON directory; the feeds are primary/ and secondary/.
const DefaultLiveURL = "https://services.swpc.noaa.gov/json/goes/"

// MinLiveWait is the shortest wait between two polls of the live feed.
const MinLiveWait = time.Minute

// LiveOptions tunes a live import.
type LiveOptions struct {
	// BaseURL is the feed directory (default DefaultLiveURL).
	BaseURL string
	// Fetcher fetches the feed files (required).
	Fetcher *noaa.Fetcher
	// ImportStart is where an empty store starts (zero: 7 days ago, all the feed holds).
	ImportStart time.Time
	// Wait waits for another live import to finish instead of failing with
	// store.ErrLocked.
	Wait bool
	// Prepare cleans and combines (default: DefaultPreparer).
	Prepare Preparer
	// Logger receives one line per poll (default: discarded).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// liveFile picks the shortest feed file covering the gap since start.
func liveFile(start, now time.Time) string {
	switch age := now.Sub(start); {
	case age <= 6*time.Hour:
		return "xrays-6-hour.json"
	case age <= 24*time.Hour:
		return "xrays-1-day.json"
	case age <= 3*24*time.Hour:
		return "xrays-3-day.json"
	}
	return "xrays-7-day.json"
}

var maxAgeRe = regexp.MustCompile(`max-age=(\d+)`)

// cacheWait is how long the response says it stays fresh: max-age minus Age (default
// max-age 60 s, Age 0).
func cacheWait(h http.Header) time.Duration {
	maxAge := 60
	if m := maxAgeRe.FindStringSubmatch(h.Get("Cache-Control")); m != nil {
		maxAge, _ = strconv.Atoi(m[1])
	}
	age, _ := strconv.Atoi(strings.TrimSpace(h.Get("Age")))
	return time.Duration(maxAge-age) * time.Second
}

// Live imports SWPC's primary and secondary feeds once: from the last stored live time
// (or ImportStart) to now, with the shortest feed file that covers the gap. Records are
// split by their own satellite (a switch inside a file is normal); when both feeds carry
// the same satellite, the secondary's series wins. It returns the summary and how long
// to wait before the next poll (the feeds' max-age minus Age, at least MinLiveWait). A
// feed that fails is reported in Summary.Failed; when both fail, the error says why.
func Live(ctx context.Context, db *store.DB, opt LiveOptions) (Summary, time.Duration, error) {
	if opt.BaseURL == "" {
		opt.BaseURL = DefaultLiveURL
	}
	if !strings.HasSuffix(opt.BaseURL, "/") {
		opt.BaseURL += "/"
	}
	if opt.Prepare == nil {
		opt.Prepare = DefaultPreparer
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	sum := Summary{Source: flux.SourceLive, Rows: map[flux.Channel]int64{}}
	began := time.Now()
	wait := MinLiveWait
	if opt.Fetcher == nil {
		return sum, wait, fmt.Errorf("live import: no fetcher")
	}
	lock, err := db.LockSource(ctx, flux.SourceLive, opt.Wait)
	if err != nil {
		return sum, wait, err
	}
	defer lock.Release()

	now := opt.Now().UTC()
	last, ok, err := db.ResumePoint(ctx, flux.SourceLive)
	if err != nil {
		return sum, wait, err
	}
	start := now.Add(-7 * 24 * time.Hour)
	switch {
	case ok:
		start = last.Add(time.Microsecond)
	case !opt.ImportStart.IsZero():
		start = opt.ImportStart.UTC()
	}
	if !start.Before(now) {
		return sum, wait, nil
	}
	t := flux.RangeOf(start, now)
	name := liveFile(start, now)
	raw := map[flux.Channel]flux.Series{}
	var (
		files   []store.ImportedFile
		waits   []time.Duration
		lastErr error
	)
	for _, feed := range []string{"primary", "secondary"} {
		u := opt.BaseURL + feed + "/" + name
		t0 := time.Now()
		body, hdr, err := opt.Fetcher.Get(ctx, u)
		sum.Stages.Fetch += time.Since(t0)
		if err == nil {
			sum.Stages.Bytes += int64(len(body))
			var parsed swpc.Feed
			t0 = time.Now()
			parsed, err = swpc.Parse(bytes.NewReader(body))
			sum.Stages.Decode += time.Since(t0)
			if err == nil {
				waits = append(waits, cacheWait(hdr))
				var rows int64
				sat := 0
				for _, s := range parsed.Satellites() {
					sat = s
					for _, band := range flux.Bands {
						c := flux.Channel{Satellite: int16(s), Band: band}
						ser := cut(parsed.Series[s][band], t)
						if ser.Len() == 0 {
							continue
						}
						raw[c] = ser // the secondary's series replaces the primary's
						rows += int64(ser.Len())
					}
				}
				sum.Stages.Records += rows
				h := sha256.Sum256(body)
				files = append(files, store.ImportedFile{Product: strings.TrimSuffix(name, ".json"), Satellite: sat, Name: feed + "/" + name,
					URL: u, Size: int64(len(body)), ETag: hdr.Get("ETag"), LastModified: hdr.Get("Last-Modified"), SHA256: hex.EncodeToString(h[:]), Rows: rows})
				continue
			}
		}
		if ctx.Err() != nil {
			return sum, wait, fmt.Errorf("live import interrupted: %w", ctx.Err())
		}
		lastErr = err
		sum.Failed = append(sum.Failed, DayFailure{Day: midnight(now), File: feed + "/" + name, Reason: err.Error()})
	}
	if len(waits) > 0 {
		w := waits[0]
		for _, x := range waits[1:] {
			w = min(w, x)
		}
		wait = max(w, MinLiveWait)
	}
	if len(files) == 0 {
		sum.Elapsed = time.Since(began)
		return sum, wait, fmt.Errorf("%w: live feeds: %v", ErrNothingDone, lastErr)
	}
	if len(raw) > 0 {
		t0 := time.Now()
		writes, err := opt.Prepare(ctx, raw, t, db.Stored(flux.SourceLive))
		sum.Stages.Prepare += time.Since(t0)
		if err != nil {
			return sum, wait, fmt.Errorf("prepare live %s: %w", t, err)
		}
		t0 = time.Now()
		st, err := db.WriteBatch(ctx, store.Batch{Source: flux.SourceLive, Channels: writes, Files: files})
		sum.Stages.Write += time.Since(t0)
		if err != nil {
			return sum, wait, err
		}
		sum.Days = 1
		sum.Deleted = st.Deleted
		for c, n := range st.PerChannel {
			sum.Rows[c] += n
		}
		sum.Files = len(files)
	}
	sum.Elapsed = time.Since(began)
	opt.Logger.Info("live import", "from", start.Format(time.RFC3339), "file", name, "feeds", len(files),
		"rows", sum.Written(), "failed", len(sum.Failed), "next", wait)
	return sum, wait, nil
}

// RecleanOptions tunes Reclean.
type RecleanOptions struct {
	// BatchDays is the number of days per batch and transaction (default 10).
	BatchDays int
	// Wait waits for an import of the source to finish instead of failing.
	Wait bool
	// Prepare cleans and combines (default: DefaultPreparer).
	Prepare Preparer
	// Progress receives progress (may be nil).
	Progress Progress
	// Logger receives one line per batch (default: discarded).
	Logger *slog.Logger
}

// Reclean runs cleaning and combining again over the stored raw rows of src in
// [from, to), batch by batch, one transaction per batch (holding the source's import
// lock). The raw rows are written back unchanged; running it twice gives the same data.
func Reclean(ctx context.Context, db *store.DB, src flux.Source, from, to time.Time, opt RecleanOptions) (Summary, error) {
	if opt.BatchDays <= 0 {
		opt.BatchDays = 10
	}
	if opt.Prepare == nil {
		opt.Prepare = DefaultPreparer
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	sum := Summary{Source: src, Task: "clean", Rows: map[flux.Channel]int64{}}
	began := time.Now()
	if !from.Before(to) {
		return sum, fmt.Errorf("reclean %s: empty range %s to %s", src, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	lock, err := db.LockSource(ctx, src, opt.Wait)
	if err != nil {
		return sum, err
	}
	defer lock.Release()
	st := db.Stored(src)
	step := time.Duration(opt.BatchDays) * 24 * time.Hour
	total := int((to.Sub(from) + 24*time.Hour - 1) / (24 * time.Hour))
	if opt.Progress != nil {
		opt.Progress.Start(total)
	}
	done := 0
	for b := from; b.Before(to); b = b.Add(step) {
		e := b.Add(step)
		if e.After(to) {
			e = to
		}
		t := flux.RangeOf(b, e)
		part := Summary{Source: src, Rows: map[flux.Channel]int64{}}
		chans, err := st.Channels(ctx, t)
		if err != nil {
			return sum, err
		}
		raw := map[flux.Channel]flux.Series{}
		for _, c := range chans {
			if c.Clean {
				continue
			}
			if raw[c], err = st.Series(ctx, c, t); err != nil {
				return sum, err
			}
		}
		if len(raw) > 0 {
			t0 := time.Now()
			writes, err := opt.Prepare(ctx, raw, t, st)
			part.Stages.Prepare += time.Since(t0)
			if err != nil {
				return sum, fmt.Errorf("prepare %s %s: %w", src, t, err)
			}
			t0 = time.Now()
			ws, err := db.WriteBatch(ctx, store.Batch{Source: src, Channels: writes})
			part.Stages.Write += time.Since(t0)
			if err != nil {
				return sum, err
			}
			part.Deleted = ws.Deleted
			for c, n := range ws.PerChannel {
				part.Rows[c] += n
			}
			part.Days = int((e.Sub(b) + 24*time.Hour - 1) / (24 * time.Hour))
		} else {
			part.Empty = int((e.Sub(b) + 24*time.Hour - 1) / (24 * time.Hour))
		}
		sum.add(part)
		done += part.Days + part.Empty
		if opt.Progress != nil {
			opt.Progress.Batch(BatchReport{First: midnight(b), Last: midnight(e.Add(-1)), DaysDone: done, DaysTotal: total, Summary: sum, Batch: part})
		}
		opt.Logger.Info("reclean batch", "source", src, "from", b.Format(time.RFC3339), "to", e.Format(time.RFC3339), "rows", part.Written())
	}
	sum.Elapsed = time.Since(began)
	return sum, nil
}

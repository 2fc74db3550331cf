package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store"
)

// ArchiveOptions tunes an archive import.
type ArchiveOptions struct {
	// From and To bound the days imported, [From, To) as UTC dates. A zero From resumes
	// after the last stored non-combined time of the archive (ImportStart on an empty
	// store); a zero To is today (today itself is not imported).
	From, To time.Time
	// ImportStart is where a resumed import of an empty store starts (zero: 30 days ago).
	ImportStart time.Time
	// Satellites restricts the import to these GOES numbers (empty: all with data).
	Satellites []int
	// BatchDays is the number of days per batch and transaction (default 10).
	BatchDays int
	// Workers bounds the days of a batch fetched and decoded at once (default 4).
	Workers int
	// Fetcher fetches listings and files (required).
	Fetcher *noaa.Fetcher
	// Archives are the archive base URLs (zero: noaa.DefaultArchives()).
	Archives noaa.Archives
	// Force imports files even when import_file records them unchanged.
	Force bool
	// Wait waits for another import of the archive to finish instead of failing with
	// store.ErrLocked.
	Wait bool
	// Prepare cleans and combines (default: flux.Prepare).
	Prepare Preparer
	// Progress receives progress (may be nil).
	Progress Progress
	// Logger receives one line per batch (default: discarded).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *ArchiveOptions) defaults() {
	if o.BatchDays <= 0 {
		o.BatchDays = 10
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Archives == (noaa.Archives{}) {
		o.Archives = noaa.DefaultArchives()
	}
	if o.Prepare == nil {
		o.Prepare = DefaultPreparer
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// midnight returns t's UTC date at 00:00.
func midnight(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ErrNothingDone is wrapped by the error of an import in which every day failed.
var ErrNothingDone = errors.New("nothing could be imported")

// Archive imports NOAA's archive into the store: it takes the archive's import lock,
// works through the days in batches (the next batch is fetched and decoded while the
// current one is prepared and written, one transaction per batch) and returns what it
// did. Days whose files fail are reported in Summary.Failed and not written; when
// resuming (zero From) the import stops before the first failed day so that the next
// run starts there. A cancelled ctx rolls back the batch being written; the error then
// wraps ctx.Err().
func Archive(ctx context.Context, db *store.DB, opt ArchiveOptions) (Summary, error) {
	opt.defaults()
	sum := Summary{Source: flux.SourceArchive, Rows: map[flux.Channel]int64{}}
	began := time.Now()
	defer func() { sum.Elapsed = time.Since(began) }()
	if opt.Fetcher == nil {
		return sum, fmt.Errorf("archive import: no fetcher")
	}
	lock, err := db.LockSource(ctx, flux.SourceArchive, opt.Wait)
	if err != nil {
		return sum, err
	}
	defer lock.Release()

	resume := opt.From.IsZero()
	var start time.Time
	if resume {
		last, ok, err := db.ResumePoint(ctx, flux.SourceArchive)
		if err != nil {
			return sum, err
		}
		switch {
		case ok:
			start = last.Add(time.Microsecond)
		case !opt.ImportStart.IsZero():
			start = opt.ImportStart.UTC()
		default:
			start = midnight(opt.Now().AddDate(0, 0, -30))
		}
	} else {
		start = midnight(opt.From)
	}
	end := midnight(opt.Now())
	if !opt.To.IsZero() {
		end = midnight(opt.To)
	}
	var days []time.Time
	for d := midnight(start); d.Before(end); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	if opt.Progress != nil {
		opt.Progress.Start(len(days))
	}
	if len(days) == 0 {
		return sum, nil
	}
	cat := noaa.NewCatalog(opt.Archives, opt.Fetcher)
	src := &archiveSource{db: db, opt: &opt, cat: cat, start: start}
	err = runPipeline(ctx, db, flux.SourceArchive, days, opt.BatchDays, resume, src, opt.Prepare, opt.Progress, opt.Logger, &sum)
	sum.Elapsed = time.Since(began)
	return sum, err
}

// dayLoad is one day of a batch, fetched and decoded.
type dayLoad struct {
	day       time.Time
	r         flux.Range // the part of the day to replace (the first day of a resume starts later)
	files     []loadedFile
	unchanged bool // every file was imported before, unchanged
	fail      *DayFailure
	stages    Stages
}

// loadedFile is one decoded file.
type loadedFile struct {
	rec store.ImportedFile
	dec *noaa.Decoded
}

// daySource loads the days of a batch.
type daySource interface {
	load(ctx context.Context, days []time.Time) []dayLoad
}

// archiveSource loads archive days through the catalogue and the fetcher.
type archiveSource struct {
	db    *store.DB
	opt   *ArchiveOptions
	cat   *noaa.Catalog
	start time.Time
}

func (s *archiveSource) load(ctx context.Context, days []time.Time) []dayLoad {
	out := make([]dayLoad, len(days))
	sem := make(chan struct{}, s.opt.Workers)
	var wg sync.WaitGroup
	for i, d := range days {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = dayLoad{day: d, fail: &DayFailure{Day: d, Reason: ctx.Err().Error()}}
				return
			}
			defer func() { <-sem }()
			out[i] = s.loadDay(ctx, d)
		}()
	}
	wg.Wait()
	return out
}

// loadDay finds, fetches and decodes the files of one day.
func (s *archiveSource) loadDay(ctx context.Context, day time.Time) dayLoad {
	dl := dayLoad{day: day, r: flux.RangeOf(day, day.AddDate(0, 0, 1))}
	if s.start.After(day) {
		dl.r.Start = s.start.UnixNano()
	}
	t0 := time.Now()
	files, err := s.cat.Day(ctx, day, s.opt.Satellites)
	dl.stages.Fetch += time.Since(t0)
	if err != nil {
		dl.fail = &DayFailure{Day: day, Reason: err.Error()}
		return dl
	}
	if len(files) == 0 {
		return dl
	}
	type got struct {
		f       noaa.File
		prev    store.ImportedFile
		hasPrev bool
		fetched *noaa.Fetched
	}
	gs := make([]got, len(files))
	defer func() {
		for _, g := range gs {
			s.opt.Fetcher.Release(g.fetched)
		}
	}()
	unchanged := 0
	for i, f := range files {
		g := got{f: f}
		if !s.opt.Force {
			g.prev, g.hasPrev, err = s.db.LastImport(ctx, flux.SourceArchive, f.Name)
			if err != nil {
				dl.fail = &DayFailure{Day: day, File: f.Name, Reason: err.Error()}
				return dl
			}
		}
		var val noaa.Validator
		if g.hasPrev {
			val = noaa.Validator{ETag: g.prev.ETag, LastModified: g.prev.LastModified}
		}
		t0 := time.Now()
		g.fetched, err = s.opt.Fetcher.Fetch(ctx, f.URL, val)
		dl.stages.Fetch += time.Since(t0)
		if err != nil {
			dl.fail = &DayFailure{Day: day, File: f.Name, Reason: err.Error()}
			return dl
		}
		dl.stages.Bytes += g.fetched.Size
		if g.hasPrev && (g.fetched.NotModified || g.fetched.SHA256 == g.prev.SHA256) {
			unchanged++
		}
		gs[i] = g
	}
	if unchanged == len(files) {
		dl.unchanged = true
		return dl
	}
	for i := range gs {
		g := &gs[i]
		if g.fetched.NotModified {
			// Another file of the day changed: the day is imported whole.
			t0 := time.Now()
			g.fetched, err = s.opt.Fetcher.Fetch(ctx, g.f.URL, noaa.Validator{})
			dl.stages.Fetch += time.Since(t0)
			if err != nil {
				dl.fail = &DayFailure{Day: day, File: g.f.Name, Reason: err.Error()}
				return dl
			}
			dl.stages.Bytes += g.fetched.Size
		}
		t0 := time.Now()
		dec, err := decodeFile(g.f.Name, g.fetched.Path)
		dl.stages.Decode += time.Since(t0)
		if err != nil {
			dl.fail = &DayFailure{Day: day, File: g.f.Name, Reason: err.Error()}
			return dl
		}
		rec := store.ImportedFile{Product: g.f.Product.String(), Satellite: dec.Satellite, Day: day, Name: g.f.Name, URL: g.f.URL,
			Size: g.fetched.Size, ETag: g.fetched.ETag, LastModified: g.fetched.LastModified, SHA256: g.fetched.SHA256}
		dl.files = append(dl.files, loadedFile{rec: rec, dec: dec})
		s.opt.Fetcher.Release(g.fetched)
		g.fetched = nil
	}
	return dl
}

// decodeFile decodes the local file path, known as name.
func decodeFile(name, path string) (*noaa.Decoded, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return noaa.Decode(name, fh, fi.Size())
}

// loadedBatch is a batch handed from the loader to the writer.
type loadedBatch struct {
	days []dayLoad
}

// runPipeline loads batches of days in one goroutine, one batch ahead, and prepares and
// writes them in order in the calling one.
func runPipeline(ctx context.Context, db *store.DB, src flux.Source, days []time.Time, batchDays int, stopAtFailure bool,
	ds daySource, prep Preparer, prog Progress, log *slog.Logger, sum *Summary) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan loadedBatch) // unbuffered: the loader holds at most one batch ahead
	go func() {
		defer close(ch)
		for i := 0; i < len(days); i += batchDays {
			b := loadedBatch{days: ds.load(lctx, days[i:min(i+batchDays, len(days))])}
			select {
			case ch <- b:
			case <-lctx.Done():
				return
			}
		}
	}()
	done := 0
	stopped := false
	for b := range ch {
		if ctx.Err() != nil {
			break
		}
		var part Summary
		part.Source = src
		part.Rows = map[flux.Channel]int64{}
		if stopped {
			done += len(b.days)
			continue
		}
		err := writeBatch(ctx, db, src, b, prep, &part, stopAtFailure)
		sum.add(part)
		done += len(b.days)
		if prog != nil {
			prog.Batch(BatchReport{First: b.days[0].day, Last: b.days[len(b.days)-1].day, DaysDone: done, DaysTotal: len(days), Summary: *sum, Batch: part})
		}
		log.Info("batch", "first", b.days[0].day.Format("2006-01-02"), "last", b.days[len(b.days)-1].day.Format("2006-01-02"),
			"days", part.Days, "unchanged", part.Unchanged, "empty", part.Empty, "failed", len(part.Failed),
			"files", part.Files, "rows", part.Written(), "done", done, "total", len(days))
		if err != nil {
			cancel()
			for range ch {
			}
			return err
		}
		if stopAtFailure && len(part.Failed) > 0 {
			// Resuming: later days would move the resume point past the failed day.
			stopped = true
			cancel()
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import interrupted: %w", err)
	}
	if sum.Days == 0 && sum.Unchanged == 0 && len(sum.Failed) > 0 {
		return fmt.Errorf("%w: every day with data failed (%d)", ErrNothingDone, len(sum.Failed))
	}
	return nil
}

// writeBatch prepares and writes the runs of consecutive importable days of a batch, one
// transaction per run.
func writeBatch(ctx context.Context, db *store.DB, src flux.Source, b loadedBatch, prep Preparer, part *Summary, stopAtFailure bool) error {
	var run []dayLoad
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := writeRun(ctx, db, src, run, prep, part)
		run = run[:0]
		return err
	}
	for _, d := range b.days {
		part.Stages.Fetch += d.stages.Fetch
		part.Stages.Decode += d.stages.Decode
		part.Stages.Bytes += d.stages.Bytes
		switch {
		case d.fail != nil:
			part.Failed = append(part.Failed, *d.fail)
			if err := flush(); err != nil {
				return err
			}
			if stopAtFailure {
				return nil
			}
		case d.unchanged:
			part.Unchanged++
			if err := flush(); err != nil {
				return err
			}
		case len(d.files) == 0:
			part.Empty++
			if err := flush(); err != nil {
				return err
			}
		default:
			run = append(run, d)
		}
	}
	return flush()
}

// writeRun prepares and writes consecutive days in one transaction.
func writeRun(ctx context.Context, db *store.DB, src flux.Source, run []dayLoad, prep Preparer, part *Summary) error {
	t := flux.Range{Start: run[0].r.Start, End: run[len(run)-1].r.End}
	raw := map[flux.Channel]flux.Series{}
	var files []store.ImportedFile
	for _, d := range run {
		for _, f := range d.files {
			for _, band := range flux.Bands {
				c := flux.Channel{Satellite: int16(f.dec.Satellite), Band: band}
				raw[c] = raw[c] // present even when empty
			}
		}
	}
	// Size each channel's series once: a run of days can hold millions of points.
	need := map[flux.Channel]int{}
	for _, d := range run {
		for _, f := range d.files {
			for _, band := range flux.Bands {
				need[flux.Channel{Satellite: int16(f.dec.Satellite), Band: band}] += cut(f.dec.Bands[band], d.r).Len()
			}
		}
	}
	for c, n := range need {
		raw[c] = flux.Series{Time: make([]int64, 0, n), Flux: make([]float32, 0, n)}
	}
	for _, d := range run {
		seen := map[int]bool{}
		for i := range d.files {
			f := d.files[i]
			d.files[i].dec = nil // raw holds the day's points now; let the file go
			// Two files of one day may name different satellites but hold the same one
			// (a misnamed copy): the first is kept.
			if seen[f.dec.Satellite] {
				part.Failed = append(part.Failed, DayFailure{Day: d.day, File: f.rec.Name,
					Reason: fmt.Sprintf("holds GOES-%d data again on this day; the other file was imported", f.dec.Satellite)})
				continue
			}
			seen[f.dec.Satellite] = true
			var rows int64
			for _, band := range flux.Bands {
				c := flux.Channel{Satellite: int16(f.dec.Satellite), Band: band}
				s := cut(f.dec.Bands[band], d.r)
				part.Stages.Records += int64(s.Len())
				rows += int64(s.Len())
				raw[c] = appendSeries(raw[c], s)
			}
			f.rec.Rows = rows
			files = append(files, f.rec)
		}
	}
	t0 := time.Now()
	writes, err := prep(ctx, raw, t, db.Stored(src))
	part.Stages.Prepare += time.Since(t0)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", t, err)
	}
	t0 = time.Now()
	st, err := db.WriteBatch(ctx, store.Batch{Source: src, Channels: writes, Files: files})
	part.Stages.Write += time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("import interrupted, batch %s rolled back: %w", t, ctx.Err())
		}
		return err
	}
	part.Days += len(run)
	part.Files += len(files)
	part.Deleted += st.Deleted
	for c, n := range st.PerChannel {
		part.Rows[c] += n
	}
	return nil
}

// cut returns the points of s inside r (sharing s's arrays).
func cut(s flux.Series, r flux.Range) flux.Series {
	lo := sort.Search(len(s.Time), func(i int) bool { return s.Time[i] >= r.Start })
	hi := sort.Search(len(s.Time), func(i int) bool { return s.Time[i] >= r.End })
	return flux.Series{Time: s.Time[lo:hi], Flux: s.Flux[lo:hi]}
}

// appendSeries appends b after a; b starts after a ends (days are in order).
func appendSeries(a, b flux.Series) flux.Series {
	a.Time = append(a.Time, b.Time...)
	a.Flux = append(a.Flux, b.Flux...)
	return a
}

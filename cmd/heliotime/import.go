package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store"
)

// importMemoryLimit is the import's soft memory limit (GOMEMLIMIT overrides it).
const importMemoryLimit = 896 << 20

// importOptions are the flags of the import command.
type importOptions struct {
	source      string
	from, to    string
	satellites  []int
	batchDays   int
	workers     int
	mirror      string
	archiveURL  string
	liveURL     string
	files       []string
	cacheDir    string
	keepFiles   bool
	follow      bool
	wait        bool
	force       bool
	importStart string
	progress    string
}

// newImportCmd builds `heliotime import`.
func newImportCmd(env *cliEnv) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import the archive or the live feed into the database",
		Long: `Import NOAA's archive (--source archive, the default) or SWPC's live feed (--source live).

Archive: the days [--from, --to) are imported in batches of --batch-days, one
transaction per batch; the next batch downloads while the current one is cleaned,
combined and written. Without --from the import resumes after the last stored time
(an empty database starts at --import-start, default 30 days ago). Files already
imported unchanged are skipped (conditional requests) unless --force. A day whose
files fail after retries, or do not decode, is reported and not written; run the
same command again to retry it. --file imports local files of any family instead.

Live: the primary and secondary feeds, from the last stored time to now, with the
shortest feed file that covers the gap; --follow repeats at the feed's cadence until
interrupted.

--mirror DIR|URL reads everything (listings, files, feeds) from an offline copy laid
out as https://HOST/PATH -> DIR/HOST/PATH, the layout "wget --mirror" writes.

Examples:
  heliotime import --source archive --from 2024-05-10 --to 2024-05-13
  heliotime import --source archive --mirror testdata/mirror --from 2024-05-10 --to 2024-05-13
  heliotime import --source live --follow
  heliotime import --file sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc go1520110607.fits.gz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Paths after --file's own value are more files: "--file a.nc b.nc".
			if len(args) > 0 && !cmd.Flags().Changed("file") {
				return usagef("unexpected argument %q: local files go after --file", args[0])
			}
			o.files = append(o.files, args...)
			return runImport(cmd.Context(), env, &o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.source, "source", "archive", "what to import: archive or live")
	fs.StringVar(&o.from, "from", "", "first day to import, YYYY-MM-DD (default: resume after the last stored time)")
	fs.StringVar(&o.to, "to", "", "day after the last to import, YYYY-MM-DD (default: today)")
	fs.IntSliceVar(&o.satellites, "satellite", nil, "import only these GOES satellites, e.g. 16,18 (default: all with data)")
	fs.IntVar(&o.batchDays, "batch-days", 10, "days imported per transaction")
	fs.IntVar(&o.workers, "workers", 4, "parallel downloads (days fetched at once, and connections per host)")
	fs.StringVar(&o.mirror, "mirror", "", "base URL or local folder laid out like NOAA's hosts (HOST/PATH), used instead of the network")
	fs.StringVar(&o.archiveURL, "archive-url", "", "base URL or folder of NOAA's archive hosts, laid out HOST/PATH (empty: NOAA's hosts)")
	fs.StringVar(&o.liveURL, "live-url", "", "base URL of SWPC's GOES JSON feeds (empty: "+ingest.DefaultLiveURL+")")
	fs.StringSliceVar(&o.files, "file", nil, "import these local archive files instead of downloading (--file A.nc B.fits ...)")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "folder for downloaded files (default: a temporary folder)")
	fs.BoolVar(&o.keepFiles, "keep-files", false, "keep downloaded files in --cache-dir after import")
	fs.BoolVar(&o.follow, "follow", false, "live: keep importing at the feed's cadence until interrupted")
	fs.BoolVar(&o.wait, "wait", false, "wait for another import of the same source to finish instead of failing")
	fs.BoolVar(&o.force, "force", false, "import files even when they were imported before unchanged")
	fs.StringVar(&o.importStart, "import-start", "", "where an import without --from starts on an empty database, YYYY-MM-DD (default: 30 days ago)")
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar on a terminal, else one log line per batch), bar or log")
	return cmd
}

// parseDay parses a YYYY-MM-DD flag value (empty: zero time).
func parseDay(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		if t2, err2 := time.Parse(time.RFC3339, v); err2 == nil {
			return t2.UTC(), nil
		}
		return time.Time{}, usagef("--%s %q: want a date YYYY-MM-DD", flag, v)
	}
	return t, nil
}

// importPlan is the validated form of the flags.
type importPlan struct {
	source            flux.Source
	from, to, started time.Time
	fetch             noaa.FetchOptions
	archives          noaa.Archives
}

// plan validates the flags (usage errors name the flag).
func (o *importOptions) plan() (importPlan, error) {
	var p importPlan
	src, err := flux.ParseSource(o.source)
	if err != nil {
		return p, usagef("--source: %v", err)
	}
	p.source = src
	if p.from, err = parseDay("from", o.from); err != nil {
		return p, err
	}
	if p.to, err = parseDay("to", o.to); err != nil {
		return p, err
	}
	if p.started, err = parseDay("import-start", o.importStart); err != nil {
		return p, err
	}
	if !p.from.IsZero() && !p.to.IsZero() && !p.from.Before(p.to) {
		return p, usagef("--from %s is not before --to %s (--to is the day after the last one imported)", o.from, o.to)
	}
	for _, s := range o.satellites {
		if s < 1 || s > flux.MaxSatellite {
			return p, usagef("--satellite %d: GOES satellites are 1 to %d", s, flux.MaxSatellite)
		}
	}
	if o.batchDays < 1 {
		return p, usagef("--batch-days %d: at least 1", o.batchDays)
	}
	if o.workers < 1 {
		return p, usagef("--workers %d: at least 1", o.workers)
	}
	switch o.progress {
	case "auto", "bar", "log":
	default:
		return p, usagef("--progress %q: auto, bar or log", o.progress)
	}
	if src == flux.SourceLive {
		switch {
		case len(o.files) > 0:
			return p, usagef("--file imports archive files: not with --source live")
		case o.from != "" || o.to != "":
			return p, usagef("--from/--to: the live feed is imported from the last stored time to now")
		case len(o.satellites) > 0:
			return p, usagef("--satellite: not with --source live (the feeds say which satellites they carry)")
		}
	} else if o.follow {
		return p, usagef("--follow: only with --source live")
	}
	p.fetch = noaa.FetchOptions{CacheDir: o.cacheDir, KeepFiles: o.keepFiles, PerHost: o.workers}
	p.archives = noaa.DefaultArchives()
	if o.mirror != "" {
		m, err := noaa.ParseMirror(o.mirror)
		if err != nil {
			return p, usagef("--mirror: %v", err)
		}
		p.fetch.Mirror = m
	} else if o.archiveURL != "" && src == flux.SourceArchive {
		m, err := noaa.ParseMirror(o.archiveURL)
		if err != nil {
			return p, usagef("--archive-url: %v", err)
		}
		if m.Local() {
			p.fetch.Mirror = m
		} else {
			def := noaa.DefaultArchives()
			for _, pair := range []struct {
				dst *string
				src string
			}{{&p.archives.NGDC, def.NGDC}, {&p.archives.NCEI, def.NCEI}, {&p.archives.SDAC, def.SDAC}} {
				if *pair.dst, err = m.Map(pair.src); err != nil {
					return p, usagef("--archive-url: %v", err)
				}
			}
		}
	}
	return p, nil
}

// runImport runs the import command.
func runImport(ctx context.Context, env *cliEnv, o *importOptions) error {
	p, err := o.plan()
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A long import keeps two batches in memory; a soft limit keeps the garbage
		// collector from letting the heap double past that on a small machine.
		debug.SetMemoryLimit(importMemoryLimit)
	}
	log := env.Logger()
	p.fetch.Logger = log
	fetcher, err := noaa.NewFetcher(p.fetch)
	if err != nil {
		return err
	}
	defer fetcher.Close()
	db, err := env.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()

	if p.source == flux.SourceLive {
		return runLive(ctx, env, o, db, fetcher)
	}
	prog := newImportProgress(env, o.progress, log)
	opt := ingest.ArchiveOptions{From: p.from, To: p.to, ImportStart: p.started, Satellites: o.satellites, BatchDays: o.batchDays,
		Workers: o.workers, Fetcher: fetcher, Archives: p.archives, Force: o.force, Wait: o.wait, Progress: prog, Logger: prog.logger()}
	var sum ingest.Summary
	if len(o.files) > 0 {
		sum, err = ingest.ImportFiles(ctx, db, o.files, opt)
	} else {
		sum, err = ingest.Archive(ctx, db, opt)
	}
	prog.finish()
	return importResult(env, sum, err)
}

// runLive imports the live feed once, or repeatedly with --follow.
func runLive(ctx context.Context, env *cliEnv, o *importOptions, db *store.DB, fetcher *noaa.Fetcher) error {
	log := env.Logger()
	opt := ingest.LiveOptions{BaseURL: o.liveURL, Fetcher: fetcher, Wait: o.wait, Logger: log}
	if opt.BaseURL == "" {
		opt.BaseURL = ingest.DefaultLiveURL
	}
	p, _ := o.plan()
	opt.ImportStart = p.started
	for {
		sum, wait, err := ingest.Live(ctx, db, opt)
		if !o.follow {
			return importResult(env, sum, err)
		}
		if ctx.Err() != nil {
			sum.Print(env.Stdout)
			return nil // interrupted while following: a clean stop
		}
		switch {
		case errors.Is(err, store.ErrLocked):
			return importResult(env, sum, err)
		case err != nil:
			log.Error("live import failed; retrying", "err", err, "in", wait)
		default:
			log.Info("live import", "rows", sum.Written(), "failed", len(sum.Failed), "next", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// importResult prints the summary and maps the outcome to the exit status: 0 all done,
// 3 some days failed, 1 nothing could be done (or the import was interrupted).
func importResult(env *cliEnv, sum ingest.Summary, err error) error {
	sum.Print(env.Stdout)
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("another %s import is running (use --wait to wait for it): %w", sum.Source, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted; the batch being written was rolled back, the batches before it are stored: %w", err)
	case err != nil:
		return err
	case len(sum.Failed) > 0:
		return partialError{fmt.Errorf("%d days failed (listed above); they were not recorded, run the import again to retry them", len(sum.Failed))}
	}
	return nil
}

// importProgress shows an import's progress: a bar on a terminal, else one log line per
// batch (written by the pipeline's logger).
type importProgress struct {
	log   *slog.Logger
	bar   *progressbar.ProgressBar
	out   io.Writer
	start time.Time
}

func newImportProgress(env *cliEnv, mode string, log *slog.Logger) *importProgress {
	p := &importProgress{log: log, out: env.Stderr, start: time.Now()}
	tty := false
	if f, ok := env.Stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if mode == "bar" || (mode == "auto" && tty) {
		p.bar = progressbar.NewOptions(1,
			progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetItsString("days"),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// logger is the pipeline's per-batch logger: silent under a bar (the bar says it).
func (p *importProgress) logger() *slog.Logger {
	if p.bar != nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.log
}

// Start implements ingest.Progress.
func (p *importProgress) Start(days int) {
	if p.bar != nil {
		p.bar.ChangeMax(max(days, 1))
	}
}

// Batch implements ingest.Progress.
func (p *importProgress) Batch(r ingest.BatchReport) {
	if p.bar == nil {
		return
	}
	rate := 0.0
	if s := time.Since(p.start).Seconds(); s > 0 {
		rate = float64(r.Summary.Written()) / s
	}
	p.bar.Describe(fmt.Sprintf("%d/%d days (to %s)  %d files  %.0f rows/s  %d failed", r.DaysDone, r.DaysTotal, r.Last.Format("2006-01-02"),
		r.Summary.Files, rate, len(r.Summary.Failed)))
	_ = p.bar.Set(r.DaysDone)
}

func (p *importProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

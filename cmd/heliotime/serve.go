package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/api"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store"
)

// archiveEvery is how often serve --import-archive runs the archive import (the
// original's importer re-ran hourly).
const archiveEvery = time.Hour

// serveOptions are the flags of heliotime serve.
type serveOptions struct {
	Addr          string
	FollowLive    bool
	ImportArchive bool
	CORSOrigins   []string
	QueryTimeout  time.Duration
	MaxResolution int
	ShutdownGrace time.Duration
}

// newServeCmd builds heliotime serve.
func newServeCmd(env *cliEnv) *cobra.Command {
	opts := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the flux record over HTTP",
		Long: `Serve the flux record over HTTP: the original Heliotime server's /flux and /status
(the web frontend works unchanged against it), channel selection and min/max envelopes on
/flux, /coverage, /openapi.json and a self-contained /docs page, /healthz and /readyz.

With --follow-live the live feed is imported in the background at the cadence its cache
headers give (at least every minute), with --import-archive the archive every hour, each in
its own goroutine, retried with backoff on failure; the API keeps serving whatever they
do. The importers use the archive-url, live-url and cache-dir settings.

On SIGTERM or interrupt the server stops accepting connections and finishes the requests
in flight (up to --shutdown-grace).` + exitStatusHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Addr, "addr", ":8000", "HTTP listen address")
	fs.BoolVar(&opts.FollowLive, "follow-live", false, "import the live feed in the background while serving")
	fs.BoolVar(&opts.ImportArchive, "import-archive", false, "import the archive in the background (hourly) while serving")
	fs.StringSliceVar(&opts.CORSOrigins, "cors-origins", []string{"*"}, "origins allowed by CORS (* = any, like the original)")
	fs.DurationVar(&opts.QueryTimeout, "query-timeout", api.DefaultQueryTimeout, "bound on the database work of one request (503 when exceeded)")
	fs.IntVar(&opts.MaxResolution, "max-resolution", api.DefaultMaxResolution, "most points per series a /flux request answers")
	fs.DurationVar(&opts.ShutdownGrace, "shutdown-grace", 30*time.Second, "how long requests in flight may take to finish on shutdown")
	return cmd
}

// runServe opens the store and serves until ctx ends.
func runServe(ctx context.Context, env *cliEnv, opts serveOptions) error {
	if opts.MaxResolution < 1 {
		return usagef("--max-resolution must be at least 1, got %d", opts.MaxResolution)
	}
	if opts.QueryTimeout <= 0 {
		return usagef("--query-timeout must be positive, got %s", opts.QueryTimeout)
	}
	if opts.ShutdownGrace < 0 {
		return usagef("--shutdown-grace must not be negative, got %s", opts.ShutdownGrace)
	}
	log := env.Logger()
	db, err := env.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	srv := api.New(db, api.Options{
		MaxResolution: opts.MaxResolution,
		QueryTimeout:  opts.QueryTimeout,
		CORSOrigins:   opts.CORSOrigins,
		Logger:        log,
	})
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "max_resolution", opts.MaxResolution,
		"query_timeout", opts.QueryTimeout, "cors_origins", opts.CORSOrigins)
	var wg sync.WaitGroup
	if opts.FollowLive || opts.ImportArchive {
		stop, err := startImporters(ctx, env, db, opts, &wg)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	err = api.Serve(ctx, ln, srv, opts.ShutdownGrace, log)
	wg.Wait() // importers end with ctx; a write in flight rolls back
	return err
}

// startImporters starts the background importers serve was asked for.
func startImporters(ctx context.Context, env *cliEnv, db *store.DB, opts serveOptions, wg *sync.WaitGroup) (func(), error) {
	log := env.Logger()
	// The same archive-url / cache-dir handling as heliotime import.
	p, err := (&importOptions{source: "archive", archiveURL: env.String("archive-url"), cacheDir: env.String("cache-dir"),
		batchDays: 10, workers: 4, progress: "log"}).plan()
	if err != nil {
		return nil, err
	}
	p.fetch.Logger = log
	fetcher, err := noaa.NewFetcher(p.fetch)
	if err != nil {
		return nil, err
	}
	if opts.FollowLive {
		lo := ingest.LiveOptions{BaseURL: env.String("live-url"), Fetcher: fetcher, Logger: log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			background(ctx, log, "live", func(ctx context.Context) (time.Duration, error) {
				sum, wait, err := ingest.Live(ctx, db, lo)
				if err == nil {
					log.Info("live import", "rows", sum.Written(), "failed", len(sum.Failed), "next", wait)
				}
				return wait, err
			})
		}()
	}
	if opts.ImportArchive {
		ao := ingest.ArchiveOptions{Fetcher: fetcher, Archives: p.archives, Logger: log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			background(ctx, log, "archive", func(ctx context.Context) (time.Duration, error) {
				sum, err := ingest.Archive(ctx, db, ao)
				if err == nil || len(sum.Failed) > 0 {
					log.Info("archive import", "days", sum.Days, "rows", sum.Written(), "failed_days", len(sum.Failed), "next", archiveEvery)
				}
				if err != nil && sum.Days > 0 {
					// Some days failed after retries: the rest is stored; try again next hour.
					return archiveEvery, nil
				}
				return archiveEvery, err
			})
		}()
	}
	return func() { fetcher.Close() }, nil
}

// background runs one importer inside the server until ctx ends: step runs once and
// returns how long to wait before the next run; a failure (or a panic) is logged and
// retried with exponential backoff from one minute up to an hour, so the API never goes
// down with it. Another process holding the source's import lock counts as a normal run:
// that importer does the work.
func background(ctx context.Context, log *slog.Logger, name string, step func(context.Context) (time.Duration, error)) {
	const minBackoff, maxBackoff = time.Minute, time.Hour
	backoff := minBackoff
	for {
		wait, err := runStep(ctx, step)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrLocked):
			log.Info("background import skipped: another import holds the lock", "importer", name)
			backoff = minBackoff
		case err != nil:
			log.Error("background import failed", "importer", name, "err", err, "retry_in", backoff)
			wait = backoff
			backoff = min(2*backoff, maxBackoff)
		default:
			backoff = minBackoff
		}
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// runStep runs step, turning a panic into an error.
func runStep(ctx context.Context, step func(context.Context) (time.Duration, error)) (wait time.Duration, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return step(ctx)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/fluxcsv"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/plot"
	"github.com/heliotime/heliotime/store"
)

// cleanOptions are the flags of the clean command.
type cleanOptions struct {
	file      string // input CSV (time,flux); empty: stored flux
	source    string // store mode: archive or live
	from      string
	to        string
	output    string // cleaned CSV; empty: stdout
	plot      string // SVG of raw and cleaned flux
	batchDays int    // store mode: days per transaction
	wait      bool   // store mode: wait for a running import of the source
	progress  string // store mode: auto, bar or log
}

// newCleanCmd builds "heliotime clean".
func newCleanCmd(env *cliEnv) *cobra.Command {
	var opts cleanOptions
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Clean a series of flux (artifact removal) and write or plot it",
		Long: `Clean a series of X-ray flux with heliotime's artifact removal (the same algorithm
the import applies) and write the cleaned series as CSV, optionally with a plot.

File mode (--file): the input is CSV "time,flux" (time as ISO-8601 or epoch
milliseconds; a header line is optional; .gz files are read directly). --from and
--to default to the data's span. The cleaned series goes to --output or stdout;
--plot draws raw and cleaned flux on a log axis with the flare classes as SVG.

Store mode (--source archive|live with --from/--to as dates, --to exclusive) re-runs
cleaning and combining over the raw flux already stored, after an algorithm change:
batch by batch (--batch-days), one transaction per batch, rollups and extents kept
consistent. Running it twice gives the same rows. It takes the source's import lock:
with --wait it waits for a running import, otherwise it exits 1.`,
		Example: `  heliotime clean --file g16_long.csv --output clean.csv --plot clean.svg
  heliotime clean --file g16_long.csv.gz --from 2024-05-10 --to 2024-05-11
  heliotime clean --source archive --from 2024-05-01 --to 2024-06-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClean(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.file, "file", "", "clean this CSV file (time,flux) instead of stored flux")
	fs.StringVar(&opts.source, "source", "", "store mode: archive or live")
	fs.StringVar(&opts.from, "from", "", "start of the window (ISO-8601 or epoch ms; default: the data's start)")
	fs.StringVar(&opts.to, "to", "", "end of the window, exclusive (default: just after the data's end)")
	fs.StringVar(&opts.output, "output", "", "write the cleaned series here (default stdout)")
	fs.StringVar(&opts.plot, "plot", "", "write an SVG plot of raw and cleaned flux here")
	fs.IntVar(&opts.batchDays, "batch-days", 10, "store mode: days re-cleaned per transaction")
	fs.BoolVar(&opts.wait, "wait", false, "store mode: wait for a running import of the source instead of exiting 1")
	fs.StringVar(&opts.progress, "progress", "auto", "store mode: auto (a bar on a terminal, else one log line per batch), bar or log")
	return cmd
}

// runClean cleans a file (--file) or re-cleans stored flux (--source).
func runClean(ctx context.Context, env *cliEnv, opts cleanOptions) error {
	switch {
	case opts.file != "" && opts.source != "":
		return usagef("--file and --source exclude each other: clean a file or the stored flux")
	case opts.file == "" && opts.source == "":
		return usagef("say what to clean: --file IN.csv, or --source archive|live with --from and --to")
	case opts.source != "":
		return runCleanStore(ctx, env, opts)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := readSeriesFile(opts.file)
	if err != nil {
		return err
	}
	r, err := cleanRange(raw, opts.from, opts.to)
	if err != nil {
		return err
	}
	window := flux.Series{}
	for i, t := range raw.Time {
		if r.Contains(t) {
			window.Append(t, raw.Flux[i])
		}
	}
	cleaned := flux.Clean(window, r)

	if err := writeOutput(env.Stdout, opts.output, func(w io.Writer) error { return fluxcsv.Write(w, cleaned) }); err != nil {
		return err
	}
	if opts.plot != "" {
		title := fmt.Sprintf("%s: %d of %d points kept", filepath.Base(opts.file), cleaned.Len(), window.Len())
		err := writeOutput(env.Stdout, opts.plot, func(w io.Writer) error {
			return plot.WriteSVG(w, plot.Options{Title: title, Range: r},
				plot.Line{Name: "raw", Series: window, Color: "#b0b0b0"},
				plot.Line{Name: "cleaned", Series: cleaned, Color: "#1f5fbf", Width: 1.2})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runCleanStore re-runs cleaning and combining over stored raw flux.
func runCleanStore(ctx context.Context, env *cliEnv, opts cleanOptions) error {
	src, err := flux.ParseSource(opts.source)
	if err != nil {
		return usagef("--source: %v", err)
	}
	if opts.from == "" || opts.to == "" {
		return usagef("--source %s needs --from and --to (dates, --to exclusive)", src)
	}
	from, err := parseDay("from", opts.from)
	if err != nil {
		return err
	}
	to, err := parseDay("to", opts.to)
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return usagef("--from %s is not before --to %s", opts.from, opts.to)
	}
	if opts.batchDays < 1 {
		return usagef("--batch-days %d: want at least 1", opts.batchDays)
	}
	switch opts.progress {
	case "auto", "bar", "log":
	default:
		return usagef("--progress %q: auto, bar or log", opts.progress)
	}
	db, err := env.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	prog := newImportProgress(env, opts.progress, env.Logger())
	sum, err := ingest.Reclean(ctx, db, src, from, to, ingest.RecleanOptions{
		BatchDays: opts.batchDays, Wait: opts.wait, Progress: prog, Logger: prog.logger()})
	prog.finish()
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("an import of %s is running (use --wait to wait for it): %w", src, err)
	}
	return importResult(env, sum, err)
}

func readSeriesFile(name string) (flux.Series, error) {
	f, err := os.Open(name)
	if err != nil {
		return flux.Series{}, err
	}
	defer f.Close()
	return fluxcsv.ReadFile(name, f)
}

// cleanRange returns [from, to) from the flags, defaulting to the data's span.
func cleanRange(s flux.Series, from, to string) (flux.Range, error) {
	var r flux.Range
	if s.Len() > 0 {
		r = flux.Range{Start: s.Time[0], End: s.Time[0] + 1}
		for _, t := range s.Time {
			r = r.Union(flux.Range{Start: t, End: t + 1})
		}
	}
	var err error
	if from != "" {
		if r.Start, err = fluxcsv.ParseTime(from); err != nil {
			return r, usagef("--from: %v", err)
		}
	}
	if to != "" {
		if r.End, err = fluxcsv.ParseTime(to); err != nil {
			return r, usagef("--to: %v", err)
		}
	}
	if from != "" || to != "" {
		if r.Empty() {
			return r, usagef("--from %s is not before --to %s", from, to)
		}
	}
	return r, nil
}

// writeOutput writes to the named file, or to stdout when name is empty or "-".
func writeOutput(stdout io.Writer, name string, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		return write(stdout)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

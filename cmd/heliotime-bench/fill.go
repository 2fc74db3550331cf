package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

type fillOptions struct {
	DatabaseURL string
	Years       float64
	Days        int
	End         string
	ArchiveLag  int
	LiveDays    int
	BatchDays   int
	Seed        uint64
}

func newFillCmd(stdout io.Writer, log *slog.Logger) *cobra.Command {
	opts := fillOptions{}
	cmd := &cobra.Command{
		Use:   "fill",
		Short: "Write a synthetic flux record through the real write path",
		Long: `Write a synthetic flux record of 12 channels (GOES 16 and 18 and the combined signal,
both bands, raw and clean) through store.WriteBatch: 1 s archive rows for --years (or
--days) ending --archive-lag days before --end, and 60 s live rows for the last
--live-days days before --end. Rollups, blocks and extents are maintained by the write path as in
a real import. Prints the write rate and the storage used per raw row.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFill(cmd.Context(), stdout, log, opts) },
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.DatabaseURL, "database-url", os.Getenv("HELIOTIME_DATABASE_URL"), "PostgreSQL URL of the benchmark database (migrated on start)")
	fs.Float64Var(&opts.Years, "years", 1, "years of 1 s archive data")
	fs.IntVar(&opts.Days, "days", 0, "days of 1 s archive data (overrides --years)")
	fs.StringVar(&opts.End, "end", "", "end of the record, YYYY-MM-DD (default: today)")
	fs.IntVar(&opts.ArchiveLag, "archive-lag", 4, "days the archive ends before --end")
	fs.IntVar(&opts.LiveDays, "live-days", 7, "days of 60 s live data before --end")
	fs.IntVar(&opts.BatchDays, "batch-days", 1, "days per write transaction")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the synthetic signal")
	return cmd
}

// benchChannels are the 12 channels of a typical instant.
func benchChannels() []flux.Channel {
	var out []flux.Channel
	for _, sat := range []int16{16, 18, flux.CombinedSatellite} {
		for _, band := range flux.Bands {
			for _, clean := range []bool{false, true} {
				out = append(out, flux.Channel{Satellite: sat, Band: band, Clean: clean})
			}
		}
	}
	return out
}

func runFill(ctx context.Context, stdout io.Writer, log *slog.Logger, opts fillOptions) error {
	if opts.DatabaseURL == "" {
		return errors.New("--database-url (or HELIOTIME_DATABASE_URL) is required")
	}
	days := opts.Days
	if days <= 0 {
		days = int(math.Round(opts.Years * 365))
	}
	if days <= 0 || opts.BatchDays <= 0 {
		return fmt.Errorf("nothing to fill: %d days in batches of %d", days, opts.BatchDays)
	}
	end := time.Now().UTC().Truncate(24 * time.Hour)
	if opts.End != "" {
		t, err := time.Parse("2006-01-02", opts.End)
		if err != nil {
			return fmt.Errorf("--end: %w", err)
		}
		end = t
	}
	if err := store.MigrateUp(ctx, opts.DatabaseURL); err != nil {
		return err
	}
	db, err := store.Open(ctx, opts.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	archiveEnd := end.AddDate(0, 0, -opts.ArchiveLag)
	archiveStart := archiveEnd.AddDate(0, 0, -days)
	log.Info("fill", "archive", flux.RangeOf(archiveStart, archiveEnd).String(), "live_days", opts.LiveDays, "channels", len(benchChannels()))

	// Live first: it is small, and an interrupted fill still has both sources.
	liveBegin := time.Now()
	var liveRows int64
	if opts.LiveDays > 0 {
		n, err := writeSynthetic(ctx, db, flux.SourceLive, end.AddDate(0, 0, -opts.LiveDays), end, time.Minute, opts.Seed)
		if err != nil {
			return err
		}
		liveRows = n
	}
	liveTime := time.Since(liveBegin)
	begin := time.Now()
	var rows int64
	for day := archiveStart; day.Before(archiveEnd); day = day.AddDate(0, 0, opts.BatchDays) {
		batchEnd := day.AddDate(0, 0, opts.BatchDays)
		if batchEnd.After(archiveEnd) {
			batchEnd = archiveEnd
		}
		n, err := writeSynthetic(ctx, db, flux.SourceArchive, day, batchEnd, time.Second, opts.Seed)
		if err != nil && ctx.Err() != nil {
			log.Warn("interrupted: the batch in flight was rolled back, the days before it are stored", "day", day.Format("2006-01-02"))
			break
		}
		if err != nil {
			return err
		}
		rows += n
		el := time.Since(begin)
		done := batchEnd.Sub(archiveStart).Seconds() / archiveEnd.Sub(archiveStart).Seconds()
		log.Info("archive batch", "day", day.Format("2006-01-02"), "rows", rows,
			"rows_per_s", int(float64(rows)/el.Seconds()), "elapsed", el.Round(time.Second),
			"eta", time.Duration(float64(el)/done-float64(el)).Round(time.Second))
	}
	archiveTime := time.Since(begin)
	// Measure even after an interruption: what is stored is consistent, day by day.
	ctx = context.WithoutCancel(ctx)

	// What autovacuum does in time on a live store, at once: statistics for the planner
	// and the visibility map that lets the rollups' covering keys answer reads alone.
	vacuumBegin := time.Now()
	var rollups []string
	for _, l := range store.Levels(flux.SourceArchive) {
		rollups = append(rollups, store.RollupTable(flux.SourceArchive, l))
	}
	tables := append([]string{store.RawTable(flux.SourceArchive), store.RawTable(flux.SourceLive),
		store.BlockTable(flux.SourceArchive), store.BlockTable(flux.SourceLive)}, rollups...)
	for _, l := range store.Levels(flux.SourceLive) {
		tables = append(tables, store.RollupTable(flux.SourceLive, l))
	}
	for _, t := range tables {
		if _, err := db.Pool().Exec(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	log.Info("vacuumed and analyzed", "tables", len(tables), "elapsed", time.Since(vacuumBegin).Round(time.Second))

	var rawBytes, rawRows, rollupBytes, blockBytes int64
	if err := db.Pool().QueryRow(ctx, `SELECT pg_total_relation_size('flux_archive'),
		(SELECT coalesce(sum(row_count), 0)::bigint FROM flux_extent WHERE source = 'archive'),
		(SELECT sum(pg_total_relation_size(t))::bigint FROM unnest($1::text[]) AS t),
		pg_total_relation_size($2)`, rollups, store.BlockTable(flux.SourceArchive)).Scan(&rawBytes, &rawRows, &rollupBytes, &blockBytes); err != nil {
		return fmt.Errorf("measure storage: %w", err)
	}
	fmt.Fprintf(stdout, "archive: %d raw rows in %s (%.0f rows/s, rollups, blocks and extents included)\n",
		rows, archiveTime.Round(time.Millisecond), float64(rows)/archiveTime.Seconds())
	fmt.Fprintf(stdout, "live: %d raw rows in %s\n", liveRows, liveTime.Round(time.Millisecond))
	if rawRows > 0 {
		per := func(b int64) float64 { return float64(b) / float64(rawRows) }
		fmt.Fprintf(stdout, "storage: flux_archive %d bytes for %d rows = %.1f bytes per raw row (table + primary key); archive rollups %d bytes = %.1f bytes per raw row; archive blocks %d bytes = %.1f bytes per raw row\n",
			rawBytes, rawRows, per(rawBytes), rollupBytes, per(rollupBytes), blockBytes, per(blockBytes))
	}
	return nil
}

// writeSynthetic writes [from, to) of every bench channel of src at cadence in one batch.
func writeSynthetic(ctx context.Context, db *store.DB, src flux.Source, from, to time.Time, cadence time.Duration, seed uint64) (int64, error) {
	chans := benchChannels()
	n := int(to.Sub(from) / cadence)
	times := make([]int64, n)
	for i := range times {
		times[i] = from.Add(time.Duration(i) * cadence).UnixNano()
	}
	series := synthetic(times, seed)
	b := store.Batch{Source: src}
	for _, ch := range chans {
		b.Channels = append(b.Channels, store.ChannelWrite{Channel: ch, Series: series[ch], Replace: flux.RangeOf(from, to)})
	}
	st, err := db.WriteBatch(ctx, b)
	if err != nil {
		return 0, err
	}
	return st.Written, nil
}

// synthetic returns a plausible X-ray flux signal for every bench channel at times: a
// slowly varying background (27-day rotation, noise) with flares of log-normal peak size
// decaying exponentially, the short band a fraction of the long one, the second satellite
// a noisy copy, raw channels with occasional spikes that the clean ones lack. It depends
// only on the times and the seed, so overlapping calls agree.
func synthetic(times []int64, seed uint64) map[flux.Channel]flux.Series {
	out := map[flux.Channel]flux.Series{}
	n := len(times)
	for _, ch := range benchChannels() {
		out[ch] = flux.Series{Time: times, Flux: make([]float32, n)}
	}
	const hour = int64(time.Hour)
	// Each hour may hold one flare, decided by the hour alone; a flare is felt for up to
	// 6 hours, so a value depends only on its time (and the seed), never on the batch.
	type flare struct {
		start       int64
		peak, decay float64
	}
	flareOf := func(h int64) (flare, bool) {
		r := rand.New(rand.NewPCG(seed, uint64(h)))
		if r.Float64() >= 0.15 {
			return flare{}, false
		}
		return flare{start: h*hour + int64(r.IntN(3600))*int64(time.Second),
			peak: math.Exp(r.NormFloat64()*1.2) * 2e-6, decay: float64(5+r.IntN(40)) * 60}, true
	}
	var (
		flares   []flare
		lastHour = int64(math.MinInt64)
	)
	for i, t := range times {
		if h := t / hour; h != lastHour {
			flares = flares[:0]
			for k := h - 6; k <= h; k++ {
				if f, ok := flareOf(k); ok {
					flares = append(flares, f)
				}
			}
			lastHour = h
		}
		sec := float64(t) / 1e9
		// Deterministic per-second noise from the time itself.
		x := uint64(t/int64(time.Second)) * 0x9E3779B97F4A7C15
		x ^= x >> 29
		noise := float64(x%2001)/1000 - 1
		bg := math.Pow(10, -6.6+0.4*math.Sin(2*math.Pi*sec/(27*86400))+0.02*noise)
		f := bg
		for _, fl := range flares {
			if t >= fl.start {
				dt := float64(t-fl.start) / 1e9
				f += fl.peak * math.Min(dt/120, 1) * math.Exp(-dt/fl.decay)
			}
		}
		spike := x%50000 == 7
		for _, sat := range []int16{16, 18, 0} {
			k := 1.0
			if sat == 18 {
				k = 1 + 0.01*noise
			}
			long := f * k
			short := long * (0.02 + 0.05*math.Min(f/1e-5, 1))
			for _, band := range flux.Bands {
				v := long
				if band == flux.BandShort {
					v = short
				}
				out[flux.Channel{Satellite: sat, Band: band, Clean: true}].Flux[i] = float32(v)
				if spike && sat != 0 {
					v *= 30
				}
				out[flux.Channel{Satellite: sat, Band: band, Clean: false}].Flux[i] = float32(v)
			}
		}
	}
	return out
}

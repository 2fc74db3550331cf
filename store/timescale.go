package store

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
)

// TimescaleMode says whether to use TimescaleDB: "auto" (when the extension is
// available), "require" (fail without it) or "off".
type TimescaleMode string

// The TimescaleDB modes.
const (
	TimescaleAuto    TimescaleMode = "auto"
	TimescaleRequire TimescaleMode = "require"
	TimescaleOff     TimescaleMode = "off"
)

// ParseTimescaleMode reads a --timescale value.
func ParseTimescaleMode(s string) (TimescaleMode, error) {
	switch m := TimescaleMode(s); m {
	case TimescaleAuto, TimescaleRequire, TimescaleOff:
		return m, nil
	}
	return "", fmt.Errorf("timescale mode %q: want auto, require or off", s)
}

// DefaultMemoryGB is the database memory the chunk intervals are sized for by default.
const DefaultMemoryGB = 28

// TimescaleOptions says how to set up TimescaleDB.
type TimescaleOptions struct {
	Mode TimescaleMode
	// MemoryGB is the database server's memory, which sizes the chunk intervals
	// (0: DefaultMemoryGB).
	MemoryGB float64
	// Logger receives a warning when auto mode finds the extension unusable; nil: none.
	Logger *slog.Logger
}

// Row sizes measured on the original deployment (bytes per row, compressed).
const (
	rawCompressedRow    = 4.4
	rollupCompressedRow = 8.4
)

// MaxChunkInterval caps chunk intervals: the formula gives the coarse rollups centuries
// (31,340 years for 5 d buckets at 28 GB), beyond time.Duration; a century already
// holds the whole GOES record in one chunk, so the cap changes nothing in practice.
const MaxChunkInterval = 100 * 365 * 24 * time.Hour

// ChunkIntervals returns the chunk_time_interval of every raw and rollup table for a
// database with memoryGB of memory: the active chunks should fill a quarter of memory,
// shared by one uncompressed chunk per raw table (2, 26x), per rollup (10, 15x) and 20
// compressed chunks; a compressed chunk should hold at least a million rows and an
// uncompressed one at most 0.5 GB. rows = bytes / compressed row size, times the
// table's cadence (1 s archive raw, 60 s live raw, the bucket for rollups), at most
// MaxChunkInterval.
func ChunkIntervals(memoryGB float64) map[string]time.Duration {
	if memoryGB <= 0 {
		memoryGB = DefaultMemoryGB
	}
	bytes := memoryGB * 1e9 * 0.25 / (26*2 + 15*10 + 20)
	bytes = math.Max(bytes, 8.4e6)
	bytes = math.Min(bytes, 0.5e9/26)
	rawRows := math.Floor(bytes / rawCompressedRow)
	rollupRows := math.Floor(bytes / rollupCompressedRow)
	interval := func(rows float64, cadence time.Duration) time.Duration {
		if rows*cadence.Seconds() >= MaxChunkInterval.Seconds() {
			return MaxChunkInterval
		}
		return time.Duration(rows) * cadence
	}
	out := map[string]time.Duration{
		RawTable(flux.SourceArchive): interval(rawRows, time.Second),
		RawTable(flux.SourceLive):    interval(rawRows, time.Minute),
	}
	for _, src := range []flux.Source{flux.SourceArchive, flux.SourceLive} {
		for _, l := range Levels(src) {
			out[RollupTable(src, l)] = interval(rollupRows, l.Bucket)
		}
	}
	return out
}

// TimescaleAvailable reports whether the server offers the timescaledb extension.
func (db *DB) TimescaleAvailable(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up the timescaledb extension on %s: %w", Redact(db.url), err)
	}
	return ok, nil
}

// SetupTimescale applies opt.Mode to a migrated database and records the outcome in
// heliotime_settings.timescale. Where TimescaleDB is used, the raw and rollup tables
// become hypertables (existing rows migrated) with compression segmented by channel
// and ordered by time, and a policy compressing chunks older than CompressionAge. Each
// step runs as its own statement, outside any migration transaction; every step is
// skipped when already done, so it is safe to run on every start. Once a database
// uses TimescaleDB it keeps doing so: "off" does not undo it.
func (db *DB) SetupTimescale(ctx context.Context, opt TimescaleOptions) (bool, error) {
	current, err := db.timescale(ctx)
	if err != nil {
		return false, err
	}
	if opt.Mode == TimescaleOff {
		return current, nil
	}
	avail, err := db.TimescaleAvailable(ctx)
	if err != nil {
		return false, err
	}
	if !avail {
		if opt.Mode == TimescaleRequire {
			return false, fmt.Errorf("--timescale require: the server of %s does not offer the timescaledb extension "+
				"(not in pg_available_extensions): install TimescaleDB for this PostgreSQL version, or use --timescale auto|off", Redact(db.url))
		}
		return current, db.recordTimescale(ctx, current)
	}
	if err := db.convertToHypertables(ctx, opt.MemoryGB); err != nil {
		if opt.Mode == TimescaleRequire {
			return false, err
		}
		if opt.Logger != nil {
			opt.Logger.Warn("TimescaleDB is installed but could not be set up; using plain PostgreSQL tables", "database", Redact(db.url), "err", err)
		}
		return current, nil
	}
	return true, db.recordTimescale(ctx, true)
}

func (db *DB) recordTimescale(ctx context.Context, on bool) error {
	if _, err := db.pool.Exec(ctx, `UPDATE heliotime_settings SET timescale = $1`, on); err != nil {
		return fmt.Errorf("record timescale=%v in heliotime_settings: %w", on, err)
	}
	return nil
}

func (db *DB) convertToHypertables(ctx context.Context, memoryGB float64) error {
	if _, err := db.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS timescaledb`); err != nil {
		return fmt.Errorf("create extension timescaledb: %w (the server needs shared_preload_libraries = 'timescaledb')", err)
	}
	for table, interval := range ChunkIntervals(memoryGB) {
		var done bool
		err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = $1)`, table).Scan(&done)
		if err != nil {
			return fmt.Errorf("look up hypertable %s: %w", table, err)
		}
		if done {
			continue
		}
		steps := []struct {
			what string
			sql  string
			args []any
		}{
			{"create hypertable", `SELECT create_hypertable($1::regclass, 'time', chunk_time_interval => $2::interval, migrate_data => true, if_not_exists => true)`, []any{table, pgInterval(interval)}},
			{"set compression", `ALTER TABLE ` + pgx.Identifier{table}.Sanitize() + ` SET (timescaledb.compress, timescaledb.compress_segmentby = 'satellite, band, is_clean', timescaledb.compress_orderby = 'time')`, nil},
			{"add compression policy", `SELECT add_compression_policy($1::regclass, $2::interval, if_not_exists => true)`, []any{table, pgInterval(CompressionAge)}},
		}
		for _, s := range steps {
			if _, err := db.pool.Exec(ctx, s.sql, s.args...); err != nil {
				return fmt.Errorf("%s %s: %w", s.what, table, err)
			}
		}
	}
	return nil
}

// pgInterval writes d as PostgreSQL interval text.
func pgInterval(d time.Duration) string { return fmt.Sprintf("%d seconds", int64(d/time.Second)) }

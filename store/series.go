package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Stored returns the stored rows of source src in the shape flux.Prepare reads them (it
// implements flux.Stored): the border context around a batch.
func (db *DB) Stored(src flux.Source) StoredSource { return StoredSource{db: db, src: src} }

// StoredSource reads one source's stored series.
type StoredSource struct {
	db  *DB
	src flux.Source
}

// Series returns the stored rows of channel c in r (raw rows for a raw channel, clean rows
// for a clean one), ordered by time.
func (s StoredSource) Series(ctx context.Context, c flux.Channel, r flux.Range) (flux.Series, error) {
	var out flux.Series
	if r.Empty() {
		return out, nil
	}
	table := RawTable(s.src)
	r = usecRange(r)
	rows, err := s.db.pool.Query(ctx, `SELECT time, flux FROM `+table+`
		WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3 AND time >= $4 AND time < $5
		ORDER BY time`, c.Satellite, c.Band.String(), c.Clean, tsOf(r.Start), tsOf(r.End))
	if err != nil {
		return out, fmt.Errorf("read %s %s in %s: %w", table, c, r, err)
	}
	defer rows.Close()
	var (
		t time.Time
		v float32
	)
	for rows.Next() {
		if err := rows.Scan(&t, &v); err != nil {
			return flux.Series{}, fmt.Errorf("read %s %s in %s: %w", table, c, r, err)
		}
		out.Append(t.UnixNano(), v)
	}
	if err := rows.Err(); err != nil {
		return flux.Series{}, fmt.Errorf("read %s %s in %s: %w", table, c, r, err)
	}
	return out, nil
}

// Channels returns the stored non-combined channels with at least one row in r.
func (s StoredSource) Channels(ctx context.Context, r flux.Range) ([]flux.Channel, error) {
	if r.Empty() {
		return nil, nil
	}
	table := RawTable(s.src)
	r = usecRange(r)
	// The extents name the candidate channels; one index probe each checks the range.
	rows, err := s.db.pool.Query(ctx, `SELECT e.satellite, e.band::text, e.is_clean FROM flux_extent e
		WHERE e.source = $1 AND e.satellite <> 0 AND e.first < $3 AND e.last >= $2
		AND EXISTS (SELECT 1 FROM `+table+` f WHERE f.satellite = e.satellite AND f.band = e.band
			AND f.is_clean = e.is_clean AND f.time >= $2 AND f.time < $3)
		ORDER BY e.satellite, e.band, e.is_clean`, s.src.String(), tsOf(r.Start), tsOf(r.End))
	if err != nil {
		return nil, fmt.Errorf("list channels of %s in %s: %w", table, r, err)
	}
	defer rows.Close()
	var out []flux.Channel
	for rows.Next() {
		var (
			c    flux.Channel
			band string
		)
		if err := rows.Scan(&c.Satellite, &band, &c.Clean); err != nil {
			return nil, fmt.Errorf("list channels of %s in %s: %w", table, r, err)
		}
		if c.Band, err = flux.ParseBand(band); err != nil {
			return nil, fmt.Errorf("list channels of %s in %s: %w", table, r, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list channels of %s in %s: %w", table, r, err)
	}
	return out, nil
}

// ResumePoint returns the last stored non-combined timestamp of src (from flux_extent)
// and whether there is one.
func (db *DB) ResumePoint(ctx context.Context, src flux.Source) (time.Time, bool, error) {
	var last *time.Time
	err := db.pool.QueryRow(ctx, `SELECT max(last) FROM flux_extent WHERE source = $1 AND satellite <> 0`, src.String()).Scan(&last)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read %s resume point from flux_extent: %w", src, err)
	}
	if last == nil {
		return time.Time{}, false, nil
	}
	return last.UTC(), true, nil
}

// Checksum returns a digest of everything stored for src: its raw rows, every rollup
// level and its flux_extent rows (import_file is left out). Two equal checksums mean
// identical stored data (up to 64-bit hash collisions of single rows); it reads whole
// tables, so it is meant for verification.
func (db *DB) Checksum(ctx context.Context, src flux.Source) (string, error) {
	tables := []string{RawTable(src)}
	for _, l := range Levels(src) {
		tables = append(tables, RollupTable(src, l))
	}
	var parts []string
	for _, t := range tables {
		var sum string
		err := db.pool.QueryRow(ctx, `SELECT count(*) || ':' || coalesce(sum(hashtextextended(r::text, 0)::numeric), 0)
			FROM `+t+` r`).Scan(&sum)
		if err != nil {
			return "", fmt.Errorf("checksum %s: %w", t, err)
		}
		parts = append(parts, t+"="+sum)
	}
	var sum string
	err := db.pool.QueryRow(ctx, `SELECT count(*) || ':' || coalesce(sum(hashtextextended(r::text, 0)::numeric), 0)
		FROM flux_extent r WHERE source = $1`, src.String()).Scan(&sum)
	if err != nil {
		return "", fmt.Errorf("checksum flux_extent: %w", err)
	}
	parts = append(parts, "flux_extent="+sum)
	sort.Strings(parts)
	return strings.Join(parts, " "), nil
}

// usecRange rounds both ends of r up to whole microseconds, PostgreSQL's precision, so
// that the stored rows it selects are those whose exact times lie in r.
func usecRange(r flux.Range) flux.Range {
	return flux.Range{Start: ceilDiv(r.Start, usec) * usec, End: ceilDiv(r.End, usec) * usec}
}

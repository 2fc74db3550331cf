package store

import (
	"context"
	"fmt"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Extent is the stored coverage of one channel of one source.
type Extent struct {
	Source  flux.Source
	Channel flux.Channel
	First   time.Time // first stored timestamp
	Last    time.Time // last stored timestamp
	Rows    int64     // raw rows stored
}

// Extents returns the coverage of every stored channel of every source, from the
// flux_extent table the write path maintains (one indexed read, no scan of the data).
func (db *DB) Extents(ctx context.Context) ([]Extent, error) {
	rows, err := db.pool.Query(ctx, `SELECT source, satellite, band::text, is_clean, first, last, row_count
		FROM flux_extent ORDER BY source, satellite, band, is_clean`)
	if err != nil {
		return nil, fmt.Errorf("read flux_extent: %w", err)
	}
	defer rows.Close()
	var out []Extent
	for rows.Next() {
		var (
			e         Extent
			src, band string
		)
		if err := rows.Scan(&src, &e.Channel.Satellite, &band, &e.Channel.Clean, &e.First, &e.Last, &e.Rows); err != nil {
			return nil, fmt.Errorf("read flux_extent: %w", err)
		}
		if e.Source, err = flux.ParseSource(src); err != nil {
			return nil, fmt.Errorf("read flux_extent: %w", err)
		}
		if e.Channel.Band, err = flux.ParseBand(band); err != nil {
			return nil, fmt.Errorf("read flux_extent: %w", err)
		}
		e.First, e.Last = e.First.UTC(), e.Last.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read flux_extent: %w", err)
	}
	return out, nil
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// LastImports returns, per source, when a file of it was last recorded as imported
// (sources that never imported a file are absent).
func (db *DB) LastImports(ctx context.Context) (map[flux.Source]time.Time, error) {
	rows, err := db.pool.Query(ctx, `SELECT source, max(imported_at) FROM import_file GROUP BY source`)
	if err != nil {
		return nil, readError("read import_file", ctx, err)
	}
	defer rows.Close()
	out := map[flux.Source]time.Time{}
	for rows.Next() {
		var (
			src string
			at  time.Time
		)
		if err := rows.Scan(&src, &at); err != nil {
			return nil, readError("read import_file", ctx, err)
		}
		s, err := flux.ParseSource(src)
		if err != nil {
			return nil, fmt.Errorf("read import_file: %w", err)
		}
		out[s] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, readError("read import_file", ctx, err)
	}
	return out, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", Redact(db.url), err)
	}
	return nil
}

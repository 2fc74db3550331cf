package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
)

// LastImport returns the latest import_file record of the file called name from src,
// and whether there is one: what a later run compares a file against to skip it when
// unchanged.
func (db *DB) LastImport(ctx context.Context, src flux.Source, name string) (ImportedFile, bool, error) {
	var (
		f   ImportedFile
		sat int16
		day *time.Time
	)
	err := db.pool.QueryRow(ctx, `SELECT product, satellite, day::timestamp, name, url, size, etag, last_modified, sha256, rows
		FROM import_file WHERE source = $1 AND name = $2 ORDER BY imported_at DESC, id DESC LIMIT 1`, src.String(), name).
		Scan(&f.Product, &sat, &day, &f.Name, &f.URL, &f.Size, &f.ETag, &f.LastModified, &f.SHA256, &f.Rows)
	if errors.Is(err, pgx.ErrNoRows) {
		return ImportedFile{}, false, nil
	}
	if err != nil {
		return ImportedFile{}, false, fmt.Errorf("read import_file record of %s: %w", name, err)
	}
	f.Satellite = int(sat)
	if day != nil {
		f.Day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	}
	return f, true, nil
}

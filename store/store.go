// Package store keeps flux in PostgreSQL: the connection pool, the schema migrations,
// the write path (raw rows, rollups and extents in one transaction), the read path
// (level choice, archive/live stitching) and the managed local database.
package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Options tunes a connection pool.
type Options struct {
	// StatementTimeout bounds every statement on the pool's connections (0: server default).
	StatementTimeout time.Duration
	// MaxConns bounds the pool size (0: pgxpool's default).
	MaxConns int32
}

// DB is an open heliotime database.
type DB struct {
	pool *pgxpool.Pool
	url  string
}

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", Redact(url), err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 15 * time.Second
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	if opt.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
	}
	// Reads walk one primary-key range in key order (the blocks; the write path's probes
	// and comparisons of raw rows). With the default page cost (4, for spinning disks) the
	// planner prefers a bitmap scan of a large range and a sort, which delivers no row
	// before the last one is read; a cost for solid-state storage streams the rows in key
	// order. A URL parameter random_page_cost wins.
	if _, set := cfg.ConnConfig.RuntimeParams["random_page_cost"]; !set {
		cfg.ConnConfig.RuntimeParams["random_page_cost"] = "1.1"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &UnreachableError{URL: Redact(url), Host: cfg.ConnConfig.Host, Port: cfg.ConnConfig.Port, Err: err}
	}
	return &DB{pool: pool, url: url}, nil
}

// UnreachableError reports a database that did not answer.
type UnreachableError struct {
	URL  string // the database URL, password masked
	Host string // the host or unix socket folder
	Port uint16
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the database %s (host %s, port %d): %v; "+
		"check that the PostgreSQL server is running and accepts connections there, "+
		"and that --database-url (HELIOTIME_DATABASE_URL) is right, or unset it to use the managed local database",
		e.URL, e.Host, e.Port, oneLine(e.Err))
}

// oneLine joins the distinct lines of err's message (pgx lists each connection attempt
// on a line of its own, often the same twice), so that the error prints on one line.
func oneLine(err error) string {
	var parts []string
	seen := map[string]bool{}
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !seen[l] {
			seen[l] = true
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// ParseURL checks that url is a PostgreSQL connection URL or keyword/value string that
// pgx accepts, returning the error with the password masked.
func ParseURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return fmt.Errorf("database URL %s: %w", Redact(url), err)
	}
	return nil
}

// Pool returns the underlying pgx pool.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// URL returns the URL the database was opened with.
func (db *DB) URL() string { return db.url }

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

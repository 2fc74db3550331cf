// Package store keeps flux in PostgreSQL: the connection pool, the schema migrations,
// the write path (raw rows, rollups and extents in one transaction), the read path
// (level choice, archive/live stitching) and the managed local database.
package store

import (
	"context"
	"fmt"
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
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	if opt.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s (host %s): %w", Redact(url), cfg.ConnConfig.Host, err)
	}
	return &DB{pool: pool, url: url}, nil
}

// Pool returns the underlying pgx pool.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// URL returns the URL the database was opened with.
func (db *DB) URL() string { return db.url }

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/localdb"
)

// cluster returns the managed local PostgreSQL cluster.
func (env *cliEnv) cluster() (*localdb.Cluster, error) {
	dir, err := env.postgresDir()
	if err != nil {
		return nil, err
	}
	return localdb.New(dir, env.Logger()), nil
}

// DatabaseURL returns the database to use: database-url when set, else the managed
// local cluster's, started (and created) if needed.
func (env *cliEnv) DatabaseURL(ctx context.Context) (string, error) {
	if u := env.String("database-url"); u != "" {
		if err := store.ParseURL(u); err != nil {
			return "", usagef("--database-url: %v", oneLine(err))
		}
		return u, nil
	}
	c, err := env.cluster()
	if err != nil {
		return "", err
	}
	if _, err := c.Start(ctx); err != nil {
		return "", fmt.Errorf("the managed local database (no --database-url set): %w", err)
	}
	return c.URL(localdb.Database), nil
}

// OpenStore opens the database (see DatabaseURL), applies pending migrations and the
// timescale setting, and returns it with statement-timeout applied. The caller closes it.
func (env *cliEnv) OpenStore(ctx context.Context) (*store.DB, error) {
	url, err := env.DatabaseURL(ctx)
	if err != nil {
		return nil, err
	}
	timeout, err := env.Duration("statement-timeout")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, url, store.Options{StatementTimeout: timeout})
	if err != nil {
		return nil, err
	}
	if err := env.migrateAndSetup(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrateAndSetup brings an open database to the latest schema and applies --timescale.
func (env *cliEnv) migrateAndSetup(ctx context.Context, db *store.DB) error {
	m, err := store.NewMigrator(db.URL())
	if err != nil {
		return err
	}
	from, to, err := m.Up(ctx)
	if cerr := m.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if from != to {
		env.Logger().Info("migrated the database", "database", store.Redact(db.URL()), "from", from, "to", to)
	}
	return env.setupTimescale(ctx, db)
}

func (env *cliEnv) setupTimescale(ctx context.Context, db *store.DB) error {
	mode, err := store.ParseTimescaleMode(env.String("timescale"))
	if err != nil {
		return usagef("--timescale: %v", err)
	}
	gb := env.config().GetFloat64("timescale-memory-gb")
	if _, err := db.SetupTimescale(ctx, store.TimescaleOptions{Mode: mode, MemoryGB: gb, Logger: env.Logger()}); err != nil {
		return err
	}
	return nil
}

// isUnreachable reports whether err says the database did not answer.
func isUnreachable(err error) bool {
	var ue *store.UnreachableError
	return errors.As(err, &ue)
}

package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/store"
)

// newMigrateCmd manages the database schema.
func newMigrateCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate [up | down N | version | force V]",
		Short: "Bring the database schema up to date (or down, or show or force its version)",
		Long: `Manage the database schema (the migrations embedded in this binary).

  migrate, migrate up   apply every pending migration, then the --timescale setting
  migrate down N        revert the newest N migrations (drops their tables and data)
  migrate version       show the schema version
  migrate force V       record version V as clean without running anything: the way
                        out of a "dirty" database after a migration failed halfway
                        (0: no migration applied)

Other commands apply pending migrations by themselves; this command gives explicit
control. Without --database-url it works on the managed local cluster, started if needed.
Each migration runs in one transaction: a failure leaves the previous version.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			op := "up"
			if len(args) > 0 {
				op = args[0]
			}
			n := -1
			switch op {
			case "up", "version":
				if len(args) > 1 {
					return usagef("migrate %s takes no argument, got %q", op, args[1])
				}
			case "down", "force":
				if len(args) < 2 {
					return usagef("migrate %s needs a number: heliotime migrate %s N", op, op)
				}
				v, err := strconv.Atoi(args[1])
				if err != nil || v < 0 || (op == "down" && v < 1) {
					return usagef("migrate %s: %q is not a valid number", op, args[1])
				}
				n = v
			default:
				return usagef("migrate: unknown operation %q (want up, down N, version or force V)", op)
			}
			return runMigrate(cmd.Context(), env, op, n)
		},
	}
	return cmd
}

// runMigrate runs one migrate operation and reports the version.
func runMigrate(ctx context.Context, env *cliEnv, op string, n int) error {
	url, err := env.DatabaseURL(ctx)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, url, store.Options{MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := store.NewMigrator(url)
	if err != nil {
		return err
	}
	defer m.Close()
	name := store.Redact(url)
	switch op {
	case "up":
		from, to, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if err := env.setupTimescale(ctx, db); err != nil {
			return err
		}
		if from == to {
			fmt.Fprintf(env.Stdout, "database %s: schema at version %d, the latest; nothing to do\n", name, to)
		} else {
			fmt.Fprintf(env.Stdout, "database %s: schema migrated from version %d to %d (the latest)\n", name, from, to)
		}
	case "down":
		from, to, err := m.Down(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "database %s: schema migrated down from version %d to %d (latest %d)\n", name, from, to, m.Latest())
	case "version":
		v, dirty, err := m.Version()
		if err != nil {
			return err
		}
		state := "up to date"
		switch {
		case dirty:
			state = "DIRTY: " + (&store.DirtyError{URL: name, Version: v}).Error()
		case v < m.Latest():
			state = "behind: run `heliotime migrate`"
		case v > m.Latest():
			state = "newer than this binary: upgrade heliotime"
		}
		fmt.Fprintf(env.Stdout, "database %s: schema version %d (latest %d), %s\n", name, v, m.Latest(), state)
	case "force":
		if err := m.Force(n); err != nil {
			return usageError{err}
		}
		fmt.Fprintf(env.Stdout, "database %s: schema version recorded as %d (clean)\n", name, n)
	}
	return nil
}

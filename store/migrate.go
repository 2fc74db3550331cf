package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// driver
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/heliotime/heliotime/migrations"
)

// DirtyError reports a database whose last migration failed halfway: golang-migrate
// recorded Version as dirty, and heliotime refuses to migrate it until someone has
// looked at it and said which version it is really at.
type DirtyError struct {
	URL     string // the database, password masked
	Version uint   // the migration that failed
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("database %s is dirty: migration %d failed halfway and heliotime will not migrate it further; "+
		"inspect the schema, then either finish migration %d by hand and run `heliotime migrate force %d`, "+
		"or undo its partial changes and run `heliotime migrate force %d` to retry it",
		e.URL, e.Version, e.Version, e.Version, int(e.Version)-1)
}

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	m      *migrate.Migrate
	url    string
	latest uint
}

// NewMigrator opens the database at url for migrations.
func NewMigrator(url string) (*Migrator, error) {
	return newMigratorFS(url, migrations.Files)
}

// newMigratorFS opens the database at url for the migrations in fsys.
func newMigratorFS(url string, fsys fs.FS) (*Migrator, error) {
	src, err := iofs.New(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	latest, err := latestVersion(src)
	if err != nil {
		return nil, err
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, migrateURL(url))
	if err != nil {
		return nil, fmt.Errorf("open %s for migrations: %w", Redact(url), err)
	}
	return &Migrator{m: m, url: url, latest: latest}, nil
}

// latestVersion returns the highest version among the embedded migrations.
func latestVersion(src source.Driver) (uint, error) {
	v, err := src.First()
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, fs.ErrNotExist) {
			return v, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read embedded migrations after version %d: %w", v, err)
		}
		v = next
	}
}

// migrateURL turns a postgres:// URL into the pgx5:// form golang-migrate's driver expects.
func migrateURL(url string) string {
	for _, p := range []string{"postgres://", "postgresql://"} {
		if strings.HasPrefix(url, p) {
			return "pgx5://" + strings.TrimPrefix(url, p)
		}
	}
	return url
}

// Close releases the migrator's connection.
func (m *Migrator) Close() error {
	serr, derr := m.m.Close()
	return errors.Join(serr, derr)
}

// Latest returns the newest migration version embedded in this binary.
func (m *Migrator) Latest() uint { return m.latest }

// Version returns the database's schema version (0 when no migration was applied) and
// whether its last migration failed halfway.
func (m *Migrator) Version() (version uint, dirty bool, err error) {
	v, dirty, err := m.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read schema version of %s: %w", Redact(m.url), err)
	}
	return v, dirty, nil
}

// clean returns the current version, or a *DirtyError.
func (m *Migrator) clean() (uint, error) {
	v, dirty, err := m.Version()
	if err != nil {
		return 0, err
	}
	if dirty {
		return v, &DirtyError{URL: Redact(m.url), Version: v}
	}
	return v, nil
}

// stopOnCancel makes golang-migrate stop after the current migration when ctx ends.
func (m *Migrator) stopOnCancel(ctx context.Context) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			select {
			case m.m.GracefulStop <- true:
			default:
			}
		case <-done:
		}
	}()
	return func() { close(done) }
}

// Up applies every pending migration, each in its own transaction, and returns the
// versions before and after. A database already at the latest version is left alone.
func (m *Migrator) Up(ctx context.Context) (from, to uint, err error) {
	from, err = m.clean()
	if err != nil {
		return from, from, err
	}
	defer m.stopOnCancel(ctx)()
	if err := m.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return from, from, m.wrap("up", err)
	}
	to, _, err = m.Version()
	return from, to, err
}

// Down reverts the newest n migrations and returns the versions before and after.
func (m *Migrator) Down(ctx context.Context, n int) (from, to uint, err error) {
	from, err = m.clean()
	if err != nil {
		return from, from, err
	}
	if n < 1 {
		return from, from, fmt.Errorf("migrate down: the number of migrations to revert must be at least 1, not %d", n)
	}
	if uint(n) > from {
		n = int(from) // versions are numbered from 1 without gaps
	}
	if n == 0 {
		return from, from, nil
	}
	defer m.stopOnCancel(ctx)()
	if err := m.m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return from, from, m.wrap(fmt.Sprintf("down %d", n), err)
	}
	to, _, err = m.Version()
	return from, to, err
}

// Force records version v as the database's clean schema version without running
// anything (0: no migration applied). It is the way out of a dirty state, after the
// schema was checked by hand.
func (m *Migrator) Force(v int) error {
	if v < 0 || uint(v) > m.latest {
		return fmt.Errorf("migrate force %d: the version must be between 0 and %d", v, m.latest)
	}
	fv := v
	if v == 0 {
		fv = database.NilVersion
	}
	if err := m.m.Force(fv); err != nil {
		return fmt.Errorf("force schema version of %s to %d: %w", Redact(m.url), v, err)
	}
	return nil
}

func (m *Migrator) wrap(op string, err error) error {
	var de migrate.ErrDirty
	if errors.As(err, &de) {
		return &DirtyError{URL: Redact(m.url), Version: uint(de.Version)}
	}
	return fmt.Errorf("migrate %s %s: %w", Redact(m.url), op, err)
}

// MigrateUp applies every pending migration to the database at url.
func MigrateUp(ctx context.Context, url string) error {
	m, err := NewMigrator(url)
	if err != nil {
		return err
	}
	defer m.Close()
	_, _, err = m.Up(ctx)
	return err
}

// Package storetest gives each test its own fresh, migrated PostgreSQL database.
//
// The databases are created on the server named by HELIOTIME_TEST_DATABASE_URL or,
// when it is unset, on a managed local cluster (package localdb, the same code path as
// heliotime's embedded default) in $TMPDIR/heliotime-test-postgres, overridable with
// HELIOTIME_TEST_POSTGRES_DIR. The cluster is started on first use and left running
// for later test runs; test binaries running in parallel share it safely (a lock file
// serialises its start, and every test gets a database of its own).
// Without either, tests that need a database skip, saying why.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/localdb"
)

// EnvURL names the variable holding the server tests create their databases on.
const EnvURL = "HELIOTIME_TEST_DATABASE_URL"

// EnvDir names the variable overriding the managed test cluster's folder.
const EnvDir = "HELIOTIME_TEST_POSTGRES_DIR"

// ClusterDir returns the folder of the managed test cluster.
func ClusterDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "heliotime-test-postgres")
}

// ServerURL returns the URL of a database on the test server to connect to for
// administration (creating and dropping databases), starting the managed test cluster
// when HELIOTIME_TEST_DATABASE_URL is unset. It skips the test when there is no server.
func ServerURL(t testing.TB) string {
	t.Helper()
	if base := os.Getenv(EnvURL); base != "" {
		return base
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := localdb.New(ClusterDir(), nil)
	if _, err := c.Start(ctx); err != nil {
		if errors.Is(err, localdb.ErrNoBinaries) {
			t.Skipf("%s is not set and no PostgreSQL binaries are installed: no PostgreSQL to test against (%v)", EnvURL, err)
		}
		t.Fatalf("start the managed test cluster (set %s to use another server): %v", EnvURL, err)
	}
	return c.URL("postgres")
}

// NewURL creates an empty database for the test and returns its URL; the database is
// dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	base := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", store.Redact(base), err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "heliotime_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", store.Redact(base), err)
	}
	u.Path = "/" + name
	return u.String()
}

// New returns an open, migrated, empty database for the test, closed when the test ends.
func New(t testing.TB) *store.DB {
	t.Helper()
	u := NewURL(t)
	ctx := context.Background()
	if err := store.MigrateUp(ctx, u); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

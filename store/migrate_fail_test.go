package store_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

// Each migration runs in one transaction: a failure leaves nothing of it behind, and
// the database is marked dirty until forced.
func TestFailedMigrationLeavesNothing(t *testing.T) {
	url := storetest.NewURL(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"0001_a.up.sql":   {Data: []byte("CREATE TABLE a (x int);")},
		"0001_a.down.sql": {Data: []byte("DROP TABLE a;")},
		// The second statement fails after the first succeeded.
		"0002_b.up.sql":   {Data: []byte("CREATE TABLE b (x int);\nINSERT INTO b VALUES (1 / 0);")},
		"0002_b.down.sql": {Data: []byte("DROP TABLE b;")},
	}
	m, err := store.NewMigratorFS(url, fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Latest() != 2 {
		t.Fatalf("Latest() = %d, want 2", m.Latest())
	}
	_, _, err = m.Up(ctx)
	var de *store.DirtyError
	if err == nil || errors.As(err, &de) {
		t.Fatalf("Up with a failing migration: %v, want the SQL error", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var a, b bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('a') IS NOT NULL, to_regclass('b') IS NOT NULL`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if !a || b {
		t.Errorf("after the failed migration: table a exists %v (want true), table b exists %v (want false: rolled back)", a, b)
	}
	v, dirty, err := m.Version()
	if err != nil || v != 2 || !dirty {
		t.Errorf("Version() = %d, %v, %v; want 2, dirty", v, dirty, err)
	}
	if _, _, err := m.Up(ctx); !errors.As(err, &de) || de.Version != 2 {
		t.Errorf("second Up: %v, want a DirtyError at version 2", err)
	}
	// The documented way out: the failed migration left nothing, so retry it from 1.
	if err := m.Force(1); err != nil {
		t.Fatal(err)
	}
	if v, dirty, _ := m.Version(); v != 1 || dirty {
		t.Errorf("after force 1: version %d dirty %v", v, dirty)
	}
}

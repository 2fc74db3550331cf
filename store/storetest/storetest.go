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
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
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

// CheckConsistent asserts that every rollup level of src equals the aggregate computed
// directly from the raw rows with date_bin, and that flux_extent matches the raw rows.
func CheckConsistent(t *testing.T, db *store.DB, src flux.Source) {
	t.Helper()
	ctx := context.Background()
	raw := store.RawTable(src)
	for _, l := range store.Levels(src) {
		table := store.RollupTable(src, l)
		var diff int64
		q := fmt.Sprintf(`WITH want AS (
				SELECT date_bin('%d seconds'::interval, time, '2000-01-03 00:00:00+00') AS time, satellite, band, is_clean,
					min(flux) AS flux_min, max(flux) AS flux_max, count(*)::integer AS count
				FROM %s GROUP BY 1, 2, 3, 4),
			got AS (SELECT time, satellite, band, is_clean, flux_min, flux_max, count FROM %s)
			SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) a)
			     + (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) b)`,
			int64(l.Bucket/time.Second), raw, table)
		if err := db.Pool().QueryRow(ctx, q).Scan(&diff); err != nil {
			t.Fatalf("compare %s: %v", table, err)
		}
		if diff != 0 {
			t.Errorf("%s differs from the aggregate of %s in %d rows", table, raw, diff)
		}
	}
	var diff int64
	err := db.Pool().QueryRow(ctx, `WITH want AS (
			SELECT $1::text AS source, satellite, band, is_clean, min(time) AS first, max(time) AS last, count(*) AS row_count
			FROM `+raw+` GROUP BY 2, 3, 4),
		got AS (SELECT source, satellite, band, is_clean, first, last, row_count FROM flux_extent WHERE source = $1)
		SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) a)
		     + (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) b)`, src.String()).Scan(&diff)
	if err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("flux_extent of %s differs from the raw rows in %d rows", src, diff)
	}
	CheckBlocks(t, db, src)
}

// blockKey names one block.
type blockKey struct {
	satellite int16
	band      string
	clean     bool
	bucket    int32
	start     int64 // Unix microseconds
}

// CheckBlocks asserts that src's block table holds exactly the rows of every level, packed
// as store/block.go describes (packed here independently, from the level tables' rows),
// and that no block is stored compressed.
func CheckBlocks(t *testing.T, db *store.DB, src flux.Source) {
	t.Helper()
	ctx := context.Background()
	table := store.BlockTable(src)
	want := map[blockKey][]byte{}
	levels := append([]store.Level{{Name: "raw"}}, store.Levels(src)...)
	origin := store.BucketOriginUnix * int64(1e6)
	for _, l := range levels {
		level, vals := store.RawTable(src), "flux, flux"
		unit := int64(1) // offsets in microseconds for raw rows, seconds for rollups
		if l.Bucket > 0 {
			level, vals, unit = store.RollupTable(src, l), "flux_min, flux_max", 1e6
		}
		span := store.BlockSpan(l.Bucket).Microseconds()
		rows, err := db.Pool().Query(ctx, `SELECT satellite, band::text, is_clean, time, `+vals+` FROM `+level+` ORDER BY 1, 2, 3, 4`)
		if err != nil {
			t.Fatalf("read %s: %v", level, err)
		}
		for rows.Next() {
			var (
				k      blockKey
				tm     time.Time
				lo, hi float32
			)
			if err := rows.Scan(&k.satellite, &k.band, &k.clean, &tm, &lo, &hi); err != nil {
				t.Fatalf("read %s: %v", level, err)
			}
			us := tm.UnixMicro()
			k.bucket = int32(l.Bucket / time.Second)
			k.start = origin + (us-origin)/span*span
			if (us-origin)%span < 0 {
				k.start -= span
			}
			b := binary.BigEndian.AppendUint32(want[k], uint32(int32((us-k.start)/unit)))
			if l.Bucket > 0 {
				b = binary.BigEndian.AppendUint32(b, math.Float32bits(lo))
			}
			want[k] = binary.BigEndian.AppendUint32(b, math.Float32bits(hi))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", level, err)
		}
	}
	rows, err := db.Pool().Query(ctx, `SELECT satellite, band::text, is_clean, bucket, start, data, pg_column_size(data) >= octet_length(data) FROM `+table)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		var (
			k     blockKey
			start time.Time
			data  []byte
			plain bool
		)
		if err := rows.Scan(&k.satellite, &k.band, &k.clean, &k.bucket, &start, &data, &plain); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		k.start = start.UnixMicro()
		got++
		w, ok := want[k]
		switch {
		case !ok:
			t.Errorf("%s: block %+v (%d bytes) has no rows in its level", table, k, len(data))
		case !bytes.Equal(w, data):
			t.Errorf("%s: block %+v holds %d bytes, its level's rows pack to %d (first difference at byte %d)",
				table, k, len(data), len(w), firstDiff(w, data))
		case !plain:
			t.Errorf("%s: block %+v is stored compressed", table, k)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	if got != len(want) {
		t.Errorf("%s holds %d blocks, the levels' rows make %d", table, got, len(want))
	}
}

// firstDiff returns the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

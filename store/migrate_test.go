package store_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

// schemaTables lists the tables the design's storage section requires.
func schemaTables() []string {
	tables := []string{"flux_extent", "heliotime_settings", "import_file"}
	for _, src := range []flux.Source{flux.SourceArchive, flux.SourceLive} {
		tables = append(tables, store.RawTable(src), store.BlockTable(src))
		for _, l := range store.Levels(src) {
			tables = append(tables, store.RollupTable(src, l))
		}
	}
	sort.Strings(tables)
	return tables
}

// publicTables lists the heliotime tables present in the database (golang-migrate's own excluded).
func publicTables(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(),
		`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func openMigrator(t *testing.T, url string) *store.Migrator {
	t.Helper()
	m, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMigrateUpDownUp(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewURL(t)
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := openMigrator(t, url)
	want := schemaTables()
	if m.Latest() < 1 {
		t.Fatalf("Latest() = %d, want at least 1", m.Latest())
	}

	steps := []struct {
		name             string
		op               func() (uint, uint, error)
		wantFrom, wantTo uint
		wantTables       []string
	}{
		{"up on empty", func() (uint, uint, error) { return m.Up(ctx) }, 0, m.Latest(), want},
		{"second up changes nothing", func() (uint, uint, error) { return m.Up(ctx) }, m.Latest(), m.Latest(), want},
		{"down all", func() (uint, uint, error) { return m.Down(ctx, int(m.Latest())) }, m.Latest(), 0, nil},
		{"down on empty", func() (uint, uint, error) { return m.Down(ctx, 1) }, 0, 0, nil},
		{"up again", func() (uint, uint, error) { return m.Up(ctx) }, 0, m.Latest(), want},
	}
	for _, s := range steps {
		from, to, err := s.op()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if from != s.wantFrom || to != s.wantTo {
			t.Errorf("%s: versions %d -> %d, want %d -> %d", s.name, from, to, s.wantFrom, s.wantTo)
		}
		if got := publicTables(t, db); strings.Join(got, ",") != strings.Join(s.wantTables, ",") {
			t.Errorf("%s: tables\n got %v\nwant %v", s.name, got, s.wantTables)
		}
		v, dirty, err := m.Version()
		if err != nil || v != s.wantTo || dirty {
			t.Errorf("%s: Version() = %d, %v, %v; want %d, false, nil", s.name, v, dirty, err, s.wantTo)
		}
	}

	// The schema's details that the write and read paths depend on.
	var enum string
	if err := db.Pool().QueryRow(ctx, `SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE typname = 'frequency_band'`).Scan(&enum); err != nil {
		t.Fatal(err)
	}
	if enum != "short,long" {
		t.Errorf("frequency_band = %q, want short,long", enum)
	}
	for _, table := range []string{"flux_archive_10s", "flux_live_5d"} {
		var cols string
		if err := db.Pool().QueryRow(ctx, `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = $1`, table).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if cols != "time,satellite,band,is_clean,flux_min,flux_max,count" {
			t.Errorf("%s columns = %s", table, cols)
		}
	}
	var settings int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM heliotime_settings WHERE NOT timescale`).Scan(&settings); err != nil || settings != 1 {
		t.Errorf("heliotime_settings rows with timescale=false: %d, %v; want 1", settings, err)
	}
}

// TestMigrateDenseLevels upgrades a store holding data from schema 1 to the latest: the
// levels added by migration 2 are filled from the data already stored, every rollup key
// covers its values, and migration 3 packs every level into blocks (CheckConsistent
// compares them with its own packing of the tables).
func TestMigrateDenseLevels(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	ch := flux.Channel{Satellite: 16, Band: flux.BandLong}
	day := at("2024-05-10T00:00:00Z")
	for _, w := range []struct {
		src  flux.Source
		step int64
		n    int
	}{{flux.SourceArchive, 1e9, 3 * 86400}, {flux.SourceLive, 60e9, 3 * 1440}} {
		s := mkSeries(7, day+13e9, w.step, w.n) // not aligned to any bucket
		if _, err := db.WriteBatch(ctx, store.Batch{Source: w.src, Channels: []store.ChannelWrite{
			{Channel: ch, Series: s, Replace: flux.Range{Start: day, End: day + 4*86400e9}}}}); err != nil {
			t.Fatal(err)
		}
	}
	m := openMigrator(t, db.URL())
	if m.Latest() < 2 {
		t.Fatalf("Latest() = %d, want at least 2", m.Latest())
	}
	// Back to schema 1 (the new levels dropped), then up again: migration 2 refills them.
	if _, to, err := m.Down(ctx, int(m.Latest())-1); err != nil || to != 1 {
		t.Fatalf("down to 1: %d, %v", to, err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'flux_archive_30s'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("flux_archive_30s at schema 1: %d tables, %v", n, err)
	}
	if _, _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, src := range []flux.Source{flux.SourceArchive, flux.SourceLive} {
		storetest.CheckConsistent(t, db, src)
		for _, l := range store.Levels(src) {
			table := store.RollupTable(src, l)
			var def string
			if err := db.Pool().QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = $1`, table+"_pkey").Scan(&def); err != nil {
				t.Fatalf("key of %s: %v", table, err)
			}
			if !strings.Contains(def, "(satellite, band, is_clean, \"time\") INCLUDE (flux_min, flux_max)") {
				t.Errorf("key of %s = %s, want a covering key", table, def)
			}
			if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n == 0 {
				t.Errorf("%s after the upgrade: %d rows, %v", table, n, err)
			}
		}
	}
}

func TestMigrateRefusesDirty(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewURL(t)
	m := openMigrator(t, url)
	if _, _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// What golang-migrate leaves behind when a migration fails halfway.
	if _, err := db.Pool().Exec(ctx, `UPDATE schema_migrations SET dirty = true`); err != nil {
		t.Fatal(err)
	}
	v := m.Latest()
	ops := map[string]func() error{
		"up":   func() error { _, _, err := m.Up(ctx); return err },
		"down": func() error { _, _, err := m.Down(ctx, 1); return err },
	}
	for name, op := range ops {
		err := op()
		var de *store.DirtyError
		if !errors.As(err, &de) || de.Version != v {
			t.Fatalf("%s on a dirty database: err = %v, want a DirtyError at version %d", name, err, v)
		}
		for _, want := range []string{"dirty", "heliotime migrate force " + itoa(v), "heliotime migrate force " + itoa(v-1)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message %q lacks %q", name, err, want)
			}
		}
	}
	if got := publicTables(t, db); len(got) != len(schemaTables()) {
		t.Errorf("refused migrations changed the tables: %v", got)
	}
	if err := m.Force(int(v)); err != nil {
		t.Fatal(err)
	}
	if from, to, err := m.Up(ctx); err != nil || from != v || to != v {
		t.Errorf("up after force: %d -> %d, %v; want %d -> %d, nil", from, to, err, v, v)
	}
	if err := m.Force(int(v) + 1); err == nil {
		t.Errorf("Force(%d) beyond the latest version succeeded", v+1)
	}
}

func itoa(v uint) string { return strconv.FormatUint(uint64(v), 10) }
func TestOpenUnreachable(t *testing.T) {
	ctx := context.Background()
	// Port 1 on the loopback: nothing listens there, the connection is refused at once.
	_, err := store.Open(ctx, "postgres://heliotime:s3cret@127.0.0.1:1/heliotime?connect_timeout=5", store.Options{})
	var ue *store.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("Open on a closed port: err = %v, want an UnreachableError", err)
	}
	msg := err.Error()
	for _, want := range []string{"127.0.0.1", "port 1", "--database-url", "xxxxx"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message %q spans several lines", msg)
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("message %q shows the password", msg)
	}
}

// TestOpenPageCost checks the planner cost heliotime's connections use, and that the
// URL can override it.
func TestOpenPageCost(t *testing.T) {
	ctx := context.Background()
	url := storetest.New(t).URL()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, c := range []struct{ url, want string }{{url, "1.1"}, {url + sep + "random_page_cost=3", "3"}} {
		db, err := store.Open(ctx, c.url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = db.Pool().QueryRow(ctx, `SHOW random_page_cost`).Scan(&got)
		db.Close()
		if err != nil || got != c.want {
			t.Errorf("random_page_cost = %q, %v; want %q", got, err, c.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"postgres://u:p@localhost:5432/db?sslmode=disable", true},
		{"postgres:///heliotime?host=/tmp/x&user=heliotime", true},
		{"postgres://u:p@localhost:notaport/db", false},
		{"postgres://u:p@localhost/db?sslmode=bogus", false},
	}
	for _, tt := range tests {
		err := store.ParseURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("ParseURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), ":p@") {
			t.Errorf("ParseURL(%q) error shows the password: %v", tt.url, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres:///heliotime?host=/tmp/x", "postgres:///heliotime?host=/tmp/x"},
		{"postgres://u:secret@h:badport/db", "postgres://u:xxxxx@h:badport/db"},
		{"host=h user=u password=secret dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password='se cret' dbname=d", "host=h password=xxxxx dbname=d"},
		{"postgres://h/db?password=secret", "postgres://h/db?password=xxxxx"},
	}
	for _, tt := range tests {
		if got := store.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

func TestChunkIntervals(t *testing.T) {
	// Expected values from the original deployment's sizing table (reference §2.4):
	// rows per chunk 4,370,629 raw / 2,289,377 rollup at 28 GB (the 0.5 GB cap), and
	// 2,559,377 / 1,340,626 at 10 GB; an interval is rows × the table's cadence.
	tests := []struct {
		gb    float64
		table string
		want  time.Duration
	}{
		{28, "flux_archive", 4370629 * time.Second},
		{28, "flux_live", 4370629 * time.Minute},
		{28, "flux_archive_10s", 2289377 * 10 * time.Second},
		{28, "flux_archive_1m", 2289377 * time.Minute},
		{28, "flux_archive_1h", store.MaxChunkInterval}, // ≈ 261 years: capped
		{28, "flux_archive_5d", store.MaxChunkInterval}, // ≈ 31,340 years: capped
		{10, "flux_archive", 2559377 * time.Second},
		{10, "flux_archive_10s", 1340626 * 10 * time.Second},
		{10, "flux_live_10m", 1340626 * 10 * time.Minute},
		{0, "flux_archive", 4370629 * time.Second}, // 0: the 28 GB default
		// Tiny memory: a compressed chunk still holds at least 8.4 MB (1,909,090 raw rows).
		{0.5, "flux_archive", 1909090 * time.Second},
	}
	for _, tt := range tests {
		got := store.ChunkIntervals(tt.gb)
		if got[tt.table] != tt.want {
			t.Errorf("ChunkIntervals(%v)[%s] = %v, want %v", tt.gb, tt.table, got[tt.table], tt.want)
		}
		if want := 2 + len(store.Levels(flux.SourceArchive)) + len(store.Levels(flux.SourceLive)); len(got) != want {
			t.Errorf("ChunkIntervals(%v) has %d tables, want %d (2 raw + the rollups)", tt.gb, len(got), want)
		}
	}
	// Days, as the reference quotes them: ≈ 50.6 d for flux_archive and ≈ 265 d for its 10 s rollup.
	d := store.ChunkIntervals(28)
	if days := d["flux_archive"].Hours() / 24; days < 50.5 || days > 50.7 {
		t.Errorf("flux_archive chunk = %.1f days, want ≈ 50.6", days)
	}
	if days := d["flux_archive_10s"].Hours() / 24; days < 264.5 || days > 265.5 {
		t.Errorf("flux_archive_10s chunk = %.1f days, want ≈ 265", days)
	}
}

func TestParseTimescaleMode(t *testing.T) {
	for _, s := range []string{"auto", "require", "off"} {
		if m, err := store.ParseTimescaleMode(s); err != nil || string(m) != s {
			t.Errorf("ParseTimescaleMode(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "on", "AUTO", "yes"} {
		if _, err := store.ParseTimescaleMode(s); err == nil {
			t.Errorf("ParseTimescaleMode(%q) succeeded", s)
		}
	}
}

func timescaleSetting(t *testing.T, db *store.DB) bool {
	t.Helper()
	var on bool
	if err := db.Pool().QueryRow(context.Background(), `SELECT timescale FROM heliotime_settings`).Scan(&on); err != nil {
		t.Fatal(err)
	}
	return on
}

func TestTimescaleWithoutExtension(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	avail, err := db.TimescaleAvailable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if avail {
		t.Skip("the test server has TimescaleDB: the plain-PostgreSQL behaviour is not testable here")
	}
	for _, mode := range []store.TimescaleMode{store.TimescaleAuto, store.TimescaleOff} {
		on, err := db.SetupTimescale(ctx, store.TimescaleOptions{Mode: mode})
		if err != nil || on {
			t.Errorf("SetupTimescale(%s) = %v, %v; want false, nil", mode, on, err)
		}
		if timescaleSetting(t, db) {
			t.Errorf("after %s, heliotime_settings.timescale = true", mode)
		}
	}
	_, err = db.SetupTimescale(ctx, store.TimescaleOptions{Mode: store.TimescaleRequire})
	if err == nil || !strings.Contains(err.Error(), "timescaledb") || !strings.Contains(err.Error(), "require") {
		t.Errorf("SetupTimescale(require) on plain PostgreSQL: err = %v, want one naming timescaledb and require", err)
	}
}

func TestTimescaleHypertables(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	avail, err := db.TimescaleAvailable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !avail {
		t.Skip("SKIPPED: the timescaledb extension is not available on the test server (not in pg_available_extensions); the hypertable path is untested here")
	}
	for i := 0; i < 2; i++ { // the second run must find everything done
		on, err := db.SetupTimescale(ctx, store.TimescaleOptions{Mode: store.TimescaleRequire, MemoryGB: 10})
		if err != nil || !on {
			t.Fatalf("SetupTimescale(require), run %d = %v, %v", i+1, on, err)
		}
	}
	if !timescaleSetting(t, db) {
		t.Error("heliotime_settings.timescale = false after setup")
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM timescaledb_information.hypertables WHERE compression_enabled`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 12 {
		t.Errorf("%d compressed hypertables, want 12", n)
	}
	var segs string
	if err := db.Pool().QueryRow(ctx, `SELECT string_agg(attname, ',' ORDER BY segmentby_column_index) FROM timescaledb_information.compression_settings WHERE hypertable_name = 'flux_archive' AND segmentby_column_index IS NOT NULL`).Scan(&segs); err != nil {
		t.Fatal(err)
	}
	if segs != "satellite,band,is_clean" {
		t.Errorf("flux_archive segment by %q, want satellite,band,is_clean", segs)
	}
}

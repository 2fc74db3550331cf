package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestInterval(t *testing.T) {
	base := ts("2024-01-01T00:00:00Z")
	cases := []struct {
		span   time.Duration
		points int
		want   time.Duration
	}{
		{2000 * time.Second, 2000, time.Second},
		{time.Second, 3, 333333 * time.Microsecond},              // 333333.33 -> down
		{2 * time.Second, 3, 666667 * time.Microsecond},          // 666666.67 -> up
		{5 * time.Microsecond, 2, 2 * time.Microsecond},          // 2.5 -> even 2
		{7 * time.Microsecond, 2, 4 * time.Microsecond},          // 3.5 -> even 4
		{time.Hour, 0, time.Hour},                                // points below 1 count as 1
		{24 * time.Hour, 2000, 43200 * time.Millisecond},         // 43.2 s
		{398853 * time.Hour, 2000, 717935400 * time.Millisecond}, // 45.5 years: ≈ 8.3 d
	}
	for _, c := range cases {
		if got := store.Interval(base, base.Add(c.span), c.points); got != c.want {
			t.Errorf("Interval(%v, %d) = %v, want %v", c.span, c.points, got, c.want)
		}
	}
}

func TestChooseTable(t *testing.T) {
	const us = time.Microsecond
	cases := []struct {
		src      flux.Source
		interval time.Duration
		table    string
		raw      bool
	}{
		{flux.SourceArchive, us, "flux_archive", true},
		{flux.SourceArchive, time.Second, "flux_archive", true},
		{flux.SourceArchive, time.Second + us, "flux_archive", false},
		{flux.SourceArchive, 10*time.Second - us, "flux_archive", false},
		{flux.SourceArchive, 10 * time.Second, "flux_archive_10s", false},
		{flux.SourceArchive, 30*time.Second - us, "flux_archive_10s", false},
		{flux.SourceArchive, 30 * time.Second, "flux_archive_30s", false},
		{flux.SourceArchive, time.Minute - us, "flux_archive_30s", false},
		{flux.SourceArchive, time.Minute, "flux_archive_1m", false},
		{flux.SourceArchive, 5*time.Minute - us, "flux_archive_1m", false},
		{flux.SourceArchive, 5 * time.Minute, "flux_archive_5m", false},
		{flux.SourceArchive, 10*time.Minute - us, "flux_archive_5m", false},
		{flux.SourceArchive, 10 * time.Minute, "flux_archive_10m", false},
		{flux.SourceArchive, 20*time.Minute - us, "flux_archive_10m", false},
		{flux.SourceArchive, 20 * time.Minute, "flux_archive_20m", false},
		{flux.SourceArchive, time.Hour - us, "flux_archive_20m", false},
		{flux.SourceArchive, time.Hour, "flux_archive_1h", false},
		{flux.SourceArchive, 4*time.Hour - us, "flux_archive_1h", false},
		{flux.SourceArchive, 4 * time.Hour, "flux_archive_4h", false},
		{flux.SourceArchive, 12*time.Hour - us, "flux_archive_4h", false},
		{flux.SourceArchive, 12 * time.Hour, "flux_archive_12h", false},
		{flux.SourceArchive, 24*time.Hour - us, "flux_archive_12h", false},
		{flux.SourceArchive, 24 * time.Hour, "flux_archive_1d", false},
		{flux.SourceArchive, 5*24*time.Hour - us, "flux_archive_1d", false},
		{flux.SourceArchive, 5 * 24 * time.Hour, "flux_archive_5d", false},
		{flux.SourceArchive, 400 * 24 * time.Hour, "flux_archive_5d", false},
		{flux.SourceLive, time.Second, "flux_live", true},
		{flux.SourceLive, time.Minute, "flux_live", true},
		{flux.SourceLive, time.Minute + us, "flux_live", false},
		{flux.SourceLive, 5*time.Minute - us, "flux_live", false},
		{flux.SourceLive, 5 * time.Minute, "flux_live_5m", false},
		{flux.SourceLive, 10 * time.Minute, "flux_live_10m", false},
		{flux.SourceLive, 20 * time.Minute, "flux_live_20m", false},
		{flux.SourceLive, time.Hour, "flux_live_1h", false},
		{flux.SourceLive, 4 * time.Hour, "flux_live_4h", false},
		{flux.SourceLive, 12 * time.Hour, "flux_live_12h", false},
		{flux.SourceLive, 24 * time.Hour, "flux_live_1d", false},
		{flux.SourceLive, 5 * 24 * time.Hour, "flux_live_5d", false},
	}
	for _, c := range cases {
		table, raw := store.ChooseTable(c.src, c.interval)
		if table != c.table || raw != c.raw {
			t.Errorf("ChooseTable(%s, %v) = %s, %v; want %s, %v", c.src, c.interval, table, raw, c.table, c.raw)
		}
	}
}

// timeBucket is TimescaleDB's time_bucket for intervals without months, written from its
// definition with arbitrary-precision integers: origin + floor((t - origin) / w) * w.
func timeBucket(t time.Time, w time.Duration) time.Time {
	origin := big.NewInt(946857600_000_000) // 2000-01-03T00:00:00Z in µs
	d := new(big.Int).Sub(big.NewInt(t.UnixMicro()), origin)
	wu := big.NewInt(w.Microseconds())
	q, m := new(big.Int).DivMod(d, wu, new(big.Int)) // Euclidean: floor for positive w
	_ = m
	return time.UnixMicro(new(big.Int).Add(origin, q.Mul(q, wu)).Int64()).UTC()
}

func TestBucketStart(t *testing.T) {
	cases := []struct {
		t    string
		w    time.Duration
		want string
	}{
		{"2000-01-03T00:00:00Z", 5 * 24 * time.Hour, "2000-01-03T00:00:00Z"},
		{"2000-01-07T23:59:59.999999Z", 5 * 24 * time.Hour, "2000-01-03T00:00:00Z"},
		{"2000-01-08T00:00:00Z", 5 * 24 * time.Hour, "2000-01-08T00:00:00Z"},
		{"1999-12-31T05:00:00Z", 5 * 24 * time.Hour, "1999-12-29T00:00:00Z"},
		{"2000-01-02T23:59:59Z", 7 * 24 * time.Hour, "1999-12-27T00:00:00Z"}, // weeks start on Mondays
		{"2024-06-20T13:45:12.5Z", time.Hour, "2024-06-20T13:00:00Z"},
		{"2024-06-20T13:45:12.5Z", 12 * time.Hour, "2024-06-20T12:00:00Z"},
		{"1985-06-01T00:00:00.5Z", 7*time.Minute + 3*time.Second, "1985-05-31T23:57:09Z"},
	}
	for _, c := range cases {
		if got := store.BucketStart(ts(c.t), c.w); !got.Equal(ts(c.want)) {
			t.Errorf("BucketStart(%s, %v) = %s, want %s", c.t, c.w, got.Format(time.RFC3339Nano), c.want)
		}
		if got := timeBucket(ts(c.t), c.w); !got.Equal(ts(c.want)) {
			t.Errorf("reference time_bucket(%s, %v) = %s, want %s", c.t, c.w, got.Format(time.RFC3339Nano), c.want)
		}
	}
	// Many odd intervals and instants on both sides of the origin.
	for i := range 2000 {
		tt := time.Unix(int64(i)*987654321-900_000_000, int64(i)*7919*1000).UTC()
		w := time.Duration(1+i*i*37) * time.Millisecond
		if got, want := store.BucketStart(tt, w), timeBucket(tt, w); !got.Equal(want) {
			t.Fatalf("BucketStart(%s, %v) = %s, want %s", tt, w, got, want)
		}
	}
}

// fixture writes rows straight into the tables, independently of the write path.
type fixture struct {
	t   *testing.T
	db  *store.DB
	ctx context.Context
}

func newFixture(t *testing.T) fixture {
	return fixture{t: t, db: storetest.New(t), ctx: context.Background()}
}

// raw inserts raw rows and updates flux_extent from them.
func (f fixture) raw(src flux.Source, ch flux.Channel, times []time.Time, vals []float32) {
	f.t.Helper()
	rows := make([][]any, len(times))
	for i := range times {
		rows[i] = []any{times[i], vals[i], ch.Satellite, ch.Band.String(), ch.Clean}
	}
	conn, err := f.db.Pool().Acquire(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Release()
	// COPY cannot encode the enum from a string without its OID; insert through a temp table.
	_, err = conn.Exec(f.ctx, `CREATE TEMP TABLE IF NOT EXISTS load (time timestamptz, flux real, satellite smallint, band text, is_clean boolean); TRUNCATE load`)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := conn.CopyFrom(f.ctx, pgx.Identifier{"load"}, []string{"time", "flux", "satellite", "band", "is_clean"}, pgx.CopyFromRows(rows)); err != nil {
		f.t.Fatal(err)
	}
	table := store.RawTable(src)
	if _, err := conn.Exec(f.ctx, `INSERT INTO `+table+` SELECT time, satellite, band::frequency_band, is_clean, flux FROM load`); err != nil {
		f.t.Fatal(err)
	}
	if _, err := conn.Exec(f.ctx, `INSERT INTO flux_extent SELECT $1, satellite, band, is_clean, min(time), max(time), count(*)
		FROM `+table+` WHERE satellite = $2 AND band = $3::frequency_band AND is_clean = $4 GROUP BY satellite, band, is_clean
		ON CONFLICT (source, satellite, band, is_clean) DO UPDATE SET first = excluded.first, last = excluded.last, row_count = excluded.row_count`,
		src.String(), ch.Satellite, ch.Band.String(), ch.Clean); err != nil {
		f.t.Fatal(err)
	}
	f.pack(src)
}

// pack rebuilds src's blocks from the tables the fixture wrote into.
func (f fixture) pack(src flux.Source) {
	f.t.Helper()
	if err := f.db.RepackBlocks(f.ctx, src); err != nil {
		f.t.Fatal(err)
	}
}

// rollupsFromRaw fills every rollup level of src from the raw table with date_bin on the
// time_bucket grid (min of the values, max, count), the stored rollups' definition.
func (f fixture) rollupsFromRaw(src flux.Source) {
	f.t.Helper()
	for _, l := range store.Levels(src) {
		sql := fmt.Sprintf(`INSERT INTO %s SELECT date_bin('%d microseconds', time, '2000-01-03T00:00:00Z') AS b,
			satellite, band, is_clean, min(flux), max(flux), count(*) FROM %s GROUP BY b, satellite, band, is_clean`,
			store.RollupTable(src, l), l.Bucket.Microseconds(), store.RawTable(src))
		if _, err := f.db.Pool().Exec(f.ctx, sql); err != nil {
			f.t.Fatal(err)
		}
	}
	f.pack(src)
}

func (f fixture) read(req store.ReadRequest) []store.Point {
	f.t.Helper()
	var out []store.Point
	if err := f.db.ReadFlux(f.ctx, req, func(p store.Point) error { out = append(out, p); return nil }); err != nil {
		f.t.Fatal(err)
	}
	return out
}

var combined = flux.Channel{Satellite: 0, Band: flux.BandLong, Clean: true}

// TestReadLevelChoice plants a different marker value in each rollup table and checks,
// from the values returned, which table a request was served from at every boundary.
func TestReadLevelChoice(t *testing.T) {
	f := newFixture(t)
	start := ts("2019-12-29T00:00:00Z") // on the 5-day grid: 7300 days after 2000-01-03
	if !store.BucketStart(start, 5*24*time.Hour).Equal(start) {
		t.Fatal("fixture start is not on the 5-day grid")
	}
	for _, src := range flux.Sources {
		var times []time.Time
		var vals []float32
		for i := range 600 {
			times = append(times, start.Add(time.Duration(i)*src.RawCadence()))
			vals = append(vals, 1)
		}
		f.raw(src, combined, times, vals)
		for _, l := range store.Levels(src) {
			if _, err := f.db.Pool().Exec(f.ctx, `INSERT INTO `+store.RollupTable(src, l)+` VALUES ($1, 0, 'long', true, $2, $2, 1)`,
				start, float32(l.Bucket.Seconds())); err != nil {
				t.Fatal(err)
			}
		}
		f.pack(src)
	}
	const us = time.Microsecond
	cases := []struct {
		src      flux.Source
		interval time.Duration
		want     float32 // marker: bucket seconds of the level, 1 for the raw table
		raw      bool
	}{
		{flux.SourceArchive, time.Second, 1, true},
		{flux.SourceArchive, time.Second + us, 1, false},
		{flux.SourceArchive, 10 * time.Second, 10, false},
		{flux.SourceArchive, 30*time.Second - us, 10, false},
		{flux.SourceArchive, 30 * time.Second, 30, false},
		{flux.SourceArchive, time.Minute - us, 30, false},
		{flux.SourceArchive, time.Minute, 60, false},
		{flux.SourceArchive, 5 * time.Minute, 300, false},
		{flux.SourceArchive, 10 * time.Minute, 600, false},
		{flux.SourceArchive, 20 * time.Minute, 1200, false},
		{flux.SourceArchive, time.Hour, 3600, false},
		{flux.SourceArchive, 4 * time.Hour, 14400, false},
		{flux.SourceArchive, 12 * time.Hour, 43200, false},
		{flux.SourceArchive, 24 * time.Hour, 86400, false},
		{flux.SourceArchive, 5*24*time.Hour - us, 86400, false},
		{flux.SourceArchive, 5 * 24 * time.Hour, 432000, false},
		{flux.SourceLive, time.Minute, 1, true},
		{flux.SourceLive, time.Minute + us, 1, false},
		{flux.SourceLive, 5*time.Minute - us, 1, false},
		{flux.SourceLive, 5 * time.Minute, 300, false},
		{flux.SourceLive, 10 * time.Minute, 600, false},
		{flux.SourceLive, 20 * time.Minute, 1200, false},
		{flux.SourceLive, time.Hour, 3600, false},
		{flux.SourceLive, 4 * time.Hour, 14400, false},
		{flux.SourceLive, 12 * time.Hour, 43200, false},
		{flux.SourceLive, 24 * time.Hour, 86400, false},
		{flux.SourceLive, 5 * 24 * time.Hour, 432000, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.src, c.interval), func(t *testing.T) {
			const points = 10
			req := store.ReadRequest{Channel: combined, Start: start, End: start.Add(points * c.interval),
				Points: points, Sources: []flux.Source{c.src}}
			got := f.read(req)
			if len(got) == 0 {
				t.Fatal("no points")
			}
			if got[0].Max != c.want {
				t.Errorf("first point %v, want marker %v", got[0].Max, c.want)
			}
			if c.raw && len(got) != min(points, 600) {
				t.Errorf("raw read gave %d points, want %d", len(got), points)
			}
			if plan := store.Plan(req); len(plan) != 1 || plan[0].Raw != c.raw {
				t.Errorf("plan %+v, raw want %v", plan, c.raw)
			}
		})
	}
}

// TestReadBuckets compares re-bucketed reads of the raw table and of every rollup with a
// bucketing computed here from time_bucket's definition, on both sides of the origin.
func TestReadBuckets(t *testing.T) {
	f := newFixture(t)
	type pt struct {
		t time.Time
		v float32
	}
	var pts []pt
	for _, base := range []string{"1985-06-01T00:00:00Z", "1999-12-25T00:00:00Z"} {
		b := ts(base)
		for i := range 40000 { // ~11 h of 1 s data with a wavy signal and a gap
			if i > 20000 && i < 22000 {
				continue
			}
			v := float32(1e-6 * (1 + float64((i*7919)%1000)/100))
			pts = append(pts, pt{b.Add(time.Duration(i) * time.Second), v})
		}
	}
	var times []time.Time
	var vals []float32
	for _, p := range pts {
		times = append(times, p.t)
		vals = append(vals, p.v)
	}
	f.raw(flux.SourceArchive, combined, times, vals)
	f.rollupsFromRaw(flux.SourceArchive)
	for _, window := range []struct{ start, end string }{
		{"1985-06-01T00:00:00Z", "1985-06-01T12:00:00Z"},
		{"1999-12-25T00:17:03.25Z", "1999-12-25T10:00:00Z"},
	} {
		start, end := ts(window.start), ts(window.end)
		for _, points := range []int{7, 97, 500, 2000, 5000} {
			interval := store.Interval(start, end, points)
			table, _ := store.ChooseTable(flux.SourceArchive, interval)
			// Expected: the rows of the chosen table with start <= time < end, grouped by
			// time_bucket(interval, time).
			level := time.Duration(0)
			for _, l := range store.Levels(flux.SourceArchive) {
				if store.RollupTable(flux.SourceArchive, l) == table {
					level = l.Bucket
				}
			}
			type agg struct{ lo, hi float32 }
			want := map[time.Time]*agg{}
			var order []time.Time
			if level == 0 && interval <= time.Second {
				for _, p := range pts {
					if !p.t.Before(start) && p.t.Before(end) {
						want[p.t] = &agg{p.v, p.v}
						order = append(order, p.t)
					}
				}
			} else {
				// Rollup rows (level buckets) first, then output buckets.
				rows := map[time.Time]*agg{}
				var rowOrder []time.Time
				for _, p := range pts {
					k := p.t
					if level > 0 {
						k = timeBucket(p.t, level)
					}
					if a, ok := rows[k]; ok {
						a.lo, a.hi = min(a.lo, p.v), max(a.hi, p.v)
					} else {
						rows[k] = &agg{p.v, p.v}
						rowOrder = append(rowOrder, k)
					}
				}
				for _, k := range rowOrder {
					if k.Before(start) || !k.Before(end) {
						continue
					}
					b := timeBucket(k, interval)
					if a, ok := want[b]; ok {
						a.lo, a.hi = min(a.lo, rows[k].lo), max(a.hi, rows[k].hi)
					} else {
						want[b] = &agg{rows[k].lo, rows[k].hi}
						order = append(order, b)
					}
				}
			}
			got := f.read(store.ReadRequest{Channel: combined, Start: start, End: end, Points: points,
				Sources: []flux.Source{flux.SourceArchive}, MinMax: true})
			if len(got) != len(order) {
				t.Fatalf("%s %d points (%s, interval %v): got %d rows, want %d", window.start, points, table, interval, len(got), len(order))
			}
			for i, p := range got {
				w := want[order[i]]
				if !p.Time.Equal(order[i]) || p.Min != w.lo || p.Max != w.hi {
					t.Fatalf("%s %d points (%s): row %d = %s %v %v, want %s %v %v", window.start, points, table, i,
						p.Time.Format(time.RFC3339Nano), p.Min, p.Max, order[i].Format(time.RFC3339Nano), w.lo, w.hi)
				}
			}
		}
	}
}

// TestReadStitch checks the archive/live seam: archive up to and including its last
// timestamp, live after it, never the same bucket twice.
func TestReadStitch(t *testing.T) {
	f := newFixture(t)
	day := ts("2024-03-01T00:00:00Z")
	archiveLast := day.Add(10*time.Hour + 30*time.Minute + 17*time.Second)
	var at, lt []time.Time
	var av, lv []float32
	for x := day; !x.After(archiveLast); x = x.Add(time.Second) {
		at = append(at, x)
		av = append(av, 2e-6)
	}
	for x := day.Add(6 * time.Hour); x.Before(day.Add(24 * time.Hour)); x = x.Add(time.Minute) {
		lt = append(lt, x)
		lv = append(lv, 5e-6)
	}
	f.raw(flux.SourceArchive, combined, at, av)
	f.raw(flux.SourceLive, combined, lt, lv)
	f.rollupsFromRaw(flux.SourceArchive)
	f.rollupsFromRaw(flux.SourceLive)

	check := func(name string, req store.ReadRequest, wantArchive, wantLive int, lastArchive time.Time) {
		t.Helper()
		got := f.read(req)
		var na, nl int
		for i, p := range got {
			if i > 0 && !got[i-1].Time.Before(p.Time) {
				t.Errorf("%s: times not strictly increasing at %d: %s then %s", name, i, got[i-1].Time, p.Time)
			}
			switch p.Max {
			case 2e-6:
				na++
				if nl > 0 {
					t.Errorf("%s: archive point after live points", name)
				}
			case 5e-6:
				nl++
			}
		}
		if na != wantArchive || nl != wantLive {
			t.Errorf("%s: %d archive + %d live points, want %d + %d", name, na, nl, wantArchive, wantLive)
		}
		if !lastArchive.IsZero() && na > 0 && !got[na-1].Time.Equal(lastArchive) {
			t.Errorf("%s: last archive point at %s, want %s", name, got[na-1].Time, lastArchive)
		}
	}
	// 1 h buckets over the day: archive buckets 00:00..10:00 (11), live 11:00..23:00 (13).
	check("hourly", store.ReadRequest{Channel: combined, Start: day, End: day.Add(24 * time.Hour), Points: 24},
		11, 13, day.Add(10*time.Hour))
	// Raw: 1 s windows around the seam; archive includes its last second, live starts after.
	check("raw", store.ReadRequest{Channel: combined, Start: archiveLast.Add(-9 * time.Second), End: archiveLast.Add(111 * time.Second), Points: 120},
		10, 2, archiveLast) // live rows at 10:31:00 and 10:32:00
	// Source restriction: live alone serves its rows before the seam too.
	check("live only", store.ReadRequest{Channel: combined, Start: day, End: day.Add(24 * time.Hour), Points: 24, Sources: []flux.Source{flux.SourceLive}},
		0, 18, time.Time{})
	check("archive only", store.ReadRequest{Channel: combined, Start: day, End: day.Add(24 * time.Hour), Points: 24, Sources: []flux.Source{flux.SourceArchive}},
		11, 0, day.Add(10*time.Hour))
	// A window entirely after the archive is served by live.
	check("after archive", store.ReadRequest{Channel: combined, Start: day.Add(12 * time.Hour), End: day.Add(24 * time.Hour), Points: 12},
		0, 12, time.Time{})
	// A window before the archive ends never touches live.
	check("before seam", store.ReadRequest{Channel: combined, Start: day.Add(6 * time.Hour), End: day.Add(8 * time.Hour), Points: 12},
		12, 0, time.Time{})
	// Another channel without archive data is served by live alone.
	other := flux.Channel{Satellite: 16, Band: flux.BandShort, Clean: false}
	f.raw(flux.SourceLive, other, lt[:30], lv[:30])
	check("no archive", store.ReadRequest{Channel: other, Start: day, End: day.Add(24 * time.Hour), Points: 24 * 60},
		0, 30, time.Time{})
}

// TestReadChannels checks that only the requested channel is read.
func TestReadChannels(t *testing.T) {
	f := newFixture(t)
	start := ts("2024-03-01T00:00:00Z")
	chans := []flux.Channel{
		{Satellite: 0, Band: flux.BandLong, Clean: true}, {Satellite: 0, Band: flux.BandLong, Clean: false},
		{Satellite: 0, Band: flux.BandShort, Clean: true}, {Satellite: 16, Band: flux.BandLong, Clean: true},
		{Satellite: 18, Band: flux.BandShort, Clean: false},
	}
	for i, ch := range chans {
		times := []time.Time{start, start.Add(time.Second), start.Add(2 * time.Second)}
		v := float32(i+1) * 1e-7
		f.raw(flux.SourceArchive, ch, times, []float32{v, v, v})
	}
	f.rollupsFromRaw(flux.SourceArchive)
	for i, ch := range chans {
		for _, points := range []int{3, 1} {
			got := f.read(store.ReadRequest{Channel: ch, Start: start, End: start.Add(3 * time.Second), Points: points})
			if len(got) != points {
				t.Errorf("%s, %d points: got %d", ch, points, len(got))
			}
			for _, p := range got {
				if p.Max != float32(i+1)*1e-7 {
					t.Errorf("%s: value %v from another channel", ch, p.Max)
				}
			}
		}
	}
	got := f.read(store.ReadRequest{Channel: flux.Channel{Satellite: 17}, Start: start, End: start.Add(time.Hour), Points: 10})
	if len(got) != 0 {
		t.Errorf("channel without data: %d points", len(got))
	}
}

// TestReadTimeout holds a lock the read must wait for and checks that its deadline turns
// into ErrQueryTimeout.
func TestReadTimeout(t *testing.T) {
	f := newFixture(t)
	tx, err := f.db.Pool().Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(f.ctx) }()
	if _, err := tx.Exec(f.ctx, `LOCK TABLE flux_archive_block IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
	defer cancel()
	start := ts("2024-01-01T00:00:00Z")
	err = f.db.ReadFlux(ctx, store.ReadRequest{Channel: combined, Start: start, End: start.Add(2000 * time.Hour), Points: 2000,
		Sources: []flux.Source{flux.SourceArchive}}, func(store.Point) error { return nil })
	if !errors.Is(err, store.ErrQueryTimeout) {
		t.Fatalf("err = %v, want ErrQueryTimeout", err)
	}
}

// TestReadCorruptBlock checks that a block whose data is not a whole number of packed rows
// (edited by hand, or damaged) fails the read with an error naming the table and the
// block, and that RepackBlocks mends it.
func TestReadCorruptBlock(t *testing.T) {
	f := newFixture(t)
	start := ts("2024-01-01T00:00:00Z")
	var times []time.Time
	var vals []float32
	for i := range 3600 {
		times = append(times, start.Add(time.Duration(i)*time.Second))
		vals = append(vals, float32(i))
	}
	f.raw(flux.SourceArchive, combined, times, vals)
	req := store.ReadRequest{Channel: combined, Start: start, End: start.Add(time.Hour), Points: 3600,
		Sources: []flux.Source{flux.SourceArchive}}
	if got := f.read(req); len(got) != 3600 || got[3599].Max != 3599 {
		t.Fatalf("read gave %d points", len(got))
	}
	for _, edit := range []string{`data || '\x00'::bytea`, `substr(data, 1, 13)`} {
		if _, err := f.db.Pool().Exec(f.ctx, `UPDATE flux_archive_block SET data = `+edit+` WHERE bucket = 0 AND start = $1`,
			start.Add(960*time.Second)); err != nil {
			t.Fatal(err)
		}
		err := f.db.ReadFlux(f.ctx, req, func(store.Point) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "flux_archive") || !strings.Contains(err.Error(), "2024-01-01T00:16:00Z") ||
			!strings.Contains(err.Error(), "not a whole number") {
			t.Errorf("%s: err = %v, want one naming the table and the block", edit, err)
		}
		f.pack(flux.SourceArchive)
		if got := f.read(req); len(got) != 3600 {
			t.Errorf("after RepackBlocks: %d points", len(got))
		}
	}
}

// TestReadStatementTimeout checks that the server's statement_timeout counts as a query
// timeout too.
func TestReadStatementTimeout(t *testing.T) {
	u := storetest.NewURL(t)
	ctx := context.Background()
	if err := store.MigrateUp(ctx, u); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, u, store.Options{StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE flux_archive_block IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := ts("2024-01-01T00:00:00Z")
	err = db.ReadFlux(ctx, store.ReadRequest{Channel: combined, Start: start, End: start.Add(2000 * time.Hour), Points: 2000,
		Sources: []flux.Source{flux.SourceArchive}}, func(store.Point) error { return nil })
	if !errors.Is(err, store.ErrQueryTimeout) {
		t.Fatalf("err = %v, want ErrQueryTimeout", err)
	}
}

// TestReadRebucketMatchesSQL checks the read path's re-bucketing against PostgreSQL's own
// date_bin grouping with min and max over the same rows (the original's query), on data
// holding NaN (which PostgreSQL orders above every number), equal values and windows
// before and after the grid origin, for the raw table and a rollup, with and without
// minmax. Reads go through pgx's default extended protocol (binary rows, decoded from
// their bytes) and through the simple protocol (text rows, scanned).
func TestReadRebucketMatchesSQL(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	if err := store.MigrateUp(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	open := func(u string) *store.DB {
		db, err := store.Open(ctx, u, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	simpleURL, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := simpleURL.Query()
	q.Set("default_query_exec_mode", "simple_protocol")
	simpleURL.RawQuery = q.Encode()
	f := fixture{t: t, db: open(dbURL), ctx: ctx}
	readers := map[string]fixture{"extended": f, "simple": {t: t, db: open(simpleURL.String()), ctx: ctx}}
	nan := float32(math.NaN())
	var times []time.Time
	var vals []float32
	for _, base := range []string{"1999-12-31T22:00:00Z", "2024-03-01T00:00:00Z"} {
		b := ts(base)
		for i := range 6 * 3600 {
			v := float32(1e-7 * float64(1+(i*104729)%97))
			switch {
			case i%1013 == 0, i >= 600 && i < 660: // lone NaNs and a whole minute of them
				v = nan
			case i%7 == 0:
				v = 2e-7 // many ties
			}
			times = append(times, b.Add(time.Duration(i)*time.Second))
			vals = append(vals, v)
		}
	}
	f.raw(flux.SourceArchive, combined, times, vals)
	f.rollupsFromRaw(flux.SourceArchive)

	same := func(a, b float32) bool { return a == b || a != a && b != b }
	for _, w := range []struct{ start, end string }{
		{"1999-12-31T22:00:00Z", "2000-01-01T04:00:00Z"},
		{"1999-12-31T23:59:59.5Z", "2000-01-01T01:13:00Z"},
		{"2024-03-01T00:07:00.123Z", "2024-03-01T05:00:00Z"},
	} {
		start, end := ts(w.start), ts(w.end)
		for _, points := range []int{13, 300, 1000, 2000, 9000} {
			interval := store.Interval(start, end, points)
			table, raw := store.ChooseTable(flux.SourceArchive, interval)
			if raw {
				continue
			}
			lo, hi := "flux_min", "flux_max"
			if table == store.RawTable(flux.SourceArchive) {
				lo, hi = "flux", "flux"
			}
			rows, err := f.db.Pool().Query(f.ctx, `SELECT date_bin($1::bigint * interval '1 microsecond', time, timestamptz '2000-01-03 00:00:00+00') AS b,
				min(`+lo+`), max(`+hi+`) FROM `+table+`
				WHERE satellite = 0 AND band = 'long' AND is_clean AND time >= $2 AND time < $3 GROUP BY b ORDER BY b`,
				interval.Microseconds(), start, end)
			if err != nil {
				t.Fatal(err)
			}
			var want []store.Point
			for rows.Next() {
				var p store.Point
				if err := rows.Scan(&p.Time, &p.Min, &p.Max); err != nil {
					t.Fatal(err)
				}
				want = append(want, p)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(want) < 2 {
				t.Fatalf("%s %d points: the oracle has %d buckets, the window is too small to test", w.start, points, len(want))
			}
			for mode, rd := range readers {
				for _, minmax := range []bool{true, false} {
					got := rd.read(store.ReadRequest{Channel: combined, Start: start, End: end, Points: points,
						Sources: []flux.Source{flux.SourceArchive}, MinMax: minmax})
					if len(got) != len(want) {
						t.Fatalf("%s %s %d points (%s) minmax=%v: %d buckets, want %d", mode, w.start, points, table, minmax, len(got), len(want))
					}
					for i, p := range got {
						wantMin := want[i].Min
						if !minmax {
							wantMin = want[i].Max // without minmax a bucket's Min is its Max
						}
						if !p.Time.Equal(want[i].Time) || !same(p.Min, wantMin) || !same(p.Max, want[i].Max) {
							t.Fatalf("%s %s %d points (%s) minmax=%v: bucket %d = %s %v %v, want %s %v %v", mode, w.start, points, table, minmax, i,
								p.Time.Format(time.RFC3339Nano), p.Min, p.Max, want[i].Time.Format(time.RFC3339Nano), wantMin, want[i].Max)
						}
					}
				}
			}
		}
	}
}

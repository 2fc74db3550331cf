package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

// day is one day in Unix nanoseconds.
const day = int64(24 * time.Hour)

// mkSeries builds a series of n points from start every step, with a deterministic
// pseudo-random flux; every 97th point is NaN (dropped by the write path).
func mkSeries(seed uint64, start, step int64, n int) flux.Series {
	r := rand.New(rand.NewPCG(seed, 7))
	var s flux.Series
	for i := range n {
		v := float32(math.Pow(10, -8+3*r.Float64()))
		if i%97 == 96 {
			v = float32(math.NaN())
		}
		s.Append(start+int64(i)*step, v)
	}
	return s
}

// countInside counts the non-NaN points of s inside r.
func countInside(s flux.Series, r flux.Range) int64 {
	var n int64
	for i, t := range s.Time {
		if r.Contains(t) && !math.IsNaN(float64(s.Flux[i])) {
			n++
		}
	}
	return n
}

func at(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

// rowsPerChannel counts the raw rows of src per channel.
func rowsPerChannel(t *testing.T, db *store.DB, src flux.Source) map[flux.Channel]int64 {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT satellite, band::text, is_clean, count(*) FROM `+store.RawTable(src)+` GROUP BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[flux.Channel]int64{}
	for rows.Next() {
		var (
			c    flux.Channel
			band string
			n    int64
		)
		if err := rows.Scan(&c.Satellite, &band, &c.Clean, &n); err != nil {
			t.Fatal(err)
		}
		c.Band, _ = flux.ParseBand(band)
		out[c] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteBatch(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	g16 := flux.Channel{Satellite: 16, Band: flux.BandLong}
	g16c := flux.Channel{Satellite: 16, Band: flux.BandLong, Clean: true}
	g18s := flux.Channel{Satellite: 18, Band: flux.BandShort}
	comb := flux.Channel{Satellite: 0, Band: flux.BandLong}

	d0 := at("2024-05-10T00:00:00Z")
	origin := store.BucketOriginUnix * int64(time.Second)
	tests := []struct {
		name   string
		src    flux.Source
		writes []store.ChannelWrite
	}{
		{"archive first day", flux.SourceArchive, []store.ChannelWrite{
			{Channel: g16, Series: mkSeries(1, d0, int64(time.Second), 86400), Replace: flux.Range{Start: d0, End: d0 + day}},
			// unaligned range and a series reaching outside it
			{Channel: g16c, Series: mkSeries(2, d0-3600e9, int64(time.Second), 86400+7200), Replace: flux.Range{Start: d0 - 1234567891, End: d0 + day + 987654321}},
			// 3 s cadence with a sub-microsecond offset
			{Channel: g18s, Series: mkSeries(3, d0+250, 3*int64(time.Second), 28800), Replace: flux.Range{Start: d0, End: d0 + day}},
			{Channel: comb, Series: mkSeries(4, d0, 2*int64(time.Second), 43200), Replace: flux.Range{Start: d0 - 15*3600e9, End: d0 + day + 15*3600e9}},
		}},
		{"archive replace the middle", flux.SourceArchive, []store.ChannelWrite{
			{Channel: g16, Series: mkSeries(5, d0+6*3600e9+500e6, int64(time.Second), 3600*5), Replace: flux.Range{Start: d0 + 6*3600e9 + 7e9, End: d0 + 10*3600e9 + 3e9}},
			// an empty series deletes the range
			{Channel: g18s, Series: flux.Series{}, Replace: flux.Range{Start: d0 + 3600e9, End: d0 + 2*3600e9}},
		}},
		{"archive second day", flux.SourceArchive, []store.ChannelWrite{
			{Channel: g16, Series: mkSeries(6, d0+day, int64(time.Second), 86400), Replace: flux.Range{Start: d0 + day, End: d0 + 2*day}},
		}},
		{"archive empty a channel", flux.SourceArchive, []store.ChannelWrite{
			{Channel: comb, Series: flux.Series{}, Replace: flux.Range{Start: d0 - 2*day, End: d0 + 3*day}},
		}},
		{"archive across the grid origin", flux.SourceArchive, []store.ChannelWrite{
			// 2 days on each side of 2000-01-03, unaligned: blocks and buckets before the
			// origin start at negative offsets from it
			{Channel: flux.Channel{Satellite: 8, Band: flux.BandShort}, Series: mkSeries(8, origin-2*day+333e3, 2*int64(time.Second), 86400*2),
				Replace: flux.Range{Start: origin - 2*day - 7e9, End: origin + 2*day - 5e9}},
		}},
		{"live", flux.SourceLive, []store.ChannelWrite{
			{Channel: flux.Channel{Satellite: 19, Band: flux.BandLong}, Series: mkSeries(7, d0+30e9, int64(time.Minute), 3000), Replace: flux.Range{Start: d0 + 17e9, End: d0 + 2*day}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := rowsPerChannel(t, db, tc.src)
			// The rows each channel must hold afterwards: those outside the ranges plus
			// the new points inside.
			want := map[flux.Channel]int64{}
			for c, n := range before {
				want[c] = n
			}
			for _, w := range tc.writes {
				var kept int64
				err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+store.RawTable(tc.src)+` WHERE satellite = $1 AND band = $2::text::frequency_band
					AND is_clean = $3 AND time >= $4 AND time < $5`, w.Channel.Satellite, w.Channel.Band.String(), w.Channel.Clean,
					time.Unix(0, w.Replace.Start), time.Unix(0, w.Replace.End)).Scan(&kept)
				if err != nil {
					t.Fatal(err)
				}
				want[w.Channel] += countInside(w.Series, w.Replace) - kept
				if want[w.Channel] == 0 {
					delete(want, w.Channel)
				}
			}
			st, err := db.WriteBatch(ctx, store.Batch{Source: tc.src, Channels: tc.writes,
				Files: []store.ImportedFile{{Product: "flx1s", Satellite: 16, Day: time.Unix(0, d0), Name: tc.name}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				if got, exp := st.PerChannel[w.Channel], countInside(w.Series, w.Replace); got != exp {
					t.Errorf("stats: %s written %d, want %d", w.Channel, got, exp)
				}
			}
			got := rowsPerChannel(t, db, tc.src)
			if len(got) != len(want) {
				t.Errorf("channels: got %v, want %v", got, want)
			}
			for c, n := range want {
				if got[c] != n {
					t.Errorf("%s: %d rows, want %d", c, got[c], n)
				}
			}
			storetest.CheckConsistent(t, db, tc.src)
		})
	}
	var files int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM import_file WHERE product = 'flx1s' AND day = '2024-05-10'`).Scan(&files); err != nil {
		t.Fatal(err)
	}
	if files != len(tests) {
		t.Errorf("import_file holds %d rows, want %d", files, len(tests))
	}
}

// TestWriteBatchValues checks that stored values and times are exactly the written ones.
func TestWriteBatchValues(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	c := flux.Channel{Satellite: 17, Band: flux.BandShort, Clean: true}
	d0 := at("2020-02-29T23:59:50Z")
	s := flux.Series{Time: []int64{d0, d0 + 500, d0 + 1e9 + 999, d0 + 12e9}, Flux: []float32{1.2345678e-7, 9e-9, math.SmallestNonzeroFloat32, 3.4e38}}
	if _, err := db.WriteBatch(ctx, store.Batch{Source: flux.SourceArchive, Channels: []store.ChannelWrite{{Channel: c, Series: s, Replace: flux.Range{Start: d0, End: d0 + 60e9}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Stored(flux.SourceArchive).Series(ctx, c, flux.Range{Start: d0 - 1e9, End: d0 + 60e9})
	if err != nil {
		t.Fatal(err)
	}
	// d0+500 truncates to d0 (microseconds) and is dropped as a duplicate; d0+1e9+999
	// truncates to d0+1e9.
	want := flux.Series{Time: []int64{d0, d0 + 1e9, d0 + 12e9}, Flux: []float32{1.2345678e-7, math.SmallestNonzeroFloat32, 3.4e38}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	chans, err := db.Stored(flux.SourceArchive).Channels(ctx, flux.Range{Start: d0, End: d0 + 1})
	if err != nil || len(chans) != 1 || chans[0] != c {
		t.Errorf("Channels = %v, %v; want [%s]", chans, err, c)
	}
	chans, err = db.Stored(flux.SourceArchive).Channels(ctx, flux.Range{Start: d0 + 13e9, End: d0 + 60e9})
	if err != nil || len(chans) != 0 {
		t.Errorf("Channels after the last row = %v, %v; want none", chans, err)
	}
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}

func TestWriteBatchRejects(t *testing.T) {
	db := storetest.New(t)
	c := flux.Channel{Satellite: 16, Band: flux.BandLong}
	r := flux.Range{Start: 0, End: day}
	tests := []struct {
		name string
		ch   []store.ChannelWrite
	}{
		{"descending", []store.ChannelWrite{{Channel: c, Series: flux.Series{Time: []int64{5e9, 4e9}, Flux: []float32{1, 2}}, Replace: r}}},
		{"twice", []store.ChannelWrite{{Channel: c, Replace: r}, {Channel: c, Replace: r}}},
		{"lengths", []store.ChannelWrite{{Channel: c, Series: flux.Series{Time: []int64{5e9}}, Replace: r}}},
		{"satellite", []store.ChannelWrite{{Channel: flux.Channel{Satellite: 99}, Replace: r}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.WriteBatch(context.Background(), store.Batch{Source: flux.SourceArchive, Channels: tc.ch}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestWriteBatchIdempotent writes the same batch twice and compares checksums.
func TestWriteBatchIdempotent(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	d0 := at("2023-01-01T00:00:00Z")
	b := store.Batch{Source: flux.SourceArchive}
	for i, sat := range []int16{16, 18, 0} {
		for _, band := range flux.Bands {
			for _, clean := range []bool{false, true} {
				c := flux.Channel{Satellite: sat, Band: band, Clean: clean}
				r := flux.Range{Start: d0, End: d0 + day}
				if clean {
					r = r.Extend(9 * time.Hour)
				}
				b.Channels = append(b.Channels, store.ChannelWrite{Channel: c, Series: mkSeries(uint64(i*4+int(band)*2), d0-day/2, int64(time.Second), 2*86400), Replace: r})
			}
		}
	}
	t0 := time.Now()
	if _, err := db.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	t.Logf("first write %s", time.Since(t0))
	t0 = time.Now()
	sum1, err := db.Checksum(ctx, flux.SourceArchive)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checksum %s", time.Since(t0))
	t0 = time.Now()
	if _, err := db.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	t.Logf("second write %s", time.Since(t0))
	sum2, err := db.Checksum(ctx, flux.SourceArchive)
	if err != nil {
		t.Fatal(err)
	}
	if sum1 != sum2 {
		t.Errorf("re-write changed the data:\n%s\n%s", sum1, sum2)
	}
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}

// TestWriteBatchCancel cancels writes at several moments: each either fails and leaves
// the previous state intact or succeeds completely.
func TestWriteBatchCancel(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	d0 := at("2022-03-01T00:00:00Z")
	first := store.Batch{Source: flux.SourceArchive, Channels: []store.ChannelWrite{
		{Channel: flux.Channel{Satellite: 16, Band: flux.BandLong}, Series: mkSeries(1, d0, int64(time.Second), 86400), Replace: flux.Range{Start: d0, End: d0 + day}},
	}}
	if _, err := db.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	before, err := db.Checksum(ctx, flux.SourceArchive)
	if err != nil {
		t.Fatal(err)
	}
	big := store.Batch{Source: flux.SourceArchive}
	for _, sat := range []int16{16, 17, 18} {
		for _, band := range flux.Bands {
			big.Channels = append(big.Channels, store.ChannelWrite{Channel: flux.Channel{Satellite: sat, Band: band},
				Series: mkSeries(uint64(sat), d0, int64(time.Second), 3*86400), Replace: flux.Range{Start: d0, End: d0 + 3*day}})
		}
	}
	cancelled := 0
	for _, after := range []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
		cctx, cancel := context.WithCancel(ctx)
		go func() { time.Sleep(after); cancel() }()
		_, err := db.WriteBatch(cctx, big)
		cancel()
		if err == nil {
			continue // finished before the cancel: nothing more to check for this delay
		}
		cancelled++
		if !errors.Is(err, context.Canceled) {
			t.Logf("cancelled after %s: %v", after, err)
		}
		now, err := db.Checksum(ctx, flux.SourceArchive)
		if err != nil {
			t.Fatal(err)
		}
		if now != before {
			t.Fatalf("write cancelled after %s changed the data", after)
		}
	}
	if cancelled == 0 {
		t.Fatal("no write was cancelled; the test checked nothing")
	}
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}

// TestWriteBatchPartialChange rewrites a stored range with some points changed, added or
// removed (few and many scattered changes: the difference path keeps the unchanged rows
// and writes only the rest) and checks that the stored series is exactly the new one.
func TestWriteBatchPartialChange(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	d0 := at("2022-03-01T00:00:00Z")
	const n = 3600
	r := flux.Range{Start: d0, End: d0 + n*int64(time.Second)}
	tests := []struct {
		name  string
		every int // every n-th point changes (0: none)
		drop  int // every n-th point is left out (0: none)
	}{
		{"unchanged", 0, 0},
		{"few changes", 700, 0},
		{"many scattered changes", 7, 0},
		{"changes and removals", 50, 13},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := flux.Channel{Satellite: int16(1 + i), Band: flux.BandShort, Clean: true}
			old := mkSeries(uint64(40+i), d0, int64(time.Second), n)
			if _, err := db.WriteBatch(ctx, store.Batch{Source: flux.SourceArchive, Channels: []store.ChannelWrite{
				{Channel: c, Series: old, Replace: r}}}); err != nil {
				t.Fatal(err)
			}
			var next flux.Series
			for k := range old.Time {
				if tc.drop > 0 && k%tc.drop == tc.drop-1 {
					continue
				}
				v := old.Flux[k]
				if tc.every > 0 && k%tc.every == 0 {
					v = float32(k) * 1e-9
				}
				next.Append(old.Time[k], v)
			}
			if _, err := db.WriteBatch(ctx, store.Batch{Source: flux.SourceArchive, Channels: []store.ChannelWrite{
				{Channel: c, Series: next, Replace: r}}}); err != nil {
				t.Fatal(err)
			}
			got, err := db.Stored(flux.SourceArchive).Series(ctx, c, r)
			if err != nil {
				t.Fatal(err)
			}
			var want flux.Series
			for k, v := range next.Flux {
				if v == v { // NaN points are not stored
					want.Append(next.Time[k], v)
				}
			}
			if got.Len() != want.Len() {
				t.Fatalf("stored %d points, want %d", got.Len(), want.Len())
			}
			for k := range want.Time {
				if got.Time[k] != want.Time[k] || got.Flux[k] != want.Flux[k] {
					t.Fatalf("point %d: stored (%d, %g), want (%d, %g)", k, got.Time[k], got.Flux[k], want.Time[k], want.Flux[k])
				}
			}
			storetest.CheckConsistent(t, db, flux.SourceArchive)
		})
	}
}

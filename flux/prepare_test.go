package flux_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// memStore is an in-memory Stored: what the database holds, per channel.
type memStore struct {
	rows  map[flux.Channel]flux.Series
	reads []string // "channel range" of every Series call
	err   error    // returned by every call when set
}

func newMemStore() *memStore { return &memStore{rows: make(map[flux.Channel]flux.Series)} }

func sliceOf(s flux.Series, r flux.Range) flux.Series {
	lo := sort.Search(s.Len(), func(i int) bool { return s.Time[i] >= r.Start })
	hi := sort.Search(s.Len(), func(i int) bool { return s.Time[i] >= r.End })
	hi = max(hi, lo)
	return flux.Series{Time: slices.Clone(s.Time[lo:hi]), Flux: slices.Clone(s.Flux[lo:hi])}
}

func (m *memStore) Series(_ context.Context, c flux.Channel, r flux.Range) (flux.Series, error) {
	m.reads = append(m.reads, c.String()+" "+r.String())
	if m.err != nil {
		return flux.Series{}, m.err
	}
	return sliceOf(m.rows[c], r), nil
}

func (m *memStore) Channels(_ context.Context, r flux.Range) ([]flux.Channel, error) {
	if m.err != nil {
		return nil, m.err
	}
	var out []flux.Channel
	for c, s := range m.rows {
		if c.Satellite != flux.CombinedSatellite && sliceOf(s, r).Len() > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// apply writes prepared rows the way the store does: per channel, delete the rows in
// the replace range, then insert the new ones.
func (m *memStore) apply(p map[flux.Channel]flux.Prepared) {
	for c, pr := range p {
		old := m.rows[c]
		var s flux.Series
		i := 0
		for ; i < old.Len() && old.Time[i] < pr.Replace.Start; i++ {
			s.Append(old.Time[i], old.Flux[i])
		}
		for j := range pr.Series.Len() {
			s.Append(pr.Series.Time[j], pr.Series.Flux[j])
		}
		for ; i < old.Len(); i++ {
			if old.Time[i] >= pr.Replace.End {
				s.Append(old.Time[i], old.Flux[i])
			}
		}
		m.rows[c] = s
	}
}

// TestPrepareRanges checks the replace ranges of every prepared channel and the stored
// context each step reads.
func TestPrepareRanges(t *testing.T) {
	day := flux.Range{Start: time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC).UnixNano()}
	day.End = day.Start + int64(24*time.Hour)
	raw := map[flux.Channel]flux.Series{
		{Satellite: 16, Band: flux.BandLong}:              {},
		{Satellite: 16, Band: flux.BandLong, Clean: true}: {Time: []int64{day.Start}, Flux: []float32{1}}, // ignored
	}
	st := newMemStore()
	got, err := flux.Prepare(context.Background(), raw, day, st)
	if err != nil {
		t.Fatal(err)
	}
	h := int64(time.Hour)
	want := map[flux.Channel]flux.Range{
		{Satellite: 16, Band: flux.BandLong}:              day,
		{Satellite: 16, Band: flux.BandLong, Clean: true}: {Start: day.Start - 9*h, End: day.End + 9*h},
		{Satellite: 0, Band: flux.BandLong}:               {Start: day.Start - 15*h, End: day.End + 15*h},
		{Satellite: 0, Band: flux.BandLong, Clean: true}:  {Start: day.Start - 15*h, End: day.End + 15*h},
	}
	if len(got) != len(want) {
		t.Fatalf("Prepare returned %d channels %v, want %d", len(got), got, len(want))
	}
	for c, r := range want {
		p, ok := got[c]
		if !ok {
			t.Errorf("channel %s missing", c)
			continue
		}
		if p.Replace != r {
			t.Errorf("%s replaces %s, want %s", c, p.Replace, r)
		}
		if p.Series.Len() != 0 {
			t.Errorf("%s has %d rows from empty input", c, p.Series.Len())
		}
	}
	rng := func(a, b int64) string { return flux.Range{Start: a, End: b}.String() }
	for _, read := range []string{
		"g16/long/raw " + rng(day.Start-18*h, day.Start),       // cleaning context before
		"g16/long/raw " + rng(day.End, day.End+18*h),           // and after
		"g16/long/raw " + rng(day.Start-21*h, day.Start),       // combining context
		"g16/long/clean " + rng(day.Start-21*h, day.Start-9*h), // around the clean range
		"g16/long/clean " + rng(day.End+9*h, day.End+21*h),
	} {
		if !slices.Contains(st.reads, read) {
			t.Errorf("no stored read %q; reads: %q", read, st.reads)
		}
	}
}

func TestPrepareStoreError(t *testing.T) {
	st := newMemStore()
	st.err = errors.New("connection lost")
	raw := map[flux.Channel]flux.Series{{Satellite: 18, Band: flux.BandShort}: {}}
	_, err := flux.Prepare(context.Background(), raw, flux.Range{Start: 0, End: int64(time.Hour)}, st)
	if !errors.Is(err, st.err) {
		t.Fatalf("Prepare error = %v, want the store's error wrapped", err)
	}
}

// TestPrepareDayByDay imports each golden case once as a whole and once day by day,
// applying every batch's output to an in-memory store, and compares the stored results.
//
// "Same" means: raw rows identical; clean and combined rows identical except where the
// algorithm's global statistics make a result depend on the cleaned window (the
// 1st/99th percentile clip of the denoising corrections, the median interval, the
// connectivity filter's uncertainty sections, which can reach beyond the ±9 h border;
// see docs/cleaning.md) and where the combine border is not formally sufficient. On
// the golden cases at least 99.7 % of the clean timestamps (99.95 % of the combined
// ones) are stored alike; the differences sit in one uncertainty section a few hours
// after a day boundary, where groups deviate from the bridging line by almost exactly
// the 0.2 limit. The test requires 99 % and logs the measured numbers.
func TestPrepareDayByDay(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			raw := make(map[flux.Channel]flux.Series)
			for _, ch := range goldenChannels(c) {
				raw[ch] = readGolden(t, inputPath(c, ch))
			}
			ctx := context.Background()
			whole := newMemStore()
			p, err := flux.Prepare(ctx, raw, c.rng, whole)
			if err != nil {
				t.Fatal(err)
			}
			whole.apply(p)

			daily := newMemStore()
			for d := c.rng.Start; d < c.rng.End; d += int64(24 * time.Hour) {
				day := flux.Range{Start: d, End: min(d+int64(24*time.Hour), c.rng.End)}
				batch := make(map[flux.Channel]flux.Series)
				for ch, s := range raw {
					batch[ch] = sliceOf(s, day)
				}
				p, err := flux.Prepare(ctx, batch, day, daily)
				if err != nil {
					t.Fatal(err)
				}
				daily.apply(p)
			}

			var chans []flux.Channel
			for ch := range whole.rows {
				chans = append(chans, ch)
			}
			for ch := range daily.rows {
				if _, ok := whole.rows[ch]; !ok {
					chans = append(chans, ch)
				}
			}
			slices.SortFunc(chans, func(a, b flux.Channel) int { return compareStrings(a.String(), b.String()) })
			for _, ch := range chans {
				w, d := whole.rows[ch], daily.rows[ch]
				p := compare(nil, d, w)
				t.Logf("%s: %.4f%% of %d timestamps stored alike (only day by day %d, only whole %d), max |Δlog10| on common rows %.3g",
					ch, 100*p.share(), p.candidates, p.onlyOurs, p.onlyTheirs, p.maxDiff)
				switch {
				case !ch.Clean && ch.Satellite != flux.CombinedSatellite:
					if p.share() != 1 || p.maxDiff != 0 {
						t.Errorf("%s: raw rows differ: %v", ch, p)
					}
				default:
					if p.share() < dayByDayAgreement {
						t.Errorf("%s: agreement %.4f%% below %.1f%%", ch, 100*p.share(), 100*dayByDayAgreement)
					}
				}
			}
		})
	}
}

// dayByDayAgreement is the share of timestamps that day-by-day imports must store
// exactly as a whole-span import (see TestPrepareDayByDay).
const dayByDayAgreement = 0.99

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

package flux

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Borders of the preparation stage (see Prepare).
const (
	// CleanBorder is how far around a batch the clean channels are recomputed, and
	// how much context beyond that the cleaning reads: every cleaning decision for a
	// point uses data within about ±9 h of it.
	CleanBorder = 9 * time.Hour
	// CombineBorder is how far around the clean channels' range the combined channels
	// are recomputed, and how much context beyond that the combining reads.
	CombineBorder = 6 * time.Hour
)

// cleanWorkers is how many channels are cleaned at the same time.
const cleanWorkers = 2

// Stored gives the preparation stage read access to what the database already holds.
type Stored interface {
	// Series returns the stored rows of channel c with time in r, ordered by time.
	Series(ctx context.Context, c Channel, r Range) (Series, error)
	// Channels returns the stored non-combined channels with at least one row in r.
	Channels(ctx context.Context, r Range) ([]Channel, error)
}

// Prepared is one channel's rows to write and the range of stored rows they replace.
type Prepared struct {
	Series  Series
	Replace Range
}

// Prepare cleans every raw channel of a batch covering t with border context and combines
// satellites into satellite 0, as the original's prepare_flux_channels does:
//
//   - each raw channel c of raw is returned as is (its rows within t) replacing t;
//   - its clean channel is recomputed over t ± CleanBorder from the batch's rows plus
//     the stored raw rows of c within t ± 2·CleanBorder (outside t), and replaces
//     t ± CleanBorder (all channels are cleaned concurrently, two at a time);
//   - the combined channels (satellite 0, both bands, raw and clean) are recomputed
//     over the prepared range ± CombineBorder from the prepared channels and the stored
//     ones (extended to ± 2·CombineBorder with stored rows of the same channel, plus
//     stored satellites without new data), and replace that range.
//
// All ranges are half-open: a point at a range's end belongs to the next range. An
// empty raw series still yields a clean channel that re-cleans the borders from stored
// rows. Clean or combined channels in raw are ignored: they are always recomputed.
// Errors come only from st.
func Prepare(ctx context.Context, raw map[Channel]Series, t Range, st Stored) (map[Channel]Prepared, error) {
	out := make(map[Channel]Prepared)
	var chans []Channel
	for c, s := range raw {
		if c.Clean || c.Satellite == CombinedSatellite {
			continue
		}
		chans = append(chans, c)
		out[c] = Prepared{Series: sliceRange(SortedUnique(s), t), Replace: t}
	}
	if len(chans) == 0 {
		return out, nil
	}
	sortChannels(chans)

	// Cleaning, concurrently.
	cleaned := make([]Prepared, len(chans))
	errs := make([]error, len(chans))
	// A Cleaner per worker: it keeps its work arrays from one channel to the next.
	cleaners := make(chan *Cleaner, cleanWorkers)
	for range cleanWorkers {
		cleaners <- new(Cleaner)
	}
	var wg sync.WaitGroup
	for k, c := range chans {
		wg.Go(func() {
			var cl *Cleaner
			select {
			case cl = <-cleaners:
			case <-ctx.Done():
				errs[k] = ctx.Err()
				return
			}
			defer func() { cleaners <- cl }()
			cleaned[k], errs[k] = prepareClean(ctx, cl, c, out[c].Series, t, st)
		})
	}
	wg.Wait()
	for k, c := range chans {
		if errs[k] != nil {
			return nil, errs[k]
		}
		c.Clean = true
		out[c] = cleaned[k]
	}

	combined, err := prepareCombine(ctx, out, st)
	if err != nil {
		return nil, err
	}
	for c, p := range combined {
		out[c] = p
	}
	return out, nil
}

// prepareClean cleans raw channel c (series s covering t) with its stored context.
func prepareClean(ctx context.Context, cl *Cleaner, c Channel, s Series, t Range, st Stored) (Prepared, error) {
	reclean := t.Extend(CleanBorder)
	fetch := reclean.Extend(CleanBorder)
	ext, err := extend(ctx, st, c, s, t, fetch)
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{Series: sliceRange(cl.Clean(ext, fetch), reclean), Replace: reclean}, nil
}

// extend surrounds s (covering own) with the stored rows of channel c within target but
// outside own.
func extend(ctx context.Context, st Stored, c Channel, s Series, own, target Range) (Series, error) {
	var before, after Series
	var err error
	if target.Start < own.Start {
		before, err = st.Series(ctx, c, Range{Start: target.Start, End: own.Start})
		if err != nil {
			return Series{}, fmt.Errorf("read stored %s in %s: %w", c, Range{target.Start, own.Start}, err)
		}
		before = sliceRange(before, Range{Start: target.Start, End: own.Start})
	}
	if own.End < target.End {
		after, err = st.Series(ctx, c, Range{Start: own.End, End: target.End})
		if err != nil {
			return Series{}, fmt.Errorf("read stored %s in %s: %w", c, Range{own.End, target.End}, err)
		}
		after = sliceRange(after, Range{Start: own.End, End: target.End})
	}
	if before.Len() == 0 && after.Len() == 0 {
		return s, nil
	}
	return Series{
		Time: slices.Concat(before.Time, s.Time, after.Time),
		Flux: slices.Concat(before.Flux, s.Flux, after.Flux),
	}, nil
}

// prepareCombine recomputes the combined channels around the prepared channels.
func prepareCombine(ctx context.Context, prepared map[Channel]Prepared, st Stored) (map[Channel]Prepared, error) {
	var provided Range
	for _, p := range prepared {
		provided = provided.Union(p.Replace)
	}
	recombine := provided.Extend(CombineBorder)
	fetch := recombine.Extend(CombineBorder)

	inputs := make(map[Channel]Series)
	for c, p := range prepared {
		s, err := extend(ctx, st, c, p.Series, p.Replace, fetch)
		if err != nil {
			return nil, err
		}
		inputs[c] = s
	}
	others, err := st.Channels(ctx, recombine)
	if err != nil {
		return nil, fmt.Errorf("list stored channels in %s: %w", recombine, err)
	}
	for _, c := range others {
		if c.Satellite == CombinedSatellite {
			continue
		}
		if _, ok := inputs[c]; ok {
			continue
		}
		s, err := st.Series(ctx, c, fetch)
		if err != nil {
			return nil, fmt.Errorf("read stored %s in %s: %w", c, fetch, err)
		}
		inputs[c] = sliceRange(s, fetch)
	}

	out := make(map[Channel]Prepared)
	for c, s := range Combine(inputs, fetch) {
		out[c] = Prepared{Series: sliceRange(s, recombine), Replace: recombine}
	}
	return out, nil
}

// sliceRange returns the points of the time-sorted s within r (sharing s's storage).
func sliceRange(s Series, r Range) Series {
	n := min(len(s.Time), len(s.Flux))
	lo := sort.Search(n, func(i int) bool { return s.Time[i] >= r.Start })
	hi := sort.Search(n, func(i int) bool { return s.Time[i] >= r.End })
	if hi < lo {
		hi = lo
	}
	return Series{Time: s.Time[lo:hi:hi], Flux: s.Flux[lo:hi:hi]}
}

// sortChannels orders channels by satellite, band and version.
func sortChannels(cs []Channel) {
	slices.SortFunc(cs, func(a, b Channel) int {
		if a.Satellite != b.Satellite {
			return int(a.Satellite) - int(b.Satellite)
		}
		if a.Band != b.Band {
			return int(a.Band) - int(b.Band)
		}
		switch {
		case a.Clean == b.Clean:
			return 0
		case a.Clean:
			return 1
		}
		return -1
	})
}

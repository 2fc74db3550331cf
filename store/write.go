package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
)

// ChannelWrite is one channel of a batch: the series to store and the range it replaces.
// Every stored raw row of the channel inside Replace is deleted; the series' points inside
// Replace are written (points outside it are ignored).
type ChannelWrite struct {
	Channel flux.Channel
	Series  flux.Series
	Replace flux.Range
}

// ImportedFile records one imported file in import_file.
type ImportedFile struct {
	Product      string
	Satellite    int
	Day          time.Time // zero: no day (e.g. a live feed file)
	Name, URL    string
	Size         int64
	ETag         string
	LastModified string
	SHA256       string
	Rows         int64
}

// Batch is everything one import transaction writes.
type Batch struct {
	Source   flux.Source
	Channels []ChannelWrite
	Files    []ImportedFile
}

// WriteStats reports what a batch changed.
type WriteStats struct {
	Deleted    int64                  // raw rows deleted
	Written    int64                  // raw rows written
	PerChannel map[flux.Channel]int64 // raw rows written per channel
}

// usec is one microsecond in nanoseconds: PostgreSQL's timestamp precision.
const usec = int64(time.Microsecond)

// WriteBatch writes one batch in one transaction: for each channel delete its raw rows in
// Replace and COPY the series' points inside Replace (binary COPY), recompute every
// touched rollup bucket level by level from the level below (the first from the raw rows),
// repack every touched block of each level (block.go), update flux_extent (first/last/row_count, deleting the row when a channel becomes empty),
// and record Files in import_file. All or nothing: on any error, including a cancelled
// ctx, nothing of the batch is visible.
//
// Timestamps are stored with microsecond precision; points whose times coincide after
// truncation to microseconds keep the first.
func (db *DB) WriteBatch(ctx context.Context, b Batch) (WriteStats, error) {
	st := WriteStats{PerChannel: make(map[flux.Channel]int64, len(b.Channels))}
	if len(b.Channels) == 0 && len(b.Files) == 0 {
		return st, nil
	}
	chans, err := prepareWrites(b.Channels)
	if err != nil {
		return st, fmt.Errorf("write %s batch: %w", b.Source, err)
	}
	ts, err := db.timescale(ctx)
	if err != nil {
		return st, err
	}
	var touched []touchedRange
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if ts {
			if _, err := tx.Exec(ctx, `SET LOCAL timescaledb.max_tuples_decompressed_per_dml_transaction = 0`); err != nil {
				return fmt.Errorf("lift decompression limit: %w", err)
			}
		}
		delta := make(map[flux.Channel]int64, len(chans))
		if err := writeRaw(ctx, tx, b.Source, chans, &st, delta); err != nil {
			return err
		}
		if err := writeRawBlocks(ctx, tx, b.Source, chans); err != nil {
			return err
		}
		var err error
		if touched, err = writeRollups(ctx, tx, b.Source, chans); err != nil {
			return err
		}
		if err := updateExtents(ctx, tx, b.Source, chans, delta); err != nil {
			return err
		}
		return recordFiles(ctx, tx, b.Source, b.Files)
	})
	if err != nil {
		return WriteStats{}, fmt.Errorf("write %s batch: %w", b.Source, err)
	}
	if ts && len(touched) > 0 {
		if err := db.recompress(ctx, b.Source, touched); err != nil {
			// The data is committed; an uncompressed chunk is only a space cost.
			return st, err
		}
	}
	return st, nil
}

// channelWrite is a validated ChannelWrite: the points inside Replace, at microsecond
// precision, strictly ascending, without NaN.
type channelWrite struct {
	ch      flux.Channel
	replace flux.Range // microsecond-aligned
	time    []int64
	flux    []float32
}

// prepareWrites validates the channels of a batch and cuts their series to Replace.
func prepareWrites(in []ChannelWrite) ([]channelWrite, error) {
	seen := make(map[flux.Channel]bool, len(in))
	out := make([]channelWrite, 0, len(in))
	for _, c := range in {
		if seen[c.Channel] {
			return nil, fmt.Errorf("channel %s appears twice", c.Channel)
		}
		seen[c.Channel] = true
		if c.Channel.Satellite < 0 || c.Channel.Satellite > flux.MaxSatellite {
			return nil, fmt.Errorf("channel %s: satellite %d out of range", c.Channel, c.Channel.Satellite)
		}
		if c.Channel.Band != flux.BandShort && c.Channel.Band != flux.BandLong {
			return nil, fmt.Errorf("channel %s: unknown band", c.Channel)
		}
		if len(c.Series.Time) != len(c.Series.Flux) {
			return nil, fmt.Errorf("channel %s: %d times but %d values", c.Channel, len(c.Series.Time), len(c.Series.Flux))
		}
		r := usecRange(c.Replace)
		if r.Empty() {
			continue
		}
		w := channelWrite{ch: c.Channel, replace: r}
		ts, fs := c.Series.Time, c.Series.Flux
		lo := sort.Search(len(ts), func(i int) bool { return ts[i] >= c.Replace.Start })
		hi := sort.Search(len(ts), func(i int) bool { return ts[i] >= c.Replace.End })
		if clean := cleanPoints(ts[lo:hi], fs[lo:hi]); clean {
			// Already as stored: share the caller's arrays (they are only read).
			w.time, w.flux = ts[lo:hi:hi], fs[lo:hi:hi]
			out = append(out, w)
			continue
		}
		if lo < hi {
			w.time = make([]int64, 0, hi-lo)
			w.flux = make([]float32, 0, hi-lo)
		}
		last := int64(math.MinInt64)
		for i := lo; i < hi; i++ {
			t := floorDiv(ts[i], usec) * usec
			if t < last {
				return nil, fmt.Errorf("channel %s: times not ascending at %s", c.Channel, time.Unix(0, ts[i]).UTC().Format(time.RFC3339Nano))
			}
			if t == last || math.IsNaN(float64(fs[i])) {
				continue
			}
			last = t
			w.time = append(w.time, t)
			w.flux = append(w.flux, fs[i])
		}
		out = append(out, w)
	}
	return out, nil
}

// cleanPoints reports whether the points need no change to be stored: whole
// microseconds, strictly ascending, no NaN.
func cleanPoints(ts []int64, fs []float32) bool {
	last := int64(math.MinInt64)
	for i, t := range ts {
		if t%usec != 0 || t <= last || fs[i] != fs[i] {
			return false
		}
		last = t
	}
	return true
}

// writeRaw replaces each channel's raw rows in its range by the new points. Channels
// without stored rows in their range are copied straight into the table. The others
// (re-imports, and the clean and combined borders every batch recomputes) are compared
// with the stored rows: only rows that changed are deleted and inserted, so an
// identical re-write touches no index entry.
func writeRaw(ctx context.Context, tx pgx.Tx, src flux.Source, chans []channelWrite, st *WriteStats, delta map[flux.Channel]int64) error {
	table := RawTable(src)
	var probe pgx.Batch
	for _, c := range chans {
		probe.Queue(`SELECT EXISTS (SELECT 1 FROM `+table+` WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3
			AND time >= $4 AND time < $5)`,
			c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, tsOf(c.replace.Start), tsOf(c.replace.End))
	}
	var fresh, merge []channelWrite
	if probe.Len() > 0 {
		res := tx.SendBatch(ctx, &probe)
		for _, c := range chans {
			var exists bool
			if err := res.QueryRow().Scan(&exists); err != nil {
				res.Close()
				return fmt.Errorf("probe %s rows of %s in %s: %w", table, c.ch, c.replace, err)
			}
			if exists {
				merge = append(merge, c)
			} else {
				fresh = append(fresh, c)
			}
		}
		if err := res.Close(); err != nil {
			return fmt.Errorf("probe %s rows: %w", table, err)
		}
	}
	for _, c := range chans {
		st.PerChannel[c.ch] = int64(len(c.time))
		st.Written += int64(len(c.time))
	}
	if len(fresh) > 0 {
		if err := copyRaw(ctx, tx, table, fresh); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		for _, c := range fresh {
			delta[c.ch] += int64(len(c.time))
		}
	}
	if len(merge) == 0 {
		return nil
	}
	// Merge: compare with the stored rows and write only the difference.
	var inserts []channelWrite
	for _, c := range merge {
		del, ins, full, err := diffStored(ctx, tx, table, c)
		if err != nil {
			return err
		}
		if full {
			tag, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3
				AND time >= $4 AND time < $5`, c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, tsOf(c.replace.Start), tsOf(c.replace.End))
			if err != nil {
				return fmt.Errorf("delete %s rows of %s in %s: %w", table, c.ch, c.replace, err)
			}
			st.Deleted += tag.RowsAffected()
			delta[c.ch] += int64(len(c.time)) - tag.RowsAffected()
			inserts = append(inserts, c)
			continue
		}
		if len(del) > 0 {
			tag, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3
				AND time = ANY($4::timestamptz[])`, c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, del)
			if err != nil {
				return fmt.Errorf("delete changed %s rows of %s in %s: %w", table, c.ch, c.replace, err)
			}
			st.Deleted += tag.RowsAffected()
			delta[c.ch] -= tag.RowsAffected()
		}
		for _, w := range ins {
			delta[c.ch] += int64(len(w.time))
		}
		inserts = append(inserts, ins...)
	}
	if len(inserts) > 0 {
		if err := copyRaw(ctx, tx, table, inserts); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	return nil
}

// writeRawBlocks packs the raw blocks of the written ranges: after writeRaw, the rows of
// each channel inside its range are exactly its points.
func writeRawBlocks(ctx context.Context, tx pgx.Tx, src flux.Source, chans []channelWrite) error {
	ws := make([]blockWrite, len(chans))
	for i, c := range chans {
		ws[i] = blockWrite{ch: c.ch, outer: c.replace, inner: c.replace, rows: levelRows{time: c.time, min: c.flux, max: c.flux}}
	}
	return writeBlocks(ctx, tx, src, RawTable(src), 0, ws)
}

// diffStored compares c's new points with its stored rows in c's range: del are the
// stored times to delete (gone or changed), ins the points to insert (new or changed), as
// runs of consecutive points of c sharing its arrays (the usual difference is one long
// run after a short stored border, so nothing is copied). When most stored rows change,
// full reports that replacing the whole range is cheaper.
func diffStored(ctx context.Context, tx pgx.Tx, table string, c channelWrite) (del []time.Time, ins []channelWrite, full bool, err error) {
	rows, err := tx.Query(ctx, `SELECT time, flux FROM `+table+` WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3
		AND time >= $4 AND time < $5 ORDER BY time`, c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, tsOf(c.replace.Start), tsOf(c.replace.End))
	if err != nil {
		return nil, nil, false, fmt.Errorf("read stored %s rows of %s: %w", table, c.ch, err)
	}
	defer rows.Close()
	var (
		t      time.Time
		v      float32
		i      int
		stored int
		runs   [][2]int // [lo, hi) of the points of c to insert
		lo     = -1     // start of the open run, or -1
	)
	// Every point of c, in order, is either inserted (opening or extending a run) or
	// kept as stored (closing the open run).
	keep := func(i int) {
		if lo >= 0 {
			runs = append(runs, [2]int{lo, i})
			lo = -1
		}
	}
	insert := func(i int) {
		if lo < 0 {
			lo = i
		}
	}
	for rows.Next() {
		if err := rows.Scan(&t, &v); err != nil {
			return nil, nil, false, fmt.Errorf("read stored %s rows of %s: %w", table, c.ch, err)
		}
		stored++
		ns := t.UnixNano()
		for i < len(c.time) && c.time[i] < ns {
			insert(i)
			i++
		}
		if i < len(c.time) && c.time[i] == ns {
			if c.flux[i] != v {
				del = append(del, t)
				insert(i)
			} else {
				keep(i)
			}
			i++
			continue
		}
		del = append(del, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("read stored %s rows of %s: %w", table, c.ch, err)
	}
	if i < len(c.time) {
		insert(i)
	}
	keep(len(c.time))
	return del, insertRuns(c, runs), len(del) > 10000 && 2*len(del) > stored, nil
}

// maxSharedRuns bounds the runs insertRuns hands out as views of the caller's arrays;
// past it (many scattered changes) the points are copied into one series instead.
const maxSharedRuns = 64

// insertRuns returns the points of c in runs as channel writes.
func insertRuns(c channelWrite, runs [][2]int) []channelWrite {
	if len(runs) == 0 {
		return nil
	}
	if len(runs) <= maxSharedRuns {
		out := make([]channelWrite, len(runs))
		for k, r := range runs {
			out[k] = channelWrite{ch: c.ch, replace: c.replace, time: c.time[r[0]:r[1]:r[1]], flux: c.flux[r[0]:r[1]:r[1]]}
		}
		return out
	}
	n := 0
	for _, r := range runs {
		n += r[1] - r[0]
	}
	w := channelWrite{ch: c.ch, replace: c.replace, time: make([]int64, 0, n), flux: make([]float32, 0, n)}
	for _, r := range runs {
		w.time = append(w.time, c.time[r[0]:r[1]]...)
		w.flux = append(w.flux, c.flux[r[0]:r[1]]...)
	}
	return []channelWrite{w}
}

// copyRaw streams the channels' points into table with a binary COPY, encoding the rows
// itself (no per-value boxing: the encoding is a few byte writes per row).
func copyRaw(ctx context.Context, tx pgx.Tx, table string, chans []channelWrite) error {
	_, err := tx.Conn().PgConn().CopyFrom(ctx, &rawCopy{chans: chans},
		`COPY `+pgx.Identifier{table}.Sanitize()+` (time, satellite, band, is_clean, flux) FROM STDIN (FORMAT binary)`)
	return err
}

// pgEpochMicros is 2000-01-01T00:00:00Z, PostgreSQL's timestamp origin, in Unix µs.
const pgEpochMicros = 946684800 * 1000000

// rawCopy is an io.Reader producing PostgreSQL's binary COPY format for the points of
// chans, in order.
type rawCopy struct {
	chans  []channelWrite
	ci, i  int
	header bool
	done   bool
	buf    []byte
	off    int
}

// Read fills p with the next part of the stream.
func (r *rawCopy) Read(p []byte) (int, error) {
	if r.off >= len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.fill()
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fill encodes the next rows (up to about 64 KiB) into buf.
func (r *rawCopy) fill() {
	b := r.buf[:0]
	r.off = 0
	if !r.header {
		b = appendCopyHeader(b)
		r.header = true
	}
	for len(b) < 64<<10 {
		for r.ci < len(r.chans) && r.i >= len(r.chans[r.ci].time) {
			r.ci++
			r.i = 0
		}
		if r.ci >= len(r.chans) {
			b = binary.BigEndian.AppendUint16(b, 0xffff) // trailer
			r.done = true
			break
		}
		c := &r.chans[r.ci]
		band := c.ch.Band.String()
		clean := byte(0)
		if c.ch.Clean {
			clean = 1
		}
		for ; r.i < len(c.time) && len(b) < 64<<10; r.i++ {
			b = binary.BigEndian.AppendUint16(b, 5)
			b = binary.BigEndian.AppendUint32(b, 8)
			b = binary.BigEndian.AppendUint64(b, uint64(c.time[r.i]/1000-pgEpochMicros))
			b = binary.BigEndian.AppendUint32(b, 2)
			b = binary.BigEndian.AppendUint16(b, uint16(c.ch.Satellite))
			b = binary.BigEndian.AppendUint32(b, uint32(len(band)))
			b = append(b, band...)
			b = binary.BigEndian.AppendUint32(b, 1)
			b = append(b, clean)
			b = binary.BigEndian.AppendUint32(b, 4)
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(c.flux[r.i]))
		}
	}
	r.buf = b
}

// tsOf converts Unix nanoseconds to a UTC time.
func tsOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// floorDiv and ceilDiv divide rounding towards -inf and +inf.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) == (b < 0)) {
		q++
	}
	return q
}

// touchedRange is the bucket range of one channel recomputed at one level.
type touchedRange struct {
	ch    flux.Channel
	level Level
	r     flux.Range
}

// bucketRow is one computed rollup row.
type bucketRow struct {
	ch       flux.Channel
	start    int64
	min, max float32
	count    int32
}

// writeRollups recomputes every bucket the channels' ranges touch, finest level first.
// Buckets lying wholly inside a channel's range hold exactly the points just written, so
// they are computed here from the series; the (at most two) partial buckets at the range's
// edges are recomputed in SQL from the level below, which holds the rows outside the range.
func writeRollups(ctx context.Context, tx pgx.Tx, src flux.Source, chans []channelWrite) ([]touchedRange, error) {
	origin := BucketOriginUnix * int64(time.Second)
	below := RawTable(src)
	var touched []touchedRange
	for li, lv := range Levels(src) {
		table := RollupTable(src, lv)
		size := int64(lv.Bucket)
		var (
			rows   []bucketRow
			edges  []touchedRange
			blocks = make([]blockWrite, 0, len(chans))
		)
		delSat, delBand, delClean := []int16{}, []string{}, []bool{}
		delFrom, delTo := []time.Time{}, []time.Time{}
		for _, c := range chans {
			outer := flux.Range{
				Start: origin + floorDiv(c.replace.Start-origin, size)*size,
				End:   origin + ceilDiv(c.replace.End-origin, size)*size,
			}
			inner := flux.Range{
				Start: origin + ceilDiv(c.replace.Start-origin, size)*size,
				End:   origin + floorDiv(c.replace.End-origin, size)*size,
			}
			touched = append(touched, touchedRange{c.ch, lv, outer})
			blocks = append(blocks, blockWrite{ch: c.ch, outer: outer, inner: inner})
			delSat = append(delSat, c.ch.Satellite)
			delBand = append(delBand, c.ch.Band.String())
			delClean = append(delClean, c.ch.Clean)
			delFrom = append(delFrom, tsOf(outer.Start))
			delTo = append(delTo, tsOf(outer.End))
			if inner.Empty() {
				edges = append(edges, touchedRange{c.ch, lv, outer})
				continue
			}
			if outer.Start < inner.Start {
				edges = append(edges, touchedRange{c.ch, lv, flux.Range{Start: outer.Start, End: inner.Start}})
			}
			if inner.End < outer.End {
				edges = append(edges, touchedRange{c.ch, lv, flux.Range{Start: inner.End, End: outer.End}})
			}
			first := len(rows)
			rows = appendBuckets(rows, c, inner, origin, size)
			blocks[len(blocks)-1].rows = bucketLevelRows(rows[first:])
		}
		if len(chans) > 0 {
			_, err := tx.Exec(ctx, `DELETE FROM `+table+` AS r USING unnest($1::smallint[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[])
				AS u(satellite, band, is_clean, t0, t1)
				WHERE r.satellite = u.satellite AND r.band = u.band::frequency_band AND r.is_clean = u.is_clean
				AND r.time >= u.t0 AND r.time < u.t1`, delSat, delBand, delClean, delFrom, delTo)
			if err != nil {
				return nil, fmt.Errorf("delete touched buckets of %s: %w", table, err)
			}
		}
		if len(rows) > 0 {
			_, err := tx.Conn().PgConn().CopyFrom(ctx, encodeBuckets(rows),
				`COPY `+pgx.Identifier{table}.Sanitize()+` (time, satellite, band, is_clean, flux_min, flux_max, count) FROM STDIN (FORMAT binary)`)
			if err != nil {
				return nil, fmt.Errorf("copy into %s: %w", table, err)
			}
		}
		if len(edges) > 0 {
			if err := recomputeEdges(ctx, tx, table, below, li == 0, lv, edges); err != nil {
				return nil, err
			}
		}
		if err := writeBlocks(ctx, tx, src, table, lv.Bucket, blocks); err != nil {
			return nil, err
		}
		below = table
	}
	return touched, nil
}

// bucketLevelRows returns rollup rows as levelRows.
func bucketLevelRows(rows []bucketRow) levelRows {
	out := levelRows{time: make([]int64, len(rows)), min: make([]float32, len(rows)), max: make([]float32, len(rows))}
	for i, r := range rows {
		out.time[i], out.min[i], out.max[i] = r.start, r.min, r.max
	}
	return out
}

// encodeBuckets encodes rollup rows in PostgreSQL's binary COPY format (they are about
// a tenth of the raw rows: small enough to encode at once).
func encodeBuckets(rows []bucketRow) *bytes.Reader {
	b := make([]byte, 0, 19+len(rows)*60+2)
	b = appendCopyHeader(b)
	for i := range rows {
		r := &rows[i]
		b = binary.BigEndian.AppendUint16(b, 7)
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(r.start/1000-pgEpochMicros))
		b = appendCopyChannel(b, r.ch)
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(r.min))
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(r.max))
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(r.count))
	}
	b = binary.BigEndian.AppendUint16(b, 0xffff)
	return bytes.NewReader(b)
}

// appendCopyHeader appends the header of PostgreSQL's binary COPY format: signature,
// flags and header extension length.
func appendCopyHeader(b []byte) []byte {
	b = append(b, "PGCOPY\n\xff\r\n\x00"...)
	b = binary.BigEndian.AppendUint32(b, 0)
	return binary.BigEndian.AppendUint32(b, 0)
}

// appendCopyChannel appends a channel's key as three binary COPY fields: satellite
// (smallint), band (the enum, as its label) and is_clean (boolean).
func appendCopyChannel(b []byte, ch flux.Channel) []byte {
	band := ch.Band.String()
	clean := byte(0)
	if ch.Clean {
		clean = 1
	}
	b = binary.BigEndian.AppendUint32(b, 2)
	b = binary.BigEndian.AppendUint16(b, uint16(ch.Satellite))
	b = binary.BigEndian.AppendUint32(b, uint32(len(band)))
	b = append(b, band...)
	b = binary.BigEndian.AppendUint32(b, 1)
	return append(b, clean)
}

// appendBuckets aggregates c's points inside inner (whole buckets of size) into rows.
func appendBuckets(rows []bucketRow, c channelWrite, inner flux.Range, origin, size int64) []bucketRow {
	ts := c.time
	lo := sort.Search(len(ts), func(i int) bool { return ts[i] >= inner.Start })
	hi := sort.Search(len(ts), func(i int) bool { return ts[i] >= inner.End })
	for i := lo; i < hi; {
		start := origin + floorDiv(ts[i]-origin, size)*size
		end := start + size
		r := bucketRow{ch: c.ch, start: start, min: c.flux[i], max: c.flux[i]}
		for ; i < hi && ts[i] < end; i++ {
			v := c.flux[i]
			r.min = min(r.min, v)
			r.max = max(r.max, v)
			r.count++
		}
		rows = append(rows, r)
	}
	return rows
}

// recomputeEdges recomputes the buckets of level lv in the given ranges from the table
// below (raw rows when fromRaw), in one statement.
func recomputeEdges(ctx context.Context, tx pgx.Tx, table, below string, fromRaw bool, lv Level, edges []touchedRange) error {
	sat, band, clean := make([]int16, len(edges)), make([]string, len(edges)), make([]bool, len(edges))
	from, to := make([]time.Time, len(edges)), make([]time.Time, len(edges))
	for i, e := range edges {
		sat[i], band[i], clean[i] = e.ch.Satellite, e.ch.Band.String(), e.ch.Clean
		from[i], to[i] = tsOf(e.r.Start), tsOf(e.r.End)
	}
	agg := `min(b.flux_min), max(b.flux_max), sum(b.count)::integer`
	if fromRaw {
		agg = `min(b.flux), max(b.flux), count(*)::integer`
	}
	q := `INSERT INTO ` + table + ` (time, satellite, band, is_clean, flux_min, flux_max, count)
		SELECT date_bin($6::interval, b.time, '2000-01-03 00:00:00+00'), b.satellite, b.band, b.is_clean, ` + agg + `
		FROM unnest($1::smallint[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[]) AS u(satellite, band, is_clean, t0, t1)
		JOIN ` + below + ` AS b ON b.satellite = u.satellite AND b.band = u.band::frequency_band AND b.is_clean = u.is_clean
			AND b.time >= u.t0 AND b.time < u.t1
		GROUP BY 1, 2, 3, 4`
	if _, err := tx.Exec(ctx, q, sat, band, clean, from, to, lv.Bucket); err != nil {
		return fmt.Errorf("recompute edge buckets of %s from %s: %w", table, below, err)
	}
	return nil
}

// updateExtents brings flux_extent up to date for the written channels: first and last
// come from the primary-key index, the row count changes by the rows written minus the
// rows deleted (a channel new to flux_extent is counted once: the points written plus
// the stored rows outside the written range).
func updateExtents(ctx context.Context, tx pgx.Tx, src flux.Source, chans []channelWrite, delta map[flux.Channel]int64) error {
	table := RawTable(src)
	for _, c := range chans {
		var first, last *time.Time
		err := tx.QueryRow(ctx, `SELECT min(time), max(time) FROM `+table+`
			WHERE satellite = $1 AND band = $2::text::frequency_band AND is_clean = $3`,
			c.ch.Satellite, c.ch.Band.String(), c.ch.Clean).Scan(&first, &last)
		if err != nil {
			return fmt.Errorf("read extent of %s %s: %w", src, c.ch, err)
		}
		if first == nil {
			if _, err := tx.Exec(ctx, `DELETE FROM flux_extent WHERE source = $1 AND satellite = $2 AND band = $3::text::frequency_band AND is_clean = $4`,
				src.String(), c.ch.Satellite, c.ch.Band.String(), c.ch.Clean); err != nil {
				return fmt.Errorf("delete extent of %s %s: %w", src, c.ch, err)
			}
			continue
		}
		tag, err := tx.Exec(ctx, `UPDATE flux_extent SET first = $5, last = $6, row_count = row_count + $7
			WHERE source = $1 AND satellite = $2 AND band = $3::text::frequency_band AND is_clean = $4`,
			src.String(), c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, *first, *last, delta[c.ch])
		if err != nil {
			return fmt.Errorf("update extent of %s %s: %w", src, c.ch, err)
		}
		if tag.RowsAffected() == 1 {
			continue
		}
		// Inside its range the channel now holds exactly the points just written; only
		// rows outside it (none on a first import) need counting, by index range scans.
		_, err = tx.Exec(ctx, `INSERT INTO flux_extent (source, satellite, band, is_clean, first, last, row_count)
			SELECT $1, $2, $3::text::frequency_band, $4, $5, $6, $7::bigint + count(*) FROM `+table+`
			WHERE satellite = $2 AND band = $3::text::frequency_band AND is_clean = $4 AND (time < $8 OR time >= $9)`,
			src.String(), c.ch.Satellite, c.ch.Band.String(), c.ch.Clean, *first, *last, int64(len(c.time)), tsOf(c.replace.Start), tsOf(c.replace.End))
		if err != nil {
			return fmt.Errorf("insert extent of %s %s: %w", src, c.ch, err)
		}
	}
	return nil
}

// recordFiles inserts one import_file row per file.
func recordFiles(ctx context.Context, tx pgx.Tx, src flux.Source, files []ImportedFile) error {
	if len(files) == 0 {
		return nil
	}
	var b pgx.Batch
	for _, f := range files {
		var day *time.Time
		if !f.Day.IsZero() {
			d := time.Date(f.Day.Year(), f.Day.Month(), f.Day.Day(), 0, 0, 0, 0, time.UTC)
			day = &d
		}
		b.Queue(`INSERT INTO import_file (source, product, satellite, day, name, url, size, etag, last_modified, sha256, rows)
			VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, $11)`,
			src.String(), f.Product, int16(f.Satellite), day, f.Name, f.URL, f.Size, f.ETag, f.LastModified, f.SHA256, f.Rows)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record imported files: %w", err)
	}
	return nil
}

// timescale reads whether the schema was set up on TimescaleDB.
func (db *DB) timescale(ctx context.Context) (bool, error) {
	var ts bool
	if err := db.pool.QueryRow(ctx, `SELECT timescale FROM heliotime_settings`).Scan(&ts); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("read heliotime_settings: %w", err)
	}
	return ts, nil
}

// CompressionAge is the age after which TimescaleDB chunks are compressed (reference
// policy: data streams have 30 days to catch up before their chunks are compressed).
const CompressionAge = 30 * 24 * time.Hour

// recompress compresses again, on TimescaleDB, the chunks of the batch's tables that the
// batch touched and that are older than CompressionAge: writes into a compressed chunk
// leave it partially compressed. Chunks younger than that are left to the compression
// policy.
func (db *DB) recompress(ctx context.Context, src flux.Source, touched []touchedRange) error {
	byTable := map[string]flux.Range{}
	raw := RawTable(src)
	for _, t := range touched {
		tb := RollupTable(src, t.level)
		byTable[tb] = byTable[tb].Union(t.r)
		byTable[raw] = byTable[raw].Union(t.r)
	}
	cutoff := time.Now().Add(-CompressionAge)
	for table, r := range byTable {
		rows, err := db.pool.Query(ctx, `SELECT format('%I.%I', chunk_schema, chunk_name)
			FROM timescaledb_information.chunks
			WHERE hypertable_name = $1 AND range_end <= $2 AND range_end > $3 AND range_start < $4
			ORDER BY range_start`, table, cutoff, tsOf(r.Start), tsOf(r.End))
		if err != nil {
			return fmt.Errorf("list touched chunks of %s: %w", table, err)
		}
		chunks, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("list touched chunks of %s: %w", table, err)
		}
		for _, c := range chunks {
			// compress_chunk recompresses a partially compressed chunk and is a no-op
			// on a fully compressed one.
			if _, err := db.pool.Exec(ctx, `SELECT compress_chunk($1::regclass, if_not_compressed => true)`, c); err != nil {
				return fmt.Errorf("recompress %s: %w", c, err)
			}
		}
	}
	return nil
}

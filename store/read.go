package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliotime/heliotime/flux"
)

// ReadRequest asks for one channel over [Start, End) cut into Points buckets.
type ReadRequest struct {
	Channel    flux.Channel
	Start, End time.Time
	// Points is the number of buckets the range is cut into (the original's resolution);
	// callers clamp it. Values below 1 are read as 1.
	Points int
	// Sources limits the read to these sources; empty means archive and live stitched.
	Sources []flux.Source
	// MinMax asks for the minimum of each bucket too.
	MinMax bool
	// Extents is the coverage to stitch with; nil reads it from flux_extent.
	Extents []Extent
}

// Point is one row of a read: a raw measurement, or a bucket (start time, min and max).
// For raw rows Min equals Max.
type Point struct {
	Time     time.Time
	Min, Max float32
}

// Section is the part of a read served by one source from one table.
type Section struct {
	Source     flux.Source
	Table      string
	Raw        bool          // rows of the raw table, not re-bucketed
	Interval   time.Duration // output bucket size (0 when Raw)
	Start, End time.Time     // [Start, End) on the table's time column
	Bucket     time.Duration // the level read: its bucket, 0 for the raw rows
}

// Interval returns (end - start) / points rounded to whole microseconds, half to even, as
// the original's timedelta division does. points below 1 count as 1.
func Interval(start, end time.Time, points int) time.Duration {
	if points < 1 {
		points = 1
	}
	span := end.UnixMicro() - start.UnixMicro() // µs: exact over years 1 to 9999
	n := int64(points)
	q, r := span/n, span%n
	if r < 0 {
		q, r = q-1, r+n
	}
	if 2*r > n || 2*r == n && q%2 != 0 {
		q++
	}
	return time.Duration(q) * time.Microsecond
}

// ChooseTable picks the table a source is read from for an output interval: the raw table,
// not re-bucketed, when the interval is at or below the source's raw cadence; otherwise the
// coarsest rollup whose bucket is at most the interval, or the raw table re-bucketed when
// no rollup is fine enough. It returns the table and whether rows are served raw.
func ChooseTable(src flux.Source, interval time.Duration) (table string, raw bool) {
	table, _, raw = chooseTable(src, interval)
	return table, raw
}

// chooseTable is ChooseTable, also returning the chosen level's bucket (0 for the raw
// table).
func chooseTable(src flux.Source, interval time.Duration) (table string, bucket time.Duration, raw bool) {
	table = RawTable(src)
	if interval <= src.RawCadence() {
		return table, 0, true
	}
	for _, l := range Levels(src) {
		if l.Bucket <= interval {
			table, bucket = RollupTable(src, l), l.Bucket
		}
	}
	return table, bucket, false
}

// BucketStart returns the start of the bucket of size w holding t on the grid anchored at
// BucketOrigin: origin + floor((t - origin) / w) * w, TimescaleDB's time_bucket and
// PostgreSQL's date_bin.
func BucketStart(t time.Time, w time.Duration) time.Time {
	wu := w.Microseconds()
	if wu <= 0 {
		return t
	}
	us := t.UnixMicro() - BucketOriginUnix*1_000_000
	q := us / wu
	if us%wu != 0 && us < 0 {
		q--
	}
	return time.UnixMicro(BucketOriginUnix*1_000_000 + q*wu).UTC()
}

// Plan splits a request into the sections that serve it, in time order. Archive serves the
// channel up to and including its last stored timestamp, live everything after. The seam
// lies on the output grid: with re-bucketing, the archive serves every bucket whose start
// is at or before its last timestamp and live starts at the next bucket boundary, so no
// bucket is emitted twice (live rows inside the archive's last bucket are not served);
// with raw rows live starts one microsecond after the archive's last row.
func Plan(req ReadRequest) []Section {
	points := max(req.Points, 1)
	interval := Interval(req.Start, req.End, points)
	if !req.Start.Before(req.End) || interval <= 0 {
		return nil
	}
	sources := req.Sources
	if len(sources) == 0 {
		sources = flux.Sources[:]
	}
	want := map[flux.Source]bool{}
	for _, s := range sources {
		want[s] = true
	}
	var archiveLast time.Time
	haveArchive := false
	for _, e := range req.Extents {
		if e.Source == flux.SourceArchive && e.Channel == req.Channel {
			archiveLast, haveArchive = e.Last, true
		}
	}
	section := func(src flux.Source, start, end time.Time) Section {
		table, bucket, raw := chooseTable(src, interval)
		s := Section{Source: src, Table: table, Raw: raw, Start: start, End: end, Bucket: bucket}
		if !raw {
			s.Interval = interval
		}
		return s
	}
	stitch := want[flux.SourceArchive] && want[flux.SourceLive]
	var out []Section
	start, end := req.Start, req.End
	if want[flux.SourceArchive] {
		if !stitch {
			return []Section{section(flux.SourceArchive, start, end)}
		}
		if haveArchive {
			a := section(flux.SourceArchive, start, end)
			seam := archiveLast.Add(time.Microsecond)
			if !a.Raw {
				seam = BucketStart(archiveLast, interval).Add(interval)
			}
			if seam.Before(end) {
				a.End = seam
			}
			if a.Start.Before(a.End) {
				out = append(out, a)
			}
			if seam.After(start) {
				start = seam
			}
		}
	}
	if want[flux.SourceLive] && start.Before(end) {
		out = append(out, section(flux.SourceLive, start, end))
	}
	return out
}

// ErrQueryTimeout reports that a read did not finish within its deadline.
var ErrQueryTimeout = errors.New("query took too long to execute")

// ReadFlux streams the points of a request to emit in time order, section by section,
// straight from the database rows (nothing is collected). The sections' queries are sent
// together, in one round trip, and their answers read in order. It returns the first error
// of the database or of emit; a read cut short by ctx's deadline returns an error wrapping
// ErrQueryTimeout.
func (db *DB) ReadFlux(ctx context.Context, req ReadRequest, emit func(Point) error) error {
	if req.Extents == nil && (len(req.Sources) == 0 || len(req.Sources) == 2) {
		ext, err := db.ChannelExtents(ctx, req.Channel)
		if err != nil {
			return err
		}
		req.Extents = ext
	}
	plan := Plan(req)
	if len(plan) == 0 {
		return nil
	}
	var batch pgx.Batch
	for _, s := range plan {
		batch.Queue(`SELECT start, data FROM `+BlockTable(s.Source)+`
			WHERE satellite = $1 AND band = $2::frequency_band AND is_clean = $3 AND bucket = $4 AND start >= $5 AND start < $6
			ORDER BY start`,
			req.Channel.Satellite, req.Channel.Band.String(), req.Channel.Clean, int32(s.Bucket/time.Second),
			BucketStart(s.Start, BlockSpan(s.Bucket)), s.End)
	}
	res := db.pool.SendBatch(ctx, &batch)
	for _, s := range plan {
		rows, err := res.Query()
		if err != nil {
			res.Close()
			return readError(s.what(req.Channel), ctx, err)
		}
		if err := readSection(ctx, req.Channel, rows, s, req.MinMax, emit); err != nil {
			res.Close()
			return err
		}
	}
	if err := res.Close(); err != nil {
		return readError("read "+req.Channel.String(), ctx, err)
	}
	return nil
}

// ChannelExtents returns the stored coverage of one channel in each source that has it.
func (db *DB) ChannelExtents(ctx context.Context, ch flux.Channel) ([]Extent, error) {
	rows, err := db.pool.Query(ctx, `SELECT source, first, last, row_count FROM flux_extent
		WHERE satellite = $1 AND band = $2::frequency_band AND is_clean = $3`,
		ch.Satellite, ch.Band.String(), ch.Clean)
	if err != nil {
		return nil, readError("read flux_extent of "+ch.String(), ctx, err)
	}
	defer rows.Close()
	var out []Extent
	for rows.Next() {
		e := Extent{Channel: ch}
		var src string
		if err := rows.Scan(&src, &e.First, &e.Last, &e.Rows); err != nil {
			return nil, readError("read flux_extent of "+ch.String(), ctx, err)
		}
		if e.Source, err = flux.ParseSource(src); err != nil {
			return nil, fmt.Errorf("read flux_extent of %s: %w", ch, err)
		}
		e.First, e.Last = e.First.UTC(), e.Last.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, readError("read flux_extent of "+ch.String(), ctx, err)
	}
	return out, nil
}

// what names the read of a section of ch, for errors.
func (s Section) what(ch flux.Channel) string {
	return fmt.Sprintf("read %s %s over %s", s.Table, ch, flux.RangeOf(s.Start, s.End))
}

// readSection streams one section from the blocks of its level (block.go), the answer of
// a query walking the block table's key (satellite, band, is_clean, bucket, start) over
// the blocks overlapping the section, in key order. The blocks' rows inside the section
// are re-bucketed here as they are unpacked (bucketer), a bucket emitted as soon as the
// first row of the next one arrives, so PostgreSQL neither groups nor sorts and the answer
// streams, one block (a few kilobytes) in memory at a time. It closes rows; its errors
// name the section (emit's are returned as they are).
func readSection(ctx context.Context, ch flux.Channel, rows pgx.Rows, s Section, minmax bool, emit func(Point) error) error {
	defer rows.Close()
	b := bucketer{interval: s.Interval.Microseconds(), minmax: minmax, emit: emit}
	if s.Raw {
		b.interval = 0
	}
	lo, hi := s.Start.UnixMicro(), s.End.UnixMicro()
	fds := rows.FieldDescriptions()
	binaryRows := len(fds) == 2 && fds[0].Format == pgx.BinaryFormatCode && fds[1].Format == pgx.BinaryFormatCode
	var (
		start time.Time
		data  []byte
	)
	for rows.Next() {
		// In PostgreSQL's binary format (pgx asks for it with prepared statements) the
		// block is used in place, without a copy.
		if v := rows.RawValues(); binaryRows && len(v) == 2 && len(v[0]) == 8 {
			start, data = time.UnixMicro(int64(binary.BigEndian.Uint64(v[0]))+pgEpochUnixMicro), v[1]
		} else if err := rows.Scan(&start, &data); err != nil {
			return readError(s.what(ch), ctx, err)
		}
		br, err := newBlockReader(data, start.UnixMicro(), s.Bucket)
		if err != nil {
			return fmt.Errorf("%s: %w", s.what(ch), err)
		}
		for r, ok := br.next(); ok; r, ok = br.next() {
			if r.us < lo || r.us >= hi {
				continue
			}
			if err := b.add(r); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return readError(s.what(ch), ctx, err)
	}
	return b.flush()
}

// pgEpochUnixMicro is PostgreSQL's timestamp epoch, 2000-01-01T00:00:00Z, in Unix
// microseconds: binary timestamptz values count microseconds from it.
const pgEpochUnixMicro = 946684800 * 1_000_000

// row is one row of a read: Unix microseconds and the minimum and maximum value.
type row struct {
	us       int64
	min, max float32
}

// bucketer re-buckets rows arriving in time order into buckets of interval microseconds
// on the BucketOrigin grid (date_bin's and time_bucket's, as BucketStart): each bucket
// starts at its grid boundary and holds the min of the minima and the max of the maxima,
// compared as PostgreSQL's min and max compare real values (NaN above every number).
// Without minmax a bucket's Min is its Max, as for a raw row. An interval of 0 emits
// every row as it is.
type bucketer struct {
	interval int64
	minmax   bool
	emit     func(Point) error
	cur      row
	have     bool
}

// add folds r into the current bucket, first emitting the current bucket when r starts
// a new one.
func (b *bucketer) add(r row) error {
	if b.interval <= 0 {
		return b.emit(Point{Time: time.UnixMicro(r.us).UTC(), Min: r.min, Max: r.max})
	}
	off := r.us - BucketOriginUnix*1_000_000
	q := off / b.interval
	if off%b.interval != 0 && off < 0 {
		q--
	}
	start := BucketOriginUnix*1_000_000 + q*b.interval
	if b.have && start == b.cur.us {
		if !realGreater(r.min, b.cur.min) {
			b.cur.min = r.min
		}
		if !realGreater(b.cur.max, r.max) {
			b.cur.max = r.max
		}
		return nil
	}
	if err := b.flush(); err != nil {
		return err
	}
	b.cur, b.have = row{us: start, min: r.min, max: r.max}, true
	return nil
}

// flush emits the current bucket, if any.
func (b *bucketer) flush() error {
	if !b.have {
		return nil
	}
	b.have = false
	p := Point{Time: time.UnixMicro(b.cur.us).UTC(), Min: b.cur.min, Max: b.cur.max}
	if !b.minmax {
		p.Min = p.Max
	}
	return b.emit(p)
}

// realGreater reports a > b in PostgreSQL's ordering of real values, where NaN is
// greater than every number and equal to itself. Like float4larger and float4smaller,
// the aggregation keeps the newer value on ties.
func realGreater(a, b float32) bool {
	if a != a {
		return b == b
	}
	return a > b
}

// readError wraps a database error; one caused by ctx's deadline or by the server's
// statement_timeout (SQLSTATE 57014 without a cancelled ctx) also wraps ErrQueryTimeout.
func readError(what string, ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	serverTimeout := errors.As(err, &pgErr) && pgErr.Code == "57014" && ctx.Err() == nil
	if serverTimeout || errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", what, ErrQueryTimeout, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

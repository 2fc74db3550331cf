package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/flux"
)

// Blocks are what the read path reads. Every level of a source, its raw rows (bucket 0)
// and each rollup level, is also stored packed in the source's block table: one row per
// channel, level and span of time, holding that span's rows back to back (big-endian):
//
//	raw rows:   int32 offset from the block's start in microseconds, float32 flux   (8 bytes)
//	rollup rows: int32 offset in seconds, float32 flux_min, float32 flux_max       (12 bytes)
//
// A raw block spans 960 s (960 rows at 1 s), a rollup block 640 buckets: at most 7,680
// bytes at the usual cadences, so a block stays in its heap page, uncompressed (the tables
// set toast_tuple_target to 8160 and the column's storage to MAIN). A 2000-point read then
// fetches a handful of rows of a few kilobytes instead of 2,000-3,600 rows one by one.
// Blocks start on the bucket grid (BucketOrigin). The write path keeps them equal to the
// level tables in the same transaction; migration 3 built them for stored data.
const (
	rawBlockSpan       = 960 * time.Second
	rollupBlockBuckets = 640
)

// BlockTable returns the name of src's block table.
func BlockTable(src flux.Source) string { return "flux_" + src.String() + "_block" }

// BlockSpan returns the time a block of the level with the given bucket spans (bucket 0:
// the raw rows).
func BlockSpan(bucket time.Duration) time.Duration {
	if bucket == 0 {
		return rawBlockSpan
	}
	return rollupBlockBuckets * bucket
}

// blockFormat returns the size of one packed row of a level and the unit of its offsets
// in nanoseconds.
func blockFormat(bucket time.Duration) (size int, unit int64) {
	if bucket == 0 {
		return 8, int64(time.Microsecond)
	}
	return 12, int64(time.Second)
}

// levelRows are rows of one level in time order: Unix nanoseconds, minima and maxima (for
// raw rows both slices are the flux).
type levelRows struct {
	time     []int64
	min, max []float32
}

// blockWrite is one channel's change to a level: its stored rows changed inside outer,
// and rows holds exactly the level's rows inside inner (a sub-range of outer).
type blockWrite struct {
	ch           flux.Channel
	outer, inner flux.Range
	rows         levelRows
}

// writeBlocks brings the blocks of one level up to date after its rows changed: every
// block overlapping a channel's outer range is deleted; those wholly inside its inner
// range are packed here from the rows, the others (at most two per channel, at the
// edges) are packed in SQL from the level's table, which holds the rows outside the range.
func writeBlocks(ctx context.Context, tx pgx.Tx, src flux.Source, levelTable string, bucket time.Duration, ws []blockWrite) error {
	if len(ws) == 0 {
		return nil
	}
	table := BlockTable(src)
	origin := BucketOriginUnix * int64(time.Second)
	span := int64(BlockSpan(bucket))
	size, unit := blockFormat(bucket)
	var (
		edges []touchedRange
		cp    = newBlockCopy()
	)
	delSat, delBand, delClean := make([]int16, len(ws)), make([]string, len(ws)), make([]bool, len(ws))
	delFrom, delTo := make([]time.Time, len(ws)), make([]time.Time, len(ws))
	for i, w := range ws {
		outer := flux.Range{
			Start: origin + floorDiv(w.outer.Start-origin, span)*span,
			End:   origin + ceilDiv(w.outer.End-origin, span)*span,
		}
		inner := flux.Range{
			Start: max(outer.Start, origin+ceilDiv(w.inner.Start-origin, span)*span),
			End:   min(outer.End, origin+floorDiv(w.inner.End-origin, span)*span),
		}
		delSat[i], delBand[i], delClean[i] = w.ch.Satellite, w.ch.Band.String(), w.ch.Clean
		delFrom[i], delTo[i] = tsOf(outer.Start), tsOf(outer.End)
		if inner.Start >= inner.End {
			edges = append(edges, touchedRange{ch: w.ch, r: outer})
			continue
		}
		if outer.Start < inner.Start {
			edges = append(edges, touchedRange{ch: w.ch, r: flux.Range{Start: outer.Start, End: inner.Start}})
		}
		if inner.End < outer.End {
			edges = append(edges, touchedRange{ch: w.ch, r: flux.Range{Start: inner.End, End: outer.End}})
		}
		ts := w.rows.time
		lo := sort.Search(len(ts), func(i int) bool { return ts[i] >= inner.Start })
		hi := sort.Search(len(ts), func(i int) bool { return ts[i] >= inner.End })
		for i := lo; i < hi; {
			start := origin + floorDiv(ts[i]-origin, span)*span
			data := cp.begin(w.ch, bucket, start)
			for ; i < hi && ts[i] < start+span; i++ {
				data = binary.BigEndian.AppendUint32(data, uint32(int32((ts[i]-start)/unit)))
				if size == 12 {
					data = binary.BigEndian.AppendUint32(data, math.Float32bits(w.rows.min[i]))
				}
				data = binary.BigEndian.AppendUint32(data, math.Float32bits(w.rows.max[i]))
			}
			cp.end(data)
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM `+table+` AS k USING unnest($1::smallint[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[])
		AS u(satellite, band, is_clean, t0, t1)
		WHERE k.satellite = u.satellite AND k.band = u.band::frequency_band AND k.is_clean = u.is_clean
		AND k.bucket = $6 AND k.start >= u.t0 AND k.start < u.t1`,
		delSat, delBand, delClean, delFrom, delTo, int32(bucket/time.Second))
	if err != nil {
		return fmt.Errorf("delete touched blocks of %s: %w", levelTable, err)
	}
	if cp.rows > 0 {
		_, err := tx.Conn().PgConn().CopyFrom(ctx, cp.reader(),
			`COPY `+pgx.Identifier{table}.Sanitize()+` (satellite, band, is_clean, bucket, start, data) FROM STDIN (FORMAT binary)`)
		if err != nil {
			return fmt.Errorf("copy blocks of %s: %w", levelTable, err)
		}
	}
	if len(edges) > 0 {
		if err := packEdges(ctx, tx, table, levelTable, bucket, edges); err != nil {
			return err
		}
	}
	return nil
}

// packEdges packs the blocks of a level in the given ranges (on the block grid) from the
// level's table, in one statement, in the format of writeBlocks.
func packEdges(ctx context.Context, tx pgx.Tx, table, levelTable string, bucket time.Duration, edges []touchedRange) error {
	sat, band, clean := make([]int16, len(edges)), make([]string, len(edges)), make([]bool, len(edges))
	from, to := make([]time.Time, len(edges)), make([]time.Time, len(edges))
	for i, e := range edges {
		sat[i], band[i], clean[i] = e.ch.Satellite, e.ch.Band.String(), e.ch.Clean
		from[i], to[i] = tsOf(e.r.Start), tsOf(e.r.End)
	}
	_, unit := blockFormat(bucket)
	values := `float4send(b.flux_min) || float4send(b.flux_max)`
	if bucket == 0 {
		values = `float4send(b.flux)`
	}
	q := `INSERT INTO ` + table + ` (satellite, band, is_clean, bucket, start, data)
		SELECT b.satellite, b.band, b.is_clean, $6, g.start,
			string_agg(int4send((extract(epoch FROM b.time - g.start) * $8)::integer) || ` + values + `, ''::bytea ORDER BY b.time)
		FROM unnest($1::smallint[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[]) AS u(satellite, band, is_clean, t0, t1)
		JOIN ` + levelTable + ` AS b ON b.satellite = u.satellite AND b.band = u.band::frequency_band AND b.is_clean = u.is_clean
			AND b.time >= u.t0 AND b.time < u.t1
		CROSS JOIN LATERAL (SELECT date_bin($7::interval, b.time, '2000-01-03 00:00:00+00') AS start) AS g
		GROUP BY 1, 2, 3, 5`
	_, err := tx.Exec(ctx, q, sat, band, clean, from, to, int32(bucket/time.Second), BlockSpan(bucket), int64(time.Second)/unit)
	if err != nil {
		return fmt.Errorf("pack edge blocks of %s: %w", levelTable, err)
	}
	return nil
}

// blockCopy encodes block rows in PostgreSQL's binary COPY format.
type blockCopy struct {
	buf  []byte
	rows int
	len  int // offset of the current block's data length
}

func newBlockCopy() *blockCopy {
	b := &blockCopy{buf: make([]byte, 0, 1<<16)}
	b.buf = appendCopyHeader(b.buf)
	return b
}

// begin starts a block row and returns the buffer to append its packed rows to.
func (b *blockCopy) begin(ch flux.Channel, bucket time.Duration, start int64) []byte {
	p := binary.BigEndian.AppendUint16(b.buf, 6)
	p = appendCopyChannel(p, ch)
	p = binary.BigEndian.AppendUint32(p, 4)
	p = binary.BigEndian.AppendUint32(p, uint32(int32(bucket/time.Second)))
	p = binary.BigEndian.AppendUint32(p, 8)
	p = binary.BigEndian.AppendUint64(p, uint64(start/1000-pgEpochMicros))
	b.len = len(p)
	return binary.BigEndian.AppendUint32(p, 0)
}

// end finishes the block row whose data ends buf.
func (b *blockCopy) end(buf []byte) {
	binary.BigEndian.PutUint32(buf[b.len:], uint32(len(buf)-b.len-4))
	b.buf = buf
	b.rows++
}

func (b *blockCopy) reader() *bytes.Reader {
	return bytes.NewReader(binary.BigEndian.AppendUint16(b.buf, 0xffff))
}

// blockReader decodes the packed rows of one block.
type blockReader struct {
	data  []byte
	start int64 // Unix microseconds
	size  int
	unit  int64 // microseconds
}

// newBlockReader checks a block's shape: data must hold whole rows of the level's size.
func newBlockReader(data []byte, startUs int64, bucket time.Duration) (blockReader, error) {
	size, unit := blockFormat(bucket)
	if len(data)%size != 0 {
		return blockReader{}, fmt.Errorf("block at %s holds %d bytes, not a whole number of %d-byte rows",
			time.UnixMicro(startUs).UTC().Format(time.RFC3339), len(data), size)
	}
	return blockReader{data: data, start: startUs, size: size, unit: unit / 1000}, nil
}

// next returns the next row, false at the end.
func (b *blockReader) next() (row, bool) {
	if len(b.data) < b.size {
		return row{}, false
	}
	d := b.data[:b.size]
	b.data = b.data[b.size:]
	r := row{us: b.start + int64(int32(binary.BigEndian.Uint32(d)))*b.unit}
	r.max = math.Float32frombits(binary.BigEndian.Uint32(d[b.size-4:]))
	r.min = r.max
	if b.size == 12 {
		r.min = math.Float32frombits(binary.BigEndian.Uint32(d[4:]))
	}
	return r, true
}

// RepackBlocks rebuilds every block of src from its level tables, for tables changed
// other than through WriteBatch (tests plant rows directly; a repair after editing rows by
// hand). It reads every level table whole, in one transaction; migration 3 packs a large
// store piece by piece instead.
func (db *DB) RepackBlocks(ctx context.Context, src flux.Source) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		table := BlockTable(src)
		if _, err := tx.Exec(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("repack %s: %w", table, err)
		}
		levels := []Level{{Name: "", Bucket: 0}}
		levels = append(levels, Levels(src)...)
		for _, lv := range levels {
			levelTable := RawTable(src)
			if lv.Bucket > 0 {
				levelTable = RollupTable(src, lv)
			}
			span := int64(BlockSpan(lv.Bucket))
			origin := BucketOriginUnix * int64(time.Second)
			rows, err := tx.Query(ctx, `SELECT satellite, band::text, is_clean, min(time), max(time) FROM `+levelTable+` GROUP BY 1, 2, 3`)
			if err != nil {
				return fmt.Errorf("repack %s: read %s: %w", table, levelTable, err)
			}
			var edges []touchedRange
			for rows.Next() {
				var (
					band        string
					first, last time.Time
					e           touchedRange
				)
				if err := rows.Scan(&e.ch.Satellite, &band, &e.ch.Clean, &first, &last); err != nil {
					rows.Close()
					return fmt.Errorf("repack %s: read %s: %w", table, levelTable, err)
				}
				if e.ch.Band, err = flux.ParseBand(band); err != nil {
					rows.Close()
					return fmt.Errorf("repack %s: read %s: %w", table, levelTable, err)
				}
				e.r = flux.Range{
					Start: origin + floorDiv(first.UnixNano()-origin, span)*span,
					End:   origin + (floorDiv(last.UnixNano()-origin, span)+1)*span,
				}
				edges = append(edges, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("repack %s: read %s: %w", table, levelTable, err)
			}
			if len(edges) > 0 {
				if err := packEdges(ctx, tx, table, levelTable, lv.Bucket, edges); err != nil {
					return fmt.Errorf("repack: %w", err)
				}
			}
		}
		return nil
	})
}

package store

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// TestBlockReader unpacks hand-packed blocks of both layouts, with offsets on both sides
// of the block start, and refuses data that is not a whole number of rows.
func TestBlockReader(t *testing.T) {
	start := int64(1_715_299_200_000_000) // Unix µs
	var raw, rollup []byte
	for _, off := range []int32{0, 1, 959_999_999, -5} {
		raw = binary.BigEndian.AppendUint32(raw, uint32(off))
		raw = binary.BigEndian.AppendUint32(raw, math.Float32bits(float32(off)))
		rollup = binary.BigEndian.AppendUint32(rollup, uint32(off))
		rollup = binary.BigEndian.AppendUint32(rollup, math.Float32bits(-float32(off)))
		rollup = binary.BigEndian.AppendUint32(rollup, math.Float32bits(float32(off)))
	}
	for _, c := range []struct {
		bucket time.Duration
		data   []byte
		unit   int64 // µs
		minNeg bool
	}{{0, raw, 1, false}, {10 * time.Second, rollup, 1_000_000, true}} {
		br, err := newBlockReader(c.data, start, c.bucket)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for r, ok := br.next(); ok; r, ok = br.next() {
			off := []int32{0, 1, 959_999_999, -5}[i]
			wantMin := float32(off)
			if c.minNeg {
				wantMin = -wantMin
			}
			if r.us != start+int64(off)*c.unit || r.max != float32(off) || r.min != wantMin {
				t.Errorf("bucket %v row %d = %+v", c.bucket, i, r)
			}
			i++
		}
		if i != 4 {
			t.Errorf("bucket %v: %d rows, want 4", c.bucket, i)
		}
		if _, err := newBlockReader(c.data[:len(c.data)-1], start, c.bucket); err == nil {
			t.Errorf("bucket %v: a truncated block was accepted", c.bucket)
		}
	}
}

// FuzzBlockReader feeds arbitrary bytes to the block reader: it must either refuse them
// or unpack exactly len/size rows, never panic.
func FuzzBlockReader(f *testing.F) {
	f.Add([]byte{}, int64(0), false)
	f.Add(make([]byte, 24), int64(-1), true)
	f.Add([]byte{0x80, 0, 0, 0, 0x7f, 0xc0, 0, 0}, int64(math.MaxInt64/2), false)
	f.Fuzz(func(t *testing.T, data []byte, start int64, rollup bool) {
		bucket := time.Duration(0)
		if rollup {
			bucket = time.Hour
		}
		br, err := newBlockReader(data, start, bucket)
		if err != nil {
			return
		}
		size, _ := blockFormat(bucket)
		n := 0
		for _, ok := br.next(); ok; _, ok = br.next() {
			n++
		}
		if n != len(data)/size {
			t.Fatalf("%d rows from %d bytes of %d-byte rows", n, len(data), size)
		}
	})
}

package netcdf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decodeSlice converts raw element bytes to the typed slice of t.
func decodeSlice(raw []byte, t Type, big bool) (any, error) {
	es := t.size()
	if es == 0 || !t.numeric() {
		return nil, fmt.Errorf("cannot decode type %s", t)
	}
	out := newSlice(t, len(raw)/es)
	decodeInto(out, 0, raw, big)
	return out, nil
}

// numeric reports whether t is a fixed-size number type.
func (t Type) numeric() bool {
	switch t {
	case TypeInt8, TypeUint8, TypeInt16, TypeUint16, TypeInt32, TypeUint32,
		TypeInt64, TypeUint64, TypeFloat32, TypeFloat64:
		return true
	}
	return false
}

// newSlice returns a zeroed typed slice of n values of the numeric type t.
func newSlice(t Type, n int) any {
	switch t {
	case TypeInt8:
		return make([]int8, n)
	case TypeUint8:
		return make([]uint8, n)
	case TypeInt16:
		return make([]int16, n)
	case TypeUint16:
		return make([]uint16, n)
	case TypeInt32:
		return make([]int32, n)
	case TypeUint32:
		return make([]uint32, n)
	case TypeInt64:
		return make([]int64, n)
	case TypeUint64:
		return make([]uint64, n)
	case TypeFloat32:
		return make([]float32, n)
	case TypeFloat64:
		return make([]float64, n)
	}
	return nil
}

// decodeInto converts the whole elements of raw (byte order big) into
// dst, a slice made by newSlice, from index off. Each byte order has its
// own loop so that every load is a single inlined instruction.
func decodeInto(dst any, off int, raw []byte, big bool) {
	switch d := dst.(type) {
	case []int8:
		d = d[off : off+len(raw)]
		for i, b := range raw {
			d[i] = int8(b)
		}
	case []uint8:
		copy(d[off:], raw)
	case []int16:
		decode16(d[off:off+len(raw)/2], raw, big)
	case []uint16:
		decode16(d[off:off+len(raw)/2], raw, big)
	case []int32:
		decode32(d[off:off+len(raw)/4], raw, big)
	case []uint32:
		decode32(d[off:off+len(raw)/4], raw, big)
	case []int64:
		decode64(d[off:off+len(raw)/8], raw, big)
	case []uint64:
		decode64(d[off:off+len(raw)/8], raw, big)
	case []float32:
		d = d[off : off+len(raw)/4]
		if big {
			for i := range d {
				d[i] = math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:]))
			}
		} else {
			for i := range d {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
	case []float64:
		d = d[off : off+len(raw)/8]
		if big {
			for i := range d {
				d[i] = math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:]))
			}
		} else {
			for i := range d {
				d[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
	}
}

func decode16[T int16 | uint16](d []T, raw []byte, big bool) {
	if big {
		for i := range d {
			d[i] = T(binary.BigEndian.Uint16(raw[2*i:]))
		}
		return
	}
	for i := range d {
		d[i] = T(binary.LittleEndian.Uint16(raw[2*i:]))
	}
}

func decode32[T int32 | uint32](d []T, raw []byte, big bool) {
	if big {
		for i := range d {
			d[i] = T(binary.BigEndian.Uint32(raw[4*i:]))
		}
		return
	}
	for i := range d {
		d[i] = T(binary.LittleEndian.Uint32(raw[4*i:]))
	}
}

func decode64[T int64 | uint64](d []T, raw []byte, big bool) {
	if big {
		for i := range d {
			d[i] = T(binary.BigEndian.Uint64(raw[8*i:]))
		}
		return
	}
	for i := range d {
		d[i] = T(binary.LittleEndian.Uint64(raw[8*i:]))
	}
}

// fillPattern fills dst with repetitions of elem.
func fillPattern(dst, elem []byte) {
	if len(elem) == 0 || len(dst) == 0 {
		return
	}
	zero := true
	for _, b := range elem {
		if b != 0 {
			zero = false
			break
		}
	}
	if zero {
		clear(dst)
		return
	}
	n := copy(dst, elem)
	for n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
}

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

// decodeShuffledInto converts elements [e0, e1) of a chunk stored as
// byte planes by the HDF5 shuffle filter (byte 0 of every element, then
// byte 1, …; byte order big) into dst, a slice made by newSlice, from
// index off: unshuffling and conversion in one pass. The element size is
// that of dst's type and divides len(planes).
func decodeShuffledInto(dst any, off int, planes []byte, e0, e1 int, big bool) {
	switch d := dst.(type) {
	case []int8, []uint8:
		decodeInto(dst, off, planes[e0:e1], big)
	case []int16:
		shuffled16(d[off:off+e1-e0], planes, e0, e1, big)
	case []uint16:
		shuffled16(d[off:off+e1-e0], planes, e0, e1, big)
	case []int32:
		shuffled32(d[off:off+e1-e0], planes, e0, e1, big)
	case []uint32:
		shuffled32(d[off:off+e1-e0], planes, e0, e1, big)
	case []float32:
		shuffled32f(d[off:off+e1-e0], planes, e0, e1, big)
	case []int64:
		shuffled64(d[off:off+e1-e0], planes, e0, e1, big)
	case []uint64:
		shuffled64(d[off:off+e1-e0], planes, e0, e1, big)
	case []float64:
		shuffled64f(d[off:off+e1-e0], planes, e0, e1, big)
	}
}

// plane returns elements [e0, e1) of byte plane j of es planes; with big,
// planes are numbered from the least significant byte.
func plane(src []byte, es, j, e0, e1 int, big bool) []byte {
	if big {
		j = es - 1 - j
	}
	n := len(src) / es
	return src[j*n+e0 : j*n+e1]
}

func shuffled16[T int16 | uint16](d []T, src []byte, e0, e1 int, big bool) {
	p0 := plane(src, 2, 0, e0, e1, big)
	p1 := plane(src, 2, 1, e0, e1, big)
	p1, d = p1[:len(p0)], d[:len(p0)]
	for i, b := range p0 {
		d[i] = T(uint16(b) | uint16(p1[i])<<8)
	}
}

// shuffled32 and shuffled64 compose the elements from their planes;
// float types have their own loops so that no conversion is a call.
func shuffled32[T int32 | uint32](d []T, src []byte, e0, e1 int, big bool) {
	p0, p1, p2, p3 := planes4(src, e0, e1, big)
	d = d[:len(p0)]
	for i, b := range p0 {
		d[i] = T(uint32(b) | uint32(p1[i])<<8 | uint32(p2[i])<<16 | uint32(p3[i])<<24)
	}
}

func shuffled32f(d []float32, src []byte, e0, e1 int, big bool) {
	p0, p1, p2, p3 := planes4(src, e0, e1, big)
	d = d[:len(p0)]
	for i, b := range p0 {
		d[i] = math.Float32frombits(uint32(b) | uint32(p1[i])<<8 | uint32(p2[i])<<16 | uint32(p3[i])<<24)
	}
}

func planes4(src []byte, e0, e1 int, big bool) (p0, p1, p2, p3 []byte) {
	p0 = plane(src, 4, 0, e0, e1, big)
	n := len(p0)
	return p0, plane(src, 4, 1, e0, e1, big)[:n], plane(src, 4, 2, e0, e1, big)[:n], plane(src, 4, 3, e0, e1, big)[:n]
}

func shuffled64[T int64 | uint64](d []T, src []byte, e0, e1 int, big bool) {
	p := planes8(src, e0, e1, big)
	d = d[:e1-e0]
	for i := range d {
		d[i] = T(uint64(p[0][i]) | uint64(p[1][i])<<8 | uint64(p[2][i])<<16 | uint64(p[3][i])<<24 |
			uint64(p[4][i])<<32 | uint64(p[5][i])<<40 | uint64(p[6][i])<<48 | uint64(p[7][i])<<56)
	}
}

func shuffled64f(d []float64, src []byte, e0, e1 int, big bool) {
	p := planes8(src, e0, e1, big)
	d = d[:e1-e0]
	for i := range d {
		d[i] = math.Float64frombits(uint64(p[0][i]) | uint64(p[1][i])<<8 | uint64(p[2][i])<<16 | uint64(p[3][i])<<24 |
			uint64(p[4][i])<<32 | uint64(p[5][i])<<40 | uint64(p[6][i])<<48 | uint64(p[7][i])<<56)
	}
}

func planes8(src []byte, e0, e1 int, big bool) (p [8][]byte) {
	for j := range p {
		p[j] = plane(src, 8, j, e0, e1, big)[:e1-e0]
	}
	return p
}

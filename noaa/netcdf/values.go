package netcdf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decodeSlice converts raw element bytes to the typed slice of t.
func decodeSlice(raw []byte, t Type, big bool) (any, error) {
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	es := t.size()
	if es == 0 {
		return nil, fmt.Errorf("type %s has no fixed size", t)
	}
	n := len(raw) / es
	switch t {
	case TypeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(raw[i])
		}
		return out, nil
	case TypeUint8:
		out := make([]uint8, n)
		copy(out, raw)
		return out, nil
	case TypeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(o.Uint16(raw[2*i:]))
		}
		return out, nil
	case TypeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = o.Uint16(raw[2*i:])
		}
		return out, nil
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(o.Uint32(raw[4*i:]))
		}
		return out, nil
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = o.Uint32(raw[4*i:])
		}
		return out, nil
	case TypeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(o.Uint64(raw[8*i:]))
		}
		return out, nil
	case TypeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = o.Uint64(raw[8*i:])
		}
		return out, nil
	case TypeFloat32:
		out := make([]float32, n)
		if big {
			for i := range out {
				out[i] = math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:]))
			}
		} else {
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		return out, nil
	case TypeFloat64:
		out := make([]float64, n)
		if big {
			for i := range out {
				out[i] = math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:]))
			}
		} else {
			for i := range out {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot decode type %s", t)
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

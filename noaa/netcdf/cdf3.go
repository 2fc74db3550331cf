package netcdf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// cdf3 is the state of a netCDF-3 (classic, 64-bit offset, CDF-5) file.
type cdf3 struct {
	src     *source
	numrecs int64
	recsize int64
}

// cdf3Var is the storage of one netCDF-3 variable.
type cdf3Var struct {
	begin  int64
	record bool
	rowLen int64 // bytes of one record (record vars) or one first-dim row
}

// netCDF-3 header tags and type codes.
const (
	tagDimension = 0x0A
	tagVariable  = 0x0B
	tagAttribute = 0x0C
)

var cdfTypes = map[uint32]Type{1: TypeInt8, 2: TypeChar, 3: TypeInt16, 4: TypeInt32, 5: TypeFloat32, 6: TypeFloat64,
	7: TypeUint8, 8: TypeUint16, 9: TypeUint32, 10: TypeInt64, 11: TypeUint64}

// hcur reads the header sequentially, fetching from the file on demand.
type hcur struct {
	src  *source
	buf  []byte
	pos  int64
	err  error
	wide bool // CDF-5: 64-bit counts
}

func (c *hcur) take(n int64) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || c.pos+n > c.src.size || c.pos+n < c.pos {
		c.err = fmt.Errorf("netCDF-3 header at 0x%x: %d bytes beyond end of file", c.pos, n)
		return nil
	}
	if c.pos+n > int64(len(c.buf)) {
		want := max(int64(len(c.buf))*2, c.pos+n, 4096)
		want = min(want, c.src.size)
		b := make([]byte, want)
		copy(b, c.buf)
		if err := c.src.readInto(b[len(c.buf):], uint64(len(c.buf)), "netCDF-3 header"); err != nil {
			c.err = err
			return nil
		}
		c.buf = b
	}
	v := c.buf[c.pos : c.pos+n]
	c.pos += n
	return v
}

func (c *hcur) u32() uint32 {
	b := c.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (c *hcur) u64() uint64 {
	b := c.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// count reads a NON_NEG count (64-bit in CDF-5) and checks it against the
// bytes left in the file at unit bytes per item.
func (c *hcur) count(unit int64, what string) int64 {
	var n uint64
	if c.wide {
		n = c.u64()
	} else {
		n = uint64(c.u32())
	}
	if c.err != nil {
		return 0
	}
	if unit < 1 {
		unit = 1
	}
	if n > uint64(c.src.size-c.pos)/uint64(unit) {
		c.err = fmt.Errorf("netCDF-3 header at 0x%x: %s count %d exceeds the file", c.pos, what, n)
		return 0
	}
	return int64(n)
}

func (c *hcur) name() string {
	n := c.count(1, "name length")
	b := c.take((n + 3) &^ 3)
	if b == nil {
		return ""
	}
	return string(b[:n])
}

func (f *File) openCDF3() error {
	c := &hcur{src: &f.src}
	magic := c.take(4)
	if c.err != nil {
		return c.err
	}
	switch magic[3] {
	case 1:
		f.kind = KindClassic
	case 2:
		f.kind = Kind64BitOffset
	case 5:
		f.kind = KindCDF5
		c.wide = true
	}
	f.feat.hit("netCDF-3 " + f.kind.String())
	cd := &cdf3{src: &f.src}
	f.cdf = cd
	var nr uint64
	if c.wide {
		nr = c.u64()
	} else {
		nr = uint64(c.u32())
	}
	streaming := !c.wide && nr == 0xFFFFFFFF || c.wide && nr == math.MaxUint64
	if !streaming && nr > uint64(f.src.size) {
		return fmt.Errorf("netCDF-3 header: %d records exceed the file", nr)
	}
	cd.numrecs = int64(nr)
	// dimensions
	type dimDef struct {
		name  string
		len   int64
		unlim bool
	}
	var dims []dimDef
	tag := c.u32()
	if tag == tagDimension {
		n := c.count(8, "dimension")
		for i := int64(0); i < n && c.err == nil; i++ {
			name := c.name()
			var l int64
			if c.wide {
				l = int64(c.u64())
			} else {
				l = int64(c.u32())
			}
			if l < 0 {
				return fmt.Errorf("netCDF-3 header: dimension %q has negative length", name)
			}
			dims = append(dims, dimDef{name, l, l == 0})
		}
	} else if tag != 0 || c.count(0, "absent list") != 0 {
		return fmt.Errorf("netCDF-3 header at 0x%x: expected dimension list, found tag 0x%x", c.pos, tag)
	}
	attrs, err := f.cdfAttrs(c)
	if err != nil {
		return err
	}
	f.attrs = attrs
	tag = c.u32()
	type rawVar struct {
		v     *Var
		dimID []int64
		begin int64
		tsize int
	}
	var raws []rawVar
	if tag == tagVariable {
		n := c.count(8, "variable")
		for i := int64(0); i < n && c.err == nil; i++ {
			name := c.name()
			nd := c.count(4, "variable rank")
			if nd > maxRank {
				return fmt.Errorf("netCDF-3 header: variable %q has rank %d", name, nd)
			}
			ids := make([]int64, nd)
			for k := range ids {
				if c.wide {
					ids[k] = int64(c.u64())
				} else {
					ids[k] = int64(c.u32())
				}
				if ids[k] < 0 || ids[k] >= int64(len(dims)) {
					return fmt.Errorf("netCDF-3 header: variable %q uses dimension id %d of %d", name, ids[k], len(dims))
				}
			}
			va, err := f.cdfAttrs(c)
			if err != nil {
				return fmt.Errorf("netCDF-3 variable %q: %w", name, err)
			}
			tc := c.u32()
			t, ok := cdfTypes[tc]
			if !ok && c.err == nil {
				return fmt.Errorf("netCDF-3 header: variable %q has unknown type %d", name, tc)
			}
			if c.wide {
				c.u64()
			} else {
				c.u32()
			}
			var begin int64
			if f.kind == KindClassic {
				begin = int64(c.u32())
			} else {
				begin = int64(c.u64())
			}
			v := &Var{Name: name, Type: t, Attrs: va, f: f}
			raws = append(raws, rawVar{v, ids, begin, t.size()})
		}
	} else if tag != 0 || c.count(0, "absent list") != 0 {
		return fmt.Errorf("netCDF-3 header at 0x%x: expected variable list, found tag 0x%x", c.pos, tag)
	}
	if c.err != nil {
		return c.err
	}
	// Record layout.
	var recVars int
	var recsize int64
	for _, r := range raws {
		if len(r.dimID) > 0 && dims[r.dimID[0]].unlim {
			recVars++
		}
	}
	for _, r := range raws {
		row := int64(r.tsize)
		for k, id := range r.dimID {
			if k == 0 && dims[id].unlim {
				continue
			}
			if k > 0 && dims[id].unlim {
				return fmt.Errorf("netCDF-3 variable %q: unlimited dimension %q is not first", r.v.Name, dims[id].name)
			}
			l := dims[id].len
			if l != 0 && row > math.MaxInt64/4/l {
				return fmt.Errorf("netCDF-3 variable %q: shape overflows", r.v.Name)
			}
			row *= l
		}
		rec := len(r.dimID) > 0 && dims[r.dimID[0]].unlim
		cv := &cdf3Var{begin: r.begin, record: rec}
		if rec {
			cv.rowLen = row
			if recVars > 1 {
				recsize += (row + 3) &^ 3
			} else {
				recsize += row
			}
		} else {
			if len(r.dimID) > 0 && dims[r.dimID[0]].len > 0 {
				cv.rowLen = row / dims[r.dimID[0]].len
			} else {
				cv.rowLen = row
			}
			if r.begin < 0 || r.begin > f.src.size || row > f.src.size-r.begin {
				return fmt.Errorf("netCDF-3 variable %q: data [0x%x, +%d) beyond end of file", r.v.Name, r.begin, row)
			}
		}
		r.v.cdf = cv
	}
	cd.recsize = recsize
	if streaming {
		first := int64(-1)
		for _, r := range raws {
			if r.v.cdf.record && (first < 0 || r.begin < first) {
				first = r.begin
			}
		}
		cd.numrecs = 0
		if first >= 0 && recsize > 0 && first <= f.src.size {
			cd.numrecs = (f.src.size - first) / recsize
		}
	}
	for _, d := range dims {
		l := d.len
		if d.unlim {
			l = cd.numrecs
		}
		f.dims = append(f.dims, Dim{Name: d.name, Len: l, Unlimited: d.unlim})
	}
	for _, r := range raws {
		r.v.Dims = make([]Dim, len(r.dimID))
		for k, id := range r.dimID {
			r.v.Dims[k] = f.dims[id]
		}
		f.vars = append(f.vars, r.v)
	}
	return nil
}

func (f *File) cdfAttrs(c *hcur) ([]Attr, error) {
	out := []Attr{}
	tag := c.u32()
	if tag == 0 {
		if c.count(0, "absent list") != 0 {
			return nil, fmt.Errorf("netCDF-3 header at 0x%x: bad absent attribute list", c.pos)
		}
		return out, c.err
	}
	if tag != tagAttribute {
		if c.err != nil {
			return nil, c.err
		}
		return nil, fmt.Errorf("netCDF-3 header at 0x%x: expected attribute list, found tag 0x%x", c.pos, tag)
	}
	n := c.count(12, "attribute")
	for i := int64(0); i < n && c.err == nil; i++ {
		name := c.name()
		tc := c.u32()
		t, ok := cdfTypes[tc]
		if !ok {
			if c.err != nil {
				break
			}
			return nil, fmt.Errorf("netCDF-3 attribute %q: unknown type %d", name, tc)
		}
		cnt := c.count(int64(t.size()), "attribute value")
		nb := cnt * int64(t.size())
		b := c.take((nb + 3) &^ 3)
		if c.err != nil {
			break
		}
		b = b[:nb]
		var v any
		if t == TypeChar {
			v = trimNUL(b)
		} else {
			var err error
			v, err = decodeSlice(b, t, true)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, Attr{Name: name, Value: v})
	}
	return out, c.err
}

// readVar returns the big-endian bytes of records [start, start+count).
func (c *cdf3) readVar(v *Var, start, count int64) ([]byte, error) {
	cv := v.cdf
	es := v.Type.size()
	shape := v.Shape()
	if len(shape) > 0 {
		shape[0] = count
	}
	n, err := shapeCount(shape)
	if err != nil {
		return nil, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	if err := v.checkOutput(n, es); err != nil {
		return nil, err
	}
	out := make([]byte, n*int64(es))
	what := fmt.Sprintf("variable %q data", v.Name)
	if !cv.record {
		off := cv.begin + start*cv.rowLen
		if len(shape) == 0 {
			off = cv.begin
		}
		if err := c.src.readInto(out, uint64(off), what); err != nil {
			return nil, err
		}
		return out, nil
	}
	row := cv.rowLen
	for r := int64(0); r < count; r++ {
		off := cv.begin + (start+r)*c.recsize
		if err := c.src.readInto(out[r*row:(r+1)*row], uint64(off), what); err != nil {
			return nil, fmt.Errorf("record %d: %w", start+r, err)
		}
	}
	return out, nil
}

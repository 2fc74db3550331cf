package netcdf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
)

// dataset is the HDF5 side of a netCDF-4 variable.
type dataset struct {
	addr   uint64
	path   string
	typ    *h5type
	space  *dataspace
	lay    *layout
	fill   []byte // one element in the dataset's byte order
	layErr error  // deferred: unsupported storage is reported on read

	once   sync.Once
	chunks []chunkRef
	cerr   error
}

// dimScaleNote starts the NAME of a netCDF dimension without a variable.
const dimScaleNote = "This is a netCDF dimension but not a netCDF variable"

// hiddenAttrs are netCDF-4 bookkeeping attributes that ncdump hides.
var hiddenAttrs = map[string]bool{
	"_Netcdf4Dimid": true, "_Netcdf4Coordinates": true, "DIMENSION_LIST": true, "REFERENCE_LIST": true,
	"_nc3_strict": true, "_NCProperties": true, "_IsNetcdf4": true, "_SuperblockVersion": true,
}

// ncObj is a dataset found while walking the groups.
type ncObj struct {
	group    string
	name     string
	obj      *object
	ds       *dataset
	isScale  bool
	dimOnly  bool
	dimID    int
	dim      *dimRef
	attrs    []h5attr
	dimList  []uint64 // DIMENSION_LIST targets
	coordIDs []int32
}

type dimRef struct {
	group string
	name  string
	len   int64
	unlim bool
	id    int
}

func (f *File) buildNC4(root rootRef) error {
	h := f.h5
	seen := map[uint64]bool{}
	var objs []*ncObj
	var walk func(addr uint64, path string, depth int, r *rootRef) error
	walk = func(addr uint64, path string, depth int, r *rootRef) error {
		if depth > maxGroupDepth {
			return fmt.Errorf("group %q: nested deeper than %d", path, maxGroupDepth)
		}
		o, err := h.loadObject(addr, r)
		if err != nil {
			return fmt.Errorf("group %q: %w", "/"+path, err)
		}
		gattrs := f.convertAttrs(o.attrs, false)
		if path == "" {
			f.attrs = gattrs
		} else {
			f.groups = append(f.groups, group{name: strings.TrimSuffix(path, "/"), attrs: gattrs})
		}
		for _, l := range o.links {
			if l.soft || l.addr == undefAddr {
				h.feat.hit("soft or external link (skipped)")
				continue
			}
			if seen[l.addr] {
				continue
			}
			seen[l.addr] = true
			child, err := h.loadObject(l.addr, nil)
			if err != nil {
				return fmt.Errorf("object %q: %w", path+l.name, err)
			}
			if child.group {
				if err := walk(l.addr, path+l.name+"/", depth+1, nil); err != nil {
					return err
				}
				continue
			}
			no, err := f.datasetOf(child, strings.TrimSuffix(path, "/"), l.name)
			if err != nil {
				return err
			}
			if no != nil {
				objs = append(objs, no)
			}
		}
		return nil
	}
	seen[root.addr] = true
	if err := walk(root.addr, "", 0, &root); err != nil {
		return err
	}
	return f.assembleNC4(objs)
}

// datasetOf interprets an object header as a dataset; it returns nil for
// objects that are not datasets (committed datatypes).
func (f *File) datasetOf(o *object, grp, name string) (*ncObj, error) {
	h := f.h5
	ds := &dataset{addr: o.addr, path: name}
	var layMsg, fillMsg, fillOld, filtMsg *h5msg
	for i := range o.msgs {
		m := &o.msgs[i]
		switch m.typ {
		case msgDatatype:
			if m.flags&0x02 != 0 {
				t, err := h.sharedType(m.data)
				if err != nil {
					return nil, fmt.Errorf("variable %q: datatype: %w", name, err)
				}
				ds.typ = t
				continue
			}
			t, err := h.parseType(h.dec(m.data), 0)
			if err != nil {
				return nil, fmt.Errorf("variable %q: datatype message at 0x%x: %w", name, m.at, err)
			}
			ds.typ = t
		case msgDataspace:
			s, err := h.parseSpace(m.data)
			if err != nil {
				return nil, fmt.Errorf("variable %q: dataspace message at 0x%x: %w", name, m.at, err)
			}
			ds.space = s
		case msgLayout:
			layMsg = m
		case msgFill:
			fillMsg = m
		case msgFillOld:
			fillOld = m
		case msgFilters:
			filtMsg = m
		case 7:
			ds.layErr = fmt.Errorf("variable %q: external data files are not supported", name)
		}
	}
	if ds.typ == nil || ds.space == nil || layMsg == nil {
		h.feat.hit("non-dataset object (skipped)")
		return nil, nil
	}
	lay, err := h.parseLayout(layMsg.data, len(ds.space.dims))
	if err != nil && ds.layErr == nil {
		ds.layErr = fmt.Errorf("variable %q: layout message at 0x%x: %w", name, layMsg.at, err)
	}
	if lay == nil {
		lay = &layout{class: -1}
	}
	ds.lay = lay
	if filtMsg != nil {
		fs, err := h.parseFilters(filtMsg.data)
		if err != nil {
			return nil, fmt.Errorf("variable %q: filter pipeline message at 0x%x: %w", name, filtMsg.at, err)
		}
		lay.filters = fs
	}
	for _, m := range []*h5msg{fillMsg, fillOld} {
		if m == nil {
			continue
		}
		if v, ok := h.parseFill(*m); ok && len(v) == int(ds.typ.size) {
			ds.fill = v
			break
		}
	}
	no := &ncObj{group: grp, name: name, obj: o, ds: ds, dimID: -1}
	for _, a := range o.attrs {
		switch a.name {
		case "CLASS":
			if v, err := h.attrValue(a); err == nil && v == "DIMENSION_SCALE" {
				no.isScale = true
			}
		case "_Netcdf4Dimid":
			if v, err := h.attrValue(a); err == nil {
				if s, ok := v.([]int32); ok && len(s) == 1 {
					no.dimID = int(s[0])
				}
			}
		case "_Netcdf4Coordinates":
			if v, err := h.attrValue(a); err == nil {
				if s, ok := v.([]int32); ok {
					no.coordIDs = s
				}
			}
		case "DIMENSION_LIST":
			refs, err := h.dimensionList(a)
			if err != nil {
				return nil, fmt.Errorf("variable %q: DIMENSION_LIST: %w", name, err)
			}
			no.dimList = refs
		}
	}
	for _, a := range o.attrs {
		if a.name == "NAME" && no.isScale {
			if v, err := h.attrValue(a); err == nil {
				if s, ok := v.(string); ok && strings.HasPrefix(s, dimScaleNote) {
					no.dimOnly = true
				}
			}
		}
	}
	no.attrs = o.attrs
	return no, nil
}

// sharedType reads a committed datatype referenced by a shared message.
func (h *h5file) sharedType(b []byte) (*h5type, error) {
	d := h.dec(b)
	ver := d.u8()
	typ := d.u8()
	if ver == 1 {
		d.skip(6)
	}
	if ver >= 3 && typ != 2 {
		return nil, fmt.Errorf("shared datatype in the shared message heap is not supported")
	}
	addr := d.addr()
	if d.bad {
		return nil, fmt.Errorf("shared message truncated")
	}
	msgs, err := h.objectHeader(addr)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.typ == msgDatatype && m.flags&0x02 == 0 {
			h.feat.hit("committed datatype")
			return h.parseType(h.dec(m.data), 0)
		}
	}
	return nil, fmt.Errorf("committed datatype at 0x%x has no datatype message", addr)
}

// dimensionList resolves DIMENSION_LIST to the object address of the first
// dimension scale of each dimension.
func (h *h5file) dimensionList(a h5attr) ([]uint64, error) {
	if a.typ.class != clVlen || a.typ.base == nil || a.typ.base.class != clRef {
		return nil, fmt.Errorf("unexpected %s datatype", className(a.typ.class))
	}
	n := int(a.space.count)
	d := h.dec(a.data)
	out := make([]uint64, n)
	for i := 0; i < n; i++ {
		ln := d.u32()
		addr := d.addr()
		idx := d.u32()
		if d.bad {
			return nil, fmt.Errorf("descriptor truncated")
		}
		out[i] = undefAddr
		if ln == 0 {
			continue
		}
		obj, err := h.globalHeapObject(addr, idx)
		if err != nil {
			return nil, err
		}
		if len(obj) < h.so {
			return nil, fmt.Errorf("reference of %d bytes", len(obj))
		}
		rd := h.dec(obj)
		out[i] = rd.addr()
	}
	return out, nil
}

func (f *File) convertAttrs(as []h5attr, scale bool) []Attr {
	out := []Attr{}
	for _, a := range as {
		if hiddenAttrs[a.name] || scale && (a.name == "CLASS" || a.name == "NAME") {
			continue
		}
		v, err := f.h5.attrValue(a)
		if err != nil {
			f.feat.hit("unsupported attribute (skipped)")
			continue
		}
		out = append(out, Attr{Name: a.name, Value: v})
	}
	return out
}

func qualify(group, name string) string {
	if group == "" {
		return name
	}
	return group + "/" + name
}

func (f *File) assembleNC4(objs []*ncObj) error {
	byAddr := map[uint64]*dimRef{}
	byID := map[int]*dimRef{}
	var dims []*dimRef
	for _, o := range objs {
		if !o.isScale || len(o.ds.space.dims) != 1 {
			if o.isScale && len(o.ds.space.dims) != 1 {
				o.isScale = false
			}
			continue
		}
		dr := &dimRef{group: o.group, name: o.name, len: int64(o.ds.space.dims[0]), id: o.dimID}
		if len(o.ds.space.max) == 1 && o.ds.space.max[0] == undefAddr {
			dr.unlim = true
		}
		o.dim = dr
		byAddr[o.ds.addr] = dr
		if o.dimID >= 0 {
			byID[o.dimID] = dr
		}
		dims = append(dims, dr)
	}
	phony := map[string]*dimRef{}
	type varDims struct {
		v    *Var
		refs []*dimRef
	}
	var pending []varDims
	for _, o := range objs {
		if o.dimOnly {
			continue
		}
		typ, err := o.ds.typ.ncType()
		if err != nil {
			f.feat.hit("variable of unsupported type (skipped)")
			continue
		}
		v := &Var{Name: qualify(o.group, o.name), Type: typ, f: f, h5: o.ds}
		if o.ds.typ.class == clString && o.ds.typ.size > 1 {
			v.strN = int(o.ds.typ.size)
		}
		rank := len(o.ds.space.dims)
		refs := make([]*dimRef, rank)
		for i := 0; i < rank; i++ {
			switch {
			case i < len(o.dimList) && byAddr[o.dimList[i]] != nil:
				refs[i] = byAddr[o.dimList[i]]
			case o.dim != nil && rank == 1:
				refs[i] = o.dim
			case len(o.coordIDs) == rank && byID[int(o.coordIDs[i])] != nil:
				refs[i] = byID[int(o.coordIDs[i])]
			}
			if refs[i] == nil {
				// Without a usable DIMENSION_LIST (plain HDF5 writers, or
				// references copied from another file), a scale of the same
				// group with the same length is the only candidate.
				var match *dimRef
				count := 0
				for _, d := range dims {
					if d.group == o.group && d.len == int64(o.ds.space.dims[i]) {
						match = d
						count++
					}
				}
				if count == 1 {
					refs[i] = match
					f.feat.hit("dimension matched by length")
				}
			}
			if refs[i] == nil {
				// A plain HDF5 dataset: invent a dimension per length, as
				// netCDF-C does for files without dimension scales.
				n := int64(o.ds.space.dims[i])
				unl := i < len(o.ds.space.max) && o.ds.space.max[i] == undefAddr
				key := fmt.Sprintf("%s\x00%d\x00%v", o.group, n, unl)
				dr := phony[key]
				if dr == nil {
					dr = &dimRef{group: o.group, name: fmt.Sprintf("phony_dim_%d", len(phony)), len: n, id: -1, unlim: unl}
					phony[key] = dr
					dims = append(dims, dr)
					f.feat.hit("phony dimension")
				}
				refs[i] = dr
			}
			if n := int64(o.ds.space.dims[i]); refs[i].unlim && n > refs[i].len {
				refs[i].len = n
			}
		}
		pending = append(pending, varDims{v, refs})
		v.Attrs = f.convertAttrs(o.attrs, o.isScale)
		o.ds.fill = fillFor(v, o.ds)
		f.vars = append(f.vars, v)
	}
	// Unlimited lengths are final only now.
	for _, p := range pending {
		p.v.Dims = make([]Dim, len(p.refs))
		for i, r := range p.refs {
			p.v.Dims[i] = Dim{Name: r.name, Len: r.len, Unlimited: r.unlim}
		}
	}
	// Root dimensions first, then by group, each in dimension-id order.
	sortByCreation(dims, func(d *dimRef) int {
		g := 0
		if d.group != "" {
			g = 1 << 20
		}
		id := d.id
		if id < 0 {
			id = 1<<19 + d.phonyRank()
		}
		return g + id
	})
	for _, d := range dims {
		f.dims = append(f.dims, Dim{Name: qualify(d.group, d.name), Len: d.len, Unlimited: d.unlim})
	}
	return nil
}

func (d *dimRef) phonyRank() int {
	var n int
	fmt.Sscanf(d.name, "phony_dim_%d", &n)
	return n
}

// fillFor returns one fill element for v in the dataset's byte order: the
// _FillValue attribute, else the HDF5 fill value, else the netCDF default.
func fillFor(v *Var, ds *dataset) []byte {
	es := int(ds.typ.size)
	if v.Type == TypeString || v.Type == TypeCompound || es == 0 {
		return nil
	}
	var order binary.ByteOrder = binary.LittleEndian
	if ds.typ.big {
		order = binary.BigEndian
	}
	if a, ok := v.Attr("_FillValue"); ok {
		if b := encodeFirst(a, v.Type, order); len(b) == es {
			return b
		}
	}
	if len(ds.fill) == es {
		return ds.fill
	}
	return encodeFirst(defaultFill(v.Type), v.Type, order)
}

// defaultFill is the netCDF default fill value of t.
func defaultFill(t Type) any {
	switch t {
	case TypeInt8:
		return []int8{-127}
	case TypeUint8:
		return []uint8{255}
	case TypeInt16:
		return []int16{-32767}
	case TypeUint16:
		return []uint16{65535}
	case TypeInt32:
		return []int32{-2147483647}
	case TypeUint32:
		return []uint32{4294967295}
	case TypeInt64:
		return []int64{-9223372036854775806}
	case TypeUint64:
		return []uint64{18446744073709551614}
	case TypeFloat32:
		return []float32{9.9692099683868690e+36}
	case TypeFloat64:
		return []float64{9.9692099683868690e+36}
	case TypeChar:
		return "\x00"
	}
	return nil
}

// encodeFirst encodes the first element of an attribute value as type t.
func encodeFirst(val any, t Type, order binary.ByteOrder) []byte {
	if t == TypeChar {
		if s, ok := val.(string); ok {
			if s == "" {
				return []byte{0}
			}
			return []byte{s[0]}
		}
		if s, ok := val.([]uint8); ok && len(s) > 0 {
			return s[:1]
		}
		if s, ok := val.([]int8); ok && len(s) > 0 {
			return []byte{byte(s[0])}
		}
		return nil
	}
	fs, err := toFloat64(val)
	if err != nil || len(fs) == 0 {
		return nil
	}
	x := fs[0]
	if is, err := toInt64(val); err == nil && len(is) > 0 {
		// Keep 64-bit integers exact.
		b := make([]byte, t.size())
		switch t {
		case TypeInt64, TypeUint64:
			order.PutUint64(b, uint64(is[0]))
			return b
		}
	}
	if u, ok := val.([]uint64); ok && len(u) > 0 && (t == TypeUint64 || t == TypeInt64) {
		b := make([]byte, 8)
		order.PutUint64(b, u[0])
		return b
	}
	b := make([]byte, t.size())
	switch t {
	case TypeInt8:
		b[0] = byte(int8(x))
	case TypeUint8:
		b[0] = byte(uint8(x))
	case TypeInt16:
		order.PutUint16(b, uint16(int16(x)))
	case TypeUint16:
		order.PutUint16(b, uint16(x))
	case TypeInt32:
		order.PutUint32(b, uint32(int32(x)))
	case TypeUint32:
		order.PutUint32(b, uint32(x))
	case TypeInt64:
		order.PutUint64(b, uint64(int64(x)))
	case TypeUint64:
		order.PutUint64(b, uint64(x))
	case TypeFloat32:
		if f32, ok := val.([]float32); ok {
			order.PutUint32(b, math.Float32bits(f32[0]))
		} else {
			order.PutUint32(b, math.Float32bits(float32(x)))
		}
	case TypeFloat64:
		order.PutUint64(b, math.Float64bits(x))
	default:
		return nil
	}
	return b
}

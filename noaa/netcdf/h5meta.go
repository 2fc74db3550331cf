package netcdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// Message types used here.
const (
	msgNil         = 0
	msgDataspace   = 1
	msgLinkInfo    = 2
	msgDatatype    = 3
	msgFillOld     = 4
	msgFill        = 5
	msgLink        = 6
	msgLayout      = 8
	msgGroupInfo   = 10
	msgFilters     = 11
	msgAttribute   = 12
	msgContinue    = 16
	msgSymbolTable = 17
	msgAttrInfo    = 21
)

// link is a named child of a group.
type link struct {
	name   string
	addr   uint64
	corder int
	soft   bool
}

// h5attr is a raw attribute before netCDF interpretation.
type h5attr struct {
	name   string
	typ    *h5type
	space  *dataspace
	data   []byte
	corder int
}

// object is a parsed object header, classified.
type object struct {
	addr  uint64
	msgs  []h5msg
	attrs []h5attr
	links []link
	group bool
}

// loadObject reads an object header with its attributes and (for groups)
// its links.
func (h *h5file) loadObject(addr uint64, r *rootRef) (*object, error) {
	msgs, err := h.objectHeader(addr)
	if err != nil {
		return nil, err
	}
	o := &object{addr: addr, msgs: msgs}
	for _, m := range msgs {
		if m.flags&0x02 != 0 && m.typ != msgDatatype {
			return nil, fmt.Errorf("object header at 0x%x: shared message type %d is not supported", addr, m.typ)
		}
		switch m.typ {
		case msgAttribute:
			a, err := h.parseAttr(m.data, m.flags)
			if err != nil {
				return nil, fmt.Errorf("attribute message at 0x%x: %w", m.at, err)
			}
			if a.corder < 0 {
				a.corder = m.corder
			}
			if a.corder < 0 {
				a.corder = len(o.attrs)
			}
			o.attrs = append(o.attrs, a)
			h.feat.hit("compact attribute")
		case msgAttrInfo:
			d := h.dec(m.data)
			d.u8()
			fl := d.u8()
			if fl&1 != 0 {
				d.u16()
			}
			heap := d.addr()
			name := d.addr()
			if d.bad {
				return nil, fmt.Errorf("attribute info message at 0x%x: truncated", m.at)
			}
			if heap != undefAddr && name != undefAddr {
				as, err := h.denseAttrs(heap, name)
				if err != nil {
					return nil, fmt.Errorf("dense attributes of object at 0x%x: %w", addr, err)
				}
				o.attrs = append(o.attrs, as...)
			}
		case msgSymbolTable:
			d := h.dec(m.data)
			bt, hp := d.addr(), d.addr()
			if d.bad {
				return nil, fmt.Errorf("symbol table message at 0x%x: truncated", m.at)
			}
			o.group = true
			ls, err := h.symbolTable(bt, hp)
			if err != nil {
				return nil, err
			}
			o.links = append(o.links, ls...)
		case msgLink:
			l, err := h.parseLink(m.data)
			if err != nil {
				return nil, fmt.Errorf("link message at 0x%x: %w", m.at, err)
			}
			o.group = true
			o.links = append(o.links, l)
			h.feat.hit("compact link")
		case msgLinkInfo:
			o.group = true
			d := h.dec(m.data)
			d.u8()
			fl := d.u8()
			if fl&1 != 0 {
				d.u64()
			}
			heap := d.addr()
			name := d.addr()
			if d.bad {
				return nil, fmt.Errorf("link info message at 0x%x: truncated", m.at)
			}
			if heap != undefAddr && name != undefAddr {
				ls, err := h.denseLinks(heap, name)
				if err != nil {
					return nil, fmt.Errorf("dense links of group at 0x%x: %w", addr, err)
				}
				o.links = append(o.links, ls...)
			}
		case msgGroupInfo:
			o.group = true
		}
	}
	if r != nil && r.btree != undefAddr && len(o.links) == 0 && !o.group {
		o.group = true
		ls, err := h.symbolTable(r.btree, r.lheap)
		if err != nil {
			return nil, err
		}
		o.links = ls
	}
	sortByCreation(o.attrs, func(a h5attr) int { return a.corder })
	// Links come in creation order when the group tracks it, else in name
	// order, as the netCDF library lists them.
	tracked := true
	for _, l := range o.links {
		if l.corder < 0 {
			tracked = false
		}
	}
	if tracked {
		sortByCreation(o.links, func(l link) int { return l.corder })
	} else {
		sort.SliceStable(o.links, func(i, j int) bool { return o.links[i].name < o.links[j].name })
	}
	return o, nil
}

func (h *h5file) denseAttrs(heapAddr, btree uint64) ([]h5attr, error) {
	fh, err := h.fractalHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	h.feat.hit("dense attributes")
	var out []h5attr
	err = h.btreeV2(btree, 8, func(r []byte) error {
		if len(r) < 17 {
			return fmt.Errorf("attribute name record of %d bytes", len(r))
		}
		id := r[:8]
		fl := r[8]
		co := int(binary.LittleEndian.Uint32(r[9:]))
		if fl&0x02 != 0 {
			return fmt.Errorf("shared attribute messages are not supported")
		}
		b, err := h.heapObject(fh, id)
		if err != nil {
			return err
		}
		a, err := h.parseAttr(b, fl)
		if err != nil {
			return fmt.Errorf("dense attribute: %w", err)
		}
		a.corder = co
		out = append(out, a)
		if len(out) > maxObjects {
			return fmt.Errorf("too many attributes")
		}
		return nil
	})
	return out, err
}

func (h *h5file) denseLinks(heapAddr, btree uint64) ([]link, error) {
	fh, err := h.fractalHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	h.feat.hit("dense links")
	var out []link
	err = h.btreeV2(btree, 5, func(r []byte) error {
		if len(r) < 5 {
			return fmt.Errorf("link name record of %d bytes", len(r))
		}
		b, err := h.heapObject(fh, r[4:])
		if err != nil {
			return err
		}
		l, err := h.parseLink(b)
		if err != nil {
			return fmt.Errorf("dense link: %w", err)
		}
		out = append(out, l)
		if len(out) > maxObjects {
			return fmt.Errorf("too many links")
		}
		return nil
	})
	return out, err
}

func (h *h5file) parseLink(b []byte) (link, error) {
	d := h.dec(b)
	if v := d.u8(); v != 1 {
		return link{}, fmt.Errorf("unsupported link message version %d", v)
	}
	fl := d.u8()
	l := link{corder: -1}
	ltype := uint8(0)
	if fl&0x08 != 0 {
		ltype = d.u8()
	}
	if fl&0x04 != 0 {
		co := d.u64()
		if co < math.MaxInt32 {
			l.corder = int(co)
		}
	}
	if fl&0x10 != 0 {
		d.u8()
	}
	n := int(d.uvar(1 << (fl & 3)))
	l.name = string(d.bytes(n))
	switch ltype {
	case 0:
		l.addr = d.addr()
	default:
		l.soft = true
	}
	if d.bad {
		return link{}, fmt.Errorf("link message truncated")
	}
	return l, nil
}

func (h *h5file) parseAttr(b []byte, flags uint8) (h5attr, error) {
	d := h.dec(b)
	ver := d.u8()
	fl := d.u8()
	nameLen := int(d.u16())
	typeLen := int(d.u16())
	spaceLen := int(d.u16())
	if ver == 3 {
		d.u8()
	}
	if ver < 1 || ver > 3 {
		return h5attr{}, fmt.Errorf("unsupported attribute message version %d", ver)
	}
	if fl&0x03 != 0 {
		return h5attr{}, fmt.Errorf("attributes with shared datatype or dataspace are not supported")
	}
	pad := func(n int) int {
		if ver == 1 {
			return (n + 7) &^ 7
		}
		return n
	}
	h.feat.hit(versioned("attribute message", int(ver)))
	nb := d.bytes(pad(nameLen))
	tb := d.bytes(pad(typeLen))
	sb := d.bytes(pad(spaceLen))
	if d.bad || nameLen > len(nb) || typeLen > len(tb) || spaceLen > len(sb) {
		return h5attr{}, fmt.Errorf("attribute message truncated")
	}
	a := h5attr{name: trimNUL(nb[:nameLen]), corder: -1}
	t, err := h.parseType(h.dec(tb[:typeLen]), 0)
	if err != nil {
		return h5attr{}, fmt.Errorf("attribute %q: %w", a.name, err)
	}
	s, err := h.parseSpace(sb[:spaceLen])
	if err != nil {
		return h5attr{}, fmt.Errorf("attribute %q: %w", a.name, err)
	}
	a.typ, a.space = t, s
	need := s.count * uint64(t.size)
	if t.size == 0 || need > uint64(d.left()) {
		return h5attr{}, fmt.Errorf("attribute %q: %d values of %d bytes overrun the message", a.name, s.count, t.size)
	}
	a.data = d.bytes(int(need))
	return a, nil
}

// attrValue converts an attribute to its netCDF Go value.
func (h *h5file) attrValue(a h5attr) (any, error) {
	t := a.typ
	n := int(a.space.count)
	switch t.class {
	case clString:
		sz := int(t.size)
		if sz == 1 || n <= 1 {
			// netCDF text: one fixed-size string (or chars).
			s := string(a.data)
			if t.pad == 2 {
				s = string(bytes.TrimRight(a.data, " "))
			}
			return trimNUL([]byte(s)), nil
		}
		out := make([]string, 0, n)
		for i := 0; i < n; i++ {
			out = append(out, trimNUL(a.data[i*sz:(i+1)*sz]))
		}
		return out, nil
	case clVlen:
		if !t.vlenStr {
			return nil, fmt.Errorf("variable-length sequence attributes are not supported")
		}
		out, err := h.vlenStrings(a.data, n)
		if err != nil {
			return nil, err
		}
		if n == 1 {
			return out[0], nil
		}
		return out, nil
	case clEnum:
		bt := *t.base
		return decodeSlice(a.data, mustType(bt.ncType()), bt.big)
	case clFixed, clFloat, clBitfield:
		nt, err := t.ncType()
		if err != nil {
			return nil, err
		}
		return decodeSlice(a.data, nt, t.big)
	}
	return nil, fmt.Errorf("%s attributes are not supported", className(t.class))
}

func mustType(t Type, err error) Type {
	if err != nil {
		return 0
	}
	return t
}

// vlenStrings reads n variable-length strings whose descriptors
// (length, heap address, object index) are in b.
func (h *h5file) vlenStrings(b []byte, n int) ([]string, error) {
	d := h.dec(b)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		ln := d.u32()
		addr := d.addr()
		idx := d.u32()
		if d.bad {
			return nil, fmt.Errorf("variable-length string descriptor truncated")
		}
		if ln == 0 || addr == undefAddr || addr == 0 {
			out = append(out, "")
			continue
		}
		obj, err := h.globalHeapObject(addr, idx)
		if err != nil {
			return nil, err
		}
		if uint64(ln) > uint64(len(obj)) {
			return nil, fmt.Errorf("global heap at 0x%x: string of %d bytes in object of %d", addr, ln, len(obj))
		}
		out = append(out, trimNUL(obj[:ln]))
	}
	return out, nil
}

// layout is a decoded data layout message with its filter pipeline.
type layout struct {
	class   int // 0 compact, 1 contiguous, 2 chunked
	version int
	addr    uint64
	size    uint64
	compact []byte
	chunk   []uint64 // chunk dims (dataset rank)
	index   int      // chunk index type: 0 = v1 B-tree, 1 single, 2 implicit, 3 fixed array, 4 extensible array, 5 v2 B-tree
	single  struct {
		size     uint64
		mask     uint32
		filtered bool
	}
	filters   []filter
	fill      []byte
	fillSet   bool
	elemSize  int
	indexInfo []byte
}

type filter struct {
	id     uint16
	name   string
	flags  uint16
	client []uint32
}

var filterNames = map[uint16]string{1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
	307: "bzip2", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp", 32015: "zstd", 32017: "sz"}

func filterName(id uint16) string {
	if n, ok := filterNames[id]; ok {
		return n
	}
	return "unknown"
}

func (h *h5file) parseLayout(b []byte, rank int) (*layout, error) {
	d := h.dec(b)
	l := &layout{version: int(d.u8())}
	switch l.version {
	case 1, 2:
		nd := int(d.u8())
		l.class = int(d.u8())
		d.skip(5)
		if l.class != 0 {
			l.addr = d.addr()
		}
		dims := make([]uint64, nd)
		for i := range dims {
			dims[i] = uint64(d.u32())
		}
		if l.class == 2 {
			l.elemSize = int(d.u32())
			l.chunk = dims
		}
		if l.class == 0 {
			n := int(d.u32())
			l.compact = d.bytes(n)
		}
		if l.class == 1 {
			l.size = math.MaxUint64
		}
	case 3, 4:
		l.class = int(d.u8())
		switch l.class {
		case 0:
			n := int(d.u16())
			l.compact = d.bytes(n)
		case 1:
			l.addr = d.addr()
			l.size = d.length()
		case 2:
			if l.version == 3 {
				nd := int(d.u8())
				l.addr = d.addr()
				if nd < 1 || nd > maxRank+1 {
					return nil, fmt.Errorf("chunked layout rank %d", nd)
				}
				for i := 0; i < nd; i++ {
					l.chunk = append(l.chunk, uint64(d.u32()))
				}
				l.index = 0
			} else {
				fl := d.u8()
				nd := int(d.u8())
				enc := int(d.u8())
				if nd < 1 || nd > maxRank+1 || enc < 1 || enc > 8 {
					return nil, fmt.Errorf("chunked layout rank %d, %d-byte dims", nd, enc)
				}
				for i := 0; i < nd; i++ {
					l.chunk = append(l.chunk, d.uvar(enc))
				}
				l.index = int(d.u8())
				switch l.index {
				case 1:
					if fl&2 != 0 {
						l.single.filtered = true
						l.single.size = d.length()
						l.single.mask = d.u32()
					}
				case 2:
				case 3:
					l.indexInfo = d.bytes(1)
				case 4:
					l.indexInfo = d.bytes(5)
				case 5:
					l.indexInfo = d.bytes(6)
				default:
					return nil, fmt.Errorf("unknown chunk index type %d", l.index)
				}
				l.addr = d.addr()
			}
			if len(l.chunk) == rank+1 {
				l.elemSize = int(l.chunk[rank])
				l.chunk = l.chunk[:rank]
			}
		case 3:
			return nil, fmt.Errorf("virtual dataset layout is not supported")
		default:
			return nil, fmt.Errorf("unknown layout class %d", l.class)
		}
	default:
		return nil, fmt.Errorf("unsupported layout message version %d", l.version)
	}
	if d.bad {
		return nil, fmt.Errorf("layout message truncated")
	}
	if l.class == 2 {
		if len(l.chunk) != rank {
			return nil, fmt.Errorf("chunk rank %d does not match dataspace rank %d", len(l.chunk), rank)
		}
		for _, c := range l.chunk {
			if c == 0 {
				return nil, fmt.Errorf("zero chunk dimension in %v", l.chunk)
			}
		}
	}
	names := [...]string{"compact", "contiguous", "chunked"}
	h.feat.hit(fmt.Sprintf("layout v%d %s", l.version, names[l.class]))
	if l.class == 2 && l.version == 4 {
		idx := [...]string{"", "single chunk", "implicit", "fixed array", "extensible array", "v2 B-tree"}
		h.feat.hit("chunk index " + idx[l.index])
	} else if l.class == 2 {
		h.feat.hit("chunk index v1 B-tree")
	}
	return l, nil
}

func (h *h5file) parseFilters(b []byte) ([]filter, error) {
	d := h.dec(b)
	ver := d.u8()
	n := int(d.u8())
	if ver == 1 {
		d.skip(6)
	} else if ver != 2 {
		return nil, fmt.Errorf("unsupported filter pipeline version %d", ver)
	}
	if n > 32 {
		return nil, fmt.Errorf("filter pipeline with %d filters", n)
	}
	var out []filter
	for i := 0; i < n; i++ {
		var f filter
		f.id = d.u16()
		nameLen := 0
		if ver == 1 || f.id >= 256 {
			nameLen = int(d.u16())
		}
		f.flags = d.u16()
		nv := int(d.u16())
		if nameLen > 0 {
			nl := nameLen
			if ver == 1 {
				nl = (nameLen + 7) &^ 7
			}
			f.name = trimNUL(d.bytes(nl))
		}
		if nv > 256 {
			return nil, fmt.Errorf("filter %d with %d parameters", f.id, nv)
		}
		for j := 0; j < nv; j++ {
			f.client = append(f.client, d.u32())
		}
		if ver == 1 && nv%2 == 1 {
			d.skip(4)
		}
		if d.bad {
			return nil, fmt.Errorf("filter pipeline truncated")
		}
		h.feat.hit("filter " + filterName(f.id))
		out = append(out, f)
	}
	return out, nil
}

// parseFill returns the fill value bytes of a fill value message (nil when
// undefined).
func (h *h5file) parseFill(m h5msg) ([]byte, bool) {
	d := h.dec(m.data)
	if m.typ == msgFillOld {
		n := int(d.u32())
		v := d.bytes(n)
		return v, !d.bad && n > 0
	}
	ver := d.u8()
	switch ver {
	case 1, 2:
		d.u8()
		d.u8()
		def := d.u8()
		if ver == 2 && def == 0 {
			return nil, false
		}
		n := int(d.u32())
		v := d.bytes(n)
		return v, !d.bad && n > 0
	case 3:
		fl := d.u8()
		if fl&0x20 == 0 {
			return nil, false
		}
		n := int(d.u32())
		v := d.bytes(n)
		return v, !d.bad && n > 0
	}
	return nil, false
}

package netcdf

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Limits that stop hostile files from looping or exploding.
const (
	maxHeaderBlocks = 4096 // continuation blocks per object header
	maxMessages     = 1 << 16
	maxGroupDepth   = 64
	maxObjects      = 1 << 16 // objects reachable from the root
	maxTreeDepth    = 32      // B-tree levels
	maxRank         = 32
	maxTypeDepth    = 16
)

// h5file holds the HDF5 state of an open netCDF-4 file.
type h5file struct {
	src  *source
	so   int
	sl   int
	base uint64
	feat *features

	mu      sync.Mutex
	gheaps  map[uint64][]byte
	objects int
	zpool   sync.Pool
}

// h5msg is one object-header message.
type h5msg struct {
	typ    int
	flags  uint8
	data   []byte
	corder int
	at     uint64 // file offset of the message data, for errors
}

func (h *h5file) dec(b []byte) *dec { return &dec{b: b, so: h.so, sl: h.sl, base: h.base} }

// openHDF5 reads the superblock and walks the group tree.
func (f *File) openHDF5() error {
	h := &h5file{src: &f.src, feat: f.feat, gheaps: map[uint64][]byte{}}
	f.h5 = h
	f.kind = KindNetCDF4
	// The superblock is at 0, 512, 1024, ... (a user block may precede it).
	sig := []byte("\x89HDF\r\n\x1a\n")
	var sbAt uint64
	found := false
	for off := uint64(0); off < uint64(f.src.size) && off <= 1<<30; off = max(512, off*2) {
		b, err := f.src.read(off, 8, "superblock")
		if err != nil {
			break
		}
		if bytes.Equal(b, sig) {
			sbAt, found = off, true
			break
		}
	}
	if !found {
		return fmt.Errorf("not a netCDF file: no CDF or HDF5 signature")
	}
	root, err := h.superblock(sbAt)
	if err != nil {
		return err
	}
	return f.buildNC4(root)
}

// rootRef is where the root group lives: its object header and, for
// superblock v0/v1 with a cached symbol table, the B-tree and heap.
type rootRef struct {
	addr         uint64
	btree, lheap uint64
}

func (h *h5file) superblock(at uint64) (rootRef, error) {
	n := uint64(128)
	if at+n > uint64(h.src.size) {
		n = uint64(h.src.size) - at
	}
	b, err := h.src.read(at, n, "superblock")
	if err != nil {
		return rootRef{}, err
	}
	if len(b) < 12 {
		return rootRef{}, fmt.Errorf("superblock at 0x%x: truncated", at)
	}
	ver := b[8]
	h.feat.hit(fmt.Sprintf("superblock v%d", ver))
	switch ver {
	case 0, 1:
		d := &dec{b: b, p: 9}
		d.skip(3) // free-space, root symtab, reserved
		d.skip(1) // shared header version
		h.so, h.sl = int(d.u8()), int(d.u8())
		if !validSize(h.so) || !validSize(h.sl) {
			return rootRef{}, fmt.Errorf("superblock at 0x%x: bad offset/length sizes %d/%d", at, h.so, h.sl)
		}
		d.so, d.sl = h.so, h.sl
		d.skip(1)
		d.skip(4) // group K values
		d.skip(4) // consistency flags
		if ver == 1 {
			d.skip(4)
		}
		base := d.uvar(h.so)
		d.skip(h.so) // free space info
		d.skip(h.so) // EOF
		d.skip(h.so) // driver info
		h.base = base
		d.base = base
		// root symbol table entry
		d.skip(h.so) // link name offset
		r := rootRef{addr: d.addr()}
		cache := d.u32()
		d.skip(4)
		if cache == 1 {
			r.btree = d.addr()
			r.lheap = d.addr()
		} else {
			r.btree, r.lheap = undefAddr, undefAddr
		}
		if d.bad {
			return rootRef{}, fmt.Errorf("superblock at 0x%x: truncated", at)
		}
		return r, nil
	case 2, 3:
		h.so, h.sl = int(b[9]), int(b[10])
		if !validSize(h.so) || !validSize(h.sl) {
			return rootRef{}, fmt.Errorf("superblock at 0x%x: bad offset/length sizes %d/%d", at, h.so, h.sl)
		}
		total := 12 + 4*h.so + 4
		if len(b) < total {
			return rootRef{}, fmt.Errorf("superblock at 0x%x: truncated", at)
		}
		if err := checkSum(b[:total], "superblock", at); err != nil {
			return rootRef{}, err
		}
		d := &dec{b: b[:total], p: 12, so: h.so, sl: h.sl}
		h.base = d.uvar(h.so)
		d.base = h.base
		ext := d.addr()
		if ext != undefAddr {
			h.feat.hit("superblock extension")
		}
		d.skip(h.so) // EOF
		return rootRef{addr: d.addr(), btree: undefAddr, lheap: undefAddr}, nil
	}
	return rootRef{}, fmt.Errorf("superblock at 0x%x: unsupported version %d", at, ver)
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }

// objectHeader reads every message of the object header at addr,
// following continuation blocks.
func (h *h5file) objectHeader(addr uint64) ([]h5msg, error) {
	h.mu.Lock()
	h.objects++
	n := h.objects
	h.mu.Unlock()
	if n > maxObjects {
		return nil, fmt.Errorf("object header at 0x%x: more than %d object headers read", addr, maxObjects)
	}
	pre, err := h.src.read(addr, min(uint64(16), uint64(h.src.size)-min(addr, uint64(h.src.size))), "object header")
	if err != nil {
		return nil, err
	}
	if len(pre) >= 4 && string(pre[:4]) == "OHDR" {
		return h.objectHeaderV2(addr)
	}
	if len(pre) < 16 || pre[0] != 1 {
		v := -1
		if len(pre) > 0 {
			v = int(pre[0])
		}
		return nil, fmt.Errorf("object header at 0x%x: bad signature or version %d", addr, v)
	}
	h.feat.hit("object header v1")
	d := &dec{b: pre}
	d.skip(2)
	nmsgs := int(d.u16())
	d.skip(4)
	size := uint64(d.u32())
	type block struct{ at, n uint64 }
	queue := []block{{addr + 16, size}}
	seen := map[uint64]bool{}
	var msgs []h5msg
	for bi := 0; bi < len(queue); bi++ {
		if bi > maxHeaderBlocks {
			return nil, fmt.Errorf("object header at 0x%x: too many continuation blocks", addr)
		}
		blk := queue[bi]
		if seen[blk.at] {
			return nil, fmt.Errorf("object header at 0x%x: continuation cycle at 0x%x", addr, blk.at)
		}
		seen[blk.at] = true
		b, err := h.src.read(blk.at, blk.n, "object header continuation")
		if err != nil {
			return nil, fmt.Errorf("object header at 0x%x: %w", addr, err)
		}
		if bi > 0 {
			h.feat.hit("object header v1 continuation")
		}
		for p := 0; p+8 <= len(b) && len(msgs) < nmsgs; {
			md := &dec{b: b, p: p}
			typ := int(md.u16())
			sz := int(md.u16())
			fl := md.u8()
			if p+8+sz > len(b) {
				return nil, fmt.Errorf("object header at 0x%x: message type %d at 0x%x overruns block", addr, typ, blk.at+uint64(p))
			}
			m := h5msg{typ: typ, flags: fl, data: b[p+8 : p+8+sz], corder: -1, at: blk.at + uint64(p) + 8}
			msgs = append(msgs, m)
			if len(msgs) > maxMessages {
				return nil, fmt.Errorf("object header at 0x%x: too many messages", addr)
			}
			if typ == 0x10 {
				cd := h.dec(m.data)
				c := block{cd.addr(), cd.length()}
				if cd.bad {
					return nil, fmt.Errorf("object header at 0x%x: bad continuation message", addr)
				}
				queue = append(queue, c)
			}
			p += 8 + sz
			p = (p + 7) &^ 7
		}
	}
	return msgs, nil
}

func (h *h5file) objectHeaderV2(addr uint64) ([]h5msg, error) {
	h.feat.hit("object header v2")
	pre, err := h.src.read(addr, min(uint64(40), uint64(h.src.size)-addr), "object header")
	if err != nil {
		return nil, err
	}
	d := &dec{b: pre, p: 4}
	if v := d.u8(); v != 2 {
		return nil, fmt.Errorf("object header at 0x%x: unsupported version %d", addr, v)
	}
	flags := d.u8()
	if flags&0x20 != 0 {
		d.skip(16)
	}
	if flags&0x10 != 0 {
		d.skip(4)
	}
	chunk0 := d.uvar(1 << (flags & 3))
	if d.bad {
		return nil, fmt.Errorf("object header at 0x%x: truncated prefix", addr)
	}
	preLen := uint64(d.p)
	b, err := h.src.read(addr, preLen+chunk0+4, "object header")
	if err != nil {
		return nil, err
	}
	if err := checkSum(b, "object header", addr); err != nil {
		return nil, err
	}
	tracked := flags&0x04 != 0
	var msgs []h5msg
	type block struct{ at, n uint64 }
	var queue []block
	parse := func(b []byte, at uint64, start int) error {
		end := len(b) - 4
		hdr := 4
		if tracked {
			hdr = 6
		}
		for p := start; p+hdr <= end; {
			md := &dec{b: b, p: p}
			typ := int(md.u8())
			sz := int(md.u16())
			fl := md.u8()
			co := -1
			if tracked {
				co = int(md.u16())
			}
			if p+hdr+sz > end {
				return fmt.Errorf("object header at 0x%x: message type %d at 0x%x overruns block", addr, typ, at+uint64(p))
			}
			m := h5msg{typ: typ, flags: fl, data: b[p+hdr : p+hdr+sz], corder: co, at: at + uint64(p+hdr)}
			msgs = append(msgs, m)
			if len(msgs) > maxMessages {
				return fmt.Errorf("object header at 0x%x: too many messages", addr)
			}
			if typ == 0x10 {
				cd := h.dec(m.data)
				c := block{cd.addr(), cd.length()}
				if cd.bad {
					return fmt.Errorf("object header at 0x%x: bad continuation message", addr)
				}
				queue = append(queue, c)
			}
			p += hdr + sz
		}
		return nil
	}
	if err := parse(b, addr, int(preLen)); err != nil {
		return nil, err
	}
	seen := map[uint64]bool{addr: true}
	for bi := 0; bi < len(queue); bi++ {
		if bi > maxHeaderBlocks {
			return nil, fmt.Errorf("object header at 0x%x: too many continuation blocks", addr)
		}
		blk := queue[bi]
		if seen[blk.at] {
			return nil, fmt.Errorf("object header at 0x%x: continuation cycle at 0x%x", addr, blk.at)
		}
		seen[blk.at] = true
		cb, err := h.src.read(blk.at, blk.n, "object header continuation block")
		if err != nil {
			return nil, fmt.Errorf("object header at 0x%x: %w", addr, err)
		}
		if len(cb) < 8 || string(cb[:4]) != "OCHK" {
			return nil, fmt.Errorf("object header continuation block at 0x%x: bad signature", blk.at)
		}
		if err := checkSum(cb, "object header continuation block", blk.at); err != nil {
			return nil, err
		}
		h.feat.hit("OCHK continuation")
		if err := parse(cb, blk.at, 4); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// h5type is a decoded HDF5 datatype.
type h5type struct {
	class   int
	size    uint32
	big     bool
	signed  bool
	pad     int // string padding: 0 nullterm, 1 nullpad, 2 spacepad
	vlenStr bool
	base    *h5type
	members []h5member
	dims    []uint32
}

type h5member struct {
	name   string
	offset uint32
	typ    *h5type
}

// HDF5 datatype classes.
const (
	clFixed    = 0
	clFloat    = 1
	clTime     = 2
	clString   = 3
	clBitfield = 4
	clOpaque   = 5
	clCompound = 6
	clRef      = 7
	clEnum     = 8
	clVlen     = 9
	clArray    = 10
)

var classNames = [...]string{"fixed-point", "floating-point", "time", "string", "bitfield", "opaque", "compound", "reference", "enum", "variable-length", "array"}

func className(c int) string {
	if c >= 0 && c < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class %d", c)
}

func (h *h5file) parseType(d *dec, depth int) (*h5type, error) {
	if depth > maxTypeDepth {
		return nil, fmt.Errorf("datatype nested too deeply")
	}
	cv := d.u8()
	b0, b1, b2 := d.u8(), d.u8(), d.u8()
	t := &h5type{class: int(cv & 0x0f), size: d.u32()}
	ver := int(cv >> 4)
	bitsf := uint32(b0) | uint32(b1)<<8 | uint32(b2)<<16
	if d.bad {
		return nil, fmt.Errorf("datatype truncated")
	}
	h.feat.hit("datatype " + className(t.class))
	switch t.class {
	case clFixed, clBitfield:
		t.big = b0&1 != 0
		t.signed = t.class == clFixed && b0&8 != 0
		d.skip(4)
	case clFloat:
		if b0&0x40 != 0 {
			return nil, fmt.Errorf("VAX floating-point byte order is not supported")
		}
		t.big = b0&1 != 0
		d.skip(12)
	case clTime:
		d.skip(2)
	case clString:
		t.pad = int(b0 & 0x0f)
	case clOpaque:
		n := int(b0)
		d.skip(n)
	case clCompound:
		n := int(bitsf & 0xffff)
		for i := 0; i < n; i++ {
			var m h5member
			nb := d.rest()
			z := bytes.IndexByte(nb, 0)
			if z < 0 {
				return nil, fmt.Errorf("compound member name unterminated")
			}
			m.name = string(nb[:z])
			if ver < 3 {
				d.skip(((z + 8) / 8) * 8)
			} else {
				d.skip(z + 1)
			}
			switch ver {
			case 1:
				m.offset = d.u32()
				d.skip(1 + 3 + 4 + 4 + 16)
			case 2:
				m.offset = d.u32()
			default:
				m.offset = uint32(d.uvar(limitEncSize(uint64(t.size))))
			}
			mt, err := h.parseType(d, depth+1)
			if err != nil {
				return nil, fmt.Errorf("compound member %q: %w", m.name, err)
			}
			m.typ = mt
			t.members = append(t.members, m)
			if d.bad {
				return nil, fmt.Errorf("compound datatype truncated")
			}
		}
	case clRef:
	case clEnum:
		n := int(bitsf & 0xffff)
		bt, err := h.parseType(d, depth+1)
		if err != nil {
			return nil, fmt.Errorf("enum base: %w", err)
		}
		t.base = bt
		t.big, t.signed = bt.big, bt.signed
		for i := 0; i < n; i++ {
			nb := d.rest()
			z := bytes.IndexByte(nb, 0)
			if z < 0 {
				return nil, fmt.Errorf("enum member name unterminated")
			}
			if ver < 3 {
				d.skip(((z + 8) / 8) * 8)
			} else {
				d.skip(z + 1)
			}
		}
		if uint64(n)*uint64(bt.size) > uint64(d.left()) {
			return nil, fmt.Errorf("enum values truncated")
		}
		d.skip(n * int(bt.size))
	case clVlen:
		t.vlenStr = b0&0x0f == 1
		bt, err := h.parseType(d, depth+1)
		if err != nil {
			return nil, fmt.Errorf("variable-length base: %w", err)
		}
		t.base = bt
	case clArray:
		n := int(d.u8())
		if ver < 3 {
			d.skip(3)
		}
		if n > maxRank {
			return nil, fmt.Errorf("array datatype rank %d", n)
		}
		for i := 0; i < n; i++ {
			t.dims = append(t.dims, d.u32())
		}
		if ver < 3 {
			d.skip(4 * n)
		}
		bt, err := h.parseType(d, depth+1)
		if err != nil {
			return nil, fmt.Errorf("array base: %w", err)
		}
		t.base = bt
	default:
		return nil, fmt.Errorf("unknown datatype class %d", t.class)
	}
	if d.bad {
		return nil, fmt.Errorf("%s datatype truncated", className(t.class))
	}
	return t, nil
}

// ncType maps an HDF5 datatype to a netCDF type.
func (t *h5type) ncType() (Type, error) {
	switch t.class {
	case clFixed, clBitfield:
		switch t.size {
		case 1:
			if t.signed {
				return TypeInt8, nil
			}
			return TypeUint8, nil
		case 2:
			if t.signed {
				return TypeInt16, nil
			}
			return TypeUint16, nil
		case 4:
			if t.signed {
				return TypeInt32, nil
			}
			return TypeUint32, nil
		case 8:
			if t.signed {
				return TypeInt64, nil
			}
			return TypeUint64, nil
		}
		return 0, fmt.Errorf("%d-byte integers are not supported", t.size)
	case clFloat:
		switch t.size {
		case 4:
			return TypeFloat32, nil
		case 8:
			return TypeFloat64, nil
		}
		return 0, fmt.Errorf("%d-byte floats are not supported", t.size)
	case clString:
		if t.size == 1 {
			return TypeChar, nil
		}
		return TypeString, nil
	case clVlen:
		if t.vlenStr {
			return TypeString, nil
		}
		return 0, fmt.Errorf("variable-length sequences are not supported")
	case clEnum:
		return t.base.ncType()
	case clCompound:
		return TypeCompound, nil
	}
	return 0, fmt.Errorf("%s datatypes are not supported", className(t.class))
}

// dataspace is a decoded dataspace message.
type dataspace struct {
	dims  []uint64
	max   []uint64
	null  bool
	count uint64
}

func (h *h5file) parseSpace(b []byte) (*dataspace, error) {
	d := h.dec(b)
	ver := d.u8()
	rank := int(d.u8())
	flags := d.u8()
	s := &dataspace{}
	switch ver {
	case 1:
		d.skip(5)
	case 2:
		typ := d.u8()
		if typ == 2 {
			s.null = true
		}
	default:
		return nil, fmt.Errorf("dataspace version %d is not supported", ver)
	}
	h.feat.hit(versioned("dataspace", int(ver)))
	if rank > maxRank {
		return nil, fmt.Errorf("dataspace rank %d exceeds %d", rank, maxRank)
	}
	for i := 0; i < rank; i++ {
		s.dims = append(s.dims, d.length())
	}
	if flags&1 != 0 {
		for i := 0; i < rank; i++ {
			m := d.length()
			if m == undefAddr || (h.sl < 8 && m == (uint64(1)<<(8*h.sl))-1) {
				m = undefAddr
				h.feat.hit("unlimited dimension")
			}
			s.max = append(s.max, m)
		}
	}
	if d.bad {
		return nil, fmt.Errorf("dataspace truncated")
	}
	s.count = 1
	if s.null {
		s.count = 0
	}
	for _, x := range s.dims {
		if x != 0 && s.count > (1<<62)/x {
			return nil, fmt.Errorf("dataspace %v overflows", s.dims)
		}
		s.count *= x
	}
	return s, nil
}

// sortByCreation orders messages by creation order when tracked,
// otherwise leaves the header order.
func sortByCreation[T any](xs []T, key func(T) int) {
	// slices.SortStableFunc, not sort.SliceStable: no reflection per swap.
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
}

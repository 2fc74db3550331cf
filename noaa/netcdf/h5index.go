package netcdf

import (
	"encoding/binary"
	"fmt"
)

// chunkIndex lists every allocated chunk of a chunked dataset, whatever
// index structure the file uses.
func (h *h5file) chunkIndex(v *Var, ext []uint64, cb uint64) ([]chunkRef, error) {
	ds := v.h5
	lay := ds.lay
	rank := len(lay.chunk)
	filtered := len(lay.filters) > 0
	// Upper bound of chunks the extent can hold, against runaway indexes.
	grid := make([]uint64, rank)
	maxChunks := uint64(1)
	for k := 0; k < rank; k++ {
		grid[k] = (ext[k] + lay.chunk[k] - 1) / lay.chunk[k]
		if grid[k] != 0 && maxChunks > (1<<40)/grid[k] {
			return nil, fmt.Errorf("variable %q: chunk grid overflows", v.Name)
		}
		maxChunks *= grid[k]
	}
	what := func(s string) string { return fmt.Sprintf("variable %q: %s", v.Name, s) }
	var out []chunkRef
	add := func(c chunkRef) error {
		if uint64(len(out)) >= maxChunks+1 || len(out) > int(h.src.size) {
			return fmt.Errorf("variable %q: chunk index lists more chunks than the extent holds (%d)", v.Name, maxChunks)
		}
		if c.addr == undefAddr {
			return nil
		}
		for k, o := range c.origin {
			if o%lay.chunk[k] != 0 {
				return fmt.Errorf("variable %q: chunk at 0x%x has misaligned origin %v", v.Name, c.addr, c.origin)
			}
		}
		out = append(out, c)
		return nil
	}
	// coords converts a linear chunk index over grid g to an origin.
	coords := func(idx uint64, g []uint64) []uint64 {
		o := make([]uint64, rank)
		for k := rank - 1; k >= 0; k-- {
			if g[k] == 0 {
				return nil
			}
			o[k] = (idx % g[k]) * lay.chunk[k]
			idx /= g[k]
		}
		return o
	}
	maxGrid := make([]uint64, rank)
	for k := 0; k < rank; k++ {
		m := ext[k]
		if k < len(ds.space.max) && ds.space.max[k] != undefAddr && ds.space.max[k] >= ext[k] {
			m = ds.space.max[k]
		}
		maxGrid[k] = (m + lay.chunk[k] - 1) / lay.chunk[k]
	}
	if lay.addr == undefAddr {
		return nil, nil
	}
	switch {
	case lay.version < 4:
		keySize := 8 + 8*(rank+1)
		out = make([]chunkRef, 0, min(maxChunks, 1<<12))
		var origins []uint64 // origins are cut from blocks, not allocated one by one
		err := h.walkBtreeV1(lay.addr, keySize, 1, func(key []byte, child uint64) error {
			size := uint64(binary.LittleEndian.Uint32(key))
			mask := binary.LittleEndian.Uint32(key[4:])
			if len(origins) < rank {
				origins = make([]uint64, 256*rank)
			}
			o := origins[:rank:rank]
			origins = origins[rank:]
			for k := 0; k < rank; k++ {
				o[k] = binary.LittleEndian.Uint64(key[8+8*k:])
			}
			return add(chunkRef{origin: o, addr: child, size: size, mask: mask})
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what("chunk index"), err)
		}
	case lay.index == 1:
		c := chunkRef{origin: make([]uint64, rank), addr: lay.addr, size: cb}
		if lay.single.filtered {
			c.size, c.mask = lay.single.size, lay.single.mask
		}
		if err := add(c); err != nil {
			return nil, err
		}
	case lay.index == 2:
		if filtered {
			return nil, fmt.Errorf("%s: implicit chunk index with filters", what("chunk index"))
		}
		// Every chunk of an implicit index is allocated, back to back, so
		// they must all fit in the file.
		if cb != 0 && maxChunks > uint64(h.src.size)/cb {
			return nil, fmt.Errorf("%s: implicit index of %d chunks of %d bytes exceeds the file", what("chunk index"), maxChunks, cb)
		}
		for i := uint64(0); i < maxChunks; i++ {
			o := coords(i, grid)
			if o == nil {
				break
			}
			// The address is the chunk's position in the grid of the
			// maximum dimensions.
			lin := uint64(0)
			for k := range o {
				lin = lin*maxGrid[k] + o[k]/lay.chunk[k]
			}
			if err := add(chunkRef{origin: o, addr: lay.addr + lin*cb, size: cb}); err != nil {
				return nil, err
			}
		}
	case lay.index == 3:
		err := h.fixedArray(lay.addr, filtered, cb, func(i uint64, c chunkRef) error {
			c.origin = coords(i, maxGrid)
			if c.origin == nil {
				return fmt.Errorf("fixed array element %d outside chunk grid", i)
			}
			return add(c)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what("fixed array chunk index"), err)
		}
	case lay.index == 4:
		// The unlimited dimension is moved to the front ("swizzled").
		unl := 0
		for k := 0; k < rank; k++ {
			if k < len(ds.space.max) && ds.space.max[k] == undefAddr {
				unl = k
				break
			}
		}
		sg := make([]uint64, 0, rank)
		sg = append(sg, 1<<40)
		for k := 0; k < rank; k++ {
			if k != unl {
				sg = append(sg, maxGrid[k])
			}
		}
		err := h.extensibleArray(lay.addr, filtered, cb, func(i uint64, c chunkRef) error {
			so := make([]uint64, rank)
			idx := i
			for k := rank - 1; k >= 1; k-- {
				if sg[k] == 0 {
					return fmt.Errorf("empty chunk grid")
				}
				so[k] = idx % sg[k]
				idx /= sg[k]
			}
			so[0] = idx
			o := make([]uint64, rank)
			o[unl] = so[0] * lay.chunk[unl]
			j := 1
			for k := 0; k < rank; k++ {
				if k != unl {
					o[k] = so[j] * lay.chunk[k]
					j++
				}
			}
			c.origin = o
			return add(c)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what("extensible array chunk index"), err)
		}
	case lay.index == 5:
		want := 10
		if filtered {
			want = 11
		}
		err := h.btreeV2(lay.addr, want, func(r []byte) error {
			d := h.dec(r)
			c := chunkRef{addr: d.addr(), size: cb}
			if filtered {
				ln := len(r) - h.so - 4 - 8*rank
				if ln < 1 || ln > 8 {
					return fmt.Errorf("chunk record of %d bytes for rank %d", len(r), rank)
				}
				c.size = d.uvar(ln)
				c.mask = d.u32()
			}
			c.origin = make([]uint64, rank)
			for k := 0; k < rank; k++ {
				s := d.u64()
				if s > 1<<40 {
					return fmt.Errorf("chunk offset %d out of range", s)
				}
				c.origin[k] = s * lay.chunk[k]
			}
			if d.bad {
				return fmt.Errorf("chunk record truncated")
			}
			return add(c)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what("v2 B-tree chunk index"), err)
		}
	default:
		return nil, fmt.Errorf("%s: unknown chunk index type %d", what("chunk index"), lay.index)
	}
	return out, nil
}

// chunkElem decodes one chunk address element of a fixed or extensible
// array.
func (h *h5file) chunkElem(b []byte, filtered bool, cb uint64) chunkRef {
	d := h.dec(b)
	c := chunkRef{addr: d.addr(), size: cb}
	if filtered {
		ln := len(b) - h.so - 4
		c.size = d.uvar(ln)
		c.mask = d.u32()
	}
	if d.bad {
		c.addr = undefAddr
	}
	return c
}

func (h *h5file) fixedArray(addr uint64, filtered bool, cb uint64, fn func(uint64, chunkRef) error) error {
	hl := uint64(4 + 1 + 1 + 1 + 1 + h.sl + h.so + 4)
	b, err := h.readChecked(addr, hl, "FAHD", "fixed array header")
	if err != nil {
		return err
	}
	d := h.dec(b)
	d.p = 6
	esz := int(d.u8())
	pageBits := int(d.u8())
	n := d.length()
	dblk := d.addr()
	if esz < h.so || esz > h.so+12 || (filtered && esz < h.so+5) || pageBits > 32 {
		return fmt.Errorf("fixed array header at 0x%x: bad element size %d or page bits %d", addr, esz, pageBits)
	}
	if n > uint64(h.src.size)/uint64(h.so)+1 {
		return fmt.Errorf("fixed array header at 0x%x: %d elements exceed the file", addr, n)
	}
	h.feat.hit("fixed array")
	if dblk == undefAddr {
		return nil
	}
	pageN := uint64(1) << pageBits
	prefix := uint64(4 + 1 + 1 + h.so)
	if n <= pageN {
		db, err := h.src.read(dblk, prefix+n*uint64(esz)+4, "fixed array data block")
		if err != nil {
			return err
		}
		if string(db[:4]) != "FADB" {
			return fmt.Errorf("fixed array data block at 0x%x: bad signature", dblk)
		}
		if err := checkSum(db, "fixed array data block", dblk); err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			e := db[prefix+i*uint64(esz) : prefix+(i+1)*uint64(esz)]
			if err := fn(i, h.chunkElem(e, filtered, cb)); err != nil {
				return err
			}
		}
		return nil
	}
	h.feat.hit("fixed array paged")
	npages := (n + pageN - 1) / pageN
	bm := (npages + 7) / 8
	db, err := h.src.read(dblk, prefix+bm+4, "fixed array data block")
	if err != nil {
		return err
	}
	if string(db[:4]) != "FADB" {
		return fmt.Errorf("fixed array data block at 0x%x: bad signature", dblk)
	}
	if err := checkSum(db, "fixed array data block", dblk); err != nil {
		return err
	}
	bitmap := db[prefix : prefix+bm]
	pos := dblk + prefix + bm + 4
	for p := uint64(0); p < npages; p++ {
		cnt := min(pageN, n-p*pageN)
		psz := cnt*uint64(esz) + 4
		if bitmap[p/8]&(0x80>>(p%8)) != 0 {
			pb, err := h.src.read(pos, psz, "fixed array data block page")
			if err != nil {
				return err
			}
			if err := checkSum(pb, "fixed array data block page", pos); err != nil {
				return err
			}
			for i := uint64(0); i < cnt; i++ {
				e := pb[i*uint64(esz) : (i+1)*uint64(esz)]
				if err := fn(p*pageN+i, h.chunkElem(e, filtered, cb)); err != nil {
					return err
				}
			}
		}
		pos += psz
	}
	return nil
}

func (h *h5file) extensibleArray(addr uint64, filtered bool, cb uint64, fn func(uint64, chunkRef) error) error {
	hl := uint64(4 + 1 + 1 + 6 + 6*h.sl + h.so + 4)
	b, err := h.readChecked(addr, hl, "EAHD", "extensible array header")
	if err != nil {
		return err
	}
	d := h.dec(b)
	d.p = 6
	esz := int(d.u8())
	maxBits := int(d.u8())
	idxElems := uint64(d.u8())
	minElems := uint64(d.u8())
	minPtrs := uint64(d.u8())
	pageBits := int(d.u8())
	d.skip(4 * h.sl)
	maxIdx := d.length()
	d.length() // realized
	iblk := d.addr()
	if esz < h.so || esz > h.so+12 || maxBits == 0 || maxBits > 64 || minElems == 0 || minElems&(minElems-1) != 0 ||
		minPtrs == 0 || minPtrs&(minPtrs-1) != 0 || pageBits > 32 {
		return fmt.Errorf("extensible array header at 0x%x: bad parameters", addr)
	}
	if maxIdx > uint64(h.src.size) {
		return fmt.Errorf("extensible array header at 0x%x: %d elements exceed the file", addr, maxIdx)
	}
	h.feat.hit("extensible array")
	if iblk == undefAddr || maxIdx == 0 {
		return nil
	}
	nsblks := 1 + maxBits - log2(minElems)
	if nsblks < 1 || nsblks > 64 {
		return fmt.Errorf("extensible array header at 0x%x: %d super blocks", addr, nsblks)
	}
	type sblkInfo struct{ ndblks, dblkElems, startDblk uint64 }
	si := make([]sblkInfo, nsblks)
	var sd uint64
	for u := 0; u < nsblks; u++ {
		si[u] = sblkInfo{ndblks: 1 << (u / 2), dblkElems: (1 << ((u + 1) / 2)) * minElems, startDblk: sd}
		sd += si[u].ndblks
	}
	iSblks := 2 * log2(minPtrs)
	nDblkAddrs := 2 * (minPtrs - 1)
	nSblkAddrs := 0
	if nsblks > iSblks {
		nSblkAddrs = nsblks - iSblks
	}
	arrOff := (maxBits + 7) / 8
	ib, err := h.src.read(iblk, uint64(4+1+1+h.so)+idxElems*uint64(esz)+nDblkAddrs*uint64(h.so)+uint64(nSblkAddrs*h.so)+4, "extensible array index block")
	if err != nil {
		return err
	}
	if string(ib[:4]) != "EAIB" {
		return fmt.Errorf("extensible array index block at 0x%x: bad signature", iblk)
	}
	if err := checkSum(ib, "extensible array index block", iblk); err != nil {
		return err
	}
	id := h.dec(ib)
	id.p = 6 + h.so
	i := uint64(0)
	for ; i < idxElems && i < maxIdx; i++ {
		if err := fn(i, h.chunkElem(id.bytes(esz), filtered, cb)); err != nil {
			return err
		}
	}
	id.p = 6 + h.so + int(idxElems)*esz
	dblkAddrs := make([]uint64, nDblkAddrs)
	for j := range dblkAddrs {
		dblkAddrs[j] = id.addr()
	}
	sblkAddrs := make([]uint64, nSblkAddrs)
	for j := range sblkAddrs {
		sblkAddrs[j] = id.addr()
	}
	if id.bad {
		return fmt.Errorf("extensible array index block at 0x%x: truncated", iblk)
	}
	pageN := uint64(1) << pageBits
	readDblk := func(a, nel, first uint64) error {
		if a == undefAddr {
			return nil
		}
		if nel > pageN {
			return fmt.Errorf("extensible array data block at 0x%x: paged data blocks are not supported", a)
		}
		pre := uint64(4 + 1 + 1 + h.so + arrOff)
		db, err := h.src.read(a, pre+nel*uint64(esz)+4, "extensible array data block")
		if err != nil {
			return err
		}
		if string(db[:4]) != "EADB" {
			return fmt.Errorf("extensible array data block at 0x%x: bad signature", a)
		}
		if err := checkSum(db, "extensible array data block", a); err != nil {
			return err
		}
		h.feat.hit("extensible array data block")
		for j := uint64(0); j < nel && first+j < maxIdx; j++ {
			e := db[pre+j*uint64(esz) : pre+(j+1)*uint64(esz)]
			if err := fn(first+j, h.chunkElem(e, filtered, cb)); err != nil {
				return err
			}
		}
		return nil
	}
	for u := 0; u < nsblks && i < maxIdx; u++ {
		s := si[u]
		if u < iSblks {
			for j := uint64(0); j < s.ndblks && i < maxIdx; j++ {
				k := s.startDblk + j
				if k >= uint64(len(dblkAddrs)) {
					return fmt.Errorf("extensible array index block at 0x%x: data block %d missing", iblk, k)
				}
				if err := readDblk(dblkAddrs[k], s.dblkElems, i); err != nil {
					return err
				}
				i += s.dblkElems
			}
			continue
		}
		sa := sblkAddrs[u-iSblks]
		if sa == undefAddr {
			i += s.ndblks * s.dblkElems
			continue
		}
		h.feat.hit("extensible array super block")
		if s.dblkElems > pageN {
			return fmt.Errorf("extensible array super block at 0x%x: paged data blocks are not supported", sa)
		}
		sb, err := h.src.read(sa, uint64(4+1+1+h.so+arrOff)+s.ndblks*uint64(h.so)+4, "extensible array super block")
		if err != nil {
			return err
		}
		if string(sb[:4]) != "EASB" {
			return fmt.Errorf("extensible array super block at 0x%x: bad signature", sa)
		}
		if err := checkSum(sb, "extensible array super block", sa); err != nil {
			return err
		}
		sd := h.dec(sb)
		sd.p = 6 + h.so + arrOff
		for j := uint64(0); j < s.ndblks && i < maxIdx; j++ {
			if err := readDblk(sd.addr(), s.dblkElems, i); err != nil {
				return err
			}
			i += s.dblkElems
		}
	}
	return nil
}

package netcdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
)

// maxTreeNodes bounds how many B-tree nodes one walk may visit.
const maxTreeNodes = 1 << 20

// localHeap reads the data segment of a local heap.
func (h *h5file) localHeap(addr uint64) ([]byte, error) {
	n := uint64(8 + 2*h.sl + h.so)
	b, err := h.src.read(addr, n, "local heap")
	if err != nil {
		return nil, err
	}
	if string(b[:4]) != "HEAP" {
		return nil, fmt.Errorf("local heap at 0x%x: bad signature", addr)
	}
	d := h.dec(b)
	d.p = 8
	size := d.length()
	d.length()
	data := d.addr()
	h.feat.hit("local heap")
	seg, err := h.src.read(data, size, "local heap data segment")
	if err != nil {
		return nil, fmt.Errorf("local heap at 0x%x: %w", addr, err)
	}
	return seg, nil
}

// heapString returns the NUL-terminated string at off in a local heap.
func heapString(seg []byte, off uint64, what string) (string, error) {
	if off >= uint64(len(seg)) {
		return "", fmt.Errorf("%s: name offset %d outside local heap of %d bytes", what, off, len(seg))
	}
	b := seg[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	} else {
		return "", fmt.Errorf("%s: unterminated name in local heap", what)
	}
	return string(b), nil
}

// btreeV1Node is one node of a version-1 B-tree.
type btreeV1Node struct {
	typ, level int
	entries    int
	body       []byte // key, child address, …, key, child address, last key
}

// btreeV1 reads the node at addr; its body lives in buf (grown as
// needed) until buf is used again.
func (h *h5file) btreeV1(addr uint64, keySize int, buf *[]byte) (*btreeV1Node, error) {
	hs := uint64(8 + 2*h.so)
	b, err := h.src.readBuf(*buf, addr, hs, "v1 B-tree node")
	if err != nil {
		return nil, err
	}
	if string(b[:4]) != "TREE" {
		return nil, fmt.Errorf("v1 B-tree node at 0x%x: bad signature", addr)
	}
	n := &btreeV1Node{typ: int(b[4]), level: int(b[5])}
	entries := uint64(binary.LittleEndian.Uint16(b[6:]))
	body := entries*uint64(keySize+h.so) + uint64(keySize)
	bb, err := h.src.readBuf(*buf, addr+hs, body, "v1 B-tree node")
	if err != nil {
		return nil, fmt.Errorf("v1 B-tree node at 0x%x: %w", addr, err)
	}
	*buf = bb
	n.entries, n.body = int(entries), bb
	return n, nil
}

// walkBtreeV1 calls leaf for every (key, child) of the leaves of the tree
// at addr. The key passed is the left key of the child, valid during the
// call only.
func (h *h5file) walkBtreeV1(addr uint64, keySize, wantType int, leaf func(key []byte, child uint64) error) error {
	seen := map[uint64]bool{}
	// One node buffer per level: a node's body is read while its
	// children are walked. Leaves do not keep their keys.
	var bufs [maxTreeDepth + 1][]byte
	var walk func(a uint64, depth, parentLevel int) error
	walk = func(a uint64, depth, parentLevel int) error {
		if depth > maxTreeDepth {
			return fmt.Errorf("v1 B-tree at 0x%x: deeper than %d levels", addr, maxTreeDepth)
		}
		if seen[a] {
			return fmt.Errorf("v1 B-tree node at 0x%x: cycle", a)
		}
		seen[a] = true
		if len(seen) > maxTreeNodes {
			return fmt.Errorf("v1 B-tree at 0x%x: too many nodes", addr)
		}
		n, err := h.btreeV1(a, keySize, &bufs[depth])
		if err != nil {
			return err
		}
		if n.typ != wantType {
			return fmt.Errorf("v1 B-tree node at 0x%x: type %d, want %d", a, n.typ, wantType)
		}
		if parentLevel >= 0 && n.level != parentLevel-1 {
			return fmt.Errorf("v1 B-tree node at 0x%x: level %d under level %d", a, n.level, parentLevel)
		}
		if n.level > 0 {
			h.feat.hit("v1 B-tree internal node")
		}
		d := h.dec(n.body)
		for range n.entries {
			key, c := d.bytes(keySize), d.addr()
			if d.bad {
				return fmt.Errorf("v1 B-tree node at 0x%x: truncated", a)
			}
			if n.level == 0 {
				if err := leaf(key, c); err != nil {
					return err
				}
				continue
			}
			if err := walk(c, depth+1, n.level); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, 0, -1)
}

// symbolTable lists the links of a symbol-table group.
func (h *h5file) symbolTable(btree, heap uint64) ([]link, error) {
	seg, err := h.localHeap(heap)
	if err != nil {
		return nil, err
	}
	h.feat.hit("group symbol table")
	var out []link
	err = h.walkBtreeV1(btree, h.sl, 0, func(_ []byte, snod uint64) error {
		hs := uint64(8)
		b, err := h.src.read(snod, hs, "symbol table node")
		if err != nil {
			return err
		}
		if string(b[:4]) != "SNOD" {
			return fmt.Errorf("symbol table node at 0x%x: bad signature", snod)
		}
		n := uint64(binary.LittleEndian.Uint16(b[6:]))
		es := uint64(2*h.so + 8 + 16)
		eb, err := h.src.read(snod+hs, n*es, "symbol table node")
		if err != nil {
			return err
		}
		d := h.dec(eb)
		for i := uint64(0); i < n; i++ {
			nameOff := d.uvar(h.so)
			obj := d.addr()
			d.skip(24)
			name, err := heapString(seg, nameOff, fmt.Sprintf("symbol table node at 0x%x", snod))
			if err != nil {
				return err
			}
			out = append(out, link{name: name, addr: obj, corder: len(out)})
		}
		if len(out) > maxObjects {
			return fmt.Errorf("symbol table at 0x%x: too many entries", btree)
		}
		return nil
	})
	return out, err
}

// globalHeapObject returns object idx of the global heap collection at addr.
func (h *h5file) globalHeapObject(addr uint64, idx uint32) ([]byte, error) {
	h.mu.Lock()
	col, ok := h.gheaps[addr]
	h.mu.Unlock()
	if !ok {
		b, err := h.src.read(addr, uint64(8+h.sl), "global heap")
		if err != nil {
			return nil, err
		}
		if string(b[:4]) != "GCOL" {
			return nil, fmt.Errorf("global heap at 0x%x: bad signature", addr)
		}
		d := h.dec(b)
		d.p = 8
		size := d.length()
		if size < uint64(8+h.sl) {
			return nil, fmt.Errorf("global heap at 0x%x: collection size %d too small", addr, size)
		}
		col, err = h.src.read(addr, size, "global heap")
		if err != nil {
			return nil, err
		}
		h.feat.hit("global heap")
		h.mu.Lock()
		h.gheaps[addr] = col
		h.mu.Unlock()
	}
	d := h.dec(col)
	d.p = 8 + h.sl
	for d.left() >= 8+h.sl {
		id := d.u16()
		d.skip(6)
		size := d.length()
		if id == 0 {
			break
		}
		if size > uint64(d.left()) {
			return nil, fmt.Errorf("global heap at 0x%x: object %d size %d overruns collection", addr, id, size)
		}
		data := d.bytes(int(size))
		if uint32(id) == idx {
			return data, nil
		}
		d.skip(int((size+7)&^7 - size))
	}
	return nil, fmt.Errorf("global heap at 0x%x: object %d not found", addr, idx)
}

// fractalHeap is a parsed fractal heap with its direct blocks indexed.
type fractalHeap struct {
	addr        uint64
	idLen       int
	maxHeapBits int
	width       int
	startBlock  uint64
	maxDirect   uint64
	checksummed bool
	offBytes    int
	lenBytes    int
	blocks      []heapBlock // sorted by offset

	mu     sync.Mutex
	cached map[uint64][]byte // verified direct blocks by address
}

type heapBlock struct {
	off, addr, size uint64
}

func (h *h5file) fractalHeap(addr uint64) (*fractalHeap, error) {
	hdrLen := uint64(4 + 1 + 2 + 2 + 1 + 4 + 12*h.sl + 3*h.so + 2 + 2 + 2 + 2 + 4)
	b, err := h.src.read(addr, hdrLen, "fractal heap")
	if err != nil {
		return nil, err
	}
	if string(b[:4]) != "FRHP" {
		return nil, fmt.Errorf("fractal heap at 0x%x: bad signature", addr)
	}
	d := h.dec(b)
	d.p = 4
	if v := d.u8(); v != 0 {
		return nil, fmt.Errorf("fractal heap at 0x%x: unsupported version %d", addr, v)
	}
	fh := &fractalHeap{addr: addr}
	fh.idLen = int(d.u16())
	filterLen := d.u16()
	flags := d.u8()
	fh.checksummed = flags&2 != 0
	maxManaged := d.u32()
	d.length()       // next huge id
	d.addr()         // huge btree
	d.length()       // free space
	d.addr()         // free space manager
	d.length()       // managed space
	d.length()       // allocated managed space
	d.length()       // direct block allocation iterator
	d.length()       // number of managed objects
	d.skip(4 * h.sl) // huge/tiny sizes and counts
	fh.width = int(d.u16())
	fh.startBlock = d.length()
	fh.maxDirect = d.length()
	fh.maxHeapBits = int(d.u16())
	d.u16() // starting rows
	root := d.addr()
	rows := int(d.u16())
	if d.bad {
		return nil, fmt.Errorf("fractal heap at 0x%x: truncated header", addr)
	}
	if filterLen != 0 {
		return nil, fmt.Errorf("fractal heap at 0x%x: filtered heaps are not supported", addr)
	}
	if err := checkSum(b, "fractal heap", addr); err != nil {
		return nil, err
	}
	if fh.width == 0 || fh.width > 1024 || fh.startBlock == 0 || fh.startBlock&(fh.startBlock-1) != 0 ||
		fh.maxDirect < fh.startBlock || fh.maxDirect&(fh.maxDirect-1) != 0 || fh.maxHeapBits == 0 || fh.maxHeapBits > 64 ||
		fh.maxDirect > uint64(h.src.size)+fh.startBlock*4 && fh.maxDirect > 1<<26 {
		return nil, fmt.Errorf("fractal heap at 0x%x: bad table parameters (width %d, start %d, max direct %d, heap bits %d)", addr, fh.width, fh.startBlock, fh.maxDirect, fh.maxHeapBits)
	}
	fh.offBytes = (fh.maxHeapBits + 7) / 8
	fh.lenBytes = min(limitEncSize(uint64(maxManaged)), (log2(fh.maxDirect)+7)/8)
	h.feat.hit(fmt.Sprintf("fractal heap (start %d)", fh.startBlock))
	if root == undefAddr {
		return fh, nil
	}
	budget := 1 << 16
	if rows == 0 {
		h.feat.hit("fractal heap root direct block")
		fh.blocks = append(fh.blocks, heapBlock{0, root, fh.startBlock})
	} else {
		h.feat.hit("fractal heap root indirect block")
		if err := h.heapIndirect(fh, root, rows, 0, 0, &budget); err != nil {
			return nil, err
		}
	}
	sort.Slice(fh.blocks, func(i, j int) bool { return fh.blocks[i].off < fh.blocks[j].off })
	return fh, nil
}

// rowSize is the block size of row r of the doubling table.
func (fh *fractalHeap) rowSize(r int) uint64 {
	if r <= 1 {
		return fh.startBlock
	}
	if r-1 >= 63 {
		return 0
	}
	return fh.startBlock << uint(r-1)
}

func (h *h5file) heapIndirect(fh *fractalHeap, addr uint64, rows int, off uint64, depth int, budget *int) error {
	if depth > 8 {
		return fmt.Errorf("fractal heap indirect block at 0x%x: nested too deeply", addr)
	}
	if rows > 64 {
		return fmt.Errorf("fractal heap indirect block at 0x%x: %d rows", addr, rows)
	}
	maxDirectRows := log2(fh.maxDirect) - log2(fh.startBlock) + 2
	directRows := min(rows, maxDirectRows)
	indirectRows := rows - directRows
	nEntries := directRows*fh.width + indirectRows*fh.width
	hdr := 4 + 1 + h.so + fh.offBytes
	size := uint64(hdr + nEntries*h.so + 4)
	b, err := h.src.read(addr, size, "fractal heap indirect block")
	if err != nil {
		return err
	}
	if string(b[:4]) != "FHIB" {
		return fmt.Errorf("fractal heap indirect block at 0x%x: bad signature", addr)
	}
	if err := checkSum(b, "fractal heap indirect block", addr); err != nil {
		return err
	}
	h.feat.hit("fractal heap indirect block")
	d := h.dec(b)
	d.p = hdr
	pos := off
	for r := 0; r < rows; r++ {
		rs := fh.rowSize(r)
		if rs == 0 {
			return fmt.Errorf("fractal heap indirect block at 0x%x: row %d too large", addr, r)
		}
		for c := 0; c < fh.width; c++ {
			a := d.addr()
			*budget--
			if *budget < 0 {
				return fmt.Errorf("fractal heap at 0x%x: too many blocks", fh.addr)
			}
			if a != undefAddr {
				if r < directRows {
					fh.blocks = append(fh.blocks, heapBlock{pos, a, rs})
				} else {
					// Rows of a child indirect block of size rs.
					sub := log2(rs) - log2(fh.startBlock*uint64(fh.width)) + 1
					if err := h.heapIndirect(fh, a, sub, pos, depth+1, budget); err != nil {
						return err
					}
				}
			}
			pos += rs
		}
	}
	if d.bad {
		return fmt.Errorf("fractal heap indirect block at 0x%x: truncated", addr)
	}
	return nil
}

// object returns the managed object named by heap ID id.
func (h *h5file) heapObject(fh *fractalHeap, id []byte) ([]byte, error) {
	if len(id) < 1+fh.offBytes+fh.lenBytes {
		return nil, fmt.Errorf("fractal heap at 0x%x: heap ID of %d bytes too short", fh.addr, len(id))
	}
	switch (id[0] >> 4) & 3 {
	case 0:
	case 1:
		return nil, fmt.Errorf("fractal heap at 0x%x: huge objects are not supported", fh.addr)
	case 2:
		n := int(id[0]&0x0f) + 1
		if n > len(id)-1 {
			return nil, fmt.Errorf("fractal heap at 0x%x: tiny object length %d exceeds heap ID", fh.addr, n)
		}
		return id[1 : 1+n], nil
	default:
		return nil, fmt.Errorf("fractal heap at 0x%x: bad heap ID type", fh.addr)
	}
	d := &dec{b: id, p: 1}
	off := d.uvar(fh.offBytes)
	n := d.uvar(fh.lenBytes)
	i := sort.Search(len(fh.blocks), func(i int) bool { return fh.blocks[i].off+fh.blocks[i].size > off })
	if i == len(fh.blocks) || fh.blocks[i].off > off {
		return nil, fmt.Errorf("fractal heap at 0x%x: object offset %d in no direct block", fh.addr, off)
	}
	blk := fh.blocks[i]
	rel := off - blk.off
	if n > blk.size || rel > blk.size-n {
		return nil, fmt.Errorf("fractal heap direct block at 0x%x: object [%d,+%d) overruns block of %d", blk.addr, rel, n, blk.size)
	}
	fh.mu.Lock()
	b, ok := fh.cached[blk.addr]
	fh.mu.Unlock()
	if ok {
		return b[rel : rel+n], nil
	}
	b, err := h.src.read(blk.addr, blk.size, "fractal heap direct block")
	if err != nil {
		return nil, err
	}
	if string(b[:4]) != "FHDB" {
		return nil, fmt.Errorf("fractal heap direct block at 0x%x: bad signature", blk.addr)
	}
	if fh.checksummed {
		hdr := 4 + 1 + h.so + fh.offBytes
		if len(b) < hdr+4 {
			return nil, fmt.Errorf("fractal heap direct block at 0x%x: too small", blk.addr)
		}
		stored := binary.LittleEndian.Uint32(b[hdr:])
		tmp := make([]byte, len(b))
		copy(tmp, b)
		copy(tmp[hdr:hdr+4], []byte{0, 0, 0, 0})
		if got := lookup3(tmp); got != stored {
			return nil, fmt.Errorf("fractal heap direct block at 0x%x: checksum mismatch", blk.addr)
		}
	}
	h.feat.hit("fractal heap direct block")
	fh.mu.Lock()
	if fh.cached == nil {
		fh.cached = map[uint64][]byte{}
	}
	fh.cached[blk.addr] = b
	fh.mu.Unlock()
	return b[rel : rel+n], nil
}

// btreeV2 walks every record of the version-2 B-tree at addr.
func (h *h5file) btreeV2(addr uint64, wantType int, rec func([]byte) error) error {
	hl := uint64(4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + h.so + 2 + h.sl + 4)
	b, err := h.readChecked(addr, hl, "BTHD", "v2 B-tree header")
	if err != nil {
		return err
	}
	d := h.dec(b)
	d.p = 5
	typ := int(d.u8())
	nodeSize := uint64(d.u32())
	recSize := int(d.u16())
	depth := int(d.u16())
	d.skip(2)
	root := d.addr()
	rootN := int(d.u16())
	d.length()
	if typ != wantType {
		return fmt.Errorf("v2 B-tree header at 0x%x: type %d, want %d", addr, typ, wantType)
	}
	if recSize == 0 || nodeSize < 16 || nodeSize > uint64(h.src.size) && nodeSize > 1<<20 || depth > maxTreeDepth {
		return fmt.Errorf("v2 B-tree header at 0x%x: bad parameters (node %d, record %d, depth %d)", addr, nodeSize, recSize, depth)
	}
	h.feat.hit(fmt.Sprintf("v2 B-tree type %d", typ))
	if root == undefAddr || rootN == 0 {
		return nil
	}
	// Node capacities, as HDF5 computes them.
	maxLeaf := (nodeSize - 10) / uint64(recSize)
	if maxLeaf == 0 {
		return fmt.Errorf("v2 B-tree header at 0x%x: node too small", addr)
	}
	nrecSize := limitEncSize(maxLeaf)
	cum := []uint64{maxLeaf}
	cumSize := []int{0}
	maxRec := []uint64{maxLeaf}
	for u := 1; u <= depth; u++ {
		ptr := uint64(h.so + nrecSize)
		if u > 1 {
			ptr += uint64(cumSize[u-1])
		}
		if nodeSize < 10+ptr {
			return fmt.Errorf("v2 B-tree header at 0x%x: node too small", addr)
		}
		m := (nodeSize - 10 - ptr) / (uint64(recSize) + ptr)
		c := (m+1)*cum[u-1] + m
		if c < cum[u-1] {
			c = 1 << 62
		}
		maxRec = append(maxRec, m)
		cum = append(cum, c)
		cumSize = append(cumSize, limitEncSize(c))
	}
	seen := map[uint64]bool{}
	var walk func(a uint64, n int, lvl int) error
	walk = func(a uint64, n int, lvl int) error {
		if seen[a] {
			return fmt.Errorf("v2 B-tree node at 0x%x: cycle", a)
		}
		seen[a] = true
		if len(seen) > maxTreeNodes {
			return fmt.Errorf("v2 B-tree at 0x%x: too many nodes", addr)
		}
		if uint64(n) > maxRec[lvl] {
			return fmt.Errorf("v2 B-tree node at 0x%x: %d records exceed capacity %d", a, n, maxRec[lvl])
		}
		size := uint64(6 + n*recSize + 4)
		sig := "BTLF"
		what := "v2 B-tree leaf node"
		if lvl > 0 {
			sig, what = "BTIN", "v2 B-tree internal node"
			ptr := h.so + nrecSize
			if lvl > 1 {
				ptr += cumSize[lvl-1]
			}
			size += uint64((n + 1) * ptr)
		}
		b, err := h.readChecked(a, size, sig, what)
		if err != nil {
			return err
		}
		if int(b[5]) != typ {
			return fmt.Errorf("%s at 0x%x: type %d, want %d", what, a, b[5], typ)
		}
		recs := b[6 : 6+n*recSize]
		if lvl == 0 {
			for i := 0; i < n; i++ {
				if err := rec(recs[i*recSize : (i+1)*recSize]); err != nil {
					return err
				}
			}
			return nil
		}
		h.feat.hit("v2 B-tree internal node")
		cd := h.dec(b[6+n*recSize : len(b)-4])
		type child struct {
			a uint64
			n int
		}
		kids := make([]child, n+1)
		for i := range kids {
			kids[i].a = cd.addr()
			kids[i].n = int(cd.uvar(nrecSize))
			if lvl > 1 {
				cd.uvar(cumSize[lvl-1])
			}
		}
		if cd.bad {
			return fmt.Errorf("%s at 0x%x: truncated", what, a)
		}
		for i, k := range kids {
			if err := walk(k.a, k.n, lvl-1); err != nil {
				return err
			}
			if i < n {
				if err := rec(recs[i*recSize : (i+1)*recSize]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, rootN, depth)
}

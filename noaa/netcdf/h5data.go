package netcdf

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkRef locates one stored chunk.
type chunkRef struct {
	origin []uint64 // element coordinates of the chunk's first element
	addr   uint64
	size   uint64 // stored (filtered) size
	mask   uint32 // filters skipped for this chunk
}

// readVar reads records [start, start+count) of v. It returns the raw
// element bytes in the dataset's byte order, or strings for
// variable-length string variables.
func (h *h5file) readVar(v *Var, start, count int64) ([]byte, []string, bool, error) {
	ds := v.h5
	if ds.layErr != nil {
		return nil, nil, false, ds.layErr
	}
	es := int(ds.typ.size)
	shape := v.Shape()
	if len(shape) > 0 {
		shape[0] = count
	}
	n, err := shapeCount(shape)
	if err != nil {
		return nil, nil, false, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	if len(shape) == 0 {
		n = 1
	}
	if err := v.checkOutput(n, es); err != nil {
		return nil, nil, false, err
	}
	out := make([]byte, int(n)*es)
	fillPattern(out, ds.fill)
	if n == 0 {
		if v.Type == TypeString {
			return nil, []string{}, false, nil
		}
		return out, nil, ds.typ.big, nil
	}
	ext := ds.space.dims
	lay := ds.lay
	switch lay.class {
	case 0, 1:
		if lay.class == 1 && lay.addr == undefAddr {
			break
		}
		if err := h.readFlat(v, lay, ext, shape, start, out, es); err != nil {
			return nil, nil, false, err
		}
	case 2:
		lay := ds.lay
		err := h.readChunked(v, ext, shape, start, es, false, func(data []byte, c *chunkRef, _ bool) {
			copyRegion(out, shape, uint64(start), data, c.origin, lay.chunk, ext, es)
		})
		if err != nil {
			return nil, nil, false, err
		}
	default:
		return nil, nil, false, fmt.Errorf("variable %q: unsupported layout", v.Name)
	}
	if ds.typ.class == clVlen {
		s, err := h.vlenStrings(out, int(n))
		if err != nil {
			return nil, nil, false, fmt.Errorf("variable %q: %w", v.Name, err)
		}
		return nil, s, false, nil
	}
	if ds.typ.class == clString && v.Type == TypeString {
		return nil, splitFixedStrings(out, es), false, nil
	}
	return out, nil, ds.typ.big, nil
}

// readFlat reads compact and contiguous data: the extent is stored
// row-major, so the requested records are one contiguous byte range.
func (h *h5file) readFlat(v *Var, lay *layout, ext []uint64, shape []int64, start int64, out []byte, es int) error {
	rowElems := uint64(1)
	for _, d := range ext[min(1, len(ext)):] {
		rowElems *= d
	}
	total := rowElems
	if len(ext) > 0 {
		total *= ext[0]
	}
	// Only the records that exist in the extent are stored.
	recs := uint64(1)
	first := uint64(0)
	if len(ext) > 0 {
		first = uint64(start)
		if first >= ext[0] {
			return nil
		}
		recs = min(uint64(shape[0]), ext[0]-first)
	}
	var src []byte
	off := first * rowElems * uint64(es)
	nb := recs * rowElems * uint64(es)
	if lay.class == 0 {
		if total*uint64(es) > uint64(len(lay.compact)) {
			return fmt.Errorf("variable %q: compact data of %d bytes, need %d", v.Name, len(lay.compact), total*uint64(es))
		}
		h.feat.hit("read compact")
		src = lay.compact[off : off+nb]
	} else {
		if lay.size != ^uint64(0) && total*uint64(es) > lay.size {
			return fmt.Errorf("variable %q: contiguous storage at 0x%x holds %d bytes, need %d", v.Name, lay.addr, lay.size, total*uint64(es))
		}
		h.feat.hit("read contiguous")
		b := make([]byte, nb)
		if err := h.src.readInto(b, lay.addr+off, fmt.Sprintf("variable %q contiguous data", v.Name)); err != nil {
			return err
		}
		src = b
	}
	// Copy row by row when the declared dims exceed the extent.
	outShape := shape
	if sameTail(outShape, ext) {
		copy(out, src)
		return nil
	}
	origin := make([]uint64, len(ext))
	if len(origin) > 0 {
		origin[0] = first
	}
	cs := make([]uint64, len(ext))
	copy(cs, ext)
	if len(cs) > 0 {
		cs[0] = recs
	}
	copyRegion(out, outShape, uint64(start), src, origin, cs, ext, es)
	return nil
}

func sameTail(shape []int64, ext []uint64) bool {
	for i := 1; i < len(shape); i++ {
		if uint64(shape[i]) != ext[i] {
			return false
		}
	}
	return true
}

// copyRegion copies the part of a block (origin, dims cs, row-major in src)
// that lies inside both the output window (rows [start, start+shape[0]),
// full other dims) and the dataset extent ext into out.
func copyRegion(out []byte, shape []int64, start uint64, src []byte, origin, cs, ext []uint64, es int) {
	rank := len(shape)
	if rank == 0 {
		copy(out[:es], src)
		return
	}
	if rank == 1 {
		lo := max(origin[0], start)
		hi := min(origin[0]+cs[0], start+uint64(shape[0]), ext[0])
		if lo >= hi {
			return
		}
		o := (lo - start) * uint64(es)
		c := (lo - origin[0]) * uint64(es)
		n := (hi - lo) * uint64(es)
		if c+n <= uint64(len(src)) && o+n <= uint64(len(out)) {
			copy(out[o:o+n], src[c:c+n])
		}
		return
	}
	lo := make([]uint64, rank)
	hi := make([]uint64, rank)
	for k := 0; k < rank; k++ {
		wlo, whi := uint64(0), uint64(shape[k])
		if k == 0 {
			wlo, whi = start, start+uint64(shape[0])
		}
		lo[k] = max(origin[k], wlo)
		hi[k] = min(origin[k]+cs[k], whi, ext[k])
		if lo[k] >= hi[k] {
			return
		}
	}
	// strides
	ostr := make([]uint64, rank)
	cstr := make([]uint64, rank)
	ostr[rank-1], cstr[rank-1] = 1, 1
	for k := rank - 2; k >= 0; k-- {
		ostr[k] = ostr[k+1] * uint64(shape[k+1])
		cstr[k] = cstr[k+1] * cs[k+1]
	}
	run := (hi[rank-1] - lo[rank-1]) * uint64(es)
	idx := make([]uint64, rank)
	copy(idx, lo)
	for {
		var o, c uint64
		for k := 0; k < rank; k++ {
			ok := idx[k]
			if k == 0 {
				ok -= start
			}
			o += ok * ostr[k]
			c += (idx[k] - origin[k]) * cstr[k]
		}
		o *= uint64(es)
		c *= uint64(es)
		if c+run <= uint64(len(src)) && o+run <= uint64(len(out)) {
			copy(out[o:o+run], src[c:c+run])
		}
		k := rank - 2
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < hi[k] {
				break
			}
			idx[k] = lo[k]
		}
		if k < 0 {
			return
		}
	}
}

// chunkState holds per-read scratch buffers reused across chunks.
type chunkState struct {
	raw, a, b []byte
	inf       inflater
}

// readTyped reads records [start, start+count) of a chunked numeric
// variable whose chunks span every dimension but the first, converting
// each chunk straight into the typed result: no byte image of the whole
// variable is assembled. It reports false, and reads nothing, for
// variables it does not handle.
func (h *h5file) readTyped(v *Var, start, count int64) (any, bool, error) {
	ds := v.h5
	if ds.layErr != nil || ds.lay.class != 2 || !v.Type.numeric() ||
		(ds.typ.class != clFixed && ds.typ.class != clFloat) || int(ds.typ.size) != v.Type.size() {
		return nil, false, nil
	}
	lay := ds.lay
	ext := ds.space.dims
	shape := v.Shape()
	if len(shape) == 0 || len(ext) != len(shape) || len(lay.chunk) != len(shape) || lay.chunk[0] == 0 {
		return nil, false, nil
	}
	rowElems := uint64(1)
	for k := 1; k < len(shape); k++ {
		if lay.chunk[k] != ext[k] || uint64(shape[k]) != ext[k] {
			return nil, false, nil
		}
		rowElems *= ext[k]
	}
	shape[0] = count
	n, err := shapeCount(shape)
	if err != nil {
		return nil, true, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	es := v.Type.size()
	if err := v.checkOutput(n, es); err != nil {
		return nil, true, err
	}
	out := newSlice(v.Type, int(n))
	if n == 0 {
		return out, true, nil
	}
	// Rows [lo, hi) of the output lie in chunk grid cells first..last;
	// covered marks the cells a stored chunk filled.
	c0 := lay.chunk[0]
	lo, hi := uint64(start), uint64(start+count)
	first := lo / c0
	covered := make([]bool, (hi-1)/c0-first+1)
	big := ds.typ.big
	rowBytes := rowElems * uint64(es)
	err = h.readChunked(v, ext, shape, start, es, true, func(data []byte, c *chunkRef, shuffled bool) {
		o := c.origin[0]
		a, b := max(o, lo), min(o+c0, hi, ext[0])
		if a >= b || uint64(len(data)) < (b-o)*rowBytes {
			return
		}
		if shuffled {
			decodeShuffledInto(out, int((a-lo)*rowElems), data, int((a-o)*rowElems), int((b-o)*rowElems), big)
		} else {
			decodeInto(out, int((a-lo)*rowElems), data[(a-o)*rowBytes:(b-o)*rowBytes], big)
		}
		covered[o/c0-first] = true
	})
	if err != nil {
		return nil, true, err
	}
	// Fill what no chunk holds: unallocated chunks and records beyond the
	// variable's own extent.
	for k, ok := range covered {
		cell := (first + uint64(k)) * c0
		a, b := max(cell, lo), min(cell+c0, hi)
		if ok {
			a = max(a, min(cell+c0, ext[0]))
		}
		if a < b {
			fill := make([]byte, (b-a)*rowBytes)
			fillPattern(fill, ds.fill)
			decodeInto(out, int((a-lo)*rowElems), fill, big)
		}
	}
	return out, true, nil
}

// readChunked decodes the chunks holding records [start, start+shape[0])
// and hands each to place, from several goroutines at once for reads of
// many chunks: place must only write the chunk's own part of the output.
//
// With keepShuffle, a shuffle filter undone last is left for place, which
// then gets shuffled true and the chunk's byte planes (see loadChunk).
func (h *h5file) readChunked(v *Var, ext []uint64, shape []int64, start int64, es int, keepShuffle bool, place func(data []byte, c *chunkRef, shuffled bool)) error {
	ds := v.h5
	lay := ds.lay
	if lay.elemSize != 0 && lay.elemSize != es {
		return fmt.Errorf("variable %q: chunk element size %d, datatype size %d", v.Name, lay.elemSize, es)
	}
	cb := uint64(es)
	for _, c := range lay.chunk {
		if c > (1<<62)/cb {
			return fmt.Errorf("variable %q: chunk %v too large", v.Name, lay.chunk)
		}
		cb *= c
	}
	if cb > uint64(h.src.size)*maxRatio+maxOutputSlack {
		return fmt.Errorf("variable %q: chunk %v of %d bytes is absurd for a file of %d bytes", v.Name, lay.chunk, cb, h.src.size)
	}
	ds.once.Do(func() { ds.chunks, ds.cerr = h.chunkIndex(v, ext, cb) })
	if ds.cerr != nil {
		return ds.cerr
	}
	end := uint64(start) + uint64(shape[0])
	if len(shape) == 0 {
		end = 1
	}
	need := make([]int, 0, len(ds.chunks))
	for i := range ds.chunks {
		c := &ds.chunks[i]
		if len(c.origin) > 0 && (c.origin[0] >= end || c.origin[0]+lay.chunk[0] <= uint64(start)) {
			continue
		}
		need = append(need, i)
	}
	// Chunks cover disjoint parts of the output, so they can be decoded
	// in parallel; small reads stay on the calling goroutine. Workers
	// take batches of chunks as they go, so one that is slowed down (the
	// machine may be busy) holds up little.
	workers := min(runtime.GOMAXPROCS(0), 4, len(need)/8)
	if workers < 2 {
		st := h.getState()
		defer h.putState(st)
		for _, i := range need {
			c := &ds.chunks[i]
			data, shuffled, err := h.loadChunk(v, c, cb, st, keepShuffle)
			if err != nil {
				return err
			}
			place(data, c, shuffled)
		}
		return nil
	}
	batch := max(1, min(32, len(need)/(8*workers)))
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, workers)
	work := func(w int) {
		st := h.getState()
		defer h.putState(st)
		for !failed.Load() {
			lo := int(next.Add(int64(batch))) - batch
			if lo >= len(need) {
				return
			}
			for _, i := range need[lo:min(lo+batch, len(need))] {
				c := &ds.chunks[i]
				data, shuffled, err := h.loadChunk(v, c, cb, st, keepShuffle)
				if err != nil {
					errs[w] = err
					failed.Store(true)
					return
				}
				place(data, c, shuffled)
			}
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	work(0)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *h5file) getState() *chunkState {
	if s, ok := h.zpool.Get().(*chunkState); ok {
		return s
	}
	return &chunkState{}
}

func (h *h5file) putState(s *chunkState) { h.zpool.Put(s) }

func grow(b []byte, n uint64) []byte {
	if uint64(cap(b)) >= n {
		return b[:n]
	}
	return make([]byte, n)
}

// loadChunk reads one chunk and undoes its filters; the result has cb
// bytes and is valid until the next call with the same state. With
// keepShuffle, a shuffle filter of the datatype's element size that would
// be undone last is skipped and reported: the result is then the
// element bytes as byte planes, for decodeShuffledInto.
func (h *h5file) loadChunk(v *Var, c *chunkRef, cb uint64, st *chunkState, keepShuffle bool) ([]byte, bool, error) {
	lay := v.h5.lay
	if c.size > uint64(h.src.size) {
		return nil, false, fmt.Errorf("variable %q: chunk at 0x%x: stored size %d exceeds file size", v.Name, c.addr, c.size)
	}
	st.raw = grow(st.raw, c.size)
	if err := h.src.readInto(st.raw, c.addr, "chunk"); err != nil {
		return nil, false, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	shuffled := false
	cur := st.raw
	for i := len(lay.filters) - 1; i >= 0; i-- {
		f := lay.filters[i]
		if c.mask&(1<<uint(i)) != 0 {
			continue
		}
		switch f.id {
		case 1:
			want := cb
			for j := 0; j < i; j++ {
				if lay.filters[j].id == 3 && c.mask&(1<<uint(j)) == 0 {
					want += 4
				}
			}
			dst := &st.a
			if len(cur) > 0 && len(*dst) > 0 && &cur[0] == &(*dst)[0] {
				dst = &st.b
			}
			*dst = grow(*dst, want)
			n, err := zlibInflate(cur, *dst, &st.inf)
			if err != nil {
				return nil, false, fmt.Errorf("variable %q: deflate chunk at 0x%x: %w", v.Name, c.addr, err)
			}
			cur = (*dst)[:n]
		case 2:
			es := 1
			if len(f.client) > 0 {
				es = int(f.client[0])
			}
			if es <= 1 || len(cur) < es {
				continue
			}
			if keepShuffle && i == 0 && es == int(v.h5.typ.size) && len(cur)%es == 0 {
				shuffled = true
				continue
			}
			dst := &st.a
			if len(cur) > 0 && len(*dst) > 0 && &cur[0] == &(*dst)[0] {
				dst = &st.b
			}
			*dst = grow(*dst, uint64(len(cur)))
			unshuffle(*dst, cur, es)
			cur = *dst
		case 3:
			if len(cur) < 4 {
				return nil, false, fmt.Errorf("variable %q: fletcher32 chunk at 0x%x: too short", v.Name, c.addr)
			}
			n := len(cur) - 4
			stored := binary.LittleEndian.Uint32(cur[n:])
			sum := fletcher32(cur[:n])
			rev := (sum&0xff)<<8 | (sum>>8)&0xff | ((sum>>16)&0xff)<<24 | (sum>>24)<<16
			if stored != sum && stored != rev {
				return nil, false, fmt.Errorf("variable %q: chunk at 0x%x: fletcher32 checksum mismatch", v.Name, c.addr)
			}
			h.feat.hit("fletcher32 verified")
			cur = cur[:n]
		default:
			// An optional filter the writer could not apply is flagged in
			// the chunk's mask; anything else must be decoded.
			return nil, false, fmt.Errorf("unsupported filter %d (%s) in variable %q", f.id, filterName(f.id), v.Name)
		}
	}
	if uint64(len(cur)) < cb {
		return nil, false, fmt.Errorf("variable %q: chunk at 0x%x decodes to %d bytes, want %d", v.Name, c.addr, len(cur), cb)
	}
	return cur[:cb], shuffled, nil
}

// unshuffle reverses the HDF5 shuffle filter (byte planes to elements).
func unshuffle(dst, src []byte, es int) {
	n := len(src) / es
	switch es {
	case 2:
		p0, p1 := src[:n], src[n:2*n]
		for i := 0; i < n; i++ {
			dst[2*i] = p0[i]
			dst[2*i+1] = p1[i]
		}
	case 4:
		p0, p1, p2, p3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
		for i := 0; i < n; i++ {
			d := dst[4*i : 4*i+4]
			d[0], d[1], d[2], d[3] = p0[i], p1[i], p2[i], p3[i]
		}
	default:
		for j := 0; j < es; j++ {
			p := src[j*n : (j+1)*n]
			for i := 0; i < n; i++ {
				dst[i*es+j] = p[i]
			}
		}
	}
	// Bytes past the last whole element are left as they are.
	copy(dst[n*es:], src[n*es:])
}

// fletcher32 is HDF5's Fletcher-32 checksum (16-bit big-endian words).
func fletcher32(data []byte) uint32 {
	var s1, s2 uint32
	n := len(data) / 2
	p := 0
	for n > 0 {
		t := min(n, 360)
		n -= t
		for ; t > 0; t-- {
			s1 += uint32(data[p])<<8 | uint32(data[p+1])
			p += 2
			s2 += s1
		}
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(data)%2 == 1 {
		s1 += uint32(data[p]) << 8
		s2 += s1
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}

package netcdf

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

// zlibInflate decodes every deflate chunk, whatever its size, from the
// whole stream in memory straight into the chunk buffer. It is table
// driven: a 64-bit bit buffer refilled eight bytes at a time, one lookup
// of up to litBits (distBits) bits per literal/length (distance) code,
// with a second-level table for longer codes, and each table entry
// carrying the base and extra-bit count of a length or distance. Tables
// are built per block, so building them must stay cheap: the primary
// table is only as wide as the block's longest code (a block of a small
// chunk often needs 2^8 entries, not 2^10) and is filled by doubling.

// Primary table widths, in bits.
const (
	litBits  = 10
	distBits = 8
)

// Table sizes: the primary table plus as much again for second-level
// tables, more than complete codes need (zlib's enough.c computes the
// exact bound); the builder refuses a code that would not fit anyway.
const (
	litTableSize  = 2048
	distTableSize = 1024
)

// A table entry is a uint32:
//
//	bits 0-3   code length (bits to consume); 0 marks "no such code"
//	bits 4-7   extra bits of a length or distance; for a link, the
//	           second-level table's width
//	bit 8      literal (value is the byte; also marks code-length symbols)
//	bit 9      end of block
//	bit 10     link to a second-level table starting at value
//	bits 16-31 value: literal, length base, distance base, symbol or link
const (
	entLit   = 1 << 8
	entEOB   = 1 << 9
	entLink  = 1 << 10
	entShift = 16
)

// litInfo, distInfo and clenInfo are the entries of each symbol without
// their code length: constant tables. Symbols that may have a code but
// must never be decoded (lit/len 286-287, distances 30-31) are 0.
var (
	litInfo = func() (t [288]uint32) {
		base := [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
		extra := [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
		for s := 0; s < 256; s++ {
			t[s] = uint32(s)<<entShift | entLit
		}
		t[256] = entEOB
		for s := 0; s < 29; s++ {
			t[257+s] = base[s]<<entShift | extra[s]<<4
		}
		return t
	}()
	distInfo = func() (t [32]uint32) {
		base := [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
		extra := [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
		for s := 0; s < 30; s++ {
			t[s] = base[s]<<entShift | extra[s]<<4
		}
		return t
	}()
	clenInfo = func() (t [19]uint32) {
		for s := range t {
			t[s] = uint32(s)<<entShift | entLit
		}
		return t
	}()
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// fixedCodes holds the decoding tables of the fixed Huffman code (RFC
// 1951 section 3.2.6), built once; they are never written afterwards.
var fixedCodes = func() (f struct {
	lit            [1 << 9]uint32
	dist           [1 << 5]uint32
	litBits, dBits uint
}) {
	var c codeLengths
	for sym := range 288 {
		switch {
		case sym < 144, sym >= 280:
			c.add(sym, 8)
		case sym < 256:
			c.add(sym, 9)
		default:
			c.add(sym, 7)
		}
	}
	f.litBits, _ = buildTable(f.lit[:], &c, litInfo[:], litBits)
	c = codeLengths{}
	for sym := range 32 {
		c.add(sym, 5)
	}
	f.dBits, _ = buildTable(f.dist[:], &c, distInfo[:], distBits)
	return f
}()

var (
	errInflate   = errors.New("invalid deflate data")
	errTruncated = errors.New("deflate stream truncated")
	errTooLong   = errors.New("deflate output exceeds the declared chunk size")
)

// codeLengths lists the symbols of a code by code length, each list in
// symbol order: the canonical order of their codes. Code lengths arrive
// in symbol order, so the lists are built as they are read, without a
// sorting pass over all symbols (most of a small block's symbols have
// no code).
type codeLengths struct {
	count [16]uint16
	sym   [16][288]uint16
}

// add appends sym, which must come after every symbol added so far, with
// code length l (list 0 holds the symbols without a code).
func (c *codeLengths) add(sym int, l uint8) {
	c.sym[l][c.count[l]] = uint16(sym)
	c.count[l]++
}

// inflater holds the per-block tables of zlibInflate, reused across
// chunks by one goroutine.
type inflater struct {
	lit        [litTableSize]uint32
	dist       [distTableSize]uint32
	clen       [1 << 7]uint32
	lits, dsts codeLengths
}

// buildTable fills t with the decoding table of the code c, whose entries
// are info[symbol] | code length. The primary table is min(maxBits,
// longest code) bits wide; longer codes go to second-level tables after
// it. It returns the primary width, and false for an over-subscribed code
// or an incomplete one other than a single one-bit code (the cases
// compress/flate accepts); an empty code gives a table of "no such code".
func buildTable(t []uint32, c *codeLengths, info []uint32, maxBits uint) (uint, bool) {
	maxLen := uint(15)
	for maxLen > 0 && c.count[maxLen] == 0 {
		maxLen--
	}
	if maxLen == 0 {
		t[0], t[1] = 0, 0
		return 1, true
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(c.count[l])
		if left < 0 {
			return 0, false
		}
	}
	if left > 0 && !(maxLen == 1 && c.count[1] == 1) {
		return 0, false
	}
	// At length l the primary table holds 1<<l entries, every code of
	// length at most l at its bit-reversed index (codes are sent most
	// significant bit first); doubling it by copying repeats the shorter
	// codes over the new index bit. Entries of no code stay 0.
	tb := min(maxBits, maxLen)
	t[0] = 0
	code, size := 0, 1
	for l := uint(1); l <= tb; l++ {
		copy(t[size:2*size], t[:size])
		size *= 2
		for _, sym := range c.sym[l][:c.count[l]] {
			e := info[sym]
			if e != 0 {
				e |= uint32(l)
			}
			t[bits.Reverse16(uint16(code))>>(16-l)] = e
			code++
		}
		code <<= 1
	}
	if maxLen == tb {
		return tb, true
	}
	// Longer codes: codes sharing their first tb bits are consecutive in
	// canonical order and share one second-level table, as wide as the
	// longest of them needs (zlib's inflate_table).
	rem := c.count
	next := size
	prefix, start, width := -1, 0, uint(0)
	for l := tb + 1; l <= maxLen; l++ {
		for _, sym := range c.sym[l][:c.count[l]] {
			r := int(bits.Reverse16(uint16(code)) >> (16 - l))
			if p := r & (1<<tb - 1); p != prefix {
				w := l - tb
				room := 1 << w
				for w+tb < maxLen {
					room -= int(rem[w+tb])
					if room <= 0 {
						break
					}
					w++
					room <<= 1
				}
				if next+1<<w > len(t) {
					return 0, false
				}
				t[p] = uint32(next)<<entShift | uint32(w)<<4 | entLink
				prefix, start, width = p, next, w
				clear(t[start : start+1<<w])
				next += 1 << w
			}
			e := info[sym]
			if e != 0 {
				e |= uint32(l)
			}
			for j := r >> tb; j < 1<<width; j += 1 << (l - tb) {
				t[start+j] = e
			}
			rem[l]--
			code++
		}
		code <<= 1
	}
	return tb, true
}

// bitReader is the bit-level input state outside the decoding loops,
// which keep it in local variables.
type bitReader struct {
	in  []byte
	pos int    // next input byte; beyond len(in) counts zero bytes added at the end
	b   uint64 // bits, least significant first; bits above nb are the next input bits
	nb  uint
}

// refill tops the buffer up to at least 56 bits. Past the end of the
// input it adds zero bytes, which a valid stream never consumes: it fails
// once a zero byte has been consumed, so decoding garbage ends.
func (r *bitReader) refill() bool {
	if r.pos+8 <= len(r.in) {
		r.b |= binary.LittleEndian.Uint64(r.in[r.pos:]) << r.nb
		r.pos += int(63-r.nb) >> 3
		r.nb |= 56
		return true
	}
	if r.pos > len(r.in) && uint(r.pos-len(r.in))*8 > r.nb {
		return false
	}
	for r.nb <= 56 {
		if r.pos < len(r.in) {
			r.b |= uint64(r.in[r.pos]) << r.nb
		}
		r.pos++
		r.nb += 8
	}
	return true
}

// bits returns the next n ≤ 32 bits.
func (r *bitReader) bits(n uint) (uint32, bool) {
	if r.nb < n && !r.refill() {
		return 0, false
	}
	v := uint32(r.b & (1<<n - 1))
	r.b >>= n
	r.nb -= n
	return v, true
}

// align drops the bits up to the next byte boundary and hands whole
// buffered bytes back to the input; false if that reaches past its end.
func (r *bitReader) align() bool {
	r.pos -= int(r.nb / 8)
	r.b, r.nb = 0, 0
	return r.pos <= len(r.in)
}

// zlibInflate decodes the zlib stream in into out and returns the number
// of bytes written. The stream must fit in out, end, and match its
// Adler-32 checksum; like compress/zlib it rejects preset dictionaries and
// ignores bytes after the checksum.
func zlibInflate(in, out []byte, z *inflater) (int, error) {
	if len(in) < 6 || in[0]&0x0f != 8 || in[0]>>4 > 7 || (uint(in[0])<<8|uint(in[1]))%31 != 0 || in[1]&0x20 != 0 {
		return 0, errors.New("invalid zlib header")
	}
	r := &bitReader{in: in, pos: 2}
	n := 0
	for {
		hdr, ok := r.bits(3)
		if !ok {
			return 0, errTruncated
		}
		var err error
		switch hdr >> 1 {
		case 0:
			n, err = r.stored(out, n)
		case 1:
			n, err = r.codes(out, n, fixedCodes.lit[:], fixedCodes.litBits, fixedCodes.dist[:], fixedCodes.dBits)
		case 2:
			var lb, db uint
			if lb, db, err = z.dynamic(r); err == nil {
				n, err = r.codes(out, n, z.lit[:], lb, z.dist[:], db)
			}
		default:
			err = errInflate
		}
		if err != nil {
			return 0, err
		}
		if hdr&1 != 0 {
			break
		}
	}
	if !r.align() || r.pos+4 > len(in) {
		return 0, errors.New("zlib stream truncated before its checksum")
	}
	if adler32.Checksum(out[:n]) != binary.BigEndian.Uint32(in[r.pos:]) {
		return 0, errors.New("zlib checksum mismatch")
	}
	return n, nil
}

// stored copies a stored block to out[n:].
func (r *bitReader) stored(out []byte, n int) (int, error) {
	if !r.align() || r.pos+4 > len(r.in) {
		return 0, errTruncated
	}
	ln := int(binary.LittleEndian.Uint16(r.in[r.pos:]))
	if binary.LittleEndian.Uint16(r.in[r.pos+2:]) != ^uint16(ln) {
		return 0, errInflate
	}
	r.pos += 4
	if ln > len(r.in)-r.pos {
		return 0, errTruncated
	}
	if ln > len(out)-n {
		return 0, errTooLong
	}
	copy(out[n:], r.in[r.pos:r.pos+ln])
	r.pos += ln
	return n + ln, nil
}

// dynamic reads the code lengths of a dynamic block and builds its
// tables; it returns their primary widths.
func (z *inflater) dynamic(r *bitReader) (uint, uint, error) {
	h, ok := r.bits(14)
	if !ok {
		return 0, 0, errTruncated
	}
	nlen := int(h&31) + 257
	ndist := int(h>>5&31) + 1
	ncode := int(h>>10) + 4
	if nlen > 286 || ndist > 30 {
		return 0, 0, errInflate
	}
	var cl [19]uint8
	for i := 0; i < ncode; i++ {
		v, ok := r.bits(3)
		if !ok {
			return 0, 0, errTruncated
		}
		cl[clOrder[i]] = uint8(v)
	}
	lits, dsts := &z.lits, &z.dsts
	lits.count = [16]uint16{}
	for sym, l := range cl {
		if l != 0 {
			lits.add(sym, l)
		}
	}
	cb, ok := buildTable(z.clen[:], lits, clenInfo[:], 7)
	if !ok {
		return 0, 0, errInflate
	}
	// The code lengths, with the bit buffer in locals; a code-length code
	// and its repeat bits take at most 14 bits.
	ct := &z.clen
	cmask := uint64(1)<<cb - 1
	lits.count = [16]uint16{}
	dsts.count = [16]uint16{}
	total := nlen + ndist
	prev := uint8(0)
	eob := false // the end-of-block symbol has a code
	b, nb := r.b, r.nb
	for i := 0; i < total; {
		if nb < 14 {
			r.b, r.nb = b, nb
			if !r.refill() {
				return 0, 0, errTruncated
			}
			b, nb = r.b, r.nb
		}
		e := ct[b&cmask]
		l := uint(e & 15)
		if l == 0 {
			return 0, 0, errInflate
		}
		b >>= l
		nb -= l
		sym := e >> entShift
		if sym < 16 {
			// Length 0 goes to list 0 too, which no table uses: one
			// branch fewer per length.
			if i < nlen {
				lits.add(i, uint8(sym))
			} else {
				dsts.add(i-nlen, uint8(sym))
			}
			if i == 256 {
				eob = sym != 0
			}
			prev = uint8(sym)
			i++
			continue
		}
		var rep int
		switch sym {
		case 16:
			if i == 0 {
				return 0, 0, errInflate
			}
			rep = 3 + int(b&3)
			b >>= 2
			nb -= 2
		case 17:
			prev = 0
			rep = 3 + int(b&7)
			b >>= 3
			nb -= 3
		default:
			prev = 0
			rep = 11 + int(b&127)
			b >>= 7
			nb -= 7
		}
		if rep > total-i {
			return 0, 0, errInflate
		}
		if prev != 0 {
			for j := i; j < i+rep; j++ {
				if j < nlen {
					lits.add(j, prev)
				} else {
					dsts.add(j-nlen, prev)
				}
			}
			if i <= 256 && 256 < i+rep {
				eob = true
			}
		}
		i += rep
	}
	r.b, r.nb = b, nb
	if !eob {
		return 0, 0, errInflate
	}
	lb, ok := buildTable(z.lit[:], lits, litInfo[:], litBits)
	if !ok {
		return 0, 0, errInflate
	}
	db, ok := buildTable(z.dist[:], dsts, distInfo[:], distBits)
	if !ok {
		return 0, 0, errInflate
	}
	return lb, db, nil
}

// codes decodes one Huffman-coded block into out[n:] with the given
// tables and returns the new output length.
func (r *bitReader) codes(out []byte, n int, lt []uint32, lb uint, dt []uint32, db uint) (int, error) {
	in := r.in
	b, nb, pos := r.b, r.nb, r.pos
	lmask := uint64(1)<<lb - 1
	dmask := uint64(1)<<db - 1
	for {
		// After a refill the buffer holds at least 56 bits: two literal
		// codes, or a length code with its extra bits (20 bits) before
		// the check below.
		if pos+8 <= len(in) {
			b |= binary.LittleEndian.Uint64(in[pos:]) << nb
			pos += int(63-nb) >> 3
			nb |= 56
		} else {
			r.b, r.nb, r.pos = b, nb, pos
			if !r.refill() {
				return 0, errTruncated
			}
			b, nb, pos = r.b, r.nb, r.pos
		}
		e := lt[b&lmask]
		if e&entLink != 0 {
			e = lt[e>>entShift+uint32(b>>lb)&(1<<(e>>4&15)-1)]
		}
		if e&entLit != 0 {
			l := uint(e & 15)
			b >>= l
			nb -= l
			if uint(n) >= uint(len(out)) {
				return 0, errTooLong
			}
			out[n] = byte(e >> entShift)
			n++
			e = lt[b&lmask]
			if e&entLink != 0 {
				e = lt[e>>entShift+uint32(b>>lb)&(1<<(e>>4&15)-1)]
			}
			if e&entLit != 0 {
				l := uint(e & 15)
				b >>= l
				nb -= l
				if uint(n) >= uint(len(out)) {
					return 0, errTooLong
				}
				out[n] = byte(e >> entShift)
				n++
				continue
			}
		}
		l := uint(e & 15)
		if l == 0 {
			return 0, errInflate
		}
		b >>= l
		nb -= l
		if e&entEOB != 0 {
			r.b, r.nb, r.pos = b, nb, pos
			return n, nil
		}
		x := uint(e >> 4 & 15)
		length := int(e>>entShift) + int(b&(1<<x-1))
		b >>= x
		nb -= x
		// A distance code and its extra bits take at most 28 bits.
		if nb < 28 {
			if pos+8 <= len(in) {
				b |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int(63-nb) >> 3
				nb |= 56
			} else {
				r.b, r.nb, r.pos = b, nb, pos
				if !r.refill() {
					return 0, errTruncated
				}
				b, nb, pos = r.b, r.nb, r.pos
			}
		}
		d := dt[b&dmask]
		if d&entLink != 0 {
			d = dt[d>>entShift+uint32(b>>db)&(1<<(d>>4&15)-1)]
		}
		l = uint(d & 15)
		if l == 0 {
			return 0, errInflate
		}
		b >>= l
		nb -= l
		x = uint(d >> 4 & 15)
		dist := int(d>>entShift) + int(b&(1<<x-1))
		b >>= x
		nb -= x
		if dist > n {
			return 0, errInflate
		}
		if length > len(out)-n {
			return 0, errTooLong
		}
		n = copyMatch(out, n, dist, length)
	}
}

// wordDist[d] is, for a match distance d < 8, the smallest multiple of d
// of at least 8: the bytes of a match repeat with that period too.
var wordDist = [8]int{0, 8, 8, 9, 8, 10, 12, 14}

// copyMatch appends length bytes copied from dist bytes back (dist ≤ n,
// n+length ≤ len(out)) and returns the new length. Away from the end of
// out it copies eight bytes at a time, writing up to seven bytes past the
// match, which later output overwrites.
func copyMatch(out []byte, n, dist, length int) int {
	end := n + length
	if len(out)-end < 8 {
		for i := n; i < end; i++ {
			out[i] = out[i-dist]
		}
		return end
	}
	i := n
	if dist < 8 {
		// The first eight bytes one by one; from there the bytes of
		// the match repeat with a period of at least eight.
		for stop := n + min(8, length); i < stop; i++ {
			out[i] = out[i-dist]
		}
		dist = wordDist[dist]
	}
	for ; i < end; i += 8 {
		binary.LittleEndian.PutUint64(out[i:], binary.LittleEndian.Uint64(out[i-dist:]))
	}
	return end
}

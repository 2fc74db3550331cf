package netcdf

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

// Small chunks (a minute of records) are dominated by the cost of
// building Huffman lookup tables in compress/flate. smallInflate decodes
// zlib streams with small lookup tables (cheap to build) and canonical
// bit-by-bit decoding of long codes, straight into the destination; it
// follows Mark Adler's puff. Large chunks go to compress/flate.

// smallInflateMax is the largest decoded chunk handled by smallInflate.
const smallInflateMax = 8 << 10

var errInflate = errors.New("invalid deflate data")

// fastBits is the code length resolved by one table lookup; longer codes
// (rare) are decoded canonically bit by bit.
const fastBits = 8

// huffman is one decoding code: a lookup table for codes of up to
// fastBits bits and the symbols sorted by code length, which builds the
// table and serves the canonical decoding of longer codes.
type huffman struct {
	count   [16]int16
	fast    [1 << fastBits]uint16 // symbol<<4 | length, 0 when longer
	length  []int16               // code lengths by symbol, for the lazy list
	symbol  [288]int16
	symbols bool // symbol is built
}

// inflater holds the reusable state of zlibInflate.
type inflater struct {
	lit, dist, clen huffman
	lengths         [320]int16
	cl              [19]int16
	fixedLit        [288]int16
	fixedDist       [30]int16
	fixedLitCode    huffman
	fixedDistCode   huffman
	fixedReady      bool
}

type puff struct {
	in     []byte
	pos    int
	bitbuf uint64 // bits above bitcnt, if any, are the next input bits
	bitcnt uint
	out    []byte
	n      int
	bad    bool
}

func (s *puff) bits(need uint) int {
	if s.bitcnt < need {
		s.refill()
		if s.bitcnt < need {
			s.bad = true
			return 0
		}
	}
	v := int(s.bitbuf & (1<<need - 1))
	s.bitbuf >>= need
	s.bitcnt -= need
	return v
}

// refill tops the bit buffer up to at least 56 bits while input lasts,
// eight bytes at a time away from the end of the input.
func (s *puff) refill() {
	if s.pos+8 <= len(s.in) {
		s.bitbuf |= binary.LittleEndian.Uint64(s.in[s.pos:]) << s.bitcnt
		s.pos += int(63-s.bitcnt) >> 3
		s.bitcnt |= 56
		return
	}
	for s.bitcnt <= 56 && s.pos < len(s.in) {
		s.bitbuf |= uint64(s.in[s.pos]) << s.bitcnt
		s.pos++
		s.bitcnt += 8
	}
}

// align drops the bits up to the next byte boundary and hands whole
// buffered bytes back to the input.
func (s *puff) align() {
	s.pos -= int(s.bitcnt / 8)
	s.bitbuf, s.bitcnt = 0, 0
}

// construct builds a code from its code lengths and their counts
// (count[l] = number of symbols of length l). Over-subscribed codes fail,
// and so do incomplete ones unless allowIncomplete or, like
// compress/flate, the code is a single one-bit code.
func (h *huffman) construct(length []int16, count *[16]int16, allowIncomplete bool) bool {
	h.count = *count
	h.length = length
	h.symbols = false
	if int(h.count[0]) == len(length) {
		h.fast = [1 << fastBits]uint16{}
		return true
	}
	left := 1
	for l := 1; l < 16; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return false
		}
	}
	if left > 0 && !allowIncomplete && !(h.count[1] == 1 && int(h.count[0]) == len(length)-1) {
		return false
	}
	// Sort the symbols by code length (the list canonical decoding of
	// long codes needs), then fill the table one code length at a time:
	// at length l the table holds 1<<l entries, in which every code of
	// length at most l sits at its bit-reversed index (deflate sends codes
	// most significant bit first); doubling the table by copying repeats
	// the shorter codes over the new index bit. Entries of no code (an
	// incomplete code, or prefixes of codes longer than fastBits) stay 0,
	// "not in the table".
	h.buildSymbols()
	h.fast[0], h.fast[1] = 0, 0
	code, index, size := 0, 0, 2
	for l := 1; l <= fastBits; l++ {
		if l > 1 {
			copy(h.fast[size:2*size], h.fast[:size])
			size *= 2
		}
		n := int(h.count[l])
		for _, sym := range h.symbol[index : index+n] {
			r := int(bits.Reverse8(uint8(code))) >> (8 - l)
			h.fast[r] = uint16(sym)<<4 | uint16(l)
			code++
		}
		index += n
		code <<= 1
	}
	return true
}

// buildSymbols sorts the symbols by code length for canonical decoding.
func (h *huffman) buildSymbols() {
	var offs [16]int16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for sym, l := range h.length {
		if l != 0 {
			h.symbol[offs[l]] = int16(sym)
			offs[l]++
		}
	}
	h.symbols = true
}

func (s *puff) decode(h *huffman) int {
	if s.bitcnt < fastBits {
		s.refill()
	}
	if e := h.fast[s.bitbuf&(1<<fastBits-1)]; e != 0 && uint(e&15) <= s.bitcnt {
		n := uint(e & 15)
		s.bitbuf >>= n
		s.bitcnt -= n
		return int(e >> 4)
	}
	if !h.symbols {
		h.buildSymbols()
	}
	code, first, index := 0, 0, 0
	for l := 1; l <= 15; l++ {
		code |= s.bits(1)
		if s.bad {
			return -1
		}
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+(code-first)])
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	s.bad = true
	return -1
}

var (
	lenBase  = [29]int16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dstBase  = [30]int32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dstExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder  = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func (s *puff) codes(lc, dc *huffman) bool {
	for {
		// The table lookup of decode, inlined for the common case.
		if s.bitcnt < fastBits {
			s.refill()
		}
		var sym int
		if e := lc.fast[s.bitbuf&(1<<fastBits-1)]; e != 0 && uint(e&15) <= s.bitcnt {
			n := uint(e & 15)
			s.bitbuf >>= n
			s.bitcnt -= n
			sym = int(e >> 4)
		} else {
			sym = s.decode(lc)
			if s.bad || sym < 0 {
				return false
			}
		}
		if sym < 256 {
			if s.n >= len(s.out) {
				return false
			}
			s.out[s.n] = byte(sym)
			s.n++
			continue
		}
		if sym == 256 {
			return true
		}
		sym -= 257
		if sym >= 29 {
			return false
		}
		ln := int(lenBase[sym]) + s.bits(uint(lenExtra[sym]))
		ds := s.decode(dc)
		if s.bad || ds < 0 || ds >= 30 {
			return false
		}
		dist := int(dstBase[ds]) + s.bits(uint(dstExtra[ds]))
		if s.bad || dist > s.n || s.n+ln > len(s.out) {
			return false
		}
		src := s.n - dist
		if dist >= ln {
			copy(s.out[s.n:s.n+ln], s.out[src:src+ln])
		} else {
			for i := 0; i < ln; i++ {
				s.out[s.n+i] = s.out[src+i]
			}
		}
		s.n += ln
	}
}

// zlibInflate decodes the zlib stream in into out and returns the number
// of bytes written; the stream must end and match its Adler-32 checksum.
func zlibInflate(in, out []byte, z *inflater) (int, error) {
	if len(in) < 6 || in[0]&0x0f != 8 || in[0]>>4 > 7 || (uint(in[0])<<8|uint(in[1]))%31 != 0 || in[1]&0x20 != 0 {
		return 0, errors.New("invalid zlib header")
	}
	s := &puff{in: in, pos: 2, out: out}
	for {
		last := s.bits(1)
		typ := s.bits(2)
		if s.bad {
			return 0, errInflate
		}
		switch typ {
		case 0:
			s.align()
			if s.pos+4 > len(s.in) {
				return 0, errInflate
			}
			n := int(binary.LittleEndian.Uint16(s.in[s.pos:]))
			if binary.LittleEndian.Uint16(s.in[s.pos+2:]) != ^uint16(n) {
				return 0, errInflate
			}
			s.pos += 4
			if s.pos+n > len(s.in) || s.n+n > len(s.out) {
				return 0, errInflate
			}
			copy(s.out[s.n:], s.in[s.pos:s.pos+n])
			s.pos += n
			s.n += n
		case 1:
			if !z.fixedReady {
				for i := range z.fixedLit {
					switch {
					case i < 144:
						z.fixedLit[i] = 8
					case i < 256:
						z.fixedLit[i] = 9
					case i < 280:
						z.fixedLit[i] = 7
					default:
						z.fixedLit[i] = 8
					}
				}
				for i := range z.fixedDist {
					z.fixedDist[i] = 5
				}
				lc := [16]int16{7: 24, 8: 152, 9: 112}
				dc := [16]int16{5: 30}
				z.fixedLitCode.construct(z.fixedLit[:], &lc, false)
				// The fixed distance code uses 30 of 32 five-bit codes.
				z.fixedDistCode.construct(z.fixedDist[:], &dc, true)
				z.fixedReady = true
			}
			if !s.codes(&z.fixedLitCode, &z.fixedDistCode) {
				return 0, errInflate
			}
		case 2:
			nlen := s.bits(5) + 257
			ndist := s.bits(5) + 1
			ncode := s.bits(4) + 4
			if s.bad || nlen > 286 || ndist > 30 {
				return 0, errInflate
			}
			z.cl = [19]int16{}
			var cc [16]int16
			for i := 0; i < ncode; i++ {
				v := int16(s.bits(3))
				z.cl[clOrder[i]] = v
				cc[v]++
			}
			cc[0] += int16(19 - ncode)
			if s.bad || !z.clen.construct(z.cl[:], &cc, false) {
				return 0, errInflate
			}
			l := z.lengths[:nlen+ndist]
			var lcnt, dcnt [16]int16
			for i := 0; i < nlen+ndist; {
				if s.bitcnt < fastBits {
					s.refill()
				}
				var sym int
				if e := z.clen.fast[s.bitbuf&(1<<fastBits-1)]; e != 0 && uint(e&15) <= s.bitcnt {
					n := uint(e & 15)
					s.bitbuf >>= n
					s.bitcnt -= n
					sym = int(e >> 4)
				} else if sym = s.decode(&z.clen); s.bad || sym < 0 {
					return 0, errInflate
				}
				if sym < 16 {
					l[i] = int16(sym)
					if i < nlen {
						lcnt[sym]++
					} else {
						dcnt[sym]++
					}
					i++
					continue
				}
				var v int16
				var rep int
				switch sym {
				case 16:
					if i == 0 {
						return 0, errInflate
					}
					v = l[i-1]
					rep = 3 + s.bits(2)
				case 17:
					rep = 3 + s.bits(3)
				default:
					rep = 11 + s.bits(7)
				}
				if s.bad || i+rep > nlen+ndist {
					return 0, errInflate
				}
				inLit := 0
				if i < nlen {
					inLit = min(rep, nlen-i)
				}
				lcnt[v] += int16(inLit)
				dcnt[v] += int16(rep - inLit)
				for end := i + rep; i < end; i++ {
					l[i] = v
				}
			}
			if l[256] == 0 || !z.lit.construct(l[:nlen], &lcnt, false) || !z.dist.construct(l[nlen:], &dcnt, false) {
				return 0, errInflate
			}
			if !s.codes(&z.lit, &z.dist) {
				return 0, errInflate
			}
		default:
			return 0, errInflate
		}
		if last == 1 {
			break
		}
	}
	s.align()
	if s.pos+4 > len(s.in) {
		return 0, errors.New("zlib stream truncated before its checksum")
	}
	if adler32.Checksum(s.out[:s.n]) != binary.BigEndian.Uint32(s.in[s.pos:]) {
		return 0, errors.New("zlib checksum mismatch")
	}
	return s.n, nil
}

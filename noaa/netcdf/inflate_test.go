package netcdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"io"
	"math/bits"
	"math/rand"
	"sync"
	"testing"
)

// zlibSamples holds zlib streams of varied data at every level, so the
// decoder meets stored, fixed and dynamic blocks, small and large.
var zlibSamples = sync.OnceValue(func() [][2][]byte {
	rng := rand.New(rand.NewSource(7))
	var out [][2][]byte
	for _, n := range []int{0, 1, 2, 12, 30, 60, 240, 480, 4000, 8192, 70000, 1 << 20} {
		for kind := 0; kind < 5; kind++ {
			raw := make([]byte, n)
			switch kind {
			case 0: // incompressible
				rng.Read(raw)
			case 1: // short runs
				for i := range raw {
					raw[i] = byte(i / 7 % 5)
				}
			case 2: // few symbols
				for i := range raw {
					raw[i] = "abcabcabd"[rng.Intn(9)]
				}
			case 3: // skewed bytes: long literal codes
				for i := range raw {
					raw[i] = byte(bits.TrailingZeros32(rng.Uint32()|1<<31) * 8)
				}
			case 4: // shuffled float32 planes, as HDF5 stores them
				v := make([]byte, 4*(n/4))
				for i := 0; i+4 <= len(v); i += 4 {
					binary.LittleEndian.PutUint32(v[i:], 0x3f800000+uint32(rng.Intn(1<<12)))
				}
				unshuffle(raw, v, 4) // a permutation either way
			}
			if n > 1<<16 && kind != 4 && kind != 0 {
				continue
			}
			for _, lvl := range []int{zlib.NoCompression, zlib.BestSpeed, 4, zlib.BestCompression, zlib.HuffmanOnly} {
				var b bytes.Buffer
				w, _ := zlib.NewWriterLevel(&b, lvl)
				w.Write(raw)
				w.Close()
				out = append(out, [2][]byte{raw, b.Bytes()})
			}
		}
	}
	return out
})

// TestInflateMatchesZlib checks the decoder against compress/zlib's
// encoder on every block type and size, with exact, short and roomy
// destinations and damaged checksums.
func TestInflateMatchesZlib(t *testing.T) {
	var z inflater
	for i, s := range zlibSamples() {
		out := make([]byte, len(s[0]))
		n, err := zlibInflate(s[1], out, &z)
		if err != nil {
			t.Fatalf("sample %d (%d bytes): %v", i, len(s[0]), err)
		}
		if n != len(s[0]) || !bytes.Equal(out, s[0]) {
			t.Fatalf("sample %d: output differs", i)
		}
		// Room to spare: same bytes, same count.
		big := make([]byte, len(s[0])+100)
		if n, err := zlibInflate(s[1], big, &z); err != nil || n != len(s[0]) || !bytes.Equal(big[:n], s[0]) {
			t.Fatalf("sample %d with a larger destination: %d bytes, %v", i, n, err)
		}
		// A destination one byte short must fail, not overrun.
		if len(s[0]) > 0 {
			if _, err := zlibInflate(s[1], make([]byte, len(s[0])-1), &z); err == nil {
				t.Fatalf("sample %d: short destination accepted", i)
			}
		}
		// A damaged checksum must fail.
		bad := bytes.Clone(s[1])
		bad[len(bad)-1] ^= 1
		if _, err := zlibInflate(bad, out, &z); err == nil {
			t.Fatalf("sample %d: bad checksum accepted", i)
		}
	}
}

// TestInflateNoAllocs checks decoding allocates nothing: the output
// buffer is the caller's, the tables are the inflater's.
func TestInflateNoAllocs(t *testing.T) {
	s := zlibSamples()
	var z inflater
	for _, i := range []int{40, len(s) - 3} {
		out := make([]byte, len(s[i][0]))
		if a := testing.AllocsPerRun(5, func() { zlibInflate(s[i][1], out, &z) }); a != 0 {
			t.Errorf("sample %d: %v allocations per decode", i, a)
		}
	}
}

// bitWriter writes deflate's bit stream: values least significant bit
// first, Huffman codes most significant bit first.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) code(c uint16, l uint8) {
	w.bits(uint64(bits.Reverse16(c)>>(16-l)), uint(l))
}

func (w *bitWriter) align() {
	if w.n > 0 {
		w.bits(0, 8-w.n)
	}
}

// canonical returns the canonical Huffman codes of the code lengths, as
// RFC 1951 section 3.2.2 computes them.
func canonical(lens []uint8) []uint16 {
	var count, next [16]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	code := uint16(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint16, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// The length and distance tables of RFC 1951 section 3.2.5, for the
// encoder.
var (
	rfcLenBase   = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	rfcLenExtra  = []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	rfcDistBase  = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	rfcDistExtra = []uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// symbolFor returns the symbol whose range holds v: the last base ≤ v.
// Length 258 has its own symbol.
func symbolFor(base []int, v int) int {
	s := 0
	for i, b := range base {
		if b <= v {
			s = i
		}
	}
	return s
}

// token is a literal (lit ≥ 0) or a match.
type token struct{ lit, length, dist int }

// streamBuilder writes deflate blocks and keeps the output they decode
// to, computed by the definition (a match copies byte by byte from dist
// back).
type streamBuilder struct {
	w    bitWriter
	want []byte
}

func (s *streamBuilder) apply(tk token) {
	if tk.lit >= 0 {
		s.want = append(s.want, byte(tk.lit))
		return
	}
	for i := 0; i < tk.length; i++ {
		s.want = append(s.want, s.want[len(s.want)-tk.dist])
	}
}

func (s *streamBuilder) stored(data []byte, last bool) {
	s.w.bits(b2u(last), 1)
	s.w.bits(0, 2)
	s.w.align()
	s.w.bits(uint64(len(data)), 16)
	s.w.bits(uint64(^uint16(len(data))), 16)
	s.w.buf = append(s.w.buf, data...)
	s.want = append(s.want, data...)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// huffman writes the tokens and the end of block with the given codes.
func (s *streamBuilder) huffman(litLens, distLens []uint8, toks []token) {
	lc, dc := canonical(litLens), canonical(distLens)
	for _, tk := range toks {
		if tk.lit >= 0 {
			s.w.code(lc[tk.lit], litLens[tk.lit])
		} else {
			ls := symbolFor(rfcLenBase, tk.length)
			s.w.code(lc[257+ls], litLens[257+ls])
			s.w.bits(uint64(tk.length-rfcLenBase[ls]), rfcLenExtra[ls])
			ds := symbolFor(rfcDistBase, tk.dist)
			s.w.code(dc[ds], distLens[ds])
			s.w.bits(uint64(tk.dist-rfcDistBase[ds]), rfcDistExtra[ds])
		}
		s.apply(tk)
	}
	s.w.code(lc[256], litLens[256])
}

func fixedLengths() ([]uint8, []uint8) {
	lit := make([]uint8, 288)
	for i := range lit {
		switch {
		case i < 144, i >= 280:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		default:
			lit[i] = 7
		}
	}
	dist := make([]uint8, 30)
	for i := range dist {
		dist[i] = 5
	}
	return lit, dist
}

func (s *streamBuilder) fixed(toks []token, last bool) {
	s.w.bits(b2u(last), 1)
	s.w.bits(1, 2)
	lit, dist := fixedLengths()
	s.huffman(lit, dist, toks)
}

// dynamic writes a dynamic block. With rle, code lengths use the repeat
// codes 16, 17 and 18 wherever they can; otherwise each length is sent.
func (s *streamBuilder) dynamic(litLens, distLens []uint8, toks []token, rle, last bool) {
	s.w.bits(b2u(last), 1)
	s.w.bits(2, 2)
	all := append(append([]uint8{}, litLens...), distLens...)
	// Code-length code: 0-15 of length 4 (complete) without rle; with
	// rle, 13 symbols of length 4 and 6 of length 5.
	var cl [19]uint8
	for i := range 16 {
		cl[i] = 4
	}
	type clTok struct{ sym, extra, n int }
	var seq []clTok
	if rle {
		for i := range cl {
			cl[i] = 4
		}
		for _, i := range []int{13, 14, 15, 16, 17, 18} {
			cl[i] = 5
		}
		for i := 0; i < len(all); {
			run := 1
			for i+run < len(all) && all[i+run] == all[i] {
				run++
			}
			switch {
			case all[i] == 0 && run >= 11:
				r := min(run, 138)
				seq = append(seq, clTok{18, r - 11, 7})
				i += r
			case all[i] == 0 && run >= 3:
				seq = append(seq, clTok{17, run - 3, 3})
				i += run
			case i > 0 && all[i-1] == all[i] && run >= 3:
				r := min(run, 6)
				seq = append(seq, clTok{16, r - 3, 2})
				i += r
			default:
				seq = append(seq, clTok{int(all[i]), 0, 0})
				i++
			}
		}
	} else {
		for _, l := range all {
			seq = append(seq, clTok{int(l), 0, 0})
		}
	}
	s.w.bits(uint64(len(litLens)-257), 5)
	s.w.bits(uint64(len(distLens)-1), 5)
	s.w.bits(15, 4) // all 19 code-length code lengths
	for _, sym := range clOrder {
		s.w.bits(uint64(cl[sym]), 3)
	}
	cc := canonical(cl[:])
	for _, c := range seq {
		s.w.code(cc[c.sym], cl[c.sym])
		s.w.bits(uint64(c.extra), uint(c.n))
	}
	s.huffman(litLens, distLens, toks)
}

// zlib wraps the deflate stream written so far.
func (s *streamBuilder) zlib() []byte {
	s.w.align()
	out := append([]byte{0x78, 0x01}, s.w.buf...)
	return binary.BigEndian.AppendUint32(out, adler32.Checksum(s.want))
}

// randomCode returns code lengths of a random complete prefix code over
// n ≥ 2 symbols, by splitting leaves of a code tree; deep makes it split
// the newest leaf, reaching 15-bit codes.
func randomCode(rng *rand.Rand, n int, deep bool) []uint8 {
	leaves := []uint8{1, 1}
	for len(leaves) < n {
		i := rng.Intn(len(leaves))
		if deep {
			i = len(leaves) - 1
		}
		if leaves[i] == 15 {
			i = rng.Intn(len(leaves))
			if leaves[i] == 15 {
				continue
			}
		}
		leaves[i]++
		leaves = append(leaves, leaves[i])
	}
	return leaves
}

// randomTokens returns tokens using only symbols with codes.
func randomTokens(rng *rand.Rand, litLens, distLens []uint8, have, count int) []token {
	var lits, lens, dists []int
	for s, l := range litLens {
		switch {
		case l == 0:
		case s < 256:
			lits = append(lits, s)
		case s > 256 && s < 286:
			lens = append(lens, s-257)
		}
	}
	for s, l := range distLens {
		if l != 0 && s < 30 {
			dists = append(dists, s)
		}
	}
	var toks []token
	for range count {
		if len(lens) > 0 && len(dists) > 0 && rng.Intn(3) == 0 {
			ls := lens[rng.Intn(len(lens))]
			ds := dists[rng.Intn(len(dists))]
			dist := rfcDistBase[ds] + rng.Intn(1<<rfcDistExtra[ds])
			if dist <= have {
				// Symbol 284 with all extra bits set would be 258, which
				// has its own symbol (285).
				length := min(rfcLenBase[ls]+rng.Intn(1<<rfcLenExtra[ls]), 257+ls/28)
				toks = append(toks, token{lit: -1, length: length, dist: dist})
				have += length
				continue
			}
		}
		if len(lits) > 0 {
			toks = append(toks, token{lit: lits[rng.Intn(len(lits))]})
			have++
		}
	}
	return toks
}

// assign gives the code lengths to distinct random symbols of n, the
// first ones in force (such as the end of block) always included.
func assign(rng *rand.Rand, code []uint8, n int, force ...int) []uint8 {
	lens := make([]uint8, n)
	perm := rng.Perm(n)
	order := append([]int{}, force...)
	for _, p := range perm {
		if !contains(force, p) {
			order = append(order, p)
		}
	}
	for i, l := range code {
		lens[order[i]] = l
	}
	return lens
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// craftedStreams builds streams whose output is known by construction:
// every length and distance code with their extra bits, distance 32768,
// overlapping copies at distances 1 to 9, matches across blocks, stored
// blocks, and dynamic codes up to 15 bits (second-level tables) with and
// without repeat codes, including a one-symbol distance code.
func craftedStreams(t testing.TB) []struct {
	name       string
	in, want   []byte
	dynamicMax int
} {
	rng := rand.New(rand.NewSource(11))
	type stream = struct {
		name       string
		in, want   []byte
		dynamicMax int
	}
	var out []stream

	// Fixed block: all lengths 3..258 at a short distance, overlaps.
	var s streamBuilder
	var toks []token
	for i := range 40 {
		toks = append(toks, token{lit: i * 7 % 256})
	}
	for l := 3; l <= 258; l++ {
		toks = append(toks, token{lit: -1, length: l, dist: 1 + l%9})
	}
	s.fixed(toks, true)
	out = append(out, stream{name: "fixed lengths and overlaps", in: s.zlib(), want: s.want})

	// Every distance code with its extreme extra bits, up to 32768, in
	// three fixed blocks after 33000 stored bytes.
	s = streamBuilder{}
	filler := make([]byte, 33000)
	rng.Read(filler)
	s.stored(filler[:20000], false)
	s.stored(filler[20000:], false)
	toks = nil
	for d := range 30 {
		for _, dist := range []int{rfcDistBase[d], rfcDistBase[d] + 1<<rfcDistExtra[d] - 1} {
			toks = append(toks, token{lit: -1, length: 3 + d, dist: dist}, token{lit: d})
		}
	}
	toks = append(toks, token{lit: -1, length: 258, dist: 32768})
	s.fixed(toks[:30], false)
	s.fixed(nil, false) // empty block
	s.stored(nil, false)
	s.fixed(toks[30:], true)
	out = append(out, stream{name: "all distances", in: s.zlib(), want: s.want})

	// Dynamic blocks with random complete codes.
	for i := range 40 {
		s = streamBuilder{}
		s.stored([]byte("seed bytes for matches"), false)
		nlit := 2 + rng.Intn(285)
		ndist := 1 + rng.Intn(30)
		nsym := min(286, max(nlit, 257+rng.Intn(30)))
		litCode := randomCode(rng, nlit, i%3 == 0)
		var distCode []uint8
		if ndist == 1 {
			distCode = []uint8{1} // one distance code of one bit
		} else {
			distCode = randomCode(rng, ndist, i%4 == 0)
		}
		litLens := assign(rng, litCode, nsym, 256)
		distLens := assign(rng, distCode, max(len(distCode), 1+rng.Intn(30)))
		maxLen := 0
		for _, l := range append(append([]uint8{}, litLens...), distLens...) {
			maxLen = max(maxLen, int(l))
		}
		toks := randomTokens(rng, litLens, distLens, len(s.want), 200+rng.Intn(2000))
		s.dynamic(litLens, distLens, toks, i%2 == 0, i%5 == 4)
		if i%5 != 4 {
			s.fixed(randomTokens(rng, fixedLits(), fixedDists(), len(s.want), 50), true)
		}
		out = append(out, stream{name: "dynamic", in: s.zlib(), want: s.want, dynamicMax: maxLen})
	}
	return out
}

func fixedLits() []uint8  { l, _ := fixedLengths(); return l[:286] }
func fixedDists() []uint8 { _, d := fixedLengths(); return d }

// TestInflateCrafted decodes the crafted streams; compress/zlib must
// agree with the expected output too, which checks the test's encoder.
func TestInflateCrafted(t *testing.T) {
	var z inflater
	deep := false
	for i, s := range craftedStreams(t) {
		zr, err := zlib.NewReader(bytes.NewReader(s.in))
		if err != nil {
			t.Fatalf("%s %d: zlib: %v", s.name, i, err)
		}
		ref, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(ref, s.want) {
			t.Fatalf("%s %d: compress/zlib disagrees with the test encoder: %v", s.name, i, err)
		}
		out := make([]byte, len(s.want))
		n, err := zlibInflate(s.in, out, &z)
		if err != nil || n != len(s.want) || !bytes.Equal(out, s.want) {
			t.Fatalf("%s %d: %d bytes, %v", s.name, i, n, err)
		}
		deep = deep || s.dynamicMax > litBits
	}
	if !deep {
		t.Error("no crafted code longer than the primary table")
	}
}

// TestInflateTruncated checks that every proper prefix of a stream fails.
func TestInflateTruncated(t *testing.T) {
	var z inflater
	var streams [][]byte
	for _, s := range craftedStreams(t)[:6] {
		streams = append(streams, s.in)
	}
	samples := zlibSamples()
	for _, i := range []int{10, 35, 47, 52, len(samples) - 3} {
		streams = append(streams, samples[i][1])
	}
	out := make([]byte, 2<<20)
	for i, in := range streams {
		step := 1
		if len(in) > 2000 {
			step = len(in)/300 + 1
		}
		for n := 0; n < len(in); n += step {
			if _, err := zlibInflate(in[:n], out, &z); err == nil {
				t.Fatalf("stream %d cut to %d of %d bytes: accepted", i, n, len(in))
			}
		}
	}
}

// TestInflateBitFlips flips single bits of valid streams: whatever the
// decoder accepts, compress/zlib must accept with the same output.
func TestInflateBitFlips(t *testing.T) {
	var z inflater
	rng := rand.New(rand.NewSource(3))
	out := make([]byte, 1<<17)
	for _, s := range craftedStreams(t) {
		if len(s.want) > len(out) {
			continue
		}
		for range 60 {
			in := bytes.Clone(s.in)
			in[rng.Intn(len(in))] ^= 1 << rng.Intn(8)
			n, err := zlibInflate(in, out, &z)
			if err != nil {
				continue
			}
			zr, zerr := zlib.NewReader(bytes.NewReader(in))
			var ref []byte
			if zerr == nil {
				ref, zerr = io.ReadAll(zr)
			}
			if zerr != nil || !bytes.Equal(ref, out[:n]) {
				t.Fatalf("%s: flipped stream accepted, zlib: %v", s.name, zerr)
			}
		}
	}
}

// TestInflateRejects lists malformed streams, each also rejected by
// compress/zlib (except the one that merely needs more room).
func TestInflateRejects(t *testing.T) {
	lit, dist := fixedLengths()
	build := func(f func(s *streamBuilder)) []byte {
		var s streamBuilder
		f(&s)
		return s.zlib()
	}
	// rawBlock writes raw bits after a zlib header, with a checksum of
	// the empty output.
	rawBlock := func(f func(w *bitWriter)) []byte {
		var w bitWriter
		f(&w)
		w.align()
		out := append([]byte{0x78, 0x01}, w.buf...)
		return binary.BigEndian.AppendUint32(out, 1)
	}
	dynHeader := func(w *bitWriter, nlen, ndist int, cl [19]uint8) {
		w.bits(1, 1)
		w.bits(2, 2)
		w.bits(uint64(nlen-257), 5)
		w.bits(uint64(ndist-1), 5)
		w.bits(15, 4)
		for _, sym := range clOrder {
			w.bits(uint64(cl[sym]), 3)
		}
	}
	var flat [19]uint8 // code-length code: 0-15 of length 4
	for i := range 16 {
		flat[i] = 4
	}
	flatCodes := canonical(flat[:])
	sendLens := func(w *bitWriter, lens []uint8) {
		for _, l := range lens {
			w.code(flatCodes[l], 4)
		}
	}
	valid := build(func(s *streamBuilder) { s.fixed([]token{{lit: 'a'}}, true) })
	cases := []struct {
		name   string
		in     []byte
		outLen int
	}{
		{"compression method 7", append(zhdr(0x77, 0), valid[2:]...), 1},
		{"window size 2^16", append(zhdr(0x88, 0), valid[2:]...), 1},
		{"header check", append([]byte{0x78, 0x02}, valid[2:]...), 1},
		{"preset dictionary", append(zhdr(0x78, 0x20), valid[2:]...), 1},
		{"block type 3", rawBlock(func(w *bitWriter) { w.bits(7, 3) }), 1},
		{"stored length check", rawBlock(func(w *bitWriter) { w.bits(1, 3); w.align(); w.bits(5, 16); w.bits(5, 16) }), 10},
		{"stored block past the input", rawBlock(func(w *bitWriter) { w.bits(1, 3); w.align(); w.bits(5, 16); w.bits(^uint64(5)&0xffff, 16) }), 10},
		{"distance before the output", build(func(s *streamBuilder) {
			s.w.bits(1, 1)
			s.w.bits(1, 2)
			lc := canonical(lit)
			s.w.code(lc['x'], lit['x'])
			s.w.code(lc[257], lit[257]) // length 3
			s.w.code(2, 5)              // distance 3 > 1 byte written
			s.w.code(lc[256], lit[256])
			s.want = []byte("xxxx")
		}), 10},
		{"fixed literal/length 286", build(func(s *streamBuilder) {
			s.w.bits(1, 1)
			s.w.bits(1, 2)
			lc := canonical(lit)
			s.w.code(lc[286], lit[286])
		}), 10},
		{"fixed distance 30", build(func(s *streamBuilder) {
			s.w.bits(1, 1)
			s.w.bits(1, 2)
			lc := canonical(lit)
			s.w.code(lc['x'], lit['x'])
			s.w.code(lc[257], lit[257])
			s.w.code(30, 5)
			_ = dist
		}), 10},
		{"over-subscribed literal code", rawBlock(func(w *bitWriter) {
			dynHeader(w, 257, 1, flat)
			l := make([]uint8, 258)
			for i := range 257 {
				l[i] = 8 // 257 codes of 8 bits
			}
			l[257] = 1
			sendLens(w, l)
		}), 10},
		{"incomplete literal code", rawBlock(func(w *bitWriter) {
			dynHeader(w, 257, 1, flat)
			l := make([]uint8, 258)
			l[0], l[1], l[256], l[257] = 2, 2, 2, 1
			sendLens(w, l)
		}), 10},
		{"no end-of-block code", rawBlock(func(w *bitWriter) {
			dynHeader(w, 257, 1, flat)
			l := make([]uint8, 258)
			l[0], l[1], l[257] = 1, 1, 1
			sendLens(w, l)
		}), 10},
		{"over-subscribed code-length code", rawBlock(func(w *bitWriter) {
			var cl [19]uint8
			for i := range cl {
				cl[i] = 1
			}
			dynHeader(w, 257, 1, cl)
		}), 10},
		{"repeat with nothing before", rawBlock(func(w *bitWriter) {
			var cl [19]uint8
			for i := range 16 {
				cl[i] = 5
			}
			cl[0], cl[1], cl[2], cl[3] = 4, 4, 4, 4
			cl[16], cl[17], cl[18] = 3, 3, 3 // 12/32 + 8/32 + 12/32
			dynHeader(w, 257, 1, cl)
			w.code(canonical(cl[:])[16], 3)
			w.bits(0, 2)
		}), 10},
		{"repeat past the lengths", rawBlock(func(w *bitWriter) {
			var cl [19]uint8
			for i := range 16 {
				cl[i] = 5
			}
			cl[0], cl[1], cl[2], cl[3] = 4, 4, 4, 4
			cl[16], cl[17], cl[18] = 3, 3, 3
			dynHeader(w, 257, 1, cl)
			cc := canonical(cl[:])
			for range 3 {
				w.code(cc[18], 3)
				w.bits(127, 7) // 3 × 138 zeros > 258 lengths
			}
		}), 10},
		{"output past the destination", valid, 0},
		{"checksum", append(bytes.Clone(valid[:len(valid)-1]), valid[len(valid)-1]^0x80), 1},
		{"empty", nil, 1},
	}
	var z inflater
	if _, err := zlibInflate(valid, make([]byte, 1), &z); err != nil {
		t.Fatalf("the valid stream the cases alter fails: %v", err)
	}
	for _, c := range cases {
		if _, err := zlibInflate(c.in, make([]byte, c.outLen), &z); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if c.outLen == 0 {
			continue
		}
		zr, err := zlib.NewReader(bytes.NewReader(c.in))
		if err == nil {
			_, err = io.ReadAll(zr)
		}
		if err == nil {
			t.Errorf("%s: compress/zlib accepts the stream, so the case tests nothing", c.name)
		}
	}
}

// zhdr returns a zlib header with the method/window byte cmf and the
// flags, with a correct check value.
func zhdr(cmf, flags byte) []byte {
	flg := flags &^ 31
	flg += byte(31 - (uint(cmf)<<8|uint(flg))%31)
	if (uint(cmf)<<8|uint(flg))%31 != 0 {
		flg -= 31
	}
	return []byte{cmf, flg}
}

// TestBuildTable decodes every symbol of random complete codes through
// the table, primary and second-level, and checks which incomplete and
// over-subscribed codes are refused.
func TestBuildTable(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var info [288]uint32
	for s := range info {
		info[s] = uint32(s)<<entShift | entLit
	}
	var table [litTableSize]uint32
	for i := range 300 {
		n := 2 + rng.Intn(287)
		lens := randomCode(rng, n, i%2 == 0)
		rng.Shuffle(len(lens), func(a, b int) { lens[a], lens[b] = lens[b], lens[a] })
		var c codeLengths
		for s, l := range lens {
			c.add(s, l)
		}
		tb, ok := buildTable(table[:], &c, info[:], litBits)
		if !ok {
			t.Fatalf("code %d refused", i)
		}
		codes := canonical(lens)
		for s, l := range lens {
			// The code's bits in stream order, then random bits.
			v := uint64(bits.Reverse16(codes[s])>>(16-l)) | rng.Uint64()<<l
			e := table[v&(1<<tb-1)]
			if e&entLink != 0 {
				e = table[e>>entShift+uint32(v>>tb)&(1<<(e>>4&15)-1)]
			}
			if int(e>>entShift) != s || uint8(e&15) != l {
				t.Fatalf("code %d, symbol %d (length %d): entry %#x", i, s, l, e)
			}
		}
	}
	for _, c := range []struct {
		lens []uint8
		ok   bool
	}{
		{[]uint8{1}, true},          // one one-bit code
		{[]uint8{0, 0, 1, 0}, true}, // the same
		{[]uint8{2}, false},         // one two-bit code
		{[]uint8{1, 2}, false},      // incomplete
		{[]uint8{1, 1, 1}, false},   // over-subscribed
		{[]uint8{0, 0}, true},       // empty: decodes nothing
	} {
		var cl codeLengths
		for s, l := range c.lens {
			if l != 0 {
				cl.add(s, l)
			}
		}
		tb, ok := buildTable(table[:], &cl, info[:], litBits)
		if ok != c.ok {
			t.Errorf("lengths %v: ok %v, want %v", c.lens, ok, c.ok)
		}
		if ok && cl.count[1] == 0 && (table[0]|table[1<<tb-1]) != 0 {
			t.Errorf("lengths %v: empty code decodes", c.lens)
		}
	}
}

// FuzzInflate compares the decoder with compress/zlib on arbitrary
// streams: whenever both succeed they must agree, and the decoder must
// not accept what zlib rejects as corrupt.
func FuzzInflate(f *testing.F) {
	for _, s := range zlibSamples() {
		if len(s[1]) < 1<<12 {
			f.Add(s[1])
		}
	}
	for _, s := range craftedStreams(f)[:8] {
		f.Add(s.in)
	}
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, in []byte) {
		var z inflater
		out := make([]byte, limit)
		n, err := zlibInflate(in, out, &z)
		zr, zerr := zlib.NewReader(bytes.NewReader(in))
		var want []byte
		if zerr == nil {
			want, zerr = io.ReadAll(io.LimitReader(zr, limit+1))
		}
		if err == nil && zerr == nil && len(want) <= limit && !bytes.Equal(out[:n], want) {
			t.Fatalf("decoders disagree: %d vs %d bytes", n, len(want))
		}
		if err == nil && zerr != nil {
			t.Fatalf("accepted a stream zlib rejects: %v", zerr)
		}
		if err != nil && zerr == nil && len(want) <= limit {
			t.Fatalf("rejected a stream zlib decodes to %d bytes: %v", len(want), err)
		}
	})
}

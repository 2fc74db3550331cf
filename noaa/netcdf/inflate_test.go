package netcdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand"
	"testing"
)

// compressLevels holds zlib streams of varied data at every level, so the
// canonical decoder meets stored, fixed and dynamic blocks.
func zlibSamples() [][2][]byte {
	rng := rand.New(rand.NewSource(7))
	var out [][2][]byte
	for _, n := range []int{0, 1, 2, 12, 30, 60, 240, 480, 4000, 8192} {
		for kind := 0; kind < 3; kind++ {
			raw := make([]byte, n)
			switch kind {
			case 0:
				rng.Read(raw)
			case 1:
				for i := range raw {
					raw[i] = byte(i / 7 % 5)
				}
			case 2:
				for i := range raw {
					raw[i] = "abcabcabd"[rng.Intn(9)]
				}
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
}

// TestSmallInflateMatchesZlib checks the canonical decoder against
// compress/zlib on every block type.
func TestSmallInflateMatchesZlib(t *testing.T) {
	var z inflater
	for i, s := range zlibSamples() {
		out := make([]byte, len(s[0]))
		n, err := zlibInflate(s[1], out, &z)
		if err != nil {
			t.Fatalf("sample %d (%d bytes): %v", i, len(s[0]), err)
		}
		if !bytes.Equal(out[:n], s[0]) {
			t.Fatalf("sample %d: output differs", i)
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

// FuzzSmallInflate compares the canonical decoder with compress/zlib on
// arbitrary streams: whenever both succeed they must agree, and the
// canonical decoder must not accept what zlib rejects as corrupt.
func FuzzSmallInflate(f *testing.F) {
	for _, s := range zlibSamples() {
		f.Add(s[1])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var z inflater
		out := make([]byte, (64 << 10))
		n, err := zlibInflate(in, out, &z)
		zr, zerr := zlib.NewReader(bytes.NewReader(in))
		var want []byte
		if zerr == nil {
			want, zerr = io.ReadAll(io.LimitReader(zr, (64 << 10)+1))
		}
		if err == nil && zerr == nil && len(want) <= (64 << 10) && !bytes.Equal(out[:n], want) {
			t.Fatalf("decoders disagree: %d vs %d bytes", n, len(want))
		}
		if err == nil && zerr != nil {
			t.Fatalf("accepted a stream zlib rejects: %v", zerr)
		}
	})
}

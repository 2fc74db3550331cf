package netcdf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"sync/atomic"
)

// undefAddr is the HDF5 "undefined address" (all bits set).
const undefAddr = ^uint64(0)

// maxMetaBlock bounds a single metadata read; no HDF5 metadata structure
// in a netCDF file comes close to it.
const maxMetaBlock = 64 << 20

// source wraps the caller's io.ReaderAt with bounds checks against the
// declared file size so that no read or allocation exceeds the file.
type source struct {
	r    io.ReaderAt
	size int64
	meta atomic.Int64 // metadata bytes read so far
}

// metaFactor and metaSlack bound the metadata bytes read over the life of
// a File, so overlapping hostile structures cannot make reads quadratic.
const (
	metaFactor = 64
	metaSlack  = 64 << 20
)

// read returns n bytes of metadata at off, naming what is read in errors.
func (s *source) read(off uint64, n uint64, what string) ([]byte, error) {
	return s.readBuf(nil, off, n, what)
}

// readBuf is read into buf, grown when too small, for structures decoded
// and dropped before buf is used again.
func (s *source) readBuf(buf []byte, off uint64, n uint64, what string) ([]byte, error) {
	if off == undefAddr {
		return nil, fmt.Errorf("%s: undefined address", what)
	}
	if n > maxMetaBlock && n > uint64(s.size) {
		return nil, fmt.Errorf("%s at 0x%x: size %d exceeds file size %d", what, off, n, s.size)
	}
	if off > uint64(s.size) || n > uint64(s.size)-off {
		return nil, fmt.Errorf("%s at 0x%x: %d bytes beyond end of file (size %d)", what, off, n, s.size)
	}
	if total := s.meta.Add(int64(n)); total > s.size*metaFactor+metaSlack {
		return nil, fmt.Errorf("%s at 0x%x: metadata reads exceed %dx the file size", what, off, metaFactor)
	}
	b := buf[:0]
	if uint64(cap(b)) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	if err := s.readInto(b, off, what); err != nil {
		return nil, err
	}
	return b, nil
}

// readInto fills b from off.
func (s *source) readInto(b []byte, off uint64, what string) error {
	if off > uint64(s.size) || uint64(len(b)) > uint64(s.size)-off {
		return fmt.Errorf("%s at 0x%x: %d bytes beyond end of file (size %d)", what, off, len(b), s.size)
	}
	n, err := s.r.ReadAt(b, int64(off))
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s at 0x%x: %w", what, off, err)
}

// dec is a little-endian cursor over a metadata block. Overruns set a
// sticky error instead of panicking; callers check err() once.
type dec struct {
	b    []byte
	p    int
	bad  bool
	so   int // size of offsets
	sl   int // size of lengths
	base uint64
}

func (d *dec) need(n int) bool {
	if d.bad || n < 0 || d.p+n > len(d.b) || d.p+n < d.p {
		d.bad = true
		return false
	}
	return true
}

func (d *dec) u8() uint8 {
	if !d.need(1) {
		return 0
	}
	v := d.b[d.p]
	d.p++
	return v
}

func (d *dec) u16() uint16 {
	if !d.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(d.b[d.p:])
	d.p += 2
	return v
}

func (d *dec) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.p:])
	d.p += 4
	return v
}

func (d *dec) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.p:])
	d.p += 8
	return v
}

// uvar reads an n-byte little-endian unsigned integer (n ≤ 8).
func (d *dec) uvar(n int) uint64 {
	if n > 8 || !d.need(n) {
		d.bad = true
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(d.b[d.p+i])
	}
	d.p += n
	return v
}

// addr reads a file address; the all-ones value stays undefAddr, anything
// else is made absolute with the base address.
func (d *dec) addr() uint64 {
	v := d.uvar(d.so)
	if d.so < 8 && v == (uint64(1)<<(8*d.so))-1 {
		return undefAddr
	}
	if v == undefAddr {
		return v
	}
	return v + d.base
}

func (d *dec) length() uint64 { return d.uvar(d.sl) }

func (d *dec) bytes(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[d.p : d.p+n]
	d.p += n
	return v
}

func (d *dec) skip(n int) { d.need(n); d.p += n }

func (d *dec) rest() []byte {
	if d.bad || d.p > len(d.b) {
		return nil
	}
	return d.b[d.p:]
}

func (d *dec) left() int {
	if d.bad || d.p > len(d.b) {
		return 0
	}
	return len(d.b) - d.p
}

// lookup3 is Bob Jenkins' hashlittle with initval 0, the checksum of every
// version-2 HDF5 metadata structure.
func lookup3(k []byte) uint32 {
	a := uint32(0xdeadbeef) + uint32(len(k))
	b, c := a, a
	rot := bits.RotateLeft32
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		a -= c
		a ^= rot(c, 4)
		c += b
		b -= a
		b ^= rot(a, 6)
		a += c
		c -= b
		c ^= rot(b, 8)
		b += a
		a -= c
		a ^= rot(c, 16)
		c += b
		b -= a
		b ^= rot(a, 19)
		a += c
		c -= b
		c ^= rot(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], k)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return c
}

// checkSum verifies the trailing lookup3 checksum of a v2 structure.
// readChecked reads the n-byte structure what at addr, starting with the 4-byte signature
// sig and ending with its checksum, and verifies both.
func (h *h5file) readChecked(addr, n uint64, sig, what string) ([]byte, error) {
	b, err := h.src.read(addr, n, what)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 || string(b[:4]) != sig {
		return nil, fmt.Errorf("%s at 0x%x: bad signature", what, addr)
	}
	if err := checkSum(b, what, addr); err != nil {
		return nil, err
	}
	return b, nil
}

func checkSum(b []byte, what string, off uint64) error {
	if len(b) < 4 {
		return fmt.Errorf("%s at 0x%x: too short for checksum", what, off)
	}
	n := len(b) - 4
	if got, want := lookup3(b[:n]), binary.LittleEndian.Uint32(b[n:]); got != want {
		return fmt.Errorf("%s at 0x%x: checksum mismatch (stored 0x%08x, computed 0x%08x)", what, off, want, got)
	}
	return nil
}

// log2 returns floor(log2(v)) for v > 0, 0 for v == 0.
func log2(v uint64) int {
	if v == 0 {
		return 0
	}
	return bits.Len64(v) - 1
}

// limitEncSize is the number of bytes HDF5 uses to encode values up to v.
func limitEncSize(v uint64) int { return log2(v)/8 + 1 }

package fits

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"
)

const (
	// BlockSize is the size of a FITS logical record.
	BlockSize = 2880
	// CardSize is the size of one header card.
	CardSize = 80

	// MaxDecompressedSize bounds the size of a gzip-wrapped file once inflated. A day of
	// GOES XRS data is under 1 MiB; the bound only stops decompression bombs.
	MaxDecompressedSize = 256 << 20

	maxAxes = 999
)

// ErrFormat is wrapped by every error about a malformed or unsupported file.
var ErrFormat = errors.New("not a readable FITS file")

// Kind is the type of an HDU.
type Kind int

const (
	// KindPrimary is the primary HDU (SIMPLE = T).
	KindPrimary Kind = iota
	// KindImage is an IMAGE extension.
	KindImage
	// KindBinTable is a BINTABLE extension.
	KindBinTable
	// KindOther is any other extension (ASCII TABLE, foreign, ...); its header is readable.
	KindOther
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindPrimary:
		return "primary"
	case KindImage:
		return "image"
	case KindBinTable:
		return "bintable"
	}
	return "other"
}

// File is an opened FITS file: its HDUs in file order.
type File struct {
	r    io.ReaderAt
	size int64
	hdus []*HDU
	// Gzipped reports that the file was gzip-wrapped and has been inflated in memory.
	Gzipped bool
}

// HDU is one header-data unit.
type HDU struct {
	// Header holds the header cards in file order.
	Header Header
	// Kind is the HDU type.
	Kind Kind
	// Index is the HDU's position in the file (0 = primary).
	Index int

	r        io.ReaderAt
	dataOff  int64 // byte offset of the data in the (inflated) file
	dataSize int64 // data bytes declared by the header, without padding
	bitpix   int64
	axes     []int64
}

// Open reads the headers of every HDU of a FITS file of the given size. A file that
// starts with the gzip magic bytes is inflated in memory first (at most
// MaxDecompressedSize bytes). Bytes after the last complete HDU that do not start
// another extension are ignored, as the standard allows.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("fits: negative size %d: %w", size, ErrFormat)
	}
	f := &File{r: r, size: size}
	var magic [2]byte
	if size >= 2 {
		if err := readAt(r, magic[:], 0); err != nil {
			return nil, fmt.Errorf("fits: read magic: %w", err)
		}
	}
	if magic == [2]byte{0x1f, 0x8b} {
		data, err := inflate(r, size)
		if err != nil {
			return nil, err
		}
		f.r, f.size, f.Gzipped = bytes.NewReader(data), int64(len(data)), true
	}
	if err := f.scan(); err != nil {
		return nil, err
	}
	return f, nil
}

func inflate(r io.ReaderAt, size int64) ([]byte, error) {
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("fits: gzip header: %w", err)
	}
	// The gzip trailer's ISIZE (the inflated size mod 2^32) sizes the buffer up front.
	// It is only a hint, since a hostile file may lie: it is used only when deflate
	// could reach it from this many bytes (at most about 1032:1).
	var buf bytes.Buffer
	var isize [4]byte
	if size >= 18 && readAt(r, isize[:], size-4) == nil {
		if n := int64(binary.LittleEndian.Uint32(isize[:])); n <= MaxDecompressedSize && n <= size*1032 {
			buf.Grow(int(n) + 1)
		}
	}
	if _, err := io.Copy(&buf, io.LimitReader(zr, MaxDecompressedSize+1)); err != nil {
		return nil, fmt.Errorf("fits: gunzip: %w", err)
	}
	if buf.Len() > MaxDecompressedSize {
		return nil, fmt.Errorf("fits: gunzip: more than %d bytes: %w", MaxDecompressedSize, ErrFormat)
	}
	return buf.Bytes(), nil
}

// HDUs returns every HDU in file order.
func (f *File) HDUs() []*HDU { return f.hdus }

// HDU returns the extension whose EXTNAME is name (case-insensitive, trailing blanks
// ignored), or nil.
func (f *File) HDU(name string) *HDU {
	for _, h := range f.hdus {
		if strings.EqualFold(h.Name(), strings.TrimSpace(name)) {
			return h
		}
	}
	return nil
}

// Primary returns the primary HDU.
func (f *File) Primary() *HDU { return f.hdus[0] }

// Name returns EXTNAME, or "PRIMARY" for the primary HDU without one.
func (h *HDU) Name() string {
	if s, ok := h.Header.String("EXTNAME"); ok {
		return strings.TrimSpace(s)
	}
	if h.Kind == KindPrimary {
		return "PRIMARY"
	}
	return ""
}

// DataSize returns the number of data bytes the header declares (padding excluded).
func (h *HDU) DataSize() int64 { return h.dataSize }

// Axes returns NAXIS1..NAXISn.
func (h *HDU) Axes() []int64 { return append([]int64(nil), h.axes...) }

func (f *File) scan() error {
	var off int64
	for off < f.size {
		if len(f.hdus) > 0 {
			// Anything after the last HDU that is not an extension is ignored; an
			// extension cut short is an error (readHDU reports it).
			var head [8]byte
			if f.size-off < int64(len(head)) {
				break
			}
			if err := readAt(f.r, head[:], off); err != nil {
				return fmt.Errorf("fits: HDU %d at byte %d: %w", len(f.hdus), off, err)
			}
			if string(head[:]) != "XTENSION" {
				break
			}
		}
		h, next, err := f.readHDU(off, len(f.hdus))
		if err != nil {
			return fmt.Errorf("fits: HDU %d at byte %d: %w", len(f.hdus), off, err)
		}
		f.hdus = append(f.hdus, h)
		off = next
	}
	if len(f.hdus) == 0 {
		return fmt.Errorf("fits: empty file: %w", ErrFormat)
	}
	return nil
}

// readHDU reads the header starting at off and sizes the data that follows. It returns
// the offset of the next HDU.
func (f *File) readHDU(off int64, index int) (*HDU, int64, error) {
	var cards []Card
	block := make([]byte, BlockSize)
	pos := off
	ended := false
	for !ended {
		if f.size-pos < BlockSize {
			return nil, 0, fmt.Errorf("header not terminated by END before end of file: %w", ErrFormat)
		}
		if err := readAt(f.r, block, pos); err != nil {
			return nil, 0, fmt.Errorf("read header block at %d: %w", pos, err)
		}
		pos += BlockSize
		for i := 0; i < BlockSize; i += CardSize {
			raw := block[i : i+CardSize]
			if len(cards) == 0 && pos == off+BlockSize && i == 0 {
				if err := checkFirstCard(raw, index); err != nil {
					return nil, 0, err
				}
			}
			if string(raw[:8]) == "END     " {
				ended = true
				break
			}
			cards = append(cards, parseCard(raw))
		}
	}
	h := &HDU{Header: Header{Cards: joinContinue(cards)}, Index: index, r: f.r, dataOff: pos}
	if err := h.sizeData(); err != nil {
		return nil, 0, err
	}
	if h.dataSize > f.size-pos {
		return nil, 0, fmt.Errorf("declared data size %d bytes exceeds the %d bytes left in the file: %w",
			h.dataSize, f.size-pos, ErrFormat)
	}
	next := pos + padded(h.dataSize)
	if next > f.size || next < pos {
		next = f.size // a missing final pad is tolerated
	}
	return h, next, nil
}

func checkFirstCard(raw []byte, index int) error {
	key := string(raw[:8])
	if index == 0 {
		if key != "SIMPLE  " {
			return fmt.Errorf("first card is %q, not SIMPLE: %w", strings.TrimSpace(key), ErrFormat)
		}
		return nil
	}
	if key != "XTENSION" {
		return fmt.Errorf("first card is %q, not XTENSION: %w", strings.TrimSpace(key), ErrFormat)
	}
	return nil
}

func padded(n int64) int64 {
	if r := n % BlockSize; r != 0 {
		return n + BlockSize - r
	}
	return n
}

// sizeData reads BITPIX, NAXISn, PCOUNT and GCOUNT and computes the data size, rejecting
// values whose product overflows.
func (h *HDU) sizeData() error {
	hd := &h.Header
	if h.Index == 0 {
		h.Kind = KindPrimary
		if v, ok := hd.Bool("SIMPLE"); !ok || !v {
			return fmt.Errorf("SIMPLE is not T: %w", ErrFormat)
		}
	} else {
		x, _ := hd.String("XTENSION")
		switch strings.TrimSpace(x) {
		case "IMAGE":
			h.Kind = KindImage
		case "BINTABLE":
			h.Kind = KindBinTable
		default:
			h.Kind = KindOther
		}
	}
	bitpix, err := hd.intKey("BITPIX", -64, 64)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrFormat)
	}
	switch bitpix {
	case 8, 16, 32, 64, -32, -64:
	default:
		return fmt.Errorf("BITPIX = %d is not one of 8, 16, 32, 64, -32, -64: %w", bitpix, ErrFormat)
	}
	naxis, err := hd.intKey("NAXIS", 0, maxAxes)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrFormat)
	}
	h.bitpix = bitpix
	h.axes = make([]int64, naxis)
	for i := range h.axes {
		key := fmt.Sprintf("NAXIS%d", i+1)
		n, err := hd.intKey(key, 0, math.MaxInt64)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrFormat)
		}
		h.axes[i] = n
	}
	pcount, gcount := int64(0), int64(1)
	if h.Index > 0 {
		if pcount, err = hd.intKey("PCOUNT", 0, math.MaxInt64); err != nil {
			return fmt.Errorf("%w: %w", err, ErrFormat)
		}
		if gcount, err = hd.intKey("GCOUNT", 0, math.MaxInt64); err != nil {
			return fmt.Errorf("%w: %w", err, ErrFormat)
		}
	}
	if naxis == 0 {
		h.dataSize = 0
		return nil
	}
	n := uint64(1)
	overflow := false
	mul := func(a uint64) {
		hi, lo := bits.Mul64(n, a)
		if hi != 0 || lo > math.MaxInt64 {
			overflow = true
		}
		n = lo
	}
	for _, a := range h.axes {
		mul(uint64(a))
	}
	n, carry := bits.Add64(n, uint64(pcount), 0)
	if carry != 0 || n > math.MaxInt64 {
		overflow = true
	}
	mul(uint64(gcount))
	mul(uint64(abs(bitpix) / 8))
	if overflow {
		return fmt.Errorf("declared data size overflows: %w", ErrFormat)
	}
	h.dataSize = int64(n)
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// readData reads n bytes of the HDU's data starting at off (relative to the data start).
func (h *HDU) readData(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > h.dataSize || n > h.dataSize-off {
		return nil, fmt.Errorf("read %d bytes at %d outside the %d data bytes: %w", n, off, h.dataSize, ErrFormat)
	}
	buf := make([]byte, n)
	if err := readAt(h.r, buf, h.dataOff+off); err != nil {
		return nil, fmt.Errorf("read data of HDU %d: %w", h.Index, err)
	}
	return buf, nil
}

// readAt fills buf from off; io.EOF together with a full buffer is success, as
// io.ReaderAt allows.
func readAt(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

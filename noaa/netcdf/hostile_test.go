package netcdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// seedFiles lists the samples (when present) and the fixtures, without
// skipping when the samples are absent.
func seedFiles(tb testing.TB) []string {
	root := moduleRoot(tb)
	var out []string
	dir := os.Getenv("HELIOTIME_NOAA_SAMPLES")
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "noaa")
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".nc") {
			out = append(out, p)
		}
		return nil
	})
	fx, _ := filepath.Glob(filepath.Join(root, "testdata", "nc", "*.nc"))
	return append(out, fx...)
}

// openAndRead opens data and reads every variable fully and by records;
// it returns the first error.
func openAndRead(data []byte) (*File, error) {
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var first error
	for _, v := range f.Vars() {
		if _, err := v.Read(); err != nil && first == nil {
			first = err
		}
		if len(v.Dims) > 0 && v.Dims[0].Len > 0 {
			if _, err := v.ReadRecords(v.Dims[0].Len/2, 1); err != nil && first == nil {
				first = err
			}
		}
	}
	return f, first
}

// structureWords are the names errors must use to point at the broken
// part of a file.
var structureWords = []string{"superblock", "object header", "heap", "B-tree", "netCDF-3", "variable", "chunk",
	"attribute", "dataspace", "datatype", "layout", "group", "symbol table", "link", "fixed array",
	"extensible array", "filter", "not a netCDF file", "too small", "object "}

func namesStructure(err error) bool {
	msg := err.Error()
	for _, w := range structureWords {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

// corruptions returns truncated and bit-flipped copies of data.
func corruptions(data []byte, seed int64) [][]byte {
	n := len(data)
	var out [][]byte
	for _, cut := range []int{0, 3, 4, 8, 16, 48, 100, 512, 1024, n / 8, n / 4, n / 2, 3 * n / 4, n - 100, n - 1} {
		if cut >= 0 && cut < n {
			out = append(out, data[:cut])
		}
	}
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < 48; i++ {
		c := bytes.Clone(data)
		span := n
		if i%2 == 0 && n > 8192 {
			span = 8192 // metadata mostly sits at the front
		}
		for k := 0; k <= i%6; k++ {
			p := rng.Intn(span)
			c[p] ^= byte(1 << rng.Intn(8))
			if i%5 == 0 {
				c[p] = 0xff
			}
		}
		out = append(out, c)
	}
	return out
}

// TestCorruptInputs truncates and bit-flips every sample and fixture: each
// copy must give an error naming a file structure, or read successfully,
// and never panic; allocation stays within the documented bounds.
func TestCorruptInputs(t *testing.T) {
	files := seedFiles(t)
	if testing.Short() {
		files = files[len(files)-3:]
	}
	worst := 0.0
	for i, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		errs, oks := 0, 0
		for j, c := range corruptions(data, int64(i)) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			f, err := openAndRead(c)
			runtime.ReadMemStats(&ms1)
			alloc := float64(ms1.TotalAlloc - ms0.TotalAlloc)
			size := int64(len(c))
			reads := int64(2)
			if f != nil {
				reads += 2 * int64(len(f.Vars()))
			}
			// Metadata is bounded by metaFactor×size, each Read by
			// maxRatio×size plus slack (and its scratch copy).
			limit := float64(2*(size*metaFactor+metaSlack) + reads*2*(size*maxRatio+maxOutputSlack) + 8<<20)
			if alloc > limit {
				t.Errorf("%s corruption %d: allocated %.0f bytes for a %d-byte input (limit %.0f)", filepath.Base(p), j, alloc, size, limit)
			}
			if size > 0 && alloc/float64(size) > worst {
				worst = alloc / float64(size)
			}
			if err != nil {
				errs++
				if !namesStructure(err) {
					t.Errorf("%s corruption %d: error does not name a structure: %v", filepath.Base(p), j, err)
				}
				continue
			}
			oks++
		}
		t.Logf("%s: %d corrupt copies rejected, %d read", filepath.Base(p), errs, oks)
	}
	t.Logf("worst allocation: %.1f bytes per input byte", worst)
}

// TestTruncatedHeaderErrors checks the wording of errors for damage at
// known places.
func TestTruncatedHeaderErrors(t *testing.T) {
	p := filepath.Join(moduleRoot(t), "testdata", "nc", "nc4.nc")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"empty", func(b []byte) []byte { return nil }, "too small"},
		{"no signature", func(b []byte) []byte { c := bytes.Clone(b); c[1] = 'X'; return c }, "no CDF or HDF5 signature"},
		{"superblock checksum", func(b []byte) []byte { c := bytes.Clone(b); c[20] ^= 1; return c }, "superblock at 0x0: checksum mismatch"},
		{"cut after superblock", func(b []byte) []byte { return b[:64] }, "beyond end of file"},
		{"classic header cut", func(b []byte) []byte {
			c, _ := os.ReadFile(filepath.Join(moduleRoot(t), "testdata", "nc", "classic.nc"))
			return c[:40]
		}, "netCDF-3 header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tc.edit(data)), int64(len(tc.edit(data))))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestUnsupportedFilterNamed rewrites the deflate filter id of one variable
// to szip (4, an id that keeps the entry layout), fixes the object header
// checksum, and expects the read to name the filter and the variable while
// other variables stay readable.
func TestUnsupportedFilterNamed(t *testing.T) {
	p := filepath.Join(moduleRoot(t), "testdata", "nc", "nc4.nc")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	v := f.Var("time")
	msgs, err := f.h5.objectHeader(v.h5.addr)
	if err != nil {
		t.Fatal(err)
	}
	var at uint64
	for _, m := range msgs {
		if m.typ == msgFilters {
			at = m.at
		}
	}
	if at == 0 || data[at] != 2 {
		t.Fatalf("no version-2 filter pipeline message found for time")
	}
	c := bytes.Clone(data)
	// Walk the version-2 entries (id, [name length], flags, count, values)
	// to the deflate entry.
	pos := -1
	q := int(at) + 2
	for i := 0; i < int(c[at+1]); i++ {
		id := binary.LittleEndian.Uint16(c[q:])
		if id == 1 {
			pos = q
			break
		}
		q += 2
		if id >= 256 {
			q += 2
		}
		nv := int(binary.LittleEndian.Uint16(c[q+2:]))
		q += 4 + 4*nv
	}
	if pos < 0 {
		t.Fatal("deflate entry not found")
	}
	binary.LittleEndian.PutUint16(c[pos:], 4)
	if err := refreshChecksum(c, v.h5.addr, uint64(pos), msgs, f.h5); err != nil {
		t.Fatal(err)
	}
	g, err := Open(bytes.NewReader(c), int64(len(c)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	_, err = g.Var("time").Read()
	want := `unsupported filter 4 (szip) in variable "time"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if _, err := g.Var("xrsa_flux").Read(); err != nil {
		t.Fatalf("other variable: %v", err)
	}
}

// refreshChecksum recomputes the checksum of the object header block of
// addr that contains pos: chunk 0 or one of the continuation blocks.
func refreshChecksum(b []byte, addr, pos uint64, msgs []h5msg, h *h5file) error {
	if string(b[addr:addr+4]) != "OHDR" {
		return errors.New("not a version-2 object header")
	}
	flags := b[addr+5]
	p := addr + 6
	if flags&0x20 != 0 {
		p += 16
	}
	if flags&0x10 != 0 {
		p += 4
	}
	w := uint64(1) << (flags & 3)
	var n uint64
	for i := uint64(0); i < w; i++ {
		n |= uint64(b[p+i]) << (8 * i)
	}
	end := p + w + n
	if pos >= addr && pos < end {
		binary.LittleEndian.PutUint32(b[end:], lookup3(b[addr:end]))
		return nil
	}
	for _, m := range msgs {
		if m.typ != msgContinue {
			continue
		}
		d := h.dec(m.data)
		a, l := d.addr(), d.length()
		if pos >= a && pos < a+l {
			binary.LittleEndian.PutUint32(b[a+l-4:], lookup3(b[a:a+l-4]))
			return nil
		}
	}
	return errors.New("block not found")
}

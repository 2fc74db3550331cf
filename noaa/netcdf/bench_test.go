package netcdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// dayVars picks time, both fluxes and their flags, whatever the product
// names them.
func dayVars(f *File) []*Var {
	var out []*Var
	for _, group := range [][]string{
		{"time"},
		{"xrsa_flux", "a_flux"}, {"xrsb_flux", "b_flux"},
		{"xrsa_flags", "xrsa_flag", "a_flags"}, {"xrsb_flags", "xrsb_flag", "b_flags"},
	} {
		for _, n := range group {
			if v := f.Var(n); v != nil {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// BenchmarkDecodeDay opens each full-day file from memory and decodes
// time, both fluxes and their quality flags.
func BenchmarkDecodeDay(b *testing.B) {
	dir := sharedDir(b, "HELIOTIME_BENCH_DIR", "bench")
	files, _ := filepath.Glob(filepath.Join(dir, "*.nc"))
	if len(files) == 0 {
		b.Skipf("no .nc files in %s", dir)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(p), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				f, err := Open(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				vs := dayVars(f)
				if len(vs) != 5 {
					b.Fatalf("found %d of the 5 day variables", len(vs))
				}
				if _, err := vs[0].Float64s(); err != nil {
					b.Fatal(err)
				}
				for _, v := range vs[1:3] {
					if _, err := v.Float32s(); err != nil {
						b.Fatal(err)
					}
				}
				for _, v := range vs[3:] {
					if _, err := v.Read(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestDecodeDayValues checks the day files decode completely: one value
// per record in each variable the benchmark reads.
func TestDecodeDayValues(t *testing.T) {
	dir := sharedDir(t, "HELIOTIME_BENCH_DIR", "bench")
	files, _ := filepath.Glob(filepath.Join(dir, "*.nc"))
	for _, p := range files {
		f, err := openPath(t, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		vs := dayVars(f)
		if len(vs) != 5 {
			t.Fatalf("%s: found %d of the 5 day variables", p, len(vs))
		}
		n := vs[0].Dims[0].Len
		if n < 40000 {
			t.Errorf("%s: %d records, want a full day", p, n)
		}
		for _, v := range vs {
			d, err := v.Float64s()
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			if int64(len(d)) != n {
				t.Errorf("%s %s: %d values, want %d", filepath.Base(p), v.Name, len(d), n)
			}
		}
	}
}

// BenchmarkInflateDay inflates the stored chunks of the day variables
// alone, one goroutine, with the package's inflater and, for reference,
// compress/zlib.
func BenchmarkInflateDay(b *testing.B) {
	dir := sharedDir(b, "HELIOTIME_BENCH_DIR", "bench")
	files, _ := filepath.Glob(filepath.Join(dir, "*.nc"))
	if len(files) == 0 {
		b.Skipf("no .nc files in %s", dir)
	}
	type chunk struct {
		in  []byte
		out int
	}
	for _, p := range files {
		f, err := openPath(b, p)
		if err != nil {
			b.Fatal(err)
		}
		var chunks []chunk
		total := 0
		for _, v := range dayVars(f) {
			if _, err := v.ReadRecords(0, 1); err != nil { // builds the chunk index
				b.Fatal(err)
			}
			cb := v.Type.size()
			for _, c := range v.h5.lay.chunk {
				cb *= int(c)
			}
			for _, c := range v.h5.chunks {
				in := make([]byte, c.size)
				if err := f.h5.src.readInto(in, c.addr, "chunk"); err != nil {
					b.Fatal(err)
				}
				chunks = append(chunks, chunk{in, cb})
				total += cb
			}
		}
		out := make([]byte, 1<<20)
		b.Run(filepath.Base(p)+"/inflater", func(b *testing.B) {
			b.SetBytes(int64(total))
			var z inflater
			for b.Loop() {
				for _, c := range chunks {
					if n, err := zlibInflate(c.in, out[:c.out], &z); err != nil || n != c.out {
						b.Fatalf("%d of %d bytes: %v", n, c.out, err)
					}
				}
			}
		})
		b.Run(filepath.Base(p)+"/compress-zlib", func(b *testing.B) {
			b.SetBytes(int64(total))
			var br bytes.Reader
			var zr io.ReadCloser
			for b.Loop() {
				for _, c := range chunks {
					br.Reset(c.in)
					var err error
					if zr == nil {
						zr, err = zlib.NewReader(&br)
					} else {
						err = zr.(zlib.Resetter).Reset(&br, nil)
					}
					if err == nil {
						_, err = io.ReadFull(zr, out[:c.out])
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

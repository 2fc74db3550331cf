package netcdf

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// edgesCDL has chunked variables that end inside a chunk, end before the
// unlimited dimension does (the records after their own length are fill
// values), leave chunks unwritten, and span a second dimension; some are
// shuffled and deflated.
const edgesCDL = `netcdf edges {
dimensions:
	time = UNLIMITED ;
	n = 3 ;
variables:
	float a(time) ;
		a:_ChunkSizes = 4 ;
	short b(time) ;
		b:_FillValue = -7s ;
		b:_ChunkSizes = 4 ;
		b:_DeflateLevel = 1 ;
		b:_Shuffle = "true" ;
	double c(time, n) ;
		c:_ChunkSizes = 4, 3 ;
		c:_DeflateLevel = 1 ;
		c:_Shuffle = "true" ;
	int d(time) ;
		d:_ChunkSizes = 3 ;
	ubyte e(time, n) ;
		e:_ChunkSizes = 2, 3 ;
data:
 a = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 ;
 b = 1, 2, 3, 4, 5, 6, 7 ;
 c = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 ;
 d = 1 ;
 e = 1, 2, 3 ;
}
`

// TestChunkedEdges checks reads of chunked variables at the edges of
// their extent against ncdump, whole and by every record range.
func TestChunkedEdges(t *testing.T) {
	needTool(t, "ncgen")
	needTool(t, "ncdump")
	dir := t.TempDir()
	cdl := filepath.Join(dir, "edges.cdl")
	nc := filepath.Join(dir, "edges.nc")
	if err := os.WriteFile(cdl, []byte(edgesCDL), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ncgen", "-k", "nc4", "-o", nc, cdl).CombinedOutput(); err != nil {
		t.Fatalf("ncgen: %v: %s", err, out)
	}
	f, err := openPath(t, nc)
	if err != nil {
		t.Fatal(err)
	}
	compareWithNcdump(t, nc, f)
	for _, v := range f.Vars() {
		whole, err := v.Read()
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		n := v.Dims[0].Len
		row := reflect.ValueOf(whole).Len() / int(n)
		for s := int64(0); s <= n; s++ {
			for c := int64(0); s+c <= n; c++ {
				got, err := v.ReadRecords(s, c)
				if err != nil {
					t.Fatalf("%s records [%d, %d): %v", v.Name, s, s+c, err)
				}
				want := reflect.ValueOf(whole).Slice(int(s)*row, int(s+c)*row).Interface()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s records [%d, %d): %v, want %v", v.Name, s, s+c, got, want)
				}
			}
		}
	}
}

// TestTypedReadGaps shortens the stored extent of the edges file's
// variables and drops chunks from their index, as files written record by
// record or with unwritten chunks have them, and checks that the typed
// read fills the same records as the general path, which ncdump checks
// on such files among the fixtures.
func TestTypedReadGaps(t *testing.T) {
	needTool(t, "ncgen")
	dir := t.TempDir()
	cdl := filepath.Join(dir, "edges.cdl")
	nc := filepath.Join(dir, "edges.nc")
	if err := os.WriteFile(cdl, []byte(edgesCDL), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ncgen", "-k", "nc4", "-o", nc, cdl).CombinedOutput(); err != nil {
		t.Fatalf("ncgen: %v: %s", err, out)
	}
	f, err := openPath(t, nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vars() {
		if _, err := v.Read(); err != nil {
			t.Fatal(err)
		}
		ds := v.h5
		all, ext0 := ds.chunks, ds.space.dims[0]
		n := v.Dims[0].Len
		for cut := uint64(0); cut <= ext0; cut++ {
			for drop := -1; drop < len(all); drop++ {
				ds.space.dims[0] = cut
				ds.chunks = nil
				for i, c := range all {
					if i != drop {
						ds.chunks = append(ds.chunks, c)
					}
				}
				for s := int64(0); s <= n; s++ {
					for c := int64(0); s+c <= n; c++ {
						got, ok, err := f.h5.readTyped(v, s, c)
						if !ok || err != nil {
							t.Fatalf("%s: typed read not taken: %v", v.Name, err)
						}
						raw, _, big, err := f.h5.readVar(v, s, c)
						if err != nil {
							t.Fatal(err)
						}
						want, _ := decodeSlice(raw, v.Type, big)
						if !reflect.DeepEqual(got, want) {
							t.Fatalf("%s extent %d without chunk %d, records [%d, %d): %v, want %v", v.Name, cut, drop, s, s+c, got, want)
						}
					}
				}
			}
		}
		ds.chunks, ds.space.dims[0] = all, ext0
	}
}

// TestTypedReadMatchesBytes checks that the direct typed read of chunked
// variables gives what the general path (a byte image of the variable,
// then converted) gives, on every sample and fixture.
func TestTypedReadMatchesBytes(t *testing.T) {
	typed := 0
	for _, p := range seedFiles(t) {
		f, err := openPath(t, p)
		if err != nil || f.h5 == nil {
			continue
		}
		for _, v := range f.Vars() {
			if len(v.Dims) == 0 {
				continue
			}
			n := v.Dims[0].Len
			for _, r := range [][2]int64{{0, n}, {n / 3, n / 2}, {n - min(n, 1), min(n, 1)}} {
				got, ok, err := f.h5.readTyped(v, r[0], r[1])
				if !ok {
					continue
				}
				typed++
				raw, _, big, err2 := f.h5.readVar(v, r[0], r[1])
				if (err != nil) != (err2 != nil) {
					t.Fatalf("%s %s %v: typed error %v, byte path error %v", filepath.Base(p), v.Name, r, err, err2)
				}
				if err != nil {
					continue
				}
				want, err := decodeSlice(raw, v.Type, big)
				if err != nil {
					t.Fatal(err)
				}
				if !sameValues(got, want) {
					t.Errorf("%s %s records %v: typed read differs", filepath.Base(p), v.Name, r)
				}
			}
		}
	}
	if typed == 0 {
		t.Error("no variable took the typed path")
	}
}

// TestDecodeShuffledInto checks the one-pass unshuffle and conversion
// against unshuffling first and converting after, for every numeric
// type, both byte orders and sub-ranges of a chunk.
func TestDecodeShuffledInto(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, typ := range []Type{TypeInt8, TypeUint8, TypeInt16, TypeUint16, TypeInt32, TypeUint32,
		TypeInt64, TypeUint64, TypeFloat32, TypeFloat64} {
		es := typ.size()
		for _, big := range []bool{false, true} {
			for range 20 {
				n := 1 + rng.Intn(300)
				planes := make([]byte, n*es)
				rng.Read(planes)
				plain := make([]byte, len(planes))
				unshuffle(plain, planes, es)
				e0 := rng.Intn(n)
				e1 := e0 + rng.Intn(n-e0+1)
				off := rng.Intn(5)
				got := newSlice(typ, off+e1-e0)
				want := newSlice(typ, off+e1-e0)
				decodeShuffledInto(got, off, planes, e0, e1, big)
				decodeInto(want, off, plain[e0*es:e1*es], big)
				if !reflect.DeepEqual(got, want) && !sameValues(got, want) {
					t.Fatalf("%s big=%v, %d elements [%d, %d): %v, want %v", typ, big, n, e0, e1, got, want)
				}
			}
		}
	}
}

// TestConcurrentReads reads every variable of each file from several
// goroutines at once, each read racing with the first read of the same
// variable (which builds its chunk index), and compares with reads one
// after the other. Run with -race, it checks that a File is safe for
// concurrent use.
func TestConcurrentReads(t *testing.T) {
	paths := seedFiles(t)
	dir := os.Getenv("HELIOTIME_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared", "bench")
	}
	day, _ := filepath.Glob(filepath.Join(dir, "*0510*.nc")) // many chunks: parallel workers
	paths = append(paths, day...)
	for _, p := range paths {
		seq, err := openPath(t, p)
		if err != nil {
			continue
		}
		want := map[string]any{}
		for _, v := range seq.Vars() {
			if d, err := v.Read(); err == nil {
				want[v.Name] = d
			}
		}
		f, err := openPath(t, p)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*len(f.Vars()))
		for range 4 {
			for _, v := range f.Vars() {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := v.Read()
					if w, ok := want[v.Name]; ok && (err != nil || !sameValues(d, w) && !reflect.DeepEqual(d, w)) {
						errs <- fmt.Errorf("%s %s: concurrent read differs (%v)", filepath.Base(p), v.Name, err)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

package netcdf

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// variant rewrites a netCDF file with the HDF5/netCDF command-line tools.
// Each step is a command; "IN" and "OUT" are replaced by the input and
// output paths, "CHUNK:a/b" by per-variable h5repack chunk layouts.
type variant struct {
	name  string
	steps [][]string
}

var variants = []variant{
	{"h5repack-latest", [][]string{{"h5repack", "--latest", "IN", "OUT"}}},
	{"h5repack-shuffle-gzip9", [][]string{{"h5repack", "-f", "SHUF", "-f", "GZIP=9", "IN", "OUT"}}},
	{"h5repack-fletcher32", [][]string{{"h5repack", "-f", "FLET", "IN", "OUT"}}},
	{"h5repack-nofilter", [][]string{{"h5repack", "-f", "NONE", "IN", "OUT"}}},
	{"h5repack-chunk7", [][]string{{"h5repack", "CHUNK:7/3", "IN", "OUT"}}},
	{"h5repack-chunk1000-latest", [][]string{{"h5repack", "--latest", "CHUNK:1000/1000", "IN", "OUT"}}},
	{"fixed-latest", [][]string{{"nccopy", "-u", "IN", "OUT"}, {"h5repack", "--latest", "IN", "OUT"}}},
	{"fixed-contiguous", [][]string{{"nccopy", "-u", "IN", "OUT"}, {"h5repack", "-l", "CONTI", "IN", "OUT"}}},
	{"fixed-compact-latest", [][]string{{"nccopy", "-u", "IN", "OUT"}, {"h5repack", "--latest", "COMPACT", "IN", "OUT"}}},
	{"fixed-chunk5-fletcher-latest", [][]string{{"nccopy", "-u", "IN", "OUT"}, {"h5repack", "--latest", "-f", "FLET", "CHUNK:5/2", "IN", "OUT"}}},
	{"compact-to-implicit-latest", [][]string{{"nccopy", "-u", "IN", "OUT"}, {"h5repack", "--latest", "COMPACT", "IN", "OUT"}, {"h5repack", "--latest", "CHUNK:1/1", "IN", "OUT"}}},
	{"nccopy-cdf5", [][]string{{"nccopy", "-k", "cdf5", "IN", "OUT"}}},
	{"nccopy-classic", [][]string{{"nccopy", "-k", "classic", "IN", "OUT"}}},
	{"nccopy-64bit", [][]string{{"nccopy", "-k", "64-bit offset", "IN", "OUT"}}},
	{"nccopy-nc4-time1000", [][]string{{"nccopy", "-k", "nc4", "-c", "time/1000", "IN", "OUT"}}},
	{"nccopy-nc4-time7-deflate", [][]string{{"nccopy", "-k", "nc4", "-d", "5", "-s", "-c", "time/7", "IN", "OUT"}}},
}

// expand builds the argument list of one step.
func expand(step []string, in, out string, f *File) []string {
	var args []string
	for _, a := range step {
		switch {
		case a == "IN":
			args = append(args, in)
		case a == "OUT":
			args = append(args, out)
		case a == "COMPACT":
			// Compact storage holds at most 64 KiB per dataset.
			for _, v := range f.Vars() {
				if n, _ := shapeCount(v.Shape()); v.Type != TypeString && n*int64(max(1, v.Type.size())) < 30000 && n > 0 {
					args = append(args, "-l", v.Name+":COMPA")
				}
			}
		case strings.HasPrefix(a, "CHUNK:"):
			var c1, c2 int
			fmt.Sscanf(a, "CHUNK:%d/%d", &c1, &c2)
			for _, v := range f.Vars() {
				if strings.Contains(v.Name, "/") || v.Type == TypeString {
					continue
				}
				switch len(v.Dims) {
				case 1:
					args = append(args, "-l", fmt.Sprintf("%s:CHUNK=%d", v.Name, c1))
				case 2:
					args = append(args, "-l", fmt.Sprintf("%s:CHUNK=%dx%d", v.Name, c1, c2))
				}
			}
		default:
			args = append(args, a)
		}
	}
	return args
}

// variantSources are the originals rewritten by every variant: the NOAA
// samples that ncdump accepts plus the fixtures in testdata/nc.
func variantSources(t *testing.T) []string {
	var out []string
	for _, p := range sampleFiles(t) {
		if _, err := ncdumpCDL(p); err == nil {
			out = append(out, p)
		}
	}
	fx, _ := filepath.Glob(filepath.Join(moduleRoot(t), "testdata", "nc", "*.nc"))
	return append(out, fx...)
}

// TestVariantMatrix rewrites every source with each variant and checks
// that the variant reads back with the original's values, recording which
// HDF5 structures each variant used.
func TestVariantMatrix(t *testing.T) {
	for _, tool := range []string{"ncdump", "h5repack", "nccopy"} {
		needTool(t, tool)
	}
	if testing.Short() {
		t.Skip("variant matrix runs external tools: skipped in -short mode")
	}
	srcs := variantSources(t)
	tmp := t.TempDir()
	seen := map[string]int{}
	made := map[string]int{}
	for _, src := range srcs {
		orig, err := openPath(t, src)
		if err != nil {
			t.Fatalf("open %s: %v", src, err)
		}
		want := readAll(t, orig)
		// The sources count too: h5index.nc holds the chunk indexes no
		// command-line tool writes.
		orig.feat.mu.Lock()
		for k, n := range orig.feat.n {
			seen[k] += n
		}
		orig.feat.mu.Unlock()
		for _, vr := range variants {
			name := vr.name + "/" + strings.TrimSuffix(filepath.Base(src), ".nc")
			in := src
			ok := true
			for i, step := range vr.steps {
				out := filepath.Join(tmp, fmt.Sprintf("%s_%s_%d.nc", vr.name, filepath.Base(src), i))
				args := expand(step, in, out, orig)
				if msg, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
					// Some rewrites cannot hold the source (unsigned types in
					// classic files, strings in CDF-5): that is the tool's
					// documented limit, not the reader's.
					t.Logf("%s: %s refused: %v: %s", name, args[0], err, firstLine(string(msg)))
					ok = false
					break
				}
				in = out
			}
			if !ok {
				continue
			}
			made[vr.name]++
			t.Run(name, func(t *testing.T) {
				f, err := openPath(t, in)
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				got := readAll(t, f)
				for vn, w := range want {
					g, ok := got[vn]
					if !ok {
						t.Errorf("variable %q missing", vn)
						continue
					}
					if !sameValues(g, w) {
						t.Errorf("variable %q differs from the original", vn)
					}
				}
				if f.feat != nil {
					f.feat.mu.Lock()
					for k, n := range f.feat.n {
						seen[k] += n
					}
					f.feat.mu.Unlock()
					t.Logf("structures: %s", f.feat.summary())
				}
			})
		}
	}
	for _, vr := range variants {
		if made[vr.name] == 0 {
			t.Errorf("variant %s produced no file", vr.name)
		}
	}
	required := []string{
		"superblock v0", "superblock v1", "superblock v2", "superblock v3", "object header v1", "object header v2",
		"chunk index v1 B-tree", "chunk index single chunk", "chunk index implicit", "chunk index fixed array",
		"chunk index extensible array", "chunk index v2 B-tree", "layout v3 compact", "layout v4 compact",
		"layout v3 contiguous", "fletcher32 verified", "filter shuffle", "filter deflate",
		"dense attributes", "dense links", "compact link", "group symbol table", "v2 B-tree internal node",
		"fractal heap root indirect block", "netCDF-3 classic", "netCDF-3 64-bit offset", "netCDF-3 cdf5",
		"fixed array paged", "extensible array super block", "object header v1 continuation",
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("structures over the matrix: %v", keys)
	for _, r := range required {
		if seen[r] == 0 {
			t.Errorf("no variant exercised %q", r)
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// readAll reads every variable of f.
func readAll(t *testing.T, f *File) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, v := range f.Vars() {
		d, err := v.Read()
		if err != nil {
			t.Fatalf("read %q: %v", v.Name, err)
		}
		out[v.Name] = d
	}
	return out
}

// sameValues compares two reads, treating NaN as equal to NaN.
func sameValues(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	fa, err1 := toFloat64(a)
	fb, err2 := toFloat64(b)
	if err1 != nil || err2 != nil || len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] != fa[i] && fb[i] != fb[i] {
			continue
		}
		if fa[i] != fb[i] {
			return false
		}
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b)
}

package netcdf

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFixturesMatchNcdump reads the ncgen-made fixtures in testdata/nc and
// compares them with ncdump; the kind must match the ncgen -k flag the
// file name records.
func TestFixturesMatchNcdump(t *testing.T) {
	needTool(t, "ncdump")
	dir := filepath.Join(moduleRoot(t), "testdata", "nc")
	files, _ := filepath.Glob(filepath.Join(dir, "*.nc"))
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	kinds := map[string]Kind{
		"classic.nc": KindClassic, "classic_64bit.nc": Kind64BitOffset, "classic_cdf5.nc": KindCDF5,
		"classic_nc4.nc": KindNetCDF4, "classic_nc4classic.nc": KindNetCDF4, "onerecord.nc": KindClassic,
		"alltypes_cdf5.nc": KindCDF5, "alltypes_nc4.nc": KindNetCDF4, "nc4.nc": KindNetCDF4,
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := openPath(t, p)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if want, ok := kinds[filepath.Base(p)]; ok && f.Kind() != want {
				t.Errorf("kind %v, want %v", f.Kind(), want)
			}
			compareWithNcdump(t, p, f)
			t.Logf("structures: %s", f.feat.summary())
		})
	}
}

// TestFixtureFeatures checks that the nc4 fixture exercises the structures
// it was written for.
func TestFixtureFeatures(t *testing.T) {
	p := filepath.Join(moduleRoot(t), "testdata", "nc", "nc4.nc")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	f, err := openPath(t, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vars() {
		if _, err := v.Read(); err != nil {
			t.Fatalf("read %s: %v", v.Name, err)
		}
	}
	for _, want := range []string{"dense attributes", "dense links", "filter fletcher32", "fletcher32 verified",
		"filter shuffle", "filter deflate", "layout v3 compact", "layout v3 contiguous", "read compact"} {
		if f.feat.n[want] == 0 {
			t.Errorf("structure %q not exercised; saw %s", want, f.feat.summary())
		}
	}
}

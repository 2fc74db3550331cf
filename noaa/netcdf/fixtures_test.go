package netcdf

import (
	"os"
	"path/filepath"
	"reflect"
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
		"h5index.nc": KindNetCDF4, "h5sb1.nc": KindNetCDF4,
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

// TestReadRecordsMatchesRead checks that every record range equals the
// corresponding slice of a whole read, on the fixtures and the samples.
func TestReadRecordsMatchesRead(t *testing.T) {
	for _, p := range seedFiles(t) {
		f, err := openPath(t, p)
		if err != nil {
			continue // the non-netCDF sample is covered elsewhere
		}
		for _, v := range f.Vars() {
			if len(v.Dims) == 0 || v.Dims[0].Len == 0 || v.Type == TypeChar {
				continue
			}
			whole, err := v.Read()
			if err != nil {
				t.Fatalf("%s %s: %v", filepath.Base(p), v.Name, err)
			}
			n := v.Dims[0].Len
			row := reflect.ValueOf(whole).Len() / int(n)
			for _, r := range [][2]int64{{0, 1}, {n / 3, n / 2}, {n - 1, 1}, {0, n}, {n, 0}} {
				got, err := v.ReadRecords(r[0], r[1])
				if err != nil {
					t.Fatalf("%s %s records %v: %v", filepath.Base(p), v.Name, r, err)
				}
				want := reflect.ValueOf(whole).Slice(int(r[0])*row, int(r[0]+r[1])*row).Interface()
				if !sameValues(got, want) && !(reflect.ValueOf(got).Len() == 0 && reflect.ValueOf(want).Len() == 0) {
					t.Errorf("%s %s records %v differ from the whole read", filepath.Base(p), v.Name, r)
				}
			}
			if _, err := v.ReadRecords(n, 1); err == nil {
				t.Errorf("%s %s: reading past the end succeeded", filepath.Base(p), v.Name)
			}
		}
	}
}

// TestAccessors checks the typed accessors and attribute helpers against
// values written in testdata/cdl/classic.cdl.
func TestAccessors(t *testing.T) {
	for _, name := range []string{"classic.nc", "classic_nc4.nc", "classic_cdf5.nc"} {
		f, err := openPath(t, filepath.Join(moduleRoot(t), "testdata", "nc", name))
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := AttrString(f.Attrs(), "title"); !ok || s != "classic-model fixture covering every classic type" {
			t.Errorf("%s: title %q %v", name, s, ok)
		}
		if x, ok := AttrFloat64(f.Var("flux").Attrs, "_FillValue"); !ok || x != -99999 {
			t.Errorf("%s: flux _FillValue %v %v", name, x, ok)
		}
		if x, ok := AttrFloat64(f.Attrs(), "double_att"); !ok || x != 2.718281828459045 {
			t.Errorf("%s: double_att %v %v", name, x, ok)
		}
		if _, ok := AttrFloat64(f.Attrs(), "title"); ok {
			t.Errorf("%s: text attribute converted to a number", name)
		}
		tm, err := f.Var("time").Float64s()
		if err != nil || !reflect.DeepEqual(tm, []float64{0, 1.5, 3, 4.5, 6}) {
			t.Errorf("%s: time %v %v", name, tm, err)
		}
		fl, err := f.Var("flux").Float32s()
		if err != nil || len(fl) != 15 || fl[0] != 1e-09 || fl[4] != -99999 {
			t.Errorf("%s: flux %v %v", name, fl, err)
		}
		ids, err := f.Var("ids").Int64s()
		if err != nil || !reflect.DeepEqual(ids, []int64{100, 200, 300}) {
			t.Errorf("%s: ids %v %v", name, ids, err)
		}
		if _, err := f.Var("gain").Int64s(); err == nil {
			t.Errorf("%s: Int64s of a float variable succeeded", name)
		}
		lab, err := f.Var("label").Read()
		if err != nil || !reflect.DeepEqual(lab, []string{"first", "second", "third", "", "fifth"}) {
			t.Errorf("%s: label %q %v", name, lab, err)
		}
		if v, _ := f.Var("scalar").Read(); !reflect.DeepEqual(v, []int32{42}) {
			t.Errorf("%s: scalar %v", name, v)
		}
		if f.Var("nope") != nil {
			t.Errorf("%s: Var of a missing name is not nil", name)
		}
		if got := f.Var("flux").Shape(); !reflect.DeepEqual(got, []int64{5, 3}) {
			t.Errorf("%s: flux shape %v", name, got)
		}
	}
}

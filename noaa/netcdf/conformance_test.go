package netcdf

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSamplesMatchNcdump opens every NOAA sample and compares every
// dimension, attribute and value with what ncdump prints.
func TestSamplesMatchNcdump(t *testing.T) {
	needTool(t, "ncdump")
	for _, p := range sampleFiles(t) {
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) {
			f, err := openPath(t, p)
			cdl, cerr := ncdumpCDL(p)
			if cerr != nil {
				// Valid HDF5 that the netCDF library rejects: the reader
				// must still expose the data it can make sense of.
				if !strings.Contains(cerr.Error(), "HDF error") {
					t.Fatalf("ncdump failed unexpectedly: %v", cerr)
				}
				checkNotNetCDF(t, p, f, err)
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			compareCDL(t, cdl, f)
			t.Logf("structures: %s", f.feat.summary())
		})
	}
}

// checkNotNetCDF asserts the documented behaviour for an HDF5 file that is
// not netCDF-4 (its DIMENSION_LIST references point into the file it was
// copied from): Open succeeds, every dataset is a variable, and 1-D
// datasets take the dimension scale of the same length. Values are checked against the netCDF rewrite of the
// same records (goes_13_leap_second.nc in the samples root), which stores
// them as doubles.
func checkNotNetCDF(t *testing.T, p string, f *File, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("open non-netCDF HDF5 file: %v", err)
	}
	for _, name := range []string{"time", "a_flux", "b_flux", "a_flags", "b_flags"} {
		v := f.Var(name)
		if v == nil {
			t.Fatalf("variable %q missing", name)
		}
		if len(v.Dims) != 1 || v.Dims[0].Name != "time" {
			t.Errorf("variable %q dims %+v, want (time)", name, v.Dims)
		}
	}
	if v := f.Var("a_flux"); v.Type != TypeFloat32 {
		t.Errorf("a_flux type %s, want float", v.Type)
	}
	twin := filepath.Join(sharedDir(t, "HELIOTIME_NOAA_SAMPLES", "noaa"), filepath.Base(p))
	tf, err := openPath(t, twin)
	if err != nil {
		t.Skipf("netCDF twin %s unavailable: %v", twin, err)
	}
	for _, name := range []string{"time", "a_flux", "b_flux", "a_counts", "a_flags"} {
		got, err := f.Var(name).Float64s()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		want, err := tf.Var(name).Float64s()
		if err != nil {
			t.Fatalf("read twin %s: %v", name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, twin has %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] && float32(got[i]) != float32(want[i]) {
				t.Fatalf("%s[%d] = %v, twin %v", name, i, got[i], want[i])
			}
		}
	}
}

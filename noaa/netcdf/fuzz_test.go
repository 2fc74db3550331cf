package netcdf

import (
	"bytes"
	"os"
	"testing"
)

// FuzzOpen opens arbitrary bytes and reads every variable: no input may
// panic, hang or allocate without bound. Seeds are the NOAA samples (when
// present) and the fixtures.
func FuzzOpen(f *testing.F) {
	for _, p := range seedFiles(f) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !namesStructure(err) {
				t.Fatalf("error does not name a structure: %v", err)
			}
			return
		}
		for _, v := range fl.Vars() {
			// Declared shapes up to 1000x the input are legal; reading
			// them in full only slows the fuzzer down, so big ones get
			// a one-record read.
			n, err := shapeCount(v.Shape())
			if err == nil && n*int64(max(1, v.Type.size())) <= 1<<22 {
				_, err = v.Float64s()
			} else if len(v.Dims) > 0 && v.Dims[0].Len > 0 {
				_, err = v.ReadRecords(0, 1)
			}
			if err != nil && !namesStructure(err) {
				t.Fatalf("error does not name a structure: %v", err)
			}
		}
	})
}

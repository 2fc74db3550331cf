package netcdf

import (
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
		fl, err := openAndRead(data)
		if err != nil && !namesStructure(err) {
			t.Fatalf("error does not name a structure: %v", err)
		}
		if fl == nil {
			return
		}
		for _, v := range fl.Vars() {
			v.Float64s()
		}
	})
}

package plot

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/fluxcsv"
)

var update = flag.Bool("update", false, "rewrite the pictures under docs/img")

// moduleRoot walks up from the package folder to go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("go.mod not found")
		}
		d = filepath.Dir(d)
	}
}

// TestDocsPictures draws the pictures of docs/cleaning.md from a golden case: raw and
// cleaned flux of GOES-16's long band over two days, and a zoom on its artifacts. With
// -update it rewrites them; otherwise it checks that the committed files are current.
func TestDocsPictures(t *testing.T) {
	root := moduleRoot(t)
	golden := os.Getenv("HELIOTIME_GOLDEN_DIR")
	if golden == "" {
		golden = filepath.Join(root, "..", "shared", "golden")
	}
	in := filepath.Join(golden, "goesr_1s", "input_g16_long.csv.gz")
	f, err := os.Open(in)
	if err != nil {
		t.Skipf("golden cases not available (set HELIOTIME_GOLDEN_DIR): %v", err)
	}
	raw, err := fluxcsv.ReadFile(in, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC)
	whole := flux.RangeOf(start, start.Add(48*time.Hour))
	cleaned := flux.Clean(raw, whole)
	pictures := []struct {
		file  string
		title string
		r     flux.Range
	}{
		{"cleaning-overview.svg", "GOES-16 XRS-B (synthetic golden case), 2 days: raw and cleaned", whole},
		{"cleaning-zoom.svg", "Zoom: 2024-05-10 04:00-07:00 UTC", flux.RangeOf(start.Add(4*time.Hour), start.Add(7*time.Hour))},
	}
	for _, p := range pictures {
		var buf bytes.Buffer
		err := WriteSVG(&buf, Options{Title: p.title, Range: p.r},
			Line{Name: "raw", Series: raw, Color: "#b0b0b0"},
			Line{Name: "cleaned", Series: cleaned, Color: "#1f5fbf", Width: 1.2})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, "docs", "img", p.file)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./plot -run TestDocsPictures -update)", err)
		}
		if !bytes.Equal(old, buf.Bytes()) {
			t.Errorf("%s is out of date: run go test ./plot -run TestDocsPictures -update", path)
		}
	}
}

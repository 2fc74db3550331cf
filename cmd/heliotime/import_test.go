package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store/storetest"
)

// runImportCLI runs `heliotime import ARGS...` in-process.
func runImportCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runHeliotime(t, append([]string{"import"}, args...)...)
}

func TestImportUsage(t *testing.T) {
	isolateConfig(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2024-05-12", "--to", "2024-05-10"}, "--from"},
		{[]string{"--from", "2024-05-10", "--to", "2024-05-10"}, "--from"},
		{[]string{"--from", "10/05/2024"}, "--from"},
		{[]string{"--satellite", "42"}, "--satellite"},
		{[]string{"--source", "sun"}, "--source"},
		{[]string{"--batch-days", "0"}, "--batch-days"},
		{[]string{"--source", "live", "--file", "x.nc"}, "--file"},
		{[]string{"--follow"}, "--follow"},
		{[]string{"stray.nc"}, "stray.nc"},
		{[]string{"--mirror", "/nonexistent/mirror"}, "--mirror"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runImportCLI(t, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %s", r.code, r.stderr, tc.want)
			}
		})
	}
}

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImportOfflineMirror(t *testing.T) {
	isolateConfig(t)
	db := storetest.New(t)
	mirror := t.TempDir()
	copyTree(t, "../../testdata/mirror", mirror)
	// Corrupt one day of one satellite: that day fails, the others are stored.
	bad := filepath.Join(mirror, "data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes18/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g18_d20240512_v2-2-0.nc")
	if err := os.WriteFile(bad, []byte("\x89HDF\r\n\x1a\n not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--database-url", db.URL(), "--mirror", mirror, "--from", "2024-05-10", "--to", "2024-05-13", "--progress", "log"}
	r := runImportCLI(t, args...)
	t.Logf("first run:\n%s%s", r.stdout, r.stderr)
	if r.code != exitPartial || !strings.Contains(r.stdout, "FAILED 2024-05-12 sci_xrsf-l2-flx1s_g18_d20240512_v2-2-0.nc") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "2 days written") || !strings.Contains(r.stderr, "batch") {
		t.Errorf("summary or batch log missing:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
	// With the import lock held elsewhere: exit 1 with a clear message.
	lock, err := db.LockSource(context.Background(), flux.SourceArchive, false)
	if err != nil {
		t.Fatal(err)
	}
	r = runImportCLI(t, args...)
	lock.Release()
	if r.code != exitFailure || !strings.Contains(r.stderr, "another archive import is running") {
		t.Errorf("locked: exit %d, stderr %q", r.code, r.stderr)
	}
	// Repaired, the next run imports the failed day and skips the others.
	copyTree(t, "../../testdata/mirror", mirror)
	r = runImportCLI(t, args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "1 days written, 2 unchanged") {
		t.Errorf("retry: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// The progress bar (forced; it is the default on a terminal).
	r = runImportCLI(t, "--database-url", db.URL(), "--mirror", mirror, "--from", "2024-05-12", "--to", "2024-05-13", "--force", "--progress", "bar")
	if r.code != exitOK || !strings.Contains(r.stderr, "days") || !strings.Contains(r.stderr, "rows/s") {
		t.Errorf("progress bar: exit %d\nstderr %q", r.code, r.stderr)
	}
	// The imported flux answers queries (the README's next step).
	q := runHeliotime(t, "query", "--database-url", db.URL(), "--from", "2024-05-10", "--to", "2024-05-13", "--resolution", "12")
	if q.code != exitOK || strings.Count(strings.TrimSpace(q.stdout), "\n") < 10 {
		t.Errorf("query: exit %d\nstdout %s\nstderr %s", q.code, q.stdout, q.stderr)
	}
	t.Logf("query:\n%s", q.stdout)
}

// TestImportSeveralFiles imports two local files named after one --file.
func TestImportSeveralFiles(t *testing.T) {
	isolateConfig(t)
	dir := filepath.Join("..", "..", "..", "shared", "noaa")
	a, b := filepath.Join(dir, "go1520110607.fits"), filepath.Join(dir, "go1520120601.fits.gz")
	for _, p := range []string{a, b} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("NOAA samples not found (%v): they live in ../shared/noaa beside the repository", err)
		}
	}
	db := storetest.New(t)
	r := runImportCLI(t, "--database-url", db.URL(), "--progress", "log", "--file", a, b)
	if r.code != exitOK || !strings.Contains(r.stdout, "2 files") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

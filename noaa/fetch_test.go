package noaa_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/ingest/archivetest"
	"github.com/heliotime/heliotime/noaa"
)

const testFileURL = "https://data.ngdc.noaa.gov/x/data.bin"

// newTree writes one 64 KiB file at testFileURL and serves the tree.
func newTree(t *testing.T) (*archivetest.Server, []byte) {
	root := t.TempDir()
	body := []byte(strings.Repeat("0123456789abcdef", 4096))
	p := filepath.Join(root, "data.ngdc.noaa.gov", "x", "data.bin")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return archivetest.New(t, root), body
}

func newFetcher(t *testing.T, srv *archivetest.Server, opt noaa.FetchOptions) *noaa.Fetcher {
	m, err := noaa.ParseMirror(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opt.Mirror = m
	if opt.BaseDelay == 0 {
		opt.BaseDelay = 10 * time.Millisecond
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 300 * time.Millisecond
	}
	f, err := noaa.NewFetcher(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestFetchFaults(t *testing.T) {
	const path = "/data.ngdc.noaa.gov/x/data.bin"
	tests := []struct {
		name     string
		faults   []archivetest.Fault
		attempts int
		ok       bool
		minWait  time.Duration
	}{
		{"clean", nil, 3, true, 0},
		{"500 then ok", []archivetest.Fault{archivetest.Status500, archivetest.Status500}, 3, true, 0},
		{"429 with Retry-After", []archivetest.Fault{archivetest.TooMany}, 3, true, time.Second},
		{"503 with Retry-After", []archivetest.Fault{archivetest.Unavailable}, 3, true, time.Second},
		{"stalled body", []archivetest.Fault{archivetest.Stall}, 3, true, 300 * time.Millisecond},
		{"truncated body", []archivetest.Fault{archivetest.Truncate}, 3, true, 0},
		{"500 every time", []archivetest.Fault{archivetest.Status500, archivetest.Status500, archivetest.Status500}, 3, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, body := newTree(t)
			srv.Fail(path, tc.faults...)
			f := newFetcher(t, srv, noaa.FetchOptions{Attempts: tc.attempts, CacheDir: t.TempDir()})
			start := time.Now()
			got, err := f.Fetch(context.Background(), testFileURL, noaa.Validator{})
			if !tc.ok {
				if err == nil {
					t.Fatal("fetch succeeded")
				}
				if n := srv.Requests(path); n != tc.attempts {
					t.Errorf("%d requests, want %d", n, tc.attempts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < tc.minWait {
				t.Errorf("succeeded after %s, before the %s the server asked for", d, tc.minWait)
			}
			if n := srv.Requests(path); n != len(tc.faults)+1 {
				t.Errorf("%d requests, want %d", n, len(tc.faults)+1)
			}
			b, err := os.ReadFile(got.Path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			if string(b) != string(body) || got.Size != int64(len(body)) || got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("downloaded %d bytes (sha %s), want %d", len(b), got.SHA256, len(body))
			}
			f.Release(got)
			if _, err := os.Stat(got.Path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Release kept %s: %v", got.Path, err)
			}
		})
	}
}

func TestFetchConditionalAndKeep(t *testing.T) {
	const path = "/data.ngdc.noaa.gov/x/data.bin"
	srv, _ := newTree(t)
	f := newFetcher(t, srv, noaa.FetchOptions{CacheDir: t.TempDir(), KeepFiles: true})
	ctx := context.Background()
	first, err := f.Fetch(ctx, testFileURL, noaa.Validator{})
	if err != nil {
		t.Fatal(err)
	}
	if first.ETag == "" || first.LastModified == "" {
		t.Fatalf("no validators: %+v", first)
	}
	f.Release(first)
	if _, err := os.Stat(first.Path); err != nil {
		t.Errorf("KeepFiles: %v", err)
	}
	again, err := f.Fetch(ctx, testFileURL, noaa.Validator{ETag: first.ETag, LastModified: first.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !again.NotModified || srv.NotModified(path) != 1 {
		t.Errorf("conditional request: NotModified %v, server 304s %d", again.NotModified, srv.NotModified(path))
	}
	changed, err := f.Fetch(ctx, testFileURL, noaa.Validator{ETag: `"other"`})
	if err != nil || changed.NotModified {
		t.Errorf("changed file: %+v, %v", changed, err)
	}
}

func TestFetchNotFoundAndCancel(t *testing.T) {
	srv, _ := newTree(t)
	f := newFetcher(t, srv, noaa.FetchOptions{})
	_, err := f.Fetch(context.Background(), "https://data.ngdc.noaa.gov/x/missing.bin", noaa.Validator{})
	if !errors.Is(err, noaa.ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
	if _, err := f.List(context.Background(), "https://data.ngdc.noaa.gov/nothing/"); !errors.Is(err, noaa.ErrNotFound) {
		t.Errorf("missing directory: %v, want ErrNotFound", err)
	}
	srv.FailAlways("/data.ngdc.noaa.gov/x/data.bin", archivetest.TooMany)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := f.Fetch(ctx, testFileURL, noaa.Validator{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled fetch: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled fetch returned after %s", d)
	}
}

func TestListLocalAndHTTP(t *testing.T) {
	srv, _ := newTree(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data.ngdc.noaa.gov", "x", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data.ngdc.noaa.gov", "x", "data.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	local, err := noaa.ParseMirror(root)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := noaa.NewFetcher(noaa.FetchOptions{Mirror: local})
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	hf := newFetcher(t, srv, noaa.FetchOptions{})
	for name, f := range map[string]*noaa.Fetcher{"local": lf, "http": hf} {
		names, err := f.List(context.Background(), "https://data.ngdc.noaa.gov/x")
		if err != nil {
			t.Fatal(err)
		}
		want := "data.bin"
		if name == "local" {
			want = "data.bin sub/"
		}
		if strings.Join(names, " ") != want {
			t.Errorf("%s listing: %q, want %q", name, names, want)
		}
	}
}

// Package archivetest serves a NOAA-like tree over HTTP for tests: files from a local
// directory laid out as a mirror (ROOT/HOST/PATH answers /HOST/PATH), directories as
// Apache-style autoindex pages, ETag/Last-Modified with conditional requests, and faults
// injected per path.
package archivetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is one injected failure of one request.
type Fault int

const (
	// Status500 answers 500 Internal Server Error.
	Status500 Fault = iota + 1
	// TooMany answers 429 with Retry-After: 1.
	TooMany
	// Unavailable answers 503 with Retry-After: 1.
	Unavailable
	// Stall sends half the body, then nothing until the client gives up.
	Stall
	// Truncate announces the full length, sends half the body and closes.
	Truncate
	// Corrupt sends bytes that are no valid file, with status 200.
	Corrupt
)

// Server is a running test server.
type Server struct {
	*httptest.Server
	root string

	mu       sync.Mutex
	faults   map[string][]Fault // per request path, consumed in order
	always   map[string]Fault   // per request path, every request
	requests map[string]int
	cond     map[string]int // 304 answers per path
}

// New serves root until the test ends.
func New(t testing.TB, root string) *Server {
	s := &Server{root: root, faults: map[string][]Fault{}, always: map[string]Fault{}, requests: map[string]int{}, cond: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Fail makes the next requests of path (the URL path, "/HOST/PATH") fail with faults,
// one per request.
func (s *Server) Fail(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], faults...)
}

// FailAlways makes every request of path fail with f.
func (s *Server) FailAlways(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always[path] = f
}

// Requests returns how many requests path received.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// NotModified returns how many 304 answers path received.
func (s *Server) NotModified(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cond[path]
}

// URL returns the server's URL for https://HOST/PATH (the mirror layout).
func (s *Server) URLFor(rawURL string) string {
	return s.Server.URL + "/" + strings.TrimPrefix(strings.TrimPrefix(rawURL, "https://"), "http://")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	s.mu.Lock()
	s.requests[p]++
	var fault Fault
	if q := s.faults[p]; len(q) > 0 {
		fault, s.faults[p] = q[0], q[1:]
	} else {
		fault = s.always[p]
	}
	s.mu.Unlock()
	switch fault {
	case Status500:
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	case TooMany, Unavailable:
		w.Header().Set("Retry-After", "1")
		code := http.StatusTooManyRequests
		if fault == Unavailable {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, "slow down", code)
		return
	case Corrupt:
		w.Header().Set("Content-Length", "64")
		_, _ = w.Write([]byte(strings.Repeat("not a netCDF file, not FITS.", 3)[:64]))
		return
	}
	local := filepath.Join(s.root, filepath.FromSlash(path.Clean("/"+p)))
	fi, err := os.Stat(local)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		if !strings.HasSuffix(p, "/") {
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
			return
		}
		s.listing(w, p, local)
		return
	}
	body, err := os.ReadFile(local)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", fi.ModTime().UTC().Format(http.TimeFormat))
	w.Header().Set("Cache-Control", "max-age=60")
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.cond[p]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	switch fault {
	case Truncate:
		_, _ = w.Write(body[:len(body)/2])
		return
	case Stall:
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	_, _ = w.Write(body)
}

// listing writes an Apache-style autoindex page.
func (s *Server) listing(w http.ResponseWriter, p, local string) {
	ents, err := os.ReadDir(local)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of %s</title>\n </head>\n <body>\n<h1>Index of %s</h1>\n", html.EscapeString(p), html.EscapeString(p))
	b.WriteString("  <table>\n   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th><th><a href=\"?C=N;O=D\">Name</a></th><th><a href=\"?C=M;O=A\">Last modified</a></th><th><a href=\"?C=S;O=A\">Size</a></th></tr>\n")
	parent := path.Dir(strings.TrimSuffix(p, "/")) + "/"
	fmt.Fprintf(&b, "<tr><td valign=\"top\"><img src=\"/icons/back.gif\" alt=\"[PARENTDIR]\"></td><td><a href=\"%s\">Parent Directory</a></td><td>&nbsp;</td><td align=\"right\">  - </td></tr>\n", html.EscapeString(parent))
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		info, _ := e.Info()
		size := "-"
		mod := ""
		if info != nil {
			mod = info.ModTime().UTC().Format("2006-01-02 15:04")
			if !e.IsDir() {
				size = fmt.Sprintf("%.1fM", float64(info.Size())/1e6)
			}
		}
		fmt.Fprintf(&b, "<tr><td valign=\"top\"><img src=\"/icons/unknown.gif\" alt=\"[   ]\"></td><td><a href=\"%s\">%s</a></td><td align=\"right\">%s  </td><td align=\"right\">%s</td></tr>\n",
			html.EscapeString(n), html.EscapeString(n), mod, size)
	}
	b.WriteString("   <tr><th colspan=\"5\"><hr></th></tr>\n</table>\n</body></html>\n")
	w.Header().Set("Content-Type", "text/html;charset=ISO-8859-1")
	_, _ = w.Write([]byte(b.String()))
}

// Tree builds a NOAA-like tree under dir: files maps https URLs to the local files whose
// content they serve (copied). It returns dir.
func Tree(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for u, src := range files {
		rel := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// SharedDir returns the shared NOAA sample folder ../shared/<sub> relative to the module
// root (or the folder env names), skipping the test when it is absent.
func SharedDir(t testing.TB, env, sub string) string {
	t.Helper()
	if d := os.Getenv(env); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skipf("no go.mod above the test directory: cannot find ../shared/%s", sub)
		}
		dir = up
	}
	d := filepath.Join(dir, "..", "shared", sub)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared samples %s absent (set %s): %v", d, env, err)
	}
	return d
}

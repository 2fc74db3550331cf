package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// insert writes raw rows of one channel straight into the raw table and flux_extent.
func insert(t *testing.T, db *store.DB, src flux.Source, ch flux.Channel, times []time.Time, vals []float32) {
	t.Helper()
	ctx := context.Background()
	table := store.RawTable(src)
	_, err := db.Pool().Exec(ctx, `INSERT INTO `+table+` (time, flux, satellite, band, is_clean)
		SELECT t, v, $3, $4::frequency_band, $5 FROM unnest($1::timestamptz[], $2::real[]) AS u(t, v)`,
		times, vals, ch.Satellite, ch.Band.String(), ch.Clean)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Pool().Exec(ctx, `INSERT INTO flux_extent SELECT $1, satellite, band, is_clean, min(time), max(time), count(*)
		FROM `+table+` WHERE satellite = $2 AND band = $3::frequency_band AND is_clean = $4 GROUP BY satellite, band, is_clean
		ON CONFLICT (source, satellite, band, is_clean) DO UPDATE SET first = excluded.first, last = excluded.last, row_count = excluded.row_count`,
		src.String(), ch.Satellite, ch.Band.String(), ch.Clean)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild every rollup of the source from its raw rows (min, max, count per bucket on
	// the time_bucket grid), the stored rollups' definition.
	for _, l := range store.Levels(src) {
		rt := store.RollupTable(src, l)
		if _, err := db.Pool().Exec(ctx, `DELETE FROM `+rt); err != nil {
			t.Fatal(err)
		}
		_, err := db.Pool().Exec(ctx, `INSERT INTO `+rt+` SELECT date_bin($1::bigint * interval '1 microsecond', time, '2000-01-03T00:00:00Z') AS b,
			satellite, band, is_clean, min(flux), max(flux), count(*) FROM `+table+` GROUP BY b, satellite, band, is_clean`, l.Bucket.Microseconds())
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RepackBlocks(ctx, src); err != nil {
		t.Fatal(err)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type call struct {
	method, target string
	header         map[string]string
}

func do(s http.Handler, c call) *httptest.ResponseRecorder {
	if c.method == "" {
		c.method = http.MethodGet
	}
	r := httptest.NewRequest(c.method, c.target, nil)
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

var defaultChannel = flux.Channel{Satellite: 0, Band: flux.BandLong, Clean: true}

// contractDB holds the three rows of the /flux fixtures (2024-06-20, the original's
// example) in the default channel's archive.
func contractDB(t *testing.T) *store.DB {
	db := storetest.New(t)
	insert(t, db, flux.SourceArchive, defaultChannel,
		[]time.Time{mustTime("2024-06-20T00:00:00Z"), mustTime("2024-06-20T00:00:10Z"), mustTime("2024-06-20T00:00:20.0005Z")},
		[]float32{1.23e-6, 1.24e-6, 1.25e-6})
	return db
}

// TestContract compares response bytes of the original's contract with fixtures written
// from its documented formats: compact [[epoch_ms, flux], ...] with milliseconds rounded
// half away from zero, FastAPI's error bodies.
func TestContract(t *testing.T) {
	db := contractDB(t)
	now := mustTime("2024-07-01T00:00:00Z")
	s := New(db, Options{Logger: quiet, ExtentTTL: -1, Now: func() time.Time { return now }})
	window := "start=2024-06-20T00:00:00.000Z&end=2024-06-20T00:00:30.000Z"
	cases := []struct {
		name    string
		target  string
		status  int
		fixture string
	}{
		{"raw rows", "/flux?resolution=2000&" + window, 200, "flux_raw.json"},
		{"minmax", "/flux?resolution=2000&aggregate=minmax&" + window, 200, "flux_raw_minmax.json"},
		{"default start", "/flux?resolution=2000&end=2024-06-20T00:00:30Z", 200, "flux_raw.json"},
		{"last value wins", "/flux?resolution=x&resolution=2000&" + window, 200, "flux_raw.json"},
		{"missing resolution", "/flux?" + window, 422, "resolution_missing.json"},
		{"invalid resolution", "/flux?resolution=abc", 422, "resolution_invalid.json"},
		{"start after end", "/flux?resolution=10&start=2024-06-20T00:00:01Z&end=2024-06-20T00:00:00Z", 400, "start_after_end.json"},
		{"unknown path", "/nope", 404, "not_found.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := do(s, call{target: c.target})
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, c.status, w.Body)
			}
			if want := fixture(t, c.fixture); !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("body\n%s\nwant\n%s", w.Body, want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	w := do(s, call{method: http.MethodPost, target: "/flux?resolution=1"})
	if w.Code != 405 || !bytes.Equal(w.Body.Bytes(), fixture(t, "method_not_allowed.json")) {
		t.Errorf("POST: %d %s", w.Code, w.Body)
	}
}

func TestStatus(t *testing.T) {
	db := storetest.New(t)
	s := New(db, Options{Logger: quiet, ExtentTTL: -1})
	if w := do(s, call{target: "/status"}); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), fixture(t, "status_empty.json")) {
		t.Errorf("empty: %d %s", w.Code, w.Body)
	}
	if w := do(s, call{target: "/flux?resolution=10"}); w.Code != 200 || w.Body.String() != "[]" {
		t.Errorf("empty /flux: %d %s, want 200 []", w.Code, w.Body)
	}
	// The first timestamp in the archive, the last in live; another channel is ignored.
	insert(t, db, flux.SourceArchive, defaultChannel,
		[]time.Time{mustTime("1980-01-04T00:00:01.5Z"), mustTime("2025-06-20T00:00:00Z")}, []float32{1e-7, 1e-7})
	insert(t, db, flux.SourceLive, defaultChannel,
		[]time.Time{mustTime("2025-06-20T00:00:00Z"), mustTime("2025-06-27T12:34:00Z")}, []float32{1e-7, 1e-7})
	insert(t, db, flux.SourceLive, flux.Channel{Satellite: 18, Band: flux.BandLong},
		[]time.Time{mustTime("1970-01-01T00:00:00Z"), mustTime("2026-01-01T00:00:00Z")}, []float32{1e-7, 1e-7})
	w := do(s, call{target: "/status"})
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), fixture(t, "status.json")) {
		t.Errorf("status: %d %s", w.Code, w.Body)
	}
}

func TestFluxParameters(t *testing.T) {
	db := contractDB(t)
	insert(t, db, flux.SourceArchive, flux.Channel{Satellite: 16, Band: flux.BandShort, Clean: false},
		[]time.Time{mustTime("2024-06-20T00:00:05Z")}, []float32{3e-8})
	s := New(db, Options{Logger: quiet, ExtentTTL: -1, MaxResolution: 2})
	window := "&start=2024-06-20T00:00:00Z&end=2024-06-20T00:00:30Z"
	cases := []struct {
		query  string
		status int
		body   string // exact body, or a substring of a 400 detail
	}{
		{"resolution=1000", 200, "[[1718841600000,1.24e-06],[1718841615000,1.25e-06]]"}, // clamped to 2: 15 s buckets
		{"resolution=-5", 200, "[[1718841600000,1.25e-06]]"},                            // non-positive becomes 1
		{"resolution=0", 200, "[[1718841600000,1.25e-06]]"},
		{"resolution=99999999999999999999999", 200, "[[1718841600000,1.24e-06],[1718841615000,1.25e-06]]"},
		{"resolution=2.0", 200, "[[1718841600000,1.24e-06],[1718841615000,1.25e-06]]"},
		{"resolution=1&satellite=16&band=short&clean=false", 200, "[[1718841600000,3e-08]]"},
		{"resolution=1&satellite=16&band=short&clean=false&source=live", 200, "[]"},
		{"resolution=1&satellite=16", 200, "[]"},
		{"resolution=1&satellite=20", 400, `Invalid \"satellite\" \"20\"`},
		{"resolution=1&satellite=-1", 400, `Invalid \"satellite\"`},
		{"resolution=1&satellite=g16", 400, `0 (combined) and 1 to 19`},
		{"resolution=1&band=medium", 400, `long and short`},
		{"resolution=1&clean=maybe", 400, `true and false`},
		{"resolution=1&source=cache", 400, `archive, live and both`},
		{"resolution=1&aggregate=mean", 400, `max and minmax`},
		{"resolution=1.5", 422, `int_parsing`},
		{"resolution=", 422, `int_parsing`},
		{"resolution=1&start=yesterday", 422, `"loc":["query","start"]`},
		{"resolution=1&end=2024-13-01", 422, `"loc":["query","end"]`},
		{"start=x&end=y", 422, `[{"type":"missing","loc":["query","resolution"]`},
		{"resolution=1&start=0001-01-01&end=9999-12-31T23:59:59Z", 200, "[[946857600000,1.25e-06]]"}, // one bucket from the grid origin
		{"resolution=1&start=1e30", 422, `"loc":["query","start"]`},
		{"resolution=1&start=2024-06-20T02:00:00%2B02:00&end=1718841630", 200, "[[1718841600000,1.25e-06]]"},
		{"resolution=1&start=2024-06-20T00:00:00&end=1718841630000", 200, "[[1718841600000,1.25e-06]]"},
		{"resolution=1&start=2024-06-20T00:00:00Z&end=2024-06-20T00:00:00Z", 200, "[]"},
	}
	for _, c := range cases {
		q := c.query
		if !strings.Contains(q, "start=") && !strings.Contains(q, "end=") {
			q += window
		}
		w := do(s, call{target: "/flux?" + q})
		if w.Code != c.status {
			t.Errorf("%s: status %d, want %d; body %s", q, w.Code, c.status, w.Body)
			continue
		}
		if c.status == 200 && w.Body.String() != c.body || c.status != 200 && !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s: body %s, want %s", q, w.Body, c.body)
		}
	}
}

func TestHTTPHeaders(t *testing.T) {
	db := storetest.New(t)
	start := mustTime("2024-06-01T00:00:00Z")
	var times []time.Time
	var vals []float32
	for i := range 5000 {
		times = append(times, start.Add(time.Duration(i)*time.Second))
		vals = append(vals, float32(1e-6+float64(i%97)*1e-8))
	}
	insert(t, db, flux.SourceArchive, defaultChannel, times, vals)
	now := mustTime("2024-06-10T00:00:00Z")
	s := New(db, Options{Logger: quiet, ExtentTTL: -1, Now: func() time.Time { return now }})
	old := "/flux?resolution=2000&start=2024-06-01T00:00:00Z&end=2024-06-01T00:20:00Z"

	plain := do(s, call{target: old})
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain: %d, encoding %q", plain.Code, plain.Header().Get("Content-Encoding"))
	}
	if cc := plain.Header().Get("Cache-Control"); cc != "public, max-age=86400" {
		t.Errorf("window long before the newest data: Cache-Control %q", cc)
	}
	if cc := do(s, call{target: "/flux?resolution=2000"}).Header().Get("Cache-Control"); cc != "public, max-age=10" {
		t.Errorf("window up to now: Cache-Control %q", cc)
	}

	gz := do(s, call{target: old, header: map[string]string{"Accept-Encoding": "br, gzip;q=0.8"}})
	if gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip: headers %v", gz.Header())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("gunzipped body differs (%v)", err)
	}
	if gz.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzip did not shrink: %d >= %d", gz.Body.Len(), plain.Body.Len())
	}
	if no := do(s, call{target: old, header: map[string]string{"Accept-Encoding": "gzip;q=0"}}); no.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still compressed")
	}

	tag := plain.Header().Get("ETag")
	if tag == "" || tag == gz.Header().Get("ETag") {
		t.Fatalf("ETags %q and %q: want distinct per encoding", tag, gz.Header().Get("ETag"))
	}
	if w := do(s, call{target: old, header: map[string]string{"If-None-Match": `"x", ` + tag}}); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d with %d bytes", w.Code, w.Body.Len())
	}
	if w := do(s, call{target: old + "&aggregate=minmax", header: map[string]string{"If-None-Match": tag}}); w.Code != 200 {
		t.Errorf("other body, same If-None-Match: %d", w.Code)
	}
	if w := do(s, call{method: http.MethodHead, target: old}); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != plain.Header().Get("Content-Length") {
		t.Errorf("HEAD: %d, %d bytes, length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

func TestCORS(t *testing.T) {
	db := contractDB(t)
	cases := []struct {
		name    string
		origins []string
		c       call
		status  int
		want    map[string]string // header -> value ("" = absent)
		body    string
	}{
		{"no origin", nil, call{target: "/status"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": ""}, ""},
		{"any origin", nil, call{target: "/status", header: map[string]string{"Origin": "http://localhost:3000"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}, ""},
		{"cookie echoes origin", nil, call{target: "/status", header: map[string]string{"Origin": "http://a.example", "Cookie": "x=1"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "http://a.example", "Vary": "Origin"}, ""},
		{"preflight", nil, call{method: http.MethodOptions, target: "/flux", header: map[string]string{"Origin": "http://a.example",
			"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-foo"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "http://a.example", "Access-Control-Allow-Methods": corsMethods,
				"Access-Control-Max-Age": "600", "Access-Control-Allow-Headers": "x-foo", "Access-Control-Allow-Credentials": "true"}, "OK"},
		{"preflight bad method", nil, call{method: http.MethodOptions, target: "/flux", header: map[string]string{"Origin": "http://a.example",
			"Access-Control-Request-Method": "TRACE"}}, 400, nil, "Disallowed CORS method"},
		{"listed origin", []string{"https://heliotime.org", "http://localhost:3000"}, call{target: "/status", header: map[string]string{"Origin": "http://localhost:3000"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000", "Vary": "Origin"}, ""},
		{"unlisted origin", []string{"https://heliotime.org"}, call{target: "/status", header: map[string]string{"Origin": "http://evil.example"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, ""},
		{"unlisted preflight", []string{"https://heliotime.org"}, call{method: http.MethodOptions, target: "/flux", header: map[string]string{"Origin": "http://evil.example",
			"Access-Control-Request-Method": "GET"}}, 400, map[string]string{"Access-Control-Allow-Origin": ""}, "Disallowed CORS origin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(db, Options{Logger: quiet, CORSOrigins: c.origins})
			w := do(s, c.c)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			for k, v := range c.want {
				got := w.Header().Get(k)
				if k == "Vary" {
					if !strings.Contains(strings.Join(w.Header().Values(k), ","), v) {
						t.Errorf("%s = %q, want it to contain %q", k, got, v)
					}
					continue
				}
				if got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if c.body != "" && w.Body.String() != c.body {
				t.Errorf("body %q, want %q", w.Body, c.body)
			}
		})
	}
}

func TestQueryTimeout(t *testing.T) {
	db := contractDB(t)
	ctx := context.Background()
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE flux_archive_block IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	s := New(db, Options{Logger: quiet, QueryTimeout: 300 * time.Millisecond})
	// 2000 points over a year: 4.4 h buckets, read from flux_archive_4h.
	w := do(s, call{target: "/flux?resolution=2000&start=2024-01-01T00:00:00Z&end=2024-12-31T00:00:00Z"})
	if w.Code != 503 || !bytes.Equal(w.Body.Bytes(), fixture(t, "timeout.json")) {
		t.Errorf("%d %s, want 503 timeout", w.Code, w.Body)
	}
}

func TestDatabaseDown(t *testing.T) {
	db := contractDB(t)
	s := New(db, Options{Logger: quiet, ExtentTTL: -1})
	if w := do(s, call{target: "/readyz"}); w.Code != 200 {
		t.Fatalf("readyz with the database up: %d %s", w.Code, w.Body)
	}
	db.Close()
	for _, target := range []string{"/flux?resolution=10", "/status", "/coverage", "/readyz"} {
		w := do(s, call{target: target})
		if w.Code != 503 || w.Body.String() != `{"detail":"Database unavailable."}` {
			t.Errorf("%s: %d %s, want 503 Database unavailable.", target, w.Code, w.Body)
		}
	}
	if w := do(s, call{target: "/healthz"}); w.Code != 200 {
		t.Errorf("healthz: %d", w.Code)
	}
}

func TestCoverage(t *testing.T) {
	db := contractDB(t)
	insert(t, db, flux.SourceLive, flux.Channel{Satellite: 19, Band: flux.BandShort},
		[]time.Time{mustTime("2025-01-01T00:00:00Z"), mustTime("2025-01-01T00:01:00Z")}, []float32{1e-7, 1e-7})
	ctx := context.Background()
	if _, err := db.Pool().Exec(ctx, `INSERT INTO import_file (source, product, satellite, name, imported_at)
		VALUES ('live', 'json', 19, 'xrays-6-hour.json', '2025-01-01T00:02:00Z')`); err != nil {
		t.Fatal(err)
	}
	lock, err := db.LockSource(ctx, flux.SourceLive, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	w := do(New(db, Options{Logger: quiet}), call{target: "/coverage"})
	want := `{"sources":[` +
		`{"source":"archive","raw_cadence_seconds":1,"import_running":false,"last_import":null,"channels":[` +
		`{"satellite":0,"band":"long","clean":true,"first":"2024-06-20T00:00:00Z","last":"2024-06-20T00:00:20.0005Z","rows":3}]},` +
		`{"source":"live","raw_cadence_seconds":60,"import_running":true,"last_import":"2025-01-01T00:02:00Z","channels":[` +
		`{"satellite":19,"band":"short","clean":false,"first":"2025-01-01T00:00:00Z","last":"2025-01-01T00:01:00Z","rows":2}]}]}`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("coverage: %d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
}

func TestDocs(t *testing.T) {
	db := storetest.New(t)
	s := New(db, Options{Logger: quiet})
	w := do(s, call{target: "/openapi.json"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"openapi": "3.`) {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	for _, path := range []string{"/flux", "/status", "/coverage", "/openapi.json", "/docs", "/healthz", "/readyz"} {
		if !strings.Contains(w.Body.String(), `"`+path+`"`) {
			t.Errorf("openapi.json does not describe %s", path)
		}
	}
	for _, p := range []string{"resolution", "start", "end", "satellite", "band", "clean", "source", "aggregate"} {
		if !strings.Contains(w.Body.String(), `"name": "`+p+`"`) {
			t.Errorf("openapi.json does not describe parameter %s", p)
		}
	}
	d := do(s, call{target: "/docs"})
	if d.Code != 200 || !strings.HasPrefix(d.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", d.Code, d.Header().Get("Content-Type"))
	}
	// Self-contained: nothing loaded from another host.
	for _, bad := range []string{"http://", "https://", "//cdn", "src=\"//"} {
		if strings.Contains(d.Body.String(), bad) {
			t.Errorf("docs page refers to another host (%q)", bad)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(500 * time.Millisecond)
		_, _ = w.Write([]byte("done"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, slow, 10*time.Second, quiet) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel() // SIGTERM arrives while the request is in flight
	if body := <-got; body != "done" {
		t.Errorf("in-flight request got %q, want done", body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestExport(t *testing.T) {
	db := contractDB(t)
	ctx := context.Background()
	end := mustTime("2024-06-20T00:00:30Z")
	cases := []struct {
		name   string
		req    store.ReadRequest
		format ExportFormat
		want   string
	}{
		{"csv", store.ReadRequest{Channel: defaultChannel, End: end, Points: 1000}, ExportCSV,
			"time,flux\n2024-06-20T00:00:00Z,1.23e-06\n2024-06-20T00:00:10Z,1.24e-06\n2024-06-20T00:00:20.0005Z,1.25e-06\n"},
		{"csv minmax", store.ReadRequest{Channel: defaultChannel, Start: mustTime("2024-06-20T00:00:00Z"), End: end, Points: 2, MinMax: true}, ExportCSV,
			"time,flux_min,flux_max\n2024-06-20T00:00:00Z,1.23e-06,1.24e-06\n2024-06-20T00:00:15Z,1.25e-06,1.25e-06\n"},
		{"json", store.ReadRequest{Channel: defaultChannel, End: end, Points: 1000}, ExportJSON,
			"[\n{\"time\":\"2024-06-20T00:00:00Z\",\"flux\":1.23e-06},\n{\"time\":\"2024-06-20T00:00:10Z\",\"flux\":1.24e-06},\n{\"time\":\"2024-06-20T00:00:20.0005Z\",\"flux\":1.25e-06}\n]\n"},
		{"no data", store.ReadRequest{Channel: flux.Channel{Satellite: 5}, End: end, Points: 10}, ExportJSON, "[]\n"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		if _, err := Export(ctx, db, c.req, c.format, &out); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.String() != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, out.String(), c.want)
		}
	}
}

// TestFluxStitched checks the default (both sources) answer at the seam over HTTP: the
// archive's last bucket once, live after it, time strictly increasing.
func TestFluxStitched(t *testing.T) {
	db := storetest.New(t)
	day := mustTime("2024-03-01T00:00:00Z")
	var at, lt []time.Time
	var av, lv []float32
	for x := day; x.Before(day.Add(5*time.Hour + 30*time.Minute)); x = x.Add(time.Second) {
		at, av = append(at, x), append(av, 2e-6)
	}
	for x := day.Add(4 * time.Hour); x.Before(day.Add(8 * time.Hour)); x = x.Add(time.Minute) {
		lt, lv = append(lt, x), append(lv, 5e-6)
	}
	insert(t, db, flux.SourceArchive, defaultChannel, at, av)
	insert(t, db, flux.SourceLive, defaultChannel, lt, lv)
	s := New(db, Options{Logger: quiet, ExtentTTL: -1})
	// 1 h buckets: archive 00:00..05:00 (its last bucket holds 05:00-05:29:59), live 06:00, 07:00.
	w := do(s, call{target: "/flux?resolution=8&start=2024-03-01T00:00:00Z&end=2024-03-01T08:00:00Z"})
	want := "[[1709251200000,2e-06],[1709254800000,2e-06],[1709258400000,2e-06],[1709262000000,2e-06]," +
		"[1709265600000,2e-06],[1709269200000,2e-06],[1709272800000,5e-06],[1709276400000,5e-06]]"
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("stitched: %d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
	w = do(s, call{target: "/flux?resolution=8&start=2024-03-01T00:00:00Z&end=2024-03-01T08:00:00Z&source=live"})
	if !strings.HasPrefix(w.Body.String(), "[[1709265600000,5e-06],") || strings.Count(w.Body.String(), "[") != 5 {
		t.Errorf("live alone: %s", w.Body)
	}
}

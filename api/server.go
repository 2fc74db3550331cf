// Package api serves heliotime over HTTP: the original Heliotime server's /flux and
// /status contract (which the web frontend relies on), channel selection and min/max
// envelopes on /flux, /coverage, the OpenAPI document and its docs page, and probes.
package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

// Defaults of Options.
const (
	// DefaultMaxResolution is the original's FLUX_MAX_RESOLUTION.
	DefaultMaxResolution = 2000
	// DefaultQueryTimeout is the original's FLUX_QUERY_TIMEOUT.
	DefaultQueryTimeout = 30 * time.Second
	// DefaultExtentTTL is how long coverage read from flux_extent is reused.
	DefaultExtentTTL = time.Second
)

// Cache lifetimes of /flux answers: windows that end well before the newest data of the
// source serving their end do not change until a re-import; others change every minute.
const (
	stableMaxAge = 24 * time.Hour
	liveMaxAge   = 10 * time.Second
	stableMargin = time.Hour
)

// Options configures a Server.
type Options struct {
	// MaxResolution clamps /flux's resolution (default 2000, the original's).
	MaxResolution int
	// QueryTimeout bounds the database work of one request; beyond it /flux answers 503
	// (default 30 s, the original's).
	QueryTimeout time.Duration
	// CORSOrigins lists the origins allowed to read the API from a browser; "*" (the
	// default) allows any, like the original.
	CORSOrigins []string
	// ExtentTTL is how long the coverage read from flux_extent is reused between requests
	// (default 1 s; negative: read it for every request).
	ExtentTTL time.Duration
	// Logger receives one line per request and every failure (default: slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the HTTP API over one database. It is safe for concurrent use.
type Server struct {
	db      *store.DB
	opt     Options
	log     *slog.Logger
	handler http.Handler

	extMu sync.Mutex
	extAt time.Time
	ext   []store.Extent

	bufs   sync.Pool // *bytes.Buffer
	bodies sync.Pool // *[]byte: /flux answers
	gzip   sync.Pool // *gzip.Writer
}

// New returns the API server for db.
func New(db *store.DB, opt Options) *Server {
	if opt.MaxResolution <= 0 {
		opt.MaxResolution = DefaultMaxResolution
	}
	if opt.QueryTimeout <= 0 {
		opt.QueryTimeout = DefaultQueryTimeout
	}
	if len(opt.CORSOrigins) == 0 {
		opt.CORSOrigins = []string{"*"}
	}
	if opt.ExtentTTL == 0 {
		opt.ExtentTTL = DefaultExtentTTL
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{db: db, opt: opt, log: opt.Logger}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.bodies.New = func() any { return new([]byte) }
	routes := map[string]http.HandlerFunc{
		"/flux":         s.handleFlux,
		"/status":       s.handleStatus,
		"/coverage":     s.handleCoverage,
		"/openapi.json": s.handleOpenAPI,
		"/docs":         s.handleDocs,
		"/healthz":      s.handleHealthz,
		"/readyz":       s.handleReadyz,
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, ok := routes[r.URL.Path]
		if !ok {
			writeDetail(w, http.StatusNotFound, "Not Found")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		route(w, r)
	})
	h = newCORS(opt.CORSOrigins).wrap(h)
	h = s.recoverPanics(h)
	s.handler = s.logRequests(h)
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// extents returns the coverage of every channel, reusing a read younger than ExtentTTL.
// The slice is shared: callers must not modify it.
func (s *Server) extents(ctx context.Context) ([]store.Extent, error) {
	s.extMu.Lock()
	defer s.extMu.Unlock()
	now := s.opt.Now()
	if s.ext != nil && s.opt.ExtentTTL > 0 && now.Sub(s.extAt) < s.opt.ExtentTTL && !now.Before(s.extAt) {
		return s.ext, nil
	}
	ext, err := s.db.Extents(ctx)
	if err != nil {
		return nil, err
	}
	if ext == nil {
		ext = []store.Extent{}
	}
	s.ext, s.extAt = ext, now
	return ext, nil
}

// handleFlux serves GET /flux.
func (s *Server) handleFlux(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	p, verrs, perr := parseFluxParams(r.URL.Query(), s.opt.MaxResolution)
	if verrs != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": verrs})
		return
	}
	if perr != nil {
		writeDetail(w, http.StatusBadRequest, perr.detail)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.QueryTimeout)
	defer cancel()
	all, err := s.extents(ctx)
	if err != nil {
		s.dbFailure(w, r, err)
		return
	}
	sources := p.Sources
	if sources == nil {
		sources = flux.Sources[:]
	}
	var (
		first, newest time.Time
		have          bool
		ext           = make([]store.Extent, 0, 2)
		servesEnd     = map[flux.Source]time.Time{}
	)
	for _, e := range all {
		if e.Channel != p.Channel || !containsSource(sources, e.Source) {
			continue
		}
		ext = append(ext, e)
		servesEnd[e.Source] = e.Last
		if !have || e.First.Before(first) {
			first = e.First
		}
		if !have || e.Last.After(newest) {
			newest = e.Last
		}
		have = true
	}
	if !have {
		// No data for the channel: the original answers an empty result here (as {},
		// which breaks clients; [] is the array they expect).
		s.writeBody(w, r, http.StatusOK, "application/json", []byte("[]"), cacheControl(liveMaxAge), false)
		return
	}
	start, end := first, s.opt.Now().UTC()
	if p.Start != nil {
		start = *p.Start
	}
	if p.End != nil {
		end = *p.End
	}
	if start.After(end) {
		writeDetail(w, http.StatusBadRequest, `"start" timestamp must be before "end" timestamp.`)
		return
	}
	body := s.bodies.Get().(*[]byte)
	defer s.bodies.Put(body)
	out := append((*body)[:0], '[')
	minmax := p.Aggregate == AggregateMinMax
	enc := pointEncoder{minmax: minmax}
	req := store.ReadRequest{Channel: p.Channel, Start: start, End: end, Points: p.Resolution,
		Sources: p.Sources, MinMax: minmax, Extents: ext}
	err = s.db.ReadFlux(ctx, req, func(pt store.Point) error {
		out = enc.append(out, pt)
		return nil
	})
	if cap(out) <= maxPooled {
		*body = out
	}
	if err != nil {
		s.dbFailure(w, r, err)
		return
	}
	out = append(out, ']')
	// Stable when the window ends well before the last data of the source serving its end.
	stableUntil := newest
	if a, ok := servesEnd[flux.SourceArchive]; ok && containsSource(sources, flux.SourceArchive) {
		stableUntil = a
	}
	age := liveMaxAge
	if !end.After(stableUntil.Add(-stableMargin)) {
		age = stableMaxAge
	}
	// Time spent on the request before writing the answer, for clients and benchmarks.
	w.Header().Set("Server-Timing", "app;dur="+strconv.FormatFloat(float64(time.Since(begin).Microseconds())/1000, 'f', 3, 64))
	s.writeBody(w, r, http.StatusOK, "application/json", out, cacheControl(age), true)
}

// maxPooled is the largest buffer kept for reuse: a rare huge answer is left to the
// garbage collector rather than held.
const maxPooled = 4 << 20

func (s *Server) putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		s.bufs.Put(b)
	}
}

// dbFailure answers a failed database read: 503 with the original's text when the query
// timed out, 503 "Database unavailable." otherwise; nothing when the client went away.
func (s *Server) dbFailure(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrQueryTimeout):
		s.log.Warn("query timeout", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
		writeDetail(w, http.StatusServiceUnavailable, "Query took too long to execute.")
	case r.Context().Err() != nil:
		s.log.Debug("client gone", "path", r.URL.Path, "err", err)
	default:
		s.log.Error("database", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
		writeDetail(w, http.StatusServiceUnavailable, "Database unavailable.")
	}
}

func containsSource(list []flux.Source, s flux.Source) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// statusBody is GET /status's answer.
type statusBody struct {
	Start *string `json:"start"`
	End   *string `json:"end"`
}

// handleStatus serves GET /status: the time range of the combined, long, clean channel
// over both sources, in the original's format.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.QueryTimeout)
	defer cancel()
	all, err := s.extents(ctx)
	if err != nil {
		s.dbFailure(w, r, err)
		return
	}
	def := flux.Channel{Satellite: flux.CombinedSatellite, Band: flux.BandLong, Clean: true}
	var body statusBody
	var first, last time.Time
	for _, e := range all {
		if e.Channel != def {
			continue
		}
		if body.Start == nil || e.First.Before(first) {
			first = e.First
			body.Start = new(formatTime(first))
		}
		if body.End == nil || e.Last.After(last) {
			last = e.Last
			body.End = new(formatTime(last))
		}
	}
	b, _ := json.Marshal(body)
	s.writeBody(w, r, http.StatusOK, "application/json", b, cacheControl(liveMaxAge), true)
}

// formatTime renders a time as pydantic does: UTC with Z, microseconds with trailing
// zeros trimmed, no fraction when it is zero.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// coverageBody is GET /coverage's answer.
type coverageBody struct {
	Sources []sourceCoverage `json:"sources"`
}

type sourceCoverage struct {
	Source        string            `json:"source"`
	RawCadence    float64           `json:"raw_cadence_seconds"`
	ImportRunning bool              `json:"import_running"`
	LastImport    *string           `json:"last_import"`
	Channels      []channelCoverage `json:"channels"`
}

type channelCoverage struct {
	Satellite int16  `json:"satellite"`
	Band      string `json:"band"`
	Clean     bool   `json:"clean"`
	First     string `json:"first"`
	Last      string `json:"last"`
	Rows      int64  `json:"rows"`
}

// handleCoverage serves GET /coverage: per source and channel the first and last stored
// timestamp and row count, the last import, and whether an import runs now.
func (s *Server) handleCoverage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.QueryTimeout)
	defer cancel()
	ext, err := s.db.Extents(ctx)
	if err != nil {
		s.dbFailure(w, r, err)
		return
	}
	last, err := s.db.LastImports(ctx)
	if err != nil {
		s.dbFailure(w, r, err)
		return
	}
	body := coverageBody{Sources: []sourceCoverage{}}
	for _, src := range flux.Sources {
		running, err := s.db.ImportRunning(ctx, src)
		if err != nil {
			s.dbFailure(w, r, err)
			return
		}
		sc := sourceCoverage{Source: src.String(), RawCadence: src.RawCadence().Seconds(),
			ImportRunning: running, Channels: []channelCoverage{}}
		if t, ok := last[src]; ok {
			sc.LastImport = new(formatTime(t))
		}
		for _, e := range ext {
			if e.Source != src {
				continue
			}
			sc.Channels = append(sc.Channels, channelCoverage{Satellite: e.Channel.Satellite,
				Band: e.Channel.Band.String(), Clean: e.Channel.Clean,
				First: formatTime(e.First), Last: formatTime(e.Last), Rows: e.Rows})
		}
		body.Sources = append(body.Sources, sc)
	}
	b, _ := json.Marshal(body)
	s.writeBody(w, r, http.StatusOK, "application/json", b, "no-cache", true)
}

//go:embed openapi.json
var openAPIDoc []byte

//go:embed docs.html
var docsPage []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.writeBody(w, r, http.StatusOK, "application/json", openAPIDoc, cacheControl(time.Hour), true)
}

func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) {
	s.writeBody(w, r, http.StatusOK, "text/html; charset=utf-8", docsPage, cacheControl(time.Hour), true)
}

// handleHealthz answers 200 while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the database answers, 503 with the reason otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), min(s.opt.QueryTimeout, 5*time.Second))
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeDetail(w, http.StatusServiceUnavailable, "Database unavailable.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func cacheControl(age time.Duration) string {
	return "public, max-age=" + strconv.Itoa(int(age/time.Second))
}

// writeDetail writes the original's error body {"detail": "..."}.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"detail":"Internal Server Error"}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeBody writes a successful answer with an ETag (a checksum of the body, per encoding),
// answering 304 to a matching If-None-Match, gzip-compressed when the client accepts it.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte, cache string, etag bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Add("Vary", "Accept-Encoding")
	gz := len(body) >= 512 && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if etag {
		// CRC-32C (hardware-assisted) and the length: cheap on 100 kB bodies, and a
		// changed body keeps its tag only if both collide.
		tag := fmt.Sprintf(`"%08x%08x`, uint32(len(body)), crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
		if gz {
			tag += `-gzip"`
		} else {
			tag += `"`
		}
		h.Set("ETag", tag)
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if gz {
		buf := s.bufs.Get().(*bytes.Buffer)
		defer s.putBuf(buf)
		buf.Reset()
		if err := s.compress(buf, body); err == nil {
			body = buf.Bytes()
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		for param := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
		if name == "gzip" {
			return false
		}
	}
	return false
}

// etagMatches reports whether an If-None-Match header names tag (weak comparison).
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == "*" || part == tag {
			return true
		}
	}
	return false
}

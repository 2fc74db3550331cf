package noaa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is wrapped when the server (or a local mirror) has no such file or directory.
var ErrNotFound = errors.New("not found")

// FetchOptions tunes a Fetcher. Zero values take the defaults named.
type FetchOptions struct {
	// Client makes the requests (default: a client without overall timeout; Timeout and
	// IdleTimeout bound each request).
	Client *http.Client
	// Mirror, when set, replaces every https://HOST/PATH by its copy (see Mirror).
	Mirror *Mirror
	// CacheDir holds downloaded files (default: a temporary directory removed by Close).
	CacheDir string
	// KeepFiles keeps downloaded files in CacheDir after Release.
	KeepFiles bool
	// PerHost bounds the concurrent requests to one host (default 4).
	PerHost int
	// Attempts is the number of tries of one request (default 5).
	Attempts int
	// BaseDelay is the first retry delay, doubled each retry, with jitter (default 1 s).
	BaseDelay time.Duration
	// MaxDelay caps a retry delay, Retry-After included (default 2 min).
	MaxDelay time.Duration
	// Timeout bounds one request from start to end of body (default 10 min).
	Timeout time.Duration
	// IdleTimeout cuts a response whose body stalls that long (default 60 s).
	IdleTimeout time.Duration
	// UserAgent is sent with every request (default "heliotime").
	UserAgent string
	// Logger receives retries (default: discarded).
	Logger *slog.Logger
}

// Fetcher downloads archive files, directory listings and feed documents over HTTP with
// bounded concurrency per host, timeouts and retries, or reads them from a mirror.
type Fetcher struct {
	opt     FetchOptions
	tempDir string // CacheDir we created and remove on Close

	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// NewFetcher returns a Fetcher; Close it to remove its temporary cache directory.
func NewFetcher(opt FetchOptions) (*Fetcher, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{}
	}
	if opt.PerHost <= 0 {
		opt.PerHost = 4
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 5
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 2 * time.Minute
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Minute
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = time.Minute
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "heliotime"
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fetcher{opt: opt, hosts: map[string]chan struct{}{}}
	if opt.CacheDir == "" {
		d, err := os.MkdirTemp("", "heliotime-fetch-")
		if err != nil {
			return nil, fmt.Errorf("create download directory: %w", err)
		}
		f.tempDir, f.opt.CacheDir = d, d
	} else if err := os.MkdirAll(opt.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache directory: %w", err)
	}
	return f, nil
}

// Close removes the temporary download directory, if the Fetcher made one.
func (f *Fetcher) Close() error {
	if f.tempDir != "" {
		return os.RemoveAll(f.tempDir)
	}
	return nil
}

// Validator identifies a version of a remote file for conditional requests.
type Validator struct {
	ETag, LastModified string
}

// Fetched is a file fetched to local disk.
type Fetched struct {
	URL  string // the URL asked for (before mirror mapping)
	Path string // local file; empty when NotModified
	Size int64
	// ETag and LastModified are the response's validators (LastModified is the file's
	// modification time for a local mirror).
	ETag, LastModified string
	SHA256             string // hex digest of the content
	// NotModified reports a 304 answer to a conditional request: nothing was downloaded.
	NotModified bool
	temp        bool // Path is ours to remove
}

// Release removes a downloaded file unless the Fetcher keeps files.
func (f *Fetcher) Release(d *Fetched) {
	if d == nil || !d.temp || f.opt.KeepFiles {
		return
	}
	if err := os.Remove(d.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		f.opt.Logger.Warn("remove downloaded file", "path", d.Path, "err", err)
	}
}

// Fetch downloads rawURL into the cache directory (or opens it in a local mirror). With a
// non-empty prev it asks the server whether the file changed and returns NotModified
// when not.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev Validator) (*Fetched, error) {
	target, local, err := f.resolve(rawURL)
	if err != nil {
		return nil, err
	}
	if local {
		return fetchLocal(rawURL, target)
	}
	dst, err := f.cachePath(rawURL)
	if err != nil {
		return nil, err
	}
	var out *Fetched
	err = f.retry(ctx, target, func(ctx context.Context) error {
		var err error
		out, err = f.download(ctx, target, dst, prev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	out.URL = rawURL
	return out, nil
}

// Get reads a small document (a listing or a feed file) into memory, with retries, and
// returns it with the response headers (none for a local mirror).
func (f *Fetcher) Get(ctx context.Context, rawURL string) ([]byte, http.Header, error) {
	target, local, err := f.resolve(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if local {
		b, err := os.ReadFile(target)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("read %s: %w", target, ErrNotFound)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", target, err)
		}
		return b, http.Header{}, nil
	}
	var (
		body []byte
		hdr  http.Header
	)
	err = f.retry(ctx, target, func(ctx context.Context) error {
		resp, cancel, err := f.do(ctx, target, Validator{})
		if err != nil {
			return err
		}
		defer cancel()
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("read body: %w", retryable(err))
		}
		if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
			return retryable(fmt.Errorf("body truncated at %d of %d bytes", len(body), resp.ContentLength))
		}
		hdr = resp.Header
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	return body, hdr, nil
}

// List returns the entry names of the directory at dirURL: parsed from the HTML listing
// the server writes, or read from the directory of a local mirror. Sub-directories end
// in "/". A missing directory gives an error wrapping ErrNotFound.
func (f *Fetcher) List(ctx context.Context, dirURL string) ([]string, error) {
	if !strings.HasSuffix(dirURL, "/") {
		dirURL += "/"
	}
	target, local, err := f.resolve(dirURL)
	if err != nil {
		return nil, err
	}
	if local {
		ents, err := os.ReadDir(target)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list %s: %w", target, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", target, err)
		}
		out := make([]string, 0, len(ents))
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() {
				n += "/"
			}
			out = append(out, n)
		}
		sort.Strings(out)
		return out, nil
	}
	body, _, err := f.Get(ctx, dirURL)
	if err != nil {
		return nil, err
	}
	names, err := ParseListing(target, body)
	if err != nil {
		return nil, fmt.Errorf("parse listing of %s: %w", dirURL, err)
	}
	return names, nil
}

// resolve maps rawURL through the mirror: a local path (local true) or an URL.
func (f *Fetcher) resolve(rawURL string) (string, bool, error) {
	if f.opt.Mirror == nil {
		return rawURL, false, nil
	}
	t, err := f.opt.Mirror.Map(rawURL)
	if err != nil {
		return "", false, err
	}
	return t, f.opt.Mirror.Local(), nil
}

// cachePath is where the download of rawURL goes: CacheDir/HOST/PATH.
func (f *Fetcher) cachePath(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	p := filepath.Clean("/" + filepath.FromSlash(u.Path))
	return filepath.Join(f.opt.CacheDir, u.Host, p), nil
}

// fetchLocal describes a file of a local mirror.
func fetchLocal(rawURL, path string) (*Fetched, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return &Fetched{URL: rawURL, Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		LastModified: fi.ModTime().UTC().Format(http.TimeFormat)}, nil
}

// download makes one attempt to fetch target into dst.
func (f *Fetcher) download(ctx context.Context, target, dst string, prev Validator) (*Fetched, error) {
	resp, cancel, err := f.do(ctx, target, prev)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return &Fetched{NotModified: true, ETag: prev.ETag, LastModified: prev.LastModified}, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
	}
	part := dst + ".part"
	fh, err := os.Create(part)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", part, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fh, h), resp.Body)
	if cerr := fh.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", part, cerr)
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = retryable(fmt.Errorf("body truncated at %d of %d bytes", n, resp.ContentLength))
	}
	if err != nil {
		_ = os.Remove(part)
		return nil, fmt.Errorf("download: %w", retryable(err))
	}
	if err := os.Rename(part, dst); err != nil {
		_ = os.Remove(part)
		return nil, fmt.Errorf("rename %s: %w", part, err)
	}
	return &Fetched{Path: dst, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), temp: true,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
}

// do sends one GET and checks the status. The returned body is cut when it stalls for
// IdleTimeout; cancel ends the request.
func (f *Fetcher) do(ctx context.Context, target string, prev Validator) (*http.Response, context.CancelFunc, error) {
	rctx, cancel := context.WithTimeout(ctx, f.opt.Timeout)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	req.Header.Set("User-Agent", f.opt.UserAgent)
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	idle := time.AfterFunc(f.opt.IdleTimeout, cancel)
	resp, err := f.opt.Client.Do(req)
	if err != nil {
		idle.Stop()
		cancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, retryable(err)
	}
	switch {
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotModified:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		idle.Stop()
		cancel()
		return nil, nil, fmt.Errorf("HTTP %s: %w", resp.Status, ErrNotFound)
	default:
		err := &statusError{code: resp.StatusCode, status: resp.Status, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		resp.Body.Close()
		idle.Stop()
		cancel()
		return nil, nil, err
	}
	resp.Body = &idleReader{r: resp.Body, t: idle, d: f.opt.IdleTimeout, ctx: rctx, outer: ctx}
	return resp, func() { idle.Stop(); cancel() }, nil
}

// idleReader resets the idle timer on every read that returns data.
type idleReader struct {
	r     io.ReadCloser
	t     *time.Timer
	d     time.Duration
	ctx   context.Context // the request's context
	outer context.Context // the caller's
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	if err != nil && err != io.EOF && r.ctx.Err() != nil && r.outer.Err() == nil {
		err = fmt.Errorf("body stalled or too slow (read-idle timeout %s or request timeout): %w", r.d, err)
	}
	return n, err
}

func (r *idleReader) Close() error { return r.r.Close() }

// statusError is an HTTP status that is not success.
type statusError struct {
	code       int
	status     string
	retryAfter time.Duration // from Retry-After, 0 when absent
}

func (e *statusError) Error() string { return "HTTP " + e.status }

// temporary reports whether a retry may succeed: server errors and rate limits.
func (e *statusError) temporary() bool {
	return e.code >= 500 || e.code == http.StatusTooManyRequests || e.code == http.StatusRequestTimeout
}

// retryableError marks a transient failure (network, truncated or stalled body).
type retryableError struct{ err error }

func (e retryableError) Error() string { return e.err.Error() }
func (e retryableError) Unwrap() error { return e.err }

func retryable(err error) error {
	var r retryableError
	if errors.As(err, &r) {
		return err
	}
	return retryableError{err}
}

// retry runs attempt until it succeeds, fails permanently, or the attempts are used up,
// waiting with exponential backoff and jitter, or as Retry-After says on 429/503. The
// attempt runs while holding one of the host's slots.
func (f *Fetcher) retry(ctx context.Context, target string, attempt func(context.Context) error) error {
	host := target
	if u, err := url.Parse(target); err == nil {
		host = u.Host
	}
	sem := f.hostSlots(host)
	var err error
	for i := 0; i < f.opt.Attempts; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		err = attempt(ctx)
		<-sem
		if err == nil || ctx.Err() != nil {
			if ctx.Err() != nil && err != nil {
				return ctx.Err()
			}
			return err
		}
		var (
			se *statusError
			re retryableError
		)
		wait := f.backoff(i)
		switch {
		case errors.As(err, &se) && se.temporary():
			if se.retryAfter > 0 {
				wait = min(se.retryAfter, f.opt.MaxDelay)
			}
		case errors.As(err, &re):
		default:
			return err
		}
		if i == f.opt.Attempts-1 {
			break
		}
		f.opt.Logger.Info("retrying download", "url", target, "attempt", i+1, "wait", wait.Round(time.Millisecond), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return fmt.Errorf("after %d attempts: %w", f.opt.Attempts, err)
}

// backoff is the delay before retry i+1: BaseDelay·2^i, capped, with ±50 % jitter.
func (f *Fetcher) backoff(i int) time.Duration {
	d := f.opt.BaseDelay << min(i, 20)
	if d > f.opt.MaxDelay || d <= 0 {
		d = f.opt.MaxDelay
	}
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}

// hostSlots returns the semaphore bounding the requests to host.
func (f *Fetcher) hostSlots(host string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.hosts[host]
	if !ok {
		s = make(chan struct{}, f.opt.PerHost)
		f.hosts[host] = s
	}
	return s
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

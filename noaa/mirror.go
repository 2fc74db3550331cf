package noaa

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Mirror maps the URLs the importer fetches onto an offline copy of NOAA's trees laid out
// as `wget --mirror` writes them: https://HOST/PATH becomes DIR/HOST/PATH (a local
// directory) or URL/HOST/PATH (a mirror served over HTTP).
type Mirror struct {
	dir  string   // local directory, or ""
	base *url.URL // HTTP base, or nil
}

// ParseMirror reads a --mirror value: an http(s) URL or a local directory (which must
// exist).
func ParseMirror(s string) (*Mirror, error) {
	if s == "" {
		return nil, fmt.Errorf("mirror: empty location")
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: %w", s, err)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawQuery, u.Fragment = "", ""
		return &Mirror{base: u}, nil
	}
	if strings.HasPrefix(s, "file://") {
		s = strings.TrimPrefix(s, "file://")
	}
	fi, err := os.Stat(s)
	if err != nil {
		return nil, fmt.Errorf("mirror directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("mirror %s: not a directory", s)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", s, err)
	}
	return &Mirror{dir: abs}, nil
}

// Local reports whether the mirror is a local directory.
func (m *Mirror) Local() bool { return m.dir != "" }

// String returns the mirror's location.
func (m *Mirror) String() string {
	if m.Local() {
		return m.dir
	}
	return m.base.String()
}

// Map returns where the mirror holds rawURL: a local path for a directory mirror, an URL
// for an HTTP one. The URL's query is dropped.
func (m *Mirror) Map(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("mirror %s: %w", rawURL, err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("mirror %s: not an absolute URL", rawURL)
	}
	p := path.Clean("/" + u.Path)
	if strings.HasSuffix(u.Path, "/") && p != "/" {
		p += "/"
	}
	if m.Local() {
		return filepath.Join(m.dir, u.Host, filepath.FromSlash(p)), nil
	}
	out := *m.base
	out.Path = m.base.Path + "/" + u.Host + p
	return out.String(), nil
}

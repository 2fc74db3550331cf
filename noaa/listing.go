package noaa

import (
	"html"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
)

// hrefAttr finds the href of every <a> element, quoted with " or ' or not at all.
var hrefAttr = regexp.MustCompile(`(?is)<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)

// ParseListing returns the names of the entries of the directory dirURL that an HTML
// directory listing links to, in any server's layout: every <a href> is resolved against
// the directory (absolute paths against the host); links with a query (sort links), the
// parent and anything outside the directory are dropped. Sub-directories keep a trailing
// "/". Names are unescaped, sorted and unique.
func ParseListing(dirURL string, body []byte) ([]string, error) {
	base, err := url.Parse(dirURL)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	dir := path.Clean(base.Path)
	if dir != "/" {
		dir += "/"
	}
	seen := map[string]bool{}
	for _, m := range hrefAttr.FindAllSubmatch(body, -1) {
		ref := string(m[1]) + string(m[2]) + string(m[3])
		ref = strings.TrimSpace(html.UnescapeString(ref))
		if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "?") {
			continue
		}
		u, err := base.Parse(ref)
		if err != nil || u.RawQuery != "" || (u.Host != "" && u.Host != base.Host) {
			continue
		}
		p := u.Path
		isDir := strings.HasSuffix(p, "/")
		p = path.Clean(p)
		if !strings.HasPrefix(p, dir) {
			continue // the parent or another tree
		}
		name := strings.TrimPrefix(p, dir)
		if name == "" || name == "." || strings.Contains(name, "/") {
			continue
		}
		if isDir {
			name += "/"
		}
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

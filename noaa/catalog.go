package noaa

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Archives holds the base URLs of the three archives (each ending in "/").
type Archives struct {
	// NGDC holds GOES-R (16-19): NGDC + "goesSS/l2/data/xrsf-l2-{flx1s,avg1m}_science/YYYY/MM/".
	NGDC string
	// NCEI holds GOES 8-15: NCEI + "goesSS/{gxrs-l2-irrad,xrsf-l2-avg1m}_science/YYYY/MM/".
	NCEI string
	// SDAC holds the FITS files: SDAC + "YYYY/goSS[YY]YYMMDD.fits".
	SDAC string
}

// DefaultArchives are NOAA's and NASA's archives.
func DefaultArchives() Archives {
	return Archives{
		NGDC: "https://data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/",
		NCEI: "https://www.ncei.noaa.gov/data/goes-space-environment-monitor/access/science/xrs/",
		SDAC: "https://umbra.nascom.nasa.gov/goes/fits/",
	}
}

// withSlash returns a copy with every base URL ending in "/".
func (a Archives) withSlash() Archives {
	fix := func(s string) string {
		if s != "" && !strings.HasSuffix(s, "/") {
			return s + "/"
		}
		return s
	}
	return Archives{NGDC: fix(a.NGDC), NCEI: fix(a.NCEI), SDAC: fix(a.SDAC)}
}

// File is one archive file of one satellite and day.
type File struct {
	Product   Product
	Satellite int
	Day       time.Time // UTC midnight
	Name      string    // file name as listed
	URL       string
	Version   [3]int // vX-Y-Z of netCDF names; zero for FITS
}

// Lister lists a directory of an archive (Fetcher.List).
type Lister interface {
	List(ctx context.Context, dirURL string) ([]string, error)
}

// Catalog finds the best archive file per satellite and day by reading the archives'
// directory listings, each listing read once per Catalog.
type Catalog struct {
	arch   Archives
	lister Lister

	mu    sync.Mutex
	cache map[string]*listing
}

// listing is one cached directory listing; done closes when names/err are set.
type listing struct {
	done  chan struct{}
	names []string
	err   error
}

// NewCatalog returns a catalogue over the archives a, listed with l.
func NewCatalog(a Archives, l Lister) *Catalog {
	return &Catalog{arch: a.withSlash(), lister: l, cache: map[string]*listing{}}
}

// coverage is a generous span of days in which a satellite may have XRS data, so that
// the catalogue does not list directories of satellites that cannot have any. The
// archives remain authoritative: a listing inside the span decides.
type coverage struct {
	sat        int
	first, end string // YYYY-MM-DD, end exclusive; "" = open
}

// coverages is wide on purpose (months of margin around the published operational spans).
var coverages = [...]coverage{
	{1, "1975-01-01", "1986-01-01"}, {2, "1977-01-01", "1984-01-01"}, {3, "1978-01-01", "1982-01-01"},
	{4, "1980-01-01", "1983-01-01"}, {5, "1983-01-01", "1985-01-01"}, {6, "1983-01-01", "1995-01-01"},
	{7, "1987-01-01", "1997-01-01"}, {8, "1995-06-01", "2004-01-01"}, {9, "1996-06-01", "1999-01-01"},
	{10, "1998-01-01", "2010-06-01"}, {11, "2000-06-01", "2011-12-01"}, {12, "2002-01-01", "2008-01-01"},
	{13, "2006-06-01", "2018-01-01"}, {14, "2009-06-01", "2020-06-01"}, {15, "2010-01-01", "2020-06-01"},
	{16, "2016-12-01", ""}, {17, "2018-03-01", ""}, {18, "2022-06-01", ""}, {19, "2024-06-01", ""},
}

// MayHaveData reports whether satellite sat may have XRS data on day.
func MayHaveData(sat int, day time.Time) bool {
	d := day.UTC().Format("2006-01-02")
	for _, c := range coverages {
		if c.sat == sat {
			return d >= c.first && (c.end == "" || d < c.end)
		}
	}
	return false
}

// AllSatellites lists every GOES number heliotime looks for in the archives.
func AllSatellites() []int {
	out := make([]int, 0, len(coverages))
	for _, c := range coverages {
		out = append(out, c.sat)
	}
	return out
}

// ncName matches NOAA's netCDF day-file names.
var ncName = regexp.MustCompile(`^sci_(gxrs-l2-irrad|xrsf-l2-avg1m|xrsf-l2-flx1s)_g(\d\d)_d(\d{8})_v(\d+)-(\d+)-(\d+)\.nc$`)

// productDirs names the archive directory of each netCDF product.
var productDirs = map[Product]string{
	ProductFlx1s: "xrsf-l2-flx1s_science",
	ProductIrrad: "gxrs-l2-irrad_science",
	ProductAvg1m: "xrsf-l2-avg1m_science",
}

// productNames names each netCDF product inside file names.
var productNames = map[string]Product{
	"xrsf-l2-flx1s": ProductFlx1s, "gxrs-l2-irrad": ProductIrrad, "xrsf-l2-avg1m": ProductAvg1m,
}

// Day returns, for each satellite of sats (all when empty) that has XRS data on day, the
// best file: GOES 16+ from NGDC (flx1s, else avg1m); GOES 8-15 from NCEI (irrad, else
// avg1m), else SDAC FITS; GOES 1-7 from SDAC FITS. Of several versions the highest wins.
// Files are ordered by satellite. A listing that cannot be read fails the day; a missing
// directory means no data.
func (c *Catalog) Day(ctx context.Context, day time.Time, sats []int) ([]File, error) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if len(sats) == 0 {
		sats = AllSatellites()
	}
	var out []File
	for _, sat := range sats {
		if !MayHaveData(sat, day) {
			continue
		}
		var (
			f   *File
			err error
		)
		switch {
		case sat >= 16:
			f, err = c.netcdf(ctx, c.arch.NGDC, fmt.Sprintf("goes%02d/l2/data/", sat), sat, day, ProductFlx1s, ProductAvg1m)
		case sat >= 8:
			f, err = c.netcdf(ctx, c.arch.NCEI, fmt.Sprintf("goes%02d/", sat), sat, day, ProductIrrad, ProductAvg1m)
			if err == nil && f == nil {
				f, err = c.fits(ctx, sat, day)
			}
		default:
			f, err = c.fits(ctx, sat, day)
		}
		if err != nil {
			return nil, err
		}
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, nil
}

// netcdf finds the best file of sat on day among products (in order of preference).
func (c *Catalog) netcdf(ctx context.Context, base, satDir string, sat int, day time.Time, products ...Product) (*File, error) {
	if base == "" {
		return nil, nil
	}
	for _, p := range products {
		dir := base + satDir + productDirs[p] + day.Format("/2006/01/")
		names, err := c.list(ctx, dir)
		if err != nil {
			return nil, err
		}
		var best *File
		want := day.Format("20060102")
		for _, n := range names {
			m := ncName.FindStringSubmatch(n)
			if m == nil || productNames[m[1]] != p || m[3] != want {
				continue
			}
			if s, _ := strconv.Atoi(m[2]); s != sat {
				continue
			}
			var v [3]int
			for i := range v {
				v[i], _ = strconv.Atoi(m[4+i])
			}
			if best == nil || versionLess(best.Version, v) {
				best = &File{Product: p, Satellite: sat, Day: day, Name: n, URL: dir + n, Version: v}
			}
		}
		if best != nil {
			return best, nil
		}
	}
	return nil, nil
}

// fits finds the SDAC FITS file of sat on day (both date spellings are accepted).
func (c *Catalog) fits(ctx context.Context, sat int, day time.Time) (*File, error) {
	if c.arch.SDAC == "" {
		return nil, nil
	}
	dir := c.arch.SDAC + day.Format("2006/")
	names, err := c.list(ctx, dir)
	if err != nil {
		return nil, err
	}
	cands := []string{fmt.Sprintf("go%02d%s.fits", sat, day.Format("20060102")), fmt.Sprintf("go%02d%s.fits", sat, day.Format("060102"))}
	for _, want := range cands {
		i := sort.SearchStrings(names, want)
		if i < len(names) && names[i] == want {
			return &File{Product: ProductFITS, Satellite: sat, Day: day, Name: want, URL: dir + want}, nil
		}
	}
	return nil, nil
}

// list reads a directory listing once per Catalog; a missing directory lists nothing.
func (c *Catalog) list(ctx context.Context, dir string) ([]string, error) {
	c.mu.Lock()
	l, ok := c.cache[dir]
	if !ok {
		l = &listing{done: make(chan struct{})}
		c.cache[dir] = l
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return l.names, l.err
	}
	names, err := c.lister.List(ctx, dir)
	if errors.Is(err, ErrNotFound) {
		names, err = nil, nil
	}
	if err != nil {
		err = fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(names)
	l.names, l.err = names, err
	if err != nil {
		// A failed listing is not cached: a later day may try again.
		c.mu.Lock()
		delete(c.cache, dir)
		c.mu.Unlock()
	}
	close(l.done)
	return names, err
}

// versionLess orders vX-Y-Z versions.
func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

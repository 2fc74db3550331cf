package noaa

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Product is an archive product family as heliotime reads it.
type Product int

const (
	// ProductFlx1s is GOES-R (16-19) 1-second fluxes, xrsf-l2-flx1s_science.
	ProductFlx1s Product = iota + 1
	// ProductIrrad is GOES 8-15 high-cadence (2-3 s) irradiances, gxrs-l2-irrad_science.
	ProductIrrad
	// ProductAvg1m is the 1-minute averages, xrsf-l2-avg1m_science, of GOES 8-15 and GOES-R.
	ProductAvg1m
	// ProductFITS is the SDAC FITS archive (goSSYYYYMMDD.fits).
	ProductFITS
)

// String returns the product's short name: "flx1s", "irrad", "avg1m" or "fits".
func (p Product) String() string {
	switch p {
	case ProductFlx1s:
		return "flx1s"
	case ProductIrrad:
		return "irrad"
	case ProductAvg1m:
		return "avg1m"
	case ProductFITS:
		return "fits"
	}
	return fmt.Sprintf("Product(%d)", int(p))
}

// ParseProduct parses a product's short name.
func ParseProduct(s string) (Product, error) {
	for _, p := range []Product{ProductFlx1s, ProductIrrad, ProductAvg1m, ProductFITS} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown product %q (accepted: flx1s, irrad, avg1m, fits)", s)
}

// Decoded is the content of one archive file: the kept records of one satellite.
type Decoded struct {
	Product   Product
	Satellite int
	// Day is UTC midnight of the file's day. Records may lie slightly outside it (a FITS
	// file starts with the previous day's last sample).
	Day time.Time
	// Bands is indexed by flux.Band: kept records, sorted, no duplicate times.
	Bands [2]flux.Series
	// Stats is indexed by flux.Band.
	Stats [2]BandStats
}

// BandStats counts the records of one band and why some were dropped. Records equals
// Kept plus every drop count.
type BandStats struct {
	// Records is the number of records in the file.
	Records int
	// Kept is the number of records in the band's series.
	Kept int
	// BadTime counts records whose time is the fill value, NaN or outside any plausible
	// range.
	BadTime int
	// Fill counts records whose flux is the fill value, NaN or infinite.
	Fill int
	// OutOfRange counts records whose flux lies outside the variable's valid_min /
	// valid_max (or valid_range).
	OutOfRange int
	// Flagged counts records the family's quality rule rejects.
	Flagged int
	// ParticleSpike counts GOES-R records dropped only for the particle_spike flag
	// (outside flares; see FlareThreshold).
	ParticleSpike int
	// Duplicate counts kept records whose time repeats an earlier kept record.
	Duplicate int
	// SpikeKept counts GOES-R records kept despite the particle_spike flag because the
	// flux was at flare level (informative; they are included in Kept).
	SpikeKept int
}

// Dropped returns the number of records not kept.
func (s BandStats) Dropped() int {
	return s.BadTime + s.Fill + s.OutOfRange + s.Flagged + s.ParticleSpike + s.Duplicate
}

// DropReason is one reason with its count.
type DropReason struct {
	Reason string
	Count  int
}

// Reasons lists the non-zero drop counts in a fixed order with stable names:
// bad-time, fill, out-of-range, flagged, particle-spike, duplicate.
func (s BandStats) Reasons() []DropReason {
	all := []DropReason{
		{"bad-time", s.BadTime}, {"fill", s.Fill}, {"out-of-range", s.OutOfRange},
		{"flagged", s.Flagged}, {"particle-spike", s.ParticleSpike}, {"duplicate", s.Duplicate},
	}
	out := all[:0]
	for _, r := range all {
		if r.Count > 0 {
			out = append(out, r)
		}
	}
	return out
}

// nameInfo is what a file name (or a netCDF id attribute, which holds the original
// name) tells about a file.
type nameInfo struct {
	product   Product // 0 when unknown
	satellite int     // 0 when unknown
	day       time.Time
}

var (
	productInName = regexp.MustCompile(`(gxrs-l2-irrad|xrsf-l2-avg1m|xrsf-l2-flx1s)`)
	satInName     = regexp.MustCompile(`(?:_g|goes_?)(\d{2})(?:_|\.|$)`)
	dayInName     = regexp.MustCompile(`_d(\d{8})(?:_|\.|$)`)
	fitsName      = regexp.MustCompile(`^go(\d{2})(\d{6}|\d{8})\.fits(?:\.gz)?$`)
)

// parseName reads product, satellite and day from a file name in any of NOAA's forms:
// sci_<product>_gSS_dYYYYMMDD_v….nc, goSS[YY]YYMMDD.fits, or names that keep a goesSS
// token. Missing parts stay zero.
func parseName(name string) nameInfo {
	base := name
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	var ni nameInfo
	if m := fitsName.FindStringSubmatch(base); m != nil {
		ni.product = ProductFITS
		ni.satellite, _ = strconv.Atoi(m[1])
		layout := "20060102"
		if len(m[2]) == 6 {
			layout = "060102"
		}
		if d, err := time.Parse(layout, m[2]); err == nil {
			ni.day = d
		}
		return ni
	}
	if m := productInName.FindStringSubmatch(base); m != nil {
		switch m[1] {
		case "gxrs-l2-irrad":
			ni.product = ProductIrrad
		case "xrsf-l2-avg1m":
			ni.product = ProductAvg1m
		case "xrsf-l2-flx1s":
			ni.product = ProductFlx1s
		}
	}
	if m := satInName.FindStringSubmatch(base); m != nil {
		ni.satellite, _ = strconv.Atoi(m[1])
	}
	if m := dayInName.FindStringSubmatch(base); m != nil {
		if d, err := time.Parse("20060102", m[1]); err == nil {
			ni.day = d
		}
	}
	return ni
}

// validSatellite reports whether n is a GOES number heliotime accepts.
func validSatellite(n int) bool { return n >= 1 && n <= flux.MaxSatellite }

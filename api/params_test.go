package api

import (
	"net/url"
	"testing"
	"time"
)

func TestParseDatetime(t *testing.T) {
	cases := []struct {
		in   string
		want string // RFC 3339 in UTC, or "" for an error
	}{
		{"2024-06-20T00:00:00.000Z", "2024-06-20T00:00:00Z"},
		{"2024-06-20T12:34:56.789Z", "2024-06-20T12:34:56.789Z"},
		{"2024-06-20T12:34:56.1234567Z", "2024-06-20T12:34:56.123456Z"}, // microsecond precision
		{"2024-06-20T12:34", "2024-06-20T12:34:00Z"},                    // naive: UTC
		{"2024-06-20 12:34:56", "2024-06-20T12:34:56Z"},
		{"2024-06-20", "2024-06-20T00:00:00Z"},
		{"2024-06-20T02:00:00+02:00", "2024-06-20T00:00:00Z"},
		{"2024-06-19T22:00:00-0200", "2024-06-20T00:00:00Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"1718841600", "2024-06-20T00:00:00Z"},
		{"1718841600000", "2024-06-20T00:00:00Z"}, // above 2e10: milliseconds
		{"1718841600.5", "2024-06-20T00:00:00.5Z"},
		{"-86400", "1969-12-31T00:00:00Z"},
		{"", ""}, {"yesterday", ""}, {"2024-13-01", ""}, {"2023-02-29", ""}, {"2024-06-20T25:00", ""},
		{"2024-06-20T12:34:56Zjunk", ""}, {"2024/06/20", ""}, {"NaN", ""}, {"inf", ""}, {"1e30", ""},
		{"10000-01-01", ""}, {"0000-01-01", ""},
	}
	for _, c := range cases {
		got, reason := parseDatetime(c.in)
		switch {
		case c.want == "" && reason == "":
			t.Errorf("parseDatetime(%q) = %s, want an error", c.in, got)
		case c.want != "" && reason != "":
			t.Errorf("parseDatetime(%q): %s", c.in, reason)
		case c.want != "" && got.Format(time.RFC3339Nano) != c.want:
			t.Errorf("parseDatetime(%q) = %s, want %s", c.in, got.Format(time.RFC3339Nano), c.want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	cases := map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false,
		"br": false, "*": true, "*;q=0": false, "identity, gzip ; q=1.0": true, "gzip;q=0, *": false,
	}
	for h, want := range cases {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestEpochMillis(t *testing.T) {
	cases := []struct {
		us   int64
		want int64
	}{
		{1718841600000000, 1718841600000}, {1718841600000499, 1718841600000}, {1718841600000500, 1718841600001},
		{-1500, -2}, {-1499, -1}, {0, 0},
	}
	for _, c := range cases {
		if got := epochMillis(time.UnixMicro(c.us)); got != c.want {
			t.Errorf("epochMillis(%d µs) = %d, want %d", c.us, got, c.want)
		}
	}
}

// FuzzParseFluxParams checks that no query makes the parameter parsing panic and that
// whatever it accepts is in range.
func FuzzParseFluxParams(f *testing.F) {
	for _, s := range []string{
		"resolution=2000&start=2024-06-20T00:00:00.000Z&end=2024-06-21T00:00:00.000Z",
		"resolution=-1&satellite=16&band=short&clean=false&source=live&aggregate=minmax",
		"resolution=1e5&start=1718841600000", "resolution=9999999999999999999999&end=9999-12-31T23:59:59.999999Z",
		"resolution=1_000&start=2024-06-20T00:00+05:30", "start=%ff&end=2024-02-30", "resolution=1.000&satellite=19",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p, verrs, perr := parseFluxParams(q, 2000)
		if verrs != nil || perr != nil {
			return
		}
		if p.Resolution < 1 || p.Resolution > 2000 {
			t.Fatalf("resolution %d out of range for %q", p.Resolution, query)
		}
		for _, tm := range []*time.Time{p.Start, p.End} {
			if tm != nil && (tm.Year() < 1 || tm.Year() > 9999) {
				t.Fatalf("time %s out of range for %q", tm, query)
			}
		}
		if p.Channel.Satellite < 0 || p.Channel.Satellite > 19 {
			t.Fatalf("satellite %d for %q", p.Channel.Satellite, query)
		}
	})
}

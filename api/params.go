package api

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Aggregate says what a bucket of a /flux answer holds.
type Aggregate uint8

const (
	// AggregateMax gives the maximum per bucket: [epoch_ms, max] (the original's answer).
	AggregateMax Aggregate = iota
	// AggregateMinMax gives the envelope: [epoch_ms, min, max].
	AggregateMinMax
)

// fluxParams are the parsed query parameters of GET /flux.
type fluxParams struct {
	Resolution int        // clamped to [1, max resolution]
	Start, End *time.Time // nil: default (earliest data, now)
	Channel    flux.Channel
	Sources    []flux.Source // nil: both, stitched
	Aggregate  Aggregate
}

// validationError is one entry of FastAPI's 422 body.
type validationError struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"`
}

// paramError is a 400 for one of heliotime's own parameters.
type paramError struct{ detail string }

func (e *paramError) Error() string { return e.detail }

// lastValue returns the last value of a query parameter, as Starlette's QueryParams does
// for a scalar parameter, and whether it was present.
func lastValue(q url.Values, name string) (string, bool) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// parseFluxParams parses GET /flux's query. Errors of the original's parameters come back
// as FastAPI's 422 entries (all of them, in declaration order); errors of the new ones as
// a 400. It never panics, whatever the input.
func parseFluxParams(q url.Values, maxResolution int) (fluxParams, []validationError, *paramError) {
	p := fluxParams{Channel: flux.Channel{Satellite: flux.CombinedSatellite, Band: flux.BandLong, Clean: true}}
	var verrs []validationError
	if s, ok := lastValue(q, "resolution"); !ok {
		verrs = append(verrs, validationError{Type: "missing", Loc: []any{"query", "resolution"}, Msg: "Field required", Input: nil})
	} else if n, ok := parseInt(s); !ok {
		verrs = append(verrs, validationError{Type: "int_parsing", Loc: []any{"query", "resolution"},
			Msg: "Input should be a valid integer, unable to parse string as an integer", Input: s})
	} else {
		p.Resolution = clampBig(n, 1, max(maxResolution, 1))
	}
	for _, name := range []string{"start", "end"} {
		s, ok := lastValue(q, name)
		if !ok {
			continue
		}
		t, reason := parseDatetime(s)
		if reason != "" {
			verrs = append(verrs, validationError{Type: "datetime_from_date_parsing", Loc: []any{"query", name},
				Msg: "Input should be a valid datetime or date, " + reason, Input: s})
			continue
		}
		if name == "start" {
			p.Start = &t
		} else {
			p.End = &t
		}
	}
	if len(verrs) > 0 {
		return p, verrs, nil
	}
	if s, ok := lastValue(q, "satellite"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < flux.CombinedSatellite || n > flux.MaxSatellite {
			return p, nil, &paramError{fmt.Sprintf("Invalid \"satellite\" %q: accepted values are 0 (combined) and 1 to %d (GOES number).", s, flux.MaxSatellite)}
		}
		p.Channel.Satellite = int16(n)
	}
	if s, ok := lastValue(q, "band"); ok {
		b, err := flux.ParseBand(strings.ToLower(strings.TrimSpace(s)))
		if err != nil {
			return p, nil, &paramError{fmt.Sprintf("Invalid \"band\" %q: accepted values are long and short.", s)}
		}
		p.Channel.Band = b
	}
	if s, ok := lastValue(q, "clean"); ok {
		b, ok := parseBool(s)
		if !ok {
			return p, nil, &paramError{fmt.Sprintf("Invalid \"clean\" %q: accepted values are true and false.", s)}
		}
		p.Channel.Clean = b
	}
	if s, ok := lastValue(q, "source"); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "archive":
			p.Sources = []flux.Source{flux.SourceArchive}
		case "live":
			p.Sources = []flux.Source{flux.SourceLive}
		case "", "both":
			p.Sources = nil
		default:
			return p, nil, &paramError{fmt.Sprintf("Invalid \"source\" %q: accepted values are archive, live and both (the default, stitched).", s)}
		}
	}
	if s, ok := lastValue(q, "aggregate"); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "max", "":
			p.Aggregate = AggregateMax
		case "minmax":
			p.Aggregate = AggregateMinMax
		default:
			return p, nil, &paramError{fmt.Sprintf("Invalid \"aggregate\" %q: accepted values are max and minmax.", s)}
		}
	}
	return p, nil, nil
}

// parseInt parses an integer the way pydantic's lax mode does for a query string:
// surrounding whitespace, an optional sign, digits with single underscores between them,
// and an optional fractional part of zeros ("3.0"). Any size is accepted.
func parseInt(s string) (*big.Int, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return nil, false
		}
		s = s[:i]
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return nil, false
	}
	for _, c := range body {
		if (c < '0' || c > '9') && c != '_' {
			return nil, false
		}
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, "_", ""), 10)
	return n, ok
}

// clampBig clamps n to [lo, hi].
func clampBig(n *big.Int, lo, hi int) int {
	switch {
	case n.Cmp(big.NewInt(int64(lo))) < 0:
		return lo
	case n.Cmp(big.NewInt(int64(hi))) > 0:
		return hi
	}
	return int(n.Int64())
}

// parseBool accepts pydantic's spellings of a boolean.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on", "t":
		return true, true
	case "false", "0", "no", "n", "off", "f":
		return false, true
	}
	return false, false
}

// Bounds of the timestamps accepted in Unix seconds: pydantic's datetime range, the
// years 1 to 9999.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// parseDatetime parses a timestamp as pydantic v2 does for a datetime query parameter:
// ISO 8601 date or date-time with an optional offset (naive times are taken as UTC), or a
// Unix time in seconds, or in milliseconds when its magnitude exceeds 2e10. On failure it
// returns the reason in pydantic's words.
func parseDatetime(s string) (time.Time, string) {
	if s == "" {
		return time.Time{}, "input is too short"
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && isNumeric(s) {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, "invalid character in year"
		}
		if math.Abs(f) > 2e10 {
			f /= 1000
		}
		if f < minUnix || f >= maxUnix+1 {
			return time.Time{}, "dates out of range"
		}
		sec := math.Floor(f)
		us := math.Round((f - sec) * 1e6)
		return time.Unix(int64(sec), int64(us)*1000).UTC(), ""
	}
	if len(s) < 10 {
		return time.Time{}, "input is too short"
	}
	for i, c := range s[:10] {
		if i == 4 || i == 7 {
			if c != '-' {
				return time.Time{}, "invalid date separator, expected `-`"
			}
			continue
		}
		if c < '0' || c > '9' {
			if i < 4 {
				return time.Time{}, "invalid character in year"
			}
			if i < 7 {
				return time.Time{}, "invalid character in month"
			}
			return time.Time{}, "invalid character in day"
		}
	}
	year, _ := strconv.Atoi(s[0:4])
	month, _ := strconv.Atoi(s[5:7])
	day, _ := strconv.Atoi(s[8:10])
	if month < 1 || month > 12 {
		return time.Time{}, "month value is outside expected range of 1-12"
	}
	if year < 1 || day < 1 || day > daysIn(year, time.Month(month)) {
		return time.Time{}, "day value is outside expected range"
	}
	rest := s[10:]
	if rest == "" {
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), ""
	}
	switch rest[0] {
	case 'T', 't', ' ', '_':
	default:
		return time.Time{}, "unexpected extra characters at the end of the input"
	}
	rest = rest[1:]
	hour, min, sec, nanos := 0, 0, 0, 0
	var ok bool
	if hour, rest, ok = twoDigits(rest); !ok || hour > 23 {
		return time.Time{}, "invalid character in hour"
	}
	if len(rest) == 0 || rest[0] != ':' {
		return time.Time{}, "invalid time separator, expected `:`"
	}
	if min, rest, ok = twoDigits(rest[1:]); !ok || min > 59 {
		return time.Time{}, "invalid character in minute"
	}
	if len(rest) > 0 && rest[0] == ':' {
		if sec, rest, ok = twoDigits(rest[1:]); !ok || sec > 59 {
			return time.Time{}, "invalid character in second"
		}
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			digits := rest[1:i]
			if digits == "" || len(digits) > 9 {
				return time.Time{}, "second fraction value is more than 6 digits long"
			}
			frac := (digits + "000000000")[:9]
			nanos, _ = strconv.Atoi(frac)
			nanos -= nanos % 1000 // microsecond precision, like Python's datetime
			rest = rest[i:]
		}
	}
	loc := time.UTC
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		oh, r, ok := twoDigits(rest[1:])
		if !ok || oh > 23 {
			return time.Time{}, "invalid timezone sign"
		}
		om := 0
		if r != "" {
			if r[0] == ':' {
				r = r[1:]
			}
			if om, r, ok = twoDigits(r); !ok || om > 59 || r != "" {
				return time.Time{}, "invalid timezone sign"
			}
		}
		loc = time.FixedZone("", sign*(oh*3600+om*60))
	default:
		return time.Time{}, "unexpected extra characters at the end of the input"
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nanos, loc).UTC()
	if t.Unix() < minUnix || t.Unix() > maxUnix {
		return time.Time{}, "dates out of range"
	}
	return t, ""
}

// isNumeric reports whether s is a plain decimal number (no exponent words like "inf").
func isNumeric(s string) bool {
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9', c == '.':
		case (c == '-' || c == '+') && i == 0:
		case c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return true
}

// twoDigits reads two decimal digits from the front of s.
func twoDigits(s string) (int, string, bool) {
	if len(s) < 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, s, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), s[2:], true
}

// daysIn returns the number of days of a month.
func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

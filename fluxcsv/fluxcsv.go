// Package fluxcsv reads and writes flux series as two-column CSV: time,flux.
//
// Times are read as ISO-8601 / RFC 3339 instants (a missing zone means UTC) or as
// integer epoch milliseconds; a first line whose time column is not a time is taken as a
// header. Written files carry the header "time,flux", RFC 3339 UTC times with as many
// fractional digits as needed, and flux printed with float32 precision.
package fluxcsv

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// LineError is a problem with one line of the input.
type LineError struct {
	Line    int    // 1-based line number
	Content string // the line as read (truncated to 200 bytes)
	Err     error
}

// Error renders the line number, the content and the cause.
func (e *LineError) Error() string {
	return fmt.Sprintf("line %d %q: %v", e.Line, e.Content, e.Err)
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// isoLayouts are the accepted textual time layouts, tried in order.
var isoLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime parses an ISO-8601 instant (UTC when no zone is given) or integer epoch
// milliseconds, returning Unix nanoseconds.
func ParseTime(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms > math.MaxInt64/int64(time.Millisecond) || ms < math.MinInt64/int64(time.Millisecond) {
			return 0, fmt.Errorf("epoch milliseconds %d out of range", ms)
		}
		return ms * int64(time.Millisecond), nil
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("time %q is neither ISO-8601 nor epoch milliseconds", s)
}

// Read parses a time,flux CSV. Rows are returned in file order (not sorted); blank lines
// are skipped. A bad line gives a *LineError naming the line number and its content.
func Read(r io.Reader) (flux.Series, error) {
	var s flux.Series
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	seen := false // a non-blank line was read: only the first may be a header
	for sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if text == "" {
			continue
		}
		first := !seen
		seen = true
		t, v, err := parseLine(text)
		if err != nil {
			if first && isHeader(text) {
				continue
			}
			return flux.Series{}, &LineError{Line: line, Content: truncate(sc.Text()), Err: err}
		}
		s.Append(t, v)
	}
	if err := sc.Err(); err != nil {
		return flux.Series{}, fmt.Errorf("read CSV after line %d: %w", line, err)
	}
	return s, nil
}

// isHeader reports whether a line looks like a header: its first field does not start
// with a digit or a sign.
func isHeader(text string) bool {
	f, _, _ := strings.Cut(text, ",")
	f = strings.Trim(strings.TrimSpace(f), `"`)
	if f == "" {
		return false
	}
	c := f[0]
	return !(c >= '0' && c <= '9' || c == '-' || c == '+')
}

func parseLine(text string) (int64, float32, error) {
	ts, vs, ok := strings.Cut(text, ",")
	if !ok {
		return 0, 0, errors.New("want two comma-separated fields: time,flux")
	}
	if strings.Contains(vs, ",") {
		return 0, 0, errors.New("want two comma-separated fields, got more")
	}
	t, err := ParseTime(strings.Trim(strings.TrimSpace(ts), `"`))
	if err != nil {
		return 0, 0, err
	}
	vs = strings.Trim(strings.TrimSpace(vs), `"`)
	v, err := strconv.ParseFloat(vs, 32)
	if err != nil {
		if vs == "" {
			return t, float32(math.NaN()), nil // a missing value is a gap
		}
		return 0, 0, fmt.Errorf("flux %q is not a number", vs)
	}
	return t, float32(v), nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// ReadFile is Read over a named reader, gunzipping it first when it starts with the
// gzip magic bytes; errors name the file.
func ReadFile(name string, r io.Reader) (flux.Series, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	var in io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return flux.Series{}, fmt.Errorf("read %s: %w", name, err)
		}
		defer zr.Close()
		in = zr
	}
	s, err := Read(in)
	if err != nil {
		return flux.Series{}, fmt.Errorf("read %s: %w", name, err)
	}
	return s, nil
}

// Write writes the series as CSV with a "time,flux" header.
func Write(w io.Writer, s flux.Series) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("time,flux\n")
	buf := make([]byte, 0, 64)
	for i := range s.Len() {
		buf = buf[:0]
		buf = time.Unix(0, s.Time[i]).UTC().AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, float64(s.Flux[i]), 'g', -1, 32)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write CSV row %d: %w", i+1, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

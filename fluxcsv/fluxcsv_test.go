package fluxcsv

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
)

var t0 = time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC).UnixNano()

func TestRead(t *testing.T) {
	sec := int64(time.Second)
	tests := []struct {
		name  string
		in    string
		times []int64
		flux  []float32
	}{
		{"header and epoch ms", "time_ms,flux\n1715299200000,1e-6\n1715299201000,2.5e-6\n", []int64{t0, t0 + sec}, []float32{1e-6, 2.5e-6}},
		{"no header, ISO", "2024-05-10T00:00:00Z,1e-6\n2024-05-10T00:00:01.5Z,3e-7\n", []int64{t0, t0 + 3*sec/2}, []float32{1e-6, 3e-7}},
		{"zone offset and space", "2024-05-10 02:00:00+02:00, 1e-6\n", []int64{t0}, []float32{1e-6}},
		{"no zone is UTC", "time,flux\n2024-05-10T00:00:01,1e-6\n", []int64{t0 + sec}, []float32{1e-6}},
		{"CRLF, blank lines, quotes", "\"time\",\"flux\"\r\n\r\n\"1715299200000\",\"1e-6\"\r\n", []int64{t0}, []float32{1e-6}},
		{"empty flux is NaN", "1715299200000,\n", []int64{t0}, []float32{float32(math.NaN())}},
		{"empty input", "", nil, nil},
		{"header only", "time,flux\n", nil, nil},
		{"unsorted kept in file order", "1715299201000,1\n1715299200000,2\n", []int64{t0 + sec, t0}, []float32{1, 2}},
	}
	for _, tt := range tests {
		s, err := Read(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if s.Len() != len(tt.times) {
			t.Errorf("%s: %d rows, want %d", tt.name, s.Len(), len(tt.times))
			continue
		}
		for i := range tt.times {
			same := s.Flux[i] == tt.flux[i] || (s.Flux[i] != s.Flux[i] && tt.flux[i] != tt.flux[i])
			if s.Time[i] != tt.times[i] || !same {
				t.Errorf("%s: row %d = (%d, %g), want (%d, %g)", tt.name, i, s.Time[i], s.Flux[i], tt.times[i], tt.flux[i])
			}
		}
	}
}

func TestReadBadLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		line    int
		content string
	}{
		{"bad flux", "time,flux\n1715299200000,1e-6\n1715299201000,abc\n", 3, "1715299201000,abc"},
		{"bad time", "1715299200000,1e-6\n\nyesterday,1e-6\n", 3, "yesterday,1e-6"},
		{"one field", "time,flux\n1715299200000\n", 2, "1715299200000"},
		{"three fields", "1715299200000,1e-6,7\n", 1, "1715299200000,1e-6,7"},
		{"header not first", "1715299200000,1e-6\ntime,flux\n", 2, "time,flux"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in))
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: error %v is not a *LineError", tt.name, err)
			continue
		}
		if le.Line != tt.line || le.Content != tt.content {
			t.Errorf("%s: line %d %q, want line %d %q", tt.name, le.Line, le.Content, tt.line, tt.content)
		}
		if !strings.Contains(err.Error(), tt.content) || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: message %q names neither line nor content", tt.name, err)
		}
	}
}

func TestReadFileGzipAndName(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("time_ms,flux\n1715299200000,1e-6\n"))
	zw.Close()
	s, err := ReadFile("a.csv.gz", &buf)
	if err != nil || s.Len() != 1 || s.Time[0] != t0 {
		t.Fatalf("gzip: %v %v", s, err)
	}
	_, err = ReadFile("b.csv", strings.NewReader("x,y\n1,2\nnope,3\n"))
	if err == nil || !strings.Contains(err.Error(), "b.csv") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error %v should name the file and line 3", err)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	in := flux.Series{
		Time: []int64{t0, t0 + 1, t0 + int64(time.Second)},
		Flux: []float32{1.2345678e-6, 3e-9, 0.5},
	}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "time,flux\n2024-05-10T00:00:00Z,1.2345678e-06\n2024-05-10T00:00:00.000000001Z,") {
		t.Errorf("unexpected output:\n%s", buf.String())
	}
	out, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Time {
		if out.Time[i] != in.Time[i] || out.Flux[i] != in.Flux[i] {
			t.Errorf("row %d: got (%d, %g), want (%d, %g)", i, out.Time[i], out.Flux[i], in.Time[i], in.Flux[i])
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2024-05-10", t0, true},
		{"2024-05-10T00:00Z", t0, true},
		{"1715299200000", t0, true},
		{"-1000", -int64(time.Second), true},
		{"99999999999999999", 0, false}, // overflows nanoseconds
		{"10/05/2024", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

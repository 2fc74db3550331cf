package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
)

var day = time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC).UnixNano()

func TestTickStep(t *testing.T) {
	tests := []struct {
		span time.Duration
		want time.Duration
	}{
		{30 * time.Minute, 5 * time.Minute}, // 30 one-minute ticks would be too many
		{2 * time.Hour, 15 * time.Minute},
		{24 * time.Hour, 3 * time.Hour},
		{48 * time.Hour, 6 * time.Hour},
		{7 * 24 * time.Hour, 24 * time.Hour},
		{300 * 24 * time.Hour, 91 * 24 * time.Hour},
	}
	for _, tt := range tests {
		r := flux.Range{Start: day, End: day + int64(tt.span)}
		if got := TickStep(r, 10); got != tt.want {
			t.Errorf("TickStep(%v) = %v, want %v", tt.span, got, tt.want)
		}
	}
}

func TestTicks(t *testing.T) {
	h := int64(time.Hour)
	tests := []struct {
		name string
		r    flux.Range
		step time.Duration
		want []int64
	}{
		{"aligned start included", flux.Range{Start: day, End: day + 7*h}, 3 * time.Hour, []int64{day, day + 3*h, day + 6*h}},
		{"unaligned start rounds up", flux.Range{Start: day + h/2, End: day + 7*h}, 3 * time.Hour, []int64{day + 3*h, day + 6*h}},
		{"end excluded", flux.Range{Start: day, End: day + 6*h}, 3 * time.Hour, []int64{day, day + 3*h}},
		{"before 1970", flux.Range{Start: -5 * h, End: -h}, 3 * time.Hour, []int64{-3 * h}},
	}
	for _, tt := range tests {
		got := Ticks(tt.r, tt.step)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Ticks = %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: Ticks = %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

func TestTickLabel(t *testing.T) {
	tests := []struct {
		t     int64
		step  time.Duration
		first bool
		want  string
	}{
		{day, 3 * time.Hour, false, "2024-05-10"},
		{day + int64(15*time.Hour), 3 * time.Hour, false, "15:00"},
		{day + int64(15*time.Hour), 3 * time.Hour, true, "2024-05-10 15:00"},
		{day + int64(48*time.Hour), 24 * time.Hour, false, "2024-05-12"},
	}
	for _, tt := range tests {
		if got := TickLabel(tt.t, tt.step, tt.first); got != tt.want {
			t.Errorf("TickLabel(%d, %v, %v) = %q, want %q", tt.t, tt.step, tt.first, got, tt.want)
		}
	}
}

// svgDoc is the part of the SVG the tests look at.
type svgDoc struct {
	Paths []struct {
		D      string `xml:"d,attr"`
		Stroke string `xml:"stroke,attr"`
	} `xml:"path"`
	Texts []string `xml:"text"`
}

func render(t *testing.T, opts Options, lines ...Line) svgDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSVG(&buf, opts, lines...); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed SVG: %v\n%s", err, buf.String())
	}
	return doc
}

func TestWriteSVG(t *testing.T) {
	// A day at 1 s cadence: far more points than pixels.
	var s flux.Series
	for i := range 86400 {
		s.Append(day+int64(i)*int64(time.Second), float32(1e-6*(1+0.5*math.Sin(float64(i)/3000))))
	}
	doc := render(t, Options{Title: "a <day>", Width: 800, Height: 400},
		Line{Name: "raw", Series: s, Color: "#999"},
		Line{Name: "cleaned", Series: s, Color: "#00f"})
	if len(doc.Paths) != 2 {
		t.Fatalf("%d paths, want 2", len(doc.Paths))
	}
	// At most two vertices (min and max) per pixel column.
	if n := strings.Count(doc.Paths[0].D, "L") + strings.Count(doc.Paths[0].D, "M"); n > 2*800 {
		t.Errorf("path has %d vertices for 800 px", n)
	}
	if strings.Count(doc.Paths[0].D, "M") != 1 {
		t.Errorf("gap-free series drawn in %d pieces", strings.Count(doc.Paths[0].D, "M"))
	}
	texts := strings.Join(doc.Texts, "|")
	for _, want := range []string{"a <day>", "|A|", "|B|", "|C|", "|M|", "|X|", "2024-05-10", "1e-6", "raw", "cleaned"} {
		if !strings.Contains("|"+texts+"|", want) {
			t.Errorf("SVG texts lack %q: %s", want, texts)
		}
	}
}

func TestWriteSVGGapsAndBadValues(t *testing.T) {
	h := int64(time.Hour)
	s := flux.Series{
		Time: []int64{day, day + 60e9, day + 2*h, day + 2*h + 60e9, day + 3*h, day + 4*h},
		Flux: []float32{1e-6, 2e-6, 1e-5, 1e-5, float32(math.NaN()), -1},
	}
	doc := render(t, Options{Range: flux.Range{Start: day, End: day + 5*h}}, Line{Series: s, Color: "red"})
	if got := strings.Count(doc.Paths[0].D, "M"); got != 2 {
		t.Errorf("a 2 h gap should split the line in 2 pieces, got %d: %s", got, doc.Paths[0].D)
	}
	// Empty input still gives a well-formed document.
	render(t, Options{}, Line{Color: "red"})
}

func TestWriteSVGError(t *testing.T) {
	if err := WriteSVG(failWriter{}, Options{}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

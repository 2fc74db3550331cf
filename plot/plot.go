// Package plot draws flux series as SVG: time on the x axis with UTC date ticks, flux on
// a logarithmic y axis shaded by flare class (A, B, C, M, X). Long series are reduced to
// the minimum and maximum per pixel column, so a file stays small whatever the input.
package plot

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// Line is one series to draw.
type Line struct {
	Name   string      // legend text
	Series flux.Series // flux in W/m²; non-positive and NaN values are skipped
	Color  string      // SVG color, e.g. "#1f77b4"
	Width  float64     // stroke width in pixels (default 1)
}

// Options sets the figure's size, title and time range.
type Options struct {
	Title         string
	Width, Height int        // pixels (defaults 1200 × 500)
	Range         flux.Range // x axis; empty: the lines' span
	// GapAfter breaks a line where two samples are further apart (default 5 min).
	GapAfter time.Duration
}

// flareClasses are the GOES classes by their lower bound in W/m² (long band).
var flareClasses = [...]struct {
	name  string
	lower float64
}{{"A", 1e-8}, {"B", 1e-7}, {"C", 1e-6}, {"M", 1e-5}, {"X", 1e-4}}

const (
	marginLeft   = 70
	marginRight  = 40
	marginTop    = 40
	marginBottom = 60
	minDecade    = -9 // y axis default lower bound, log10 W/m²
	maxDecade    = -3
)

// WriteSVG draws the lines into an SVG document on w.
func WriteSVG(w io.Writer, opts Options, lines ...Line) error {
	if opts.Width <= 0 {
		opts.Width = 1200
	}
	if opts.Height <= 0 {
		opts.Height = 500
	}
	if opts.GapAfter <= 0 {
		opts.GapAfter = 5 * time.Minute
	}
	r := opts.Range
	if r.Empty() {
		r = span(lines)
	}
	if r.Empty() {
		r = flux.Range{Start: r.Start, End: r.Start + int64(time.Hour)}
	}
	lo, hi := decades(lines, r)
	p := plotArea{
		x0: marginLeft, x1: float64(opts.Width - marginRight),
		y0: marginTop, y1: float64(opts.Height - marginBottom),
		r: r, lo: lo, hi: hi,
	}

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		opts.Width, opts.Height, opts.Width, opts.Height)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="white"/>`+"\n", opts.Width, opts.Height)
	if opts.Title != "" {
		fmt.Fprintf(b, `<text x="%d" y="24" font-size="15">%s</text>`+"\n", marginLeft, escape(opts.Title))
	}
	p.classBands(b)
	p.yAxis(b)
	p.xAxis(b)
	for _, l := range lines {
		p.line(b, l, int64(opts.GapAfter))
	}
	p.legend(b, lines)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n",
		p.x0, p.y0, p.x1-p.x0, p.y1-p.y0)
	b.WriteString("</svg>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write SVG: %w", err)
	}
	return nil
}

// span returns the time range covering all lines' samples.
func span(lines []Line) flux.Range {
	var r flux.Range
	for _, l := range lines {
		for _, t := range l.Series.Time {
			r = r.Union(flux.Range{Start: t, End: t + 1})
		}
	}
	return r
}

// decades returns the y axis range in whole decades: the default [-9, -3] widened to
// the plausible data (0 < flux < 1 W/m²) within r.
func decades(lines []Line, r flux.Range) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for i, t := range l.Series.Time {
			if i >= len(l.Series.Flux) || !r.Contains(t) {
				continue
			}
			v := float64(l.Series.Flux[i])
			if v > 0 && v < 1 {
				lv := math.Log10(v)
				lo, hi = min(lo, lv), max(hi, lv)
			}
		}
	}
	dlo, dhi := float64(minDecade), float64(maxDecade)
	if !math.IsInf(lo, 0) {
		dlo = min(dlo, math.Floor(lo))
		dhi = max(dhi, math.Ceil(hi))
	}
	return max(dlo, -15), min(dhi, 3)
}

type plotArea struct {
	x0, x1, y0, y1 float64
	r              flux.Range
	lo, hi         float64 // log10 bounds of the y axis
}

func (p plotArea) x(t int64) float64 {
	return p.x0 + (p.x1-p.x0)*float64(t-p.r.Start)/float64(p.r.End-p.r.Start)
}

func (p plotArea) y(logv float64) float64 {
	return p.y1 - (p.y1-p.y0)*(logv-p.lo)/(p.hi-p.lo)
}

// classBands shades the flare classes A to X alternately and labels them on the right.
func (p plotArea) classBands(b *bufio.Writer) {
	for k, c := range flareClasses {
		lower := math.Log10(c.lower)
		upper := lower + 1
		if k == len(flareClasses)-1 {
			upper = p.hi
		}
		lower, upper = max(lower, p.lo), min(upper, p.hi)
		if upper <= lower {
			continue
		}
		fill := "#f4f4f4"
		if k%2 == 1 {
			fill = "#e8eef6"
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
			p.x0, p.y(upper), p.x1-p.x0, p.y(lower)-p.y(upper), fill)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#555" font-weight="bold">%s</text>`+"\n",
			p.x1+8, (p.y(lower)+p.y(upper))/2+4, c.name)
	}
}

// yAxis draws a tick and label per decade.
func (p plotArea) yAxis(b *bufio.Writer) {
	for d := math.Ceil(p.lo); d <= p.hi; d++ {
		y := p.y(d)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ccc"/>`+"\n", p.x0, y, p.x1, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">1e%d</text>`+"\n", p.x0-6, y+4, int(d))
	}
	fmt.Fprintf(b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">flux (W/m²)</text>`+"\n",
		(p.y0+p.y1)/2)
}

// tickSteps are the candidate x tick spacings.
var tickSteps = [...]time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
	30 * 24 * time.Hour, 91 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// TickStep returns the x tick spacing giving at most maxTicks ticks over r.
func TickStep(r flux.Range, maxTicks int) time.Duration {
	for _, s := range tickSteps {
		if (r.End-r.Start)/int64(s) < int64(maxTicks) {
			return s
		}
	}
	return tickSteps[len(tickSteps)-1] * time.Duration(1+(r.End-r.Start)/int64(tickSteps[len(tickSteps)-1])/int64(maxTicks))
}

// Ticks returns the UTC-aligned tick instants of spacing step within r.
func Ticks(r flux.Range, step time.Duration) []int64 {
	first := r.Start - mod(r.Start, int64(step))
	if first < r.Start {
		first += int64(step)
	}
	var out []int64
	for t := first; t < r.End; t += int64(step) {
		out = append(out, t)
	}
	return out
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// TickLabel formats a tick: the date at midnight, else the time (with the date on the
// first tick).
func TickLabel(t int64, step time.Duration, first bool) string {
	tm := time.Unix(0, t).UTC()
	switch {
	case step >= 24*time.Hour || (tm.Hour() == 0 && tm.Minute() == 0):
		return tm.Format("2006-01-02")
	case first:
		return tm.Format("2006-01-02 15:04")
	}
	return tm.Format("15:04")
}

func (p plotArea) xAxis(b *bufio.Writer) {
	step := TickStep(p.r, 10)
	for k, t := range Ticks(p.r, step) {
		x := p.x(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ccc"/>`+"\n", x, p.y0, x, p.y1)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, p.y1+18, TickLabel(t, step, k == 0))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">time (UTC)</text>`+"\n", (p.x0+p.x1)/2, p.y1+44)
}

// line draws one series, reduced to the minimum and maximum per pixel column and
// broken at gaps longer than gap nanoseconds.
func (p plotArea) line(b *bufio.Writer, l Line, gap int64) {
	width := l.Width
	if width <= 0 {
		width = 1
	}
	fmt.Fprintf(b, `<path fill="none" stroke="%s" stroke-width="%.2f" stroke-linejoin="round" d="`, escape(l.Color), width)
	type column struct {
		x       int
		lo, hi  float64
		connect bool // joined to the previous column
	}
	emit := func(c column) {
		cmd := 'M'
		if c.connect {
			cmd = 'L'
		}
		fmt.Fprintf(b, "%c%d %.1f", cmd, c.x, p.y(c.lo))
		if c.hi != c.lo {
			fmt.Fprintf(b, "L%d %.1f", c.x, p.y(c.hi))
		}
	}
	var cur column
	have := false
	var lastT int64
	s := l.Series
	for i := range min(len(s.Time), len(s.Flux)) {
		t, v := s.Time[i], float64(s.Flux[i])
		if !p.r.Contains(t) || !(v > 0) || math.IsInf(v, 0) {
			continue
		}
		lv := math.Max(math.Min(math.Log10(v), p.hi), p.lo)
		x := int(math.Round(p.x(t)))
		broken := have && t-lastT > gap
		if have && x == cur.x && !broken {
			cur.lo, cur.hi = min(cur.lo, lv), max(cur.hi, lv)
		} else {
			if have {
				emit(cur)
			}
			cur = column{x: x, lo: lv, hi: lv, connect: have && !broken}
			have = true
		}
		lastT = t
	}
	if have {
		emit(cur)
	}
	b.WriteString(`"/>` + "\n")
}

func (p plotArea) legend(b *bufio.Writer, lines []Line) {
	x := p.x0 + 10
	for _, l := range lines {
		if l.Name == "" {
			continue
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n",
			x, p.y0+14, x+20, p.y0+14, escape(l.Color))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x+26, p.y0+18, escape(l.Name))
		x += 40 + 7*float64(len(l.Name))
	}
}

func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

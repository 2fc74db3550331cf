package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

// ExportFormat is an output format of Export.
type ExportFormat uint8

const (
	// ExportCSV writes a header (time,flux or time,flux_min,flux_max) and one line per point.
	ExportCSV ExportFormat = iota
	// ExportJSON writes an array of {"time": ..., "flux": ...} objects (flux_min and
	// flux_max with min/max), one per line.
	ExportJSON
)

// ParseExportFormat parses "csv" or "json".
func ParseExportFormat(s string) (ExportFormat, error) {
	switch s {
	case "csv":
		return ExportCSV, nil
	case "json":
		return ExportJSON, nil
	}
	return 0, fmt.Errorf("unknown format %q (accepted: csv, json)", s)
}

// ParseAggregate parses "max" or "minmax".
func ParseAggregate(s string) (Aggregate, error) {
	switch s {
	case "max":
		return AggregateMax, nil
	case "minmax":
		return AggregateMinMax, nil
	}
	return 0, fmt.Errorf("unknown aggregate %q (accepted: max, minmax)", s)
}

// ParseTime parses a timestamp as /flux does: ISO 8601 date or date-time (naive means
// UTC) or Unix seconds (milliseconds above 2e10).
func ParseTime(s string) (time.Time, error) {
	t, reason := parseDatetime(s)
	if reason != "" {
		return time.Time{}, fmt.Errorf("invalid time %q: %s", s, reason)
	}
	return t, nil
}

// Export streams the points of req to w in format, times in ISO 8601 UTC: rows go from the
// database to w as they arrive. A zero req.Start means the channel's first stored time
// (over the requested sources); a channel without data gives a header or an empty array.
// It returns the number of points written.
func Export(ctx context.Context, db *store.DB, req store.ReadRequest, format ExportFormat, w io.Writer) (int, error) {
	if req.Start.IsZero() {
		ext, err := db.ChannelExtents(ctx, req.Channel)
		if err != nil {
			return 0, err
		}
		sources := req.Sources
		if len(sources) == 0 {
			sources = flux.Sources[:]
		}
		for _, e := range ext {
			if containsSource(sources, e.Source) && (req.Start.IsZero() || e.First.Before(req.Start)) {
				req.Start = e.First
			}
		}
		req.Extents = ext
		if req.Start.IsZero() {
			req.Start = req.End // no data: an empty answer
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	switch {
	case format == ExportCSV && req.MinMax:
		bw.WriteString("time,flux_min,flux_max\n")
	case format == ExportCSV:
		bw.WriteString("time,flux\n")
	default:
		bw.WriteString("[")
	}
	n := 0
	err := db.ReadFlux(ctx, req, func(p store.Point) error {
		b = b[:0]
		if format == ExportJSON {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n{\"time\":\""...)
			b = append(b, formatTime(p.Time)...)
			b = append(b, '"')
			if req.MinMax {
				b = append(b, ",\"flux_min\":"...)
				b = appendFlux(b, p.Min)
				b = append(b, ",\"flux_max\":"...)
			} else {
				b = append(b, ",\"flux\":"...)
			}
			b = appendFlux(b, p.Max)
			b = append(b, '}')
		} else {
			b = append(b, formatTime(p.Time)...)
			if req.MinMax {
				b = append(b, ',')
				b = appendCSVFlux(b, p.Min)
			}
			b = append(b, ',')
			b = appendCSVFlux(b, p.Max)
			b = append(b, '\n')
		}
		n++
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return n, err
	}
	if format == ExportJSON {
		if n > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString("]\n")
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write output: %w", err)
	}
	return n, nil
}

// appendCSVFlux writes a flux value for CSV: the shortest float32 form, empty when not finite.
func appendCSVFlux(b []byte, v float32) []byte {
	f := float64(v)
	if f != f || f > 3.5e38 || f < -3.5e38 {
		return b
	}
	return strconv.AppendFloat(b, f, 'g', -1, 32)
}

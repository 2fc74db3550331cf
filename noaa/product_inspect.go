package noaa

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa/swpc"
)

// InspectOptions tunes Inspect.
type InspectOptions struct {
	// Records also writes every kept record as CSV: time,band,flux.
	Records bool
	// Decode is passed to DecodeWith.
	Decode DecodeOptions
}

// CSVTimeLayout is the time format of Inspect's CSV records (UTC, milliseconds).
const CSVTimeLayout = "2006-01-02T15:04:05.000Z"

// Inspect describes what heliotime reads from each local file: an archive file
// (netCDF or FITS) or an SWPC JSON feed (*.json). For every file it writes one block:
// the product, satellite and day, then per band the record count, the kept count and
// the drops by reason, and with opts.Records the kept records as CSV. A file that
// cannot be read is skipped; the returned error joins one error per failed file, each
// naming it.
func Inspect(ctx context.Context, w io.Writer, paths []string, opts InspectOptions) error {
	var errs []error
	var block bytes.Buffer
	wrote := false
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		// Each block is built whole, so a failing file leaves no partial output.
		block.Reset()
		bw := bufio.NewWriter(&block)
		if err := inspectFile(bw, path, opts); err != nil {
			errs = append(errs, fmt.Errorf("inspect %s: %w", path, err))
			continue
		}
		bw.Flush()
		if wrote {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return errors.Join(append(errs, fmt.Errorf("inspect: write: %w", err))...)
			}
		}
		if _, err := w.Write(block.Bytes()); err != nil {
			return errors.Join(append(errs, fmt.Errorf("inspect: write: %w", err))...)
		}
		wrote = true
	}
	return errors.Join(errs...)
}

func inspectFile(w *bufio.Writer, path string, opts InspectOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		feed, err := swpc.Parse(bufio.NewReader(f))
		if err != nil && !errors.Is(err, swpc.ErrTruncated) {
			return err
		}
		writeFeed(w, path, feed, err, opts)
		return nil
	}
	d, err := DecodeWith(filepath.Base(path), f, st.Size(), opts.Decode)
	if err != nil {
		return err
	}
	writeDecoded(w, path, d, opts)
	return nil
}

// writeDecoded writes the block of one archive file.
func writeDecoded(w *bufio.Writer, path string, d *Decoded, opts InspectOptions) {
	fmt.Fprintf(w, "file:      %s\n", path)
	fmt.Fprintf(w, "product:   %s\n", d.Product)
	fmt.Fprintf(w, "satellite: %d\n", d.Satellite)
	fmt.Fprintf(w, "day:       %s\n", d.Day.Format("2006-01-02"))
	for _, b := range flux.Bands {
		st := d.Stats[b]
		fmt.Fprintf(w, "%-6s records %d, kept %d, dropped %d%s%s\n", b.String()+":", st.Records, st.Kept,
			st.Dropped(), reasons(st.Reasons()), extent(d.Bands[b]))
		if st.SpikeKept > 0 {
			fmt.Fprintf(w, "       kept despite particle_spike at flare level: %d\n", st.SpikeKept)
		}
	}
	if opts.Records {
		writeCSV(w, d.Bands)
	}
}

// writeFeed writes the block of an SWPC feed: one entry per satellite.
func writeFeed(w *bufio.Writer, path string, feed swpc.Feed, parseErr error, opts InspectOptions) {
	fmt.Fprintf(w, "file:      %s\n", path)
	fmt.Fprintf(w, "product:   swpc-json\n")
	if parseErr != nil {
		fmt.Fprintf(w, "warning:   %v (the records before the cut are shown)\n", parseErr)
	}
	for _, b := range flux.Bands {
		st := feed.Stats[b]
		var rs []DropReason
		for _, r := range []DropReason{{"missing", st.Missing}, {"out-of-range", st.OutOfRange}, {"duplicate", st.Duplicate}} {
			if r.Count > 0 {
				rs = append(rs, r)
			}
		}
		dropped := st.Missing + st.OutOfRange + st.Duplicate
		fmt.Fprintf(w, "%-6s records %d, kept %d, dropped %d%s\n", b.String()+":", st.Records, st.Kept, dropped, reasons(rs))
	}
	if feed.Unknown > 0 {
		fmt.Fprintf(w, "other energies skipped: %d\n", feed.Unknown)
	}
	for _, sat := range feed.Satellites() {
		s := feed.Series[sat]
		fmt.Fprintf(w, "satellite: %d\n", sat)
		for _, b := range flux.Bands {
			fmt.Fprintf(w, "  %-6s kept %d%s\n", b.String()+":", s[b].Len(), extent(s[b]))
		}
		if opts.Records {
			writeCSV(w, *s)
		}
	}
}

func reasons(rs []DropReason) string {
	if len(rs) == 0 {
		return ""
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Reason + " " + strconv.Itoa(r.Count)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func extent(s flux.Series) string {
	if s.Len() == 0 {
		return ""
	}
	return ", " + formatTime(s.Time[0]) + " .. " + formatTime(s.Time[s.Len()-1])
}

func formatTime(ns int64) string { return time.Unix(0, ns).UTC().Format(CSVTimeLayout) }

// FormatFlux formats a flux value with 9 significant digits, enough to restore the
// float32 exactly.
func FormatFlux(v float32) string { return strconv.FormatFloat(float64(v), 'g', 9, 32) }

// writeCSV writes both bands merged by time (short before long at equal times).
func writeCSV(w *bufio.Writer, bands [2]flux.Series) {
	w.WriteString("time,band,flux\n")
	s, l := bands[flux.BandShort], bands[flux.BandLong]
	i, j := 0, 0
	for i < s.Len() || j < l.Len() {
		if j >= l.Len() || (i < s.Len() && s.Time[i] <= l.Time[j]) {
			writeRow(w, s.Time[i], flux.BandShort, s.Flux[i])
			i++
			continue
		}
		writeRow(w, l.Time[j], flux.BandLong, l.Flux[j])
		j++
	}
}

func writeRow(w *bufio.Writer, t int64, b flux.Band, v float32) {
	w.WriteString(formatTime(t))
	w.WriteByte(',')
	w.WriteString(b.String())
	w.WriteByte(',')
	w.WriteString(FormatFlux(v))
	w.WriteByte('\n')
}

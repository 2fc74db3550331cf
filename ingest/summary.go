// Package ingest is heliotime's import pipeline: it finds and fetches NOAA archive files
// and SWPC feed files, decodes them into raw channels, prepares them (cleaning and
// combining, with border context read from the store) and writes them with the store's
// write path, batch by batch, one transaction per batch. The import, clean and serve
// commands drive it.
package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// DayFailure is a day that could not be imported: it was not written and is not recorded,
// so the next run tries it again.
type DayFailure struct {
	Day    time.Time
	File   string // the file (or listing) that failed; "" when not one file
	Reason string
}

// Stages accumulates the time spent per pipeline stage (summed over concurrent work).
type Stages struct {
	Fetch, Decode, Prepare, Write time.Duration
	// Bytes counts the fetched bytes; Records the decoded raw points.
	Bytes, Records int64
}

// Summary is what an import did.
type Summary struct {
	Source flux.Source
	// Task names the work in the printed summary: "import" when empty, "clean" for Reclean.
	Task string
	// Days counts the days written; Unchanged the days skipped because every file was
	// already imported unchanged; Empty the days without any file.
	Days, Unchanged, Empty int
	// Files counts the files imported.
	Files int
	// Rows counts the raw rows written per channel (raw, clean and combined).
	Rows map[flux.Channel]int64
	// Deleted counts the rows the written batches replaced.
	Deleted int64
	// Failed lists the days that failed, in day order.
	Failed []DayFailure
	// Stages times the pipeline stages.
	Stages Stages
	// Elapsed is the wall time of the import.
	Elapsed time.Duration
}

// Written returns the total rows written.
func (s Summary) Written() int64 {
	var n int64
	for _, v := range s.Rows {
		n += v
	}
	return n
}

// add merges the counts of o into s.
func (s *Summary) add(o Summary) {
	s.Days += o.Days
	s.Unchanged += o.Unchanged
	s.Empty += o.Empty
	s.Files += o.Files
	s.Deleted += o.Deleted
	if s.Rows == nil {
		s.Rows = map[flux.Channel]int64{}
	}
	for c, n := range o.Rows {
		s.Rows[c] += n
	}
	s.Failed = append(s.Failed, o.Failed...)
	s.Stages.Fetch += o.Stages.Fetch
	s.Stages.Decode += o.Stages.Decode
	s.Stages.Prepare += o.Stages.Prepare
	s.Stages.Write += o.Stages.Write
	s.Stages.Bytes += o.Stages.Bytes
	s.Stages.Records += o.Stages.Records
}

// Print writes the human summary: days, files, rows per channel, each failed day.
func (s Summary) Print(w io.Writer) {
	task := s.Task
	if task == "" {
		task = "import"
	}
	fmt.Fprintf(w, "%s %s: %d days written, %d unchanged, %d without data, %d failed; %d files; %d rows in %s",
		s.Source, task, s.Days, s.Unchanged, s.Empty, len(s.Failed), s.Files, s.Written(), s.Elapsed.Round(time.Millisecond))
	if sec := s.Elapsed.Seconds(); sec > 0 && s.Written() > 0 {
		fmt.Fprintf(w, " (%.0f rows/s)", float64(s.Written())/sec)
	}
	fmt.Fprintln(w)
	chans := make([]flux.Channel, 0, len(s.Rows))
	for c := range s.Rows {
		chans = append(chans, c)
	}
	sort.Slice(chans, func(i, j int) bool { return channelLess(chans[i], chans[j]) })
	for _, c := range chans {
		fmt.Fprintf(w, "  %-22s %10d rows\n", c, s.Rows[c])
	}
	for _, f := range s.Failed {
		day := f.Day.Format("2006-01-02")
		if f.File != "" {
			fmt.Fprintf(w, "  FAILED %s %s: %s\n", day, f.File, oneLine(f.Reason))
		} else {
			fmt.Fprintf(w, "  FAILED %s: %s\n", day, oneLine(f.Reason))
		}
	}
}

// channelLess orders channels by satellite (combined last), band, raw before clean.
func channelLess(a, b flux.Channel) bool {
	sa, sb := int(a.Satellite), int(b.Satellite)
	if sa == 0 {
		sa = 1000
	}
	if sb == 0 {
		sb = 1000
	}
	if sa != sb {
		return sa < sb
	}
	if a.Band != b.Band {
		return a.Band < b.Band
	}
	return !a.Clean && b.Clean
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// BatchReport is what a progress display learns after each batch.
type BatchReport struct {
	// First and Last are the first and last day of the batch.
	First, Last time.Time
	// DaysDone and DaysTotal count the days handled so far and in all.
	DaysDone, DaysTotal int
	// Summary is the running total.
	Summary Summary
	// Batch is this batch's part.
	Batch Summary
}

// Progress receives the progress of an import; nil methods are fine to leave out by
// passing a nil Progress.
type Progress interface {
	// Start announces the number of days to handle.
	Start(days int)
	// Batch reports a finished batch (written, skipped or failed).
	Batch(BatchReport)
}

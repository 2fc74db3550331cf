package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type zoomOptions struct {
	URL        string
	Requests   int
	Resolution int
	Seed       uint64
}

func newZoomCmd(stdout io.Writer, log *slog.Logger) *cobra.Command {
	opts := zoomOptions{}
	cmd := &cobra.Command{
		Use:   "zoom",
		Short: "Server and client time of /flux at every zoom level",
		Long: `For each zoom level (5 min, 1 h, 1 day, 1 week, 1 month, 1 year, all) send --requests
sequential GET /flux requests of --resolution points for windows of that size at random
positions inside the stored range (/status), the levels taking turns, and report
p50/p95/p99 of the server's own time (its Server-Timing header) and of the time to
response headers, and the ratio of the slowest level's server p95 to the fastest's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runZoom(cmd.Context(), stdout, log, opts) },
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.URL, "url", "http://127.0.0.1:8000", "base URL of heliotime serve")
	fs.IntVar(&opts.Requests, "requests", 200, "requests per zoom level")
	fs.IntVar(&opts.Resolution, "resolution", 2000, "points per request")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	return cmd
}

func runZoom(ctx context.Context, stdout io.Writer, log *slog.Logger, opts zoomOptions) error {
	base := strings.TrimRight(opts.URL, "/")
	client := newClient(4, time.Minute)
	start, end, err := fetchStatus(ctx, client, base)
	if err != nil {
		return err
	}
	levels := []struct {
		name string
		size time.Duration
	}{
		{"5 min", 5 * time.Minute}, {"1 hour", time.Hour}, {"1 day", 24 * time.Hour}, {"1 week", 7 * 24 * time.Hour},
		{"1 month", 30 * 24 * time.Hour}, {"1 year", 365 * 24 * time.Hour}, {"all", 0},
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 7))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "range %s .. %s, %d requests of %d points per level\n\n", start.Format(time.RFC3339), end.Format(time.RFC3339), opts.Requests, opts.Resolution)
	fmt.Fprintln(tw, "zoom\terrors\tserver p50 ms\tserver p95 ms\tserver p99 ms\tclient p50 ms\tclient p95 ms\tclient p99 ms\t")
	// The levels take turns, one request each, so that whatever else the machine does
	// meanwhile (a checkpoint, autovacuum, another process) falls on every level alike.
	samples := make([][]sample, len(levels))
	for range opts.Requests {
		for i, l := range levels {
			u := fmt.Sprintf("%s/flux?resolution=%d", base, opts.Resolution)
			if l.size > 0 {
				span := end.Sub(start) - l.size
				from := start
				if span > 0 {
					from = start.Add(time.Duration(rng.Int64N(int64(span))))
				}
				u += "&start=" + from.UTC().Format("2006-01-02T15:04:05.000Z") + "&end=" + from.Add(l.size).UTC().Format("2006-01-02T15:04:05.000Z")
			}
			lat, srv, ok := get(ctx, client, u)
			samples[i] = append(samples[i], sample{latency: lat, server: srv, err: !ok})
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	var fastest, slowest time.Duration
	for i, l := range levels {
		st := summarize(samples[i])
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.name, st.errs, ms(st.s50), ms(st.s95), ms(st.s99), ms(st.p50), ms(st.p95), ms(st.p99))
		if i == 0 || st.s95 < fastest {
			fastest = st.s95
		}
		slowest = max(slowest, st.s95)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if fastest > 0 {
		fmt.Fprintf(stdout, "\nserver p95: slowest zoom / fastest zoom = %.2f\n", float64(slowest)/float64(fastest))
	}
	return nil
}

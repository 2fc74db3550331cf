package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/api"
	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

// queryOptions are the flags of heliotime query.
type queryOptions struct {
	From, To   string
	Resolution int
	Satellite  int
	Band       string
	Clean      bool
	Source     string
	Aggregate  string
	Format     string
}

// newQueryCmd builds heliotime query.
func newQueryCmd(env *cliEnv) *cobra.Command {
	opts := queryOptions{}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Print a window of the flux record",
		Long: `Print a window of one channel to stdout, through the same read path as GET /flux:
the window [--from, --to) is cut into --resolution buckets; buckets at or below the raw
cadence give raw measurements, larger ones the bucket's start time and maximum (and
minimum with --aggregate minmax). A large --resolution therefore prints every raw row.

CSV has a header (time,flux or time,flux_min,flux_max); times are ISO 8601 UTC.

Examples:
  heliotime query --from 2024-05-10 --to 2024-05-12 --resolution 500
  heliotime query --from 2024-05-10T16:00Z --to 2024-05-10T18:00Z --resolution 100000 --satellite 16 --clean=false
  heliotime query --from 2017-09-06 --to 2017-09-11 --aggregate minmax --format json` + exitStatusHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuery(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.From, "from", "", "start of the window, ISO 8601 or YYYY-MM-DD, UTC unless an offset is given (default: the channel's first data)")
	fs.StringVar(&opts.To, "to", "", "end of the window, exclusive (default: now)")
	fs.IntVar(&opts.Resolution, "resolution", api.DefaultMaxResolution, "number of buckets the window is cut into")
	fs.IntVar(&opts.Satellite, "satellite", 0, "GOES satellite, 0 = combined")
	fs.StringVar(&opts.Band, "band", "long", "band: long (XRS-B) or short (XRS-A)")
	fs.BoolVar(&opts.Clean, "clean", true, "cleaned flux (false: raw as published)")
	fs.StringVar(&opts.Source, "source", "", "archive or live (default: both, stitched)")
	fs.StringVar(&opts.Aggregate, "aggregate", "max", "bucket aggregate: max, or minmax for an envelope")
	fs.StringVar(&opts.Format, "format", "csv", "output format: csv or json")
	return cmd
}

// queryRequest turns the flags into a read request and an output format.
func queryRequest(opts queryOptions, now time.Time) (store.ReadRequest, api.ExportFormat, error) {
	var req store.ReadRequest
	format, err := api.ParseExportFormat(opts.Format)
	if err != nil {
		return req, 0, usagef("--format: %v", err)
	}
	if opts.Resolution < 1 {
		return req, 0, usagef("--resolution must be at least 1, got %d", opts.Resolution)
	}
	if opts.Satellite < flux.CombinedSatellite || opts.Satellite > flux.MaxSatellite {
		return req, 0, usagef("--satellite must be 0 (combined) or 1 to %d, got %d", flux.MaxSatellite, opts.Satellite)
	}
	band, err := flux.ParseBand(strings.ToLower(opts.Band))
	if err != nil {
		return req, 0, usagef("--band: %v", err)
	}
	agg, err := api.ParseAggregate(opts.Aggregate)
	if err != nil {
		return req, 0, usagef("--aggregate: %v", err)
	}
	req = store.ReadRequest{
		Channel: flux.Channel{Satellite: int16(opts.Satellite), Band: band, Clean: opts.Clean},
		Points:  opts.Resolution,
		MinMax:  agg == api.AggregateMinMax,
		End:     now.UTC(),
	}
	if opts.Source != "" {
		src, err := flux.ParseSource(strings.ToLower(opts.Source))
		if err != nil {
			return req, 0, usagef("--source: %v", err)
		}
		req.Sources = []flux.Source{src}
	}
	if opts.From != "" {
		if req.Start, err = api.ParseTime(opts.From); err != nil {
			return req, 0, usagef("--from: %v", err)
		}
	}
	if opts.To != "" {
		if req.End, err = api.ParseTime(opts.To); err != nil {
			return req, 0, usagef("--to: %v", err)
		}
	}
	if !req.Start.IsZero() && req.Start.After(req.End) {
		return req, 0, usagef("--from (%s) is after --to (%s)", req.Start.Format(time.RFC3339Nano), req.End.Format(time.RFC3339Nano))
	}
	return req, format, nil
}

// runQuery prints the window to stdout.
func runQuery(ctx context.Context, env *cliEnv, opts queryOptions) error {
	req, format, err := queryRequest(opts, time.Now())
	if err != nil {
		return err
	}
	db, err := env.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := api.Export(ctx, db, req, format, env.Stdout)
	if err != nil {
		return err
	}
	env.Logger().Debug("query done", "points", n, "channel", req.Channel.String())
	return nil
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/noaa"
)

// inspectOptions holds the flags of the inspect command.
type inspectOptions struct {
	records  bool
	original bool
}

// newInspectCmd describes local NOAA files as heliotime reads them.
func newInspectCmd(env *cliEnv) *cobra.Command {
	var opts inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Describe NOAA data files as heliotime reads them",
		Long: `Describe local NOAA files as heliotime reads them: archive files (GOES-R flx1s and
avg1m, GOES 8-15 irrad and avg1m netCDF, SDAC FITS, optionally gzipped) and SWPC
JSON feeds (*.json). For each file: product, satellite, day, and per band the
records, the kept records and the dropped ones by reason (bad-time, fill,
out-of-range, flagged, particle-spike, duplicate). With --records the kept records
follow as CSV (time,band,flux; UTC with milliseconds, 9 significant digits).

A file that cannot be read is reported on stderr by name; the others are still
described, and the exit status is 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rule := noaa.FlagRuleRecommended
			if opts.original {
				rule = noaa.FlagRuleOriginal
			}
			return noaa.Inspect(cmd.Context(), env.Stdout, args, noaa.InspectOptions{
				Records: opts.records,
				Decode:  noaa.DecodeOptions{Flags: rule},
			})
		},
	}
	cmd.Flags().BoolVar(&opts.records, "records", false, "also print the kept records as CSV: time,band,flux")
	cmd.Flags().BoolVar(&opts.original, "original-flags", false, "apply the original server's quality rule (flag == 0 in every product)")
	return cmd
}

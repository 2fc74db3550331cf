package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pendingCmd returns a command whose capability is not built yet: it has its documented
// flags (so help, completion and configuration keys are in place) and fails, exit 1,
// saying so.
func pendingCmd(use, short string, flags func(*pflag.FlagSet)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short + " (not available yet)",
		Long:  short + ".\n\nNot available yet in this build of heliotime: the flags below are its documented interface.",
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%s is not available yet in this build of heliotime", use)
		},
	}
	if flags != nil {
		flags(cmd.Flags())
	}
	return cmd
}

// The documented flags of the commands built elsewhere, for their pending placeholders.

func importFlags(fs *pflag.FlagSet) {
	fs.String("source", "archive", "what to import: archive or live")
	fs.String("from", "", "first day to import, YYYY-MM-DD (default: resume after the last stored time)")
	fs.String("to", "", "day after the last to import, YYYY-MM-DD (default: today)")
	fs.IntSlice("satellite", nil, "import only these GOES satellites (default: all with data)")
	fs.Int("batch-days", 10, "days imported per transaction")
	fs.String("mirror", "", "base URL or local folder laid out like NOAA's, tried first")
	fs.StringSlice("file", nil, "import these local files instead of downloading")
	fs.String("cache-dir", "", "folder for downloaded files")
	fs.Bool("keep-files", false, "keep downloaded files in the cache after import")
	fs.Bool("follow", false, "live: keep importing at the feed's cadence")
	fs.Bool("wait", false, "wait for another import of the same source to finish instead of failing")
	fs.String("import-start", "", "earliest day an archive import without --from reaches back to")
	fs.String("log-format", "text", "log format: text or json")
}

func serveFlags(fs *pflag.FlagSet) {
	fs.String("addr", ":8000", "HTTP listen address")
	fs.Bool("follow-live", false, "import the live feed in the background while serving")
	fs.Bool("import-archive", false, "import the archive in the background while serving")
	fs.StringSlice("cors-origins", []string{"*"}, "origins allowed by CORS")
	fs.Duration("query-timeout", 30*time.Second, "bound on one query (503 when exceeded)")
	fs.Int("max-resolution", 2000, "most points per series a query answers")
}

func queryFlags(fs *pflag.FlagSet) {
	fs.String("from", "", "start of the window (RFC 3339 or YYYY-MM-DD)")
	fs.String("to", "", "end of the window (RFC 3339 or YYYY-MM-DD)")
	fs.Int("resolution", 2000, "number of points")
	fs.Int("satellite", 0, "GOES satellite, 0 = combined")
	fs.String("band", "long", "band: short or long")
	fs.Bool("clean", true, "cleaned flux (false: raw as published)")
	fs.String("source", "", "archive or live (default: both, stitched)")
	fs.String("aggregate", "max", "bucket aggregate: max, or minmax for an envelope")
	fs.String("format", "csv", "output format: csv or json")
}

func cleanFlags(fs *pflag.FlagSet) {
	fs.String("source", "", "archive or live")
	fs.String("from", "", "start of the window")
	fs.String("to", "", "end of the window")
	fs.StringSlice("file", nil, "clean these local files instead of stored flux")
	fs.String("output", "", "write the cleaned series here (default stdout)")
	fs.String("plot", "", "write a plot of raw and cleaned flux here")
}

func inspectFlags(fs *pflag.FlagSet) {
	fs.Int("records", 5, "number of records to show")
}

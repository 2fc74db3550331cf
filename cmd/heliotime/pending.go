package main

import (
	"fmt"

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

// The documented flags of the commands whose capability is not built yet.

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

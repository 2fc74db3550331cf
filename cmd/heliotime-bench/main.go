// Command heliotime-bench measures heliotime: "fill" writes a synthetic flux record
// through the real write path (raw rows, rollups and extents), "load" replays the
// original server's benchmark (simulated users panning views against GET /flux), and
// "zoom" measures 2000-point /flux requests at every zoom level.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "heliotime-bench:", err)
		os.Exit(1)
	}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "heliotime-bench",
		Short:         "Fill a benchmark store and load-test heliotime serve",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	log := slog.New(slog.NewTextHandler(stderr, nil))
	root.AddCommand(newFillCmd(stdout, log), newLoadCmd(stdout, log), newZoomCmd(stdout, log))
	return root
}

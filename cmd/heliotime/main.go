// Command heliotime keeps the GOES XRS solar X-ray flux record in PostgreSQL:
// it imports NOAA's archive and SWPC's live feed, cleans and combines the
// satellites, and serves any window of it over HTTP.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cliEnv{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin})
	stop()
	os.Exit(code)
}

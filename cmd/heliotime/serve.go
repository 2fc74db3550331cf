package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/api"
)

// serveOptions are the flags of heliotime serve.
type serveOptions struct {
	Addr          string
	FollowLive    bool
	ImportArchive bool
	CORSOrigins   []string
	QueryTimeout  time.Duration
	MaxResolution int
	ShutdownGrace time.Duration
}

// newServeCmd builds heliotime serve.
func newServeCmd(env *cliEnv) *cobra.Command {
	opts := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the flux record over HTTP",
		Long: `Serve the flux record over HTTP: the original Heliotime server's /flux and /status
(the web frontend works unchanged against it), channel selection and min/max envelopes on
/flux, /coverage, /openapi.json and a self-contained /docs page, /healthz and /readyz.

On SIGTERM or interrupt the server stops accepting connections and finishes the requests
in flight (up to --shutdown-grace).` + exitStatusHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Addr, "addr", ":8000", "HTTP listen address")
	fs.BoolVar(&opts.FollowLive, "follow-live", false, "import the live feed in the background while serving")
	fs.BoolVar(&opts.ImportArchive, "import-archive", false, "import the archive in the background (hourly) while serving")
	fs.StringSliceVar(&opts.CORSOrigins, "cors-origins", []string{"*"}, "origins allowed by CORS (* = any, like the original)")
	fs.DurationVar(&opts.QueryTimeout, "query-timeout", api.DefaultQueryTimeout, "bound on the database work of one request (503 when exceeded)")
	fs.IntVar(&opts.MaxResolution, "max-resolution", api.DefaultMaxResolution, "most points per series a /flux request answers")
	fs.DurationVar(&opts.ShutdownGrace, "shutdown-grace", 30*time.Second, "how long requests in flight may take to finish on shutdown")
	return cmd
}

// runServe opens the store and serves until ctx ends.
func runServe(ctx context.Context, env *cliEnv, opts serveOptions) error {
	if opts.MaxResolution < 1 {
		return usagef("--max-resolution must be at least 1, got %d", opts.MaxResolution)
	}
	if opts.QueryTimeout <= 0 {
		return usagef("--query-timeout must be positive, got %s", opts.QueryTimeout)
	}
	if opts.ShutdownGrace < 0 {
		return usagef("--shutdown-grace must not be negative, got %s", opts.ShutdownGrace)
	}
	if opts.FollowLive || opts.ImportArchive {
		return fmt.Errorf("--follow-live and --import-archive are not available yet in this build of heliotime (the import pipeline is not built in); run heliotime import alongside")
	}
	log := env.Logger()
	db, err := env.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	srv := api.New(db, api.Options{
		MaxResolution: opts.MaxResolution,
		QueryTimeout:  opts.QueryTimeout,
		CORSOrigins:   opts.CORSOrigins,
		Logger:        log,
	})
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "max_resolution", opts.MaxResolution,
		"query_timeout", opts.QueryTimeout, "cors_origins", opts.CORSOrigins)
	return api.Serve(ctx, ln, srv, opts.ShutdownGrace, log)
}

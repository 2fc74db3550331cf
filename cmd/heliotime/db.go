package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/heliotime/heliotime/store/localdb"
)

// newDBCmd manages the managed local PostgreSQL cluster.
func newDBCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db start|stop|status",
		Short: "Start, stop or describe the managed local PostgreSQL cluster",
		Long: `Without --database-url, heliotime keeps its data in a PostgreSQL cluster of its own
in --postgres-dir (default $XDG_DATA_HOME/heliotime/postgres), created with initdb and
run with pg_ctl from the PostgreSQL binaries installed on the machine, listening on a
unix socket in that folder only (no TCP port). Every command that needs the database
starts it; these commands manage it explicitly.

Running as root, the server runs as the postgres system user; root's default folder
is then /var/lib/heliotime/postgres when the postgres user cannot reach the XDG one.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usagef("db: say start, stop or status")
		},
	}
	sub := func(name, short string, op func(*localdb.Cluster, context.Context) (localdb.Status, error)) *cobra.Command {
		return &cobra.Command{
			Use:   name,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := env.cluster()
				if err != nil {
					return err
				}
				st, err := op(c, cmd.Context())
				if err != nil {
					return err
				}
				return env.printStatus(st)
			},
		}
	}
	cmd.AddCommand(
		sub("start", "Start the managed cluster (creating it on first use)", (*localdb.Cluster).Start),
		sub("stop", "Stop the managed cluster", (*localdb.Cluster).Stop),
		sub("status", "Show whether the managed cluster runs, where, and how to connect", (*localdb.Cluster).Status),
	)
	return cmd
}

func (env *cliEnv) printStatus(st localdb.Status) error {
	state := "stopped"
	switch {
	case !st.Initialized:
		state = "not created yet (any command that needs the database, or `heliotime db start`, creates it)"
	case st.Running:
		state = fmt.Sprintf("running (pid %d)", st.PID)
	}
	bin := st.BinDir
	if bin == "" {
		bin = "none found: " + localdb.ErrNoBinaries.Error()
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "managed PostgreSQL:\t%s\n", state)
	fmt.Fprintf(tw, "folder:\t%s\n", st.Dir)
	fmt.Fprintf(tw, "data:\t%s\n", st.DataDir)
	fmt.Fprintf(tw, "socket:\t%s\n", st.Socket)
	fmt.Fprintf(tw, "version:\t%s\n", st.Version)
	fmt.Fprintf(tw, "binaries:\t%s\n", bin)
	fmt.Fprintf(tw, "database URL:\t%s\n", st.URL)
	fmt.Fprintf(tw, "psql:\tpsql '%s'\n", st.URL)
	if u := env.String("database-url"); u != "" {
		fmt.Fprintf(tw, "note:\tnot in use: --database-url (%s) is set\n", env.source("database-url"))
	}
	return tw.Flush()
}

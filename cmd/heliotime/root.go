// Configuration, for every command file of this package:
//
// Every flag is also a configuration key of the same name: `--batch-days` is the key
// `batch-days`, read from the HELIOTIME_BATCH_DAYS environment variable and from the
// `batch-days:` entry of the config file. Precedence: flag > environment > config file
// > the flag's default. The root command applies this before any command runs (see
// cliEnv.applyConfig): a flag not given on the command line takes its value from the
// environment or the file, so a command simply reads its own flag variables (its
// options struct) and gets the effective value. Nothing to call per command.
//
// For keys that are not flags of the running command, use the typed getters
// env.String, env.Int, env.Duration, env.Strings (they read through the same viper
// instance). env.Logger() returns the configured slog logger (log-format, log-level),
// env.OpenStore(ctx) the database (the configured URL, or the managed local cluster,
// migrated up and TimescaleDB set up), env.DatabaseURL(ctx) only the URL.
//
// Keys shared between commands keep one name (see settingKeys): database-url,
// data-dir, postgres-dir, timescale, log-format, log-level, statement-timeout,
// archive-url, live-url, cache-dir, batch-days, workers, addr, max-resolution,
// query-timeout, cors-origins. A command that has such a setting defines a flag of
// exactly that name. Commands must not set PersistentPreRun(E): the root's does the
// configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// Exit codes, documented in every command's help and in the README.
const (
	exitOK      = 0 // everything done
	exitFailure = 1 // the command failed
	exitUsage   = 2 // bad flags, arguments or configuration
	exitPartial = 3 // some of the work failed (import: some days), the rest is done
)

// exitStatusHelp is appended to every command's help.
const exitStatusHelp = `
EXIT STATUS
  0  done
  1  the command failed (e.g. the database is unreachable)
  2  bad flags, arguments or configuration
  3  part of the work failed (import: some days), the rest is done
`

// cliEnv carries what every command needs from its surroundings, so tests can run
// commands in-process with their own streams.
type cliEnv struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader

	// cfg holds the configuration (file + environment + the running command's flags),
	// loaded by the root command before any command runs.
	cfg *viper.Viper
	// configFile is the config file that was read ("" when none).
	configFile string
	// sources records where each flag's effective value came from.
	sources map[string]string
	// logger is built on first use from log-format and log-level.
	logger *slog.Logger
}

// usageError marks errors caused by the invocation itself (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit 2) with a formatted message.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// partialError marks a command that did part of its work (exit 3).
type partialError struct{ err error }

func (e partialError) Error() string { return e.err.Error() }
func (e partialError) Unwrap() error { return e.err }

// newRootCmd builds the command tree.
func newRootCmd(env *cliEnv) *cobra.Command {
	root := &cobra.Command{
		Use:   "heliotime",
		Short: "Keep and serve the GOES XRS solar X-ray flux record",
		Long: `heliotime keeps the complete GOES XRS solar X-ray flux record in PostgreSQL:
it imports NOAA's archive and SWPC's live feed, cleans and combines the satellites,
and serves any window of it over HTTP.

Without --database-url it runs its own PostgreSQL cluster (see "heliotime db").
Every flag can also be set as HELIOTIME_<FLAG> in the environment or as <flag>: in
the config file (--config, ./heliotime.yaml, $XDG_CONFIG_HOME/heliotime/config.yaml);
"heliotime config" shows the effective values.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return env.applyConfig(cmd)
		},
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	addGlobalFlags(root.PersistentFlags())

	root.AddCommand(
		newMigrateCmd(env),
		newDBCmd(env),
		newConfigCmd(env),
		newVersionCmd(env),
		newImportCmd(env),
		newServeCmd(env),
		newQueryCmd(env),
		newCleanCmd(env),
		newInspectCmd(env),
	)
	// Subcommands inherit the root's help template, exit codes included, unless their
	// own text already has them.
	base := root.HelpTemplate()
	root.SetHelpTemplate(base + exitStatusHelp)
	for _, c := range allCommands(root) {
		c.SilenceUsage, c.SilenceErrors = true, true
		if c != root && strings.Contains(c.Long, "EXIT STATUS") {
			c.SetHelpTemplate(base)
		}
	}
	return root
}

// allCommands returns c and every command below it.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, s := range c.Commands() {
		out = append(out, allCommands(s)...)
	}
	return out
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, env *cliEnv) int {
	root := newRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		err = usageError{err}
	}
	fmt.Fprintln(env.Stderr, "heliotime:", err)
	var ue usageError
	var pe partialError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &pe):
		return exitPartial
	}
	return exitFailure
}

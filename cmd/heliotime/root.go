package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, documented in every command's help and in the README.
const (
	exitOK      = 0 // everything done
	exitFailure = 1 // the command failed
	exitUsage   = 2 // bad flags, arguments or configuration
	exitPartial = 3 // some of the work failed (import: some days), the rest is done
)

// cliEnv carries what every command needs from its surroundings, so tests can run
// commands in-process with their own streams.
type cliEnv struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
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
		Use:           "heliotime",
		Short:         "Keep and serve the GOES XRS solar X-ray flux record",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, env *cliEnv) int {
	root := newRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
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

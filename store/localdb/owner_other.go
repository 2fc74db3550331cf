//go:build !unix

package localdb

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
)

const exeSuffix = ".exe"

// RootFallbackDir is not used on this system.
const RootFallbackDir = ""

var errUnsupported = errors.New("the managed PostgreSQL cluster is available on Linux and macOS only: " +
	"set --database-url (HELIOTIME_DATABASE_URL) to a PostgreSQL server")

type osUser struct{}

func serverOwner() (osUser, error) { return osUser{}, errUnsupported }

func (o osUser) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

func (o osUser) chown(string) error { return nil }

func prepareDir(string, osUser) error { return errUnsupported }

// DefaultDir returns the cluster folder for the data folder dataDir.
func DefaultDir(dataDir string) string { return filepath.Join(dataDir, "postgres") }

func lockFile(context.Context, string) (func(), error) { return nil, errUnsupported }

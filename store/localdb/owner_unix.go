//go:build unix

package localdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const exeSuffix = ""

// RootFallbackDir is where root's cluster goes when the default folder is out of the
// postgres system user's reach (root's home is usually mode 0700).
const RootFallbackDir = "/var/lib/heliotime/postgres"

// osUser is the account the server runs as: the invoking user, or the postgres system
// user when heliotime runs as root (PostgreSQL refuses to run as root).
type osUser struct {
	switchTo bool
	uid, gid uint32
	name     string
}

func serverOwner() (osUser, error) {
	if os.Geteuid() != 0 {
		return osUser{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return osUser{}, errors.New("heliotime runs as root, PostgreSQL refuses to run as root, and there is no `postgres` system user to run it as: " +
			"run heliotime as an ordinary user, create the user (`useradd --system --home-dir /var/lib/postgresql postgres`), " +
			"or set --database-url (HELIOTIME_DATABASE_URL) to an existing server")
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return osUser{}, fmt.Errorf("postgres system user: %w", err)
	}
	return osUser{switchTo: true, uid: uint32(uid), gid: uint32(gid), name: u.Username}, nil
}

// command prepares a program run as the server's owner.
func (o osUser) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/" // the invoking user's working folder may be out of the owner's reach
	cmd.WaitDelay = 5 * time.Second
	if o.switchTo {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: o.uid, Gid: o.gid}}
	}
	return cmd
}

func (o osUser) chown(path string) error {
	if !o.switchTo {
		return nil
	}
	if err := os.Lchown(path, int(o.uid), int(o.gid)); err != nil {
		return fmt.Errorf("give %s to the %s user: %w", path, o.name, err)
	}
	return nil
}

// prepareDir creates the cluster folder (mode 0700, owned by the server's owner) and
// checks that the owner can reach it.
func prepareDir(dir string, owner osUser) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := owner.chown(dir); err != nil {
		return err
	}
	return owner.reachable(dir)
}

// reachable checks that every folder above dir lets the owner pass through.
func (o osUser) reachable(dir string) error {
	if !o.switchTo {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		// Missing folders are created mode 0755 by prepareDir.
		if st, ok := sysStat(fi); ok {
			var bit fs.FileMode = 0o001
			switch {
			case st.Uid == o.uid:
				bit = 0o100
			case st.Gid == o.gid:
				bit = 0o010
			}
			if fi.Mode().Perm()&bit == 0 {
				return fmt.Errorf("the PostgreSQL server runs as the %s system user (heliotime runs as root), which cannot enter %s (mode %04o), so it cannot reach %s: "+
					"set --postgres-dir (HELIOTIME_POSTGRES_DIR) to a folder outside it, e.g. %s",
					o.name, p, fi.Mode().Perm(), dir, RootFallbackDir)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// DefaultDir returns the cluster folder for the data folder dataDir: dataDir/postgres,
// except when heliotime runs as root and the postgres system user cannot reach it
// (root's home is usually 0700): then RootFallbackDir.
func DefaultDir(dataDir string) string {
	dir := filepath.Join(dataDir, "postgres")
	owner, err := serverOwner()
	if err != nil || !owner.switchTo {
		return dir
	}
	if owner.reachable(dir) != nil {
		return RootFallbackDir
	}
	return dir
}

// lockFile takes an exclusive lock on path, waiting until ctx ends, and returns the
// function that releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for lock %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func sysStat(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

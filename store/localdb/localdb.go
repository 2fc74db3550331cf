// Package localdb runs heliotime's managed PostgreSQL cluster: the embedded default used
// when no database URL is configured. The cluster lives in one folder, is created with
// initdb and run with pg_ctl from the PostgreSQL binaries found on the machine, and
// listens on a unix socket inside that folder only (no TCP port).
//
// Layout of the folder:
//
//	<dir>/data/            the cluster (PGDATA)
//	<dir>/.s.PGSQL.5432    the server's socket while it runs
//	<dir>/postgres.log     the server log
//	<dir>/.lock            serialises initdb/start/stop between heliotime processes
package localdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Superuser is the role initdb creates and heliotime connects as.
const Superuser = "heliotime"

// Database is the database heliotime keeps its data in, created on first start.
const Database = "heliotime"

// socketName is the socket file the server creates in the folder (port 5432).
const socketName = ".s.PGSQL.5432"

// maxSocketPath is the longest unix socket path the kernel accepts (sun_path minus NUL).
const maxSocketPath = 107

// ErrNoBinaries reports that no PostgreSQL server binaries were found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found in PATH, `pg_config --bindir` or /usr/lib/postgresql/*/bin: " +
	"install them (Debian/Ubuntu: `apt-get install postgresql`, e.g. postgresql-15; macOS: `brew install postgresql@16`) " +
	"or set --database-url (HELIOTIME_DATABASE_URL) to an existing server")

// Cluster is a managed PostgreSQL cluster in one folder.
type Cluster struct {
	// Dir is the cluster folder.
	Dir string
	// Logger receives progress messages (initdb, start, stop); nil discards them.
	Logger *slog.Logger
}

// Status describes the cluster as found on disk and in the process table.
type Status struct {
	Dir         string // the cluster folder
	DataDir     string // PGDATA
	Socket      string // the unix socket path
	Initialized bool   // initdb has run
	Running     bool   // a server is running on the data directory
	PID         int    // the postmaster's process id when running
	Version     string // the server version (from the running server, else the binaries)
	BinDir      string // where the binaries were found ("" when none)
	URL         string // the database URL to connect with (also usable with psql)
}

// New returns the cluster kept in dir.
func New(dir string, logger *slog.Logger) *Cluster {
	return &Cluster{Dir: dir, Logger: logger}
}

// DataDir returns the cluster's PGDATA folder.
func (c *Cluster) DataDir() string { return filepath.Join(c.Dir, "data") }

// SocketPath returns the path of the server's unix socket.
func (c *Cluster) SocketPath() string { return filepath.Join(c.Dir, socketName) }

// URL returns the connection URL of database name on the cluster's socket.
func (c *Cluster) URL(name string) string {
	// Slashes may stay unescaped in a query; the URL is then readable and psql takes it.
	host := strings.ReplaceAll(url.QueryEscape(c.Dir), "%2F", "/")
	return "postgres:///" + url.PathEscape(name) + "?host=" + host + "&user=" + Superuser
}

func (c *Cluster) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// check validates the folder path before anything is created.
func (c *Cluster) check() error {
	if c.Dir == "" {
		return errors.New("managed PostgreSQL: no cluster folder configured")
	}
	if !filepath.IsAbs(c.Dir) {
		return fmt.Errorf("managed PostgreSQL: cluster folder %q is not an absolute path", c.Dir)
	}
	if n := len(c.SocketPath()); n > maxSocketPath {
		return fmt.Errorf("managed PostgreSQL: the socket path %s is %d bytes, longer than the %d unix sockets allow: "+
			"set --postgres-dir (HELIOTIME_POSTGRES_DIR) to a shorter folder", c.SocketPath(), n, maxSocketPath)
	}
	return nil
}

// Start creates the cluster if needed, starts the server if it is not running, creates
// the heliotime database on first start, and returns the status. Concurrent callers,
// in this or other processes, are serialised by a lock file: only one runs initdb.
func (c *Cluster) Start(ctx context.Context) (Status, error) {
	if err := c.check(); err != nil {
		return Status{}, err
	}
	bin, err := FindBinaries(ctx)
	if err != nil {
		return Status{}, err
	}
	owner, err := serverOwner()
	if err != nil {
		return Status{}, err
	}
	if err := prepareDir(c.Dir, owner); err != nil {
		return Status{}, err
	}
	unlock, err := lockFile(ctx, filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return Status{}, err
	}
	defer unlock()

	if !c.initialized() {
		if err := c.initdb(ctx, bin, owner); err != nil {
			return Status{}, err
		}
	} else if err := c.checkVersion(bin); err != nil {
		return Status{}, err
	}
	running, _, err := c.running(ctx, bin, owner)
	if err != nil {
		return Status{}, err
	}
	if !running {
		if err := c.start(ctx, bin, owner); err != nil {
			return Status{}, err
		}
	}
	if err := c.createDatabase(ctx, Database); err != nil {
		return Status{}, err
	}
	return c.status(ctx, bin, owner)
}

// Stop stops the server if it runs (fast shutdown: open sessions are ended).
func (c *Cluster) Stop(ctx context.Context) (Status, error) {
	if err := c.check(); err != nil {
		return Status{}, err
	}
	bin, err := FindBinaries(ctx)
	if err != nil {
		return Status{}, err
	}
	owner, err := serverOwner()
	if err != nil {
		return Status{}, err
	}
	if !c.initialized() {
		return c.status(ctx, bin, owner)
	}
	unlock, err := lockFile(ctx, filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return Status{}, err
	}
	defer unlock()
	running, _, err := c.running(ctx, bin, owner)
	if err != nil {
		return Status{}, err
	}
	if running {
		c.logger().Info("stopping managed PostgreSQL", "dir", c.Dir)
		if out, err := owner.command(ctx, bin.path("pg_ctl"), "stop", "-D", c.DataDir(), "-m", "fast", "-w", "-t", "60").CombinedOutput(); err != nil {
			return Status{}, fmt.Errorf("stop managed PostgreSQL in %s: %w: %s", c.Dir, err, strings.TrimSpace(string(out)))
		}
	}
	return c.status(ctx, bin, owner)
}

// Status reports the cluster's state without changing it.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	if err := c.check(); err != nil {
		return Status{}, err
	}
	bin, err := FindBinaries(ctx)
	if err != nil && !errors.Is(err, ErrNoBinaries) {
		return Status{}, err
	}
	owner, err := serverOwner()
	if err != nil {
		return Status{}, err
	}
	return c.status(ctx, bin, owner)
}

func (c *Cluster) status(ctx context.Context, bin Binaries, owner osUser) (Status, error) {
	st := Status{
		Dir:         c.Dir,
		DataDir:     c.DataDir(),
		Socket:      c.SocketPath(),
		Initialized: c.initialized(),
		BinDir:      bin.Dir,
		URL:         c.URL(Database),
		Version:     bin.Version,
	}
	if st.Initialized && bin.Dir != "" {
		running, pid, err := c.running(ctx, bin, owner)
		if err != nil {
			return st, err
		}
		st.Running, st.PID = running, pid
	}
	if st.Running {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(cctx, c.URL("postgres")); err == nil {
			var v string
			if conn.QueryRow(cctx, "SHOW server_version").Scan(&v) == nil {
				st.Version = v
			}
			conn.Close(cctx)
		}
	}
	return st, nil
}

func (c *Cluster) initialized() bool {
	_, err := os.Stat(filepath.Join(c.DataDir(), "PG_VERSION"))
	return err == nil
}

// checkVersion refuses binaries of another major version than the cluster's.
func (c *Cluster) checkVersion(bin Binaries) error {
	b, err := os.ReadFile(filepath.Join(c.DataDir(), "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Join(c.DataDir(), "PG_VERSION"), err)
	}
	have := strings.TrimSpace(string(b))
	if bin.Major != "" && have != bin.Major {
		return fmt.Errorf("managed PostgreSQL in %s was created by PostgreSQL %s but the binaries found (%s) are version %s: "+
			"install PostgreSQL %s, or move the folder away (after a pg_dump) to start a new cluster",
			c.Dir, have, bin.Dir, bin.Major, have)
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context, bin Binaries, owner osUser) error {
	data := c.DataDir()
	c.logger().Info("creating managed PostgreSQL cluster", "dir", data, "bin", bin.Dir)
	// A half-created data folder from an interrupted initdb would make initdb refuse.
	if err := os.RemoveAll(data); err != nil {
		return fmt.Errorf("remove incomplete cluster %s: %w", data, err)
	}
	cmd := owner.command(ctx, bin.path("initdb"), "-D", data, "-U", Superuser,
		"--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w: %s", data, err, lastLines(out, 5))
	}
	// Settings live in an included file rewritten before every start, so they follow the
	// folder if it moves; the main postgresql.conf stays as initdb wrote it.
	conf := filepath.Join(data, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	_, werr := f.WriteString("\n# Written by heliotime: socket-only settings, rewritten on every start.\ninclude_if_exists = 'heliotime.conf'\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", conf, err)
	}
	return nil
}

func (c *Cluster) writeSettings(owner osUser) error {
	path := filepath.Join(c.DataDir(), "heliotime.conf")
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	body := "# Managed by heliotime; rewritten on every start.\n" +
		"listen_addresses = ''\n" +
		"unix_socket_directories = " + quote(c.Dir) + "\n" +
		"unix_socket_permissions = 0700\n" +
		"port = 5432\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return owner.chown(path)
}

// running asks pg_ctl whether a server runs on the data directory.
func (c *Cluster) running(ctx context.Context, bin Binaries, owner osUser) (bool, int, error) {
	out, err := owner.command(ctx, bin.path("pg_ctl"), "status", "-D", c.DataDir()).CombinedOutput()
	if err == nil {
		return true, readPID(filepath.Join(c.DataDir(), "postmaster.pid")), nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 { // "no server running"
		return false, 0, nil
	}
	return false, 0, fmt.Errorf("pg_ctl status -D %s: %w: %s", c.DataDir(), err, strings.TrimSpace(string(out)))
}

func (c *Cluster) start(ctx context.Context, bin Binaries, owner osUser) error {
	if err := c.writeSettings(owner); err != nil {
		return err
	}
	logPath := filepath.Join(c.Dir, "postgres.log")
	c.logger().Info("starting managed PostgreSQL", "dir", c.Dir)
	cmd := owner.command(ctx, bin.path("pg_ctl"), "start", "-D", c.DataDir(), "-l", logPath, "-w", "-t", "60")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("start managed PostgreSQL in %s: %w: %s\n%s", c.Dir, err, strings.TrimSpace(string(out)), lastLines(log, 10))
	}
	return nil
}

func (c *Cluster) createDatabase(ctx context.Context, name string) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to managed PostgreSQL at %s: %w", c.SocketPath(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(cctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42P04" { // created meanwhile
			return nil
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// CreateDatabase creates database name on the running cluster unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	return c.createDatabase(ctx, name)
}

func readPID(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	if !s.Scan() {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(s.Text()))
	return pid
}

// lastLines returns the last n non-empty lines of out, for error messages.
func lastLines(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/localdb"
	"github.com/heliotime/heliotime/store/storetest"
)

func TestMigrateCommand(t *testing.T) {
	isolateConfig(t)
	url := storetest.NewURL(t)
	t.Setenv("HELIOTIME_DATABASE_URL", url)
	m, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	n := int(m.Latest())
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("latest migration %d, want at least 2", n)
	}
	latest, below := strconv.Itoa(n), strconv.Itoa(n-1)
	steps := []struct {
		args     []string
		code     int
		want     string
		wantRows bool // the schema exists afterwards
	}{
		{[]string{"migrate", "version"}, exitOK, "schema version 0 (latest " + latest + "), behind", false},
		{[]string{"migrate"}, exitOK, "schema migrated from version 0 to " + latest, true},
		{[]string{"migrate", "up"}, exitOK, "schema at version " + latest + ", the latest; nothing to do", true},
		{[]string{"migrate", "version"}, exitOK, "schema version " + latest + " (latest " + latest + "), up to date", true},
		{[]string{"migrate", "down", "1"}, exitOK, "migrated down from version " + latest + " to " + below, true},
		{[]string{"migrate", "down", below}, exitOK, "migrated down from version " + below + " to 0", false},
		{[]string{"migrate", "up"}, exitOK, "schema migrated from version 0 to " + latest, true},
		{[]string{"migrate", "force", "7"}, exitUsage, "between 0 and " + latest, true},
	}
	for _, s := range steps {
		r := runHeliotime(t, s.args...)
		out := r.stdout + r.stderr
		if r.code != s.code || !strings.Contains(out, s.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d and %q", s.args, r.code, out, s.code, s.want)
		}
		if got := hasSchema(t, url); got != s.wantRows {
			t.Errorf("%v: schema present = %v, want %v", s.args, got, s.wantRows)
		}
	}

	// A migration that failed halfway: every command refuses, naming the way out.
	execSQL(t, url, "UPDATE schema_migrations SET dirty = true")
	for _, args := range [][]string{{"migrate"}, {"migrate", "down", "1"}} {
		r := runHeliotime(t, args...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "dirty") || !strings.Contains(r.stderr, "heliotime migrate force "+latest) {
			t.Errorf("%v on a dirty database: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := runHeliotime(t, "migrate", "version"); !strings.Contains(r.stdout, "DIRTY") {
		t.Errorf("migrate version on a dirty database: %q", r.stdout)
	}
	if r := runHeliotime(t, "migrate", "force", latest); r.code != exitOK {
		t.Errorf("migrate force: exit %d, %s", r.code, r.stderr)
	}
	if r := runHeliotime(t, "migrate"); r.code != exitOK || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("migrate after force: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

func hasSchema(t *testing.T, url string) bool {
	t.Helper()
	var ok bool
	queryRow(t, url, "SELECT to_regclass('public.flux_archive') IS NOT NULL", &ok)
	return ok
}

func queryRow(t *testing.T, url, sql string, dst ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, sql).Scan(dst...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestOpenStoreMigratesExplicitURL(t *testing.T) {
	isolateConfig(t)
	url := storetest.NewURL(t)
	env := &cliEnv{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}}
	root := newRootCmd(env)
	if err := root.ParseFlags([]string{"--database-url", url}); err != nil {
		t.Fatal(err)
	}
	if err := env.applyConfig(root); err != nil {
		t.Fatal(err)
	}
	db, err := env.OpenStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !hasSchema(t, url) {
		t.Error("OpenStore did not migrate the database")
	}
	var ts bool
	queryRow(t, url, "SELECT timescale FROM heliotime_settings", &ts)
	if ts {
		t.Error("timescale recorded true on plain PostgreSQL")
	}
}

func TestUnreachableDatabase(t *testing.T) {
	isolateConfig(t)
	// Nothing listens on port 1 of the loopback: refused at once.
	r := runHeliotime(t, "migrate", "--database-url", "postgres://heliotime:pw123@127.0.0.1:1/heliotime")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, exitFailure, r.stderr)
	}
	for _, want := range []string{"127.0.0.1", "port 1", "running", "--database-url"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("stderr is not one line: %q", r.stderr)
	}
	if strings.Contains(r.stderr, "pw123") {
		t.Errorf("stderr shows the password: %q", r.stderr)
	}
}

// managedDir returns a cluster folder of the test's own that the postgres system user
// can reach when the test runs as root, stopped and removed when the test ends.
func managedDir(t *testing.T) string {
	t.Helper()
	if _, err := localdb.FindBinaries(context.Background()); err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	parent, err := os.MkdirTemp("", "htcli")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "pg")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := localdb.New(dir, nil).Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", dir, err)
		}
		os.RemoveAll(parent)
	})
	return dir
}

func TestManagedDatabaseCommands(t *testing.T) {
	isolateConfig(t)
	dir := managedDir(t)
	t.Setenv("HELIOTIME_POSTGRES_DIR", dir)
	pidRe := regexp.MustCompile(`running \(pid (\d+)\)`)

	r := runHeliotime(t, "db", "status")
	if r.code != exitOK || !strings.Contains(r.stdout, "not created yet") {
		t.Fatalf("status before anything: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// The main job on the embedded default: migrate starts the cluster on demand.
	r = runHeliotime(t, "migrate")
	if r.code != exitOK || !strings.Contains(r.stdout, "schema migrated from version 0") {
		t.Fatalf("migrate on the managed cluster: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runHeliotime(t, "db", "status")
	m := pidRe.FindStringSubmatch(r.stdout)
	if r.code != exitOK || m == nil {
		t.Fatalf("status after migrate: exit %d, %q", r.code, r.stdout)
	}
	url := localdb.New(dir, nil).URL(localdb.Database)
	for _, want := range []string{"folder: " + dir, "socket: " + filepath.Join(dir, ".s.PGSQL.5432"), "database URL: " + url, "psql '" + url + "'", "version: 1"} {
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if !hasSchema(t, url) {
		t.Error("migrate on the managed cluster left no schema in the heliotime database")
	}

	r = runHeliotime(t, "db", "stop")
	if r.code != exitOK || !strings.Contains(r.stdout, "stopped") {
		t.Fatalf("db stop: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// Started again by the next command that needs it, data kept.
	r = runHeliotime(t, "migrate")
	if r.code != exitOK || !strings.Contains(r.stdout, "nothing to do") {
		t.Fatalf("migrate after stop: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runHeliotime(t, "db", "start")
	if r.code != exitOK || pidRe.FindStringSubmatch(r.stdout) == nil {
		t.Fatalf("db start on a running cluster: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// An explicit URL wins over the managed cluster, and db status says so.
	t.Setenv("HELIOTIME_DATABASE_URL", "postgres://u:pw@db.example.org/x")
	r = runHeliotime(t, "db", "status")
	if !strings.Contains(r.stdout, "not in use") || strings.Contains(r.stdout, ":pw@") {
		t.Errorf("status with a database URL set: %q", r.stdout)
	}

}

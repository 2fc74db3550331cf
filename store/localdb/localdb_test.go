package localdb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliotime/heliotime/store/localdb"
)

// clusterDir returns a fresh folder for a cluster of the test's own, reachable by the
// postgres system user when the test runs as root (t.TempDir is mode 0700), and stops
// the cluster and removes the folder when the test ends.
func clusterDir(t *testing.T) string {
	t.Helper()
	if _, err := localdb.FindBinaries(context.Background()); errors.Is(err, localdb.ErrNoBinaries) {
		t.Skipf("no PostgreSQL server binaries installed: %v", err)
	}
	parent, err := os.MkdirTemp("", "htdb")
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
			t.Errorf("stop the cluster: %v", err)
		}
		os.RemoveAll(parent)
	})
	return dir
}

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c := localdb.New(dir, nil)

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Initialized || st.Running {
		t.Fatalf("status of an empty folder: %+v", st)
	}

	// Two starts at once, as two heliotime processes would: one initdb, both succeed.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = localdb.New(dir, nil).Start(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent start: %v", err)
	}

	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Initialized || !st.Running || st.PID <= 0 {
		t.Fatalf("status after start: %+v", st)
	}
	if st.Socket != filepath.Join(dir, ".s.PGSQL.5432") {
		t.Errorf("socket = %s, want inside %s", st.Socket, dir)
	}
	if fi, err := os.Stat(st.Socket); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("no socket at %s: %v", st.Socket, err)
	}
	if os.Geteuid() == 0 {
		fi, err := os.Stat(st.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		if uid := fileUID(fi); uid == 0 {
			t.Errorf("running as root, the data folder is owned by root, want the postgres user")
		}
	}

	conn, err := pgx.Connect(ctx, st.URL)
	if err != nil {
		t.Fatalf("connect to %s: %v", st.URL, err)
	}
	defer conn.Close(ctx)
	checks := []struct{ sql, want string }{
		{"SHOW listen_addresses", ""}, // no TCP
		{"SHOW unix_socket_directories", dir},
		{"SELECT current_database()", localdb.Database},
		{"SELECT current_user", localdb.Superuser},
	}
	for _, ch := range checks {
		var got string
		if err := conn.QueryRow(ctx, ch.sql).Scan(&got); err != nil {
			t.Fatalf("%s: %v", ch.sql, err)
		}
		if got != ch.want {
			t.Errorf("%s = %q, want %q", ch.sql, got, ch.want)
		}
	}
	if !strings.HasPrefix(st.Version, strings.SplitN(st.Version, ".", 2)[0]) || st.Version == "" {
		t.Errorf("version = %q", st.Version)
	}

	// A second start finds it running and changes nothing.
	st2, err := c.Start(ctx)
	if err != nil || st2.PID != st.PID {
		t.Errorf("second start: pid %d (was %d), %v", st2.PID, st.PID, err)
	}

	st, err = c.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running {
		t.Errorf("status after stop: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err == nil {
		t.Errorf("socket still there after stop")
	}
	// Started again on demand, keeping its data.
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Errorf("the connection survived a stop")
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

func TestClusterChecksPath(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, dir, want string
	}{
		{"relative", "relative/pg", "not an absolute path"},
		{"socket path too long", "/tmp/" + strings.Repeat("d", 100), "longer than"},
	}
	for _, tt := range tests {
		_, err := localdb.New(tt.dir, nil).Start(ctx)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Start(%s) = %v, want an error saying %q", tt.name, tt.dir, err, tt.want)
		}
	}
}

func TestRootUnreachableFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	clusterDir(t)         // skips without binaries
	parent := t.TempDir() // mode 0700, owned by root
	_, err := localdb.New(filepath.Join(parent, "pg"), nil).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot enter") || !strings.Contains(err.Error(), "(mode 0700)") || !strings.Contains(err.Error(), "--postgres-dir") {
		t.Errorf("Start below a 0700 root folder: %v, want an error naming the 0700 folder and --postgres-dir", err)
	}
	if got := localdb.DefaultDir(parent); got != localdb.RootFallbackDir {
		t.Errorf("DefaultDir(%s) = %s, want %s", parent, got, localdb.RootFallbackDir)
	}
	open := filepath.Join(os.TempDir(), "heliotime-reachable")
	if got := localdb.DefaultDir(open); got != filepath.Join(open, "postgres") {
		t.Errorf("DefaultDir(%s) = %s, want %s/postgres", open, got, open)
	}
}

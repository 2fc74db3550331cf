package main

import (
	"context"
	"strings"
	"testing"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store/storetest"
)

func TestCleanUsage(t *testing.T) {
	isolateConfig(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--file"},
		{[]string{"--file", "x.csv", "--source", "archive"}, "--source"},
		{[]string{"--source", "sun", "--from", "2024-05-10", "--to", "2024-05-11"}, "--source"},
		{[]string{"--source", "archive", "--from", "2024-05-10"}, "--to"},
		{[]string{"--source", "archive", "--from", "2024-05-12", "--to", "2024-05-10"}, "--from"},
		{[]string{"--source", "archive", "--from", "May 10", "--to", "2024-05-11"}, "--from"},
		{[]string{"--source", "archive", "--from", "2024-05-10", "--to", "2024-05-11", "--batch-days", "0"}, "--batch-days"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runHeliotime(t, append([]string{"clean"}, tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %s", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestCleanStore re-cleans imported flux: clean and combined rows that an older algorithm
// would have written differently are put back to what the import stored, rollups
// included, and the import lock is respected.
func TestCleanStore(t *testing.T) {
	isolateConfig(t)
	db := storetest.New(t)
	ctx := context.Background()
	mirror := t.TempDir()
	copyTree(t, "../../testdata/mirror", mirror)
	r := runHeliotime(t, "import", "--database-url", db.URL(), "--mirror", mirror,
		"--from", "2024-05-10", "--to", "2024-05-13", "--progress", "log")
	if r.code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	imported, err := db.Checksum(ctx, flux.SourceArchive)
	if err != nil {
		t.Fatal(err)
	}

	// Change the clean and combined rows of one day, as an older algorithm would have
	// stored them, with rollups to match.
	if _, err := db.Pool().Exec(ctx, `UPDATE flux_archive SET flux = flux * 2
		WHERE (is_clean OR satellite = 0) AND time >= '2024-05-11' AND time < '2024-05-12'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE flux_archive_10s SET flux_max = flux_max * 2
		WHERE (is_clean OR satellite = 0) AND time >= '2024-05-11' AND time < '2024-05-12'`); err != nil {
		t.Fatal(err)
	}
	if sum, _ := db.Checksum(ctx, flux.SourceArchive); sum == imported {
		t.Fatal("checksum did not see the deleted rows")
	}

	args := []string{"clean", "--database-url", db.URL(), "--source", "archive",
		"--from", "2024-05-10", "--to", "2024-05-13", "--batch-days", "1", "--progress", "log"}
	r = runHeliotime(t, args...)
	if r.code != exitOK || !strings.Contains(r.stdout, "archive clean: 3 days written") {
		t.Fatalf("clean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, err := db.Checksum(ctx, flux.SourceArchive); err != nil || got != imported {
		t.Errorf("after clean --source: checksum %s (err %v), want the imported state %s", got, err, imported)
	}
	// Idempotent: a second run changes nothing.
	if r = runHeliotime(t, args...); r.code != exitOK {
		t.Fatalf("second clean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := db.Checksum(ctx, flux.SourceArchive); got != imported {
		t.Errorf("second clean changed the stored data")
	}

	// A running import of the source: exit 1 saying so.
	lock, err := db.LockSource(ctx, flux.SourceArchive, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	r = runHeliotime(t, args...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "import of archive is running") {
		t.Errorf("locked: exit %d, stderr %q", r.code, r.stderr)
	}
}

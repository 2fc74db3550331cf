package localdb

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Binaries is a folder holding the PostgreSQL server programs.
type Binaries struct {
	Dir     string // the folder holding initdb, pg_ctl and postgres
	Version string // e.g. "15.8", from pg_ctl --version
	Major   string // e.g. "15", as PG_VERSION records it
}

func (b Binaries) path(name string) string { return filepath.Join(b.Dir, name+exeSuffix) }

// FindBinaries looks for initdb, pg_ctl and postgres in PATH, then in
// `pg_config --bindir`, then in /usr/lib/postgresql/<version>/bin (highest version
// first). It returns ErrNoBinaries when none has all three.
func FindBinaries(ctx context.Context) (Binaries, error) {
	var candidates []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, debianBinDirs()...)
	for _, dir := range candidates {
		if !hasServer(dir) {
			continue
		}
		b := Binaries{Dir: dir}
		out, err := exec.CommandContext(ctx, b.path("pg_ctl"), "--version").Output()
		if err != nil {
			return Binaries{}, fmt.Errorf("run %s --version: %w", b.path("pg_ctl"), err)
		}
		b.Version, b.Major = parseVersion(string(out))
		return b, nil
	}
	return Binaries{}, ErrNoBinaries
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name+exeSuffix))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// debianBinDirs lists /usr/lib/postgresql/*/bin, highest major version first.
func debianBinDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	return dirs
}

// parseVersion reads "pg_ctl (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)" into "15.8" and
// its major version as PG_VERSION writes it ("15"; "9.6" before PostgreSQL 10).
func parseVersion(out string) (version, major string) {
	fields := strings.Fields(out)
	for i, f := range fields {
		if f == "(PostgreSQL)" && i+1 < len(fields) {
			version = fields[i+1]
			break
		}
	}
	parts := strings.Split(version, ".")
	switch {
	case len(parts) == 0 || parts[0] == "":
		return version, ""
	case parts[0] == "9" && len(parts) > 1:
		return version, parts[0] + "." + parts[1]
	}
	// Development builds print "17devel" or "16beta1".
	m := strings.TrimRightFunc(parts[0], func(r rune) bool { return r < '0' || r > '9' })
	if i := strings.IndexFunc(m, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		m = m[:i]
	}
	return version, m
}

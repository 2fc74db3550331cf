package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configLine returns the value and source `heliotime config` shows for key.
func configLine(t *testing.T, out, key string) (value, source string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == key {
			return f[1], strings.Join(f[2:], " ")
		}
	}
	t.Fatalf("config output has no %s line:\n%s", key, out)
	return "", ""
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigPrecedence(t *testing.T) {
	home := isolateConfig(t)
	xdgFile := filepath.Join(home, "config", "heliotime", "config.yaml")
	writeFile(t, xdgFile, "log-level: warn\nstatement-timeout: 90s\nbatch-days: 7\ndatabase-url: postgres://me:topsecret@db.example.org/heliotime\n")
	explicit := filepath.Join(home, "other.yaml")
	writeFile(t, explicit, "log-level: debug\n")

	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		key        string
		wantValue  string
		wantSource string
	}{
		{"default", nil, nil, "timescale", "auto", "default"},
		{"default of another command's flag", nil, nil, "max-resolution", "2000", "default"},
		{"file beats default", nil, nil, "log-level", "warn", "file " + xdgFile},
		{"file value of another command's key", nil, nil, "batch-days", "7", "file " + xdgFile},
		{"env beats file", map[string]string{"HELIOTIME_LOG_LEVEL": "error"}, nil, "log-level", "error", "env HELIOTIME_LOG_LEVEL"},
		{"flag beats env", map[string]string{"HELIOTIME_LOG_LEVEL": "error"}, []string{"--log-level", "info"}, "log-level", "info", "flag --log-level"},
		{"--config replaces the default file", nil, []string{"--config", explicit}, "log-level", "debug", "file " + explicit},
		{"HELIOTIME_CONFIG names the file", map[string]string{"HELIOTIME_CONFIG": explicit}, nil, "log-level", "debug", "file " + explicit},
		{"typed value from the file", nil, nil, "statement-timeout", "1m30s", "file " + xdgFile},
		{"password masked", nil, nil, "database-url", "postgres://me:xxxxx@db.example.org/heliotime", "file " + xdgFile},
		{"env URL masked", map[string]string{"HELIOTIME_DATABASE_URL": "postgres://u:hunter2@h/db"}, nil, "database-url", "postgres://u:xxxxx@h/db", "env HELIOTIME_DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runHeliotime(t, append([]string{"config"}, tt.args...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			v, src := configLine(t, r.stdout, tt.key)
			if v != tt.wantValue || src != tt.wantSource {
				t.Errorf("%s = %q from %q, want %q from %q", tt.key, v, src, tt.wantValue, tt.wantSource)
			}
			if strings.Contains(r.stdout, "topsecret") || strings.Contains(r.stdout, "hunter2") {
				t.Errorf("config output shows a password:\n%s", r.stdout)
			}
		})
	}
}

func TestConfigReachesFlags(t *testing.T) {
	home := isolateConfig(t)
	writeFile(t, filepath.Join(home, "config", "heliotime", "config.yaml"), "cors-origins: [https://a.example, https://b.example]\n")
	t.Setenv("HELIOTIME_STATEMENT_TIMEOUT", "5m")
	env := &cliEnv{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}}
	root := newRootCmd(env)
	serve, _, err := root.Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if err := env.applyConfig(serve); err != nil {
		t.Fatal(err)
	}
	// A command reading its own flag variables sees the environment and the file.
	if got := serve.Flags().Lookup("statement-timeout").Value.String(); got != "5m0s" {
		t.Errorf("--statement-timeout flag = %s, want 5m0s from the environment", got)
	}
	if got := serve.Flags().Lookup("cors-origins").Value.String(); got != "[https://a.example,https://b.example]" {
		t.Errorf("--cors-origins flag = %s, want the file's list", got)
	}
	if got := env.Strings("cors-origins"); len(got) != 2 || got[1] != "https://b.example" {
		t.Errorf("Strings(cors-origins) = %q", got)
	}
	if d, err := env.Duration("statement-timeout"); err != nil || d.Minutes() != 5 {
		t.Errorf("Duration(statement-timeout) = %v, %v", d, err)
	}
	if n, err := env.Int("max-resolution"); err != nil || n != 2000 {
		t.Errorf("Int(max-resolution) = %v, %v; want the flag default 2000", n, err)
	}
}

func TestConfigErrors(t *testing.T) {
	home := isolateConfig(t)
	bad := filepath.Join(home, "bad.yaml")
	writeFile(t, bad, "log-level: [unclosed\n  nope: : :\n")
	unreadable := filepath.Join(home, "dir.yaml")
	if err := os.Mkdir(unreadable, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"malformed file", nil, []string{"config", "--config", bad}, bad},
		{"file is a folder", nil, []string{"config", "--config", unreadable}, unreadable},
		{"bad env value", map[string]string{"HELIOTIME_STATEMENT_TIMEOUT": "soon"}, []string{"config"}, "HELIOTIME_STATEMENT_TIMEOUT"},
		{"bad env mode", map[string]string{"HELIOTIME_TIMESCALE": "maybe"}, []string{"config"}, "timescale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runHeliotime(t, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliResult is the outcome of one in-process heliotime run.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runHeliotime runs the command line in-process with fresh buffers.
func runHeliotime(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}
	code := run(context.Background(), args, env)
	return cliResult{code, out.String(), errb.String()}
}

// isolateConfig points the XDG folders at a fresh folder and clears the HELIOTIME_
// settings of the environment, so that no configuration of the machine leaks in.
func isolateConfig(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, envPrefix+"_") && !strings.HasPrefix(k, envPrefix+"_TEST_") {
			t.Setenv(k, "")
		}
	}
	return home
}

func TestUsageErrors(t *testing.T) {
	isolateConfig(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"migrate", "--bogus"}, "unknown flag: --bogus"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"bad timescale mode", []string{"migrate", "--timescale", "sometimes"}, "timescale"},
		{"bad log format", []string{"version", "--log-format", "xml"}, "--log-format"},
		{"malformed database URL", []string{"migrate", "--database-url", "postgres://u:pw@host:notaport/db"}, "--database-url"},
		{"migrate down without N", []string{"migrate", "down"}, "needs a number"},
		{"migrate down zero", []string{"migrate", "down", "0"}, "not a valid number"},
		{"migrate unknown op", []string{"migrate", "sideways"}, "unknown operation"},
		{"db without subcommand", []string{"db"}, "start, stop or status"},
		{"db unknown subcommand", []string{"db", "explode"}, "explode"},
		{"bad duration", []string{"migrate", "--statement-timeout", "soon"}, "statement-timeout"},
		{"missing config file", []string{"version", "--config", "/nonexistent/heliotime.yaml"}, "/nonexistent/heliotime.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runHeliotime(t, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "pw@") {
				t.Errorf("stderr shows the password: %q", r.stderr)
			}
		})
	}
}

func TestEveryCommandExists(t *testing.T) {
	isolateConfig(t)
	root := newRootCmd(&cliEnv{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	want := map[string][]string{
		"import":  {"source", "from", "to", "satellite", "batch-days", "mirror", "file", "cache-dir", "keep-files", "follow", "wait", "import-start", "log-format"},
		"serve":   {"addr", "follow-live", "import-archive", "cors-origins", "query-timeout", "max-resolution"},
		"query":   {"from", "to", "resolution", "satellite", "band", "clean", "source", "aggregate", "format"},
		"clean":   {"source", "from", "to", "file", "output", "plot"},
		"inspect": {},
		"migrate": {"database-url", "timescale"},
		"db":      {"postgres-dir"},
		"version": {},
		"config":  {"config"},
	}
	for name, flags := range want {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd == root {
			t.Errorf("no %s command: %v", name, err)
			continue
		}
		for _, f := range flags {
			if cmd.Flags().Lookup(f) == nil && cmd.InheritedFlags().Lookup(f) == nil {
				t.Errorf("%s has no --%s", name, f)
			}
		}
	}
	// Every command's help documents the exit codes.
	for _, c := range allCommands(root) {
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		r := runHeliotime(t, args...)
		if n := strings.Count(r.stdout, "EXIT STATUS"); r.code != exitOK || n != 1 {
			t.Errorf("heliotime %s: exit %d, %d EXIT STATUS sections, want 1", strings.Join(args, " "), r.code, n)
		}
	}
	if c, _, _ := root.Find([]string{"completion"}); c == root {
		root.InitDefaultCompletionCmd()
	}
	r := runHeliotime(t, "completion", "bash")
	if r.code != exitOK || !strings.Contains(r.stdout, "heliotime") {
		t.Errorf("completion bash: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	isolateConfig(t)
	r := runHeliotime(t, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "heliotime ") || !strings.Contains(r.stdout, "commit ") {
		t.Errorf("version: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

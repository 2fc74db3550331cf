package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestReleaseConfig checks .goreleaser.yaml against what the binary and the issue
// expect: static builds for the six targets, stamping the variables version.go declares.
func TestReleaseConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main    string   `yaml:"main"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("parse .goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 || len(cfg.Builds) != 1 {
		t.Fatalf("want version 2 and one build, got version %d, %d builds", cfg.Version, len(cfg.Builds))
	}
	bld := cfg.Builds[0]
	if bld.Main != "./cmd/heliotime" {
		t.Errorf("main = %q", bld.Main)
	}
	if strings.Join(bld.Env, " ") != "CGO_ENABLED=0" {
		t.Errorf("env = %v, want CGO_ENABLED=0", bld.Env)
	}
	if strings.Join(bld.Goos, ",") != "linux,darwin,windows" || strings.Join(bld.Goarch, ",") != "amd64,arm64" {
		t.Errorf("targets %v x %v", bld.Goos, bld.Goarch)
	}
	ld := strings.Join(bld.Ldflags, " ")
	for _, want := range []string{"-X main.version={{.Version}}", "-X main.commit={{.Commit}}", "-X main.date={{.Date}}"} {
		if !strings.Contains(ld, want) {
			t.Errorf("ldflags %q lack %q", ld, want)
		}
	}
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "-X main.version=$version -X main.commit=$commit -X main.date=$date") {
		t.Error(".ci/run does not build with the release ldflags")
	}
}

func TestBuildInfoStamped(t *testing.T) {
	// The variables the release build sets; restored after the test.
	oldV, oldC, oldD := version, commit, date
	t.Cleanup(func() { version, commit, date = oldV, oldC, oldD })
	version, commit, date = "v1.2.3", "abc123", "2026-01-02T03:04:05Z"
	isolateConfig(t)
	r := runHeliotime(t, "version")
	if !strings.HasPrefix(r.stdout, "heliotime v1.2.3 (commit abc123, built 2026-01-02T03:04:05Z,") {
		t.Errorf("version output %q does not show the stamped values", r.stdout)
	}
}

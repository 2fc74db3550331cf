package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/localdb"
)

// envPrefix prefixes every configuration key in the environment: HELIOTIME_DATABASE_URL.
const envPrefix = "HELIOTIME"

// setting is a configuration key shared by several commands, listed by `heliotime config`.
type setting struct {
	key   string
	usage string
}

// settingKeys are the settings `heliotime config` always lists; each is a flag of the
// same name on the commands that use it. Defaults come from those flags.
var settingKeys = []setting{
	{"database-url", "PostgreSQL URL; empty: the managed local cluster"},
	{"data-dir", "heliotime's data folder"},
	{"postgres-dir", "the managed cluster's folder"},
	{"timescale", "use TimescaleDB: auto, require or off"},
	{"timescale-memory-gb", "database memory the TimescaleDB chunk intervals are sized for"},
	{"statement-timeout", "bound on every SQL statement (0: none)"},
	{"log-format", "log format: text or json"},
	{"log-level", "log level: debug, info, warn or error"},
	{"archive-url", "base URL or folder of NOAA's archive (empty: NOAA's hosts)"},
	{"live-url", "base URL of SWPC's live feed (empty: SWPC's host)"},
	{"cache-dir", "folder for downloaded files"},
	{"batch-days", "days imported per transaction"},
	{"workers", "parallel downloads"},
	{"addr", "HTTP listen address"},
	{"max-resolution", "most points per series a query answers"},
	{"query-timeout", "bound on one HTTP query"},
	{"cors-origins", "origins allowed by CORS"},
}

// addGlobalFlags defines the flags every command has.
func addGlobalFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (default ./heliotime.yaml, else $XDG_CONFIG_HOME/heliotime/config.yaml)")
	fs.String("database-url", "", "PostgreSQL URL, e.g. postgres://user:pass@host/db (default: the managed local cluster)")
	fs.String("data-dir", defaultDataDir(), "heliotime's data folder (XDG_DATA_HOME/heliotime)")
	fs.String("postgres-dir", "", "folder of the managed PostgreSQL cluster (default <data-dir>/postgres)")
	fs.String("timescale", string(store.TimescaleAuto), "use TimescaleDB: auto (when installed), require, off")
	fs.Float64("timescale-memory-gb", store.DefaultMemoryGB, "database memory, sizing TimescaleDB chunk intervals")
	fs.Duration("statement-timeout", 0, "bound on every SQL statement, e.g. 10m (0: none)")
	fs.String("log-format", "text", "log format: text or json")
	fs.String("log-level", "info", "log level: debug, info, warn, error")
}

// xdgDir returns $name, else ~/fallback.
func xdgDir(name, fallback string) string {
	if d := os.Getenv(name); d != "" && filepath.IsAbs(d) {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "heliotime-"+strings.ToLower(name))
	}
	return filepath.Join(home, fallback)
}

func defaultDataDir() string {
	return filepath.Join(xdgDir("XDG_DATA_HOME", ".local/share"), "heliotime")
}

// defaultConfigFiles lists the config files read when --config is not given, first found wins.
func defaultConfigFiles() []string {
	return []string{"heliotime.yaml", filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "heliotime", "config.yaml")}
}

// envName returns the environment variable of a key.
func envName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// applyConfig loads the config file and the environment, gives every flag of cmd that
// was not set on the command line its value from them, and binds the flags to the
// configuration so the typed getters see the same values.
func (env *cliEnv) applyConfig(cmd *cobra.Command) error {
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()

	file, _ := cmd.Flags().GetString("config")
	explicit := file != ""
	if !explicit {
		if f, ok := os.LookupEnv(envName("config")); ok && f != "" {
			file, explicit = f, true
		}
	}
	if !explicit {
		for _, f := range defaultConfigFiles() {
			if _, err := os.Stat(f); err == nil {
				file = f
				break
			}
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if filepath.Ext(file) == "" {
			v.SetConfigType("yaml")
		}
		if err := v.ReadInConfig(); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("config file %s: does not exist", file)
			}
			return usagef("config file %s: %v", file, oneLine(err))
		}
	}
	env.cfg, env.configFile = v, file
	env.sources = map[string]string{}
	env.logger = nil // rebuilt from the loaded log-format and log-level

	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "config" || f.Name == "help" {
			return
		}
		src := "default"
		switch {
		case f.Changed:
			src = "flag --" + f.Name
		case isSetInEnv(f.Name):
			src = "env " + envName(f.Name)
		case v.InConfig(f.Name):
			src = "file " + file
		}
		env.sources[f.Name] = src
		if !f.Changed && src != "default" {
			val, err := flagText(v.Get(f.Name))
			if err == nil {
				err = f.Value.Set(val)
			}
			if err != nil {
				errs = append(errs, usagef("%s: invalid value %q for %s: %v", src, fmt.Sprint(v.Get(f.Name)), f.Name, err))
			}
		}
		if err := v.BindPFlag(f.Name, f); err != nil {
			errs = append(errs, fmt.Errorf("bind flag --%s: %w", f.Name, err))
		}
	})
	if len(errs) > 0 {
		return errs[0]
	}
	return env.checkGlobals()
}

func isSetInEnv(key string) bool {
	// Like viper, an empty variable counts as unset.
	return os.Getenv(envName(key)) != ""
}

// flagText turns a configuration value (a string, number, or a YAML list) into the text
// a flag's Set parses.
func flagText(val any) (string, error) {
	switch x := val.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ","), nil
	case []string:
		return strings.Join(x, ","), nil
	case map[string]any:
		return "", errors.New("a table, not a value")
	}
	return cast.ToStringE(val)
}

// oneLine keeps error messages on one line (YAML parse errors span several).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// checkGlobals validates the global settings (usage errors, exit 2).
func (env *cliEnv) checkGlobals() error {
	if _, err := store.ParseTimescaleMode(env.String("timescale")); err != nil {
		return usagef("--timescale: %v", err)
	}
	if u := env.String("database-url"); u != "" {
		if err := store.ParseURL(u); err != nil {
			return usagef("--database-url: %v", oneLine(err))
		}
	}
	switch f := env.String("log-format"); f {
	case "text", "json":
	default:
		return usagef("--log-format %q: want text or json", f)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(env.String("log-level"))); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", env.String("log-level"))
	}
	return nil
}

// String returns the effective value of key.
func (env *cliEnv) String(key string) string { return env.config().GetString(key) }

// Int returns the effective value of key as an integer; a value that is not one is a
// usage error naming where it came from.
func (env *cliEnv) Int(key string) (int, error) {
	n, err := cast.ToIntE(env.config().Get(key))
	if err != nil {
		return 0, usagef("%s: %s is not an integer: %q", env.source(key), key, env.String(key))
	}
	return n, nil
}

// Duration returns the effective value of key as a duration (e.g. "30s").
func (env *cliEnv) Duration(key string) (time.Duration, error) {
	d, err := cast.ToDurationE(env.config().Get(key))
	if err != nil {
		return 0, usagef("%s: %s is not a duration like 30s or 10m: %q", env.source(key), key, env.String(key))
	}
	return d, nil
}

// Strings returns the effective value of key as a list (a YAML list, or comma-separated).
func (env *cliEnv) Strings(key string) []string {
	val := env.config().Get(key)
	if s, ok := val.(string); ok {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return env.config().GetStringSlice(key)
}

// config returns the loaded configuration, or an empty one (defaults only) when no
// command ran the root's pre-run (as in tests calling constructors directly).
func (env *cliEnv) config() *viper.Viper {
	if env.cfg == nil {
		env.cfg = viper.New()
	}
	return env.cfg
}

// source says where key's effective value came from.
func (env *cliEnv) source(key string) string {
	if s, ok := env.sources[key]; ok {
		return s
	}
	switch {
	case isSetInEnv(key):
		return "env " + envName(key)
	case env.config().InConfig(key):
		return "file " + env.configFile
	}
	return "default"
}

// Logger returns the logger configured by log-format and log-level, writing to Stderr.
func (env *cliEnv) Logger() *slog.Logger {
	if env.logger != nil {
		return env.logger
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(env.String("log-level"))) // checked in checkGlobals
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(env.Stderr, opts)
	if env.String("log-format") == "json" {
		h = slog.NewJSONHandler(env.Stderr, opts)
	}
	env.logger = slog.New(h)
	return env.logger
}

// postgresDir returns the managed cluster's folder.
func (env *cliEnv) postgresDir() (string, error) {
	dir := env.String("postgres-dir")
	if dir == "" {
		data := env.String("data-dir")
		if data == "" {
			data = defaultDataDir()
		}
		dir = localdb.DefaultDir(data)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usagef("--postgres-dir %s: %v", dir, err)
	}
	return abs, nil
}

// newConfigCmd shows the effective configuration.
func newConfigCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration and where each value comes from",
		Long: `Show every setting's effective value and its source: a flag, the environment
(HELIOTIME_<KEY>), the config file, or the default. Precedence: flag > environment >
config file > default. The database password is masked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defaults := flagDefaults(cmd.Root())
			file := env.configFile
			if file == "" {
				file = "none (looked for " + strings.Join(defaultConfigFiles(), ", ") + ")"
			}
			fmt.Fprintf(env.Stdout, "config file: %s\n\n", file)
			keys := map[string]bool{}
			for _, s := range settingKeys {
				keys[s.key] = true
			}
			for _, k := range env.config().AllKeys() {
				if env.config().InConfig(k) {
					keys[k] = true
				}
			}
			names := make([]string, 0, len(keys))
			for _, s := range settingKeys {
				names = append(names, s.key)
			}
			var extra []string
			for k := range keys {
				if !containsKey(settingKeys, k) {
					extra = append(extra, k)
				}
			}
			sort.Strings(extra)
			names = append(names, extra...)

			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
			for _, k := range names {
				val, src := env.effective(cmd, k, defaults)
				if k == "database-url" && val != "" {
					val = store.Redact(val)
				}
				if k == "postgres-dir" && val == "" {
					if d, err := env.postgresDir(); err == nil {
						val, src = d, "default (<data-dir>/postgres)"
					}
				}
				if val == "" {
					val = `""`
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k, val, src)
			}
			return tw.Flush()
		},
	}
}

func containsKey(list []setting, key string) bool {
	for _, s := range list {
		if s.key == key {
			return true
		}
	}
	return false
}

// effective returns key's value and source for `heliotime config`: the running
// command's flag when it has one (its value already reflects the precedence), else the
// environment, the file, or the default of the flag that defines key on another command.
func (env *cliEnv) effective(cmd *cobra.Command, key string, defaults map[string]string) (string, string) {
	if f := cmd.Flags().Lookup(key); f != nil {
		return flagValueText(f), env.source(key)
	}
	v := env.config()
	switch {
	case isSetInEnv(key):
		return fmt.Sprint(v.Get(key)), "env " + envName(key)
	case v.InConfig(key):
		return fmt.Sprint(v.Get(key)), "file " + env.configFile
	}
	if d, ok := defaults[key]; ok {
		return strings.Trim(d, "[]"), "default"
	}
	return "", "default"
}

// flagValueText shows a flag's value, lists without their brackets.
func flagValueText(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// flagDefaults maps every flag name in the command tree to its default value.
func flagDefaults(root *cobra.Command) map[string]string {
	out := map[string]string{}
	for _, c := range allCommands(root) {
		for _, set := range []*pflag.FlagSet{c.PersistentFlags(), c.LocalFlags()} {
			set.VisitAll(func(f *pflag.Flag) {
				if _, ok := out[f.Name]; !ok {
					out[f.Name] = f.DefValue
				}
			})
		}
	}
	return out
}

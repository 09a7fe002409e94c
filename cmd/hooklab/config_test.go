package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// mustLoadEnviron loads the env file at path (named on the command line
// when named is true) with env as the process environment.
func mustLoadEnviron(tb testing.TB, env map[string]string, path string, named bool) *environ {
	tb.Helper()
	e, err := loadEnviron(func(key string) string { return env[key] }, path, named)
	if err != nil {
		tb.Fatalf("loadEnviron(%s): %v", path, err)
	}
	return e
}

func TestResolveSecretPrecedence(t *testing.T) {
	const (
		fromFlag    = "from-the-flag"
		fromFile    = "from-the-secret-file"
		fromEnv     = "from-the-environment"
		fromEnvFile = "from-the-env-file"
	)
	tests := []struct {
		name       string
		flag       string
		secretFile bool // pass --secret-file with fromFile in it
		env        map[string]string
		envFile    string // contents of the env file
		want       string // the secret; "" for a generated one
		wantSource string // "<secret-file>" and "<env-file>" stand for the paths
	}{
		{
			name: "flag beats everything", flag: fromFlag,
			env: map[string]string{envSecret: fromEnv}, envFile: envSecret + "=" + fromEnvFile,
			want: fromFlag, wantSource: "--secret",
		},
		{
			name: "secret file beats the environment", secretFile: true,
			env: map[string]string{envSecret: fromEnv}, envFile: envSecret + "=" + fromEnvFile,
			want: fromFile, wantSource: "--secret-file <secret-file>",
		},
		{
			name: "environment beats the env file",
			env:  map[string]string{envSecret: fromEnv}, envFile: envSecret + "=" + fromEnvFile,
			want: fromEnv, wantSource: envSecret,
		},
		{
			name:    "env file",
			envFile: envSecret + "=" + fromEnvFile,
			want:    fromEnvFile, wantSource: envSecret + " in <env-file>",
		},
		{
			name: "empty flag counts as none", flag: "", secretFile: true,
			want: fromFile, wantSource: "--secret-file <secret-file>",
		},
		{
			name: "empty environment counts as none",
			env:  map[string]string{envSecret: ""}, envFile: envSecret + "=" + fromEnvFile,
			want: fromEnvFile, wantSource: envSecret + " in <env-file>",
		},
		{
			name:    "empty in the env file counts as none",
			envFile: envSecret + "=\n",
			want:    "", wantSource: "generated",
		},
		{
			name: "none generates one",
			want: "", wantSource: "generated",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var secretFile string
			if tt.secretFile {
				secretFile = mustWriteFile(t, dir, "secret.txt", fromFile+"\n")
			}
			envFile := filepath.Join(dir, defaultEnvFile)
			if tt.envFile != "" {
				mustWriteFile(t, dir, defaultEnvFile, tt.envFile+"\n")
			}
			env := mustLoadEnviron(t, tt.env, envFile, false)

			got, err := resolveSecret(flagValues(tt.flag), secretFile, env, bytes.NewReader(testRandom()), signing.ProviderGitHub, false)
			if err != nil {
				t.Fatalf("resolveSecret: %v", err)
			}
			want, wantGenerated := tt.want, tt.want == ""
			if wantGenerated {
				want = generatedSecret()
			}
			wantSource := strings.NewReplacer("<secret-file>", secretFile, "<env-file>", envFile).Replace(tt.wantSource)
			if got.value != want || got.source != wantSource || got.generated() != wantGenerated {
				t.Errorf("resolveSecret = {%q, %q, generated %v}, want {%q, %q, generated %v}",
					got.value, got.source, got.generated(), want, wantSource, wantGenerated)
			}
		})
	}
}

func TestResolveSecretFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		wantErr bool
	}{
		{name: "newline dropped", content: "s3cret\n", want: "s3cret"},
		{name: "no newline", content: "s3cret", want: "s3cret"},
		{name: "only one newline dropped", content: "s3cret\n\n", want: "s3cret\n"},
		{name: "CRLF dropped", content: "s3cret\r\n", want: "s3cret"},
		{name: "inner newline kept", content: "line one\nline two\n", want: "line one\nline two"},
		{name: "other white space kept", content: "  s3cret \t\n", want: "  s3cret \t"},
		{name: "empty", content: "", wantErr: true},
		{name: "only a newline", content: "\n", wantErr: true},
		{name: "only CRLF", content: "\r\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := mustWriteFile(t, t.TempDir(), "secret", tt.content)
			env := &environ{getenv: func(string) string { return "" }}
			got, err := resolveSecret(nil, path, env, bytes.NewReader(testRandom()), signing.ProviderGitHub, false)
			if tt.wantErr {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Errorf("resolveSecret = %q, %v; want a usage error", got.value, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveSecret: %v", err)
			}
			if got.value != tt.want || got.generated() {
				t.Errorf("resolveSecret = %q (generated %v), want %q", got.value, got.generated(), tt.want)
			}
		})
	}
}

func TestResolveSecretErrors(t *testing.T) {
	env := &environ{getenv: func(string) string { return "" }}
	secretFile := mustWriteFile(t, t.TempDir(), "secret", "from-the-file\n")
	tests := []struct {
		name      string
		flag      string
		file      string
		random    io.Reader
		wantUsage bool
	}{
		{name: "flag and file", flag: "from-the-flag", file: secretFile, random: bytes.NewReader(testRandom()), wantUsage: true},
		{name: "file missing", file: filepath.Join(t.TempDir(), "missing"), random: bytes.NewReader(testRandom()), wantUsage: true},
		{name: "file is a directory", file: t.TempDir(), random: bytes.NewReader(testRandom()), wantUsage: true},
		{name: "randomness fails", random: failingReader{}},
		{name: "randomness runs short", random: bytes.NewReader(testRandom()[:31])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveSecret(flagValues(tt.flag), tt.file, env, tt.random, signing.ProviderGitHub, false)
			if err == nil {
				t.Fatalf("resolveSecret = %q, want an error", got.value)
			}
			var ue usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Errorf("usage error: %v, want %v (%v)", !tt.wantUsage, tt.wantUsage, err)
			}
			for _, s := range []string{"from-the-flag", "from-the-file"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
		})
	}
}

func TestGeneratedSecret(t *testing.T) {
	env := &environ{getenv: func(string) string { return "" }}
	got, err := resolveSecret(nil, "", env, bytes.NewReader(testRandom()), signing.ProviderGitHub, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.value) != 64 {
		t.Errorf("generated secret %q has %d characters, want 64", got.value, len(got.value))
	}
	if want := generatedSecret(); got.value != want {
		t.Errorf("generated secret %q, want the hex of the random bytes %q", got.value, want)
	}
	if !got.generated() || got.source != "generated" {
		t.Errorf("generated = %v, source = %q; want true, generated", got.generated(), got.source)
	}
	if w := got.warnings(); len(w) != 0 {
		t.Errorf("a generated secret has warnings: %q", w)
	}
}

func TestLoadEnviron(t *testing.T) {
	dir := t.TempDir()
	envFile := mustWriteFile(t, dir, "hooklab.env", "A=from-file\nB=from-file\nC=\n")
	missing := filepath.Join(dir, "missing.env")

	environBefore := os.Environ()
	_, err := loadEnviron(func(string) string { return "" }, missing, true)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("a named env file that does not exist: %v, want a usage error", err)
	}
	e := mustLoadEnviron(t, map[string]string{"A": "from-env"}, missing, false)
	if v, from := e.lookup("A"); v != "from-env" || from != "A" {
		t.Errorf("without the default env file, lookup(A) = %q, %q", v, from)
	}

	e = mustLoadEnviron(t, map[string]string{"A": "from-env", "B": ""}, envFile, true)
	tests := []struct {
		name     string
		key      string
		want     string
		wantFrom string
	}{
		{name: "environment wins", key: "A", want: "from-env", wantFrom: "A"},
		{name: "empty in the environment falls back to the file", key: "B", want: "from-file", wantFrom: "B in " + envFile},
		{name: "empty in the file is unset", key: "C", want: "", wantFrom: ""},
		{name: "unset everywhere", key: "D", want: "", wantFrom: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, from := e.lookup(tt.key); v != tt.want || from != tt.wantFrom {
				t.Errorf("lookup(%s) = %q, %q; want %q, %q", tt.key, v, from, tt.want, tt.wantFrom)
			}
		})
	}
	if !slices.Equal(environBefore, os.Environ()) {
		t.Error("loadEnviron changed the process environment")
	}
}

func TestSecretWarnings(t *testing.T) {
	tests := []struct {
		name string
		s    secret
		want []string
	}{
		{name: "long enough", s: secret{value: strings.Repeat("x", minSecretLen), source: "--secret"}},
		{name: "one short", s: secret{value: strings.Repeat("x", minSecretLen-1), source: "--secret"},
			want: []string{"is 31 characters"}},
		{name: "leading space", s: secret{value: " " + strings.Repeat("x", minSecretLen), source: envSecret},
			want: []string{"white space"}},
		{name: "trailing newline", s: secret{value: strings.Repeat("x", minSecretLen) + "\n", source: envSecret},
			want: []string{"white space"}},
		{name: "short and padded", s: secret{value: " short ", source: envSecret},
			want: []string{"is 7 characters", "white space"}},
		{name: "generated", s: secret{value: "short", source: "generated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.warnings()
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d containing %q", got, len(tt.want), tt.want)
			}
			for i, w := range got {
				if !strings.Contains(w, tt.want[i]) || !strings.Contains(w, tt.s.source) {
					t.Errorf("warning %q does not contain %q and the source %q", w, tt.want[i], tt.s.source)
				}
				if core := strings.TrimSpace(tt.s.value); strings.Contains(w, core) {
					t.Errorf("warning %q contains the secret", w)
				}
			}
		})
	}
}

func TestParseColorMode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    colorMode
		wantErr bool
	}{
		{name: "auto", in: "auto", want: colorAuto},
		{name: "always", in: "always", want: colorAlways},
		{name: "never", in: "never", want: colorNever},
		{name: "other", in: "sometimes", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "case matters", in: "Always", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseColorMode(tt.in)
			if tt.wantErr {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Errorf("parseColorMode(%q) = %q, %v; want a usage error", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseColorMode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		name     string
		mode     colorMode
		terminal bool
		noColor  string
		want     bool
	}{
		{name: "always", mode: colorAlways, want: true},
		{name: "always with NO_COLOR", mode: colorAlways, noColor: "1", want: true},
		{name: "never on a terminal", mode: colorNever, terminal: true, want: false},
		{name: "auto on a terminal", mode: colorAuto, terminal: true, want: true},
		{name: "auto not on a terminal", mode: colorAuto, want: false},
		{name: "auto on a terminal with NO_COLOR", mode: colorAuto, terminal: true, noColor: "1", want: false},
		{name: "auto on a terminal with empty NO_COLOR", mode: colorAuto, terminal: true, noColor: "", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(key string) string {
				if key == envNoColor {
					return tt.noColor
				}
				return ""
			}
			if got := useColor(tt.mode, tt.terminal, getenv); got != tt.want {
				t.Errorf("useColor(%s, terminal %v, NO_COLOR %q) = %v, want %v", tt.mode, tt.terminal, tt.noColor, got, tt.want)
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	mustOpen := func(name string, flag int) *os.File {
		t.Helper()
		f, err := os.OpenFile(name, flag, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pipeR.Close()
	defer pipeW.Close()
	type isTerminalCase struct {
		name string
		v    any
		want bool
	}
	tests := []isTerminalCase{
		{name: "buffer", v: &bytes.Buffer{}},
		{name: "reader", v: strings.NewReader("body")},
		{name: "regular file", v: mustOpen(filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)},
		// A character device, but not a terminal: `hooklab sign </dev/null`.
		{name: "/dev/null for reading", v: mustOpen(os.DevNull, os.O_RDONLY)},
		{name: "/dev/null for writing", v: mustOpen(os.DevNull, os.O_WRONLY)},
		{name: "pipe, read end", v: pipeR},
		{name: "pipe, write end", v: pipeW},
	}
	// The master side of a new pseudo-terminal is a terminal, where there
	// is one to open.
	if f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0); err == nil {
		t.Cleanup(func() { f.Close() })
		tests = append(tests, isTerminalCase{name: "pseudo-terminal", v: f, want: true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTerminal(tt.v); got != tt.want {
				t.Errorf("isTerminal(%s) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestResolveListenFlagSetToDefault checks that a flag given with its default
// value still beats the environment: listen asks whether it was set, not
// whether it differs from the default. (Running it would need port 8080.)
func TestResolveListenFlagSetToDefault(t *testing.T) {
	opts := listenOptions{
		Addr: defaultAddr, AddrSet: true, Path: receiver.DefaultPath, PathSet: true,
		sourceOptions: sourceOptions{EnvFile: defaultEnvFile}, MaxBody: "25MiB", MaxInflight: "256MiB", LogFormat: logText, Color: string(colorAuto),
	}
	env := map[string]string{envAddr: "127.0.0.1:9999", envPath: "/from-env"}
	cfg, err := resolveListen(world{env: env}.system(t, io.Discard, io.Discard), opts)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.addr != defaultAddr || cfg.path != receiver.DefaultPath {
		t.Errorf("addr %q, path %q; want the flags' %s, %s", cfg.addr, cfg.path, defaultAddr, receiver.DefaultPath)
	}

	opts.AddrSet, opts.PathSet = false, false
	if cfg, err = resolveListen(world{env: env}.system(t, io.Discard, io.Discard), opts); err != nil {
		t.Fatal(err)
	}
	if cfg.addr != env[envAddr] || cfg.path != env[envPath] {
		t.Errorf("addr %q, path %q; want the environment's %s, %s", cfg.addr, cfg.path, env[envAddr], env[envPath])
	}
}

// flagValues is what --secret gives when typed once with v, or not at all.
func flagValues(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

func TestEnvFileKinds(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "venv"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		named   bool
		wantErr []string // each in the usage error; none when it loads
	}{
		{name: "named directory", path: dir, named: true, wantErr: []string{dir + " is a directory", "NAME=value"}},
		{name: "named directory with a slash", path: dir + "/", named: true, wantErr: []string{"is a directory"}},
		// A Python virtualenv called .env, where the default is looked for.
		{name: "default is a directory", path: filepath.Join(dir, "venv"), named: false},
		{name: "named /dev/null reads nothing", path: os.DevNull, named: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := loadEnviron(func(string) string { return "" }, tt.path, tt.named)
			if len(tt.wantErr) == 0 {
				if err != nil || len(e.file) != 0 {
					t.Fatalf("loadEnviron(%s) = %v, %v; want no variables and no error", tt.path, e, err)
				}
				return
			}
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("loadEnviron(%s) = %v, want a usage error", tt.path, err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "does not parse") {
				t.Errorf("error %q says the directory does not parse", err)
			}
		})
	}
}

// The banner's secret line says where every secret that verifies came
// from, and never what one is.
func TestSecretDescribe(t *testing.T) {
	const a, b, prev = "secret-a-0123456789abcdef0123456789", "secret-b-0123456789abcdef0123456789", "secret-previous-0123456789abcdef01"
	tests := []struct {
		name    string
		flags   []string
		env     map[string]string
		envFile string // contents of the env file
		want    string // "<env-file>" stands for its path
	}{
		{name: "one secret", env: map[string]string{envSecret: a}, want: "from " + envSecret},
		{name: "previous in the environment", env: map[string]string{envSecret: a, envSecretPrevious: prev},
			want: "from " + envSecret + "; the previous one, from " + envSecretPrevious + ", is accepted too"},
		{name: "previous in the env file", env: map[string]string{envSecret: a}, envFile: envSecretPrevious + "=" + prev,
			want: "from " + envSecret + "; the previous one, from " + envSecretPrevious + " in <env-file>, is accepted too"},
		{name: "empty previous is unset", env: map[string]string{envSecret: a, envSecretPrevious: ""}, want: "from " + envSecret},
		{name: "repeated flag", flags: []string{a, b}, want: "from --secret (2 secrets, each accepted)"},
		{name: "repeated flag and previous", flags: []string{a, b}, env: map[string]string{envSecretPrevious: prev},
			want: "from --secret (2 secrets, each accepted); the previous one, from " + envSecretPrevious + ", is accepted too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			envFile := filepath.Join(dir, defaultEnvFile)
			if tt.envFile != "" {
				mustWriteFile(t, dir, defaultEnvFile, tt.envFile+"\n")
			}
			s, err := configuredSecret(tt.flags, "", mustLoadEnviron(t, tt.env, envFile, false))
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(tt.want, "<env-file>", envFile)
			if got := s.describe(); got != want {
				t.Errorf("describe() = %q\nwant         %q", got, want)
			}
		})
	}
}

// homeEnviron is an environment whose configuration directory is a new
// temporary one, and the directory where hooklab keeps secrets in it.
func homeEnviron(tb testing.TB) (*environ, string) {
	tb.Helper()
	config := tb.TempDir()
	return &environ{getenv: func(k string) string { return map[string]string{"XDG_CONFIG_HOME": config}[k] }}, filepath.Join(config, "hooklab")
}

// mustReadKept returns the secret kept in dir for provider, "" when none.
func mustReadKept(tb testing.TB, dir, provider string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "secret-"+provider))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestResolveSecretKeeps: a generated secret is kept per provider and
// reused by the next run; --new-secret replaces it; a configured secret
// wins and is written nowhere.
func TestResolveSecretKeeps(t *testing.T) {
	env, dir := homeEnviron(t)
	random := func(seed string) io.Reader { return bytes.NewReader(secretRandom(seed)) }
	resolve := func(provider, seed string, fresh bool) secret {
		t.Helper()
		s, err := resolveSecret(nil, "", env, random(seed), provider, fresh)
		if err != nil {
			t.Fatalf("resolveSecret(%s): %v", provider, err)
		}
		return s
	}

	first := resolve("github", "first", false)
	if !first.generated() || first.source != sourceGenerated || first.notKept != "" || first.keptIn != filepath.Join(dir, "secret-github") {
		t.Fatalf("first run: %+v; want a generated secret kept in %s", first, dir)
	}
	if got := mustReadKept(t, dir, "github"); got != first.value {
		t.Errorf("kept %q, want the generated %q", got, first.value)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, first.keptIn: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
		}
	}

	again := resolve("github", "again", false)
	if again.value != first.value || again.generated() || again.source != sourceKept || again.keptIn != first.keptIn {
		t.Errorf("second run: %+v; want the kept secret, not generated", again)
	}
	if d := again.describe(); d != "generated earlier, kept in "+first.keptIn {
		t.Errorf("describe() = %q", d)
	}

	stripe := resolve("stripe", "stripe", false)
	if stripe.value == first.value || mustReadKept(t, dir, "stripe") != stripe.value || !stripe.generated() {
		t.Errorf("another provider: %+v; want its own secret, kept in secret-stripe", stripe)
	}

	fresh := resolve("github", "fresh", true)
	if fresh.value == first.value || !fresh.generated() || mustReadKept(t, dir, "github") != fresh.value {
		t.Errorf("--new-secret: %+v; want a new secret, kept in place of the old", fresh)
	}
	if got := resolve("github", "after", false); got.value != fresh.value {
		t.Errorf("the run after --new-secret uses %q, want the new one %q", got.value, fresh.value)
	}

	// A configured secret wins, and nothing is written.
	configuredEnv, configuredDir := homeEnviron(t)
	for _, fresh := range []bool{false, true} {
		s, err := resolveSecret([]string{"configured-0123456789abcdef0123456789"}, "", configuredEnv, random("x"), "github", fresh)
		switch {
		case fresh && !errors.As(err, new(usageError)):
			t.Errorf("--new-secret with --secret: %v, want a usage error", err)
		case !fresh && (err != nil || s.source != "--secret" || s.keptIn != ""):
			t.Errorf("--secret: %+v, %v; want it, not kept", s, err)
		}
	}
	if _, err := os.Stat(configuredDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a configured secret created %s: %v", configuredDir, err)
	}
}

// TestResolveSecretCannotKeep: with no configuration directory, or one
// that cannot be written or read, listen still gets a secret, for this run
// only, saying why; a kept file others may read is refused, like ssh does.
func TestResolveSecretCannotKeep(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		setup       func(t *testing.T, dir string) // dir: where secrets are kept
		wantNotKept string
		wantErr     string // a usage error saying this
		keptBefore  bool   // a kept file is there: it must be left as it is
		wantFile    string // what the kept file holds after
		fresh       bool   // --new-secret
		root        bool   // needs root, to chown to another user
	}{
		{name: "no home", env: map[string]string{}, wantNotKept: "neither $XDG_CONFIG_HOME nor $HOME is set"},
		{name: "relative XDG_CONFIG_HOME", env: map[string]string{"XDG_CONFIG_HOME": "config"}, wantNotKept: "relative"},
		{name: "unwritable", setup: func(t *testing.T, dir string) {
			// A file where the directory would be: root cannot write there either.
			mustWriteFile(t, filepath.Dir(dir), filepath.Base(dir), "")
		}, wantNotKept: "not a directory"},
		{name: "empty kept file", setup: func(t *testing.T, dir string) { mustKeep(t, dir, "", 0o600) },
			wantNotKept: "is empty", keptBefore: true},
		{name: "world-readable", setup: func(t *testing.T, dir string) { mustKeep(t, dir, "kept-secret-value", 0o644) },
			wantErr: "chmod 600", keptBefore: true, wantFile: "kept-secret-value"},
		{name: "group-readable", setup: func(t *testing.T, dir string) { mustKeep(t, dir, "kept-secret-value", 0o640) },
			wantErr: "chmod 600", keptBefore: true, wantFile: "kept-secret-value"},
		{name: "a symlink", setup: func(t *testing.T, dir string) {
			mustKeepFor(t, dir, "stripe", "kept-secret-value")
			if err := os.Symlink(filepath.Join(dir, "secret-stripe"), filepath.Join(dir, "secret-github")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "symbolic link"},
		{name: "a directory others may enter", setup: func(t *testing.T, dir string) {
			mustKeep(t, dir, "kept-secret-value", 0o600)
			mustChmod(t, dir, 0o755)
		}, wantErr: "chmod 700 ", keptBefore: true, wantFile: "kept-secret-value"},
		{name: "a directory others may enter, none kept", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			mustChmod(t, dir, 0o750)
		}, wantErr: "chmod 700 ", keptBefore: true, wantFile: ""},
		{name: "--new-secret in a directory others may enter", fresh: true, setup: func(t *testing.T, dir string) {
			mustKeep(t, dir, "kept-secret-value", 0o600)
			mustChmod(t, dir, 0o755)
		}, wantErr: "chmod 700 ", keptBefore: true, wantFile: "kept-secret-value"},
		{name: "another user's file", root: true, setup: func(t *testing.T, dir string) {
			mustKeep(t, dir, "kept-secret-value", 0o600)
			if err := os.Chown(filepath.Join(dir, "secret-github"), 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "owned by uid 4242", keptBefore: true, wantFile: "kept-secret-value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Getuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			env, dir := homeEnviron(t)
			if tt.env != nil {
				env = &environ{getenv: func(k string) string { return tt.env[k] }}
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			s, err := resolveSecret(nil, "", env, bytes.NewReader(testRandom()), "github", tt.fresh)
			if tt.wantErr != "" {
				if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveSecret = %+v, %v; want a usage error saying %q", s, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "kept-secret-value") {
					t.Errorf("the error shows the secret: %v", err)
				}
			} else {
				if err != nil {
					t.Fatalf("resolveSecret: %v", err)
				}
				if s.value != generatedSecret() || !s.generated() || s.keptIn != "" || !strings.Contains(s.notKept, tt.wantNotKept) {
					t.Errorf("resolveSecret = %+v; want a generated secret, not kept because %q", s, tt.wantNotKept)
				}
			}
			if tt.keptBefore {
				if got := mustReadKept(t, dir, "github"); got != tt.wantFile {
					t.Errorf("the kept file holds %q after, want it untouched (%q)", got, tt.wantFile)
				}
			}
		})
	}
}

// mustKeepFor writes value as the secret kept for provider in dir, as
// listen keeps it: mode 0600 in a directory of mode 0700.
func mustKeepFor(tb testing.TB, dir, provider, value string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret-"+provider), []byte(value), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// mustChmod sets path's mode, past the umask.
func mustChmod(tb testing.TB, path string, mode os.FileMode) {
	tb.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
}

// TestResolveSecretRace: listens started at once for the first time each
// generate a secret; one is kept, and every one of them verifies with it,
// the others saying it was generated earlier, never showing their own.
func TestResolveSecretRace(t *testing.T) {
	const runs = 12
	for round := range 10 {
		env, dir := homeEnviron(t)
		type result struct {
			s   secret
			err error
		}
		results := make(chan result, runs)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range runs {
			done.Add(1)
			go func() {
				defer done.Done()
				random := bytes.NewReader(secretRandom(fmt.Sprintf("run %d", i)))
				start.Wait()
				s, err := resolveSecret(nil, "", env, random, "github", false)
				results <- result{s, err}
			}()
		}
		start.Done()
		done.Wait()
		close(results)
		held := mustReadKept(t, dir, "github")
		generated := 0
		for r := range results {
			if r.err != nil {
				t.Fatalf("round %d: resolveSecret: %v", round, r.err)
			}
			if r.s.value != held || r.s.keptIn != filepath.Join(dir, "secret-github") || r.s.notKept != "" {
				t.Fatalf("round %d: a listen uses %+v, but the kept file holds %q", round, r.s, held)
			}
			if r.s.generated() {
				generated++
			} else if d := r.s.describe(); d != "generated earlier, kept in "+r.s.keptIn {
				t.Fatalf("round %d: a listen that lost the race says %q", round, d)
			}
		}
		if generated != 1 {
			t.Fatalf("round %d: %d listens say they generated the kept secret, want 1", round, generated)
		}
	}
}

// mustKeep writes a kept secret for github into dir with mode.
func mustKeep(tb testing.TB, dir, value string, mode os.FileMode) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "secret-github")
	if err := os.WriteFile(path, []byte(value), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		tb.Fatal(err)
	}
}

// TestSourceOptionsReadKeptSecret: send, sign and check, with no secret
// configured, sign with the one listen keeps for the provider, say so,
// and never generate or write one.
func TestSourceOptionsReadKeptSecret(t *testing.T) {
	const kept = "kept-0123456789abcdef0123456789abcdef"
	tests := []struct {
		name      string
		o         sourceOptions
		keep      bool
		want      string // the secret; "" for none
		wantNotes string // in Notes; "" for nothing
		wantErr   string
	}{
		{name: "kept", keep: true, want: kept, wantNotes: "using the one listen generated for github, kept in "},
		{name: "configured wins", keep: true, o: sourceOptions{Secrets: []string{"from-the-flag"}}, want: "from-the-flag"},
		{name: "none kept", want: ""},
		{name: "another provider's", keep: true, o: sourceOptions{Provider: "stripe", ProviderSet: true}, want: ""},
		{name: "too open", keep: true, want: "", wantErr: "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, dir := homeEnviron(t)
			if tt.keep {
				mode := os.FileMode(0o600)
				if tt.wantErr != "" {
					mode = 0o644
				}
				mustKeep(t, dir, kept, mode)
			}
			var notes bytes.Buffer
			tt.o.Notes = &notes
			s, err := tt.o.secret(env)
			if tt.wantErr != "" {
				if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("secret = %+v, %v; want a usage error saying %q", s, err, tt.wantErr)
				}
				return
			}
			if err != nil || s.value != tt.want || s.generated() {
				t.Fatalf("secret = %+v, %v; want %q, not generated", s, err, tt.want)
			}
			if got := notes.String(); !strings.Contains(got, tt.wantNotes) || (tt.wantNotes == "") != (got == "") {
				t.Errorf("notes %q, want %q", got, tt.wantNotes)
			}
			if strings.Contains(notes.String(), kept) {
				t.Errorf("the note shows the secret: %s", notes.String())
			}
			if !tt.keep {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("reading the kept secret created %s: %v", dir, err)
				}
			}
		})
	}
}

// TestKeptSecretIsItsProviders: a kept secret signs only for its
// provider (a send whose fixture switches to another is refused).
func TestKeptSecretIsItsProviders(t *testing.T) {
	s := secret{value: generatedSecret(), source: sourceKept, keptIn: "/home/u/.config/hooklab/secret-github", keptFor: "github"}
	if _, err := schemeFor("github", s, signing.Options{}); err != nil {
		t.Errorf("schemeFor(github): %v", err)
	}
	_, err := schemeFor("stripe", s, signing.Options{})
	if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "--provider stripe") {
		t.Errorf("schemeFor(stripe) = %v, want a usage error saying --provider stripe", err)
	}
}

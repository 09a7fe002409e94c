package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// testNow is the injected clock, so every duration in a log record is 0.
var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// testRandom is what a generated secret is made of in tests: 32 fixed bytes
// that look random.
func testRandom() []byte {
	sum := sha256.Sum256([]byte("hooklab test randomness"))
	return sum[:]
}

// generatedSecret is the secret hooklab generates from testRandom.
func generatedSecret() string { return hex.EncodeToString(testRandom()) }

// world is what a test gives hooklab from outside the process.
type world struct {
	env      map[string]string // the environment; nothing else is read
	dir      string            // working directory; a fresh empty one when ""
	terminal bool              // whether stdout is a terminal
	random   io.Reader         // testRandom() when nil
	stdin    string            // standard input
	input    io.Reader         // standard input instead of stdin, when not nil
	limits   *receiver.Limits  // listen's limits, when not the defaults
	force    chan struct{}     // closed by the test: a second Ctrl-C
	clock    func() time.Time  // the clock; testNow, always, when nil
}

// system changes into w's working directory (restored when tb ends, so a
// .env next to the tests never leaks in) and returns the system hooklab runs
// with.
func (w world) system(tb testing.TB, stdout, stderr io.Writer) system {
	tb.Helper()
	dir := w.dir
	if dir == "" {
		dir = tb.TempDir()
	}
	tb.Chdir(dir)
	random := w.random
	if random == nil {
		random = bytes.NewReader(testRandom())
	}
	var stdin io.Reader = strings.NewReader(w.stdin)
	if w.input != nil {
		stdin = w.input
	}
	clock := w.clock
	if clock == nil {
		clock = func() time.Time { return testNow }
	}
	return system{
		stdin:  stdin,
		stdout: stdout, stderr: stderr,
		getenv:     func(key string) string { return w.env[key] },
		random:     random,
		now:        clock,
		isTerminal: func(v any) bool { return w.terminal && v == stdout },
		limits:     w.limits,
		force:      func() <-chan struct{} { return w.force },
	}
}

// result is what one run of hooklab did.
type result struct {
	code           int
	stdout, stderr string
}

// runStopped runs hooklab with args under a context that is already
// cancelled. Commands that fail do so as usual; a listen that gets as far as
// serving binds, prints its banner, and stops at once with its summary
// instead of blocking the test.
func runStopped(tb testing.TB, w world, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	sys := w.system(tb, &stdout, &stderr)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code := runWith(ctx, append([]string{"hooklab"}, args...), sys)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustWriteFile writes content to name under dir and returns its path.
func mustWriteFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestExitCodes(t *testing.T) {
	// Every listen below that is meant to fail would, if it did not, bind a
	// free port and stop at once (runStopped), so a regression shows as a
	// wrong exit code rather than a hang or a fixed port.
	const free = "127.0.0.1:0"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		files      map[string]string // written into the working directory
		wantCode   int
		wantStdout []string // each must appear in stdout
		wantStderr []string // each must appear in stderr
	}{
		{
			name:       "help",
			args:       []string{"--help"},
			wantCode:   exitOK,
			wantStdout: []string{"COMMANDS:", "listen", "receive webhooks and verify their signatures"},
		},
		{
			name:       "no command shows help",
			args:       nil,
			wantCode:   exitOK,
			wantStdout: []string{"listen"},
		},
		{
			name:       "version",
			args:       []string{"--version"},
			wantCode:   exitOK,
			wantStdout: []string{"hooklab version " + version()},
		},
		{
			name:       "listen help",
			args:       []string{"listen", "--help"},
			wantCode:   exitOK,
			wantStdout: []string{"Examples:", "hooklab listen --addr 127.0.0.1:0 --log-format json", "--secret-file"},
		},
		{
			name:       "unknown command",
			args:       []string{"frobnicate"},
			wantCode:   exitUsage,
			wantStderr: []string{`unknown command "frobnicate"`, "hooklab --help"},
		},
		{
			name:       "unknown global flag",
			args:       []string{"--frobnicate"},
			wantCode:   exitUsage,
			wantStderr: []string{"frobnicate"},
		},
		{
			name:       "unknown listen flag",
			args:       []string{"listen", "--frobnicate"},
			wantCode:   exitUsage,
			wantStderr: []string{"frobnicate"},
		},
		{
			name:       "flag without its value",
			args:       []string{"listen", "--addr", free, "--secret"},
			wantCode:   exitUsage,
			wantStderr: []string{"secret"},
		},
		{
			name:       "listen with an argument",
			args:       []string{"listen", "--addr", free, "extra-arg"},
			wantCode:   exitUsage,
			wantStderr: []string{"listen takes no arguments", `"extra-arg"`},
		},
		{
			name:       "unknown log format",
			args:       []string{"listen", "--addr", free, "--log-format", "xml"},
			wantCode:   exitUsage,
			wantStderr: []string{"--log-format", `"xml"`},
		},
		{
			name:       "unknown colour mode",
			args:       []string{"listen", "--addr", free, "--color", "sometimes"},
			wantCode:   exitUsage,
			wantStderr: []string{"--color", `"sometimes"`},
		},
		{
			name:       "zero max body",
			args:       []string{"listen", "--addr", free, "--max-body", "0"},
			wantCode:   exitUsage,
			wantStderr: []string{"--max-body", `"0"`},
		},
		{
			name:       "max body not a size",
			args:       []string{"listen", "--addr", free, "--max-body", "abc"},
			wantCode:   exitUsage,
			wantStderr: []string{"--max-body", `"abc"`},
		},
		{
			name:       "secret and secret file",
			args:       []string{"listen", "--addr", free, "--secret", "a", "--secret-file", "secret.txt"},
			files:      map[string]string{"secret.txt": "from-the-file\n"},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret and --secret-file"},
		},
		{
			name:       "empty secret flag",
			args:       []string{"listen", "--addr", free, "--secret", ""},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret is empty", `"$VAR"`},
		},
		{
			name:       "empty secret flag, spelled with =",
			args:       []string{"listen", "--addr", free, "--secret="},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret is empty"},
		},
		{
			name:       "empty secret flag with the secret in the environment",
			args:       []string{"listen", "--addr", free, "--secret", ""},
			env:        map[string]string{envSecret: strings.Repeat("s", 40)},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret is empty"},
		},
		{
			name:       "one of several secret flags empty",
			args:       []string{"listen", "--addr", free, "--secret", strings.Repeat("s", 40), "--secret", ""},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret is empty"},
		},
		{
			name:       "empty secret in the environment counts as unset",
			args:       []string{"listen", "--addr", free},
			env:        map[string]string{envSecret: ""},
			wantCode:   exitOK,
			wantStdout: []string{"generated for this run"},
		},
		{
			name:       "empty secret in the env file counts as unset",
			args:       []string{"listen", "--addr", free},
			files:      map[string]string{defaultEnvFile: envSecret + "=\n"},
			wantCode:   exitOK,
			wantStdout: []string{"generated for this run"},
		},
		{
			name:       "previous secret in the environment",
			args:       []string{"listen", "--addr", free},
			env:        map[string]string{envSecret: strings.Repeat("s", 40), envSecretPrevious: strings.Repeat("p", 40)},
			wantCode:   exitOK,
			wantStdout: []string{"from " + envSecret + "; the previous one, from " + envSecretPrevious + ", is accepted too"},
		},
		{
			// Not a generated secret with the previous one silently dropped.
			name:       "previous secret alone",
			args:       []string{"listen", "--addr", free},
			env:        map[string]string{envSecretPrevious: strings.Repeat("p", 40)},
			wantCode:   exitUsage,
			wantStderr: []string{envSecretPrevious + " is set but " + envSecret + " is not"},
		},
		{
			name:       "previous secret alone, in the env file, for send",
			args:       []string{"send", "--url", "http://127.0.0.1:9/webhook"},
			files:      map[string]string{defaultEnvFile: envSecretPrevious + "=" + strings.Repeat("p", 40) + "\n"},
			wantCode:   exitUsage,
			wantStderr: []string{envSecretPrevious + " in " + defaultEnvFile + " is set but " + envSecret + " is not"},
		},
		{
			name:       "secret file does not exist",
			args:       []string{"listen", "--addr", free, "--secret-file", "/does/not/exist"},
			wantCode:   exitUsage,
			wantStderr: []string{"--secret-file", "/does/not/exist"},
		},
		{
			name:       "empty secret file",
			args:       []string{"listen", "--addr", free, "--secret-file", "secret.txt"},
			files:      map[string]string{"secret.txt": ""},
			wantCode:   exitUsage,
			wantStderr: []string{"secret.txt is empty"},
		},
		{
			name:       "secret file with only a newline",
			args:       []string{"listen", "--addr", free, "--secret-file", "secret.txt"},
			files:      map[string]string{"secret.txt": "\n"},
			wantCode:   exitUsage,
			wantStderr: []string{"secret.txt is empty"},
		},
		{
			name:       "named env file missing",
			args:       []string{"listen", "--addr", free, "--env-file", "missing.env"},
			wantCode:   exitUsage,
			wantStderr: []string{"missing.env does not exist"},
		},
		{
			name:       "named env file is a directory",
			args:       []string{"listen", "--addr", free, "--env-file", "."},
			wantCode:   exitUsage,
			wantStderr: []string{"env file . is a directory"},
		},
		{
			name:       "default env file missing is fine",
			args:       []string{"listen", "--addr", free},
			wantCode:   exitOK,
			wantStdout: []string{"hooklab listen", "stopped after 0 requests"},
		},
		{
			name:       "env file does not parse",
			args:       []string{"listen", "--addr", free, "--env-file", "bad.env"},
			files:      map[string]string{"bad.env": "WEBHOOK_SECRET=\"unterminated\n"},
			wantCode:   exitUsage,
			wantStderr: []string{"bad.env does not parse"},
		},
		{
			name:       "path without a leading slash",
			args:       []string{"listen", "--addr", free, "--path", "webhook"},
			wantCode:   exitUsage,
			wantStderr: []string{"path must start with /", `"webhook"`},
		},
		{
			name:       "path is the health check",
			args:       []string{"listen", "--addr", free, "--path", "/healthz"},
			wantCode:   exitUsage,
			wantStderr: []string{"not be /healthz"},
		},
		{
			name:       "bad path from the environment",
			args:       []string{"listen", "--addr", free},
			env:        map[string]string{envPath: "hooks"},
			wantCode:   exitUsage,
			wantStderr: []string{`"hooks"`},
		},
		{
			name:       "address without a port",
			args:       []string{"listen", "--addr", "localhost"},
			wantCode:   exitUsage,
			wantStderr: []string{"HOST:PORT", `"localhost"`},
		},
		{
			name:       "address with a port out of range",
			args:       []string{"listen", "--addr", "127.0.0.1:99999"},
			wantCode:   exitUsage,
			wantStderr: []string{"127.0.0.1:99999"},
		},
		{
			name:       "address with an unknown port name",
			args:       []string{"listen", "--addr", "127.0.0.1:no-such-port"},
			wantCode:   exitUsage,
			wantStderr: []string{"127.0.0.1:no-such-port"},
		},
		{
			name:       "bad address from the environment",
			args:       []string{"listen"},
			env:        map[string]string{envAddr: "nowhere"},
			wantCode:   exitUsage,
			wantStderr: []string{`"nowhere"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				mustWriteFile(t, dir, name, content)
			}
			got := runStopped(t, world{env: tt.env, dir: dir}, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(got.stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, got.stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(got.stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, got.stderr)
				}
			}
			if tt.wantCode != exitOK && got.stderr == "" {
				t.Error("a failure printed nothing on stderr")
			}
			if tt.wantCode == exitOK && got.stderr != "" {
				t.Errorf("a success printed on stderr:\n%s", got.stderr)
			}
		})
	}
}

func TestListenAddressInUse(t *testing.T) {
	tests := []struct {
		name   string
		format string
	}{
		{name: "text", format: logText},
		{name: "json", format: logJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			addr := ln.Addr().String()

			got := runStopped(t, world{}, "listen", "--addr", addr, "--log-format", tt.format)
			if got.code != exitError {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, exitError, got.stdout, got.stderr)
			}
			var message string
			switch tt.format {
			case logText:
				message = got.stderr
				if got.stdout != "" {
					t.Errorf("stdout is not empty:\n%s", got.stdout)
				}
			case logJSON:
				// The failure is a log record like any other, and only once.
				records := mustJSONRecords(t, got.stdout)
				if len(records) != 1 || records[0]["msg"] != "listen failed" || records[0]["level"] != "ERROR" {
					t.Fatalf("want one ERROR record \"listen failed\", got:\n%s", got.stdout)
				}
				message, _ = records[0]["error"].(string)
				if got.stderr != "" {
					t.Errorf("stderr is not empty:\n%s", got.stderr)
				}
			}
			for _, want := range []string{addr, "in use", "--addr 127.0.0.1:0"} {
				if !strings.Contains(message, want) {
					t.Errorf("the error does not contain %q: %s", want, message)
				}
			}
		})
	}
}

// failingReader is randomness that has run out.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestListenCannotGenerateSecret(t *testing.T) {
	got := runStopped(t, world{random: failingReader{}}, "listen", "--addr", "127.0.0.1:0")
	if got.code != exitError {
		t.Errorf("exit code %d, want %d\nstderr:\n%s", got.code, exitError, got.stderr)
	}
	if !strings.Contains(got.stderr, "cannot generate a secret") {
		t.Errorf("stderr does not explain the failure:\n%s", got.stderr)
	}
}

func TestExitCode(t *testing.T) {
	usage := usageErrorf("bad flag")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: exitOK},
		{name: "usage error", err: usage, want: exitUsage},
		{name: "wrapped usage error", err: errors.Join(errors.New("context"), usage), want: exitUsage},
		{name: "reported usage error", err: reportedError{usage}, want: exitUsage},
		{name: "other error", err: errors.New("boom"), want: exitError},
		{name: "reported other error", err: reportedError{errors.New("boom")}, want: exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// secretRandom is the randomness `hooklab secret` is given in a test:
// exactly the 32 bytes a secret is made of, different for each seed.
func secretRandom(seed string) []byte {
	sum := sha256.Sum256([]byte("hooklab secret test " + seed))
	return sum[:]
}

// mustProviderSecret returns a new secret in provider's form, made as a
// user makes one: `hooklab secret --provider P`, from secretRandom(seed).
func mustProviderSecret(tb testing.TB, provider, seed string) string {
	tb.Helper()
	got := runHooklab(tb, world{random: bytes.NewReader(secretRandom(seed))}, "secret", "--provider", provider)
	if got.code != exitOK || got.stderr != "" {
		tb.Fatalf("hooklab secret --provider %s: exit code %d\nstdout:\n%s\nstderr:\n%s", provider, got.code, got.stdout, got.stderr)
	}
	secret, ok := strings.CutSuffix(got.stdout, "\n")
	if !ok || secret == "" || strings.Contains(secret, "\n") {
		tb.Fatalf("hooklab secret --provider %s printed %q, not one line", provider, got.stdout)
	}
	return secret
}

func TestSecretCommand(t *testing.T) {
	random := secretRandom(t.Name())
	hexSecret := hex.EncodeToString(random) + "\n"
	standardSecret := "whsec_" + base64.StdEncoding.EncodeToString(random) + "\n"
	tests := []struct {
		name       string
		args       []string // after "secret"
		env        map[string]string
		envFile    string // the contents of hooklab.env, passed with --env-file
		random     []byte // secretRandom(t.Name()) when nil
		wantCode   int
		wantStdout string // exactly, when the exit code is 0
		wantStderr []string
	}{
		{name: "default is github", wantStdout: hexSecret},
		{name: "github", args: []string{"--provider", "github"}, wantStdout: hexSecret},
		{name: "stripe", args: []string{"--provider", "stripe"}, wantStdout: hexSecret},
		{name: "slack", args: []string{"--provider", "slack"}, wantStdout: hexSecret},
		{name: "shopify", args: []string{"--provider", "shopify"}, wantStdout: hexSecret},
		{name: "gitlab", args: []string{"--provider", "gitlab"}, wantStdout: hexSecret},
		{name: "gitea", args: []string{"--provider", "gitea"}, wantStdout: hexSecret},
		{name: "standard", args: []string{"--provider", "standard"}, wantStdout: standardSecret},
		{name: "provider from the environment", env: map[string]string{envProvider: "standard"}, wantStdout: standardSecret},
		{name: "provider from the env file", envFile: envProvider + "=standard\n", wantStdout: standardSecret},
		{name: "flag beats the environment", args: []string{"--provider", "github"}, env: map[string]string{envProvider: "standard"},
			wantStdout: hexSecret},
		{name: "environment beats the env file", env: map[string]string{envProvider: "stripe"}, envFile: envProvider + "=standard\n",
			wantStdout: hexSecret},
		{name: "unknown provider", args: []string{"--provider", "nope"}, wantCode: exitUsage,
			wantStderr: append([]string{`"nope"`}, signing.Providers()...)},
		{name: "unknown provider from the environment", env: map[string]string{envProvider: "nope"}, wantCode: exitUsage,
			wantStderr: append([]string{`"nope"`}, signing.Providers()...)},
		{name: "an argument", args: []string{"extra"}, wantCode: exitUsage,
			wantStderr: []string{"secret takes no arguments", `"extra"`}},
		// 31 bytes are one too few: a secret is never made of fewer.
		{name: "randomness runs out", random: random[:31], wantCode: exitError,
			wantStderr: []string{"cannot generate a secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"secret"}, tt.args...)
			if tt.envFile != "" {
				mustWriteFile(t, dir, "hooklab.env", tt.envFile)
				args = append(args, "--env-file", "hooklab.env")
			}
			r := tt.random
			if r == nil {
				r = random
			}
			got := runHooklab(t, world{env: tt.env, dir: dir, random: bytes.NewReader(r)}, args...)
			checkOutput(t, got, tt.wantCode, nil, tt.wantStderr)
			if tt.wantCode != exitOK {
				if got.stdout != "" {
					t.Errorf("a failure printed on stdout:\n%s", got.stdout)
				}
				return
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", got.stdout, tt.wantStdout)
			}
			if got.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", got.stderr)
			}
		})
	}
}

// TestSecretCommandStandardKey checks that what `hooklab secret --provider
// standard` prints is a secret Standard Webhooks takes, and that its key is
// the 32 random bytes.
func TestSecretCommandStandardKey(t *testing.T) {
	secret := mustProviderSecret(t, signing.ProviderStandard, t.Name())
	if _, err := signing.New(signing.ProviderStandard, []string{secret}, signing.Options{}); err != nil {
		t.Fatalf("signing.New refuses the secret: %v", err)
	}
	key, err := signing.StandardKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, secretRandom(t.Name())) {
		t.Errorf("the key is %x, want the random bytes %x", key, secretRandom(t.Name()))
	}
}

var exportLine = regexp.MustCompile(`(?m)^ +export ` + envSecret + `=(\S+)$`)

// TestListenGeneratesStandardSecret: with no secret, listen --provider
// standard makes one in the whsec_ form, shows it once in the banner, and
// a send with it is accepted.
func TestListenGeneratesStandardSecret(t *testing.T) {
	want := "whsec_" + base64.StdEncoding.EncodeToString(testRandom())
	p := startListen(t, world{}, "listen", "--provider", "standard", "--addr", "127.0.0.1:0", "--color", "never")
	m := exportLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no export line in the banner:\n%s", p.stdout)
	}
	if m[1] != want {
		t.Errorf("the banner's secret is %s, want %s (whsec_ and the base64 of the random bytes)", m[1], want)
	}
	other := mustProviderSecret(t, signing.ProviderStandard, "another")
	sends := []struct {
		name   string
		secret string
		expect string
	}{
		{name: "the generated secret", secret: m[1], expect: "200"},
		{name: "another secret", secret: other, expect: "401"},
	}
	for _, s := range sends {
		got := runHooklab(t, world{random: seededRandom(t.Name() + s.name)},
			"send", "--provider", "standard", "--url", p.webhookURL, "--secret", s.secret, "--expect", s.expect)
		if got.code != exitOK {
			t.Errorf("send with %s: exit code %d, want 0 (a %s answer)\nstdout:\n%s\nstderr:\n%s", s.name, got.code, s.expect, got.stdout, got.stderr)
		}
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}

	// The JSON banner shows the same secret, in the listening record.
	got := runStopped(t, world{}, "listen", "--provider", "standard", "--addr", "127.0.0.1:0", "--log-format", "json")
	if got.code != exitOK {
		t.Fatalf("listen --log-format json: exit code %d\nstderr:\n%s", got.code, got.stderr)
	}
	records := mustJSONRecords(t, got.stdout)
	if len(records) == 0 || records[0]["secret"] != want || records[0]["secret_source"] != "generated" {
		t.Errorf("the listening record does not show the generated secret %s:\n%s", want, got.stdout)
	}
}

// TestListenKeepsGeneratedSecret: the secret listen generates is kept and
// shown once; the next listen reuses it without showing it, send finds it
// on its own, --new-secret replaces it, and a kept file others may read
// is refused.
func TestListenKeepsGeneratedSecret(t *testing.T) {
	config := t.TempDir()
	keptIn := filepath.Join(config, "hooklab", "secret-github")
	w := world{env: map[string]string{"XDG_CONFIG_HOME": config}}
	listen := func(t *testing.T, seed string, args ...string) result {
		t.Helper()
		w := w
		w.random = bytes.NewReader(secretRandom(seed))
		return runStopped(t, w, append([]string{"listen", "--addr", "127.0.0.1:0", "--color", "never"}, args...)...)
	}
	first := listen(t, "first")
	want := hex.EncodeToString(secretRandom("first"))
	if first.code != exitOK || !strings.Contains(first.stdout, "generated, kept in "+keptIn) {
		t.Fatalf("first listen: exit %d; want a banner saying the secret is kept in %s\n%s%s", first.code, keptIn, first.stdout, first.stderr)
	}
	if n := strings.Count(first.stdout+first.stderr, want); n != 1 {
		t.Errorf("the generated secret is shown %d times, want once:\n%s", n, first.stdout)
	}

	again := listen(t, "again")
	if again.code != exitOK || !strings.Contains(again.stdout, "secret  generated earlier, kept in "+keptIn+" (--new-secret for a fresh one)\n") {
		t.Errorf("second listen: exit %d; want a banner saying the secret was kept:\n%s%s", again.code, again.stdout, again.stderr)
	}
	if strings.Contains(again.stdout+again.stderr, want) || strings.Contains(again.stdout, hex.EncodeToString(secretRandom("again"))) {
		t.Errorf("the second listen shows a secret:\n%s", again.stdout)
	}
	js := listen(t, "json", "--log-format", "json")
	if records := mustJSONRecords(t, js.stdout); len(records) == 0 || records[0]["secret_source"] != sourceKept || records[0]["secret_kept_in"] != keptIn || records[0]["secret"] != nil {
		t.Errorf("the JSON banner does not say the secret is kept, or shows it:\n%s", js.stdout)
	}

	// send, in another terminal, signs with it: listen answers 200.
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0")
	sent := runHooklab(t, w, "send", "push", "--url", p.webhookURL, "--expect", "200")
	if sent.code != exitOK || !strings.Contains(sent.stderr, "kept in "+keptIn) {
		t.Errorf("send with the kept secret: exit %d, want 0 and a note on where the secret came from\nstdout:\n%s\nstderr:\n%s", sent.code, sent.stdout, sent.stderr)
	}
	if strings.Contains(sent.stdout+sent.stderr, want) {
		t.Errorf("send shows the kept secret:\n%s%s", sent.stdout, sent.stderr)
	}
	p.stop(t)

	fresh := listen(t, "fresh", "--new-secret")
	wantFresh := hex.EncodeToString(secretRandom("fresh"))
	if fresh.code != exitOK || strings.Count(fresh.stdout, wantFresh) != 1 || strings.Contains(fresh.stdout, want) {
		t.Errorf("--new-secret: exit %d; want the new secret shown once, the old one not at all:\n%s%s", fresh.code, fresh.stdout, fresh.stderr)
	}
	if b, err := os.ReadFile(keptIn); err != nil || string(b) != wantFresh {
		t.Errorf("after --new-secret the kept file holds %q, %v; want the new secret", b, err)
	}

	if err := os.Chmod(keptIn, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"listen", "--addr", "127.0.0.1:0"}, {"send", "--url", p.webhookURL}, {"sign"}} {
		got := runStopped(t, w, args...)
		if got.code != exitUsage || !strings.Contains(got.stderr, "chmod 600 "+keptIn) {
			t.Errorf("%s with a world-readable kept secret: exit %d, want %d and chmod 600\nstderr:\n%s", args[0], got.code, exitUsage, got.stderr)
		}
		if strings.Contains(got.stdout+got.stderr, wantFresh) {
			t.Errorf("%s shows the secret:\n%s%s", args[0], got.stdout, got.stderr)
		}
	}
}

// tryLines returns the banner's try lines: the lines under "  try".
func tryLines(banner string) []string {
	var lines []string
	in := false
	for _, line := range strings.Split(banner, "\n") {
		switch {
		case strings.HasPrefix(line, "  try     "):
			in = true
		case in && strings.HasPrefix(line, "          "):
			lines = append(lines, strings.TrimSpace(line))
		default:
			in = false
		}
	}
	return lines
}

// TestBannerTryLinesRun: whatever the secret's source, the banner's try
// lines run as printed, from a shell in the directory listen was started
// in, with the built hooklab on the PATH, and are answered 200. Only for
// a secret from --secret or the environment does that shell need
// WEBHOOK_SECRET, as the banner says.
func TestBannerTryLinesRun(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "openssl", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	bin := mustBuild(t)
	const configured = "configured-0123456789abcdef0123456789"
	tests := []struct {
		name     string
		args     []string
		env      map[string]string // listen's environment
		files    map[string]string // in the directory
		shellEnv map[string]string // what the banner says the shell needs
		runs     int               // listens before the one tried: 1 has kept the secret
	}{
		{name: "generated and kept"},
		{name: "kept earlier", runs: 1},
		{name: "kept for stripe", args: []string{"--provider", "stripe"}, runs: 1},
		{name: "secret file", args: []string{"--secret-file", "my secret.txt"}, files: map[string]string{"my secret.txt": configured + "\n"}},
		{name: "env file", files: map[string]string{defaultEnvFile: envSecret + "=" + configured + "\n"}},
		{name: "named env file", args: []string{"--env-file", "hooklab.env"}, files: map[string]string{"hooklab.env": envSecret + "=" + configured + "\n"}},
		{name: "environment", env: map[string]string{envSecret: configured}, shellEnv: map[string]string{envSecret: configured}},
		{name: "flag", args: []string{"--secret", configured}, shellEnv: map[string]string{envSecret: configured}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, home, config := t.TempDir(), t.TempDir(), t.TempDir()
			for name, content := range tt.files {
				mustWriteFile(t, dir, name, content)
			}
			env := map[string]string{"XDG_CONFIG_HOME": config}
			for k, v := range tt.env {
				env[k] = v
			}
			// The real clock: the hooklab run by the lines signs with it.
			w := world{dir: dir, env: env, clock: time.Now}
			args := append([]string{"listen", "--addr", "127.0.0.1:0", "--color", "never"}, tt.args...)
			for range tt.runs {
				if got := runStopped(t, w, args...); got.code != exitOK {
					t.Fatalf("listen: exit %d\n%s%s", got.code, got.stdout, got.stderr)
				}
			}
			p := startListen(t, w, args...)
			lines := tryLines(p.stdout.String())
			if len(lines) == 0 {
				t.Fatalf("no try lines in the banner:\n%s", p.stdout)
			}
			for _, line := range lines {
				cmd := exec.Command("sh", "-c", line)
				cmd.Dir = dir
				// A fresh shell: this machine's PATH, with hooklab on it;
				// a home of the test's, never the real one.
				cmd.Env = []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
					"HOME=" + home, "XDG_CONFIG_HOME=" + config}
				for k, v := range tt.shellEnv {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				out, err := cmd.CombinedOutput()
				if err != nil || (strings.HasPrefix(line, "body=") && !strings.Contains(string(out), `"status":200`)) {
					t.Errorf("try line %s\nfailed (%v), want it answered 200:\n%s\nbanner:\n%s", line, err, out, p.stdout)
				}
			}
			if code := p.stop(t); code != exitOK {
				t.Errorf("listen: exit %d", code)
			}
		})
	}
}

// TestKeptSecretRefused: listen, send and sign refuse, with exit 2 and
// what to do, a kept secret that is not a regular file of the user's in a
// directory only the user may enter, and never wait on it: a FIFO at its
// path once made them hang.
func TestKeptSecretRefused(t *testing.T) {
	const value = "kept-secret-value-0123456789abcdef"
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) // dir: where secrets are kept
		wantErr string
	}{
		{name: "a FIFO", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(dir, "secret-github"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "is a named pipe, not a regular file"},
		{name: "a symlink", setup: func(t *testing.T, dir string) {
			mustKeepFor(t, dir, "stripe", value)
			if err := os.Symlink(filepath.Join(dir, "secret-stripe"), filepath.Join(dir, "secret-github")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "is a symbolic link"},
		{name: "a directory others may enter", setup: func(t *testing.T, dir string) {
			mustKeepFor(t, dir, "github", value)
			mustChmod(t, dir, 0o755)
		}, wantErr: "(mode 0755): run chmod 700 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := t.TempDir()
			dir := filepath.Join(config, "hooklab")
			tt.setup(t, dir)
			w := world{env: map[string]string{"XDG_CONFIG_HOME": config}}
			for _, args := range [][]string{{"listen", "--addr", "127.0.0.1:0"}, {"send", "--url", mustClosedURL(t)}, {"sign"}} {
				got := runStopped(t, w, args...)
				if got.code != exitUsage || !strings.Contains(got.stderr, tt.wantErr) || !strings.Contains(got.stderr, dir) {
					t.Errorf("%s: exit %d, want %d and an error saying %q about %s\nstderr:\n%s", args[0], got.code, exitUsage, tt.wantErr, dir, got.stderr)
				}
				checkNoSecret(t, got, value)
			}
		})
	}
}

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

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

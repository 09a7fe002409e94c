package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The example in GitHub's "Validating webhook deliveries" documentation
// (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
// GitHub documents only the SHA-256 signature; the SHA-1 one is checked
// against crypto/hmac in TestSignVectorSHA1 (and agrees with
// `openssl dgst -sha1 -hmac`).
const (
	vectorSecret = "It's a Secret to Everybody"
	vectorBody   = "Hello, World!"
	vectorSHA256 = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	vectorSHA1   = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"
	vectorOutput = "X-Hub-Signature-256: " + vectorSHA256 + "\nX-Hub-Signature: " + vectorSHA1 + "\n"
)

// signGitHubSHA1 returns the legacy X-Hub-Signature value for body,
// computed with crypto/hmac, independently of the package under test.
func signGitHubSHA1(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

func TestSignVectorSHA1(t *testing.T) {
	if got := signGitHubSHA1(vectorSecret, []byte(vectorBody)); got != vectorSHA1 {
		t.Errorf("HMAC-SHA1 of the documented example = %s, want %s", got, vectorSHA1)
	}
	if got := signGitHub(vectorSecret, []byte(vectorBody)); got != vectorSHA256 {
		t.Errorf("HMAC-SHA256 of the documented example = %s, want %s", got, vectorSHA256)
	}
}

func TestSign(t *testing.T) {
	// A body that is not the vector's, signed byte for byte: its trailing
	// newline counts.
	const fileBody = "{\"zen\":\"Keep it logically awesome.\"}\n"
	fileOutput := "X-Hub-Signature-256: " + signGitHub(vectorSecret, []byte(fileBody)) +
		"\nX-Hub-Signature: " + signGitHubSHA1(vectorSecret, []byte(fileBody)) + "\n"
	tests := []struct {
		name       string
		args       []string // after "sign"
		env        map[string]string
		files      map[string]string // written into the working directory
		stdin      string
		wantCode   int
		wantStdout string // exactly, when the exit code is 0
		wantStderr []string
	}{
		{name: "documented vector from standard input", args: []string{"--secret", vectorSecret}, stdin: vectorBody,
			wantStdout: vectorOutput},
		{name: "dash is standard input", args: []string{"--file", "-", "--secret", vectorSecret}, stdin: vectorBody,
			wantStdout: vectorOutput},
		{name: "file", args: []string{"--file", "body.txt", "--secret", vectorSecret}, files: map[string]string{"body.txt": vectorBody},
			stdin: "not this", wantStdout: vectorOutput},
		{name: "file signed byte for byte", args: []string{"--file", "body.json", "--secret", vectorSecret},
			files: map[string]string{"body.json": fileBody}, wantStdout: fileOutput},
		{name: "flags in another order", args: []string{"--secret", vectorSecret, "--file", "body.txt"},
			files: map[string]string{"body.txt": vectorBody}, wantStdout: vectorOutput},
		{name: "secret from the environment", env: map[string]string{envSecret: vectorSecret}, stdin: vectorBody,
			wantStdout: vectorOutput},
		{name: "secret file", args: []string{"--secret-file", "secret.txt"}, files: map[string]string{"secret.txt": vectorSecret + "\n"},
			stdin: vectorBody, wantStdout: vectorOutput},
		{name: "env file", args: []string{"--env-file", "hooklab.env"}, files: map[string]string{"hooklab.env": envSecret + "=\"" + vectorSecret + "\"\n"},
			stdin: vectorBody, wantStdout: vectorOutput},
		{name: "secret flag beats the environment", args: []string{"--secret", vectorSecret}, env: map[string]string{envSecret: otherSecret},
			stdin: vectorBody, wantStdout: vectorOutput},
		{name: "empty body", args: []string{"--secret", vectorSecret},
			wantStdout: "X-Hub-Signature-256: " + signGitHub(vectorSecret, nil) + "\nX-Hub-Signature: " + signGitHubSHA1(vectorSecret, nil) + "\n"},
		{name: "no secret", stdin: vectorBody, wantCode: exitUsage,
			wantStderr: []string{"no secret to sign with", envSecret, "--secret"}},
		{name: "empty secret flag", args: []string{"--secret", ""}, env: map[string]string{envSecret: vectorSecret}, stdin: vectorBody,
			wantCode: exitUsage, wantStderr: []string{"--secret is empty"}},
		{name: "file does not exist", args: []string{"--file", "missing.json", "--secret", vectorSecret}, wantCode: exitUsage,
			wantStderr: []string{"cannot read the body", "missing.json"}},
		{name: "file without a path", args: []string{"--secret", vectorSecret, "--file"}, wantCode: exitUsage,
			wantStderr: []string{"flag needs an argument", "file"}},
		{name: "extra argument", args: []string{"body.txt", "--secret", vectorSecret}, files: map[string]string{"body.txt": vectorBody},
			wantCode: exitUsage, wantStderr: []string{"sign takes no arguments", `"body.txt"`, "--file"}},
		{name: "secret file does not exist", args: []string{"--secret-file", "missing.txt"}, stdin: vectorBody, wantCode: exitUsage,
			wantStderr: []string{"--secret-file", "missing.txt"}},
		{name: "secret and secret file", args: []string{"--secret", vectorSecret, "--secret-file", "secret.txt"},
			files: map[string]string{"secret.txt": vectorSecret}, stdin: vectorBody, wantCode: exitUsage,
			wantStderr: []string{"--secret and --secret-file"}},
		{name: "unknown flag", args: []string{"--frobnicate"}, wantCode: exitUsage, wantStderr: []string{"frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				mustWriteFile(t, dir, name, content)
			}
			got := runHooklab(t, world{env: tt.env, dir: dir, stdin: tt.stdin}, append([]string{"sign"}, tt.args...)...)
			checkOutput(t, got, tt.wantCode, nil, tt.wantStderr)
			if tt.wantCode == exitOK {
				if got.stdout != tt.wantStdout {
					t.Errorf("stdout = %q, want %q", got.stdout, tt.wantStdout)
				}
				if rest := withoutSecretWarnings(got.stderr); rest != "" {
					t.Errorf("stderr is not empty:\n%s", rest)
				}
			} else if got.stdout != "" {
				t.Errorf("a failure printed on stdout:\n%s", got.stdout)
			}
			checkNoSecret(t, got, vectorSecret, otherSecret)
		})
	}
}

// TestSignEndToEnd pastes sign's first line into a request, as the help's
// curl example does, and sends it to a real listen.
func TestSignEndToEnd(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}}, "listen", "--addr", "127.0.0.1:0")
	got := runHooklab(t, world{env: map[string]string{envSecret: sendSecret}, stdin: pingBody}, "sign")
	if got.code != exitOK {
		t.Fatalf("sign: exit code %d\nstderr:\n%s", got.code, got.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("sign printed %d lines, want 2:\n%s", len(lines), got.stdout)
	}
	header := func(line string) map[string]string {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%q is not 'Name: value'", line)
		}
		return map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "ping", name: value}
	}

	status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), header(lines[0]))
	if status != http.StatusOK {
		t.Errorf("with %s: status %d, want 200; answer %s", lines[0], status, answer)
	}
	// The legacy SHA-1 header alone is never enough.
	status, answer = send(t, http.MethodPost, p.webhookURL, []byte(pingBody), header(lines[1]))
	if status != http.StatusUnauthorized || !strings.Contains(answer, "signature_missing") {
		t.Errorf("with only %s: status %d, want 401 signature_missing; answer %s", lines[1], status, answer)
	}
	// The same line with another body does not verify.
	status, answer = send(t, http.MethodPost, p.webhookURL, []byte(pingBody+" "), header(lines[0]))
	if status != http.StatusUnauthorized || !strings.Contains(answer, "signature_mismatch") {
		t.Errorf("with %s and another body: status %d, want 401 signature_mismatch; answer %s", lines[0], status, answer)
	}
}

// watchedInput is standard input that records whether anything read it.
type watchedInput struct {
	r    io.Reader
	read bool
}

func (w *watchedInput) Read(p []byte) (int, error) {
	w.read = true
	return w.r.Read(p)
}

// A mistake in the configuration of sign or send --file - (one request or
// a load run) is reported before standard input is read: someone typing a
// body, or piping in a large one, hears of it at once instead of after the
// end of the input.
func TestConfigurationCheckedBeforeReading(t *testing.T) {
	sendFile := func(args ...string) []string {
		return append([]string{"send", "--file", "-", "--url", "http://127.0.0.1:9/webhook"}, args...)
	}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantStderr []string
	}{
		{name: "sign: unknown provider", args: []string{"sign", "--provider", "nope", "--secret", "x"},
			wantStderr: []string{`unknown provider "nope"`}},
		{name: "sign: unknown provider from the environment", args: []string{"sign", "--secret", "x"}, env: map[string]string{envProvider: "nope"},
			wantStderr: []string{`unknown provider "nope"`}},
		{name: "sign: standard secret not in its form", args: []string{"sign", "--provider", "standard", "--secret", "x"},
			wantStderr: []string{"cannot use the secret from --secret", "whsec_"}},
		{name: "sign: no secret", args: []string{"sign"}, wantStderr: []string{"no secret to sign with"}},
		{name: "sign: unknown provider without a secret", args: []string{"sign", "--provider", "nope"},
			wantStderr: []string{`unknown provider "nope"`}},
		{name: "sign: secret file does not exist", args: []string{"sign", "--secret-file", "missing.txt"},
			wantStderr: []string{"--secret-file", "missing.txt"}},
		{name: "send: standard secret not in its form", args: sendFile("--provider", "standard", "--secret", "x"),
			wantStderr: []string{"cannot use the secret from --secret", "whsec_"}},
		{name: "send: no secret", args: sendFile("--event", "push"), wantStderr: []string{"no secret to sign with"}},
		{name: "send: event of a provider that has it in the payload", args: sendFile("--provider", "stripe", "--secret", "x", "--event", "charge.succeeded"),
			wantStderr: []string{"--event", "payload"}},
		{name: "send: sign with all for github", args: sendFile("--secret", "x", "--event", "push", "--sign-with-all"),
			wantStderr: []string{"--sign-with-all"}},
		{name: "send: bad expect", args: sendFile("--secret", "x", "--event", "push", "--expect", "abc"),
			wantStderr: []string{"--expect"}},
		{name: "send load: malformed length", args: sendFile("--secret", "x", "--event", "push", "--count", "5", "--length", "missing"),
			wantStderr: []string{"--length missing", "load mode"}},
		{name: "send load: bad concurrency", args: sendFile("--secret", "x", "--event", "push", "--count", "5", "--concurrency", "0"),
			wantStderr: []string{"--concurrency"}},
		{name: "send load: one delivery id", args: sendFile("--secret", "x", "--event", "push", "--count", "5", "--delivery", "d-1"),
			wantStderr: []string{"--delivery"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &watchedInput{r: strings.NewReader(vectorBody)}
			got := runHooklab(t, world{env: tt.env, input: in}, tt.args...)
			checkOutput(t, got, exitUsage, nil, tt.wantStderr)
			if in.read {
				t.Error("standard input was read before the configuration was found wrong")
			}
		})
	}
}

// send and sign warn, as listen and check do, about a secret that is short
// or has white space around it (a newline kept from a file), on stderr,
// without printing it; a good secret gets no warning.
func TestSendAndSignWarnAboutTheSecret(t *testing.T) {
	target := mustAnswer200(t)
	const good = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name       string
		secret     string
		wantStderr string
	}{
		{name: "short", secret: "hunter2", wantStderr: "hooklab: warning: the secret from WEBHOOK_SECRET is 7 characters; use at least 32"},
		{name: "a trailing newline", secret: good + "\n", wantStderr: "hooklab: warning: the secret from WEBHOOK_SECRET starts or ends with white space"},
		{name: "spaces around it", secret: "  " + good + " ", wantStderr: "starts or ends with white space"},
		{name: "good", secret: good},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{"send", "ping", "--url", target}, {"sign"}} {
			t.Run(tt.name+"/"+args[0], func(t *testing.T) {
				got := runHooklab(t, world{env: map[string]string{envSecret: tt.secret}, stdin: pingBody}, args...)
				if got.code != exitOK {
					t.Fatalf("exit %d, want 0; stderr:\n%s", got.code, got.stderr)
				}
				if tt.wantStderr == "" && strings.Contains(got.stderr, "warning") {
					t.Errorf("a warning for a good secret:\n%s", got.stderr)
				}
				if !strings.Contains(got.stderr, tt.wantStderr) {
					t.Errorf("stderr:\n%s\nwant %q", got.stderr, tt.wantStderr)
				}
				checkNoSecret(t, got, strings.TrimSpace(tt.secret))
			})
		}
	}
}

// withoutSecretWarnings is stderr without the warnings about the secret
// (the documented vectors' secrets are short): what else sign printed.
func withoutSecretWarnings(stderr string) string {
	var rest strings.Builder
	for line := range strings.Lines(stderr) {
		if !strings.HasPrefix(line, "hooklab: warning: the secret from ") {
			rest.WriteString(line)
		}
	}
	return rest.String()
}

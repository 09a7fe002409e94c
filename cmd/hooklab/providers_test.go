package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// startProviderListen starts `hooklab listen --provider provider` on a free
// port with JSON logs, and any more args.
func startProviderListen(tb testing.TB, w world, provider string, args ...string) *listenProcess {
	tb.Helper()
	return startListen(tb, w, append([]string{"listen", "--provider", provider, "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
}

// sendWith runs `hooklab send` with args, with randomness of its own
// (seed), so that each delivery gets an id of its own.
func sendWith(tb testing.TB, seed string, env map[string]string, args ...string) result {
	tb.Helper()
	return runHooklab(tb, world{env: env, random: seededRandom(seed)}, append([]string{"send"}, args...)...)
}

// loggedDeliveries returns listen's JSON records of deliveries, first
// deliveries and redeliveries alike.
func loggedDeliveries(tb testing.TB, out string) []map[string]any {
	tb.Helper()
	var found []map[string]any
	for _, rec := range mustJSONRecords(tb, out) {
		if rec["msg"] == receiver.MsgDelivery || rec["msg"] == receiver.MsgRedelivery {
			found = append(found, rec)
		}
	}
	return found
}

// stopAll stops every listen and checks that each exited 0. A listen that
// check sent body-too-large to takes a while to shut down, so they are all
// told to stop before any is waited for.
func stopAll(tb testing.TB, listens ...*listenProcess) {
	tb.Helper()
	for _, p := range listens {
		p.cancel()
	}
	for _, p := range listens {
		if code := p.stop(tb); code != exitOK {
			tb.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
		}
	}
}

// hmacSHA256 is the MAC every HMAC scheme is built on, computed here with
// crypto/hmac so that no expectation comes from the package under test.
func hmacSHA256(key []byte, parts ...string) []byte {
	mac := hmac.New(sha256.New, key)
	for _, p := range parts {
		mac.Write([]byte(p))
	}
	return mac.Sum(nil)
}

// TestProviderRoundTrip sends every fixture of every provider with
// `hooklab send --provider P` to `hooklab listen --provider P`, each with a
// secret from `hooklab secret --provider P`, and checks both ends.
func TestProviderRoundTrip(t *testing.T) {
	for _, name := range signing.Providers() {
		t.Run(name, func(t *testing.T) {
			list := fixtures.ForProvider(name)
			if len(list) < 2 {
				t.Fatalf("%s has %d fixtures, want at least 2", name, len(list))
			}
			secret := mustProviderSecret(t, name, t.Name())
			p := startProviderListen(t, world{env: map[string]string{envSecret: secret}}, name)

			type delivery struct {
				name    string
				fixture []string // send's argument
				sent    string   // the fixture sent
				event   string
			}
			// With no fixture named, send sends the provider's first.
			deliveries := []delivery{{name: "no fixture", sent: list[0].Name, event: list[0].Event}}
			for _, f := range list {
				deliveries = append(deliveries, delivery{name: f.Name, fixture: []string{f.Name}, sent: f.Name, event: f.Event})
			}
			wantEvents := map[string]int{}
			for _, d := range deliveries {
				args := append([]string{"--provider", name, "--url", p.webhookURL, "--secret", secret}, d.fixture...)
				got := sendWith(t, t.Name()+"/"+d.name, nil, args...)
				checkOutput(t, got, exitOK, []string{" 200 ", "fixture " + d.sent + ","}, nil)
				checkNoSecret(t, got, secret)
				wantEvents[d.event]++
			}
			if code := p.stop(t); code != exitOK {
				t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
			}

			logged := loggedDeliveries(t, p.stdout.String())
			gotEvents := map[string]int{}
			for _, rec := range logged {
				if rec[receiver.KeyStatus] != 200.0 || rec[receiver.KeyProvider] != name {
					t.Errorf("logged %v, want status 200 and provider %s", rec, name)
				}
				event, _ := rec[receiver.KeyEvent].(string)
				gotEvents[event]++
			}
			if !maps.Equal(gotEvents, wantEvents) {
				t.Errorf("listen logged these events (with their counts) %v, want %v\n%s", gotEvents, wantEvents, p.stdout)
			}
		})
	}
}

// TestSendInfersProvider: a fixture of another provider names the
// provider, unless one was chosen with --provider or HOOKLAB_PROVIDER.
func TestSendInfersProvider(t *testing.T) {
	secret := mustProviderSecret(t, signing.ProviderStripe, t.Name())
	p := startProviderListen(t, world{env: map[string]string{envSecret: secret}}, signing.ProviderStripe)
	tests := []struct {
		name       string
		args       []string // after the URL and the secret
		env        map[string]string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "the fixture names stripe", args: []string{"stripe/customer.created"},
			wantStdout: []string{" 200 ", "customer.created", "fixture stripe/customer.created,"}},
		{name: "the same provider named", args: []string{"--provider", "stripe", "stripe/customer.created"},
			wantStdout: []string{" 200 ", "fixture stripe/customer.created,"}},
		{name: "another provider named", args: []string{"--provider", "github", "stripe/customer.created"}, wantCode: exitUsage,
			wantStderr: []string{"stripe/customer.created", "stripe's", "github's"}},
		{name: "another provider from the environment", args: []string{"stripe/customer.created"},
			env: map[string]string{envProvider: "slack"}, wantCode: exitUsage, wantStderr: []string{"stripe's", "slack's"}},
		// Set in the environment, github is chosen as much as any other.
		{name: "github from the environment", args: []string{"stripe/customer.created"},
			env: map[string]string{envProvider: "github"}, wantCode: exitUsage, wantStderr: []string{"stripe's", "github's"}},
		{name: "a GitHub fixture for stripe", args: []string{"--provider", "stripe", "push"}, wantCode: exitUsage,
			wantStderr: []string{"push", "github's", "stripe's"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--url", p.webhookURL, "--secret", secret}, tt.args...)
			got := sendWith(t, t.Name(), tt.env, args...)
			checkOutput(t, got, tt.wantCode, tt.wantStdout, tt.wantStderr)
			if tt.wantCode == exitUsage && got.stdout != "" {
				t.Errorf("a usage error sent something:\n%s", got.stdout)
			}
			checkNoSecret(t, got, secret)
		})
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	// Only the two accepted deliveries reached listen.
	logged := loggedDeliveries(t, p.stdout.String())
	if len(logged) != 2 {
		t.Fatalf("listen logged %d deliveries, want 2:\n%s", len(logged), p.stdout)
	}
	for _, rec := range logged {
		if rec[receiver.KeyStatus] != 200.0 || rec[receiver.KeyEvent] != "customer.created" {
			t.Errorf("logged %v, want a 200 for customer.created", rec)
		}
	}
}

// TestProviderFromEnvironment: HOOKLAB_PROVIDER, from the environment or an
// env file, chooses the scheme for listen, send, sign and check, and
// --provider beats it.
func TestProviderFromEnvironment(t *testing.T) {
	stripeSecret := mustProviderSecret(t, signing.ProviderStripe, t.Name()+"/stripe")
	slackSecret := mustProviderSecret(t, signing.ProviderSlack, t.Name()+"/slack")
	stripe := startProviderListen(t, world{env: map[string]string{envSecret: stripeSecret}}, signing.ProviderStripe)
	slack := startProviderListen(t, world{env: map[string]string{envSecret: slackSecret}}, signing.ProviderSlack)
	allPassed := func(provider string) string {
		scenarios, err := check.ScenariosFor(provider)
		if err != nil {
			t.Fatal(err)
		}
		return "✓ all " + strconv.Itoa(len(scenarios)) + " scenarios passed\n"
	}
	if allPassed("stripe") == allPassed("github") || allPassed("slack") == allPassed("github") {
		t.Fatal("stripe or slack has as many scenarios as github: the check cases below cannot tell which ran")
	}

	fromEnv := map[string]string{envProvider: "stripe"}
	const fromFile = envProvider + "=stripe\n"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		envFile    string // the contents of hooklab.env, passed with --env-file
		wantStdout []string
	}{
		{name: "listen, environment", args: []string{"listen", "--addr", "127.0.0.1:0", "--log-format", "json"},
			env: fromEnv, wantStdout: []string{`"provider":"stripe"`}},
		{name: "listen, env file", args: []string{"listen", "--addr", "127.0.0.1:0", "--log-format", "json"},
			envFile: fromFile, wantStdout: []string{`"provider":"stripe"`}},
		{name: "listen, environment beats the env file", args: []string{"listen", "--addr", "127.0.0.1:0", "--log-format", "json"},
			env: map[string]string{envProvider: "slack"}, envFile: fromFile, wantStdout: []string{`"provider":"slack"`}},
		{name: "listen, flag beats both", args: []string{"listen", "--provider", "gitea", "--addr", "127.0.0.1:0", "--log-format", "json"},
			env: fromEnv, envFile: fromFile, wantStdout: []string{`"provider":"gitea"`}},
		// Signed the wrong way, each send would get 401 and exit 1.
		{name: "send, environment", args: []string{"send", "--url", stripe.webhookURL, "--secret", stripeSecret},
			env: fromEnv, wantStdout: []string{" 200 ", "fixture stripe/"}},
		{name: "send, env file", args: []string{"send", "--url", stripe.webhookURL, "--secret", stripeSecret},
			envFile: fromFile, wantStdout: []string{" 200 ", "fixture stripe/"}},
		{name: "send, flag beats both", args: []string{"send", "--provider", "slack", "--url", slack.webhookURL, "--secret", slackSecret},
			env: fromEnv, envFile: fromFile, wantStdout: []string{" 200 ", "fixture slack/"}},
		{name: "sign, environment", args: []string{"sign", "--secret", stripeSecret, "--timestamp", "1533204620"},
			env: fromEnv, wantStdout: []string{"Stripe-Signature: t=1533204620,v1="}},
		{name: "sign, env file", args: []string{"sign", "--secret", stripeSecret, "--timestamp", "1533204620"},
			envFile: fromFile, wantStdout: []string{"Stripe-Signature: t=1533204620,v1="}},
		{name: "sign, flag beats both", args: []string{"sign", "--provider", "slack", "--secret", slackSecret, "--timestamp", "1533204620"},
			env: fromEnv, envFile: fromFile, wantStdout: []string{"X-Slack-Signature: v0="}},
		{name: "check, environment", args: []string{"check", stripe.webhookURL, "--secret", stripeSecret},
			env: fromEnv, wantStdout: []string{allPassed("stripe")}},
		{name: "check, env file", args: []string{"check", stripe.webhookURL, "--secret", stripeSecret},
			envFile: fromFile, wantStdout: []string{allPassed("stripe")}},
		{name: "check, flag beats both", args: []string{"check", "--provider", "slack", slack.webhookURL, "--secret", slackSecret},
			env: fromEnv, envFile: fromFile, wantStdout: []string{allPassed("slack")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tt.args
			if tt.envFile != "" {
				mustWriteFile(t, dir, "hooklab.env", tt.envFile)
				args = append(slices.Clone(args), "--env-file", "hooklab.env")
			}
			w := world{env: tt.env, dir: dir, stdin: `{"id":"evt_1","type":"customer.created"}`, random: seededRandom(t.Name())}
			var got result
			if args[0] == "listen" {
				got = runStopped(t, w, args...)
			} else {
				got = runHooklab(t, w, args...)
			}
			checkOutput(t, got, exitOK, tt.wantStdout, nil)
		})
	}
	stopAll(t, stripe, slack)
}

// TestRotation: listen accepts a delivery signed with any of its secrets,
// from repeated --secret or WEBHOOK_SECRET_PREVIOUS; send signs with the
// first, or with every one under --sign-with-all (stripe and standard).
func TestRotation(t *testing.T) {
	for _, provider := range []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderGitHub} {
		t.Run(provider, func(t *testing.T) {
			secret := func(seed string) string { return mustProviderSecret(t, provider, t.Name()+"/"+seed) }
			newSecret, oldSecret, third := secret("new"), secret("old"), secret("third")
			listens := []struct {
				name string
				env  map[string]string
				args []string
			}{
				{name: "two --secret flags", args: []string{"--secret", newSecret, "--secret", oldSecret}},
				{name: "WEBHOOK_SECRET_PREVIOUS", env: map[string]string{envSecret: newSecret, envSecretPrevious: oldSecret}},
			}
			sends := []struct {
				name   string
				secret string
				want   string // the status expected
			}{
				{name: "new secret", secret: newSecret, want: "200"},
				{name: "old secret", secret: oldSecret, want: "200"},
				{name: "a third secret", secret: third, want: "401"},
			}
			for _, l := range listens {
				t.Run(l.name, func(t *testing.T) {
					p := startProviderListen(t, world{env: l.env}, provider, l.args...)
					for _, s := range sends {
						got := sendWith(t, t.Name()+"/"+s.name, nil,
							"--provider", provider, "--url", p.webhookURL, "--secret", s.secret, "--expect", s.want)
						if got.code != exitOK {
							t.Errorf("signed with the %s: exit code %d, want 0 (a %s answer)\nstdout:\n%s\nstderr:\n%s",
								s.name, got.code, s.want, got.stdout, got.stderr)
						}
					}
					if code := p.stop(t); code != exitOK {
						t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
					}
					checkNoSecret(t, result{stdout: p.stdout.String(), stderr: p.stderr.String()}, newSecret, oldSecret)
				})
			}
		})
	}

	// --sign-with-all, against a listen that knows only the second secret.
	for _, provider := range []string{signing.ProviderStripe, signing.ProviderStandard} {
		t.Run(provider+"/sign with all", func(t *testing.T) {
			secret := func(seed string) string { return mustProviderSecret(t, provider, t.Name()+"/"+seed) }
			a, b := secret("a"), secret("b")
			p := startProviderListen(t, world{}, provider, "--secret", b)
			tests := []struct {
				name string
				env  map[string]string
				args []string
				want string // the status expected
			}{
				{name: "both flags, signed with all", args: []string{"--secret", a, "--secret", b, "--sign-with-all"}, want: "200"},
				{name: "both flags, signed with the first", args: []string{"--secret", a, "--secret", b}, want: "401"},
				{name: "the one it knows first", args: []string{"--secret", b, "--secret", a}, want: "200"},
				{name: "environment, signed with all", env: map[string]string{envSecret: a, envSecretPrevious: b},
					args: []string{"--sign-with-all"}, want: "200"},
				{name: "environment, signed with the first", env: map[string]string{envSecret: a, envSecretPrevious: b}, want: "401"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					args := append([]string{"--provider", provider, "--url", p.webhookURL, "--expect", tt.want}, tt.args...)
					got := sendWith(t, t.Name(), tt.env, args...)
					if got.code != exitOK {
						t.Errorf("exit code %d, want 0 (a %s answer)\nstdout:\n%s\nstderr:\n%s", got.code, tt.want, got.stdout, got.stderr)
					}
					checkNoSecret(t, got, a, b)
				})
			}
		})
	}
}

// TestTolerance: the timestamped schemes refuse a delivery signed further
// from listen's clock than --tolerance, either way, with 401 and
// timestamp_out_of_range; --tolerance 0 turns the check off. Both ends run
// on the test's clock, testNow.
func TestTolerance(t *testing.T) {
	const reason = string(receiver.ReasonTimestampOutOfRange)
	tests := []struct {
		name       string
		provider   string
		tolerance  []string // listen's --tolerance, if any
		offset     int64    // seconds from testNow that send signs at
		wantCode   int
		wantStdout []string
	}{
		{name: "stripe, 10 minutes old, default tolerance", provider: "stripe", offset: -600,
			wantCode: exitError, wantStdout: []string{" 401 ", reason}},
		{name: "stripe, 10 minutes ahead, default tolerance", provider: "stripe", offset: 600,
			wantCode: exitError, wantStdout: []string{" 401 ", reason}},
		{name: "stripe, 4 minutes old, default tolerance", provider: "stripe", offset: -240, wantStdout: []string{" 200 "}},
		{name: "stripe, 10 minutes old, tolerance 0", provider: "stripe", tolerance: []string{"--tolerance", "0"}, offset: -600,
			wantStdout: []string{" 200 "}},
		{name: "stripe, 10 minutes old, tolerance 15m", provider: "stripe", tolerance: []string{"--tolerance", "15m"}, offset: -600,
			wantStdout: []string{" 200 "}},
		{name: "slack, 10 minutes old, default tolerance", provider: "slack", offset: -600,
			wantCode: exitError, wantStdout: []string{" 401 ", reason}},
		{name: "slack, 10 minutes old, tolerance 0", provider: "slack", tolerance: []string{"--tolerance", "0"}, offset: -600,
			wantStdout: []string{" 200 "}},
		{name: "standard, 10 minutes old, default tolerance", provider: "standard", offset: -600,
			wantCode: exitError, wantStdout: []string{" 401 ", reason}},
		{name: "standard, 10 minutes old, tolerance 15m", provider: "standard", tolerance: []string{"--tolerance", "15m"}, offset: -600,
			wantStdout: []string{" 200 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := mustProviderSecret(t, tt.provider, t.Name())
			p := startProviderListen(t, world{env: map[string]string{envSecret: secret}}, tt.provider, tt.tolerance...)
			got := sendWith(t, t.Name(), map[string]string{envSecret: secret},
				"--provider", tt.provider, "--url", p.webhookURL, "--timestamp", strconv.FormatInt(testNow.Unix()+tt.offset, 10))
			checkOutput(t, got, tt.wantCode, tt.wantStdout, nil)
			if code := p.stop(t); code != exitOK {
				t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
			}
			logged := loggedDeliveries(t, p.stdout.String())
			if len(logged) != 1 {
				t.Fatalf("listen logged %d deliveries, want 1:\n%s", len(logged), p.stdout)
			}
			wantReason := ""
			if tt.wantCode != exitOK {
				wantReason = reason
			}
			if got, _ := logged[0][receiver.KeyReason].(string); got != wantReason {
				t.Errorf("listen logged the reason %q, want %q", got, wantReason)
			}
		})
	}

	t.Run("negative", func(t *testing.T) {
		got := runStopped(t, world{}, "listen", "--provider", "stripe", "--addr", "127.0.0.1:0", "--tolerance", "-1s")
		checkOutput(t, got, exitUsage, nil, []string{"--tolerance", "-1s"})
	})
}

// signLines reads sign's output as header lines, in order.
func signLines(tb testing.TB, out string) [][2]string {
	tb.Helper()
	var lines [][2]string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			tb.Fatalf("line %q is not 'Name: value':\n%s", line, out)
		}
		lines = append(lines, [2]string{name, value})
	}
	return lines
}

func TestSignProviders(t *testing.T) {
	body := fixtures.ForProvider(signing.ProviderStripe)[0].Body
	const ts = "1533204620"
	// A Standard Webhooks secret and its key, as the spec defines it: the
	// base64 after whsec_, decoded.
	standardKey := secretRandom("standard key")
	standardSecret := "whsec_" + base64.StdEncoding.EncodeToString(standardKey)
	const other = "sign-provider-Secret-3c7e0a91d5f24b68"
	hexMAC := func(key string, parts ...string) string { return hex.EncodeToString(hmacSHA256([]byte(key), parts...)) }
	b64MAC := func(key []byte, parts ...string) string {
		return base64.StdEncoding.EncodeToString(hmacSHA256(key, parts...))
	}
	tests := []struct {
		name      string
		args      []string // after "sign"
		body      string   // the file's contents; the stripe fixture when ""
		wantLines [][2]string
	}{
		{name: "stripe", args: []string{"--provider", "stripe", "--secret", "whsec_test", "--timestamp", ts},
			wantLines: [][2]string{{"Stripe-Signature", "t=" + ts + ",v1=" + hexMAC("whsec_test", ts+".", string(body))}}},
		{name: "standard", args: []string{"--provider", "standard", "--secret", standardSecret, "--id", "msg_x", "--timestamp", ts},
			wantLines: [][2]string{
				{"Webhook-Signature", "v1," + b64MAC(standardKey, "msg_x."+ts+".", string(body))},
				{"Webhook-Id", "msg_x"},
				{"Webhook-Timestamp", ts},
			}},
		// Source: standard-webhooks/standard-webhooks libraries/go/webhook_test.go
		// (the same vector is in every official library's tests).
		{name: "standard, the published vector",
			args: []string{"--provider", "standard", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				"--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330"},
			body: `{"test": 2432232314}`,
			wantLines: [][2]string{
				{"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
				{"Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
				{"Webhook-Timestamp", "1614265330"},
			}},
		{name: "slack", args: []string{"--provider", "slack", "--secret", other, "--timestamp", ts},
			wantLines: [][2]string{
				{"X-Slack-Signature", "v0=" + hexMAC(other, "v0:"+ts+":", string(body))},
				{"X-Slack-Request-Timestamp", ts},
			}},
		{name: "shopify", args: []string{"--provider", "shopify", "--secret", other},
			wantLines: [][2]string{{"X-Shopify-Hmac-Sha256", b64MAC([]byte(other), string(body))}}},
		{name: "gitea", args: []string{"--provider", "gitea", "--secret", other},
			wantLines: [][2]string{{"X-Gitea-Signature", hexMAC(other, string(body))}}},
		// GitLab signs nothing: its scheme IS the secret, sent as a token, so
		// sign prints the secret itself.
		{name: "gitlab", args: []string{"--provider", "gitlab", "--secret", other},
			wantLines: [][2]string{{"X-Gitlab-Token", other}}},
		{name: "github", args: []string{"--provider", "github", "--secret", other},
			wantLines: [][2]string{
				{"X-Hub-Signature-256", signGitHub(other, body)},
				{"X-Hub-Signature", signGitHubSHA1(other, body)},
			}},
		{name: "github is the default", args: []string{"--secret", other},
			wantLines: [][2]string{
				{"X-Hub-Signature-256", signGitHub(other, body)},
				{"X-Hub-Signature", signGitHubSHA1(other, body)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			content := tt.body
			if content == "" {
				content = string(body)
			}
			mustWriteFile(t, dir, "body.json", content)
			got := runHooklab(t, world{dir: dir}, append([]string{"sign", "--file", "body.json"}, tt.args...)...)
			checkOutput(t, got, exitOK, nil, nil)
			if rest := withoutSecretWarnings(got.stderr); rest != "" {
				t.Errorf("stderr is not empty:\n%s", rest)
			}
			lines := signLines(t, got.stdout)
			if len(lines) != len(tt.wantLines) {
				t.Fatalf("sign printed %d lines, want %d:\n%s", len(lines), len(tt.wantLines), got.stdout)
			}
			for i, want := range tt.wantLines {
				// Header names are case-insensitive; the values are exact.
				if !strings.EqualFold(lines[i][0], want[0]) || lines[i][1] != want[1] {
					t.Errorf("line %d = %s: %s, want %s: %s", i+1, lines[i][0], lines[i][1], want[0], want[1])
				}
			}
		})
	}
}

// TestStandardBadSecret: a Standard Webhooks secret that is not whsec_ and
// the base64 of enough bytes is a usage error that says so, without the
// secret, in every command, before anything is sent: the URL is closed, so
// a command that tried would fail with exit 1 instead.
func TestStandardBadSecret(t *testing.T) {
	good := mustProviderSecret(t, signing.ProviderStandard, t.Name())
	closed := mustClosedURL(t)
	const notBase64 = "plain-Secret-not-base64-0123456789!"
	tests := []struct {
		name       string
		secret     string // the bad one
		args       []string
		env        map[string]string
		wantStderr []string
	}{
		{name: "sign, not base64", secret: notBase64, args: []string{"sign", "--secret", notBase64},
			wantStderr: []string{"whsec_", "base64", "does not decode"}},
		{name: "sign, whsec_ but not base64", secret: "whsec_not*base64*at*all", args: []string{"sign", "--secret", "whsec_not*base64*at*all"},
			wantStderr: []string{"whsec_", "does not decode"}},
		{name: "sign, too short", secret: "whsec_c2l4dGVlbi1ieXRlLWtleQ==", args: []string{"sign", "--secret", "whsec_c2l4dGVlbi1ieXRlLWtleQ=="},
			wantStderr: []string{"at least 24 bytes", "decodes to 16"}},
		{name: "listen", secret: notBase64, args: []string{"listen", "--addr", "127.0.0.1:0", "--secret", notBase64},
			wantStderr: []string{"cannot use the secret", "does not decode"}},
		{name: "send", secret: notBase64, args: []string{"send", "--url", closed, "--secret", notBase64},
			wantStderr: []string{"cannot use the secret", "does not decode"}},
		// Even when only the first secret signs, a bad one being rotated
		// out is a mistake to hear about.
		{name: "send, previous secret", secret: notBase64, args: []string{"send", "--url", closed},
			env: map[string]string{envSecret: good, envSecretPrevious: notBase64}, wantStderr: []string{"cannot use the secret", "does not decode"}},
		{name: "check", secret: notBase64, args: []string{"check", closed, "--secret", notBase64},
			wantStderr: []string{"cannot use the secret", "does not decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(slices.Clone(tt.args), "--provider", "standard")
			w := world{env: tt.env, stdin: pingBody, random: seededRandom(t.Name())}
			var got result
			if args[0] == "listen" {
				got = runStopped(t, w, args...)
			} else {
				got = runHooklab(t, w, args...)
			}
			checkOutput(t, got, exitUsage, nil, append([]string{"hooklab secret --provider standard"}, tt.wantStderr...))
			if got.stdout != "" {
				t.Errorf("a failure printed on stdout:\n%s", got.stdout)
			}
			checkNoSecret(t, got, tt.secret, strings.TrimPrefix(tt.secret, "whsec_"), good)
		})
	}
}

// TestCheckProviders runs check --provider P against listen --provider P:
// every scenario of P's matrix passes.
func TestCheckProviders(t *testing.T) {
	var listens []*listenProcess
	for _, name := range signing.Providers() {
		secret := mustProviderSecret(t, name, t.Name()+"/"+name)
		p := startListen(t, world{}, "listen", "--provider", name, "--addr", "127.0.0.1:0", "--secret", secret)
		listens = append(listens, p)
		t.Run(name, func(t *testing.T) {
			scenarios, err := check.ScenariosFor(name)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, s := range scenarios {
				want = append(want, s.Name)
			}
			got := runCheckCommand(t, world{}, "--provider", name, p.webhookURL, "--secret", secret)
			checkOutput(t, got, exitOK, []string{"hooklab check " + p.webhookURL}, nil)
			checkNoSecret(t, got, secret)
			rows, last := mustCheckTable(t, got.stdout)
			checkTableVerdicts(t, rows, want, nil)
			if wantLast := "✓ all " + strconv.Itoa(len(want)) + " scenarios passed"; last != wantLast {
				t.Errorf("last line %q, want %q", last, wantLast)
			}

			list := runCheckCommand(t, world{}, "--provider", name, "--list")
			checkOutput(t, list, exitOK, nil, nil)
			var listed []string
			for _, line := range strings.Split(strings.TrimSuffix(list.stdout, "\n"), "\n")[1:] {
				listed = append(listed, strings.Fields(line)[0])
			}
			if !slices.Equal(listed, want) {
				t.Errorf("check --provider %s --list lists %q, want %q", name, listed, want)
			}
		})
	}

	t.Run("HOOKLAB_PROVIDER lists", func(t *testing.T) {
		got := runCheckCommand(t, world{env: map[string]string{envProvider: "gitlab"}}, "--list")
		checkOutput(t, got, exitOK, nil, nil)
		scenarios, err := check.ScenariosFor("gitlab")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(got.stdout, "\n") - 1; n != len(scenarios) {
			t.Errorf("%d rows, want gitlab's %d:\n%s", n, len(scenarios), got.stdout)
		}
	})

	for _, args := range [][]string{{"--list"}, {"http://127.0.0.1:1/webhook", "--secret", checkSecret}} {
		t.Run("unknown provider "+args[0], func(t *testing.T) {
			got := runCheckCommand(t, world{}, append([]string{"--provider", "nope"}, args...)...)
			checkOutput(t, got, exitUsage, nil, append([]string{`"nope"`}, signing.Providers()...))
		})
	}
	stopAll(t, listens...)
}

// TestListenBannerProviders: for a provider other than GitHub the banner
// names the scheme and shows a hooklab send line; the curl line signs the
// GitHub way, so it is left out.
func TestListenBannerProviders(t *testing.T) {
	for _, name := range signing.Providers() {
		github := name == signing.ProviderGitHub
		t.Run(name+"/text", func(t *testing.T) {
			got := runStopped(t, world{}, "listen", "--provider", name, "--addr", "127.0.0.1:0", "--color", "never")
			checkOutput(t, got, exitOK, nil, nil)
			u, ok := bannerURL(got.stdout)
			if !ok {
				t.Fatalf("no banner:\n%s", got.stdout)
			}
			hasScheme := strings.Contains(got.stdout, "\n  scheme  "+name+"\n")
			hasCurl := strings.Contains(got.stdout, "curl ")
			if hasScheme == github || hasCurl != github {
				t.Errorf("scheme line: %v, curl line: %v; want %v and %v:\n%s", hasScheme, hasCurl, !github, github, got.stdout)
			}
			if !github && !strings.Contains(got.stdout, "\n          hooklab send --provider "+name+" --url "+u+"\n") {
				t.Errorf("no line 'hooklab send --provider %s --url %s':\n%s", name, u, got.stdout)
			}
		})
		t.Run(name+"/json", func(t *testing.T) {
			got := runStopped(t, world{}, "listen", "--provider", name, "--addr", "127.0.0.1:0", "--log-format", "json")
			checkOutput(t, got, exitOK, nil, nil)
			records := mustJSONRecords(t, got.stdout)
			if len(records) == 0 || records[0]["msg"] != "listening" {
				t.Fatalf("no listening record:\n%s", got.stdout)
			}
			rec := records[0]
			if rec["provider"] != name {
				t.Errorf("provider = %v, want %s", rec["provider"], name)
			}
			if _, hasTry := rec["try"]; hasTry != github {
				t.Errorf("a try (curl) attribute: %v, want %v: %v", hasTry, github, rec)
			}
			u, _ := rec["url"].(string)
			if !github && rec["send"] != "hooklab send --provider "+name+" --url "+u {
				t.Errorf("send = %v, want the hooklab send line for %s", rec["send"], name)
			}
		})
	}

	t.Run("golden", func(t *testing.T) {
		cfg := listenConfig{provider: signing.ProviderStripe, tolerance: signing.DefaultTolerance, path: "/webhook", maxBody: 25 << 20,
			secret: secret{value: "whsec_configured0123456789abcdef0123", others: []string{"whsec_previous0123456789abcdef0123"}, source: "--secret"}}
		b := banner{url: "http://127.0.0.1:8080", bound: "127.0.0.1:8080", cfg: cfg}
		var text bytes.Buffer
		b.print(&text, slog.New(receiver.NewTextHandler(&text, false)))
		golden.Check(t, "banner-stripe.txt", text.Bytes())
		var js bytes.Buffer
		b.cfg.json = true
		b.print(&js, jsonLogger(&js))
		mustJSONRecords(t, js.String())
		golden.Check(t, "banner-stripe.json", js.Bytes())
	})
}

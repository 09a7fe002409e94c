package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/receiver"
)

// listen --help lists exactly the statuses in the receiver's reason table.
func TestListenHelpListsEveryStatus(t *testing.T) {
	got := runHooklab(t, world{}, "listen", "--help")
	checkOutput(t, got, exitOK, nil, nil)
	m := regexp.MustCompile(`machine-readable reason \(([0-9, ]+)\)`).FindStringSubmatch(got.stdout)
	if m == nil {
		t.Fatalf("no list of statuses in listen --help:\n%s", got.stdout)
	}
	var listed []int
	for _, word := range strings.Split(m[1], ", ") {
		n, err := strconv.Atoi(word)
		if err != nil {
			t.Fatalf("%q in the list of statuses is not a number", word)
		}
		listed = append(listed, n)
	}
	var want []int
	for _, r := range receiver.Reasons() {
		want = append(want, r.Status)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(listed, want) {
		t.Errorf("listen --help lists %v, the receiver answers %v", listed, want)
	}
}

// send --help says what send does with each provider: which fixture it
// sends when none is named, and which providers take --event (and so
// need it with --file).
func TestSendHelpMatchesBehaviour(t *testing.T) {
	help := runHooklab(t, world{}, "send", "--help")
	checkOutput(t, help, exitOK, []string{"With no fixture it sends the provider's first (ping for GitHub"}, nil)
	if first := fixtures.ForProvider(provider.All()[0].Name)[0].Name; first != "ping" || provider.All()[0].Name != "github" {
		t.Errorf("GitHub's first fixture is %s, the help says ping", first)
	}
	refusedBy := func(flag, before, after string) []string {
		t.Helper()
		for line := range strings.Lines(help.stdout) {
			if !strings.HasPrefix(strings.TrimSpace(line), flag+" ") {
				continue
			}
			_, rest, ok := strings.Cut(line, before)
			list, _, ok2 := strings.Cut(rest, after)
			if !ok || !ok2 {
				t.Fatalf("the %s line does not name the providers %q…%q: %s", flag, before, after, line)
			}
			return strings.FieldsFunc(strings.ReplaceAll(list, " and ", ", "), func(r rune) bool { return r == ',' || r == ' ' })
		}
		t.Fatalf("no %s in send --help", flag)
		return nil
	}
	noEvent := refusedBy("--event", "refused for ", ", whose")
	noFileEvent := refusedBy("--file", "except for ", " (their")

	dir := t.TempDir()
	payload := mustWriteFile(t, dir, "payload.json", filePayload)
	for _, p := range provider.All() {
		t.Run(p.Name, func(t *testing.T) {
			env := map[string]string{envSecret: mustProviderSecret(t, p.Name, "help")}
			url := mustClosedURL(t)

			// No fixture named: the provider's first is what is sent.
			got := runHooklab(t, world{env: env}, "send", "--provider", p.Name, "--json", "--url", url)
			var rep struct {
				Request sentRequest `json:"request"`
			}
			if err := json.Unmarshal([]byte(got.stdout), &rep); err != nil {
				t.Fatalf("send --json: %v\n%s%s", err, got.stdout, got.stderr)
			}
			if want := "fixture " + fixtures.ForProvider(p.Name)[0].Name; rep.Request.Source != want {
				t.Errorf("with no fixture it sent %q, want %q", rep.Request.Source, want)
			}

			// --event: refused exactly for the providers the help names.
			got = runHooklab(t, world{env: env}, "send", "--provider", p.Name, "--event", "some.event", "--url", url)
			if refused, said := got.code == exitUsage, slices.Contains(noEvent, p.Name); refused != said {
				t.Errorf("--event refused: %v; the help says refused: %v\n%s", refused, said, got.stderr)
			}

			// --file without --event: needs it exactly where the help says.
			got = runHooklab(t, world{env: env, dir: dir}, "send", "--provider", p.Name, "--file", payload, "--url", url)
			if needs, said := strings.Contains(got.stderr, "needs --event"), !slices.Contains(noFileEvent, p.Name); needs != said {
				t.Errorf("--file needs --event: %v; the help says it does: %v\n%s", needs, said, got.stderr)
			}
		})
	}
}

// TestHelpShows: each command's --help names its usage, examples and the
// flags the README documents, says it on stdout alone, and exits 0.
func TestHelpShows(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStdout []string
	}{
		{name: "hooklab", args: []string{"--help"},
			wantStdout: []string{"COMMANDS:", "send ", "send a fixture or any payload", "sign ", "print the signature headers",
				"check ", "run the conformance scenarios", "demo ", "a one-command tour", "hooklab demo",
				"secret ", "print a new random secret", "replay ", "send captured deliveries", "--provider"}},
		{name: "listen", args: []string{"listen", "--help"}, wantStdout: []string{"--provider", envProvider, "--tolerance", envSecretPrevious,
			"--record", "--record-max", "--show", "--show-max", "--forward-to", "--forward-timeout", "--forward-concurrency", "--forward-all",
			"--forward-secret", envForwardSecret, "--forward-provider", "--events", "--exec", "--exec-timeout", "--exec-concurrency", "--exec-queue",
			"--exec-async", "hooklab listen --forward-to http://127.0.0.1:3000/webhook --record captures.ndjson --show all",
			"--ui", "--ui-addr", "--expect-events", "--max-events", "--timeout", "--allow-refused", "--json", "--ready-file",
			"--respond", "--respond-body", "--respond-header", "--delay", "--drop", "--seed", "--tls", "--tls-cert", "--tls-key", "--tls-dir"}},
		{name: "verify", args: []string{"verify", "--help"},
			wantStdout: []string{"hooklab verify FILE --seq N", "Examples:", "--file", "--header", "--secret", "--tolerance", "--json"}},
		{name: "replay", args: []string{"replay", "--help"},
			wantStdout: []string{"hooklab replay FILE", "Examples:", "--seq", "--last", "--event", "--status", "--url", "--resign", "--new-id",
				"--expect", "--list", "--export", "--out"}},
		{name: "send", args: []string{"send", "--help"},
			wantStdout: []string{"hooklab send [FIXTURE]", "Examples:", "hooklab send push --signature wrong --expect 401", "--expect", "--length",
				"--provider", envProvider, "--timestamp", "--id", "--sign-with-all"}},
		{name: "sign", args: []string{"sign", "--help"},
			wantStdout: []string{"hooklab sign [--file PATH|-]", "Examples:", `hooklab sign --secret "It's a Secret to Everybody"`,
				"--provider", envProvider, "--timestamp", "--id"}},
		{name: "check", args: []string{"check", "--help"},
			wantStdout: []string{"hooklab check [URL]", "Examples:", "hooklab check http://127.0.0.1:3000/github/webhook --secret-file secret.txt",
				"--expect", "--accept-2xx", "--only", "--skip", "--max-body", "--format", "--timeout", "--list",
				"--provider", envProvider, "--tolerance"}},
		{name: "demo", args: []string{"demo", "--help"},
			wantStdout: []string{"hooklab demo [--provider github] [--color", "Example:", "go run ./cmd/hooklab demo", "--provider", envProvider}},
		{name: "secret", args: []string{"secret", "--help"}, wantStdout: []string{"hooklab secret [--provider NAME]", "--provider", envProvider}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHooklab(t, world{}, tt.args...)
			checkOutput(t, got, exitOK, tt.wantStdout, nil)
			if got.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", got.stderr)
			}
		})
	}
}

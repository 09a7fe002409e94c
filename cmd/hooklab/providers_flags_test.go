package main

import (
	"strings"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
)

func TestSignWithAllOnlyForListSchemes(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		wantCode int
	}{
		// Refused before anything is sent, so the closed URL is never dialled.
		{name: "github has one signature", provider: "github", wantCode: exitUsage},
		{name: "slack has one signature", provider: "slack", wantCode: exitUsage},
		{name: "stripe lists several", provider: "stripe", wantCode: exitError}, // then refused by the closed port
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHooklab(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}},
				"send", "--provider", tt.provider, "--sign-with-all", "--secret", strings.Repeat("a", 40),
				"--secret", strings.Repeat("b", 40), "--url", mustClosedURL(t))
			if got.code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			if tt.wantCode == exitUsage && !strings.Contains(got.stderr, "--sign-with-all") {
				t.Errorf("stderr does not explain: %s", got.stderr)
			}
		})
	}
}

func TestSendListFollowsProviderFromEnvironment(t *testing.T) {
	got := runHooklab(t, world{env: map[string]string{envProvider: "stripe"}}, "send", "--list")
	checkOutput(t, got, exitOK, nil, nil)
	rows := strings.Split(strings.TrimSpace(got.stdout), "\n")[1:]
	if want := len(fixtures.ForProvider("stripe")); len(rows) != want {
		t.Fatalf("%d rows, want stripe's %d:\n%s", len(rows), want, got.stdout)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r, "stripe ") {
			t.Errorf("row %q is not stripe's", r)
		}
	}
}

// Flags that would be reported as sent but could not be are refused.
func TestSendRefusesFlagsTheProviderCannotSend(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "stripe event is the body's type", args: []string{"--provider", "stripe", "--event", "foo.bar"}, want: "--event"},
		{name: "slack id is the body's event_id", args: []string{"--provider", "slack", "--id", "Ev1"}, want: "--id"},
		{name: "github signs no timestamp", args: []string{"--provider", "github", "--timestamp", "1"}, want: "--timestamp"},
		{name: "gitlab signs no timestamp", args: []string{"--provider", "gitlab", "--timestamp", "1"}, want: "--timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"send", "--url", mustClosedURL(t)}, tt.args...)
			got := runHooklab(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}}, args...)
			if got.code != exitUsage || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %s", got.code, got.stderr, tt.want)
			}
		})
	}
}

// A Stripe payload sent from a file reports the event and id it carries.
func TestSendReportsTheEventInTheBody(t *testing.T) {
	dir := t.TempDir()
	path := mustWriteFile(t, dir, "ev.json", `{"id":"evt_from_file","object":"event","type":"charge.refunded","data":{"object":{}}}`)
	got := runHooklab(t, world{dir: dir, env: map[string]string{envSecret: strings.Repeat("s", 40)}},
		"send", "--provider", "stripe", "--file", path, "--json", "--url", mustClosedURL(t))
	if !strings.Contains(got.stdout, `"event":"charge.refunded"`) || !strings.Contains(got.stdout, `"delivery":"evt_from_file"`) {
		t.Errorf("the report does not name the body's event and id:\n%s", got.stdout)
	}
}

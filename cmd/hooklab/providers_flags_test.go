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

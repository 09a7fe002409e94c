package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Work cut short by Ctrl-C says "interrupted", in those words, and exits 1;
// it never shows Go's "context canceled". Here the context is done before
// anything is sent, as when Ctrl-C comes while connecting.
func TestInterruptedSaysSo(t *testing.T) {
	silent := mustSilentServer(t)
	tests := []struct {
		name       string
		args       []string
		wantStderr []string
	}{
		{name: "send", args: []string{"send", "push", "--secret", sendSecret, "--url", silent},
			wantStderr: []string{"interrupted before " + silent + " answered"}},
		{name: "send --json", args: []string{"send", "push", "--secret", sendSecret, "--url", silent, "--json"}},
		{name: "check", args: []string{"check", silent, "--secret", sendSecret},
			wantStderr: []string{"check interrupted before a scenario finished"}},
		{name: "demo", args: []string{"demo"}, wantStderr: []string{"demo interrupted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runStopped(t, world{}, tt.args...)
			checkOutput(t, got, exitError, nil, tt.wantStderr)
			if out := got.stdout + got.stderr; strings.Contains(out, "context canceled") || !strings.Contains(out, "interrupted") {
				t.Errorf("the output does not say interrupted in plain words:\nstdout:\n%s\nstderr:\n%s", got.stdout, got.stderr)
			}
		})
	}
}

// check interrupted part way prints the scenarios that finished, then says
// how many, in plain words.
func TestCheckInterruptedPartWay(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The receiver answers the first request; the second is the Ctrl-C,
	// which comes before its answer.
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n > 1 {
			cancel()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	var stdout, stderr bytes.Buffer
	sys := world{}.system(t, &stdout, &stderr)
	code := runWith(ctx, []string{"hooklab", "check", srv.URL + "/webhook", "--secret", sendSecret}, sys)
	got := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	checkOutput(t, got, exitError, []string{"SCENARIO"}, []string{"check interrupted after "})
	if strings.Contains(got.stderr, "context canceled") {
		t.Errorf("stderr says context canceled: %s", got.stderr)
	}
}

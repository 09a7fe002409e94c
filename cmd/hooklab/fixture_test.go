package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen as a CI step for a sender: a retrying sender (exponential
// backoff) against scripted answers; listen stops after --max-events,
// reports the expectations and the retries, and exits by them.
func TestListenTestsARetryingSender(t *testing.T) {
	const secret = "fixture-test-secret-0123456789abcdef"
	ready := filepath.Join(t.TempDir(), "ready")
	// The real clock: the intervals between attempts are the point.
	p := startListen(t, world{env: map[string]string{envSecret: secret}, clock: time.Now},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--expect-events", "ping", "--max-events", "3",
		"--respond", "500,500,200", "--ready-file", ready)
	addr, err := os.ReadFile(ready)
	if err != nil || !strings.Contains(p.webhookURL, strings.TrimSpace(string(addr))) {
		t.Fatalf("--ready-file holds %q (%v), the listener is at %s", addr, err, p.webhookURL)
	}
	// The sender under test: retries with backoff until a 2xx.
	backoff := []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}
	var statuses []int
	for attempt := 0; ; attempt++ {
		status, _ := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "d-retry"))
		statuses = append(statuses, status)
		if status < 300 || attempt == len(backoff) {
			break
		}
		time.Sleep(backoff[attempt])
	}
	if fmt.Sprint(statuses) != "[500 500 200]" {
		t.Fatalf("the sender got %v, want 500 500 200 as scripted", statuses)
	}
	select {
	case p.code = <-p.done:
		p.stopped = true
	case <-time.After(failsafe):
		t.Fatal("listen did not stop after --max-events 3")
	}
	if p.code != exitOK {
		t.Fatalf("listen exited %d, want 0: the expectations held\n%s", p.code, p.stdout)
	}
	lines := strings.Split(strings.TrimSpace(p.stdout.String()), "\n")
	var rep struct {
		OK      bool `json:"ok"`
		Retries []struct {
			ID           string    `json:"id"`
			Attempts     int       `json:"attempts"`
			IntervalsMS  []float64 `json:"intervals_ms"`
			FirstSuccess int       `json:"first_success"`
		} `json:"retries"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("the last line is not the report: %v\n%s", err, lines[len(lines)-1])
	}
	if !rep.OK || len(rep.Retries) != 1 || rep.Retries[0].Attempts != 3 || rep.Retries[0].FirstSuccess != 3 {
		t.Fatalf("report %+v", rep)
	}
	for i, iv := range rep.Retries[0].IntervalsMS {
		if iv < float64(backoff[i].Milliseconds()) {
			t.Errorf("interval %d is %.1f ms, shorter than the sender's backoff %s", i, iv, backoff[i])
		}
	}
	// The log says which attempt each was.
	recs := recordsWith(mustJSONRecords(t, strings.Join(lines[:len(lines)-1], "\n")+"\n"), "redelivery")
	if len(recs) != 2 || recs[1]["attempt"] != 3.0 || recs[1]["answered"] != nil {
		t.Errorf("the retries' records: %v", recs)
	}
}

// An expectation that does not hold, or a refused delivery, exits 1.
func TestListenExpectationsFail(t *testing.T) {
	const secret = "fixture-test-secret-0123456789abcdef"
	tests := []struct {
		name string
		args []string
		bad  bool // send a delivery with a wrong signature
		want string
	}{
		{name: "an event that never came", args: []string{"--expect-events", "ping,release", "--timeout", "300ms"}, want: "release"},
		{name: "a refused delivery", args: []string{"--expect-events", "ping", "--max-events", "2"}, bad: true, want: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startListen(t, world{env: map[string]string{envSecret: secret}}, append([]string{"listen", "--addr", "127.0.0.1:0"}, tt.args...)...)
			send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "d-1"))
			if tt.bad {
				send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders("wrong-secret-0123456789abcdef0123", "d-2"))
			}
			select {
			case p.code = <-p.done:
				p.stopped = true
			case <-time.After(failsafe):
				t.Fatal("listen did not stop by itself")
			}
			if p.code != exitError || !strings.Contains(p.stdout.String(), tt.want) {
				t.Errorf("exit %d, want 1 with %q in\n%s", p.code, tt.want, p.stdout)
			}
		})
	}
}

func TestListenFixtureUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "a bad count", args: []string{"--expect-events", "push=zero"}, want: "--expect-events"},
		{name: "a bad status", args: []string{"--respond", "700"}, want: "--respond"},
		{name: "a bad delay", args: []string{"--delay", "2s-1s"}, want: "--delay"},
		{name: "a bad share", args: []string{"--drop", "1.5"}, want: "--drop"},
		{name: "scripted answers and a forward", args: []string{"--respond", "500", "--forward-to", "http://127.0.0.1:1/"}, want: "choose one"},
		{name: "--json alone", args: []string{"--json"}, want: "--json go with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runStopped(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}},
				append([]string{"listen", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 saying %q", res.code, res.stderr, tt.want)
			}
		})
	}
}

// Scripted answers alone: the stop summary shows the retries, and a
// refused delivery does not make the exit 1 (nothing was expected).
func TestListenScriptedShowsRetries(t *testing.T) {
	const secret = "fixture-test-secret-0123456789abcdef"
	p := startListen(t, world{env: map[string]string{envSecret: secret}}, "listen", "--addr", "127.0.0.1:0", "--respond", "503,200")
	for range 2 {
		send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "d-again"))
	}
	send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders("wrong-secret-0123456789abcdef0123", "d-bad"))
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit %d, want 0", code)
	}
	if out := p.stdout.String(); !strings.Contains(out, "d-again") || !strings.Contains(out, "attempt 2") {
		t.Errorf("the summary does not show the retry:\n%s", out)
	}
}

// send prints the SHA-256 of the body it sent in the form listen logs for
// a refused signature, so the two compare at a glance.
func TestSendBodySHA256MatchesListen(t *testing.T) {
	const secret = "sha-test-secret-0123456789abcdef0123"
	w := world{env: map[string]string{envSecret: secret}}
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	res := runHooklab(t, w, "send", "push", "--url", p.webhookURL, "--signature", "wrong", "--expect", "401")
	p.stop(t)
	recs := recordsWith(mustJSONRecords(t, p.stdout.String()), "delivery")
	if len(recs) != 1 {
		t.Fatalf("listen logged %v", recs)
	}
	sum, _ := recs[0]["body_sha256"].(string)
	if res.code != exitOK || sum == "" || !strings.Contains(res.stdout, "body_sha256="+sum) {
		t.Errorf("send printed %q (exit %d); listen logged body_sha256 %s", res.stdout, res.code, sum)
	}
}

// An unknown fixture name suggests the nearest one.
func TestSendSuggestsAFixture(t *testing.T) {
	tests := []struct{ name, arg, want string }{
		{name: "a dash for an underscore", arg: "pull-request", want: "did you mean pull_request?"},
		{name: "a typo", arg: "pusj", want: "did you mean push?"},
		{name: "nothing near", arg: "zzzzzzzzzzzz", want: "the fixtures are"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runHooklab(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}}, "send", tt.arg, "--url", "http://127.0.0.1:1/webhook")
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 with %q", res.code, res.stderr, tt.want)
			}
		})
	}
}

// demo takes --provider (and HOOKLAB_PROVIDER) like every other command.
func TestDemoProvider(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "--provider stripe", args: []string{"demo", "--provider", "stripe"}, want: "scenarios passed"},
		{name: "HOOKLAB_PROVIDER", args: []string{"demo"}, env: map[string]string{envProvider: "standard"}, want: "scenarios passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runHooklab(t, world{env: tt.env, random: rand.Reader}, append(tt.args, "--color", "never")...)
			if res.code != exitOK || !strings.Contains(res.stdout, tt.want) {
				t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			name := tt.env[envProvider]
			if name == "" {
				name = tt.args[2]
			}
			if !strings.Contains(res.stdout, "Stripe-Signature") && name == "stripe" || !strings.Contains(res.stdout, "webhook-signature") && name == "standard" {
				t.Errorf("the demo did not speak %s's scheme:\n%s", name, res.stdout)
			}
		})
	}
	if res := runHooklab(t, world{}, "demo", "--provider", "nope"); res.code != exitUsage {
		t.Errorf("an unknown provider: exit %d, want 2", res.code)
	}
}

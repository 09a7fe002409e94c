package check_test

// These tests run the whole matrix against receivers in process: hooklab's
// own, behind receiver.Serve, and small ones written here with net/http,
// correct or broken on purpose, each of which must fail exactly the
// scenarios its fault shows in.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/receiver"
)

// answer is a status and the machine-readable reason hooklab gives with it.
type answer struct {
	status int
	reason string
}

// hooklabAnswers returns what hooklab's receiver answers each scenario: the
// scenario's expected status, and the reason that shows the request reached
// the check the scenario is about (signature-no-prefix is refused as
// malformed, not as a mismatch; length-over-body as incomplete, ...).
func hooklabAnswers() map[string]answer {
	ok := answer{200, "ok"}
	return map[string]answer{
		"valid-json":           ok,
		"valid-form":           ok,
		"ping":                 ok,
		"unknown-event":        ok,
		"both-signatures":      ok,
		"signature-missing":    {401, "signature_missing"},
		"wrong-secret":         {401, "signature_mismatch"},
		"body-changed":         {401, "signature_mismatch"},
		"signature-no-prefix":  {401, "signature_malformed"},
		"signature-not-hex":    {401, "signature_malformed"},
		"signature-truncated":  {401, "signature_malformed"},
		"signature-empty":      {401, "signature_malformed"},
		"sha1-only":            {401, "signature_missing"},
		"length-missing":       {411, "length_required"},
		"chunked":              {411, "length_required"},
		"length-over-body":     {400, "body_incomplete"},
		"length-under-body":    {401, "signature_mismatch"},
		"invalid-json":         {400, "invalid_json"},
		"empty-body":           {400, "invalid_json"},
		"event-missing":        {400, "event_missing"},
		"body-too-large":       {413, "body_too_large"},
		"wrong-method":         {405, "method_not_allowed"},
		"wrong-content-type":   {415, "unsupported_media_type"},
		"form-without-payload": {400, "payload_missing"},
		"still-up":             ok,
	}
}

func TestRunAgainstHooklabReceiver(t *testing.T) {
	t.Parallel()
	const small = 64 << 10
	tests := []struct {
		name        string
		receiverMax int64 // receiver.Config.MaxBody; 0 for its default
		checkMax    int64 // check.Config.MaxBody; 0 for its default
		wantFailed  []string
		// differ holds the answers that are not hooklabAnswers'.
		differ map[string]answer
	}{
		{name: "default limits"},
		{name: "small limit, told to check", receiverMax: small, checkMax: small},
		{
			// check declares its default limit plus one: over the
			// receiver's smaller limit too, so still refused by size.
			name: "check's limit larger than the receiver's", receiverMax: small,
		},
		{
			// check declares a length the receiver takes, sends no body
			// and closes its write side: the body is incomplete, not too
			// large.
			name: "check's limit smaller than the receiver's", receiverMax: small, checkMax: small / 2,
			wantFailed: []string{"body-too-large"},
			differ:     map[string]answer{"body-too-large": {400, "body_incomplete"}},
		},
		{
			name: "check's limit smaller than the receiver's default", checkMax: small,
			wantFailed: []string{"body-too-large"},
			differ:     map[string]answer{"body-too-large": {400, "body_incomplete"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := mustServeHooklab(t, receiver.Config{MaxBody: tt.receiverMax})
			cfg := config(u)
			cfg.MaxBody = tt.checkMax
			report := mustRun(t, cfg)

			assertFailed(t, report, tt.wantFailed)
			want := hooklabAnswers()
			for name, a := range tt.differ {
				want[name] = a
			}
			for _, res := range report.Results {
				if w := want[res.Scenario]; res.Status != w.status || res.Reason != w.reason {
					t.Errorf("%s: answered %d %q, want %d %q", res.Scenario, res.Status, res.Reason, w.status, w.reason)
				}
			}
			if report.URL != u.String() {
				t.Errorf("Report.URL = %q, want %q", report.URL, u)
			}
		})
	}
}

func TestRunAgainstBrokenReceivers(t *testing.T) {
	t.Parallel()
	wrongSecret := hooklabStatuses("not " + testSecret)
	chunked := hooklabStatuses(testSecret)
	chunked.allowChunked = true
	tests := []struct {
		name       string
		handler    http.Handler
		wantFailed []string
		// wantDetail holds the Detail of some of the failures.
		wantDetail map[string]string
	}{
		{
			// The control: the receiver the broken ones are made from.
			name:    "written from GitHub's docs, hooklab's statuses",
			handler: hooklabStatuses(testSecret),
		},
		{
			name:    "answers 200 to anything",
			handler: okHandler(),
			wantFailed: []string{"signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-hex", "signature-truncated", "signature-empty", "sha1-only", "length-missing",
				"chunked", "length-over-body", "length-under-body", "invalid-json", "empty-body", "event-missing",
				"body-too-large", "wrong-method", "wrong-content-type", "form-without-payload"},
			wantDetail: map[string]string{"wrong-secret": "got 200, want 401", "wrong-method": "got 200, want 405"},
		},
		{
			name:       "accepts chunked bodies",
			handler:    chunked,
			wantFailed: []string{"chunked"},
			wantDetail: map[string]string{"chunked": "got 200, want 411"},
		},
		{
			// Every signature that reaches the comparison is refused: the
			// valid deliveries, and the ones whose fault is found only
			// after a valid signature (they get 401 instead of 400/415).
			// Malformed, missing or short-bodied ones are refused before
			// the comparison, as they should be.
			name:    "verifies with the wrong secret",
			handler: wrongSecret,
			wantFailed: []string{"valid-json", "valid-form", "ping", "unknown-event", "both-signatures",
				"invalid-json", "empty-body", "event-missing", "wrong-content-type", "form-without-payload", "still-up"},
			wantDetail: map[string]string{"valid-json": "got 401, want 200", "wrong-content-type": "got 401, want 415"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			report := mustRun(t, config(mustServe(t, tt.handler)))
			assertFailed(t, report, tt.wantFailed)
			for name, want := range tt.wantDetail {
				if got := result(t, report, name).Detail; got != want {
					t.Errorf("%s: Detail = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestRunGoesOnAfterNoAnswer is not parallel with the other tests: the
// scenarios around the one that gets no answer share its short timeout.
func TestRunGoesOnAfterNoAnswer(t *testing.T) {
	// Short, because one scenario waits all of it; generous for the others,
	// which a receiver on loopback answers at once.
	const timeout = 300 * time.Millisecond
	noEvent := func(r *http.Request) bool { return r.Header.Get("X-GitHub-Event") == "" }
	isPing := func(r *http.Request) bool { return r.Header.Get("X-GitHub-Event") == "ping" }
	tests := []struct {
		name       string
		handler    func(t *testing.T) (http.Handler, <-chan string)
		wantFailed string
		wantDetail string
	}{
		{
			name: "hangs without X-GitHub-Event",
			handler: func(t *testing.T) (http.Handler, <-chan string) {
				return hangWhen(t.Context().Done(), noEvent, hooklabStatuses(testSecret))
			},
			wantFailed: "event-missing",
			wantDetail: "no answer in 300ms",
		},
		{
			name: "drops the connection of a ping",
			handler: func(t *testing.T) (http.Handler, <-chan string) {
				return dropWhen(isPing, hooklabStatuses(testSecret))
			},
			wantFailed: "ping",
			wantDetail: "connection closed without an answer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, unanswered := tt.handler(t)
			cfg := config(mustServe(t, h))
			cfg.Timeout = timeout
			report := mustRun(t, cfg)

			// The scenarios after it ran and passed: the run went on.
			assertFailed(t, report, []string{tt.wantFailed})
			res := result(t, report, tt.wantFailed)
			if res.Detail != tt.wantDetail || res.Status != 0 || res.Verdict != check.Fail {
				t.Errorf("%s: %s, status %d, Detail %q; want fail, no status, %q",
					tt.wantFailed, res.Verdict, res.Status, res.Detail, tt.wantDetail)
			}
			if got := drain(unanswered); len(got) != 1 {
				t.Errorf("the receiver left %d requests unanswered (%q), want 1", len(got), got)
			}
		})
	}
}

func TestRunAgainstAnotherCorrectReceiver(t *testing.T) {
	t.Parallel()
	// Written by someone else from GitHub's docs: 403 for any bad
	// signature, 202 for an accepted delivery, 400 for a content type it
	// does not take.
	other := hooklabStatuses(testSecret)
	other.badSignature, other.accepted, other.badMedia = http.StatusForbidden, http.StatusAccepted, http.StatusBadRequest
	u := mustServe(t, other)

	// The scenarios for which hooklab expects 200 and 401.
	expect200 := []string{"valid-json", "valid-form", "ping", "unknown-event", "both-signatures", "still-up"}
	expect401 := []string{"signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
		"signature-not-hex", "signature-truncated", "signature-empty", "sha1-only", "length-under-body"}

	// What --expect would be given for it.
	overrides := map[string][]int{}
	for _, name := range expect401 {
		if err := check.ParseExpect(overrides, name+"=403"); err != nil {
			t.Fatal(err)
		}
	}
	if err := check.ParseExpect(overrides, "wrong-content-type=400"); err != nil {
		t.Fatal(err)
	}
	// inRunOrder returns the names in lists in the order they run.
	inRunOrder := func(lists ...[]string) []string {
		all := slices.Concat(lists...)
		var out []string
		for _, name := range check.Names() {
			if slices.Contains(all, name) {
				out = append(out, name)
			}
		}
		return out
	}
	tests := []struct {
		name       string
		expect     map[string][]int
		accept2xx  bool
		wantFailed []string
	}{
		{name: "hooklab's table", wantFailed: inRunOrder(expect200, expect401, []string{"wrong-content-type"})},
		{name: "accept 2xx only", accept2xx: true, wantFailed: inRunOrder(expect401, []string{"wrong-content-type"})},
		{name: "expect overrides only", expect: overrides, wantFailed: expect200},
		{name: "expect overrides and accept 2xx", expect: overrides, accept2xx: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(u)
			cfg.Expect, cfg.Accept2xx = tt.expect, tt.accept2xx
			report := mustRun(t, cfg)
			assertFailed(t, report, tt.wantFailed)
			if res := result(t, report, "wrong-secret"); res.Status != http.StatusForbidden {
				t.Errorf("wrong-secret answered %d, want 403 from this receiver", res.Status)
			}
			if res := result(t, report, "still-up"); res.Status != http.StatusAccepted {
				t.Errorf("still-up answered %d, want 202 from this receiver", res.Status)
			}
		})
	}
}

// TestRunStopsWhenCancelled cancels a run while a scenario waits for an
// answer that never comes, with a scenario timeout far longer than the
// test waits.
func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		only []string
	}{
		{name: "during the first of all scenarios"},
		{name: "during the last scenario", only: []string{"still-up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, hung := hangWhen(t.Context().Done(), func(*http.Request) bool { return true }, okHandler())
			cfg := config(mustServe(t, h))
			cfg.Timeout, cfg.Only = time.Hour, tt.only
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type outcome struct {
				report check.Report
				err    error
			}
			done := make(chan outcome, 1)
			go func() {
				r, err := check.Run(ctx, cfg)
				done <- outcome{r, err}
			}()
			select {
			case <-hung:
			case <-time.After(wait):
				t.Fatal("the receiver got no request")
			}
			cancel()
			var got outcome
			select {
			case got = <-done:
			case <-time.After(wait):
				t.Fatalf("check.Run did not return within %s of its context's cancellation", wait)
			}
			if !errors.Is(got.err, context.Canceled) {
				t.Errorf("check.Run error = %v, want context.Canceled", got.err)
			}
			// The scenario that was cut off has no verdict: the receiver did
			// not fail it, the caller stopped it.
			if len(got.report.Results) != 0 {
				t.Errorf("check.Run returned results for a scenario it was cancelled during:%s", describe(got.report))
			}
			if n := len(drain(hung)); n != 0 {
				t.Errorf("%d more requests after the cancellation", n)
			}
		})
	}
}

func TestRunStopsBetweenScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cancelAt int // cancel in Progress after this many results; 0 before the run
	}{
		{name: "before the run"},
		{name: "after two scenarios", cancelAt: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, seen := deliveries(okHandler())
			cfg := config(mustServe(t, h))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAt == 0 {
				cancel()
			}
			var progress []string
			cfg.Progress = func(res check.Result) {
				progress = append(progress, res.Scenario)
				if len(progress) == tt.cancelAt {
					cancel()
				}
			}
			report, err := check.Run(ctx, cfg)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("check.Run error = %v, want context.Canceled", err)
			}
			want := check.Names()[:tt.cancelAt]
			if got := resultNames(report); !slices.Equal(got, want) || !slices.Equal(progress, want) {
				t.Errorf("results %v, progress %v; want %v", got, progress, want)
			}
			if got := drain(seen); len(got) != tt.cancelAt {
				t.Errorf("the receiver got %d requests, want %d", len(got), tt.cancelAt)
			}
		})
	}
}

package receiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// fakeHandoff records the deliveries it is given and answers as told.
type fakeHandoff struct {
	calls []Delivery
	out   Outcome
	// write, when set, is the app's answer it writes itself.
	write func(w http.ResponseWriter)
}

func (f *fakeHandoff) Handoff(w http.ResponseWriter, _ *http.Request, d *Delivery) Outcome {
	c := *d
	c.Body = bytes.Clone(d.Body)
	f.calls = append(f.calls, c)
	if f.write != nil {
		f.write(w)
	}
	return f.out
}

func TestHandoff(t *testing.T) {
	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	appAnswer := func(w http.ResponseWriter) {
		w.Header().Set("X-App", "yes")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("app broke"))
	}
	tests := []struct {
		name           string
		cfg            func(fwd, ex *fakeHandoff) Config
		fwd, ex        fakeHandoff
		req            *http.Request
		wantStatus     int
		wantReason     Reason // in hooklab's JSON answer; "" when the app answered
		wantBody       string // the app's answer, when it answered
		wantForwarded  int
		wantExecuted   int
		wantRetryAfter string
		wantAnswered   int // what Observe sees as the final status
	}{
		{
			name:          "the app's answer passes through",
			cfg:           func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd} },
			fwd:           fakeHandoff{out: Outcome{Answered: true, Status: 500, Forward: &ForwardResult{Status: 500}}, write: appAnswer},
			req:           newDelivery("ping", body),
			wantStatus:    500,
			wantBody:      "app broke",
			wantForwarded: 1,
			wantAnswered:  500,
		},
		{
			name:          "a forward that failed is answered by hooklab",
			cfg:           func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd} },
			fwd:           fakeHandoff{out: Outcome{Reason: ReasonForwardFailed, Detail: "the app refused the connection", Forward: &ForwardResult{Reason: ReasonForwardFailed}}},
			req:           newDelivery("ping", body),
			wantStatus:    502,
			wantReason:    ReasonForwardFailed,
			wantForwarded: 1,
			wantAnswered:  502,
		},
		{
			name:           "a busy forwarder says when to retry",
			cfg:            func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd} },
			fwd:            fakeHandoff{out: Outcome{Reason: ReasonForwardBusy, RetryAfter: "1"}},
			req:            newDelivery("ping", body),
			wantStatus:     503,
			wantReason:     ReasonForwardBusy,
			wantForwarded:  1,
			wantRetryAfter: "1",
			wantAnswered:   503,
		},
		{
			name:         "a refused delivery is not forwarded",
			cfg:          func(fwd, ex *fakeHandoff) Config { return Config{Forward: fwd, Exec: ex} },
			req:          newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("other", body))),
			wantStatus:   401,
			wantReason:   ReasonSignatureMismatch,
			wantAnswered: 401,
		},
		{
			name:          "--forward-all forwards a refused delivery, body and all",
			cfg:           func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd, HandoffRefused: true} },
			fwd:           fakeHandoff{out: Outcome{Answered: true, Status: 500}, write: appAnswer},
			req:           newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("other", body))),
			wantStatus:    500,
			wantBody:      "app broke",
			wantForwarded: 1,
			wantAnswered:  500,
		},
		{
			name:          "--forward-all reads the body of an unsigned delivery for the app",
			cfg:           func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd, HandoffRefused: true} },
			fwd:           fakeHandoff{out: Outcome{Answered: true, Status: 500}, write: appAnswer},
			req:           newDelivery("ping", body, withoutHeader(signing.GitHubSignatureHeader)),
			wantStatus:    500,
			wantBody:      "app broke",
			wantForwarded: 1,
			wantAnswered:  500,
		},
		{
			name: "--forward-all with --events does not forward a refused delivery of another event",
			cfg: func(fwd, _ *fakeHandoff) Config {
				return Config{Forward: fwd, HandoffRefused: true, Events: []string{"push"}}
			},
			req:          newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("other", body))),
			wantStatus:   401,
			wantReason:   ReasonSignatureMismatch,
			wantAnswered: 401,
		},
		{
			name:         "a command that failed answers 500",
			cfg:          func(_, ex *fakeHandoff) Config { return Config{Exec: ex} },
			ex:           fakeHandoff{out: Outcome{Reason: ReasonExecFailed, Detail: "deploy exited with status 3", Exec: &ExecResult{ExitCode: 3}}},
			req:          newDelivery("ping", body),
			wantStatus:   500,
			wantReason:   ReasonExecFailed,
			wantExecuted: 1,
			wantAnswered: 500,
		},
		{
			name:         "a command that succeeded keeps hooklab's answer",
			cfg:          func(_, ex *fakeHandoff) Config { return Config{Exec: ex} },
			ex:           fakeHandoff{out: Outcome{Reason: ReasonOK, Exec: &ExecResult{}}},
			req:          newDelivery("ping", body),
			wantStatus:   200,
			wantReason:   ReasonOK,
			wantExecuted: 1,
			wantAnswered: 200,
		},
		{
			name:          "with a forward, the app answers and the command's verdict does not",
			cfg:           func(fwd, ex *fakeHandoff) Config { return Config{Forward: fwd, Exec: ex} },
			fwd:           fakeHandoff{out: Outcome{Answered: true, Status: 500}, write: appAnswer},
			ex:            fakeHandoff{out: Outcome{Exec: &ExecResult{Queued: true}}},
			req:           newDelivery("ping", body),
			wantStatus:    500,
			wantBody:      "app broke",
			wantForwarded: 1,
			wantExecuted:  1,
			wantAnswered:  500,
		},
		{
			name: "an event not in --events is ignored, not forwarded or run",
			cfg: func(fwd, ex *fakeHandoff) Config {
				return Config{Forward: fwd, Exec: ex, Events: []string{"push", "release"}}
			},
			req:          newDelivery("ping", body),
			wantStatus:   200,
			wantReason:   ReasonIgnoredEvent,
			wantAnswered: 200,
		},
		{
			name:          "an event pattern matches",
			cfg:           func(fwd, _ *fakeHandoff) Config { return Config{Forward: fwd, Events: []string{"pi*"}} },
			fwd:           fakeHandoff{out: Outcome{Answered: true, Status: 500}, write: appAnswer},
			req:           newDelivery("ping", body),
			wantStatus:    500,
			wantBody:      "app broke",
			wantForwarded: 1,
			wantAnswered:  500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fwd, ex := tt.fwd, tt.ex
			cfg := tt.cfg(&fwd, &ex)
			var seen []Delivery
			cfg.Observe = func(d *Delivery) string {
				c := *d
				c.Body = bytes.Clone(d.Body)
				seen = append(seen, c)
				return ""
			}
			rc, _ := mustReceiver(t, cfg)
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantReason != "" {
				if a := answerOf(t, rec); a.Reason != tt.wantReason {
					t.Errorf("reason %q, want %q", a.Reason, tt.wantReason)
				}
			} else if rec.Body.String() != tt.wantBody || rec.Header().Get("X-App") != "yes" {
				t.Errorf("answer %q with X-App %q, want the app's %q", rec.Body, rec.Header().Get("X-App"), tt.wantBody)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetryAfter)
			}
			if len(fwd.calls) != tt.wantForwarded || len(ex.calls) != tt.wantExecuted {
				t.Errorf("forwarded %d, executed %d; want %d, %d", len(fwd.calls), len(ex.calls), tt.wantForwarded, tt.wantExecuted)
			}
			for _, c := range append(fwd.calls, ex.calls...) {
				if !bytes.Equal(c.Body, body) {
					t.Errorf("handoff got body %q, want %q", c.Body, body)
				}
			}
			if len(seen) != 1 {
				t.Fatalf("Observe saw %d deliveries, want 1", len(seen))
			}
			if seen[0].Answered != tt.wantAnswered || seen[0].Seq != 1 {
				t.Errorf("Observe saw seq %d answered %d, want seq 1 answered %d", seen[0].Seq, seen[0].Answered, tt.wantAnswered)
			}
			if st := rc.Stats(); st.ByStatus[tt.wantAnswered] != 1 {
				t.Errorf("stats by status %v, want one %d", st.ByStatus, tt.wantAnswered)
			}
		})
	}
}

func TestObserveSeesEveryDelivery(t *testing.T) {
	body := []byte(`{"zen":"z","hook_id":1}`)
	var seen []Delivery
	rc, logs := mustReceiver(t, Config{FirstSeq: 41, Observe: func(d *Delivery) string {
		c := *d
		c.Body = bytes.Clone(d.Body)
		seen = append(seen, c)
		return "  shown under the line\n"
	}})
	for _, r := range []*http.Request{
		newDelivery("ping", body),
		newDelivery("ping", body, withoutHeader(signing.GitHubSignatureHeader)),
		httptest.NewRequest(http.MethodGet, HealthPath, nil),
	} {
		rc.ServeHTTP(httptest.NewRecorder(), r)
	}
	if len(seen) != 2 {
		t.Fatalf("Observe saw %d, want 2 (not the health check)", len(seen))
	}
	if seen[0].Seq != 42 || seen[1].Seq != 43 {
		t.Errorf("seqs %d, %d; want 42, 43 after FirstSeq 41", seen[0].Seq, seen[1].Seq)
	}
	if !seen[0].BodyRead || !bytes.Equal(seen[0].Body, body) || seen[0].Event != "ping" || seen[0].Status != 200 {
		t.Errorf("first delivery %+v", seen[0])
	}
	if seen[1].BodyRead || seen[1].Reason != ReasonSignatureMissing {
		t.Errorf("unsigned delivery: body read %v, reason %q; want unread, signature_missing", seen[1].BodyRead, seen[1].Reason)
	}
	if got := strings.Count(logs.String(), `"shown":"  shown under the line\n"`); got != 2 {
		t.Errorf("the log has %d records with what Observe returned, want 2:\n%s", got, logs)
	}
}

func TestNewRefusesBadEventPattern(t *testing.T) {
	s, _ := signing.NewGitHub(testSecret)
	if _, err := New(Config{Scheme: s, Events: []string{"push["}}); err == nil {
		t.Fatal("New accepted the event pattern push[")
	}
}

// panicHandoff panics, as a forward that aborts its answer does.
type panicHandoff struct{}

func (panicHandoff) Handoff(http.ResponseWriter, *http.Request, *Delivery) Outcome {
	panic(http.ErrAbortHandler)
}

// A handoff that panics still gives back the delivery's share of the
// in-flight budget: otherwise large deliveries would soon all be refused.
func TestHandoffPanicReleasesBudget(t *testing.T) {
	body := []byte(`{"zen":"` + strings.Repeat("z", 80<<10) + `","hook_id":1}`)
	rc, _ := mustReceiver(t, Config{Forward: panicHandoff{}, MaxInflight: 100 << 10})
	for i := range 3 {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the handoff's panic did not reach ServeHTTP's caller")
				}
			}()
			rc.ServeHTTP(httptest.NewRecorder(), newDelivery("ping", body))
		}()
		if got := rc.inflight.inUse; got != 0 {
			t.Fatalf("after panic %d, %d bytes of the budget are still held", i+1, got)
		}
	}
}

// scripted answers every delivery with its Scripted.
type scripted struct{ sc Scripted }

func (s scripted) Respond(*Delivery) Scripted { return s.sc }

func TestScriptedAnswers(t *testing.T) {
	body := []byte(`{"zen":"z","hook_id":1}`)
	tests := []struct {
		name       string
		sc         Scripted
		req        *http.Request
		wantStatus int
		wantBody   string // a part of it
		wantHeader string
	}{
		{name: "a status replaces hooklab's", sc: Scripted{Status: 503}, req: newDelivery("ping", body), wantStatus: 503, wantBody: `"status":503,"reason":"ok"`},
		{name: "a body and a header", sc: Scripted{Status: 500, Body: []byte("boom"), Header: [][2]string{{"X-Script", "yes"}}}, req: newDelivery("ping", body), wantStatus: 500, wantBody: "boom", wantHeader: "yes"},
		{name: "a refused delivery keeps hooklab's answer", sc: Scripted{Status: 200}, req: newDelivery("ping", body, withoutHeader(signing.GitHubSignatureHeader)), wantStatus: 401, wantBody: "signature_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, logs := mustReceiver(t, Config{Respond: scripted{tt.sc}})
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) || rec.Header().Get("X-Script") != tt.wantHeader {
				t.Errorf("answered %d %q X-Script %q; want %d with %q and %q", rec.Code, rec.Body, rec.Header().Get("X-Script"), tt.wantStatus, tt.wantBody, tt.wantHeader)
			}
			if r := logRecords(t, logs)[0]; r[KeyStatus] != 200.0 && tt.wantStatus != 401 {
				t.Errorf("the log's verdict status is %v, want hooklab's 200", r[KeyStatus])
			}
		})
	}
}

// A scripted drop closes the connection without an answer, and the log
// says so.
func TestScriptedDrop(t *testing.T) {
	body := []byte(`{"zen":"z","hook_id":1}`)
	rc, logs := mustReceiver(t, Config{Respond: scripted{Scripted{Drop: true}}})
	srv := httptest.NewServer(rc)
	defer srv.Close()
	req := newDelivery("ping", body)
	out, _ := http.NewRequest(http.MethodPost, srv.URL+DefaultPath, bytes.NewReader(body))
	out.Header = req.Header
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(out); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer, %d; want the connection closed", resp.StatusCode)
	}
	srv.Close() // waits for the handler, which wrote the log
	if r := logRecords(t, logs); len(r) != 1 || r[0][KeyDropped] != true {
		t.Errorf("log %v", r)
	}
}

// Why a signature failed is logged, and answered only when the listener
// may say so; a retry's attempt and interval are logged.
func TestExplainAndAttempts(t *testing.T) {
	body := []byte(`{"zen":"z","hook_id":1}`)
	explain := func(http.Header, []byte, time.Time) string { return "the body has a trailing newline" }
	for _, inAnswer := range []bool{false, true} {
		rc, logs := mustReceiver(t, Config{Explain: explain, ExplainInAnswer: inAnswer, Observe: func(*Delivery) string { return "" }})
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("other", body))))
		if got := strings.Contains(rec.Body.String(), `"why":"the body has a trailing newline"`); got != inAnswer {
			t.Errorf("ExplainInAnswer %v: the answer %s", inAnswer, rec.Body)
		}
		if r := logRecords(t, logs)[0]; r[KeyWhy] != "the body has a trailing newline" {
			t.Errorf("log %v", r)
		}
	}
	rc, logs := mustReceiver(t, Config{})
	for range 3 {
		rc.ServeHTTP(httptest.NewRecorder(), newDelivery("ping", body))
	}
	if r := logRecords(t, logs); r[2][KeyAttempt] != 3.0 || r[0][KeyAttempt] != nil {
		t.Errorf("attempts logged: %v, %v", r[0][KeyAttempt], r[2][KeyAttempt])
	}
}

// A body sent with a Content-Encoding is refused for what it is, not as
// invalid JSON; a 404 says where deliveries go.
func TestContentEncodingAndNotFound(t *testing.T) {
	body := []byte(`{"zen":"z","hook_id":1}`)
	tests := []struct {
		name       string
		cfg        Config
		req        *http.Request
		wantStatus int
		wantReason Reason
		wantIn     string // a part of the message
	}{
		{name: "gzip", req: newDelivery("ping", body, withHeader("Content-Encoding", "gzip")), wantStatus: 415, wantReason: ReasonContentEncoding, wantIn: "Content-Encoding: gzip"},
		{name: "identity is no coding", req: newDelivery("ping", body, withHeader("Content-Encoding", "identity")), wantStatus: 200, wantReason: ReasonOK},
		{name: "a 404 names the path", cfg: Config{Path: "/hooks/github"}, req: newDelivery("ping", body), wantStatus: 404, wantReason: ReasonNotFound, wantIn: "deliveries go to /hooks/github"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, _ := mustReceiver(t, tt.cfg)
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, tt.req)
			a := answerOf(t, rec)
			if rec.Code != tt.wantStatus || a.Reason != tt.wantReason || !strings.Contains(a.Message, tt.wantIn) {
				t.Errorf("answered %d %s %q; want %d %s with %q", rec.Code, a.Reason, a.Message, tt.wantStatus, tt.wantReason, tt.wantIn)
			}
		})
	}
}

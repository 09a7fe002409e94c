package replay_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/replay"
	"github.com/hooklab/hooklab/sender"
)

// A replay sent straight to the app is kept as it was sent, with the
// app's answer, linked to its original, and says hooklab did not verify it.
func TestAppRecord(t *testing.T) {
	orig := &capture.Record{Seq: 3, Method: http.MethodPost,
		Verdict: capture.Verdict{Provider: "github", Event: "push", Delivery: "d-1", Summary: "refs/heads/main"}}
	req := &sender.Request{Method: http.MethodPost, URL: mustURL(t, "http://127.0.0.1:3000/hook?x=1"),
		Header: []sender.Field{{Name: "x-github-event", Value: "push"}, {Name: "X-Hub-Signature-256", Value: "sha256=00"}},
		Body:   []byte(`{"zen":"hi"}`)}
	resp := &sender.Response{Status: http.StatusAccepted, Duration: 12 * time.Millisecond, Body: []byte("thanks")}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	rec := replay.AppRecord(orig, 9, "http://127.0.0.1:3000/hook?x=1", req, resp, now)
	switch {
	case rec.Seq != 9 || rec.ReplayOf != 3 || !rec.Time.Equal(now):
		t.Errorf("seq %d replay_of %d time %v", rec.Seq, rec.ReplayOf, rec.Time)
	case string(rec.Body) != `{"zen":"hi"}` || rec.Target != "/hook?x=1" || rec.Method != http.MethodPost:
		t.Errorf("body %q target %q method %q", rec.Body, rec.Target, rec.Method)
	case len(rec.Headers) != 2 || rec.Headers[0] != (capture.Header{"x-github-event", "push"}):
		t.Errorf("headers %v, want the request's as sent, in order", rec.Headers)
	case rec.Verdict.Reason != string(replay.ReasonReplayedToApp) || rec.Verdict.Event != "push" || rec.Verdict.Delivery != "d-1":
		t.Errorf("verdict %+v", rec.Verdict)
	case rec.Answered != http.StatusAccepted || rec.Forward == nil || rec.Forward.Status != http.StatusAccepted:
		t.Errorf("answered %d, app %+v", rec.Answered, rec.Forward)
	}
}

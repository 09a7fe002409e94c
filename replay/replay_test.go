package replay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/replay"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// failsafe bounds every wait of these tests, so a hang fails with a message.
const failsafe = 10 * time.Second

// testNow is the replay's clock: long after the records were received.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// recorded is when the test records were received.
var recorded = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// everyByte is a body with every byte value, twice.
func everyByte() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// recordedAnswer is what the raw recorder answers every request with.
const recordedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nrecorded\n"

// mustRecorder starts a raw recorder (servetest.RawRecorder) that answers
// 200, and returns its base URL.
func mustRecorder(tb testing.TB) (string, <-chan servetest.RawRequest) {
	tb.Helper()
	addr, seen := servetest.RawRecorder(tb, recordedAnswer)
	return "http://" + addr, seen
}

func mustURL(tb testing.TB, raw string) *url.URL {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func mustScheme(tb testing.TB, providerName, secret string) signing.Scheme {
	tb.Helper()
	s, err := signing.New(providerName, []string{secret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustBuild(tb testing.TB, rec *capture.Record, o replay.Options) *sender.Request {
	tb.Helper()
	req, err := replay.Build(rec, o)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return req
}

// headerOf returns the request's headers as net/http would see them.
func headerOf(req *sender.Request) http.Header {
	h := http.Header{}
	for _, f := range req.Header {
		h.Add(f.Name, f.Value)
	}
	return h
}

// oddRecord is a GitHub delivery as it might come over the wire: names in
// odd cases, a header repeated, hop-by-hop headers, and a body of every
// byte value.
func oddRecord() *capture.Record {
	return &capture.Record{
		Version: capture.FormatVersion, Seq: 7, Time: recorded, Remote: "192.0.2.1:4711",
		Method: "POST", Target: "/webhook?from=github", Proto: "HTTP/1.1",
		Headers: []capture.Header{
			{"host", "hooks.example.com"},
			{"user-agent", "GitHub-Hookshot/044aadd"},
			{"X-GitHub-Event", "push"},
			{"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			{"X-CUSTOM-thing", "first"},
			{"connection", "keep-alive, X-Hop"},
			{"X-Hop", "about this connection only"},
			{"x-custom-THING", "second, with a comma"},
			{"Content-Length", "512"},
			{"X-Quote", `it's "$(rm -rf /)" ` + "`id`\t; echo"},
			{"content-type", "application/octet-stream"},
			{"X-Hub-Signature-256", "sha256=0000000000000000000000000000000000000000000000000000000000000000"},
			{"Keep-Alive", "timeout=5"},
			{"X-Custom-Thing", "third"},
		},
		HeadersOrder: capture.OrderWire,
		Body:         everyByte(), BodyComplete: true,
		Verdict:  capture.Verdict{Status: 200, Reason: "ok", Provider: "github", Event: "push", Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		Answered: 200,
	}
}

// keptLines are the header lines of oddRecord that a replay sends, in order.
var keptLines = []string{
	"user-agent: GitHub-Hookshot/044aadd",
	"X-GitHub-Event: push",
	"x-github-delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958",
	"X-CUSTOM-thing: first",
	"x-custom-THING: second, with a comma",
	`X-Quote: it's "$(rm -rf /)" ` + "`id`\t; echo",
	"content-type: application/octet-stream",
	"X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
	"X-Custom-Thing: third",
}

// TestRoundTripByteExact replays a record to a raw recorder, which must
// see the recorded headers in their order and spelling, repeats kept, and
// the very body: only Host and Content-Length are written afresh, and the
// hop-by-hop headers are left out.
func TestRoundTripByteExact(t *testing.T) {
	base, seen := mustRecorder(t)
	target := mustURL(t, base+"/replayed?x=1")
	rec := oddRecord()
	req := mustBuild(t, rec, replay.Options{URL: target})

	ctx, cancel := context.WithTimeout(t.Context(), failsafe)
	defer cancel()
	resp, err := (&sender.Client{Timeout: failsafe}).Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != "recorded\n" {
		t.Errorf("answer %d %q, want the recorder's 200", resp.Status, resp.Body)
	}
	got := servetest.NextRaw(t, seen)

	want := "POST /replayed?x=1 HTTP/1.1\r\nHost: " + target.Host + "\r\n" +
		strings.Join(keptLines, "\r\n") + "\r\nContent-Length: 512\r\n"
	if got.Head != want {
		t.Errorf("head differs\n got: %q\nwant: %q", got.Head, want)
	}
	if !bytes.Equal(got.Body, rec.Body) {
		t.Errorf("body differs: got %d bytes %x, want %x", len(got.Body), got.Body, rec.Body)
	}
}

func TestBuildKeepsMethodAndDropsNamedHopHeaders(t *testing.T) {
	rec := &capture.Record{
		Method: "PUT",
		Headers: []capture.Header{
			{"Connection", "close, x-drop-ME"}, {"X-Drop-Me", "1"}, {"TE", "trailers"},
			{"Upgrade", "h2c"}, {"Transfer-Encoding", "chunked"}, {"Proxy-Authorization", "Basic eA=="},
			{"X-Keep", "2"},
		},
		Body: []byte("{}"),
	}
	req := mustBuild(t, rec, replay.Options{URL: mustURL(t, "http://127.0.0.1:1/")})
	if req.Method != "PUT" {
		t.Errorf("method %q, want PUT", req.Method)
	}
	if want := []sender.Field{{Name: "X-Keep", Value: "2"}}; !slices.Equal(req.Header, want) {
		t.Errorf("headers %q, want %q", req.Header, want)
	}
}

func TestBuildRefuses(t *testing.T) {
	good := mustURL(t, "http://127.0.0.1:1/webhook")
	tests := []struct {
		name string
		rec  *capture.Record
		url  *url.URL
		want string
	}{
		{name: "no URL", rec: &capture.Record{}, want: "no URL"},
		{name: "not http", rec: &capture.Record{}, url: mustURL(t, "ftp://x/"), want: "http or https"},
		{name: "newline in a value", url: good,
			rec: &capture.Record{Seq: 3, Headers: []capture.Header{{"X-A", "one\r\nX-Injected: two"}}}, want: "control character"},
		{name: "bad header name", url: good,
			rec: &capture.Record{Headers: []capture.Header{{"X A", "1"}}}, want: "not a valid HTTP header name"},
		{name: "bad method", url: good, rec: &capture.Record{Method: "POST /x HTTP/1.1\r\n"}, want: "not an HTTP method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := replay.Build(tt.rec, replay.Options{URL: tt.url})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestBuildIncompleteBody sends what arrived, with its real length.
func TestBuildIncompleteBody(t *testing.T) {
	rec := &capture.Record{Body: []byte(`{"half":`), BodyComplete: false, Headers: []capture.Header{{"Content-Length", "100"}}}
	req := mustBuild(t, rec, replay.Options{URL: mustURL(t, "http://127.0.0.1:1/")})
	if string(req.Body) != `{"half":` || req.Length.Mode != sender.LengthAuto || len(req.Header) != 0 {
		t.Errorf("request body %q, length %s, headers %q; want the 8 bytes that arrived, length auto", req.Body, req.Length, req.Header)
	}
}

const (
	stripeSecret   = "whsec_replay-test-stripe-secret-0123456789"
	standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	githubSecret   = "replay-test-github-secret-0123456789abcdef"
)

// stripeRecord is a Stripe delivery signed long before testNow, with the
// signature header in lower case among others.
func stripeRecord(tb testing.TB) *capture.Record {
	tb.Helper()
	body := []byte(`{"id":"evt_1","type":"charge.succeeded"}`)
	h, err := mustScheme(tb, signing.ProviderStripe, stripeSecret).Sign(signing.Message{Body: body, Time: recorded})
	if err != nil {
		tb.Fatal(err)
	}
	return &capture.Record{
		Seq: 1, Time: recorded, Method: "POST",
		Headers: []capture.Header{
			{"content-type", "application/json"},
			{"stripe-signature", h.Get(signing.StripeSignatureHeader)},
			{"user-agent", "Stripe/1.0"},
		},
		Body: body, BodyComplete: true,
		Verdict: capture.Verdict{Status: 200, Reason: "ok", Provider: "stripe", Event: "charge.succeeded", Delivery: "evt_1"},
	}
}

func TestResignStripe(t *testing.T) {
	rec := stripeRecord(t)
	scheme := mustScheme(t, signing.ProviderStripe, stripeSecret)
	// Verbatim, the recorded signature is too old for a receiver today.
	verbatim := mustBuild(t, rec, replay.Options{URL: mustURL(t, "http://127.0.0.1:1/")})
	if err := signing.Verify(scheme, headerOf(verbatim), verbatim.Body, testNow); !errors.Is(err, signing.ErrTimestamp) {
		t.Fatalf("verbatim replay verifies with %v, want a stale timestamp", err)
	}

	req := mustBuild(t, rec, replay.Options{URL: mustURL(t, "http://127.0.0.1:1/"), Resign: scheme, Now: func() time.Time { return testNow }})
	if err := signing.Verify(scheme, headerOf(req), req.Body, testNow); err != nil {
		t.Errorf("resigned replay does not verify: %v", err)
	}
	if want := "t=" + strconv.FormatInt(testNow.Unix(), 10) + ","; !strings.HasPrefix(req.Get("Stripe-Signature"), want) {
		t.Errorf("Stripe-Signature %q, want it to start %q", req.Get("Stripe-Signature"), want)
	}
	// In its place, with its recorded spelling, and nothing added.
	if names := fieldNames(req); !slices.Equal(names, []string{"content-type", "stripe-signature", "user-agent"}) {
		t.Errorf("headers %q, want the recorded ones in order", names)
	}
}

func fieldNames(req *sender.Request) []string {
	var names []string
	for _, f := range req.Header {
		names = append(names, f.Name)
	}
	return names
}

func TestResignWithAnotherSecretAndProvider(t *testing.T) {
	rec := oddRecord()
	now := func() time.Time { return testNow }
	target := mustURL(t, "http://127.0.0.1:1/")

	t.Run("github with its own secret", func(t *testing.T) {
		scheme := mustScheme(t, signing.ProviderGitHub, githubSecret)
		req := mustBuild(t, rec, replay.Options{URL: target, Resign: scheme, Now: now})
		if err := signing.Verify(scheme, headerOf(req), req.Body, testNow); err != nil {
			t.Errorf("resigned replay does not verify: %v", err)
		}
		if got := req.Header[7]; got.Name != "X-Hub-Signature-256" {
			t.Errorf("header 8 is %q, want the signature in its recorded place", got.Name)
		}
	})
	t.Run("standard instead of github", func(t *testing.T) {
		scheme := mustScheme(t, signing.ProviderStandard, standardSecret)
		req := mustBuild(t, rec, replay.Options{URL: target, Resign: scheme, Now: now})
		h := headerOf(req)
		if err := signing.Verify(scheme, h, req.Body, testNow); err != nil {
			t.Errorf("resigned replay does not verify: %v", err)
		}
		if h.Get("X-Hub-Signature-256") != "" {
			t.Errorf("GitHub's signature is still sent: %q", req.Header)
		}
		if got := h.Get("webhook-id"); got != rec.Verdict.Delivery {
			t.Errorf("webhook-id %q, want the recorded delivery id %q", got, rec.Verdict.Delivery)
		}
	})
}

// svixRecord is a Standard Webhooks delivery sent under Svix's names.
func svixRecord(tb testing.TB) *capture.Record {
	tb.Helper()
	body := []byte(`{"type":"user.created"}`)
	h, err := mustScheme(tb, signing.ProviderStandard, standardSecret).Sign(signing.Message{Body: body, ID: "msg_old", Time: recorded})
	if err != nil {
		tb.Fatal(err)
	}
	return &capture.Record{
		Seq: 2, Method: "POST",
		Headers: []capture.Header{
			{"svix-id", "msg_old"},
			{"svix-timestamp", h.Get(signing.StandardTimestampHeader)},
			{"svix-signature", h.Get(signing.StandardSignatureHeader)},
			{"Content-Type", "application/json"},
		},
		Body: body, BodyComplete: true,
		Verdict: capture.Verdict{Status: 200, Reason: "ok", Provider: "standard", Event: "user.created", Delivery: "msg_old"},
	}
}

func TestNewID(t *testing.T) {
	target := mustURL(t, "http://127.0.0.1:1/")
	now := func() time.Time { return testNow }
	random := func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte{0xab}, 16)) }
	wantID, err := sender.NewID(random())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("github", func(t *testing.T) {
		rec := oddRecord()
		req := mustBuild(t, rec, replay.Options{URL: target, NewID: true, Random: random()})
		if got := req.Get("X-GitHub-Delivery"); got != wantID {
			t.Errorf("X-GitHub-Delivery %q, want the fresh id %q", got, wantID)
		}
		if req.Header[2].Name != "x-github-delivery" {
			t.Errorf("header 3 is %q, want the id in its recorded place and spelling", req.Header[2].Name)
		}
		if got, want := req.Get("X-Hub-Signature-256"), rec.Headers[11].Value(); got != want {
			t.Errorf("signature %q changed without --resign, want %q", got, want)
		}
	})
	t.Run("standard needs resign", func(t *testing.T) {
		_, err := replay.Build(svixRecord(t), replay.Options{URL: target, NewID: true, Random: random()})
		if err == nil || !strings.Contains(err.Error(), "--resign") {
			t.Errorf("Build error %v, want one that says to add --resign", err)
		}
	})
	t.Run("standard with resign keeps the svix names", func(t *testing.T) {
		scheme := mustScheme(t, signing.ProviderStandard, standardSecret)
		req := mustBuild(t, svixRecord(t), replay.Options{URL: target, NewID: true, Resign: scheme, Random: random(), Now: now})
		if got := req.Get("svix-id"); got != wantID {
			t.Errorf("svix-id %q, want %q", got, wantID)
		}
		if names := fieldNames(req); !slices.Equal(names, []string{"svix-id", "svix-timestamp", "svix-signature", "Content-Type"}) {
			t.Errorf("headers %q, want the recorded names", names)
		}
		if err := signing.Verify(scheme, headerOf(req), req.Body, testNow); err != nil {
			t.Errorf("resigned replay with a new id does not verify: %v", err)
		}
	})
	t.Run("stripe keeps its id in the body", func(t *testing.T) {
		_, err := replay.Build(stripeRecord(t), replay.Options{URL: target, NewID: true, Random: random()})
		if err == nil || !strings.Contains(err.Error(), "in the body") {
			t.Errorf("Build error %v, want one saying the id is in the body", err)
		}
	})
}

func TestResignGiteaForm(t *testing.T) {
	payload := `{"ref":"refs/heads/main"}`
	rec := &capture.Record{
		Headers: []capture.Header{{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Gitea-Signature", "00"}},
		Body:    []byte("payload=" + url.QueryEscape(payload)),
		Verdict: capture.Verdict{Provider: "gitea"},
	}
	scheme := mustScheme(t, signing.ProviderGitea, githubSecret)
	req := mustBuild(t, rec, replay.Options{URL: mustURL(t, "http://127.0.0.1:1/"), Resign: scheme})
	if err := signing.Verify(scheme, headerOf(req), []byte(payload), testNow); err != nil {
		t.Errorf("Gitea signs the payload field: %v", err)
	}
}

func TestSelect(t *testing.T) {
	mk := func(seq uint64, event string, status int) *capture.Record {
		return &capture.Record{Seq: seq, Verdict: capture.Verdict{Event: event, Status: status}}
	}
	recs := []*capture.Record{mk(1, "ping", 200), mk(2, "push", 401), mk(3, "push", 200), mk(4, "release", 413), mk(5, "push", 401)}
	tests := []struct {
		name    string
		filter  replay.Filter
		want    []uint64
		wantErr string
	}{
		{name: "all", want: []uint64{1, 2, 3, 4, 5}},
		{name: "seqs in file order", filter: replay.Filter{Seqs: []uint64{4, 2}}, want: []uint64{2, 4}},
		{name: "last", filter: replay.Filter{Last: 2}, want: []uint64{4, 5}},
		{name: "last of more than there are", filter: replay.Filter{Last: 9}, want: []uint64{1, 2, 3, 4, 5}},
		{name: "event", filter: replay.Filter{Event: "push"}, want: []uint64{2, 3, 5}},
		{name: "events", filter: replay.Filter{Event: "ping, release"}, want: []uint64{1, 4}},
		{name: "status", filter: replay.Filter{Status: "401"}, want: []uint64{2, 5}},
		{name: "status class", filter: replay.Filter{Status: "4XX"}, want: []uint64{2, 4, 5}},
		{name: "statuses", filter: replay.Filter{Status: "200,413"}, want: []uint64{1, 3, 4}},
		{name: "combined", filter: replay.Filter{Event: "push", Status: "4xx", Last: 1}, want: []uint64{5}},
		{name: "nothing matches", filter: replay.Filter{Event: "deploy"}, want: nil},
		{name: "malformed status", filter: replay.Filter{Status: "40"}, wantErr: `not "40"`},
		{name: "status word", filter: replay.Filter{Status: "ok"}, wantErr: "such as 401"},
		{name: "only commas", filter: replay.Filter{Status: ","}, wantErr: "such as 401"},
		{name: "negative last", filter: replay.Filter{Last: -1}, wantErr: "positive"},
		{name: "missing seq", filter: replay.Filter{Seqs: []uint64{3, 9}}, wantErr: "seq in the capture: 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replay.Select(recs, tt.filter)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Select error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
			}
			if !slices.Equal(seqs, tt.want) {
				t.Errorf("selected %v, want %v", seqs, tt.want)
			}
		})
	}
	if _, err := replay.Select(recs, replay.Filter{Seqs: []uint64{9}}); !errors.Is(err, replay.ErrNoSeq) {
		t.Errorf("a missing seq gives %v, want ErrNoSeq", err)
	}
}

func TestHoldings(t *testing.T) {
	recs := []*capture.Record{
		{Seq: 3, Verdict: capture.Verdict{Event: "push"}},
		{Seq: 4, Verdict: capture.Verdict{Event: "ping"}},
		{Seq: 5, Verdict: capture.Verdict{Event: "push"}},
		{Seq: 6},
	}
	if got, want := replay.Holdings(recs), "4 deliveries (seq 3 to 6): push ×2, ping, (no event)"; got != want {
		t.Errorf("Holdings = %q, want %q", got, want)
	}
}

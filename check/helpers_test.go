package check_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// testSecret is the shared secret of every receiver in these tests.
const testSecret = "It's a Secret to Everybody"

// testUserAgent is what check sends as User-Agent in these tests.
const testUserAgent = "hooklab-check-test/1"

// testMaxBody is the size limit of the receivers written here, and what
// check is told unless a test says otherwise. It is well under net/http's
// 256 KiB: a server that answers body-too-large drains a declared body up
// to that much before it closes, and one declared larger costs half a
// second at the close of every test server.
const testMaxBody = 64 << 10

// wait bounds every wait in these tests, so that a receiver that never
// answers fails a test instead of hanging it. Nothing asserts on how long
// anything took.
const wait = 5 * time.Second

// mustServeHooklab serves hooklab's own receiver, built from cfg with
// testSecret, behind receiver.Serve on 127.0.0.1:0 until the test ends, and
// returns its webhook URL.
func mustServeHooklab(tb testing.TB, cfg receiver.Config) *url.URL {
	tb.Helper()
	scheme, err := signing.NewGitHub(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Scheme = scheme
	rc, err := receiver.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return mustServeHandler(tb, rc)
}

// mustServeHandler serves h behind receiver.Serve on 127.0.0.1:0 until the
// test ends, checks that Serve returns cleanly, and returns the webhook URL.
func mustServeHandler(tb testing.TB, h http.Handler) *url.URL {
	tb.Helper()
	u, err := url.Parse(servetest.Serve(tb, h, receiver.DefaultLimits()))
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// mustServe serves h with httptest (on 127.0.0.1:0) until the test ends,
// and returns the URL of its /webhook path.
func mustServe(tb testing.TB, h http.Handler) *url.URL {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL + "/webhook")
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// config is the Config every run in these tests starts from: u, the shared
// secret, the receivers' size limit, and a bound on each scenario that only
// a broken receiver reaches.
func config(u *url.URL) check.Config {
	return check.Config{URL: u, Secret: testSecret, MaxBody: testMaxBody, Timeout: wait, Random: rand.Reader,
		UserAgent: testUserAgent}
}

// mustRun runs cfg and fails the test when the run cannot start.
func mustRun(tb testing.TB, cfg check.Config) check.Report {
	tb.Helper()
	report, err := check.Run(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("check.Run: %v", err)
	}
	return report
}

// failedNames returns the names of the scenarios r failed, in run order.
func failedNames(r check.Report) []string {
	names := []string{}
	for _, res := range r.Failed() {
		names = append(names, res.Scenario)
	}
	return names
}

// resultNames returns the names of the scenarios r ran, in run order.
func resultNames(r check.Report) []string {
	names := []string{}
	for _, res := range r.Results {
		names = append(names, res.Scenario)
	}
	return names
}

// describe lists r's results, one per line, for a test failure message.
func describe(r check.Report) string {
	var b strings.Builder
	for _, res := range r.Results {
		fmt.Fprintf(&b, "\n  %-22s %-4s got %3d want %-7s %s %s", res.Scenario, res.Verdict, res.Status,
			statuses(res.Expect), res.Reason, res.Detail)
	}
	return b.String()
}

// assertFailed fails the test unless r ran every scenario and failed
// exactly want (in run order), and Report.OK agrees.
func assertFailed(tb testing.TB, r check.Report, want []string) {
	tb.Helper()
	if got := resultNames(r); !slices.Equal(got, check.Names()) {
		tb.Errorf("ran %v, want every scenario %v", got, check.Names())
	}
	if want == nil {
		want = []string{}
	}
	if got := failedNames(r); !slices.Equal(got, want) {
		tb.Errorf("failed %v\nwant   %v%s", got, want, describe(r))
	}
	if r.OK() != (len(want) == 0) {
		tb.Errorf("Report.OK() = %v with %d failures", r.OK(), len(want))
	}
}

// result returns r's result for scenario, failing the test when there is
// none.
func result(tb testing.TB, r check.Report, scenario string) check.Result {
	tb.Helper()
	for _, res := range r.Results {
		if res.Scenario == scenario {
			return res
		}
	}
	tb.Fatalf("no result for %s%s", scenario, describe(r))
	return check.Result{}
}

// statuses writes codes as the scenario table does: "401" or "400,401".
func statuses(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}

// signature256 is GitHub's X-Hub-Signature-256 value for body, computed
// here with crypto/hmac rather than hooklab's signing package.
func signature256(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// signature1 is the legacy X-Hub-Signature value for body.
func signature1(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// okHandler answers 200 to anything, without looking at it.
func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "thanks\n")
	})
}

// deliveries wraps next so that every request it gets is reported on the
// returned channel, by its X-GitHub-Delivery id, before next answers it.
func deliveries(next http.Handler) (http.Handler, <-chan string) {
	seen := make(chan string, 100)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("X-GitHub-Delivery"):
		default: // more requests than any test sends: the count is wrong anyway
		}
		next.ServeHTTP(w, r)
	}), seen
}

// drain returns what ch holds now, without waiting.
func drain(ch <-chan string) []string {
	var out []string
	for {
		select {
		case s := <-ch:
			out = append(out, s)
		default:
			return out
		}
	}
}

// hangWhen answers like next, except that a request for which hang is true
// is reported on the returned channel and never answered: the handler reads
// the body and waits until the client gives up or the test ends (stop).
func hangWhen(stop <-chan struct{}, hang func(*http.Request) bool, next http.Handler) (http.Handler, <-chan string) {
	hung := make(chan string, 100)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hang(r) {
			next.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body) // so that net/http notices when the client goes away
		select {
		case hung <- r.Header.Get("X-GitHub-Delivery"):
		default:
		}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}), hung
}

// dropWhen answers like next, except that a request for which drop is true
// is reported on the returned channel, read to its end, and its connection
// closed without an answer.
func dropWhen(drop func(*http.Request) bool, next http.Handler) (http.Handler, <-chan string) {
	dropped := make(chan string, 100)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !drop(r) {
			next.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// An answer, which the test reports as the wrong verdict.
			http.Error(w, "cannot hijack: "+err.Error(), http.StatusInternalServerError)
			return
		}
		select {
		case dropped <- r.Header.Get("X-GitHub-Delivery"):
		default:
		}
		conn.Close()
	}), dropped
}

// docsReceiver is a webhook receiver written from GitHub's documentation
// ("Validating webhook deliveries": the HMAC-SHA256 of the raw body, keyed
// with the shared secret, hex after "sha256=" in X-Hub-Signature-256,
// compared with hmac.Equal) with net/http alone: it shares no code with
// hooklab's receiver. Its answers are fields, so that the one type is a
// correct receiver that answers as hooklab does, one that legitimately
// answers differently, and, with one field wrong, a broken one.
type docsReceiver struct {
	secret       string // what it verifies with
	maxBody      int64
	allowChunked bool // reads a chunked body instead of answering 411
	accepted     int  // the status of a verified delivery
	badSignature int  // a missing, malformed or wrong signature
	badMedia     int  // a Content-Type that is neither JSON nor a form
}

// hooklabStatuses returns a docsReceiver for secret that answers with the
// statuses hooklab listen gives.
func hooklabStatuses(secret string) docsReceiver {
	return docsReceiver{secret: secret, maxBody: testMaxBody,
		accepted: http.StatusOK, badSignature: http.StatusUnauthorized, badMedia: http.StatusUnsupportedMediaType}
}

func (d docsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, reason := d.judge(r)
	if status >= 300 {
		http.Error(w, reason, status)
		return
	}
	w.WriteHeader(status)
	io.WriteString(w, reason+"\n")
}

func (d docsReceiver) judge(r *http.Request) (int, string) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "POST only"
	}
	chunked := len(r.TransferEncoding) > 0
	declared := r.Header.Get("Content-Length") != ""
	switch {
	case chunked && !d.allowChunked:
		return http.StatusLengthRequired, "chunked bodies are not accepted"
	case !chunked && !declared:
		return http.StatusLengthRequired, "no Content-Length"
	case r.ContentLength > d.maxBody:
		return http.StatusRequestEntityTooLarge, "too large"
	}
	sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	mac, err := hex.DecodeString(sig)
	if !ok || err != nil || len(mac) != sha256.Size {
		return d.badSignature, "no valid X-Hub-Signature-256"
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, d.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "too large"
	case err != nil:
		return http.StatusBadRequest, "body: " + err.Error()
	}
	want := hmac.New(sha256.New, []byte(d.secret))
	want.Write(body)
	if !hmac.Equal(mac, want.Sum(nil)) {
		return d.badSignature, "signature mismatch"
	}
	payload := body
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/json":
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil || !form.Has("payload") {
			return http.StatusBadRequest, "no payload field"
		}
		payload = []byte(form.Get("payload"))
	default:
		return d.badMedia, "unsupported Content-Type " + ct
	}
	switch {
	case !json.Valid(payload):
		return http.StatusBadRequest, "not JSON"
	case r.Header.Get("X-GitHub-Event") == "":
		return http.StatusBadRequest, "no X-GitHub-Event"
	}
	return d.accepted, "accepted"
}

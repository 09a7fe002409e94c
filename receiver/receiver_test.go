package receiver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

const testSecret = "a-test-secret-that-is-long-enough-0123"

// mustReceiver returns a Receiver for testSecret with cfg's other fields,
// logging JSON lines into the returned buffer, with a fixed clock.
func mustReceiver(tb testing.TB, cfg Config) (*Receiver, *bytes.Buffer) {
	tb.Helper()
	if cfg.Scheme == nil {
		s, err := signing.NewGitHub(testSecret)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Scheme = s
	}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	}
	rc, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return rc, &logs
}

// hubSignature computes X-Hub-Signature-256 independently of the signing
// package, so a bug there cannot hide here.
func hubSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// delivery builds a request as GitHub sends it: POST, a Content-Length
// header, JSON, an event, a delivery id and a valid signature. Options edit it.
func newDelivery(event string, body []byte, opts ...func(*http.Request)) *http.Request {
	r := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(EventHeader, event)
	r.Header.Set(DeliveryHeader, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	r.Header.Set(signing.GitHubSignatureHeader, hubSignature(testSecret, body))
	for _, o := range opts {
		o(r)
	}
	return r
}

func withHeader(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func withoutHeader(name string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Del(name) }
}

// answerOf decodes a JSON answer.
func answerOf(tb testing.TB, rec *httptest.ResponseRecorder) answer {
	tb.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		tb.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
	}
	return a
}

// logRecords decodes JSON log lines.
func logRecords(tb testing.TB, logs *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Fatalf("log line is not JSON: %v: %q", err, line)
		}
		out = append(out, m)
	}
	return out
}

func formBody(payload string) []byte {
	return []byte("payload=" + url.QueryEscape(payload))
}

// failingReader fails every read, as a body that was never sent would.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestPipeline(t *testing.T) {
	ping := []byte(`{"zen":"Design for failure.","hook_id":42}`)
	tests := []struct {
		name       string
		cfg        Config
		req        *http.Request
		wantStatus int
		wantReason Reason
		wantAllow  string
		wantInMsg  string
	}{
		{name: "valid ping", req: newDelivery("ping", ping), wantStatus: 200, wantReason: ReasonOK},
		{name: "health", req: httptest.NewRequest(http.MethodGet, "/healthz", nil), wantStatus: 200, wantReason: ReasonOK},
		{name: "health HEAD", req: httptest.NewRequest(http.MethodHead, "/healthz", nil), wantStatus: 200, wantReason: ReasonOK},
		{name: "health POST", req: httptest.NewRequest(http.MethodPost, "/healthz", nil),
			wantStatus: 405, wantReason: ReasonMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "other path", req: newDelivery("ping", ping, func(r *http.Request) { r.URL.Path = "/elsewhere" }),
			wantStatus: 404, wantReason: ReasonNotFound},
		{name: "GET on webhook path", req: httptest.NewRequest(http.MethodGet, DefaultPath, nil),
			wantStatus: 405, wantReason: ReasonMethodNotAllowed, wantAllow: "POST"},
		{name: "PUT on webhook path", req: newDelivery("ping", ping, func(r *http.Request) { r.Method = http.MethodPut }),
			wantStatus: 405, wantReason: ReasonMethodNotAllowed, wantAllow: "POST"},
		{name: "custom path", cfg: Config{Path: "/hooks/github"},
			req:        newDelivery("ping", ping, func(r *http.Request) { r.URL.Path = "/hooks/github" }),
			wantStatus: 200, wantReason: ReasonOK},
		{name: "default path not served when custom", cfg: Config{Path: "/hooks/github"},
			req: newDelivery("ping", ping), wantStatus: 404, wantReason: ReasonNotFound},
		{name: "no Content-Length", req: newDelivery("ping", ping, withoutHeader("Content-Length")),
			wantStatus: 411, wantReason: ReasonLengthRequired},
		{name: "chunked", req: newDelivery("ping", ping, withoutHeader("Content-Length"), func(r *http.Request) {
			r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
		}), wantStatus: 411, wantReason: ReasonLengthRequired, wantInMsg: "chunked"},
		{name: "chunked allowed", cfg: Config{AllowChunked: true},
			req: newDelivery("ping", ping, withoutHeader("Content-Length"), func(r *http.Request) {
				r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
			}), wantStatus: 200, wantReason: ReasonOK},
		{name: "chunked allowed but over the limit", cfg: Config{AllowChunked: true, MaxBody: 10},
			req: newDelivery("ping", ping, withoutHeader("Content-Length"), func(r *http.Request) {
				r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
			}), wantStatus: 413, wantReason: ReasonBodyTooLarge},
		{name: "chunked allowed but cut short", cfg: Config{AllowChunked: true},
			req: newDelivery("ping", ping, withoutHeader("Content-Length"), func(r *http.Request) {
				r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(ping[:5]), failingReader{io.ErrUnexpectedEOF}))
			}), wantStatus: 400, wantReason: ReasonBodyIncomplete, wantInMsg: "chunked body ended early"},
		{name: "no Content-Length, says chunked is refused", req: newDelivery("ping", ping, withoutHeader("Content-Length")),
			wantStatus: 411, wantReason: ReasonLengthRequired, wantInMsg: "not chunked (or start listen with --allow-chunked)"},
		{name: "chunked allowed, but neither chunked nor a length", cfg: Config{AllowChunked: true},
			req: newDelivery("ping", ping, withoutHeader("Content-Length")), wantStatus: 411, wantReason: ReasonLengthRequired,
			wantInMsg: "send the body with a Content-Length header, or chunked"},
		{name: "declared over the limit, body never read", cfg: Config{MaxBody: 10},
			req:        newDelivery("ping", ping, func(r *http.Request) { r.Body = io.NopCloser(failingReader{io.ErrUnexpectedEOF}) }),
			wantStatus: 413, wantReason: ReasonBodyTooLarge, wantInMsg: "not read"},
		{name: "signature missing, body never read",
			req:        newDelivery("ping", ping, withoutHeader(signing.GitHubSignatureHeader), func(r *http.Request) { r.Body = io.NopCloser(failingReader{io.ErrUnexpectedEOF}) }),
			wantStatus: 401, wantReason: ReasonSignatureMissing},
		{name: "SHA-1 signature only",
			req: newDelivery("ping", ping, withoutHeader(signing.GitHubSignatureHeader),
				withHeader(signing.GitHubLegacySignatureHeader, "sha1=0123456789012345678901234567890123456789")),
			wantStatus: 401, wantReason: ReasonSignatureMissing, wantInMsg: "SHA-1"},
		{name: "signature without prefix",
			req:        newDelivery("ping", ping, withHeader(signing.GitHubSignatureHeader, strings.TrimPrefix(hubSignature(testSecret, ping), "sha256="))),
			wantStatus: 401, wantReason: ReasonSignatureMalformed},
		{name: "signature not hex",
			req:        newDelivery("ping", ping, withHeader(signing.GitHubSignatureHeader, "sha256="+strings.Repeat("zz", 32))),
			wantStatus: 401, wantReason: ReasonSignatureMalformed},
		{name: "signature truncated",
			req:        newDelivery("ping", ping, withHeader(signing.GitHubSignatureHeader, hubSignature(testSecret, ping)[:40])),
			wantStatus: 401, wantReason: ReasonSignatureMalformed},
		{name: "signature empty",
			req:        newDelivery("ping", ping, withHeader(signing.GitHubSignatureHeader, "")),
			wantStatus: 401, wantReason: ReasonSignatureMalformed},
		{name: "body shorter than declared",
			req:        newDelivery("ping", ping, func(r *http.Request) { r.Header.Set("Content-Length", "100"); r.ContentLength = 100 }),
			wantStatus: 400, wantReason: ReasonBodyIncomplete},
		{name: "body times out",
			req:        newDelivery("ping", ping, func(r *http.Request) { r.Body = io.NopCloser(failingReader{os.ErrDeadlineExceeded}) }),
			wantStatus: 408, wantReason: ReasonBodyTimeout},
		{name: "signed with another secret",
			req:        newDelivery("ping", ping, withHeader(signing.GitHubSignatureHeader, hubSignature("another secret", ping))),
			wantStatus: 401, wantReason: ReasonSignatureMismatch},
		{name: "body changed after signing",
			req: newDelivery("ping", append(append([]byte(nil), ping...), '\n'),
				withHeader(signing.GitHubSignatureHeader, hubSignature(testSecret, ping))),
			wantStatus: 401, wantReason: ReasonSignatureMismatch},
		{name: "invalid JSON, valid signature", req: newDelivery("ping", []byte(`{"zen":`)),
			wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "empty body, valid signature", req: newDelivery("ping", nil),
			wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "JSON with charset", req: newDelivery("ping", ping, withHeader("Content-Type", "application/json; charset=utf-8")),
			wantStatus: 200, wantReason: ReasonOK},
		{name: "form", req: newDelivery("push", formBody(`{"ref":"refs/heads/main","commits":[]}`),
			withHeader("Content-Type", "application/x-www-form-urlencoded")), wantStatus: 200, wantReason: ReasonOK},
		{name: "form without payload", req: newDelivery("push", []byte("other=1"),
			withHeader("Content-Type", "application/x-www-form-urlencoded")), wantStatus: 400, wantReason: ReasonPayloadMissing},
		{name: "form with payload twice", req: newDelivery("push", []byte("payload=%7B%7D&payload=%7B%7D"),
			withHeader("Content-Type", "application/x-www-form-urlencoded")), wantStatus: 400, wantReason: ReasonFormInvalid},
		{name: "form that does not decode", req: newDelivery("push", []byte("payload=%zz"),
			withHeader("Content-Type", "application/x-www-form-urlencoded")), wantStatus: 400, wantReason: ReasonFormInvalid},
		{name: "form with invalid JSON payload", req: newDelivery("push", formBody(`{"ref":`),
			withHeader("Content-Type", "application/x-www-form-urlencoded")), wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "text/plain", req: newDelivery("ping", ping, withHeader("Content-Type", "text/plain")),
			wantStatus: 415, wantReason: ReasonUnsupportedMediaType, wantInMsg: "text/plain"},
		{name: "no content type", req: newDelivery("ping", ping, withoutHeader("Content-Type")),
			wantStatus: 415, wantReason: ReasonUnsupportedMediaType, wantInMsg: "missing"},
		{name: "content type that does not parse", req: newDelivery("ping", ping, withHeader("Content-Type", "application/json; =")),
			wantStatus: 415, wantReason: ReasonUnsupportedMediaType},
		{name: "no event", req: newDelivery("ping", ping, withoutHeader(EventHeader)),
			wantStatus: 400, wantReason: ReasonEventMissing},
		{name: "unknown event", req: newDelivery("made_up_event", []byte(`{"action":"poked"}`)),
			wantStatus: 200, wantReason: ReasonOK},
		// The summary's decode is the JSON check: every way through it must
		// still refuse invalid JSON and accept valid JSON of odd shapes.
		{name: "invalid JSON after a summarized prefix", req: newDelivery("push", []byte(`{"ref":"refs/heads/main","commits":[]}x`)),
			wantStatus: 400, wantReason: ReasonInvalidJSON, wantInMsg: "not valid JSON"},
		{name: "invalid JSON behind a type mismatch", req: newDelivery("push", []byte(`{"ref":5,"commits":[}`)),
			wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "invalid JSON for an unknown event", req: newDelivery("made_up_event", []byte(`{"action":"poked",}`)),
			wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "valid JSON with unexpected types", req: newDelivery("push", []byte(`{"ref":5,"commits":"many"}`)),
			wantStatus: 200, wantReason: ReasonOK},
		{name: "invalid JSON wins over a missing event", req: newDelivery("ping", []byte(`{"zen":`), withoutHeader(EventHeader)),
			wantStatus: 400, wantReason: ReasonInvalidJSON},
		{name: "no delivery id", req: newDelivery("ping", ping, withoutHeader(DeliveryHeader)),
			wantStatus: 200, wantReason: ReasonOK},
		// The order of the checks: each earlier failure wins over a later one.
		{name: "411 before 401", req: newDelivery("ping", ping, withoutHeader("Content-Length"), withoutHeader(signing.GitHubSignatureHeader)),
			wantStatus: 411, wantReason: ReasonLengthRequired},
		{name: "413 before 401", cfg: Config{MaxBody: 10}, req: newDelivery("ping", ping, withoutHeader(signing.GitHubSignatureHeader)),
			wantStatus: 413, wantReason: ReasonBodyTooLarge},
		{name: "401 before 415 and 400", req: newDelivery("", []byte("not json"),
			withHeader(signing.GitHubSignatureHeader, hubSignature("other", []byte("not json"))), withHeader("Content-Type", "text/plain")),
			wantStatus: 401, wantReason: ReasonSignatureMismatch},
		{name: "415 before event_missing", req: newDelivery("", ping, withHeader("Content-Type", "text/plain")),
			wantStatus: 415, wantReason: ReasonUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, logs := mustReceiver(t, tt.cfg)
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, tt.req)
			a := answerOf(t, rec)
			if rec.Code != tt.wantStatus || a.Status != tt.wantStatus || a.Reason != tt.wantReason {
				t.Fatalf("got %d (body status %d, reason %q), want %d %q; message %q",
					rec.Code, a.Status, a.Reason, tt.wantStatus, tt.wantReason, a.Message)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if a.Message == "" || !strings.Contains(a.Message, tt.wantInMsg) {
				t.Errorf("message %q does not contain %q", a.Message, tt.wantInMsg)
			}
			if strings.Contains(rec.Body.String(), testSecret) || strings.Contains(logs.String(), testSecret) {
				t.Errorf("the secret leaked into the answer or the log")
			}
			recs := logRecords(t, logs)
			if len(recs) != 1 {
				t.Fatalf("got %d log records, want 1: %s", len(recs), logs)
			}
			wantMsg := MsgDelivery
			if tt.req.URL.Path == HealthPath {
				wantMsg = MsgHealth
			}
			if recs[0]["msg"] != wantMsg {
				t.Errorf("log msg = %v, want %q", recs[0]["msg"], wantMsg)
			}
			if got := recs[0][KeyStatus]; got != float64(tt.wantStatus) {
				t.Errorf("log status = %v, want %d", got, tt.wantStatus)
			}
			if _, named := recs[0][KeyHeader]; named != (tt.wantStatus == http.StatusUnauthorized) {
				t.Errorf("log names the signature header: %v; want it on 401s only", named)
			}
			if tt.wantReason != ReasonOK && recs[0][KeyReason] != string(tt.wantReason) {
				t.Errorf("log reason = %v, want %q", recs[0][KeyReason], tt.wantReason)
			}
		})
	}
}

func TestAnswerOnSuccess(t *testing.T) {
	rc, logs := mustReceiver(t, Config{})
	body := []byte(`{"ref":"refs/heads/main","commits":[{},{}],"pusher":{"name":"octocat"},"compare":"https://github.com/o/r/compare/a...b","repository":{"full_name":"o/r"}}`)
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, newDelivery("push", body))
	a := answerOf(t, rec)
	if a.Event != "push" || a.Delivery != "72d3162e-cc78-11e3-81ab-4c9367dc0958" || !strings.Contains(a.Summary, "refs/heads/main") {
		t.Errorf("answer = %+v; want event push, the delivery id and a summary naming the ref", a)
	}
	recs := logRecords(t, logs)
	r := recs[0]
	for _, key := range []string{"time", "level", "msg", KeyStatus, KeyEvent, KeyAction, KeyDelivery, KeyBytes, KeyDuration, KeyRemote, KeySummary} {
		if _, ok := r[key]; !ok {
			t.Errorf("log record has no %q: %v", key, r)
		}
	}
	if r[KeyBytes] != float64(len(body)) || r["msg"] != MsgDelivery || r["level"] != "INFO" {
		t.Errorf("log record = %v", r)
	}
}

func TestUnauthorizedLogHelpsWithoutLeaking(t *testing.T) {
	rc, logs := mustReceiver(t, Config{})
	body := []byte(`{"zen":"x"}`)
	good := hubSignature(testSecret, body)
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("wrong", body))))
	r := logRecords(t, logs)[0]
	sum := sha256.Sum256(body)
	if r[KeyHeader] != signing.GitHubSignatureHeader || r[KeyBodySHA256] != hex.EncodeToString(sum[:]) || r[KeyBytes] != float64(len(body)) {
		t.Errorf("401 record = %v; want header, body_sha256 and bytes", r)
	}
	if r["level"] != "WARN" {
		t.Errorf("level = %v, want WARN", r["level"])
	}
	out := logs.String() + rec.Body.String()
	for _, secretish := range []string{testSecret, strings.TrimPrefix(good, "sha256="), strings.ToUpper(strings.TrimPrefix(good, "sha256="))} {
		if strings.Contains(out, secretish) {
			t.Errorf("output contains %q: %s", secretish, out)
		}
	}
}

func TestRedelivery(t *testing.T) {
	rc, logs := mustReceiver(t, Config{RecentDeliveries: 2})
	send := func(id string) answer {
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, newDelivery("ping", []byte(`{}`), withHeader(DeliveryHeader, id)))
		return answerOf(t, rec)
	}
	steps := []struct {
		id   string
		want bool
	}{
		{id: "a", want: false}, {id: "a", want: true}, {id: "b", want: false},
		{id: "c", want: false}, // "a" is forgotten here: only 2 remembered
		{id: "a", want: false}, {id: "c", want: true},
	}
	for i, s := range steps {
		if got := send(s.id); got.Status != 200 || got.Redelivery != s.want {
			t.Errorf("step %d (%s): status %d redelivery %v, want 200 %v", i, s.id, got.Status, got.Redelivery, s.want)
		}
	}
	if n := rc.recent.len(); n != 2 {
		t.Errorf("remembered %d ids, want at most 2", n)
	}
	recs := logRecords(t, logs)
	if recs[1]["msg"] != MsgRedelivery || recs[1][KeyRedelivery] != true {
		t.Errorf("second record = %v, want a redelivery", recs[1])
	}
	// An unverified delivery does not enter the set.
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, newDelivery("ping", []byte(`{}`), withHeader(DeliveryHeader, "z"), withHeader(signing.GitHubSignatureHeader, hubSignature("x", []byte(`{}`)))))
	if got := send("z"); got.Redelivery {
		t.Errorf("an id first seen on a 401 counted as delivered before")
	}
}

func TestReadBody(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16+7) // past eagerAlloc, not a multiple of it
	tests := []struct {
		name     string
		body     []byte
		length   int64
		declared bool
		max      int64
		wantErr  error
		wantLen  int
		maxCap   int
	}{
		{name: "exact", body: []byte("hello"), length: 5, declared: true, max: 100, wantLen: 5},
		// Grown as it arrives, but never past the declared length: the
		// in-flight budget counts that length, not what append would add.
		{name: "larger than the eager allocation", body: big, length: int64(len(big)), declared: true, max: 1 << 30,
			wantLen: len(big), maxCap: len(big)},
		{name: "short", body: []byte("hel"), length: 5, declared: true, max: 100, wantErr: errIncomplete, wantLen: 3},
		// A client that declares 25 MiB and sends 3 bytes holds about eagerAlloc, not 25 MiB.
		{name: "declared large, little sent", body: []byte("abc"), length: 25 << 20, declared: true, max: 25 << 20,
			wantErr: errIncomplete, wantLen: 3, maxCap: eagerAlloc},
		{name: "undeclared within the limit", body: big, max: 1 << 30, wantLen: len(big)},
		{name: "undeclared over the limit", body: big, max: 1 << 20, wantErr: errTooLarge, wantLen: 1 << 20},
		{name: "empty", body: nil, length: 0, declared: true, max: 100, wantLen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sha256.New()
			got, err := readBody(bytes.NewReader(tt.body), tt.length, tt.declared, tt.max, h, nil)
			if !errors.Is(err, tt.wantErr) || len(got) != tt.wantLen {
				t.Fatalf("readBody = %d bytes, %v; want %d bytes, %v", len(got), err, tt.wantLen, tt.wantErr)
			}
			if !bytes.Equal(got, tt.body[:tt.wantLen]) {
				t.Errorf("the bytes read differ from the bytes sent")
			}
			// Everything read was hashed, once.
			read := tt.body[:min(len(tt.body), int(max(tt.length, tt.max+1)))]
			if tt.declared {
				read = tt.body[:min(len(tt.body), int(tt.length))]
			}
			if want := sha256.Sum256(read); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("the hash does not cover exactly the bytes read")
			}
			if tt.maxCap > 0 && cap(got) > tt.maxCap {
				t.Errorf("allocated %d bytes for a body of %d", cap(got), len(got))
			}
		})
	}
}

// A large declared body is read into the eager buffer and then one buffer
// of its declared length: growing by doubling would allocate (and, during
// each copy, hold) up to twice the body, memory the in-flight budget does
// not count, and what took listen's peak past it with 100 uploads of 25 MiB.
func TestReadBodyAllocatesTheDeclaredLengthOnce(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 24<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := readBody(bytes.NewReader(body), int64(len(body)), true, 32<<20, io.Discard, nil)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != len(body) {
		t.Fatalf("readBody = %d bytes, %v", len(got), err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(len(body)+eagerAlloc+1<<20) {
		t.Errorf("allocated %d MiB to read a declared body of %d MiB, want at most the body and the eager buffer",
			allocated>>20, len(body)>>20)
	}
}

// A verified 25 MiB delivery allocates its body once: no copy for the JSON
// check or the summary (goccy/go-json copies its input; bodyjson hands
// large bodies to encoding/json). Each copy is memory the in-flight
// budget does not count.
func TestLargeDeliveryAllocatesItsBodyOnce(t *testing.T) {
	rc, _ := mustReceiver(t, Config{MaxBody: 32 << 20})
	body := append(append([]byte(`{"zen":"`), bytes.Repeat([]byte("a"), 25<<20)...), `"}`...)
	for range 3 { // a pooled copy would show on a later round as well as the first
		req := newDelivery("push", body)
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rc.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(len(body)+eagerAlloc+1<<20) {
			t.Fatalf("allocated %d MiB for a body of %d MiB, want the body once", allocated>>20, len(body)>>20)
		}
	}
}

func TestRecentIDsBounded(t *testing.T) {
	r := newRecentIDs(100)
	for i := range 10000 {
		seenBefore(r, strconv.Itoa(i))
	}
	if r.len() != 100 || len(r.ring) != 100 {
		t.Fatalf("remembered %d ids in a ring of %d, want 100", r.len(), len(r.ring))
	}
	if !seenBefore(r, "9999") || seenBefore(r, "9899") {
		t.Errorf("want the newest 100 ids remembered and older ones forgotten")
	}
}

// TestRecentIDsBoundedInBytes: ids longer than maxKeptID are remembered
// by their hash, so a replayed delivery with ever new long ids cannot grow
// the set past about size x maxKeptID bytes, and they still count as
// redeliveries.
func TestRecentIDsBoundedInBytes(t *testing.T) {
	r := newRecentIDs(10)
	long := func(i int) string { return strings.Repeat("x", 60<<10) + strconv.Itoa(i) }
	for i := range 20 {
		if seenBefore(r, long(i)) {
			t.Fatalf("long id %d reported as a redelivery the first time", i)
		}
	}
	if !seenBefore(r, long(19)) || seenBefore(r, long(0)) {
		t.Errorf("long ids: want the newest remembered and the oldest forgotten")
	}
	if !seenBefore(r, long(0)) {
		t.Errorf("long id 0, just added again: not reported as a redelivery")
	}
	for _, k := range r.ring {
		if len(k.id) > maxKeptID {
			t.Errorf("kept an id of %d bytes, want at most %d", len(k.id), maxKeptID)
		}
	}
	short := strings.Repeat("y", maxKeptID)
	if seenBefore(r, short) || !seenBefore(r, short) {
		t.Errorf("an id of maxKeptID bytes: want it kept as it is")
	}
	// No id passes for the digest of another, whatever its bytes.
	r = newRecentIDs(10)
	sum := sha256.Sum256([]byte(long(1)))
	for _, forged := range []string{string(sum[:]), hex.EncodeToString(sum[:]), "sha256:" + hex.EncodeToString(sum[:])} {
		seenBefore(r, forged)
	}
	if seenBefore(r, long(1)) {
		t.Errorf("a long id was taken for a redelivery of an id that spells its digest")
	}
}

// TestStatsBoundedEvents: event names are counted one by one up to
// maxEvents, and too long or too many names together as OtherEvents, with
// no delivery lost from the counts.
func TestStatsBoundedEvents(t *testing.T) {
	s := newStats()
	s.add(200, "push", true)
	s.add(200, strings.Repeat("e", maxCountedEvent+1), true)
	for i := range 2 * maxEvents {
		s.add(200, "event_"+strconv.Itoa(i), true)
	}
	s.add(200, "push", true)
	snap := s.snapshot()
	sum := 0
	for _, n := range snap.ByEvent {
		sum += n
	}
	if len(snap.ByEvent) != maxEvents || sum+snap.OtherEvents != snap.Total || snap.Total != 2*maxEvents+3 {
		t.Errorf("%d names counting %d and %d others of %d deliveries, want %d names and others counting all",
			len(snap.ByEvent), sum, snap.OtherEvents, snap.Total, maxEvents)
	}
	// push was counted first and stays counted by name; the long name and
	// the names past the bound are counted together, apart from any name.
	if snap.ByEvent["push"] != 2 || snap.OtherEvents != maxEvents+2 || snap.ByEvent["event_0"] != 1 {
		t.Errorf("push %d, others %d, event_0 %d; want 2, %d, 1", snap.ByEvent["push"], snap.OtherEvents, snap.ByEvent["event_0"], maxEvents+2)
	}
	// A name that looks like a bucket is just a name.
	s = newStats()
	s.add(200, "(other)", true)
	s.add(200, strings.Repeat("e", maxCountedEvent+1), true)
	if snap := s.snapshot(); snap.ByEvent["(other)"] != 1 || snap.OtherEvents != 1 {
		t.Errorf(`"(other)" then a long name: %v and %d others, want {"(other)": 1} and 1 other`, snap.ByEvent, snap.OtherEvents)
	}
}

func TestStats(t *testing.T) {
	rc, _ := mustReceiver(t, Config{})
	for _, req := range []*http.Request{
		newDelivery("ping", []byte(`{}`)),
		newDelivery("push", []byte(`{}`)),
		newDelivery("push", []byte(`{}`)),
		newDelivery("push", []byte(`{}`), withoutHeader(signing.GitHubSignatureHeader)),
	} {
		rc.ServeHTTP(httptest.NewRecorder(), req)
	}
	s := rc.Stats()
	if s.Total != 4 || s.ByStatus[200] != 3 || s.ByStatus[401] != 1 || s.ByEvent["push"] != 2 || s.ByEvent["ping"] != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestNewRefusesNoScheme(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a Scheme succeeded")
	}
	if _, err := New(Config{Scheme: &signing.GitHub{}, MaxBody: -1}); err == nil {
		t.Fatal("New with a negative MaxBody succeeded")
	}
}

// An empty secret never verifies: a zero GitHub scheme answers 500, not 200,
// even to a delivery signed with the empty key.
func TestEmptySecretNeverVerifies(t *testing.T) {
	rc, _ := mustReceiver(t, Config{Scheme: &signing.GitHub{}})
	body := []byte(`{}`)
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, newDelivery("ping", body, withHeader(signing.GitHubSignatureHeader, hubSignature("", body))))
	if rec.Code == http.StatusOK || answerOf(t, rec).Reason != ReasonNoSecret {
		t.Fatalf("got %d %s, want 500 no_secret", rec.Code, rec.Body)
	}
}

// The README's reason table is the code's table: the same reasons with the
// same statuses, no more and no fewer.
func TestReadmeReasonTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	inTable := false
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "| status | reason |"):
			inTable = true
			continue
		case !inTable:
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case strings.HasPrefix(line, "|---"):
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("README table row %q has too few cells", line)
		}
		reason := strings.Trim(strings.TrimSpace(cells[2]), "`")
		if _, dup := rows[reason]; dup {
			t.Errorf("README lists %s twice", reason)
		}
		rows[reason] = strings.TrimSpace(cells[1])
	}
	for _, ri := range Reasons() {
		if got, ok := rows[string(ri.Reason)]; !ok || got != strconv.Itoa(ri.Status) {
			t.Errorf("README has no row | %d | `%s` | (found status %q)", ri.Status, ri.Reason, got)
		}
		delete(rows, string(ri.Reason))
	}
	for reason := range rows {
		t.Errorf("README lists %q, which the code does not have", reason)
	}
}

func TestReasonTableComplete(t *testing.T) {
	seen := map[Reason]bool{}
	for _, ri := range Reasons() {
		if seen[ri.Reason] || ri.Status == 0 || ri.Message == "" {
			t.Errorf("bad or repeated row %+v", ri)
		}
		seen[ri.Reason] = true
	}
}

// Every payload of the shared corpus of real GitHub deliveries, signed and
// sent with its event, gets 200 and a log record naming the event.
func TestCorpusDeliveries(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus", "github-payloads")
	events, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		t.Skip("../shared/corpus is not here (a clone elsewhere)")
	}
	if err != nil {
		t.Fatal(err)
	}
	rc, logs := mustReceiver(t, Config{})
	n := 0
	for _, ev := range events {
		if !ev.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(root, ev.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			logs.Reset()
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, newDelivery(ev.Name(), body, withHeader(DeliveryHeader, f)))
			if rec.Code != http.StatusOK {
				t.Errorf("%s: got %d %s", f, rec.Code, rec.Body)
				continue
			}
			recs := logRecords(t, logs)
			if len(recs) != 1 || recs[0][KeyEvent] != ev.Name() || recs[0][KeyStatus] != float64(200) || recs[0][KeySummary] == "" {
				t.Errorf("%s: log = %s", f, logs)
			}
			n++
		}
	}
	if n < 273 {
		t.Errorf("sent %d corpus payloads, want all 273", n)
	}
}

// seenBefore adds id to r and reports whether it was there already.
func seenBefore(r *recentIDs, id string) bool {
	n, _ := r.add(id, time.Time{})
	return n > 1
}

// The receiver counts a delivery id's attempts and the time between them:
// what a retrying sender's test reads.
func TestRecentIDsCountAttempts(t *testing.T) {
	r := newRecentIDs(10)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, tt := range []struct {
		at          time.Duration
		wantAttempt int
		wantSince   time.Duration
	}{
		{0, 1, 0},
		{time.Second, 2, time.Second},
		{3 * time.Second, 3, 2 * time.Second},
		{7 * time.Second, 4, 4 * time.Second},
	} {
		n, since := r.add("d-1", t0.Add(tt.at))
		if n != tt.wantAttempt || since != tt.wantSince {
			t.Errorf("attempt %d: got %d after %s, want %d after %s", i+1, n, since, tt.wantAttempt, tt.wantSince)
		}
	}
}

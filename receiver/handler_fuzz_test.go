package receiver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// fuzzMaxBody is small, so that the fuzzer reaches the size limit.
const fuzzMaxBody = 1 << 10

// How the handler fuzz targets sign: the fuzzer cannot compute an HMAC, so
// a mode replaces its signature with a correct one, which lets it reach
// the steps after the signature check.
const (
	fuzzSignAsGiven = iota // the fuzzer's header as it is
	fuzzSignCorrect        // the correct signature of the body as delivered
	fuzzSignUpper          // the same in upper-case hex (GitHub) or beside a wrong one (Stripe)
	fuzzSignModes
)

// fuzzRequest is a request as net/http's server would hand it to a handler,
// built from fuzzed parts; ok is false for a request net/http refuses
// before any handler sees it (a Content-Length that is not a number).
// body is what the handler can read: cut to the declared length, and
// complete reports whether it is all the declared length.
func fuzzRequest(method, path, contentType, contentLength string, chunked bool, body []byte) (r *http.Request, delivered []byte, complete, ok bool) {
	r = &http.Request{
		Method: method, URL: &url.URL{Path: path}, RequestURI: path,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "127.0.0.1", RemoteAddr: "192.0.2.1:4321",
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	switch {
	case chunked:
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
		delivered, complete = body, true
	case contentLength == "":
		r.ContentLength = 0
		delivered, complete = nil, true
	default:
		n, err := strconv.ParseInt(contentLength, 10, 64)
		if err != nil || n < 0 || strings.TrimLeft(contentLength, "0123456789") != "" {
			return nil, nil, false, false
		}
		r.Header.Set("Content-Length", contentLength)
		r.ContentLength = n
		delivered, complete = body[:min(n, int64(len(body)))], n <= int64(len(body))
	}
	if delivered == nil {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(delivered))
	}
	return r, delivered, complete, true
}

// checkAnswer checks what every answer must be: JSON, with a reason from
// the table and the status that goes with it. It returns the answer.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("the answer is not JSON: %v: %q", err, rec.Body)
	}
	known := false
	for _, ri := range Reasons() {
		if ri.Reason == a.Reason {
			known = true
			if ri.Status != rec.Code {
				t.Fatalf("reason %q with status %d, the table says %d", a.Reason, rec.Code, ri.Status)
			}
		}
	}
	if !known {
		t.Fatalf("reason %q is not in the reason table", a.Reason)
	}
	if a.Status != rec.Code {
		t.Fatalf("the answer says %d, the response is %d", a.Status, rec.Code)
	}
	return a
}

// hubMAC is HMAC-SHA256 of body under testSecret, computed here.
func hubMAC(body []byte) []byte {
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(body)
	return m.Sum(nil)
}

// FuzzHandler: whatever the method, path, headers and body, the GitHub
// receiver does not panic, answers JSON with a known reason, and never
// answers 2xx to a delivery whose X-Hub-Signature-256 is not the HMAC of
// the whole body it declared.
func FuzzHandler(f *testing.F) {
	ping, push := []byte(`{"zen":"Design for failure.","hook_id":42}`), []byte(`{"ref":"refs/heads/main","commits":[]}`)
	form := formBody(string(push))
	sig := func(b []byte) string { return hubSignature(testSecret, b) }
	cl := func(b []byte) string { return strconv.Itoa(len(b)) }
	type seed struct {
		method, path, contentType, contentLength, event, signature string
		sign                                                       uint8
		chunked, allowChunked                                      bool
		body                                                       []byte
	}
	for _, s := range []seed{
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "ping", sig(ping), fuzzSignAsGiven, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json; charset=utf-8", cl(push), "push", "", fuzzSignCorrect, false, false, push},
		{http.MethodPost, DefaultPath, "application/x-www-form-urlencoded", cl(form), "push", "", fuzzSignUpper, false, false, form},
		{http.MethodPost, DefaultPath, "application/x-www-form-urlencoded", "5", "push", "", fuzzSignCorrect, false, false, []byte("zen=1")},
		{http.MethodPost, DefaultPath, "application/x-www-form-urlencoded", "6", "push", "", fuzzSignCorrect, false, false, []byte("%zz=1&")},
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "ping", sig(push), fuzzSignAsGiven, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "ping", "", fuzzSignAsGiven, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "ping", "sha256=not-hex", fuzzSignAsGiven, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "ping", "sha1=" + strings.Repeat("0", 40), fuzzSignAsGiven, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "7", "ping", "", fuzzSignCorrect, false, false, []byte(`{"zen":`)},
		{http.MethodPost, DefaultPath, "application/json", cl(ping), "", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "text/plain", cl(ping), "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "", cl(ping), "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "5000", "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "100", "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "", "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "", "ping", "", fuzzSignCorrect, true, false, ping},
		{http.MethodPost, DefaultPath, "application/json", "", "ping", "", fuzzSignCorrect, true, true, ping},
		{http.MethodPost, DefaultPath, "application/json", "", "ping", "", fuzzSignCorrect, true, true, bytes.Repeat([]byte("a"), 2*fuzzMaxBody)},
		{http.MethodGet, DefaultPath, "", "", "", "", fuzzSignAsGiven, false, false, nil},
		{http.MethodPut, DefaultPath, "application/json", cl(ping), "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodGet, HealthPath, "", "", "", "", fuzzSignAsGiven, false, false, nil},
		{http.MethodPost, HealthPath, "application/json", cl(ping), "ping", "", fuzzSignCorrect, false, false, ping},
		{http.MethodPost, "/elsewhere", "application/json", cl(ping), "ping", "", fuzzSignCorrect, false, false, ping},
	} {
		f.Add(s.method, s.path, s.contentType, s.contentLength, s.event, s.signature, s.sign, s.chunked, s.allowChunked, s.body)
	}

	receivers := map[bool]*Receiver{}
	for _, allowChunked := range []bool{false, true} {
		s, err := signing.NewGitHub(testSecret)
		if err != nil {
			f.Fatal(err)
		}
		receivers[allowChunked], err = New(Config{
			Scheme: s, MaxBody: fuzzMaxBody, AllowChunked: allowChunked,
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		})
		if err != nil {
			f.Fatal(err)
		}
	}

	f.Fuzz(func(t *testing.T, method, path, contentType, contentLength, event, signature string, sign uint8, chunked, allowChunked bool, body []byte) {
		r, delivered, complete, ok := fuzzRequest(method, path, contentType, contentLength, chunked, body)
		if !ok {
			return
		}
		if event != "" {
			r.Header.Set(EventHeader, event)
		}
		switch sign % fuzzSignModes {
		case fuzzSignCorrect:
			signature = hubSignature(testSecret, delivered)
		case fuzzSignUpper:
			signature = "sha256=" + strings.ToUpper(hex.EncodeToString(hubMAC(delivered)))
		}
		if signature != "" {
			r.Header.Set(signing.GitHubSignatureHeader, signature)
		}
		rec := httptest.NewRecorder()
		receivers[allowChunked].ServeHTTP(rec, r)
		a := checkAnswer(t, rec)
		if rec.Code < 200 || rec.Code > 299 {
			return
		}
		if path == HealthPath && (method == http.MethodGet || method == http.MethodHead) {
			return
		}
		if method != http.MethodPost || path != DefaultPath {
			t.Fatalf("%d for %s %s", rec.Code, method, path)
		}
		mac, err := hex.DecodeString(strings.TrimPrefix(signature, "sha256="))
		if !strings.HasPrefix(signature, "sha256=") || err != nil || !hmac.Equal(mac, hubMAC(delivered)) {
			t.Fatalf("%d for a delivery signed %q, not with the body's HMAC", rec.Code, signature)
		}
		if !complete {
			t.Fatalf("%d for a body of %d bytes that declared %s", rec.Code, len(delivered), contentLength)
		}
		// JSON carries no invalid UTF-8: such bytes come back as U+FFFD.
		if a.Event != jsonString(t, event) {
			t.Fatalf("%d with event %q, the header says %q", rec.Code, a.Event, event)
		}
	})
}

// jsonString returns s as it reads after a trip through JSON.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzHandlerStripe: the same for Stripe, whose signature covers a
// timestamp: never a 2xx unless Stripe-Signature holds a t= within the
// tolerance of the receiver's clock and a v1= that is the HMAC of that
// time and the body.
func FuzzHandlerStripe(f *testing.F) {
	const secret = "whsec_fuzz-test-secret"
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	mac := func(ts int64, body []byte) []byte {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
		m.Write(body)
		return m.Sum(nil)
	}
	header := func(ts int64, body []byte) string {
		return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(ts, body))
	}
	event := []byte(`{"id":"evt_1","object":"event","type":"customer.created","data":{"object":{"id":"cus_1"}}}`)
	untyped := []byte(`{"id":"evt_2","object":"event"}`)
	type seed struct {
		contentType, signature string
		offset                 int64
		sign                   uint8
		body                   []byte
	}
	for _, s := range []seed{
		{"application/json", header(now.Unix(), event), 0, fuzzSignAsGiven, event},
		{"application/json", "", 0, fuzzSignCorrect, event},
		{"application/json", "", -300, fuzzSignCorrect, event},
		{"application/json", "", 301, fuzzSignCorrect, event},
		{"application/json", "", 1 << 39, fuzzSignCorrect, event},
		{"application/json", "", 0, fuzzSignUpper, event},
		{"application/json", "", 0, fuzzSignCorrect, untyped},
		{"application/json", "", 0, fuzzSignCorrect, []byte(`{"type":`)},
		{"application/json", header(now.Unix(), untyped), 0, fuzzSignAsGiven, event},
		{"application/json", "t=1,v0=00", 0, fuzzSignAsGiven, event},
		{"application/json", " t = 1 , v1=" + strings.Repeat("0", 64), 0, fuzzSignAsGiven, event},
		{"application/json", "t=-1,v1=" + strings.Repeat("0", 64), 0, fuzzSignAsGiven, event},
		{"text/plain", "", 0, fuzzSignCorrect, event},
	} {
		f.Add(s.contentType, s.signature, s.offset, s.sign, s.body)
	}

	scheme, err := signing.New(signing.ProviderStripe, []string{secret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		f.Fatal(err)
	}
	rc, err := New(Config{
		Scheme: scheme, MaxBody: fuzzMaxBody, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, contentType, signature string, offset int64, sign uint8, body []byte) {
		r, delivered, _, ok := fuzzRequest(http.MethodPost, DefaultPath, contentType, strconv.Itoa(len(body)), false, body)
		if !ok {
			return
		}
		ts := now.Unix() + offset%(1<<40) // kept well inside int64
		switch sign % fuzzSignModes {
		case fuzzSignCorrect:
			signature = header(ts, delivered)
		case fuzzSignUpper:
			signature = "t=" + strconv.FormatInt(ts, 10) + ",v1=" + strings.Repeat("0", 64) + ",v1=" + hex.EncodeToString(mac(ts, delivered))
		}
		if signature != "" {
			r.Header.Set(signing.StripeSignatureHeader, signature)
		}
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, r)
		checkAnswer(t, rec)
		if rec.Code < 200 || rec.Code > 299 {
			return
		}
		// Some t= in range and some v1= that is the HMAC of it and the body.
		var times []int64
		var macs [][]byte
		for _, item := range strings.Split(signature, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(item), "=")
			switch k {
			case "t":
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					times = append(times, n)
				}
			case "v1":
				if m, err := hex.DecodeString(v); err == nil {
					macs = append(macs, m)
				}
			}
		}
		for _, n := range times {
			at := time.Unix(n, 0)
			if at.Before(now.Add(-signing.DefaultTolerance)) || at.After(now.Add(signing.DefaultTolerance)) {
				continue
			}
			for _, m := range macs {
				if hmac.Equal(m, mac(n, delivered)) {
					return
				}
			}
		}
		t.Fatalf("%d for a delivery signed %q, with no timestamp in range and the HMAC of it and the body", rec.Code, signature)
	})
}

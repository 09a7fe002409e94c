package sender_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// testSecret is the shared secret of every delivery and receiver in this
// package's tests.
const testSecret = "It's a Secret to Everybody"

// testPayload is a small GitHub-shaped ping, with characters that form
// encoding changes (spaces, &, =, +, a non-ASCII letter).
const testPayload = `{"zen":"Design for failure.","hook_id":42,"hook":{"type":"Repository","events":["push"]},"repository":{"full_name":"octo-org/hello & co"},"sender":{"login":"octocat"},"note":"a+b=c, café"}`

// mustURL parses s or fails the test.
func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

// mustRequest builds d's request or fails the test.
func mustRequest(tb testing.TB, d sender.Delivery) *sender.Request {
	tb.Helper()
	req, err := d.Request()
	if err != nil {
		tb.Fatalf("Delivery.Request: %v", err)
	}
	return req
}

// testDelivery is a complete delivery of testPayload, with fixed ids so that
// its bytes are the same on every run.
func testDelivery(tb testing.TB) sender.Delivery {
	tb.Helper()
	return sender.Delivery{
		URL:         mustURL(tb, "http://hooks.example.test:8080/webhook?source=hooklab"),
		Event:       "ping",
		ID:          "6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b",
		HookID:      "42",
		UserAgent:   "hooklab/test",
		Payload:     []byte(testPayload),
		ContentType: sender.ContentJSON,
		Secret:      testSecret,
		Signature:   sender.SignatureValid,
	}
}

// hmacHex is the hex HMAC of body under secret, computed here without the
// signing package.
func hmacHex(secret string, body []byte, sha256Sum bool) string {
	h := hmac.New(sha1.New, []byte(secret))
	if sha256Sum {
		h = hmac.New(sha256.New, []byte(secret))
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// httpHeader copies a Request's fields into an http.Header.
func httpHeader(fields []sender.Field) http.Header {
	h := http.Header{}
	for _, f := range fields {
		h.Add(f.Name, f.Value)
	}
	return h
}

func TestParseSignatureMode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    sender.SignatureMode
		wantErr bool
	}{
		{name: "valid", in: "valid", want: sender.SignatureValid},
		{name: "wrong", in: "wrong", want: sender.SignatureWrong},
		{name: "missing", in: "missing", want: sender.SignatureMissing},
		{name: "empty", in: "", wantErr: true},
		{name: "upper case", in: "VALID", wantErr: true},
		{name: "unknown", in: "forged", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sender.ParseSignatureMode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSignatureMode(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseSignatureMode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseContentType(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    sender.ContentType
		wantErr bool
	}{
		{name: "json", in: "json", want: sender.ContentJSON},
		{name: "form", in: "form", want: sender.ContentForm},
		{name: "empty", in: "", wantErr: true},
		{name: "media type is not the flag value", in: "application/json", wantErr: true},
		{name: "unknown", in: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sender.ParseContentType(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseContentType(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseContentType(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDeliveryBody(t *testing.T) {
	tests := []struct {
		name    string
		payload string
	}{
		{name: "ping", payload: testPayload},
		{name: "reserved characters", payload: `{"q":"a&b=c+d %20 #frag ?x /y"}`},
		{name: "newlines and unicode", payload: "{\n  \"title\": \"naïve ☃\"\n}\n"},
		{name: "empty", payload: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sender.Delivery{Payload: []byte(tt.payload), ContentType: sender.ContentJSON}
			if got := d.Body(); !bytes.Equal(got, []byte(tt.payload)) {
				t.Errorf("json Body() = %q, want the payload %q", got, tt.payload)
			}

			d.ContentType = sender.ContentForm
			got := string(d.Body())
			if want := "payload=" + url.QueryEscape(tt.payload); got != want {
				t.Errorf("form Body() = %q, want %q", got, want)
			}
			values, err := url.ParseQuery(got)
			if err != nil {
				t.Fatalf("url.ParseQuery(form Body()): %v", err)
			}
			if p := values["payload"]; len(p) != 1 || p[0] != tt.payload {
				t.Errorf("form Body() decodes to payload %q, want exactly [%q]", p, tt.payload)
			}
		})
	}
}

func TestDeliveryRequestHeaders(t *testing.T) {
	d := testDelivery(t)
	body := []byte(testPayload)
	wantSigs := []sender.Field{
		{Name: signing.GitHubSignatureHeader, Value: "sha256=" + hmacHex(testSecret, body, true)},
		{Name: signing.GitHubLegacySignatureHeader, Value: "sha1=" + hmacHex(testSecret, body, false)},
	}
	tests := []struct {
		name        string
		contentType sender.ContentType
		extra       []sender.Field
		want        []sender.Field
	}{
		{
			name: "json in GitHub's order",
			want: append([]sender.Field{
				{Name: "User-Agent", Value: "hooklab/test"},
				{Name: "Content-Type", Value: "application/json"},
				{Name: "X-GitHub-Event", Value: "ping"},
				{Name: "X-GitHub-Delivery", Value: d.ID},
				{Name: "X-GitHub-Hook-ID", Value: "42"},
			}, wantSigs...),
		},
		{
			name:  "extra headers replace in place, as spelled, and append",
			extra: []sender.Field{{Name: "x-github-event", Value: "push"}, {Name: "X-Trace", Value: "t-1"}},
			want: append(append([]sender.Field{
				{Name: "User-Agent", Value: "hooklab/test"},
				{Name: "Content-Type", Value: "application/json"},
				{Name: "x-github-event", Value: "push"},
				{Name: "X-GitHub-Delivery", Value: d.ID},
				{Name: "X-GitHub-Hook-ID", Value: "42"},
			}, wantSigs...), sender.Field{Name: "X-Trace", Value: "t-1"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDelivery(t)
			d.Extra = tt.extra
			req := mustRequest(t, d)
			if !slices.Equal(req.Header, tt.want) {
				t.Errorf("Header =\n%q\nwant\n%q", req.Header, tt.want)
			}
			if !bytes.Equal(req.Body, d.Body()) || req.URL != d.URL || req.Length != d.Length {
				t.Errorf("Request = {URL %v, Body %q, Length %v}, want the delivery's", req.URL, req.Body, req.Length)
			}
		})
	}
}

// errAny stands for "some error" in tables.
var errAny = errors.New("any error")

func TestDeliveryRequestSignature(t *testing.T) {
	scheme, err := signing.NewGitHub(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		signature   sender.SignatureMode
		contentType sender.ContentType
		secret      string
		wantErr     error
		wantSigned  bool
		wantVerify  error // signing.Verify with testSecret, when signed
	}{
		{name: "valid", signature: sender.SignatureValid, secret: testSecret, wantSigned: true},
		{name: "zero mode is valid", secret: testSecret, wantSigned: true},
		{name: "valid form signs the form body", signature: sender.SignatureValid, contentType: sender.ContentForm, secret: testSecret, wantSigned: true},
		{name: "valid without a secret", signature: sender.SignatureValid, wantErr: signing.ErrNoSecret},
		{name: "zero mode without a secret", wantErr: signing.ErrNoSecret},
		{name: "wrong", signature: sender.SignatureWrong, secret: testSecret, wantSigned: true, wantVerify: signing.ErrMismatch},
		{name: "wrong form", signature: sender.SignatureWrong, contentType: sender.ContentForm, secret: testSecret, wantSigned: true, wantVerify: signing.ErrMismatch},
		{name: "wrong without a secret", signature: sender.SignatureWrong, wantSigned: true, wantVerify: signing.ErrMismatch},
		{name: "missing", signature: sender.SignatureMissing, secret: testSecret},
		{name: "missing without a secret", signature: sender.SignatureMissing},
		{name: "unknown mode is an error, not unsigned", signature: "sometimes", secret: testSecret, wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDelivery(t)
			d.Signature, d.Secret = tt.signature, tt.secret
			if tt.contentType != "" {
				d.ContentType = tt.contentType
			}
			req, err := d.Request()
			if tt.wantErr == errAny {
				if err == nil {
					t.Fatalf("Request() with mode %q succeeded, want an error", tt.signature)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Request() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if req != nil {
					t.Errorf("Request() = %v with an error, want nil", req)
				}
				return
			}
			sig256, sig1 := req.Get(signing.GitHubSignatureHeader), req.Get(signing.GitHubLegacySignatureHeader)
			if !tt.wantSigned {
				if sig256 != "" || sig1 != "" {
					t.Errorf("signature headers = %q, %q; want neither", sig256, sig1)
				}
				return
			}
			if _, err := signing.ParseGitHubSignature(sig256); err != nil {
				t.Errorf("%s is malformed: %v", signing.GitHubSignatureHeader, err)
			}
			err = signing.Verify(scheme, httpHeader(req.Header), req.Body, time.Now())
			if !errors.Is(err, tt.wantVerify) || (tt.wantVerify == nil) != (err == nil) {
				t.Errorf("signing.Verify with the shared secret = %v, want %v", err, tt.wantVerify)
			}
			// Both headers, checked with crypto/hmac alone.
			match256 := sig256 == "sha256="+hmacHex(testSecret, d.Body(), true)
			match1 := sig1 == "sha1="+hmacHex(testSecret, d.Body(), false)
			if want := tt.wantVerify == nil; match256 != want || match1 != want {
				t.Errorf("signatures %q, %q match the shared secret: %v, %v; want %v", sig256, sig1, match256, match1, want)
			}
		})
	}
}

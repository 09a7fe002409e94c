package diagnose

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// Distinctive secrets, so that a test can tell when a message shows one.
const (
	testSecret  = "diag-Secret-7c1e5a9b3d2f4e6a8b0c"
	otherSecret = "diag-Other-0f9e8d7c6b5a49382716"
	wrongSecret = "diag-Wrong-55aa66bb77cc88dd99ee"
)

// standardSecret is a Standard Webhooks secret: whsec_ and base64.
var standardSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("diagnose-standard-key-32-bytes!!"))

var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const testBody = `{"id":"evt_1","type":"push","url":"https://example.com/a/b","created":1735787045}`

// secretFor returns the secret a provider's deliveries are signed with.
func secretFor(provider string) string {
	if provider == signing.ProviderStandard || provider == signing.ProviderStripe {
		return standardSecret
	}
	return testSecret
}

// mustSign returns the headers that sign body with secret, at at, with id.
func mustSign(tb testing.TB, provider, secret string, body []byte, id string, at time.Time) http.Header {
	tb.Helper()
	s, err := signing.New(provider, []string{secret}, signing.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := s.Sign(signing.Message{Body: body, ID: id, Time: at})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// mac returns HMAC(newHash, key, parts...).
func mac(key []byte, sha1Hash bool, parts ...string) []byte {
	newHash := sha256.New
	if sha1Hash {
		m := hmac.New(sha1.New, key)
		m.Write([]byte(strings.Join(parts, "")))
		return m.Sum(nil)
	}
	m := hmac.New(newHash, key)
	m.Write([]byte(strings.Join(parts, "")))
	return m.Sum(nil)
}

func mustIndent(tb testing.TB, body, indent string) string {
	tb.Helper()
	out, ok := jsonIndent([]byte(body), indent)
	if !ok {
		tb.Fatalf("not JSON: %s", body)
	}
	return string(out)
}

// delivery is what a test hands Explain: provider, what arrived, with
// secret configured.
func delivery(provider string, h http.Header, body string) Input {
	return Input{Provider: provider, Secrets: []string{secretFor(provider)}, Header: h, Body: []byte(body),
		Now: testNow, Tolerance: signing.DefaultTolerance}
}

func TestExplainCauses(t *testing.T) {
	form := func(payload string) string { return "payload=" + url.QueryEscape(payload) }
	tests := []struct {
		name string
		// in builds the delivery: signed the wrong way the cause says.
		in       func(tb testing.TB) Input
		want     string
		contains string // in the message, when set
	}{
		{name: "sender's secret has a trailing newline", want: CodeSecretTrailingNewline, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret+"\n", []byte(testBody), "", testNow), testBody)
		}},
		{name: "hooklab's secret has a trailing newline", want: CodeSecretTrailingNewline, contains: "without its trailing newline", in: func(tb testing.TB) Input {
			in := delivery("slack", mustSign(tb, "slack", testSecret, []byte(testBody), "", testNow), testBody)
			in.Secrets = []string{testSecret + "\n"}
			return in
		}},
		{name: "gitlab token without the secret's newline", want: CodeSecretTrailingNewline, in: func(tb testing.TB) Input {
			in := delivery("gitlab", mustSign(tb, "gitlab", testSecret, nil, "", testNow), testBody)
			in.Secrets = []string{testSecret + "\n"}
			return in
		}},
		{name: "sender's secret has spaces", want: CodeSecretWhitespace, in: func(tb testing.TB) Input {
			return delivery("gitea", mustSign(tb, "gitea", " "+testSecret+" ", []byte(testBody), "", testNow), testBody)
		}},
		{name: "hooklab's secret has spaces", want: CodeSecretWhitespace, contains: "the secret without", in: func(tb testing.TB) Input {
			in := delivery("shopify", mustSign(tb, "shopify", testSecret, []byte(testBody), "", testNow), testBody)
			in.Secrets = []string{testSecret + "  "}
			return in
		}},
		{name: "another configured secret", want: CodeOtherSecret, in: func(tb testing.TB) Input {
			in := delivery("github", mustSign(tb, "github", otherSecret, []byte(testBody), "", testNow), testBody)
			in.OtherSecrets = []string{otherSecret}
			return in
		}},
		{name: "another provider's scheme", want: CodeOtherProvider, contains: "Stripe-Signature", in: func(tb testing.TB) Input {
			in := delivery("github", mustSign(tb, "stripe", testSecret, []byte(testBody), "", testNow), testBody)
			return in
		}},
		{name: "body got a trailing newline", want: CodeBodyTrailingNewlineAdd, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(testBody), "", testNow), testBody+"\n")
		}},
		{name: "body lost its trailing newline", want: CodeBodyTrailingNewlineDrop, in: func(tb testing.TB) Input {
			return delivery("stripe", mustSign(tb, "stripe", standardSecret, []byte(testBody+"\n"), "", testNow), testBody)
		}},
		{name: "signed as Latin-1, sent as UTF-8", want: CodeBodyLatin1, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte("{\"name\":\"caf\xe9\"}"), "", testNow), `{"name":"café"}`)
		}},
		{name: "signed as UTF-8, sent as Latin-1", want: CodeBodyUTF8, in: func(tb testing.TB) Input {
			return delivery("shopify", mustSign(tb, "shopify", testSecret, []byte(`{"name":"café"}`), "", testNow), "{\"name\":\"caf\xe9\"}")
		}},
		{name: "signed compact, sent indented", want: CodeJSONCompact, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(testBody), "", testNow), mustIndent(tb, testBody, "  "))
		}},
		{name: "signed as Python writes JSON", want: CodeJSONSpaced, in: func(tb testing.TB) Input {
			return delivery("slack", mustSign(tb, "slack", testSecret, []byte(`{"a": 1, "b": [1, 2], "c": "x, y: z"}`), "", testNow), `{"a":1,"b":[1,2],"c":"x, y: z"}`)
		}},
		{name: "signed indented by two", want: CodeJSONIndent2, in: func(tb testing.TB) Input {
			return delivery("standard", mustSign(tb, "standard", standardSecret, []byte(mustIndent(tb, testBody, "  ")), "msg_1", testNow), testBody)
		}},
		{name: "signed indented by four", want: CodeJSONIndent4, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(mustIndent(tb, testBody, "    ")), "", testNow), testBody)
		}},
		{name: "slashes escaped on the way", want: CodeJSONUnescapedSlash, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(`{"url":"https://x.test/a"}`), "", testNow), `{"url":"https:\/\/x.test\/a"}`)
		}},
		{name: "slashes unescaped on the way", want: CodeJSONEscapedSlash, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(`{"url":"https:\/\/x.test\/a"}`), "", testNow), `{"url":"https://x.test/a"}`)
		}},
		{name: "characters escaped on the way", want: CodeJSONUnescapedUnicode, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(`{"a":"<é> 😀"}`), "", testNow), `{"a":"\u003c\u00e9\u003e \ud83d\ude00"}`)
		}},
		{name: "signed with ensure_ascii", want: CodeJSONEscapedUnicode, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(`{"a":"\u00e9 \ud83d\ude00"}`), "", testNow), `{"a":"é 😀"}`)
		}},
		{name: "signed as Go escapes HTML", want: CodeJSONEscapedHTML, in: func(tb testing.TB) Input {
			return delivery("github", mustSign(tb, "github", testSecret, []byte(`{"a":"\u003cb\u003e \u0026"}`), "", testNow), `{"a":"<b> &"}`)
		}},
		{name: "github form: payload signed", want: CodeFormPayloadSigned, in: func(tb testing.TB) Input {
			h := mustSign(tb, "github", testSecret, []byte(testBody), "", testNow)
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			return delivery("github", h, form(testBody))
		}},
		{name: "gitea form: form body signed", want: CodeFormBodySigned, in: func(tb testing.TB) Input {
			h := mustSign(tb, "gitea", testSecret, []byte(form(testBody)), "", testNow)
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			return delivery("gitea", h, form(testBody))
		}},
		{name: "sha1 in the sha256 header", want: CodeSHA1, in: func(tb testing.TB) Input {
			h := http.Header{}
			h.Set(signing.GitHubSignatureHeader, "sha1="+hex.EncodeToString(mac([]byte(testSecret), true, testBody)))
			return delivery("github", h, testBody)
		}},
		{name: "slack sha1", want: CodeSHA1, in: func(tb testing.TB) Input {
			h := mustSign(tb, "slack", testSecret, []byte(testBody), "", testNow)
			h.Set(signing.SlackSignatureHeader, "v0="+hex.EncodeToString(mac([]byte(testSecret), true, "v0:", h.Get(signing.SlackTimestampHeader), ":", testBody)))
			return delivery("slack", h, testBody)
		}},
		{name: "uppercase hex", want: CodeUppercaseHex, in: func(tb testing.TB) Input {
			h := mustSign(tb, "github", testSecret, []byte(testBody), "", testNow)
			h.Set(signing.GitHubSignatureHeader, strings.ToUpper(h.Get(signing.GitHubSignatureHeader)))
			return delivery("github", h, testBody)
		}},
		{name: "github base64", want: CodeBase64NotHex, in: func(tb testing.TB) Input {
			h := http.Header{}
			h.Set(signing.GitHubSignatureHeader, "sha256="+base64.StdEncoding.EncodeToString(mac([]byte(testSecret), false, testBody)))
			return delivery("github", h, testBody)
		}},
		{name: "stripe base64", want: CodeBase64NotHex, in: func(tb testing.TB) Input {
			t := strconv.FormatInt(testNow.Unix(), 10)
			h := http.Header{}
			h.Set(signing.StripeSignatureHeader, "t="+t+",v1="+base64.URLEncoding.EncodeToString(mac([]byte(standardSecret), false, t, ".", testBody)))
			return delivery("stripe", h, testBody)
		}},
		{name: "shopify hex", want: CodeHexNotBase64, in: func(tb testing.TB) Input {
			h := http.Header{}
			h.Set(signing.ShopifySignatureHeader, hex.EncodeToString(mac([]byte(testSecret), false, testBody)))
			return delivery("shopify", h, testBody)
		}},
		{name: "standard hex", want: CodeHexNotBase64, in: func(tb testing.TB) Input {
			h := mustSign(tb, "standard", standardSecret, []byte(testBody), "msg_1", testNow)
			key, _ := signing.StandardKey(standardSecret)
			h.Set(signing.StandardSignatureHeader, "v1,"+hex.EncodeToString(mac(key, false, "msg_1.", h.Get(signing.StandardTimestampHeader), ".", testBody)))
			return delivery("standard", h, testBody)
		}},
		{name: "whsec_ key not decoded", want: CodeWhsecNotDecoded, in: func(tb testing.TB) Input {
			h := mustSign(tb, "standard", standardSecret, []byte(testBody), "msg_1", testNow)
			h.Set(signing.StandardSignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(
				mac([]byte(standardSecret), false, "msg_1.", h.Get(signing.StandardTimestampHeader), ".", testBody)))
			return delivery("standard", h, testBody)
		}},
		{name: "stripe whsec_ key decoded", want: CodeWhsecDecoded, in: func(tb testing.TB) Input {
			key, _ := signing.StandardKey(standardSecret)
			return delivery("stripe", mustSign(tb, "stripe", string(key), []byte(testBody), "", testNow), testBody)
		}},
		{name: "X-Signature-256 instead", want: CodeWrongHeader, contains: "X-Signature-256 carries a valid signature", in: func(tb testing.TB) Input {
			signed := mustSign(tb, "github", testSecret, []byte(testBody), "", testNow)
			h := http.Header{}
			h.Set("X-Signature-256", signed.Get(signing.GitHubSignatureHeader))
			return delivery("github", h, testBody)
		}},
		{name: "only the legacy X-Hub-Signature", want: CodeWrongHeader, contains: "X-Hub-Signature carries a valid HMAC-SHA1", in: func(tb testing.TB) Input {
			h := mustSign(tb, "github", testSecret, []byte(testBody), "", testNow)
			h.Del(signing.GitHubSignatureHeader)
			return delivery("github", h, testBody)
		}},
		{name: "clock ahead", want: CodeTimestampOutOfRange, contains: "7 minutes in the future, beyond the tolerance of 5 minutes: the sender's clock is ahead", in: func(tb testing.TB) Input {
			return delivery("stripe", mustSign(tb, "stripe", standardSecret, []byte(testBody), "", testNow.Add(7*time.Minute)), testBody)
		}},
		{name: "clock behind", want: CodeTimestampOutOfRange, contains: "12 minutes old, beyond the tolerance of 5 minutes: the sender's clock is likely behind", in: func(tb testing.TB) Input {
			return delivery("standard", mustSign(tb, "standard", standardSecret, []byte(testBody), "msg_1", testNow.Add(-12*time.Minute)), testBody)
		}},
		// Just past the tolerance, rounding must not make the age read as
		// the tolerance itself ("5 minutes old, beyond ... 5 minutes").
		{name: "just past the tolerance", want: CodeTimestampOutOfRange, contains: "5m1.4s old, beyond the tolerance of 5m0s", in: func(tb testing.TB) Input {
			in := delivery("stripe", mustSign(tb, "stripe", standardSecret, []byte(testBody), "", testNow.Add(-5*time.Minute-time.Second)), testBody)
			in.Now = testNow.Add(400 * time.Millisecond)
			return in
		}},
		{name: "just ahead of the tolerance", want: CodeTimestampOutOfRange, contains: "1.4s in the future, beyond the tolerance of 1s", in: func(tb testing.TB) Input {
			in := delivery("slack", mustSign(tb, "slack", testSecret, []byte(testBody), "", testNow.Add(2*time.Second)), testBody)
			in.Now, in.Tolerance = testNow.Add(600*time.Millisecond), time.Second
			return in
		}},
		{name: "replayed", want: CodeTimestampOutOfRange, contains: "3 hours old, beyond the tolerance of 5 minutes: a replay", in: func(tb testing.TB) Input {
			return delivery("slack", mustSign(tb, "slack", testSecret, []byte(testBody), "", testNow.Add(-3*time.Hour)), testBody)
		}},
		{name: "stripe signed over the body's created", want: CodeOtherTimestamp, contains: `the body's "created" field`, in: func(tb testing.TB) Input {
			created := testNow.Add(-40 * time.Second)
			body := `{"id":"evt_1","created":` + strconv.FormatInt(created.Unix(), 10) + `}`
			h := mustSign(tb, "stripe", standardSecret, []byte(body), "", created)
			h.Set(signing.StripeSignatureHeader, strings.Replace(h.Get(signing.StripeSignatureHeader),
				"t="+strconv.FormatInt(created.Unix(), 10), "t="+strconv.FormatInt(testNow.Unix(), 10), 1))
			return delivery("stripe", h, body)
		}},
		{name: "signed a second before the header's time", want: CodeOtherTimestamp, contains: "a second read of the clock", in: func(tb testing.TB) Input {
			h := mustSign(tb, "standard", standardSecret, []byte(testBody), "msg_1", testNow.Add(-time.Second))
			h.Set(signing.StandardTimestampHeader, strconv.FormatInt(testNow.Unix(), 10))
			return delivery("standard", h, testBody)
		}},
		{name: "standard signed over the body's id", want: CodeOtherID, contains: `the body's "id" field`, in: func(tb testing.TB) Input {
			h := mustSign(tb, "standard", standardSecret, []byte(testBody), "evt_1", testNow)
			h.Set(signing.StandardIDHeader, "msg_2")
			return delivery("standard", h, testBody)
		}},
		{name: "svix signed over the other id header", want: CodeOtherID, contains: "the Webhook-Id header", in: func(tb testing.TB) Input {
			signed := mustSign(tb, "standard", standardSecret, []byte(testBody), "msg_1", testNow)
			h := http.Header{}
			h.Set(signing.SvixIDHeader, "msg_2")
			h.Set(signing.SvixTimestampHeader, signed.Get(signing.StandardTimestampHeader))
			h.Set(signing.SvixSignatureHeader, signed.Get(signing.StandardSignatureHeader))
			h.Set(signing.StandardIDHeader, "msg_1")
			return delivery("standard", h, testBody)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in(t)
			causes := Explain(in)
			if len(causes) != 1 || causes[0].Code != tt.want {
				t.Fatalf("Explain = %+v, want exactly %s", causes, tt.want)
			}
			if !strings.Contains(causes[0].Message, tt.contains) {
				t.Errorf("message %q does not contain %q", causes[0].Message, tt.contains)
			}
			summary := Summary(causes)
			if summary != "likely cause: "+causes[0].Message {
				t.Errorf("Summary = %q", summary)
			}
			assertNoSecret(t, in, summary)
		})
	}
}

// assertNoSecret fails when text shows a secret, or the MAC the delivery
// should carry or does, in any of the forms a header writes it.
func assertNoSecret(tb testing.TB, in Input, text string) {
	tb.Helper()
	secrets := append(append([]string{testSecret, otherSecret, wrongSecret, standardSecret}, in.Secrets...), in.OtherSecrets...)
	var forbidden []string
	for _, s := range secrets {
		if t := strings.TrimSpace(s); len(t) >= 8 {
			forbidden = append(forbidden, t, t[len(t)-8:])
		}
		for _, provider := range signing.Providers() {
			if h, err := mustSignQuiet(provider, s, in.Body); err == nil {
				for _, vs := range h {
					for _, v := range vs {
						forbidden = append(forbidden, macTexts(v)...)
					}
				}
			}
		}
	}
	for _, vs := range in.Header {
		for _, v := range vs {
			forbidden = append(forbidden, macTexts(v)...)
		}
	}
	for _, f := range forbidden {
		if strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
			tb.Errorf("the explanation shows a secret or MAC (%q): %s", f, text)
		}
	}
}

func mustSignQuiet(provider, secret string, body []byte) (http.Header, error) {
	s, err := signing.New(provider, []string{secret}, signing.Options{})
	if err != nil {
		return nil, err
	}
	return s.Sign(signing.Message{Body: body, ID: "msg_1", Time: testNow})
}

// macTexts returns the long tokens of a header value: MACs in hex or
// base64.
func macTexts(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '=' }) {
		if len(f) >= 20 {
			out = append(out, f[:20])
		}
	}
	return out
}

// wrongly builds a delivery signed with a secret that is simply another:
// no cause may be reported, whatever else is odd about it.
func TestExplainWrongSecretFindsNothing(t *testing.T) {
	bodies := map[string]string{
		"json":          testBody,
		"json newline":  mustIndent(t, `{"url":"https:\/\/x.test\/é","a":"<b>"}`, "  ") + "\n",
		"latin-1":       "{\"name\":\"caf\xe9\"}",
		"form":          "payload=" + url.QueryEscape(testBody),
		"not json":      "hello\r\n",
		"empty":         "",
		"body with ids": `{"id":"msg_9","created":1735787000,"event_id":"e_1"}`,
	}
	wrong := map[string]string{signing.ProviderStandard: "whsec_" + base64.StdEncoding.EncodeToString([]byte("some-other-standard-key-32-bytes"))}
	for _, provider := range signing.Providers() {
		for name, body := range bodies {
			// Fresh, stale, and just past the tolerance either way; each
			// with the tolerance and without one.
			edge := signing.DefaultTolerance + time.Second
			for _, at := range []time.Duration{0, -3 * time.Hour, -edge, edge} {
				for _, tolerance := range []time.Duration{signing.DefaultTolerance, 0} {
					t.Run(provider+"/"+name+"/"+at.String()+"/"+tolerance.String(), func(t *testing.T) {
						secret := wrongSecret
						if w, ok := wrong[provider]; ok {
							secret = w
						}
						h := mustSign(t, provider, secret, []byte(body), "msg_9", testNow.Add(at))
						if strings.HasPrefix(body, "payload=") {
							h.Set("Content-Type", "application/x-www-form-urlencoded")
						}
						h.Set("Date", testNow.Add(-time.Second).Format(http.TimeFormat))
						h.Set("X-Request-Id", "msg_9")
						in := delivery(provider, h, body)
						in.Secrets = []string{secretFor(provider), " " + secretFor(provider) + "\n"}
						in.OtherSecrets = []string{otherSecret}
						in.Tolerance = tolerance
						if causes := Explain(in); len(causes) != 0 {
							t.Fatalf("a wrong secret was explained: %+v", causes)
						}
					})
				}
			}
		}
	}
}

func TestSummaryWithoutCause(t *testing.T) {
	const want = "none of the known causes matches: the secret differs, or the body was changed in another way"
	if got := Summary(nil); got != want {
		t.Errorf("Summary(nil) = %q, want %q", got, want)
	}
	two := Summary([]Cause{{Code: "a", Message: "one"}, {Code: "b", Message: "two"}})
	if two != "likely cause: one; or two" {
		t.Errorf("Summary = %q", two)
	}
}

func TestExplainNothingToExplain(t *testing.T) {
	tests := []struct {
		name string
		in   Input
	}{
		{name: "verified", in: delivery("github", mustSign(t, "github", testSecret, []byte(testBody), "", testNow), testBody)},
		{name: "verified with the previous secret", in: func() Input {
			in := delivery("github", mustSign(t, "github", otherSecret, []byte(testBody), "", testNow), testBody)
			in.Secrets = []string{testSecret, otherSecret}
			return in
		}()},
		{name: "uppercase hex digits verify", in: func() Input {
			h := http.Header{}
			h.Set(signing.GitHubSignatureHeader, "sha256="+strings.ToUpper(hex.EncodeToString(mac([]byte(testSecret), false, testBody))))
			return delivery("github", h, testBody)
		}()},
		{name: "no secret", in: Input{Provider: "github", Header: http.Header{}, Body: []byte(testBody), Now: testNow}},
		{name: "unknown provider", in: Input{Provider: "nope", Secrets: []string{testSecret}, Header: http.Header{}, Now: testNow}},
		{name: "no headers", in: Input{Provider: "stripe", Secrets: []string{testSecret}, Body: []byte(testBody), Now: testNow}},
		{name: "garbage signature", in: func() Input {
			h := http.Header{}
			h.Set(signing.StripeSignatureHeader, "t=abc,v1=,v1=zz,=,,t=")
			h.Set(signing.SlackSignatureHeader, "v0=")
			return delivery("stripe", h, testBody)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if causes := Explain(tt.in); causes != nil {
				t.Errorf("Explain = %+v, want nil", causes)
			}
		})
	}
}

// TestExplainLargeBody shows that a body over MaxBody gets no body
// variants, but still the checks on the secret.
func TestExplainLargeBody(t *testing.T) {
	big := strings.Repeat("a", MaxBody)
	in := delivery("github", mustSign(t, "github", testSecret, []byte(big), "", testNow), big+"\n")
	if causes := Explain(in); causes != nil {
		t.Errorf("a body over MaxBody was varied: %+v", causes)
	}
	in = delivery("github", mustSign(t, "github", testSecret+"\n", []byte(big+"\n"), "", testNow), big+"\n")
	if causes := Explain(in); len(causes) != 1 || causes[0].Code != CodeSecretTrailingNewline {
		t.Errorf("Explain = %+v, want the secret's newline", causes)
	}
}

// TestExplainStaleAndChanged shows that a stale timestamp is reported
// beside another cause, not instead of it.
func TestExplainStaleAndChanged(t *testing.T) {
	in := delivery("stripe", mustSign(t, "stripe", standardSecret, []byte(testBody), "", testNow.Add(-2*24*time.Hour)), testBody+"\n")
	var codes []string
	for _, c := range Explain(in) {
		codes = append(codes, c.Code)
	}
	if want := []string{CodeBodyTrailingNewlineAdd, CodeTimestampOutOfRange}; !slices.Equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
}

// vector is one published test vector of ../shared/vectors (see its
// README for each one's source).
type vector struct {
	Scheme          string            `json:"scheme"`
	Secret          string            `json:"secret"`
	Body            string            `json:"body"`
	Timestamp       *int64            `json:"timestamp"`
	ID              *string           `json:"id"`
	ExpectedHeaders map[string]string `json:"expected_headers"`
}

// TestExplainVectors takes the providers' published vectors and adds a
// trailing newline to each body: the diagnosis must find it (or, for the
// legacy SHA-1 header alone, the wrong header).
func TestExplainVectors(t *testing.T) {
	data, err := os.ReadFile("../../shared/vectors/vectors.json")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no ../shared/vectors/vectors.json")
	}
	if err != nil {
		t.Fatal(err)
	}
	var vectors []vector
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	for i, v := range vectors {
		if v.Scheme == "standard-webhooks" || v.Scheme == "svix" {
			v.Scheme = signing.ProviderStandard
		}
		if v.Scheme == signing.ProviderGitLab || !slices.Contains(signing.Providers(), v.Scheme) {
			continue
		}
		t.Run(strconv.Itoa(i)+"/"+v.Scheme, func(t *testing.T) {
			h := http.Header{}
			for k, val := range v.ExpectedHeaders {
				h.Set(k, val)
			}
			now := testNow
			if v.Timestamp != nil {
				now = time.Unix(*v.Timestamp, 0)
			}
			in := Input{Provider: v.Scheme, Secrets: []string{v.Secret}, Header: h, Body: []byte(v.Body), Now: now, Tolerance: signing.DefaultTolerance}
			want := CodeWrongHeader
			if h.Get(signing.GitHubLegacySignatureHeader) == "" || h.Get(signing.GitHubSignatureHeader) != "" {
				want = CodeBodyTrailingNewlineAdd
				in.Body = append(in.Body, '\n')
				if strings.HasSuffix(v.Body, "\n") {
					want, in.Body = CodeBodyTrailingNewlineDrop, []byte(strings.TrimSuffix(v.Body, "\n"))
				}
			}
			causes := Explain(in)
			if len(causes) != 1 || causes[0].Code != want {
				t.Fatalf("Explain = %+v, want %s", causes, want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "seconds", d: 40 * time.Second, want: "40 seconds"},
		{name: "one minute", d: 61 * time.Second, want: "1 minute"},
		{name: "minutes", d: 89 * time.Minute, want: "89 minutes"},
		{name: "hours", d: 3*time.Hour + 10*time.Minute, want: "3 hours"},
		{name: "days", d: 50 * time.Hour, want: "2 days"},
		{name: "negative", d: -2 * time.Minute, want: "2 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := words(tt.d); got != tt.want {
				t.Errorf("words(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// BenchmarkExplainWorstCase is a wrong secret on a JSON body of MaxBody
// bytes: every variant is tried and none matches.
func BenchmarkExplainWorstCase(b *testing.B) {
	body := `{"a":"` + strings.Repeat("é/<", (MaxBody-20)/5) + `"}` + "\n"
	h := mustSign(b, "github", wrongSecret, []byte(body), "", testNow)
	in := delivery("github", h, body)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if Explain(in) != nil {
			b.Fatal("explained a wrong secret")
		}
	}
}

// FuzzExplain feeds Explain arbitrary signature values and bodies: it must
// not panic, and with a secret nobody signed with it must find nothing.
func FuzzExplain(f *testing.F) {
	f.Add("github", "sha256=00", "{}")
	f.Add("stripe", "t=1735787045,v1=zz,v1=", `{"created":"2025-01-02T03:04:05Z"}`)
	f.Add("standard", "v1,AAAA v1,", `{"id":1}`)
	f.Add("slack", "v0=\u00e9", "\xff\xfe")
	f.Add("gitea", "", "payload=%7B%7D")
	f.Fuzz(func(t *testing.T, provider, value, body string) {
		h := http.Header{}
		for _, name := range []string{signing.GitHubSignatureHeader, signing.StripeSignatureHeader, signing.StandardSignatureHeader,
			signing.SlackSignatureHeader, signing.ShopifySignatureHeader, signing.GiteaSignatureHeader, "X-Signature"} {
			h.Set(name, value)
		}
		h.Set(signing.StandardIDHeader, "msg_1")
		h.Set(signing.StandardTimestampHeader, "1735787045")
		h.Set(signing.SlackTimestampHeader, "1735787045")
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		in := delivery(provider, h, body)
		in.Secrets = []string{standardSecret}
		if causes := Explain(in); causes != nil {
			t.Errorf("explained a signature nobody made: %+v", causes)
		}
	})
}

// TestExplainHostileHeadersBounded shows that the headers a sender sends
// cannot multiply the work: thousands of signature-, time- and id-like
// names (what 64 KiB of headers holds) still cost a few dozen MACs of the
// body, as for any delivery.
func TestExplainHostileHeadersBounded(t *testing.T) {
	body := []byte(`{"id":"evt_1","created":1735787045}`)
	for _, provider := range []string{signing.ProviderGitHub, signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack} {
		t.Run(provider, func(t *testing.T) {
			signer := wrongSecret
			if provider == signing.ProviderStandard {
				signer = "whsec_" + base64.StdEncoding.EncodeToString([]byte("some-other-standard-key-32-bytes"))
			}
			h := mustSign(t, provider, signer, body, "msg_1", testNow)
			sig := "sha256=" + strings.Repeat("ab", 32)
			for i := range 1000 {
				h.Set("X-Sig-"+strconv.Itoa(i), sig)
				h.Set("X-Time-"+strconv.Itoa(i), strconv.Itoa(1735787045+i))
				h.Set("X-"+strconv.Itoa(i)+"-Id", "msg_"+strconv.Itoa(i))
			}
			in := delivery(provider, h, string(body))
			causes, tries := explain(in)
			if causes != nil {
				t.Errorf("a wrong secret was explained: %+v", causes)
			}
			if tries > 60 {
				t.Errorf("Explain checked %d MACs of the body for 3000 hostile headers, want a few dozen at most", tries)
			}
		})
	}
}

// The Explainer a receiver calls says the Summary of Explain for the
// delivery it is given.
func TestExplainer(t *testing.T) {
	body := []byte(testBody + "\n") // a newline added after signing
	h := mustSign(t, signing.ProviderGitHub, secretFor(signing.ProviderGitHub), []byte(testBody), "msg_9", testNow)
	in := delivery(signing.ProviderGitHub, h, string(body))
	explain := Explainer(signing.ProviderGitHub, in.Secrets, 0, 2)
	got, want := explain(h, body, testNow), Summary(Explain(in))
	if got != want || !strings.HasPrefix(got, "likely cause") {
		t.Errorf("Explainer = %q, want %q", got, want)
	}
}

// A diagnosis past the gate's room is not run: the failure is logged
// without an explanation, and a flood of failing signatures costs at most
// the gate's size in CPU.
func TestGated(t *testing.T) {
	gate := make(chan struct{}, 1)
	ran := false
	if got := gated(gate, func() string { ran = true; return "why" }); got != "why" || !ran || len(gate) != 0 {
		t.Fatalf("with room: %q, ran %v, gate holds %d", got, ran, len(gate))
	}
	gate <- struct{}{} // another diagnosis runs
	ran = false
	if got := gated(gate, func() string { ran = true; return "why" }); got != "" || ran {
		t.Errorf("with no room: %q, ran %v; want nothing run", got, ran)
	}
}

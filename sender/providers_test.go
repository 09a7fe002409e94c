package sender_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Standard Webhooks secrets: whsec_ and the base64 of 32 bytes.
const (
	standardSecret      = "whsec_aG9va2xhYiBzdGFuZGFyZCB0ZXN0IHNlY3JldCAzMmI=" // "hooklab standard test secret 32b"
	standardOtherSecret = "whsec_aG9va2xhYiBwcmV2aW91cyB0ZXN0IHNlY3JldCAzMmI=" // "hooklab previous test secret 32b"
)

// signedAt is the signing time of the deliveries in these tests.
var signedAt = time.Date(2026, 3, 5, 9, 14, 40, 0, time.UTC)

// providerPayload is a small body with a type and an id, as Stripe sends.
const providerPayload = `{"id":"evt_1","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1","total":4900,"currency":"usd"}}}`

// secretOf returns the shared secret for p and a second one, in the form
// p's scheme takes.
func secretOf(p string) (secret, other string) {
	if p == signing.ProviderStandard {
		return standardSecret, standardOtherSecret
	}
	return testSecret, "other " + testSecret
}

// providerDelivery is a complete delivery for p of providerPayload.
func providerDelivery(tb testing.TB, p string) sender.Delivery {
	tb.Helper()
	secret, _ := secretOf(p)
	return sender.Delivery{
		Provider:    p,
		URL:         mustURL(tb, "http://hooks.example.test:8080/webhook"),
		Event:       "invoice.paid",
		ID:          "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W",
		HookID:      "42",
		UserAgent:   "hooklab/test",
		Payload:     []byte(providerPayload),
		ContentType: sender.ContentJSON,
		Time:        signedAt,
		Secret:      secret,
		Signature:   sender.SignatureValid,
	}
}

// hmacSHA256 is the HMAC-SHA256 of the parts under key, computed here
// without the signing package.
func hmacSHA256(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// standardKey decodes a Standard Webhooks secret, without the signing
// package.
func standardKey(tb testing.TB, secret string) []byte {
	tb.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		tb.Fatalf("secret %q does not decode: %v", secret, err)
	}
	return key
}

// signatureHeaders are the headers that hold a signature, by provider.
var signatureHeaders = map[string][]string{
	signing.ProviderGitHub:   {"X-Hub-Signature-256", "X-Hub-Signature"},
	signing.ProviderStripe:   {"Stripe-Signature"},
	signing.ProviderStandard: {"webhook-signature"},
	signing.ProviderSlack:    {"X-Slack-Signature"},
	signing.ProviderShopify:  {"X-Shopify-Hmac-Sha256"},
	signing.ProviderGitLab:   {"X-Gitlab-Token"},
	signing.ProviderGitea:    {"X-Gitea-Signature"},
}

// sameFields reports whether got and want hold the same fields in the same
// order, names compared as HTTP compares them.
func sameFields(got, want []sender.Field) bool {
	return slices.EqualFunc(got, want, func(a, b sender.Field) bool {
		return strings.EqualFold(a.Name, b.Name) && a.Value == b.Value
	})
}

// fieldNames returns the names of fields, in lower case.
func fieldNames(fields []sender.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = strings.ToLower(f.Name)
	}
	return names
}

func TestProviderRequestHeaders(t *testing.T) {
	body := providerPayload
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"
	common := []sender.Field{{Name: "User-Agent", Value: "hooklab/test"}, {Name: "Content-Type", Value: "application/json"}}
	tests := []struct {
		provider string
		want     []sender.Field // after common
	}{
		{provider: "github", want: []sender.Field{
			{Name: "X-GitHub-Event", Value: "invoice.paid"},
			{Name: "X-GitHub-Delivery", Value: id},
			{Name: "X-GitHub-Hook-ID", Value: "42"},
			{Name: "X-Hub-Signature-256", Value: "sha256=" + hmacHex(testSecret, []byte(body), true)},
			{Name: "X-Hub-Signature", Value: "sha1=" + hmacHex(testSecret, []byte(body), false)},
		}},
		{provider: "stripe", want: []sender.Field{
			{Name: "Stripe-Signature", Value: "t=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256([]byte(testSecret), ts, ".", body))},
		}},
		{provider: "standard", want: []sender.Field{
			{Name: "webhook-signature", Value: "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(standardKey(t, standardSecret), id, ".", ts, ".", body))},
			{Name: "webhook-id", Value: id},
			{Name: "webhook-timestamp", Value: ts},
		}},
		{provider: "slack", want: []sender.Field{
			{Name: "X-Slack-Signature", Value: "v0=" + hex.EncodeToString(hmacSHA256([]byte(testSecret), "v0:", ts, ":", body))},
			{Name: "X-Slack-Request-Timestamp", Value: ts},
		}},
		{provider: "shopify", want: []sender.Field{
			{Name: "X-Shopify-Topic", Value: "invoice.paid"},
			{Name: "X-Shopify-Event-Id", Value: id},
			{Name: "X-Shopify-Webhook-Id", Value: id},
			{Name: "X-Shopify-Hmac-Sha256", Value: base64.StdEncoding.EncodeToString(hmacSHA256([]byte(testSecret), body))},
		}},
		{provider: "gitlab", want: []sender.Field{
			{Name: "X-Gitlab-Event", Value: "invoice.paid"},
			{Name: "Idempotency-Key", Value: id},
			{Name: "X-Gitlab-Event-UUID", Value: id},
			{Name: "X-Gitlab-Token", Value: testSecret},
		}},
		{provider: "gitea", want: []sender.Field{
			{Name: "X-Gitea-Event", Value: "invoice.paid"},
			{Name: "X-Gitea-Delivery", Value: id},
			{Name: "X-Gitea-Signature", Value: hex.EncodeToString(hmacSHA256([]byte(testSecret), body))},
		}},
	}
	var tested []string
	for _, tt := range tests {
		tested = append(tested, tt.provider)
		t.Run(tt.provider, func(t *testing.T) {
			d := providerDelivery(t, tt.provider)
			req := mustRequest(t, d)
			want := slices.Concat(common, tt.want)
			if !sameFields(req.Header, want) {
				t.Errorf("Header =\n%q\nwant\n%q", req.Header, want)
			}
			if string(req.Body) != body || req.URL != d.URL {
				t.Errorf("Request = {URL %v, Body %q}, want the delivery's", req.URL, req.Body)
			}
			if tt.provider != signing.ProviderGitHub {
				for _, f := range req.Header {
					if name := strings.ToLower(f.Name); strings.HasPrefix(name, "x-github-") || strings.HasPrefix(name, "x-hub-") {
						t.Errorf("GitHub's %s sent as %s", f.Name, tt.provider)
					}
				}
			}

			// The signature headers are signing's, and verify.
			scheme, err := signing.New(tt.provider, []string{d.Secret}, signing.Options{Tolerance: signing.DefaultTolerance})
			if err != nil {
				t.Fatal(err)
			}
			signed, err := scheme.Sign(signing.Message{Body: []byte(body), ID: d.ID, Time: d.Time})
			if err != nil {
				t.Fatal(err)
			}
			for name := range signed {
				if got := req.Get(name); got != signed.Get(name) {
					t.Errorf("%s = %q, signing says %q", name, got, signed.Get(name))
				}
			}
			if err := signing.Verify(scheme, httpHeader(req.Header), req.Body, signedAt); err != nil {
				t.Errorf("signing.Verify: %v", err)
			}
		})
	}
	if !slices.Equal(tested, signing.Providers()) {
		t.Errorf("the table tests %v, want every provider %v", tested, signing.Providers())
	}
}

func TestProviderRequestTime(t *testing.T) {
	timestamp := map[string]func(*sender.Request) string{
		signing.ProviderStripe: func(r *sender.Request) string {
			t, _, _ := strings.Cut(strings.TrimPrefix(r.Get("Stripe-Signature"), "t="), ",")
			return t
		},
		signing.ProviderStandard: func(r *sender.Request) string { return r.Get("webhook-timestamp") },
		signing.ProviderSlack:    func(r *sender.Request) string { return r.Get("X-Slack-Request-Timestamp") },
	}
	times := []time.Time{signedAt, signedAt.Add(-10 * time.Minute), time.Unix(1, 0), time.Unix(4102444800, 999_000_000)}
	for p, get := range timestamp {
		for _, at := range times {
			t.Run(p+"/"+strconv.FormatInt(at.Unix(), 10), func(t *testing.T) {
				d := providerDelivery(t, p)
				d.Time = at
				req := mustRequest(t, d)
				if got, want := get(req), strconv.FormatInt(at.Unix(), 10); got != want {
					t.Errorf("timestamp %q, want %q", got, want)
				}
				// It verifies at that time, and not 10 minutes later.
				scheme, err := signing.New(p, []string{d.Secret}, signing.Options{Tolerance: 5 * time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				if err := signing.Verify(scheme, httpHeader(req.Header), req.Body, at); err != nil {
					t.Errorf("Verify at the signing time: %v", err)
				}
				if err := signing.Verify(scheme, httpHeader(req.Header), req.Body, at.Add(10*time.Minute)); !errors.Is(err, signing.ErrTimestamp) {
					t.Errorf("Verify 10 minutes later: %v, want ErrTimestamp", err)
				}
			})
		}
	}
}

func TestSignWithAll(t *testing.T) {
	body := providerPayload
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"
	stripeSig := func(secret string) string {
		return "v1=" + hex.EncodeToString(hmacSHA256([]byte(secret), ts, ".", body))
	}
	standardSig := func(secret string) string {
		return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(standardKey(t, secret), id, ".", ts, ".", body))
	}
	slackSig := "v0=" + hex.EncodeToString(hmacSHA256([]byte(testSecret), "v0:", ts, ":", body))
	tests := []struct {
		name     string
		provider string
		all      bool
		header   string
		want     string
		bothSign bool // the header holds a signature under each secret
	}{
		{name: "stripe, one per secret", provider: "stripe", all: true, header: "Stripe-Signature", bothSign: true,
			want: "t=" + ts + "," + stripeSig(testSecret) + "," + stripeSig("other "+testSecret)},
		{name: "stripe, first secret only", provider: "stripe", header: "Stripe-Signature",
			want: "t=" + ts + "," + stripeSig(testSecret)},
		{name: "standard, one per secret", provider: "standard", all: true, header: "webhook-signature", bothSign: true,
			want: standardSig(standardSecret) + " " + standardSig(standardOtherSecret)},
		{name: "standard, first secret only", provider: "standard", header: "webhook-signature",
			want: standardSig(standardSecret)},
		{name: "slack has no list: the first secret", provider: "slack", all: true, header: "X-Slack-Signature", want: slackSig},
		{name: "gitea has no list: the first secret", provider: "gitea", all: true, header: "X-Gitea-Signature",
			want: hex.EncodeToString(hmacSHA256([]byte(testSecret), body))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := providerDelivery(t, tt.provider)
			secret, other := secretOf(tt.provider)
			d.OtherSecrets, d.SignWithAll = []string{other}, tt.all
			req := mustRequest(t, d)
			if got := req.Get(tt.header); got != tt.want {
				t.Errorf("%s =\n%q\nwant\n%q", tt.header, got, tt.want)
			}
			// A receiver that knows either secret accepts it when both signed.
			for _, known := range []string{secret, other} {
				scheme, err := signing.New(tt.provider, []string{known}, signing.Options{})
				if err != nil {
					t.Fatal(err)
				}
				err = signing.Verify(scheme, httpHeader(req.Header), req.Body, signedAt)
				if wantOK := known == secret || tt.bothSign; (err == nil) != wantOK {
					t.Errorf("a receiver with one of the secrets: Verify = %v, want accepted %v", err, wantOK)
				}
			}
		})
	}
}

func TestSignatureMissingKeepsTheRest(t *testing.T) {
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			valid := mustRequest(t, providerDelivery(t, p))
			d := providerDelivery(t, p)
			d.Signature = sender.SignatureMissing
			missing := mustRequest(t, d)
			var want []sender.Field
			for _, f := range valid.Header {
				if !slices.ContainsFunc(signatureHeaders[p], func(name string) bool { return strings.EqualFold(name, f.Name) }) {
					want = append(want, f)
				}
			}
			if len(want) == len(valid.Header) {
				t.Fatalf("the valid request %q has none of %v", valid.Header, signatureHeaders[p])
			}
			if !sameFields(missing.Header, want) {
				t.Errorf("Header =\n%q\nwant the valid request's without its signature\n%q", missing.Header, want)
			}
			scheme, err := signing.New(p, []string{d.Secret}, signing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := signing.Verify(scheme, httpHeader(missing.Header), missing.Body, signedAt); !errors.Is(err, signing.ErrMissing) {
				t.Errorf("Verify: %v, want ErrMissing", err)
			}
		})
	}
}

func TestSignatureWrongFailsVerification(t *testing.T) {
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			d := providerDelivery(t, p)
			d.Signature = sender.SignatureWrong
			req := mustRequest(t, d)
			right, err := signing.New(p, []string{d.Secret}, signing.Options{Tolerance: signing.DefaultTolerance})
			if err != nil {
				t.Fatal(err)
			}
			if err := signing.Verify(right, httpHeader(req.Header), req.Body, signedAt); !errors.Is(err, signing.ErrMismatch) {
				t.Errorf("Verify with the shared secret: %v, want ErrMismatch (well formed, wrong)", err)
			}
			wrong, err := signing.New(p, []string{sender.WrongSecret(p, d.Secret)}, signing.Options{Tolerance: signing.DefaultTolerance})
			if err != nil {
				t.Fatal(err)
			}
			if err := signing.Verify(wrong, httpHeader(req.Header), req.Body, signedAt); err != nil {
				t.Errorf("Verify with WrongSecret: %v, want it signed with that", err)
			}
			// The same headers as a valid delivery, in the same order.
			valid := mustRequest(t, providerDelivery(t, p))
			if got, want := fieldNames(req.Header), fieldNames(valid.Header); !slices.Equal(got, want) {
				t.Errorf("header names %q, want a valid delivery's %q", got, want)
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		secret   string
	}{
		{name: "standard", provider: "standard", secret: standardSecret},
		{name: "standard, another secret", provider: "standard", secret: standardOtherSecret},
		{name: "standard, a secret that is not one", provider: "standard", secret: "not base64!"},
		{name: "stripe", provider: "stripe", secret: "whsec_" + testSecret},
		{name: "github", provider: "github", secret: testSecret},
		{name: "gitlab", provider: "gitlab", secret: testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sender.WrongSecret(tt.provider, tt.secret)
			if got == tt.secret || got == "" {
				t.Fatalf("WrongSecret(%s, %q) = %q, want another secret", tt.provider, tt.secret, got)
			}
			if again := sender.WrongSecret(tt.provider, tt.secret); again != got {
				t.Errorf("WrongSecret is %q, then %q: want the same for the same secret", got, again)
			}
			if _, err := signing.New(tt.provider, []string{got}, signing.Options{}); err != nil {
				t.Errorf("the %s scheme refuses WrongSecret %q: %v", tt.provider, got, err)
			}
			if tt.provider != signing.ProviderStandard {
				return
			}
			rest, ok := strings.CutPrefix(got, "whsec_")
			key, err := base64.StdEncoding.DecodeString(rest)
			if !ok || err != nil || len(key) != 32 {
				t.Errorf("WrongSecret = %q, want whsec_ and the base64 of 32 bytes (decodes: %v, %d bytes)", got, err, len(key))
			}
			if real, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(tt.secret, "whsec_")); err == nil && hmac.Equal(real, key) {
				t.Errorf("WrongSecret's key is the real key")
			}
		})
	}
	if sender.WrongSecret("standard", standardSecret) == sender.WrongSecret("standard", standardOtherSecret) {
		t.Error("two secrets have the same WrongSecret")
	}
}

func TestProviderRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*sender.Delivery)
		want   error // nil for any error
	}{
		{name: "unknown provider", change: func(d *sender.Delivery) { d.Provider = "bitbucket" }},
		{name: "standard secret that does not decode", change: func(d *sender.Delivery) { d.Secret = "whsec_not base64!" }},
		{name: "standard secret too short", change: func(d *sender.Delivery) { d.Secret = "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16)) }},
		{name: "no secret", change: func(d *sender.Delivery) { d.Secret = "" }, want: signing.ErrNoSecret},
		{name: "an empty other secret", change: func(d *sender.Delivery) { d.OtherSecrets, d.SignWithAll = []string{""}, true }, want: signing.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := providerDelivery(t, signing.ProviderStandard)
			tt.change(&d)
			req, err := d.Request()
			if err == nil || req != nil {
				t.Fatalf("Request() = %v, %v; want an error", req, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Request() error = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), d.Secret) && d.Secret != "" {
				t.Errorf("error %q holds the secret", err)
			}
		})
	}
}

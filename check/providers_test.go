package check_test

// These tests run the matrix of every provider other than GitHub (whose
// matrix the other files test) against hooklab's own receiver for that
// provider, against receivers broken in one way each, and against a raw
// listener that records what each scenario sends.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// standardSecret is the Standard Webhooks secret of these tests: whsec_
// and the base64 of the 32 bytes "hooklab standard test secret 32b".
const standardSecret = "whsec_aG9va2xhYiBzdGFuZGFyZCB0ZXN0IHNlY3JldCAzMmI="

// otherProviders are the providers whose matrix is not GitHub's.
var otherProviders = []string{
	signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack,
	signing.ProviderShopify, signing.ProviderGitLab, signing.ProviderGitea,
}

// timestampedProviders sign a timestamp.
var timestampedProviders = []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack}

// providerSecret is the shared secret for p, in the form p's scheme takes.
func providerSecret(p string) string {
	if p == signing.ProviderStandard {
		return standardSecret
	}
	return testSecret
}

// providerConfig is config(u) for provider p.
func providerConfig(u *url.URL, p string) check.Config {
	cfg := config(u)
	cfg.Provider, cfg.Secret = p, providerSecret(p)
	return cfg
}

// mustScenarios returns ScenariosFor(p) or fails the test.
func mustScenarios(tb testing.TB, p string) []check.Scenario {
	tb.Helper()
	list, err := check.ScenariosFor(p)
	if err != nil {
		tb.Fatalf("ScenariosFor(%q): %v", p, err)
	}
	return list
}

// scenarioNames returns the names of p's scenarios, in run order.
func scenarioNames(tb testing.TB, p string) []string {
	tb.Helper()
	var names []string
	for _, s := range mustScenarios(tb, p) {
		names = append(names, s.Name)
	}
	return names
}

// mustServeProvider serves hooklab's receiver for p, with testMaxBody and
// tolerance, behind receiver.Serve on 127.0.0.1:0 until the test ends.
// wrap, when not nil, stands between the connection and the receiver, to
// break it in one way. It returns the webhook URL.
func mustServeProvider(tb testing.TB, p string, tolerance time.Duration, wrap func(http.Handler) http.Handler) *url.URL {
	tb.Helper()
	scheme, err := signing.New(p, []string{providerSecret(p)}, signing.Options{Tolerance: tolerance})
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := receiver.New(receiver.Config{Scheme: scheme, MaxBody: testMaxBody})
	if err != nil {
		tb.Fatal(err)
	}
	var h http.Handler = rc
	if wrap != nil {
		h = wrap(rc)
	}
	return mustServeHandler(tb, h)
}

// assertProviderFailed fails the test unless r ran every scenario of p and
// failed exactly want, in run order.
func assertProviderFailed(tb testing.TB, p string, r check.Report, want []string) {
	tb.Helper()
	if got, all := resultNames(r), scenarioNames(tb, p); !slices.Equal(got, all) {
		tb.Errorf("ran %v, want every scenario of %s %v", got, p, all)
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

func TestScenariosForGitHubIsScenarios(t *testing.T) {
	want := check.Scenarios()
	for _, name := range []string{"", signing.ProviderGitHub} {
		got := mustScenarios(t, name)
		if len(got) != len(want) {
			t.Fatalf("ScenariosFor(%q) has %d scenarios, Scenarios() %d", name, len(got), len(want))
		}
		for i := range want {
			if got[i].Name != want[i].Name || got[i].Sent != want[i].Sent || !slices.Equal(got[i].Expect, want[i].Expect) {
				t.Errorf("ScenariosFor(%q)[%d] = %s %q %v, want %s %q %v", name, i,
					got[i].Name, got[i].Sent, got[i].Expect, want[i].Name, want[i].Sent, want[i].Expect)
			}
		}
	}
}

func TestScenariosForUnknownProvider(t *testing.T) {
	for _, name := range []string{"bitbucket", "GitHub", "stripe "} {
		t.Run(name, func(t *testing.T) {
			list, err := check.ScenariosFor(name)
			if !errors.Is(err, check.ErrSelection) || list != nil {
				t.Errorf("ScenariosFor(%q) = %d scenarios, %v; want none and an error wrapping ErrSelection", name, len(list), err)
			}
			if err != nil && !strings.Contains(err.Error(), strconv.Quote(name)) {
				t.Errorf("error %q does not name %q", err, name)
			}
			u := mustServe(t, okHandler())
			cfg := config(u)
			cfg.Provider = name
			if _, err := check.Run(context.Background(), cfg); !errors.Is(err, check.ErrSelection) {
				t.Errorf("Run with Provider %q: %v, want an error wrapping ErrSelection", name, err)
			}
		})
	}
}

func TestScenariosForLists(t *testing.T) {
	// What every provider's matrix has, whatever its scheme.
	common := []string{"valid", "unknown-event", "signature-missing", "wrong-secret", "signature-empty",
		"length-missing", "chunked", "length-over-body", "invalid-json", "empty-body", "event-missing",
		"body-too-large", "wrong-method", "wrong-content-type", "still-up"}
	hmacOnly := []string{"body-changed", "signature-truncated", "length-under-body"}
	timestamps := []string{"timestamp-stale", "timestamp-future"}
	githubOnly := []string{"valid-json", "ping", "both-signatures", "sha1-only"}
	tests := []struct {
		name   string
		has    []string
		hasNot []string
	}{
		{
			name:   "stripe",
			has:    slices.Concat(hmacOnly, timestamps, []string{"several-signatures", "other-version", "signature-no-prefix", "signature-not-hex"}),
			hasNot: slices.Concat(githubOnly, []string{"url-verification", "valid-form", "form-without-payload", "signature-not-base64"}),
		},
		{
			name:   "standard",
			has:    slices.Concat(hmacOnly, timestamps, []string{"several-signatures", "other-version", "signature-no-prefix", "signature-not-base64"}),
			hasNot: slices.Concat(githubOnly, []string{"url-verification", "valid-form", "form-without-payload", "signature-not-hex"}),
		},
		{
			name:   "slack",
			has:    slices.Concat(hmacOnly, timestamps, []string{"url-verification", "other-version", "signature-no-prefix", "signature-not-hex"}),
			hasNot: slices.Concat(githubOnly, []string{"several-signatures", "valid-form", "form-without-payload"}),
		},
		{
			name:   "shopify",
			has:    slices.Concat(hmacOnly, []string{"signature-not-base64"}),
			hasNot: slices.Concat(githubOnly, timestamps, []string{"several-signatures", "other-version", "signature-no-prefix", "url-verification", "valid-form"}),
		},
		{
			// A bare token: nothing about the body or an encoding applies.
			name: "gitlab",
			hasNot: slices.Concat(githubOnly, hmacOnly, timestamps, []string{"several-signatures", "other-version",
				"signature-no-prefix", "signature-not-hex", "signature-not-base64", "url-verification", "valid-form", "form-without-payload"}),
		},
		{
			name:   "gitea",
			has:    slices.Concat(hmacOnly, []string{"signature-not-hex", "valid-form", "form-without-payload"}),
			hasNot: slices.Concat(githubOnly, timestamps, []string{"several-signatures", "other-version", "signature-no-prefix", "url-verification"}),
		},
	}
	var tested []string
	for _, tt := range tests {
		tested = append(tested, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			list := mustScenarios(t, tt.name)
			names := scenarioNames(t, tt.name)
			for _, name := range slices.Concat(common, tt.has) {
				if !slices.Contains(names, name) {
					t.Errorf("no scenario %s in %v", name, names)
				}
			}
			for _, name := range names {
				if slices.Contains(tt.hasNot, name) || strings.HasPrefix(name, "signature-not-") && tt.name == "gitlab" {
					t.Errorf("scenario %s does not apply to %s", name, tt.name)
				}
			}
			if names[0] != "valid" || names[len(names)-1] != "still-up" {
				t.Errorf("the run starts with %s and ends with %s, want valid and still-up", names[0], names[len(names)-1])
			}
			seen := map[string]bool{}
			for _, s := range list {
				if seen[s.Name] {
					t.Errorf("scenario %s twice", s.Name)
				}
				seen[s.Name] = true
				if len(s.Expect) == 0 || s.Sent == "" {
					t.Errorf("scenario %s: Expect %v, Sent %q", s.Name, s.Expect, s.Sent)
				}
			}
		})
	}
	if !slices.Equal(tested, otherProviders) {
		t.Errorf("the table tests %v, want %v", tested, otherProviders)
	}
}

// providerReasons are the reasons hooklab's receiver gives to the scenarios
// whose reason shows that the request reached the check it is about.
var providerReasons = map[string]string{
	"valid":                "ok",
	"url-verification":     "ok",
	"several-signatures":   "ok",
	"signature-missing":    "signature_missing",
	"wrong-secret":         "signature_mismatch",
	"body-changed":         "signature_mismatch",
	"signature-no-prefix":  "signature_malformed",
	"signature-not-hex":    "signature_malformed",
	"signature-not-base64": "signature_malformed",
	"signature-truncated":  "signature_malformed",
	"other-version":        "signature_malformed",
	"timestamp-stale":      "timestamp_out_of_range",
	"timestamp-future":     "timestamp_out_of_range",
	"length-under-body":    "signature_mismatch",
	"event-missing":        "event_missing",
	"still-up":             "ok",
}

func TestRunProvidersAgainstHooklab(t *testing.T) {
	t.Parallel()
	for _, p := range otherProviders {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			u := mustServeProvider(t, p, signing.DefaultTolerance, nil)
			report := mustRun(t, providerConfig(u, p))
			assertProviderFailed(t, p, report, nil)
			for _, res := range report.Results {
				if want, ok := providerReasons[res.Scenario]; ok && res.Reason != want {
					t.Errorf("%s: answered %d %q, want %q", res.Scenario, res.Status, res.Reason, want)
				}
			}
		})
	}
}

// TestRunAgainstTimestampIgnoringReceivers runs the matrix against
// receivers that verify the signature, timestamp included, but never
// compare the timestamp with the clock.
func TestRunAgainstTimestampIgnoringReceivers(t *testing.T) {
	t.Parallel()
	for _, p := range timestampedProviders {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			u := mustServeProvider(t, p, 0, nil) // tolerance 0: no check of the time
			report := mustRun(t, providerConfig(u, p))
			assertProviderFailed(t, p, report, []string{"timestamp-stale", "timestamp-future"})
			for _, name := range []string{"timestamp-stale", "timestamp-future"} {
				if got := result(t, report, name).Detail; got != "got 200, want 401" {
					t.Errorf("%s: Detail = %q, want %q", name, got, "got 200, want 401")
				}
			}
		})
	}
}

// firstSignatureOnly drops every signature but the first from a header that
// lists several, as a receiver that reads only the first one would, then
// hands the request to next.
func firstSignatureOnly(p string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch p {
			case signing.ProviderStripe:
				var kept []string
				seen := false
				for _, item := range strings.Split(r.Header.Get("Stripe-Signature"), ",") {
					if strings.HasPrefix(item, "v1=") {
						if seen {
							continue
						}
						seen = true
					}
					kept = append(kept, item)
				}
				r.Header.Set("Stripe-Signature", strings.Join(kept, ","))
			case signing.ProviderStandard:
				if sigs := strings.Fields(r.Header.Get("webhook-signature")); len(sigs) > 0 {
					r.Header.Set("webhook-signature", sigs[0])
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestRunAgainstFirstSignatureOnlyReceivers(t *testing.T) {
	t.Parallel()
	for _, p := range []string{signing.ProviderStripe, signing.ProviderStandard} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			u := mustServeProvider(t, p, signing.DefaultTolerance, firstSignatureOnly(p))
			report := mustRun(t, providerConfig(u, p))
			assertProviderFailed(t, p, report, []string{"several-signatures"})
			if res := result(t, report, "several-signatures"); res.Status != 401 || res.Reason != "signature_mismatch" {
				t.Errorf("several-signatures: answered %d %q, want 401 signature_mismatch", res.Status, res.Reason)
			}
		})
	}
}

// withoutChallenge answers like next, but leaves the challenge out of the
// JSON answer, as a Slack receiver that forgets to echo it would.
func withoutChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var a map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			http.Error(w, "the receiver's answer is not JSON", http.StatusInternalServerError)
			return
		}
		delete(a, "challenge")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(a)
	})
}

func TestRunAgainstSlackReceiverWithoutChallenge(t *testing.T) {
	t.Parallel()
	u := mustServeProvider(t, signing.ProviderSlack, signing.DefaultTolerance, withoutChallenge)
	report := mustRun(t, providerConfig(u, signing.ProviderSlack))
	assertProviderFailed(t, signing.ProviderSlack, report, []string{"url-verification"})
	if res := result(t, report, "url-verification"); res.Status != 200 || !strings.Contains(res.Detail, "challenge") {
		t.Errorf("url-verification: %d %q, want 200 and a Detail about the challenge", res.Status, res.Detail)
	}
}

// providerWire is what the request tests know of one provider, written
// from the providers' documentation without hooklab's signing package.
type providerWire struct {
	name        string
	sigHeader   string
	prefix      string // before the MAC, "" for none
	encoding    string // "hex" or "base64"; "" for GitLab's bare token
	eventHeader string // "" when the body's "type" is the event
	idHeader    string // where the delivery id is, "" when in the body
	// tsHeader carries the timestamp ("" for none); Stripe's is the t= in
	// Stripe-Signature.
	tsHeader string
}

func wireOf(p string) providerWire {
	switch p {
	case signing.ProviderStripe:
		return providerWire{name: p, sigHeader: "Stripe-Signature", prefix: "v1=", encoding: "hex", tsHeader: "Stripe-Signature"}
	case signing.ProviderStandard:
		return providerWire{name: p, sigHeader: "webhook-signature", prefix: "v1,", encoding: "base64",
			idHeader: "webhook-id", tsHeader: "webhook-timestamp"}
	case signing.ProviderSlack:
		return providerWire{name: p, sigHeader: "X-Slack-Signature", prefix: "v0=", encoding: "hex", tsHeader: "X-Slack-Request-Timestamp"}
	case signing.ProviderShopify:
		return providerWire{name: p, sigHeader: "X-Shopify-Hmac-Sha256", encoding: "base64",
			eventHeader: "X-Shopify-Topic", idHeader: "X-Shopify-Webhook-Id"}
	case signing.ProviderGitLab:
		return providerWire{name: p, sigHeader: "X-Gitlab-Token", eventHeader: "X-Gitlab-Event", idHeader: "X-Gitlab-Event-UUID"}
	case signing.ProviderGitea:
		return providerWire{name: p, sigHeader: "X-Gitea-Signature", encoding: "hex",
			eventHeader: "X-Gitea-Event", idHeader: "X-Gitea-Delivery"}
	}
	panic("no wire description of " + p)
}

// timestamp returns the signed timestamp of a request, and false when it
// has none that parses.
func (pw providerWire) timestamp(h http.Header) (int64, bool) {
	value := h.Get(pw.tsHeader)
	if pw.name == signing.ProviderStripe {
		value = ""
		for _, item := range strings.Split(h.Get(pw.sigHeader), ",") {
			if t, ok := strings.CutPrefix(item, "t="); ok {
				value = t
			}
		}
	}
	ts, err := strconv.ParseInt(value, 10, 64)
	return ts, err == nil
}

// mac computes the signature the provider sends for body, encoded, without
// its prefix. ts is the timestamp and id the delivery id, for the schemes
// that sign them.
func (pw providerWire) mac(tb testing.TB, secret string, ts, id string, body []byte) string {
	tb.Helper()
	key, signed := []byte(secret), body
	switch pw.name {
	case signing.ProviderStripe:
		signed = slices.Concat([]byte(ts+"."), body)
	case signing.ProviderSlack:
		signed = slices.Concat([]byte("v0:"+ts+":"), body)
	case signing.ProviderStandard:
		var err error
		if key, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil {
			tb.Fatalf("the Standard Webhooks secret does not decode: %v", err)
		}
		signed = slices.Concat([]byte(id+"."+ts+"."), body)
	case signing.ProviderGitLab:
		return secret
	}
	m := hmac.New(sha256.New, key)
	m.Write(signed)
	if pw.encoding == "base64" {
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// signatures returns the MACs in a request's signature header that carry
// tag (pw.prefix when tag is ""), in order, without the tag.
func (pw providerWire) signatures(h http.Header, tag string) []string {
	if tag == "" {
		tag = pw.prefix
	}
	value := h.Get(pw.sigHeader)
	var items []string
	switch pw.name {
	case signing.ProviderStripe:
		items = strings.Split(value, ",")
	case signing.ProviderStandard:
		items = strings.Fields(value)
	default:
		items = []string{value}
	}
	var macs []string
	for _, item := range items {
		if mac, ok := strings.CutPrefix(item, tag); ok {
			macs = append(macs, mac)
		}
	}
	return macs
}

// validFor returns the MAC a correct sender puts in w for body and secret.
func (pw providerWire) validFor(t *testing.T, w wireRequest, secret string, body []byte) string {
	t.Helper()
	ts := ""
	if pw.tsHeader != "" {
		n, ok := pw.timestamp(w.Header)
		if !ok {
			t.Fatalf("no timestamp in %v", w.Header)
		}
		ts = strconv.FormatInt(n, 10)
	}
	return pw.mac(t, secret, ts, w.Header.Get("webhook-id"), body)
}

// wantSignedBy checks that w carries exactly one signature, the valid one
// for body.
func (pw providerWire) wantSignedBy(t *testing.T, w wireRequest, body []byte) {
	t.Helper()
	want := pw.validFor(t, w, providerSecret(pw.name), body)
	if got := pw.signatures(w.Header, ""); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %q, want one signature, %q", pw.sigHeader, w.Header.Values(pw.sigHeader), want)
	}
}

// event returns the event a request names: its event header, or its body's
// "type" ("" when the body has none).
func (pw providerWire) event(w wireRequest) (string, bool) {
	if pw.eventHeader != "" {
		_, ok := w.Header[http.CanonicalHeaderKey(pw.eventHeader)]
		return w.Header.Get(pw.eventHeader), ok
	}
	var body map[string]any
	if json.Unmarshal(w.Body, &body) != nil {
		return "", false
	}
	typ, ok := body["type"].(string)
	return typ, ok
}

// providerWireCase is what the request tests know of one run.
type providerWireCase struct {
	pw        providerWire
	fixture   fixtures.Fixture // the first of the provider's, the one check sends
	now       time.Time        // check's clock
	tolerance time.Duration
	scenario  check.Scenario
}

// providerProperties returns, by scenario name, what a scenario's request
// must be for any provider that has it.
func providerProperties() map[string]func(t *testing.T, c providerWireCase, w wireRequest) {
	valid := func(t *testing.T, c providerWireCase, w wireRequest) {
		wantHeader(t, w, "Content-Type", "application/json")
		wantHeader(t, w, "Content-Length", strconv.Itoa(len(c.fixture.Body)))
		wantBody(t, w, c.fixture.Body)
		if event, _ := c.pw.event(w); event != c.fixture.Event {
			t.Errorf("event %q, want %q", event, c.fixture.Event)
		}
		c.pw.wantSignedBy(t, w, c.fixture.Body)
		if ts, ok := c.pw.timestamp(w.Header); c.pw.tsHeader != "" && (!ok || ts != c.now.Unix()) {
			t.Errorf("timestamp %d, want check's clock %d", ts, c.now.Unix())
		}
	}
	// signedBody checks a request whose fault is not in its signature.
	signedBody := func(t *testing.T, c providerWireCase, w wireRequest) {
		c.pw.wantSignedBy(t, w, w.Body)
	}
	// macPart is the MAC of a request whose signature was edited, after
	// the prefix, and the valid one.
	macPart := func(t *testing.T, c providerWireCase, w wireRequest) (got, valid string) {
		t.Helper()
		valid = c.pw.validFor(t, w, providerSecret(c.pw.name), c.fixture.Body)
		sigs := c.pw.signatures(w.Header, "")
		if len(sigs) != 1 {
			t.Fatalf("%s: %q, want one signature", c.pw.sigHeader, w.Header.Values(c.pw.sigHeader))
		}
		return sigs[0], valid
	}
	timestamp := func(sign time.Duration) func(t *testing.T, c providerWireCase, w wireRequest) {
		return func(t *testing.T, c providerWireCase, w wireRequest) {
			want := c.now.Add(sign * 2 * c.tolerance).Unix()
			if ts, ok := c.pw.timestamp(w.Header); !ok || ts != want {
				t.Errorf("timestamp %d (ok %v), want %d: twice the tolerance of %s from %d", ts, ok, want, c.tolerance, c.now.Unix())
			}
			wantBody(t, w, c.fixture.Body)
			c.pw.wantSignedBy(t, w, c.fixture.Body) // signed as of that time
		}
	}
	return map[string]func(t *testing.T, c providerWireCase, w wireRequest){
		"valid":    valid,
		"still-up": valid,
		"valid-form": func(t *testing.T, c providerWireCase, w wireRequest) {
			form := []byte("payload=" + url.QueryEscape(string(c.fixture.Body)))
			wantHeader(t, w, "Content-Type", "application/x-www-form-urlencoded")
			wantBody(t, w, form)
			// Gitea signs the JSON inside the form, not the form body
			// (go-gitea/gitea services/webhook/deliver.go).
			c.pw.wantSignedBy(t, w, c.fixture.Body)
		},
		"url-verification": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantBody(t, w, mustFixture(t, "slack/url_verification"))
			if event, _ := c.pw.event(w); event != "url_verification" {
				t.Errorf("type %q, want url_verification", event)
			}
			c.pw.wantSignedBy(t, w, w.Body)
		},
		"unknown-event": func(t *testing.T, c providerWireCase, w wireRequest) {
			if event, _ := c.pw.event(w); event != "hooklab.unknown_event" {
				t.Errorf("event %q, want hooklab.unknown_event", event)
			}
			c.pw.wantSignedBy(t, w, w.Body)
		},
		"several-signatures": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantBody(t, w, c.fixture.Body)
			valid := c.pw.validFor(t, w, providerSecret(c.pw.name), c.fixture.Body)
			sigs := c.pw.signatures(w.Header, "")
			if len(sigs) != 2 || sigs[0] == valid || sigs[1] != valid {
				t.Errorf("%s: %q, want two signatures, another then the valid %s", c.pw.sigHeader, w.Header.Get(c.pw.sigHeader), valid)
			}
		},
		"signature-missing": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantNoHeader(t, w, c.pw.sigHeader)
			wantBody(t, w, c.fixture.Body)
			// What comes with the signature stays: the timestamp, the id.
			for _, name := range []string{c.pw.tsHeader, c.pw.idHeader} {
				if name != "" && name != c.pw.sigHeader && w.Header.Get(name) == "" {
					t.Errorf("no %s", name)
				}
			}
		},
		"wrong-secret": func(t *testing.T, c providerWireCase, w wireRequest) {
			got, valid := macPart(t, c, w)
			if got == valid || got == "" {
				t.Errorf("signature %q, want a well-formed one that is not the valid one", got)
			}
			if c.pw.encoding == "hex" && !lowerHex(got, 64) {
				t.Errorf("signature %q is not 64 hex digits", got)
			}
			if b, err := base64.StdEncoding.DecodeString(got); c.pw.encoding == "base64" && (err != nil || len(b) != 32) {
				t.Errorf("signature %q is not the base64 of 32 bytes", got)
			}
			wantBody(t, w, c.fixture.Body)
		},
		"body-changed": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantBody(t, w, append(slices.Clip(c.fixture.Body), '\n'))
			c.pw.wantSignedBy(t, w, c.fixture.Body) // signed before the change
		},
		"signature-no-prefix": func(t *testing.T, c providerWireCase, w wireRequest) {
			value := w.Header.Get(c.pw.sigHeader)
			valid := c.pw.validFor(t, w, providerSecret(c.pw.name), c.fixture.Body)
			want := valid
			if c.pw.name == signing.ProviderStripe {
				ts, _ := c.pw.timestamp(w.Header)
				want = "t=" + strconv.FormatInt(ts, 10) + "," + valid // only the v1= is gone
			}
			if strings.Contains(value, c.pw.prefix) || value != want {
				t.Errorf("%s: %q, want %q, without %s", c.pw.sigHeader, value, want, c.pw.prefix)
			}
		},
		"signature-not-hex": func(t *testing.T, c providerWireCase, w wireRequest) {
			got, valid := macPart(t, c, w)
			if _, err := hex.DecodeString(got); err == nil || len(got) != len(valid) {
				t.Errorf("signature %q, want %d characters that are not hex", got, len(valid))
			}
		},
		"signature-not-base64": func(t *testing.T, c providerWireCase, w wireRequest) {
			got, valid := macPart(t, c, w)
			if _, err := base64.StdEncoding.DecodeString(got); err == nil || len(got) != len(valid) {
				t.Errorf("signature %q, want %d characters that are not base64", got, len(valid))
			}
		},
		"signature-truncated": func(t *testing.T, c providerWireCase, w wireRequest) {
			got, valid := macPart(t, c, w)
			if got != valid[:len(valid)/2] {
				t.Errorf("signature %q, want the first half of %q", got, valid)
			}
		},
		"signature-empty": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, c.pw.sigHeader, "")
		},
		"other-version": func(t *testing.T, c providerWireCase, w wireRequest) {
			other := map[string]string{signing.ProviderStripe: "v0=", signing.ProviderStandard: "v2,", signing.ProviderSlack: "v1="}[c.pw.name]
			valid := c.pw.validFor(t, w, providerSecret(c.pw.name), c.fixture.Body)
			if sigs := c.pw.signatures(w.Header, ""); len(sigs) != 0 {
				t.Errorf("%s: %q still has a %s signature", c.pw.sigHeader, w.Header.Get(c.pw.sigHeader), c.pw.prefix)
			}
			if sigs := c.pw.signatures(w.Header, other); len(sigs) != 1 || sigs[0] != valid {
				t.Errorf("%s: %q, want the valid MAC tagged %s", c.pw.sigHeader, w.Header.Get(c.pw.sigHeader), other)
			}
			if !strings.Contains(c.scenario.Sent, other) {
				t.Errorf("Sent %q does not name %s", c.scenario.Sent, other)
			}
		},
		"timestamp-stale":  timestamp(-1),
		"timestamp-future": timestamp(1),
		"length-missing": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantNoHeader(t, w, "Content-Length")
			wantNoHeader(t, w, "Transfer-Encoding")
			wantBody(t, w, c.fixture.Body)
			if !w.EndedFirst {
				t.Error("the client did not end its stream to end the body")
			}
		},
		"chunked": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Transfer-Encoding", "chunked")
			wantNoHeader(t, w, "Content-Length")
			wantBody(t, w, c.fixture.Body)
		},
		"length-over-body": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Content-Length", strconv.Itoa(len(c.fixture.Body)+100))
			wantBody(t, w, c.fixture.Body)
			if !w.Short {
				t.Error("the body was not short of its Content-Length")
			}
		},
		"length-under-body": func(t *testing.T, c providerWireCase, w wireRequest) {
			n := len(c.fixture.Body) - 10
			wantHeader(t, w, "Content-Length", strconv.Itoa(n))
			wantBody(t, w, c.fixture.Body[:n])
			if !bytes.Equal(w.After, c.fixture.Body[n:]) {
				t.Errorf("after the declared body: %q, want the last 10 bytes %q", w.After, c.fixture.Body[n:])
			}
		},
		"invalid-json": func(t *testing.T, c providerWireCase, w wireRequest) {
			if json.Valid(w.Body) || len(w.Body) == 0 {
				t.Errorf("body %q is valid JSON or empty", w.Body)
			}
			signedBody(t, c, w)
		},
		"empty-body": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Content-Length", "0")
			wantBody(t, w, []byte{})
			signedBody(t, c, w)
		},
		"event-missing": func(t *testing.T, c providerWireCase, w wireRequest) {
			if event, present := c.pw.event(w); present || event != "" {
				t.Errorf("event %q is there", event)
			}
			if c.pw.eventHeader == "" && !json.Valid(w.Body) {
				t.Errorf("body %q is not JSON", w.Body)
			}
			signedBody(t, c, w)
		},
		"body-too-large": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Content-Length", strconv.Itoa(wireMaxBody+1))
			wantBody(t, w, []byte{})
		},
		"wrong-method": func(t *testing.T, c providerWireCase, w wireRequest) {
			if w.Method != http.MethodGet {
				t.Errorf("method %s, want GET", w.Method)
			}
			wantNoHeader(t, w, "Content-Length")
			wantBody(t, w, []byte{})
		},
		"wrong-content-type": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Content-Type", "text/plain")
			wantBody(t, w, c.fixture.Body)
			c.pw.wantSignedBy(t, w, c.fixture.Body)
		},
		"form-without-payload": func(t *testing.T, c providerWireCase, w wireRequest) {
			wantHeader(t, w, "Content-Type", "application/x-www-form-urlencoded")
			if v, err := url.ParseQuery(string(w.Body)); err != nil || v.Has("payload") || len(v) == 0 {
				t.Errorf("body %q, want a form without a payload field", w.Body)
			}
			signedBody(t, c, w)
		},
	}
}

// providerWireRun runs p's matrix against a recording listener, with
// check's clock at now, and returns each scenario's request by name.
func providerWireRun(t *testing.T, p string, now time.Time, tolerance time.Duration) map[string]wireRequest {
	t.Helper()
	return wireRunWith(t, func(u *url.URL) check.Config {
		cfg := providerConfig(u, p)
		cfg.MaxBody, cfg.Tolerance = wireMaxBody, tolerance
		cfg.Now = func() time.Time { return now }
		return cfg
	})
}

func TestProviderScenarioRequests(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 5, 9, 14, 40, 0, time.UTC)
	properties := providerProperties()
	for _, p := range otherProviders {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			tolerance := 3 * time.Minute // not the default, so that it shows it is check's
			requests := providerWireRun(t, p, now, tolerance)
			pw := wireOf(p)
			ids := map[string]string{}
			for _, s := range mustScenarios(t, p) {
				t.Run(s.Name, func(t *testing.T) {
					w, ok := requests[s.Name]
					if !ok {
						t.Fatal("no request")
					}
					property, ok := properties[s.Name]
					if !ok {
						t.Fatalf("no property for scenario %s", s.Name)
					}
					if s.Name != "wrong-method" && w.Method != http.MethodPost {
						t.Errorf("method %s, want POST", w.Method)
					}
					if w.Target != "/webhook" || w.Proto != "HTTP/1.1" {
						t.Errorf("request line %s %s %s", w.Method, w.Target, w.Proto)
					}
					wantHeader(t, w, "User-Agent", testUserAgent)
					// Nothing of GitHub's goes to another provider.
					for name := range w.Header {
						if strings.HasPrefix(name, "X-Github-") || strings.HasPrefix(name, "X-Hub-") {
							t.Errorf("%s: %q sent as %s", name, w.Header[name], p)
						}
					}
					if pw.idHeader != "" {
						id := w.Header.Get(pw.idHeader)
						if id == "" {
							t.Errorf("no %s", pw.idHeader)
						} else if other, dup := ids[id]; dup {
							t.Errorf("%s %s already sent for %s", pw.idHeader, id, other)
						}
						ids[id] = s.Name
					}
					if _, present := pw.event(w); pw.eventHeader != "" && !present && s.Name != "event-missing" {
						t.Errorf("no %s", pw.eventHeader)
					}
					if s.Name != "length-under-body" && len(w.After) != 0 {
						t.Errorf("%d bytes after the body: %.80q", len(w.After), w.After)
					}
					property(t, providerWireCase{pw: pw, fixture: fixtures.ForProvider(p)[0], now: now, tolerance: tolerance, scenario: s}, w)
				})
			}
		})
	}
}

// TestProviderScenarioSentTexts checks the Sent texts that name a header or
// where the event is.
func TestProviderScenarioSentTexts(t *testing.T) {
	for _, p := range otherProviders {
		pw := wireOf(p)
		for _, s := range mustScenarios(t, p) {
			var want string
			switch s.Name {
			case "signature-missing", "signature-empty":
				want = pw.sigHeader
			case "signature-no-prefix":
				want = pw.prefix
			case "event-missing":
				want = pw.eventHeader
				if want == "" {
					want = `"type"`
				}
			case "valid":
				want = fixtures.ForProvider(p)[0].Name
			default:
				continue
			}
			if !strings.Contains(s.Sent, want) {
				t.Errorf("%s %s: Sent %q does not say %q", p, s.Name, s.Sent, want)
			}
		}
	}
}

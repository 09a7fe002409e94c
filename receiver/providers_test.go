package receiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

// providerNow is the receiver's clock in these tests, and the time valid
// deliveries are signed at.
var providerNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// Standard Webhooks secrets: whsec_ and the base64 of 32 bytes.
const (
	standardSecret         = "whsec_aG9va2xhYiBzdGFuZGFyZCB0ZXN0IHNlY3JldCAzMmI=" // "hooklab standard test secret 32b"
	standardPreviousSecret = "whsec_aG9va2xhYiBwcmV2aW91cyB0ZXN0IHNlY3JldCAzMmI=" // "hooklab previous test secret 32b"
	standardOtherSecret    = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // "0123456789abcdef0123456789abcdef"
)

// secretsFor returns three different secrets in the provider's form: the
// current one, the previous one (for rotation) and one the receiver does
// not know.
func secretsFor(p string) (current, previous, other string) {
	if p == signing.ProviderStandard {
		return standardSecret, standardPreviousSecret, standardOtherSecret
	}
	return testSecret, "previous " + testSecret, "other " + testSecret
}

// bodyTyped are the providers whose event type is the body's "type".
var bodyTyped = []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack}

// timestamped are the providers that sign a timestamp, and the header that
// carries it.
var timestamped = map[string]string{
	signing.ProviderStripe:   signing.StripeSignatureHeader,
	signing.ProviderStandard: signing.StandardTimestampHeader,
	signing.ProviderSlack:    signing.SlackTimestampHeader,
}

// mustProviderScheme returns p's scheme for secrets, with tolerance.
func mustProviderScheme(tb testing.TB, p string, tolerance time.Duration, secrets ...string) signing.Scheme {
	tb.Helper()
	s, err := signing.New(p, secrets, signing.Options{Tolerance: tolerance})
	if err != nil {
		tb.Fatalf("signing.New(%s): %v", p, err)
	}
	return s
}

// mustProviderReceiver returns a receiver for p that knows secrets, checks
// timestamps within tolerance and whose clock is providerNow.
func mustProviderReceiver(tb testing.TB, p string, tolerance time.Duration, secrets ...string) (*Receiver, *bytes.Buffer) {
	tb.Helper()
	return mustReceiver(tb, Config{
		Scheme: mustProviderScheme(tb, p, tolerance, secrets...),
		Now:    func() time.Time { return providerNow },
	})
}

// providerDelivery is one delivery as provider p sends it.
type providerDelivery struct {
	provider string
	secret   string // signs it
	body     []byte
	event    string    // in the provider's event header, if it has one
	id       string    // in the provider's delivery header, or signed (standard)
	at       time.Time // signing time; providerNow when zero
}

// request builds d as an *http.Request: POST with a Content-Length, JSON,
// the provider's event and delivery headers, and the headers signing makes.
func (d providerDelivery) request(tb testing.TB) *http.Request {
	tb.Helper()
	prov, err := provider.Lookup(d.provider)
	if err != nil {
		tb.Fatal(err)
	}
	at := d.at
	if at.IsZero() {
		at = providerNow
	}
	r := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(d.body))
	r.Header.Set("Content-Length", strconv.Itoa(len(d.body)))
	r.Header.Set("Content-Type", "application/json")
	if prov.EventHeader != "" && d.event != "" {
		r.Header.Set(prov.EventHeader, d.event)
	}
	if prov.DeliveryHeader != "" && d.id != "" {
		r.Header.Set(prov.DeliveryHeader, d.id)
	}
	signed, err := mustProviderScheme(tb, d.provider, 0, d.secret).Sign(signing.Message{Body: d.body, ID: d.id, Time: at})
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	for name, values := range signed {
		r.Header[name] = values
	}
	return r
}

// serve runs r through rc and returns the answer and the log record it
// wrote.
func serve(tb testing.TB, rc *Receiver, logs *bytes.Buffer, r *http.Request) (int, answer, map[string]any) {
	tb.Helper()
	logs.Reset()
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, r)
	a := answerOf(tb, rec)
	if a.Status != rec.Code {
		tb.Errorf("answer says status %d, the response is %d", a.Status, rec.Code)
	}
	records := logRecords(tb, logs)
	if len(records) != 1 {
		tb.Fatalf("%d log records, want 1: %s", len(records), logs)
	}
	return rec.Code, a, records[0]
}

// summaryWant is what the summary of a fixture must show: the string values
// at fields (dot-separated paths in the fixture) and the literal texts.
type summaryWant struct {
	fields  []string
	literal []string
}

// summaryWants is, for every fixture of a provider other than GitHub, what
// its summary must show: what that provider's summarizer reads, not what
// the generic GitHub summary would.
func summaryWants() map[string]summaryWant {
	return map[string]summaryWant{
		"stripe/payment_intent.succeeded": {fields: []string{"data.object.object", "data.object.id", "data.object.status"}, literal: []string{"49.00 USD"}},
		"stripe/customer.created":         {fields: []string{"data.object.id", "data.object.email"}},
		"stripe/invoice.paid":             {fields: []string{"data.object.id", "data.object.status"}, literal: []string{"49.00 USD"}},
		"standard/invoice.paid":           {fields: []string{"data.created_at"}, literal: []string{"amount_due=4900"}},
		"standard/user.created":           {fields: []string{"data.email"}, literal: []string{"email_verified=false"}},
		"slack/app_mention":               {fields: []string{"event.type", "event.user", "event.channel"}},
		"slack/url_verification":          {literal: []string{"url_verification"}},
		"shopify/orders-create":           {fields: []string{"name", "total_price", "currency"}, literal: []string{"order "}},
		"shopify/products-update":         {fields: []string{"title"}, literal: []string{"product "}},
		"gitlab/push":                     {fields: []string{"ref", "user_name", "project.path_with_namespace"}, literal: []string{"2 commits"}},
		"gitlab/merge_request":            {fields: []string{"object_attributes.title", "object_attributes.action", "project.path_with_namespace"}, literal: []string{"!12"}},
		"gitea/push":                      {fields: []string{"ref", "pusher.login", "repository.full_name"}, literal: []string{"2 commits"}},
		"gitea/pull_request":              {fields: []string{"pull_request.title", "action", "repository.full_name"}, literal: []string{"#3"}},
	}
}

func TestProviderFixtures(t *testing.T) {
	wants := summaryWants()
	for _, p := range signing.Providers() {
		fxs := fixtures.ForProvider(p)
		if len(fxs) < 2 {
			t.Errorf("%s has %d fixtures, want at least 2", p, len(fxs))
		}
		for _, fx := range fxs {
			t.Run(fx.Name, func(t *testing.T) {
				secret, _, _ := secretsFor(p)
				rc, logs := mustProviderReceiver(t, p, signing.DefaultTolerance, secret)
				d := providerDelivery{provider: p, secret: secret, body: fx.Body, event: fx.Event, id: "id-" + fx.Name}
				code, a, rec := serve(t, rc, logs, d.request(t))
				if code != http.StatusOK || a.Reason != ReasonOK {
					t.Fatalf("answer %d %s (%s), want 200 ok", code, a.Reason, a.Message)
				}
				if a.Event != fx.Event {
					t.Errorf("answer event %q, want %q", a.Event, fx.Event)
				}
				if a.Summary == "" || strings.Contains(a.Summary, "(no ") {
					t.Errorf("summary %q is empty or the generic fallback", a.Summary)
				}
				if p != signing.ProviderGitHub {
					want, ok := wants[fx.Name]
					if !ok {
						t.Fatalf("no entry in summaryWants for %s", fx.Name)
					}
					obj := mustDecodeObject(t, fx.Body)
					for _, path := range want.fields {
						v := lookupString(obj, path)
						if v == "" {
							t.Fatalf("the fixture has no string at %s", path)
						}
						if !strings.Contains(a.Summary, v) {
							t.Errorf("summary %q does not show %s %q", a.Summary, path, v)
						}
					}
					for _, lit := range want.literal {
						if !strings.Contains(a.Summary, lit) {
							t.Errorf("summary %q does not show %q", a.Summary, lit)
						}
					}
				}
				challenge := lookupString(mustDecodeObject(t, fx.Body), "challenge")
				if fx.Name == "slack/url_verification" && challenge == "" {
					t.Fatal("the url_verification fixture has no challenge")
				}
				if a.Challenge != challenge {
					t.Errorf("answer challenge %q, want %q", a.Challenge, challenge)
				}
				for key, want := range map[string]any{KeyProvider: p, KeyEvent: fx.Event, KeyStatus: float64(200), KeySummary: a.Summary} {
					if rec[key] != want {
						t.Errorf("log %s = %v, want %v", key, rec[key], want)
					}
				}
			})
		}
	}
	var names []string
	for _, fx := range fixtures.All() {
		names = append(names, fx.Name)
	}
	for name := range wants {
		if !slices.Contains(names, name) {
			t.Errorf("summaryWants has %s, which is no fixture", name)
		}
	}
}

// TestSlackURLVerification checks the answer Slack reads: 200 and the
// challenge in the JSON answer.
func TestSlackURLVerification(t *testing.T) {
	rc, logs := mustProviderReceiver(t, signing.ProviderSlack, signing.DefaultTolerance, testSecret)
	body := []byte(`{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	code, a, _ := serve(t, rc, logs, providerDelivery{provider: signing.ProviderSlack, secret: testSecret, body: body}.request(t))
	if code != http.StatusOK || a.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("answer %d challenge %q, want 200 and the challenge", code, a.Challenge)
	}
	// A challenge that did not verify is not echoed.
	d := providerDelivery{provider: signing.ProviderSlack, secret: "other " + testSecret, body: body}
	if code, a, _ := serve(t, rc, logs, d.request(t)); code != http.StatusUnauthorized || a.Challenge != "" {
		t.Errorf("unverified: answer %d challenge %q, want 401 and none", code, a.Challenge)
	}
}

// TestEventNotReadBeforeSignature checks that a body's "type" (and id) is
// not looked at until the signature holds, while header events are logged
// as before.
func TestEventNotReadBeforeSignature(t *testing.T) {
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			secret, _, other := secretsFor(p)
			fx := fixtures.ForProvider(p)[0]
			rc, logs := mustProviderReceiver(t, p, signing.DefaultTolerance, secret)
			d := providerDelivery{provider: p, secret: other, body: fx.Body, event: fx.Event, id: "id-1"}
			code, a, rec := serve(t, rc, logs, d.request(t))
			if code != http.StatusUnauthorized || a.Reason != ReasonSignatureMismatch {
				t.Fatalf("answer %d %s, want 401 signature_mismatch", code, a.Reason)
			}
			if a.Event != "" || a.Summary != "" {
				t.Errorf("a refused answer has event %q summary %q", a.Event, a.Summary)
			}
			wantEvent, wantID := fx.Event, "id-1"
			if slices.Contains(bodyTyped, p) {
				wantEvent, wantID = "", ""
			}
			if rec[KeyEvent] != wantEvent || rec[KeyDelivery] != wantID {
				t.Errorf("log event %q delivery %q, want %q %q", rec[KeyEvent], rec[KeyDelivery], wantEvent, wantID)
			}
			if rec[KeyProvider] != p {
				t.Errorf("log provider %v, want %s", rec[KeyProvider], p)
			}
		})
	}
}

// idField is the body field that carries the delivery id of the providers
// that keep it in the body.
var idField = map[string]string{signing.ProviderStripe: "id", signing.ProviderSlack: "event_id"}

func TestProviderRedelivery(t *testing.T) {
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			secret, _, _ := secretsFor(p)
			fx := fixtures.ForProvider(p)[0]
			rc, logs := mustProviderReceiver(t, p, signing.DefaultTolerance, secret)
			send := func(id string) (int, answer, map[string]any) {
				body := fx.Body
				if field, ok := idField[p]; ok {
					old := lookupString(mustDecodeObject(t, fx.Body), field)
					if old == "" {
						t.Fatalf("the fixture has no %s", field)
					}
					body = bytes.Replace(fx.Body, []byte(strconv.Quote(old)), []byte(strconv.Quote(id)), 1)
				}
				return serve(t, rc, logs, providerDelivery{provider: p, secret: secret, body: body, event: fx.Event, id: id}.request(t))
			}
			steps := []struct {
				id   string
				want bool
			}{
				{id: "delivery-a", want: false},
				{id: "delivery-a", want: true},
				{id: "delivery-b", want: false},
				{id: "delivery-a", want: true},
			}
			for i, s := range steps {
				code, a, rec := send(s.id)
				if code != http.StatusOK || a.Redelivery != s.want || a.Delivery != s.id {
					t.Errorf("step %d (%s): answer %d redelivery %v delivery %q, want 200 %v %q",
						i, s.id, code, a.Redelivery, a.Delivery, s.want, s.id)
				}
				wantMsg := MsgDelivery
				if s.want {
					wantMsg = MsgRedelivery
				}
				if rec["msg"] != wantMsg || rec[KeyDelivery] != s.id {
					t.Errorf("step %d (%s): log msg %v delivery %v, want %s %s", i, s.id, rec["msg"], rec[KeyDelivery], wantMsg, s.id)
				}
			}
		})
	}
}

func TestTimestampTolerance(t *testing.T) {
	tests := []struct {
		name      string
		offset    time.Duration // of the signing time from the receiver's clock
		tolerance time.Duration
		wantOK    bool
		wantInMsg string
	}{
		{name: "now", offset: 0, tolerance: 5 * time.Minute, wantOK: true},
		{name: "4m old", offset: -4 * time.Minute, tolerance: 5 * time.Minute, wantOK: true},
		{name: "4m ahead", offset: 4 * time.Minute, tolerance: 5 * time.Minute, wantOK: true},
		{name: "10m old", offset: -10 * time.Minute, tolerance: 5 * time.Minute, wantInMsg: "10m0s old"},
		{name: "10m ahead", offset: 10 * time.Minute, tolerance: 5 * time.Minute, wantInMsg: "10m0s in the future"},
		{name: "a year old", offset: -365 * 24 * time.Hour, tolerance: 5 * time.Minute, wantInMsg: "old"},
		{name: "10m old, tolerance 0", offset: -10 * time.Minute, tolerance: 0, wantOK: true},
		{name: "a year old, tolerance 0", offset: -365 * 24 * time.Hour, tolerance: 0, wantOK: true},
		{name: "10m ahead, tolerance 0", offset: 10 * time.Minute, tolerance: 0, wantOK: true},
	}
	for _, p := range bodyTyped {
		for _, tt := range tests {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				secret, _, _ := secretsFor(p)
				fx := fixtures.ForProvider(p)[0]
				rc, logs := mustProviderReceiver(t, p, tt.tolerance, secret)
				d := providerDelivery{provider: p, secret: secret, body: fx.Body, event: fx.Event, id: "id-1", at: providerNow.Add(tt.offset)}
				code, a, rec := serve(t, rc, logs, d.request(t))
				if tt.wantOK {
					if code != http.StatusOK || a.Event != fx.Event {
						t.Errorf("answer %d %s event %q (%s), want 200 ok %q", code, a.Reason, a.Event, a.Message, fx.Event)
					}
					return
				}
				if code != http.StatusUnauthorized || a.Reason != ReasonTimestampOutOfRange {
					t.Fatalf("answer %d %s (%s), want 401 timestamp_out_of_range", code, a.Reason, a.Message)
				}
				header := timestamped[p]
				if rec[KeyReason] != string(ReasonTimestampOutOfRange) || rec[KeyHeader] != header {
					t.Errorf("log reason %v header %v, want %s %s", rec[KeyReason], rec[KeyHeader], ReasonTimestampOutOfRange, header)
				}
				for _, where := range []string{a.Message, fmt.Sprint(rec[KeyDetail])} {
					if !strings.Contains(where, header) || !strings.Contains(where, tt.wantInMsg) {
						t.Errorf("%q does not say %q and %q", where, header, tt.wantInMsg)
					}
				}
				if rec[KeyEvent] != "" {
					t.Errorf("log event %q for a delivery refused before its body was read", rec[KeyEvent])
				}
			})
		}
	}
}

func TestProviderEventMissing(t *testing.T) {
	tests := []struct {
		name      string
		provider  string
		body      string
		wantInMsg string
	}{
		{name: "stripe without type", provider: "stripe", body: `{"id":"evt_1","object":"event","data":{"object":{}}}`, wantInMsg: `body's "type"`},
		{name: "stripe type empty", provider: "stripe", body: `{"id":"evt_1","type":""}`, wantInMsg: `body's "type"`},
		{name: "stripe type not a string", provider: "stripe", body: `{"id":"evt_1","type":42}`, wantInMsg: `body's "type"`},
		{name: "stripe body an array", provider: "stripe", body: `[{"type":"invoice.paid"}]`, wantInMsg: `body's "type"`},
		{name: "standard without type", provider: "standard", body: `{"data":{"id":"u_1"}}`, wantInMsg: `body's "type"`},
		{name: "slack without type", provider: "slack", body: `{"event":{"type":"app_mention"},"event_id":"Ev1"}`, wantInMsg: `body's "type"`},
		{name: "shopify without topic", provider: "shopify", body: `{"id":1}`, wantInMsg: "X-Shopify-Topic"},
		{name: "gitlab without event", provider: "gitlab", body: `{"object_kind":"push"}`, wantInMsg: "X-Gitlab-Event"},
		{name: "gitea without event", provider: "gitea", body: `{"ref":"refs/heads/main"}`, wantInMsg: "X-Gitea-Event"},
		{name: "github without event", provider: "github", body: `{"zen":"z"}`, wantInMsg: "X-GitHub-Event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, _, _ := secretsFor(tt.provider)
			rc, logs := mustProviderReceiver(t, tt.provider, signing.DefaultTolerance, secret)
			d := providerDelivery{provider: tt.provider, secret: secret, body: []byte(tt.body), id: "id-1"}
			code, a, rec := serve(t, rc, logs, d.request(t))
			if code != http.StatusBadRequest || a.Reason != ReasonEventMissing {
				t.Fatalf("answer %d %s (%s), want 400 event_missing", code, a.Reason, a.Message)
			}
			if !strings.Contains(a.Message, tt.wantInMsg) {
				t.Errorf("message %q does not say %q", a.Message, tt.wantInMsg)
			}
			if rec[KeyEvent] != "" || rec[KeyProvider] != tt.provider {
				t.Errorf("log event %q provider %v, want \"\" %s", rec[KeyEvent], rec[KeyProvider], tt.provider)
			}
		})
	}
}

func TestProviderRotation(t *testing.T) {
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			current, previous, other := secretsFor(p)
			fx := fixtures.ForProvider(p)[0]
			rc, logs := mustProviderReceiver(t, p, signing.DefaultTolerance, current, previous)
			for _, tt := range []struct {
				name   string
				secret string
				want   int
			}{
				{name: "current", secret: current, want: http.StatusOK},
				{name: "previous", secret: previous, want: http.StatusOK},
				{name: "neither", secret: other, want: http.StatusUnauthorized},
			} {
				d := providerDelivery{provider: p, secret: tt.secret, body: fx.Body, event: fx.Event, id: "id-" + tt.name}
				if code, a, _ := serve(t, rc, logs, d.request(t)); code != tt.want {
					t.Errorf("signed with the %s secret: answer %d %s (%s), want %d", tt.name, code, a.Reason, a.Message, tt.want)
				}
			}
		})
	}
}

// providerSummaryCase is one payload and the summary a provider's
// summarizer must give of it.
type providerSummaryCase struct {
	name    string
	event   string // for the summarizers that take one
	payload string
	want    Summary
}

// checkSummaries runs cases through summarize and checks that every text is
// safe for a terminal line.
func checkSummaries(t *testing.T, cases []providerSummaryCase, summarize func(event string, payload []byte) Summary) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.payload)) {
				t.Fatalf("test payload is not valid JSON: %s", tt.payload)
			}
			got := summarize(tt.event, []byte(tt.payload))
			if got != tt.want {
				t.Errorf("summary of %s\n got: %+v\nwant: %+v", tt.payload, got, tt.want)
			}
			if bad := unsafeText(got.Text + got.Action); bad != "" {
				t.Errorf("summary %q holds a %s", got.Text, bad)
			}
		})
	}
}

func TestSummarizeStripe(t *testing.T) {
	obj := func(fields string) string { return `{"type":"x","data":{"object":{` + fields + `}}}` }
	checkSummaries(t, []providerSummaryCase{
		{name: "payment intent", payload: obj(`"object":"payment_intent","id":"pi_1","amount":2000,"currency":"usd","status":"succeeded"`),
			want: Summary{Text: "payment_intent pi_1 20.00 USD succeeded"}},
		{name: "invoice total when there is no amount", payload: obj(`"object":"invoice","id":"in_1","total":4905,"currency":"eur","status":"paid"`),
			want: Summary{Text: "invoice in_1 49.05 EUR paid"}},
		{name: "customer with an email and a null currency", payload: obj(`"object":"customer","id":"cus_1","email":"a@b.example","currency":null`),
			want: Summary{Text: "customer cus_1 a@b.example"}},
		{name: "negative total under one unit", payload: obj(`"object":"invoice","id":"in_2","total":-50,"currency":"usd"`),
			want: Summary{Text: "invoice in_2 -0.50 USD"}},
		{name: "negative total", payload: obj(`"object":"credit_note","id":"cn_1","total":-1234,"currency":"gbp"`),
			want: Summary{Text: "credit_note cn_1 -12.34 GBP"}},
		{name: "zero-decimal currency", payload: obj(`"object":"payment_intent","id":"pi_2","amount":4900,"currency":"jpy"`),
			want: Summary{Text: "payment_intent pi_2 4900 JPY"}},
		{name: "three-decimal currency", payload: obj(`"object":"payment_intent","id":"pi_3","amount":12340,"currency":"kwd"`),
			want: Summary{Text: "payment_intent pi_3 12.340 KWD"}},
		{name: "smallest amount", payload: obj(`"id":"x","amount":-9223372036854775808,"currency":"usd"`),
			want: Summary{Text: "x -92233720368547758.08 USD"}},
		{name: "amount without currency", payload: obj(`"object":"charge","id":"ch_1","amount":2000`),
			want: Summary{Text: "charge ch_1"}},
		{name: "amount a string", payload: obj(`"object":"charge","id":"ch_1","amount":"2000","currency":"usd"`),
			want: Summary{Text: "charge ch_1"}},
		{name: "amount a fraction", payload: obj(`"object":"charge","id":"ch_1","amount":20.5,"currency":"usd"`),
			want: Summary{Text: "charge ch_1"}},
		{name: "fields of the wrong types", payload: obj(`"object":"refund","id":42,"status":["x"],"email":{},"currency":7,"amount":100`),
			want: Summary{Text: "refund"}},
		{name: "data null", payload: `{"type":"x","data":null}`, want: Summary{Text: "(no data.object)"}},
		{name: "data an array", payload: `{"type":"x","data":[{"object":{"id":"pi_1"}}]}`, want: Summary{Text: "(no data.object)"}},
		{name: "object a string", payload: `{"type":"x","data":{"object":"pi_1"}}`, want: Summary{Text: "(no data.object)"}},
		{name: "body an array", payload: `[]`, want: Summary{Text: "(no data.object)"}},
		{name: "body null", payload: `null`, want: Summary{Text: "(no data.object)"}},
		{name: "control characters", payload: obj(`"object":"charge","id":"ch_\u001b[31mred","status":"ok\nnext\u0007"`),
			want: Summary{Text: "charge ch_red ok next"}},
	}, func(_ string, payload []byte) Summary { return summarizeStripe(payload) })
}

func TestSummarizeStandard(t *testing.T) {
	checkSummaries(t, []providerSummaryCase{
		{name: "plain fields in key order", payload: `{"type":"user.created","data":{"name":"Mona Lisa","id":"u_1","email":"a@b.example"}}`,
			want: Summary{Text: `email=a@b.example id=u_1 name="Mona Lisa"`}},
		{name: "at most three", payload: `{"data":{"d":"4","c":"3","b":"2","a":"1"}}`,
			want: Summary{Text: "a=1 b=2 c=3"}},
		{name: "nested and null values are left out", payload: `{"data":{"a":{"x":1},"b":[1],"c":null,"d":true}}`,
			want: Summary{Text: "d=true"}},
		{name: "numbers as sent", payload: `{"data":{"amount":1000000,"big":12345678901234567890,"rate":0.25}}`,
			want: Summary{Text: "amount=1000000 big=12345678901234567890 rate=0.25"}},
		{name: "a quote in a value", payload: `{"data":{"title":"say \"hi\""}}`,
			want: Summary{Text: `title="say \"hi\""`}},
		{name: "data null", payload: `{"type":"x","data":null}`, want: Summary{Text: "(no plain fields in data)"}},
		{name: "data an array", payload: `{"type":"x","data":["a","b"]}`, want: Summary{Text: "(no plain fields in data)"}},
		{name: "data a string", payload: `{"type":"x","data":"hello"}`, want: Summary{Text: "(no plain fields in data)"}},
		{name: "no data", payload: `{"type":"x"}`, want: Summary{Text: "(no plain fields in data)"}},
		{name: "body an array", payload: `[{"data":{"a":"1"}}]`, want: Summary{Text: "(no plain fields in data)"}},
		{name: "control characters in keys and values", payload: `{"data":{"k\u001b[2Jey":"a\u0007b\tc","z":"line\u2028break"}}`,
			want: Summary{Text: `key="a b c" z="line break"`}},
	}, func(_ string, payload []byte) Summary { return summarizeStandard(payload) })
}

func TestSummarizeSlack(t *testing.T) {
	checkSummaries(t, []providerSummaryCase{
		{name: "app mention", payload: `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"U1","channel":"C1","text":"hi there"}}`,
			want: Summary{Action: "app_mention", Text: `app_mention by U1 in C1: "hi there"`}},
		{name: "event without user or text", payload: `{"type":"event_callback","event":{"type":"channel_created"}}`,
			want: Summary{Action: "channel_created", Text: "channel_created"}},
		{name: "url verification", payload: `{"type":"url_verification","challenge":"abc","token":"t"}`,
			want: Summary{Text: "url_verification: the challenge is echoed in the answer", challenge: "abc"}},
		{name: "url verification with a challenge of the wrong type", payload: `{"type":"url_verification","challenge":7}`,
			want: Summary{Text: "url_verification: the challenge is echoed in the answer"}},
		{name: "user of the wrong type", payload: `{"type":"event_callback","event":{"type":"message","user":5,"channel":"C1"}}`,
			want: Summary{Action: "message", Text: "message in C1"}},
		{name: "event a string", payload: `{"type":"event_callback","event":"app_mention"}`, want: Summary{Text: "(no event)"}},
		{name: "event null", payload: `{"type":"event_callback","event":null}`, want: Summary{Text: "(no event)"}},
		{name: "body an array", payload: `[{"type":"url_verification","challenge":"abc"}]`, want: Summary{Text: "(no event)"}},
		{name: "control characters", payload: `{"type":"event_callback","event":{"type":"message\u001b[5m","user":"U\r1","text":"line1\nline2\u001b[31m"}}`,
			want: Summary{Action: "message", Text: `message by U 1: "line1 line2"`}},
	}, func(_ string, payload []byte) Summary { return summarizeSlack(payload) })
}

func TestSummarizeShopify(t *testing.T) {
	checkSummaries(t, []providerSummaryCase{
		{name: "order", event: "orders/create", payload: `{"id":6290417356023,"name":"#1001","total_price":"99.00","currency":"USD"}`,
			want: Summary{Text: "order #1001 99.00 USD"}},
		{name: "order without currency", event: "orders/paid", payload: `{"id":1,"name":"#1002","total_price":"5.00"}`,
			want: Summary{Text: "order #1002 5.00"}},
		{name: "product", event: "products/update", payload: `{"id":2,"title":"Mug"}`,
			want: Summary{Text: `product "Mug"`}},
		{name: "only an id", event: "customers/create", payload: `{"id":6290417356023}`,
			want: Summary{Text: "customer 6290417356023"}},
		{name: "price a number", event: "orders/create", payload: `{"name":"#1003","total_price":99.5,"currency":"USD"}`,
			want: Summary{Text: "order #1003"}},
		{name: "name of the wrong type", event: "orders/create", payload: `{"id":3,"name":["#1"]}`,
			want: Summary{Text: "order 3"}},
		{name: "null", event: "orders/create", payload: `null`, want: Summary{Text: "order"}},
		{name: "array", event: "orders/create", payload: `[{"name":"#1"}]`, want: Summary{Text: "order"}},
		{name: "control characters", event: "products/update\u001b[2J", payload: `{"title":"Mug\u001b[2J\r\nx"}`,
			want: Summary{Text: `product "Mug x"`}},
	}, summarizeShopify)
}

func TestSummarizeGitLab(t *testing.T) {
	const project = `"project":{"path_with_namespace":"group/project"}`
	checkSummaries(t, []providerSummaryCase{
		{name: "push", payload: `{"object_kind":"push","ref":"refs/heads/main","user_name":"Mona","total_commits_count":3,` + project + `}`,
			want: Summary{Text: "refs/heads/main: 3 commits by Mona [group/project]"}},
		{name: "tag push", payload: `{"object_kind":"tag_push","ref":"refs/tags/v1","user_name":"Mona","total_commits_count":1,` + project + `}`,
			want: Summary{Text: "refs/tags/v1: 1 commit by Mona [group/project]"}},
		{name: "merge request", payload: `{"object_kind":"merge_request","object_attributes":{"iid":12,"title":"Fix","action":"open","state":"opened"},` + project + `}`,
			want: Summary{Action: "open", Text: `!12 "Fix" open [group/project]`}},
		{name: "merge request without an action", payload: `{"object_kind":"merge_request","object_attributes":{"iid":12,"title":"Fix","state":"merged"}}`,
			want: Summary{Text: `!12 "Fix" merged`}},
		{name: "merge request without attributes", payload: `{"object_kind":"merge_request","object_attributes":null,` + project + `}`,
			want: Summary{Text: "merge_request [group/project]"}},
		{name: "issue", payload: `{"object_kind":"issue","object_attributes":{"iid":3,"title":"Bug","action":"close"},` + project + `}`,
			want: Summary{Action: "close", Text: `issue "Bug" close [group/project]`}},
		{name: "commit count of the wrong type", payload: `{"object_kind":"push","ref":"refs/heads/main","total_commits_count":"3"}`,
			want: Summary{Text: "refs/heads/main: 0 commits"}},
		{name: "project of the wrong type", payload: `{"object_kind":"note","project":"group/project"}`,
			want: Summary{Text: "note"}},
		{name: "empty object", payload: `{}`, want: Summary{Text: "(no object_kind)"}},
		{name: "null", payload: `null`, want: Summary{Text: "(no object_kind)"}},
		{name: "array", payload: `[{"object_kind":"push"}]`, want: Summary{Text: "(no object_kind)"}},
		{name: "control characters", payload: `{"object_kind":"push","ref":"refs/heads/\u001b[31mmain","user_name":"Mo\nna","total_commits_count":2,"project":{"path_with_namespace":"g/\u0000p"}}`,
			want: Summary{Text: "refs/heads/main: 2 commits by Mo na [g/ p]"}},
	}, func(_ string, payload []byte) Summary { return summarizeGitLab(payload) })
}

func TestSummarizeGitea(t *testing.T) {
	const repo = `"repository":{"full_name":"org/repo"},"sender":{"login":"mona"}`
	checkSummaries(t, []providerSummaryCase{
		{name: "push", event: "push", payload: `{"ref":"refs/heads/main","compare_url":"https://git.example/org/repo/compare/a...b","commits":[{},{}],"pusher":{"login":"mona"},` + repo + `}`,
			want: Summary{Text: "refs/heads/main: 2 commits by mona https://git.example/org/repo/compare/a...b [org/repo]"}},
		{name: "push of one commit without compare_url", event: "push", payload: `{"ref":"refs/heads/dev","commits":[{}],"pusher":{"login":"mona"},` + repo + `}`,
			want: Summary{Text: "refs/heads/dev: 1 commit by mona [org/repo]"}},
		{name: "push with commits null", event: "push", payload: `{"ref":"refs/heads/dev","commits":null,` + repo + `}`,
			want: Summary{Text: "refs/heads/dev: 0 commits [org/repo]"}},
		{name: "push with commits an object falls back to GitHub's", event: "push", payload: `{"ref":"refs/heads/dev","commits":{},` + repo + `}`,
			want: Summary{Text: "on org/repo by mona"}},
		{name: "push without ref falls back to GitHub's", event: "push", payload: `{"commits":[],` + repo + `}`,
			want: Summary{Text: "on org/repo by mona"}},
		{name: "pull request, as GitHub's", event: "pull_request", payload: `{"action":"opened","number":3,"pull_request":{"number":3,"title":"Fix"},` + repo + `}`,
			want: Summary{Action: "opened", Text: `#3 "Fix" opened [org/repo]`}},
		{name: "array", event: "push", payload: `[]`, want: Summary{Text: "(no action, repository or sender)"}},
		{name: "control characters", event: "push", payload: `{"ref":"refs/heads/\u001b]0;title\u0007main","commits":[],"pusher":{"login":"mo\u0085na"}}`,
			want: Summary{Text: "refs/heads/main: 0 commits by mo na"}},
	}, summarizeGitea)
}

// TestSvixHeaders checks Standard Webhooks deliveries sent under Svix's
// header names: accepted with the svix-id as the delivery id (whatever an
// unsigned webhook-id says), and a refusal names the svix-* header at fault.
func TestSvixHeaders(t *testing.T) {
	fx := fixtures.ForProvider(signing.ProviderStandard)[0]
	svix := func(secret string, at time.Time) *http.Request {
		r := providerDelivery{provider: signing.ProviderStandard, secret: secret, body: fx.Body, id: "msg_svix", at: at}.request(t)
		for _, name := range []string{"id", "timestamp", "signature"} {
			r.Header.Set("svix-"+name, r.Header.Get("webhook-"+name))
			r.Header.Del("webhook-" + name)
		}
		return r
	}
	rc, logs := mustProviderReceiver(t, signing.ProviderStandard, signing.DefaultTolerance, standardSecret)
	if code, a, _ := serve(t, rc, logs, svix(standardSecret, providerNow)); code != http.StatusOK || a.Delivery != "msg_svix" || a.Event != fx.Event {
		t.Errorf("answer %d %s delivery %q event %q (%s), want 200 msg_svix %s", code, a.Reason, a.Delivery, a.Event, a.Message, fx.Event)
	}
	// An unsigned webhook-id beside the verified svix-* headers is neither
	// the id reported nor a way past the redelivery check.
	forged := svix(standardSecret, providerNow)
	forged.Header.Set("webhook-id", "forged")
	if code, a, _ := serve(t, rc, logs, forged); code != http.StatusOK || a.Delivery != "msg_svix" || !a.Redelivery {
		t.Errorf("with a forged webhook-id: answer %d %s delivery %q redelivery %v, want 200 msg_svix, a redelivery", code, a.Reason, a.Delivery, a.Redelivery)
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantReason Reason
		wantHeader string
	}{
		{name: "other secret", req: svix(standardOtherSecret, providerNow), wantReason: ReasonSignatureMismatch, wantHeader: "svix-signature"},
		{name: "stale", req: svix(standardSecret, providerNow.Add(-time.Hour)), wantReason: ReasonTimestampOutOfRange, wantHeader: "svix-timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, a, rec := serve(t, rc, logs, tt.req)
			if code != http.StatusUnauthorized || a.Reason != tt.wantReason || rec[KeyHeader] != tt.wantHeader {
				t.Errorf("answer %d %s, log header %v; want 401 %s %s", code, a.Reason, rec[KeyHeader], tt.wantReason, tt.wantHeader)
			}
		})
	}
}

package receiver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// Verdicts never laxer than the official verifiers (issue #15), as the
// receiver answers and logs them.

// stripeHeader computes a Stripe-Signature value independently of signing.
func stripeHeader(secret string, at time.Time, body []byte, sep string, upper bool) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	mac := hex.EncodeToString(m.Sum(nil))
	if upper {
		mac = strings.ToUpper(mac)
	}
	return "t=" + ts + "," + sep + "v1=" + mac
}

func TestVerdictsAsStrictAsTheOfficialLibraries(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const stripeSecret = "whsec_hooklabReceiverStripeSecret7Qp2"
	stripeBody := []byte(`{"id":"evt_1","object":"event","type":"charge.succeeded","data":{"object":{}}}`)
	pushBody := []byte(`{"ref":"refs/heads/main"}`)
	upperHub := "sha256=" + strings.ToUpper(strings.TrimPrefix(hubSignature(testSecret, pushBody), "sha256="))
	stripeReq := func(value string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(stripeBody))
		r.Header.Set("Content-Length", strconv.Itoa(len(stripeBody)))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(signing.StripeSignatureHeader, value)
		return r
	}
	tests := []struct {
		name         string
		provider     string
		secret       string
		req          *http.Request
		wantStatus   int
		wantReason   Reason
		wantMessage  string // a phrase of the answer's message
		wantWarnings []string
	}{
		{
			name: "github, lowercase hex", provider: signing.ProviderGitHub, secret: testSecret,
			req: newDelivery("push", pushBody), wantStatus: http.StatusOK, wantReason: ReasonOK,
		},
		{
			name: "github, uppercase hex", provider: signing.ProviderGitHub, secret: testSecret,
			req:        newDelivery("push", pushBody, withHeader(signing.GitHubSignatureHeader, upperHub)),
			wantStatus: http.StatusOK, wantReason: ReasonOK,
			wantWarnings: []string{"X-Hub-Signature-256: accepted; octokit would refuse uppercase hex"},
		},
		{
			name: "stripe, uppercase hex", provider: signing.ProviderStripe, secret: stripeSecret,
			req:        stripeReq(stripeHeader(stripeSecret, now, stripeBody, "", true)),
			wantStatus: http.StatusOK, wantReason: ReasonOK,
			wantWarnings: []string{"Stripe-Signature: accepted; stripe-node would refuse uppercase hex"},
		},
		{
			name: "stripe, two spaces after the comma", provider: signing.ProviderStripe, secret: stripeSecret,
			req:        stripeReq(stripeHeader(stripeSecret, now, stripeBody, "  ", false)),
			wantStatus: http.StatusUnauthorized, wantReason: ReasonSignatureMalformed,
			wantMessage: "white space after a comma in Stripe-Signature; Stripe's libraries refuse it",
		},
		{
			name: "a stripe delivery at a github listener", provider: signing.ProviderGitHub, secret: testSecret,
			req:        stripeReq(stripeHeader(stripeSecret, now, stripeBody, "", false)),
			wantStatus: http.StatusUnauthorized, wantReason: ReasonSignatureMissing,
			wantMessage: "found Stripe-Signature, which --provider stripe reads",
		},
		{
			name: "a github delivery at a stripe listener", provider: signing.ProviderStripe, secret: stripeSecret,
			req:        newDelivery("push", pushBody),
			wantStatus: http.StatusUnauthorized, wantReason: ReasonSignatureMissing,
			wantMessage: "found X-Hub-Signature-256, which --provider github reads",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme, err := signing.New(tt.provider, []string{tt.secret}, signing.Options{Tolerance: signing.DefaultTolerance})
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			var observed []string
			observedCalled := false
			rc, err := New(Config{
				Scheme: scheme, Now: func() time.Time { return now },
				Logger: slog.New(NewJSONHandler(&logs)),
				Observe: func(d *Delivery) string {
					observedCalled, observed = true, d.Warnings
					return ""
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, tt.req)
			a := answerOf(t, rec)
			if rec.Code != tt.wantStatus || a.Reason != tt.wantReason || !strings.Contains(a.Message, tt.wantMessage) {
				t.Fatalf("answer %d %s %q, want %d %s saying %q", rec.Code, a.Reason, a.Message, tt.wantStatus, tt.wantReason, tt.wantMessage)
			}
			if !slices.Equal(a.Warnings, tt.wantWarnings) {
				t.Errorf("answer warnings = %q, want %q", a.Warnings, tt.wantWarnings)
			}
			if tt.wantWarnings == nil && strings.Contains(rec.Body.String(), `"warnings"`) {
				t.Errorf("answer %s has a warnings field without warnings", rec.Body)
			}
			if !observedCalled || !slices.Equal(observed, tt.wantWarnings) {
				t.Errorf("Delivery.Warnings = %q (observed: %v), want %q", observed, observedCalled, tt.wantWarnings)
			}
			records := logRecords(t, &logs)
			if len(records) != 1 {
				t.Fatalf("%d log records, want 1: %s", len(records), logs.String())
			}
			raw, present := records[0][KeyWarnings]
			if tt.wantWarnings == nil {
				if present {
					t.Errorf("log record has %s = %v, want none", KeyWarnings, raw)
				}
				return
			}
			var logged []string
			b, _ := json.Marshal(raw)
			if err := json.Unmarshal(b, &logged); err != nil || !slices.Equal(logged, tt.wantWarnings) {
				t.Errorf("log record %s = %v, want %q", KeyWarnings, raw, tt.wantWarnings)
			}
		})
	}
}

func TestStandardSecretWithoutPadding(t *testing.T) {
	key := []byte("hooklab-receiver-standard-key!!") // 31 bytes: "==" of padding
	padded := "whsec_" + base64.StdEncoding.EncodeToString(key)
	unpadded := strings.TrimRight(padded, "=")
	body := []byte(`{"type":"invoice.paid","data":{}}`)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	signer, err := signing.New(signing.ProviderStandard, []string{padded}, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := signer.Sign(signing.Message{Body: body, ID: "msg_1", Time: now})
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := signing.New(signing.ProviderStandard, []string{unpadded}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		t.Fatalf("a whsec_ secret without its padding: %v", err)
	}
	rc, logs := mustReceiver(t, Config{Scheme: scheme, Now: func() time.Time { return now }})
	r := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	for name, values := range h {
		r.Header[name] = values
	}
	if status, a, _ := serve(t, rc, logs, r); status != http.StatusOK {
		t.Fatalf("answer %d %s %q, want 200", status, a.Reason, a.Message)
	}
}

package interop_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Stripe endpoint secrets, made up, in the form the Dashboard gives:
// whsec_ and 32 characters. They happen to be valid base64 too, so a
// verifier that wrongly decoded them would get a key, just not Stripe's:
// the whole string is the key.
const (
	stripeSecret      = "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
	stripeOtherSecret = "whsec_Q2hhbmdlZEFmdGVyUm90YXRpb24wMTIz"
	stripeThirdSecret = "whsec_Tm90VGhlU2VjcmV0T2ZUaGlzRW5kcG50"
)

// stripeHeaders are the headers Stripe sends with a Stripe-Signature value.
func stripeHeaders(signature string) http.Header {
	return http.Header{
		"Content-Type":     {"application/json; charset=utf-8"},
		"User-Agent":       {"Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
		"Stripe-Signature": {signature},
	}
}

// stripeSign signs body at signedAt with stripe-go's own test signer.
func stripeSign(secret string, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: signedAt}).Header
}

// TestStripeSignaturesVerifyInHooklab signs every Stripe fixture with
// stripe-go and checks that hooklab accepts exactly those made with its
// secret, whole: Stripe keys the HMAC with the whole whsec_ string.
func TestStripeSignaturesVerifyInHooklab(t *testing.T) {
	scheme := mustScheme(t, signing.ProviderStripe, stripeSecret)
	webhookURL := startReceiver(t, scheme, signedAt)
	tests := []struct {
		name      string
		signature func(body []byte) string
		accepted  bool
	}{
		{
			name:      "GenerateTestSignedPayload with the secret",
			signature: func(body []byte) string { return stripeSign(stripeSecret, body) },
			accepted:  true,
		},
		{
			// While an endpoint secret is rolled, Stripe sends one v1 per
			// secret; test mode adds a v0 that must not count.
			name: "rolled secret: v1 by an expired secret, v1 by the secret, and a v0",
			signature: func(body []byte) string {
				return fmt.Sprintf("t=%d,v1=%x,v1=%x,v0=%x", signedAt.Unix(),
					webhook.ComputeSignature(signedAt, body, stripeOtherSecret),
					webhook.ComputeSignature(signedAt, body, stripeSecret),
					webhook.ComputeSignature(signedAt, body, stripeThirdSecret))
			},
			accepted: true,
		},
		{
			name:      "another secret",
			signature: func(body []byte) string { return stripeSign(stripeOtherSecret, body) },
		},
		{
			name:      "the secret without whsec_",
			signature: func(body []byte) string { return stripeSign(strings.TrimPrefix(stripeSecret, "whsec_"), body) },
		},
		{
			name: "only a v0 by the secret",
			signature: func(body []byte) string {
				return fmt.Sprintf("t=%d,v1=%x,v0=%x", signedAt.Unix(),
					webhook.ComputeSignature(signedAt, body, stripeOtherSecret),
					webhook.ComputeSignature(signedAt, body, stripeSecret))
			},
		},
	}
	for _, fx := range mustFixtures(t, signing.ProviderStripe) {
		for _, tt := range tests {
			t.Run(fx.Name+"/"+tt.name, func(t *testing.T) {
				checkHooklab(t, webhookURL, scheme, fx, stripeHeaders(tt.signature(fx.Body)), tt.accepted)
			})
		}
	}
}

// TestHooklabSignaturesVerifyInStripe sends every Stripe fixture with
// hooklab's sender and verifies what arrives with stripe-go's
// ConstructEventWithOptions, which also checks the timestamp against the
// real clock, so the deliveries are signed now.
func TestHooklabSignaturesVerifyInStripe(t *testing.T) {
	tests := []struct {
		name   string
		age    time.Duration // how long before now hooklab signs
		secret string        // the secret stripe-go verifies with
		want   error
	}{
		{name: "the secret", secret: stripeSecret},
		{name: "another secret", secret: stripeOtherSecret, want: webhook.ErrNoValidSignature},
		{name: "the secret without whsec_", secret: strings.TrimPrefix(stripeSecret, "whsec_"), want: webhook.ErrNoValidSignature},
		{name: "signed ten minutes ago", age: stale, secret: stripeSecret, want: webhook.ErrTooOld},
	}
	for _, fx := range mustFixtures(t, signing.ProviderStripe) {
		for _, tt := range tests {
			t.Run(fx.Name+"/"+tt.name, func(t *testing.T) {
				h, body := deliver(t, sender.Delivery{
					Provider: signing.ProviderStripe,
					Secret:   stripeSecret,
					Time:     time.Now().Add(-tt.age),
					Payload:  fx.Body,
				})
				event, err := webhook.ConstructEventWithOptions(body, h.Get(signing.StripeSignatureHeader), tt.secret,
					webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
				if !errors.Is(err, tt.want) {
					t.Fatalf("ConstructEventWithOptions = %v, want %v", err, tt.want)
				}
				if err == nil && string(event.Type) != fx.Event {
					t.Errorf("stripe-go read event type %q, want %q", event.Type, fx.Event)
				}
			})
		}
	}
}

// TestHooklabSignWithAllVerifiesInStripe sends a delivery signed with two
// secrets (send --sign-with-all, as Stripe does while a secret is rolled)
// and checks that stripe-go accepts it with either secret and no other.
func TestHooklabSignWithAllVerifiesInStripe(t *testing.T) {
	fx := mustFixtures(t, signing.ProviderStripe)[0]
	h, body := deliver(t, sender.Delivery{
		Provider:     signing.ProviderStripe,
		Secret:       stripeSecret,
		OtherSecrets: []string{stripeOtherSecret},
		SignWithAll:  true,
		Time:         time.Now(),
		Payload:      fx.Body,
	})
	header := h.Get(signing.StripeSignatureHeader)
	if n := strings.Count(header, ",v1="); n != 2 {
		t.Fatalf("Stripe-Signature has %d v1 entries, want 2", n)
	}
	tests := []struct {
		name   string
		secret string
		want   error
	}{
		{name: "the first secret", secret: stripeSecret},
		{name: "the other secret", secret: stripeOtherSecret},
		{name: "a third secret", secret: stripeThirdSecret, want: webhook.ErrNoValidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ConstructEventWithOptions(body, header, tt.secret,
				webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
			if !errors.Is(err, tt.want) {
				t.Errorf("ConstructEventWithOptions = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestHooklabNeverLaxerThanStripeGo: for Stripe-Signature values spelled
// every way a sender gets wrong, hooklab accepts only what stripe-go's
// webhook.ValidatePayloadIgnoringTolerance accepts (hooklab may refuse
// more; stripe-node's verdicts are in node_test.go).
func TestHooklabNeverLaxerThanStripeGo(t *testing.T) {
	body := []byte(`{"id":"evt_1","object":"event","type":"customer.created"}`)
	good := stripeSign(stripeSecret, body)
	ts, mac, _ := strings.Cut(strings.TrimPrefix(good, "t="), ",v1=")
	scheme, err := signing.New(signing.ProviderStripe, []string{stripeSecret}, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"as Stripe writes it":               good,
		"a space after the comma":           "t=" + ts + ", v1=" + mac,
		"a space before the comma":          "t=" + ts + " ,v1=" + mac,
		"a trailing comma":                  good + ",",
		"an item without =":                 good + ",novalue",
		"an item with two =":                good + ",v0=a=b",
		"a t= that is not a number first":   "t=abc,t=" + ts + ",v1=" + mac,
		"an empty t= first":                 "t=,t=" + ts + ",v1=" + mac,
		"a spaced t= first":                 "t= 1,t=" + ts + ",v1=" + mac,
		"two t=, the last signed":           "t=1,t=" + ts + ",v1=" + mac,
		"two t=, the first signed":          "t=" + ts + ",t=1,v1=" + mac,
		"uppercase hex":                     "t=" + ts + ",v1=" + strings.ToUpper(mac),
		"a plus sign on t":                  "t=+" + ts + ",v1=" + mac,
		"a spaced v1 besides the right one": good + ", v1=" + strings.Repeat("0", 64),
	}
	for name, value := range values {
		t.Run(name, func(t *testing.T) {
			hooklab := signing.Verify(scheme, stripeHeaders(value), body, signedAt)
			stripeGo := webhook.ValidatePayloadIgnoringTolerance(body, value, stripeSecret)
			if hooklab == nil && stripeGo != nil {
				t.Errorf("hooklab accepts %q, which stripe-go refuses: %v", value, stripeGo)
			}
			if value == good && (hooklab != nil || stripeGo != nil) {
				t.Errorf("the header as Stripe writes it: hooklab %v, stripe-go %v; want both to accept", hooklab, stripeGo)
			}
		})
	}
}

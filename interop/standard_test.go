package interop_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Standard Webhooks secrets, made up: whsec_ and base64.
const (
	// standardSecret has the form `hooklab secret --provider standard`
	// prints: the base64 of 32 bytes.
	standardSecret = "whsec_aG9va2xhYiBpbnRlcm9wIHN0YW5kYXJkIHNlY3JldCE="
	// svixSecret has the form Svix's dashboard shows: the base64 of 24
	// bytes, the shortest key the specification allows.
	svixSecret = "whsec_aG9va2xhYiBpbnRlcm9wIHN2aXgga2V5"
	// standardOtherSecret signs what hooklab must refuse.
	standardOtherSecret = "whsec_bm90IHRoZSBzZWNyZXQgb2YgdGhpcyBlbmRwb2ludCE="
)

// standardMessageID is a delivery id in the form Svix gives them.
const standardMessageID = "msg_2hooklabInteropStandard01"

// standardWebhook is what both libraries' Webhook types do.
type standardWebhook interface {
	Sign(msgID string, timestamp time.Time, payload []byte) (string, error)
	Verify(payload []byte, headers http.Header) error
}

// standardLibrary is one library that implements Standard Webhooks, and
// the header names its senders use.
type standardLibrary struct {
	name                     string
	newWebhook               func(secret string) (standardWebhook, error)
	id, timestamp, signature string
	secret                   string // a secret in the form its senders give
}

// standardLibraries returns the reference library of the specification and
// Svix's own, which sends the same scheme under svix-* names.
func standardLibraries() []standardLibrary {
	return []standardLibrary{
		{
			name: "standard-webhooks",
			newWebhook: func(secret string) (standardWebhook, error) {
				return standardwebhooks.NewWebhook(secret)
			},
			id:        standardwebhooks.HeaderWebhookID,
			timestamp: standardwebhooks.HeaderWebhookTimestamp,
			signature: standardwebhooks.HeaderWebhookSignature,
			secret:    standardSecret,
		},
		{
			name: "svix",
			newWebhook: func(secret string) (standardWebhook, error) {
				return svix.NewWebhook(secret)
			},
			id:        signing.SvixIDHeader,
			timestamp: signing.SvixTimestampHeader,
			signature: signing.SvixSignatureHeader,
			secret:    svixSecret,
		},
	}
}

// mustWebhook returns lib's Webhook for secret.
func mustWebhook(tb testing.TB, lib standardLibrary, secret string) standardWebhook {
	tb.Helper()
	wh, err := lib.newWebhook(secret)
	if err != nil {
		tb.Fatalf("%s NewWebhook: %v", lib.name, err)
	}
	return wh
}

// mustSign signs body at signedAt with lib's own signer.
func mustSign(tb testing.TB, lib standardLibrary, secret string, body []byte) string {
	tb.Helper()
	sig, err := mustWebhook(tb, lib, secret).Sign(standardMessageID, signedAt, body)
	if err != nil {
		tb.Fatalf("%s Sign: %v", lib.name, err)
	}
	return sig
}

// TestStandardSignaturesVerifyInHooklab signs every Standard Webhooks
// fixture with each library and sends it under that library's header
// names, lowercase as its senders write them, and checks that hooklab
// accepts exactly those made with its secret.
func TestStandardSignaturesVerifyInHooklab(t *testing.T) {
	for _, lib := range standardLibraries() {
		t.Run(lib.name, func(t *testing.T) {
			scheme := mustScheme(t, signing.ProviderStandard, lib.secret)
			webhookURL := startReceiver(t, scheme, signedAt)
			tests := []struct {
				name      string
				signature func(body []byte) string
				accepted  bool
			}{
				{
					name:      "Sign with the secret",
					signature: func(body []byte) string { return mustSign(t, lib, lib.secret, body) },
					accepted:  true,
				},
				{
					// While a secret is rotated, senders list one signature
					// per secret, space-separated.
					name: "two signatures, the second by the secret",
					signature: func(body []byte) string {
						return mustSign(t, lib, standardOtherSecret, body) + " " + mustSign(t, lib, lib.secret, body)
					},
					accepted: true,
				},
				{
					name:      "another secret",
					signature: func(body []byte) string { return mustSign(t, lib, standardOtherSecret, body) },
				},
			}
			for _, fx := range mustFixtures(t, signing.ProviderStandard) {
				for _, tt := range tests {
					t.Run(fx.Name+"/"+tt.name, func(t *testing.T) {
						h := http.Header{
							"Content-Type": {"application/json"},
							lib.id:         {standardMessageID},
							lib.timestamp:  {strconv.FormatInt(signedAt.Unix(), 10)},
							lib.signature:  {tt.signature(fx.Body)},
						}
						checkHooklab(t, webhookURL, scheme, fx, h, tt.accepted)
					})
				}
			}
		})
	}
}

// TestHooklabSignaturesVerifyInStandard sends every Standard Webhooks
// fixture with hooklab's sender and verifies what arrives with each
// library's Verify, which checks the timestamp against the real clock, so
// the deliveries are signed now.
func TestHooklabSignaturesVerifyInStandard(t *testing.T) {
	tests := []struct {
		name     string
		age      time.Duration // how long before now hooklab signs
		other    bool          // the library verifies with standardOtherSecret
		verified bool
	}{
		{name: "the secret", verified: true},
		{name: "another secret", other: true},
		{name: "signed ten minutes ago", age: stale},
	}
	for _, lib := range standardLibraries() {
		for _, fx := range mustFixtures(t, signing.ProviderStandard) {
			for _, tt := range tests {
				t.Run(lib.name+"/"+fx.Name+"/"+tt.name, func(t *testing.T) {
					h, body := deliver(t, sender.Delivery{
						Provider: signing.ProviderStandard,
						Secret:   lib.secret,
						Time:     time.Now().Add(-tt.age),
						ID:       standardMessageID,
						Payload:  fx.Body,
					})
					secret := lib.secret
					if tt.other {
						secret = standardOtherSecret
					}
					err := mustWebhook(t, lib, secret).Verify(body, h)
					if verified := err == nil; verified != tt.verified {
						t.Errorf("%s Verify = %v, want verified %t", lib.name, err, tt.verified)
					}
				})
			}
		}
	}
}

// TestHooklabSignWithAllVerifiesInStandard sends a delivery signed with two
// secrets (send --sign-with-all) and checks that each library accepts it
// with either secret and no other.
func TestHooklabSignWithAllVerifiesInStandard(t *testing.T) {
	fx := mustFixtures(t, signing.ProviderStandard)[0]
	h, body := deliver(t, sender.Delivery{
		Provider:     signing.ProviderStandard,
		Secret:       standardSecret,
		OtherSecrets: []string{svixSecret},
		SignWithAll:  true,
		Time:         time.Now(),
		ID:           standardMessageID,
		Payload:      fx.Body,
	})
	if n := len(strings.Fields(h.Get(signing.StandardSignatureHeader))); n != 2 {
		t.Fatalf("webhook-signature has %d signatures, want 2", n)
	}
	tests := []struct {
		name     string
		secret   string
		verified bool
	}{
		{name: "the first secret", secret: standardSecret, verified: true},
		{name: "the other secret", secret: svixSecret, verified: true},
		{name: "a third secret", secret: standardOtherSecret},
	}
	for _, lib := range standardLibraries() {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", lib.name, tt.name), func(t *testing.T) {
				err := mustWebhook(t, lib, tt.secret).Verify(body, h)
				if verified := err == nil; verified != tt.verified {
					t.Errorf("%s Verify = %v, want verified %t", lib.name, err, tt.verified)
				}
			})
		}
	}
}

package interop_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Slack signing secrets, made up, in the form Slack gives: 32 hex digits.
const (
	slackSecret      = "6c3b1f0e9a8d47f2b5e0c4a1d9f8e7b3"
	slackOtherSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

// TestHooklabSignaturesVerifyInSlack sends every Slack fixture with
// hooklab's sender and verifies what arrives as slack-go's documentation
// says to: NewSecretsVerifier with the headers, the raw body written into
// it, then Ensure. NewSecretsVerifier checks the timestamp against the real
// clock, so the deliveries are signed now. slack-go has no signer, so
// there is no library-to-hooklab test.
func TestHooklabSignaturesVerifyInSlack(t *testing.T) {
	tests := []struct {
		name   string
		age    time.Duration // how long before now hooklab signs
		secret string        // the secret slack-go verifies with
		want   error
	}{
		{name: "the secret", secret: slackSecret},
		{name: "another secret", secret: slackOtherSecret, want: slack.ErrInvalidSignature},
		{name: "signed ten minutes ago", age: stale, secret: slackSecret, want: slack.ErrExpiredTimestamp},
	}
	for _, fx := range mustFixtures(t, signing.ProviderSlack) {
		for _, tt := range tests {
			t.Run(fx.Name+"/"+tt.name, func(t *testing.T) {
				h, body := deliver(t, sender.Delivery{
					Provider: signing.ProviderSlack,
					Secret:   slackSecret,
					Time:     time.Now().Add(-tt.age),
					Payload:  fx.Body,
				})
				err := verifySlack(h, body, tt.secret)
				if !errors.Is(err, tt.want) {
					t.Errorf("slack-go = %v, want %v", err, tt.want)
				}
			})
		}
	}
}

// verifySlack runs slack-go's verifier over a request's headers and body.
func verifySlack(h http.Header, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

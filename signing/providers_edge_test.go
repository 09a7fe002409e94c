package signing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// Stripe's libraries sign the parsed timestamp, so "t=0123" means 123.
func TestStripeSignsTheNumberNotItsSpelling(t *testing.T) {
	s, err := signing.New(signing.ProviderStripe, []string{"whsec_edge"}, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"evt_1"}`)
	m := hmac.New(sha256.New, []byte("whsec_edge"))
	m.Write([]byte("123." + string(body)))
	h := http.Header{}
	h.Set(signing.StripeSignatureHeader, "t=0123,v1="+hex.EncodeToString(m.Sum(nil)))
	if err := signing.Verify(s, h, body, time.Unix(123, 0)); err != nil {
		t.Errorf("t=0123 signed as 123: %v", err)
	}
}

func TestTimestampedSignNeedsATime(t *testing.T) {
	for _, p := range []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack} {
		t.Run(p, func(t *testing.T) {
			secret := "a-secret-for-the-edge-cases-0123456789"
			if p == signing.ProviderStandard {
				secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
			}
			s, err := signing.New(p, []string{secret}, signing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sign(signing.Message{Body: []byte("{}"), ID: "msg_1"}); err == nil {
				t.Error("Sign without a time succeeded; it would sign a timestamp in the year 1")
			}
		})
	}
}

func TestNewUnknownProviderBeforeSecrets(t *testing.T) {
	_, err := signing.New("nope", nil, signing.Options{})
	if err == nil || errors.Is(err, signing.ErrNoSecret) || !strings.Contains(err.Error(), "unknown provider") {
		t.Errorf("New(nope, no secrets) = %v, want an unknown-provider error", err)
	}
}

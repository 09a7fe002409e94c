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

// A base64 MAC has one spelling: the official libraries compare the text,
// so a variant that differs only in unused bits must not verify either.
func TestBase64MACsAreStrict(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	variant := func(mac string) string {
		// 32 bytes: 43 characters and one '='; the 43rd holds 4 unused bits.
		i := strings.IndexByte(alphabet, mac[42])
		return mac[:42] + string(alphabet[i^1]) + mac[43:]
	}
	tests := []struct {
		name, provider, secret, header string
		edit                           func(value string) string
	}{
		{name: "shopify", provider: signing.ProviderShopify, secret: "shop-secret", header: "X-Shopify-Hmac-Sha256",
			edit: variant},
		{name: "standard", provider: signing.ProviderStandard, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			header: signing.StandardSignatureHeader, edit: func(v string) string { return "v1," + variant(strings.TrimPrefix(v, "v1,")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := signing.New(tt.provider, []string{tt.secret}, signing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(1780000000, 0)
			body := []byte(`{"id":1}`)
			h, err := s.Sign(signing.Message{Body: body, ID: "msg_1", Time: now})
			if err != nil {
				t.Fatal(err)
			}
			if err := signing.Verify(s, h, body, now); err != nil {
				t.Fatalf("the valid signature: %v", err)
			}
			h.Set(tt.header, tt.edit(h.Get(tt.header)))
			if err := signing.Verify(s, h, body, now); !errors.Is(err, signing.ErrMalformed) {
				t.Errorf("a non-canonical spelling of the right MAC: %v, want ErrMalformed", err)
			}
		})
	}
}

package interop_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/google/go-github/v82/github"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// GitHub webhook secrets, made up: GitHub takes any string.
const (
	githubSecret      = "hooklab interop: GitHub's secret is any string"
	githubOtherSecret = "hooklab interop: not this hook's secret"
)

// TestHooklabSignaturesVerifyInGoGitHub sends every GitHub fixture with
// hooklab's sender, as JSON and as a form, and verifies what arrives with
// go-github's ValidatePayload, which reads X-Hub-Signature-256 and, for a
// form, takes the payload field out of the signed body. It also checks the
// legacy SHA-1 X-Hub-Signature that hooklab sends alongside, with
// ValidateSignature. go-github has no signer, so there is no
// library-to-hooklab test.
func TestHooklabSignaturesVerifyInGoGitHub(t *testing.T) {
	contentTypes := []sender.ContentType{sender.ContentJSON, sender.ContentForm}
	tests := []struct {
		name     string
		secret   string // the secret go-github verifies with
		verified bool
	}{
		{name: "the secret", secret: githubSecret, verified: true},
		{name: "another secret", secret: githubOtherSecret},
	}
	for _, fx := range mustFixtures(t, signing.ProviderGitHub) {
		for _, ct := range contentTypes {
			for _, tt := range tests {
				t.Run(fx.Name+"/"+string(ct)+"/"+tt.name, func(t *testing.T) {
					h, body := deliver(t, sender.Delivery{
						Provider:    signing.ProviderGitHub,
						Secret:      githubSecret,
						Event:       fx.Event,
						ID:          "6f0c3c4e-9a8b-4d2c-8e1f-0a1b2c3d4e5f",
						Payload:     fx.Body,
						ContentType: ct,
					})
					r, err := http.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					r.Header = h
					payload, err := github.ValidatePayload(r, []byte(tt.secret))
					if verified := err == nil; verified != tt.verified {
						t.Fatalf("ValidatePayload = %v, want verified %t", err, tt.verified)
					}
					if tt.verified && !bytes.Equal(payload, fx.Body) {
						t.Errorf("ValidatePayload returned a payload of %d bytes that is not the fixture's %d", len(payload), len(fx.Body))
					}
					if tt.verified {
						// What a go-github receiver does next: route by the
						// event header and decode into the event's type.
						if _, err := github.ParseWebHook(github.WebHookType(r), payload); err != nil {
							t.Errorf("ParseWebHook(%q): %v", github.WebHookType(r), err)
						}
					}
					legacy := h.Get(signing.GitHubLegacySignatureHeader)
					err = github.ValidateSignature(legacy, body, []byte(tt.secret))
					if verified := err == nil; verified != tt.verified {
						t.Errorf("ValidateSignature(X-Hub-Signature) = %v, want verified %t", err, tt.verified)
					}
				})
			}
		}
	}
}

package signing_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/signing"
)

// mustGitHub returns the GitHub scheme for secrets or fails the test.
func mustGitHub(tb testing.TB, secrets ...string) *signing.GitHub {
	tb.Helper()
	g, err := signing.NewGitHub(secrets...)
	if err != nil {
		tb.Fatalf("NewGitHub(%d secrets): %v", len(secrets), err)
	}
	return g
}

// mustSign signs body with s or fails the test.
func mustSign(tb testing.TB, s signing.Scheme, body []byte) http.Header {
	tb.Helper()
	h, err := s.Sign(signing.Message{Body: body})
	if err != nil {
		tb.Fatalf("%s: Sign: %v", s.Name(), err)
	}
	return h
}

// hmacSHA256 is the reference HMAC-SHA256, computed with crypto/hmac directly
// and independently of the package's pooled states.
func hmacSHA256(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// hmacSHA1 is the reference HMAC-SHA1 for the legacy header.
func hmacSHA1(key, body []byte) []byte {
	m := hmac.New(sha1.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// githubHeader returns a header carrying value as X-Hub-Signature-256.
func githubHeader(value string) http.Header {
	h := http.Header{}
	h.Set(signing.GitHubSignatureHeader, value)
	return h
}

// leaks returns what a verification error must never contain: the secret
// and the expected MAC in every encoding a developer might paste it in.
func leaks(secret string, macs ...[]byte) []string {
	out := []string{secret}
	for _, mac := range macs {
		lower := hex.EncodeToString(mac)
		out = append(out,
			lower,
			strings.ToUpper(lower),
			base64.StdEncoding.EncodeToString(mac),
			base64.RawURLEncoding.EncodeToString(mac),
		)
	}
	return out
}

// assertNoLeak fails the test if the message of err contains any of secrets.
func assertNoLeak(tb testing.TB, err error, secrets []string) {
	tb.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			tb.Errorf("error %q leaks %q", msg, s)
		}
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name    string
		err     *signing.Error
		want    string
		wantErr error
	}{
		{
			name:    "with header",
			err:     &signing.Error{Kind: signing.ErrMismatch, Header: "X-Sig", Detail: "the body or the secret differs"},
			want:    "signature mismatch: X-Sig: the body or the secret differs",
			wantErr: signing.ErrMismatch,
		},
		{
			name:    "without header",
			err:     &signing.Error{Kind: signing.ErrMalformed, Detail: "not hex"},
			want:    "signature malformed: not hex",
			wantErr: signing.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.wantErr)
			}
			for _, other := range []error{signing.ErrNoSecret, signing.ErrMissing, signing.ErrMalformed, signing.ErrMismatch} {
				if other != tt.wantErr && errors.Is(tt.err, other) {
					t.Errorf("errors.Is(%v, %v) = true, want only %v", tt.err, other, tt.wantErr)
				}
			}
		})
	}
}

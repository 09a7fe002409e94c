package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
)

// TestReceiversVerify: both verifying baselines accept a signed payload and
// refuse one signed with another secret, so that bench/run.sh measures
// real verification.
func TestReceiversVerify(t *testing.T) {
	secret := []byte("bench-secret")
	body, err := fixtures.PushOfSize(8 << 10)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write(body)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	for name, h := range map[string]http.Handler{"verify": verify(secret), "straightforward": straightforward(secret)} {
		for _, tc := range []struct {
			key  string
			want int
		}{{"bench-secret", 200}, {"another secret", 401}, {"bench-secret", 200}} {
			r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			r.Header.Set("X-Hub-Signature-256", sign([]byte(tc.key)))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("%s, signed with %q: status %d, want %d", name, tc.key, w.Code, tc.want)
			}
		}
	}
}

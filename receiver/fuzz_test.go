package receiver

import (
	"errors"
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzFormPayload: the form decoder never panics, and whatever JSON is put
// in the payload field comes back byte for byte.
func FuzzFormPayload(f *testing.F) {
	for _, seed := range []string{
		"payload=%7B%7D", "payload=", "payload", "other=1", "", "payload=%zz", "payload=a&payload=b",
		"a=1;payload=2", "payload=%7B%22a%22%3A1%7D&x=y", "payload=+%2B+", "&&&", "=",
	} {
		f.Add([]byte(seed), `{"zen":"x"}`)
	}
	f.Fuzz(func(t *testing.T, body []byte, payload string) {
		got, err := formPayload(body)
		if err == nil && got == nil {
			t.Fatalf("formPayload(%q) returned no payload and no error", body)
		}
		if !utf8.ValidString(payload) {
			return
		}
		round, err := formPayload([]byte("payload=" + url.QueryEscape(payload)))
		if err != nil || string(round) != payload {
			t.Fatalf("payload %q came back as %q, %v", payload, round, err)
		}
		if _, err := formPayload([]byte("x=" + url.QueryEscape(payload))); !errors.Is(err, errNoPayload) {
			t.Fatalf("a form without payload gave %v, want errNoPayload", err)
		}
	})
}

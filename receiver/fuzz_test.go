package receiver

import (
	stdjson "encoding/json"
	"errors"
	"net/url"
	"testing"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
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

// FuzzJSONValidAgrees: the receiver checks payloads with goccy/go-json for
// speed; it must accept and refuse exactly what encoding/json does.
func FuzzJSONValidAgrees(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}`, `{"a":}`, `[1,2,]`, `"\u12"`, `"\x"`, "\"\xff\"", `01`, `1e`, `{"a":1}x`, ` {} `,
		`nul`, `tru`, `[`, `"a`, `{"a" 1}`, `-`, `1.`, `.5`, `"\ud800"`, `{"a":[1,{"b":null}],"c":true}`,
		`1e+5`, `-0.0e-0`, "\"\t\"", `{"a":1,}`, `[[[[[[[[[[]]]]]]]]]]`, "", " ", `""`, `{"":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := gojson.Valid(b), stdjson.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

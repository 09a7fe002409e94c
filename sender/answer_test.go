package sender_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/sender"
)

func TestNewID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, seed := range [][]byte{bytes.Repeat([]byte{0}, 16), bytes.Repeat([]byte{0xff}, 16), []byte("0123456789abcdef")} {
		id, err := sender.NewID(bytes.NewReader(seed))
		if err != nil || !uuid.MatchString(id) {
			t.Errorf("NewID(%x) = %q, %v; want a version 4 UUID", seed, id, err)
		}
	}
	if _, err := sender.NewID(bytes.NewReader([]byte("short"))); err == nil {
		t.Error("NewID with 5 random bytes succeeded")
	}
}

func TestResponseReason(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "hooklab answer", body: `{"status":401,"reason":"signature_mismatch","message":"the body or the secret differs"}`,
			want: "signature_mismatch: the body or the secret differs"},
		{name: "reason only", body: `{"reason":"nope"}`, want: "nope"},
		{name: "plain text, first line", body: "Forbidden\nmore", want: "Forbidden"},
		{name: "JSON without reason", body: `{"ok":true}`, want: `{"ok":true}`},
		{name: "escape sequences and control characters removed", body: "bad\x1b[31m red\x07", want: "bad red"},
		{name: "bidi override removed", body: `{"reason":"ok\u202e","message":"fine"}`, want: "ok : fine"},
		{name: "capped at 200 runes", body: strings.Repeat("x", 300), want: strings.Repeat("x", 199) + "…"},
		{name: "empty", body: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &sender.Response{Body: []byte(tt.body)}
			if got := r.Reason(); got != tt.want {
				t.Errorf("Reason() = %q, want %q", got, tt.want)
			}
		})
	}
}

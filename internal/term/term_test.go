package term

import (
	"bytes"
	"testing"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
	}{
		{name: "unknown", n: -1, want: "? B"},
		{name: "bytes", n: 1023, want: "1023 B"},
		{name: "KiB", n: 1536, want: "1.5 KiB"},
		{name: "MiB", n: 25 << 20, want: "25.0 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HumanBytes(tt.n); got != tt.want {
				t.Errorf("HumanBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "push", want: "push"},
		{name: "spaces", in: "a b", want: "a b"},
		{name: "escape sequence", in: "push\x1b[2J", want: `"push\x1b[2J"`},
		{name: "bidi override", in: "push\u202e", want: `"push\u202e"`},
		{name: "invalid UTF-8", in: "\xff", want: `"\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Printable(tt.in); got != tt.want {
				t.Errorf("Printable(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestPalette(t *testing.T) {
	for _, on := range []bool{true, false} {
		p := NewPalette(on)
		var b bytes.Buffer
		b.WriteString(p.Bold.Sprint("x") + p.Status(200).Sprint("x") + p.Status(404).Sprint("x") + p.Status(500).Sprint("x"))
		if got := bytes.Contains(b.Bytes(), []byte("\x1b[")); got != on {
			t.Errorf("NewPalette(%v): escapes present = %v", on, got)
		}
	}
	p := NewPalette(true)
	if p.Status(204) != p.OK || p.Status(302) != p.OK || p.Status(401) != p.Warn || p.Status(503) != p.Bad || p.Status(0) != p.Bad {
		t.Errorf("Status colours are off")
	}
}

func TestField(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "a plain event", in: "pull_request", want: "pull_request"},
		{name: "a dotted event and an id", in: "payment_intent.succeeded", want: "payment_intent.succeeded"},
		{name: "a GUID", in: "72d3162e-cc78-11e3-81ab-4c9367dc0958", want: "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		{name: "spaces that would read as more fields", in: "push  401  signature_mismatch", want: `"push  401  signature_mismatch"`},
		{name: "separators that would forge counts", in: "ping: 9999, push", want: `"ping: 9999, push"`},
		{name: "a quote", in: `"push"`, want: `"\"push\""`},
		{name: "an escape", in: "push\x1b[2J", want: `"push\x1b[2J"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Field(tt.in); got != tt.want {
				t.Errorf("Field(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

package show

import (
	"strings"
	"testing"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/golden"
)

func record(body string) *capture.Record {
	return &capture.Record{
		Method: "POST", Target: "/webhook?x=1", Proto: "HTTP/1.1", BodyComplete: true,
		Headers: []capture.Header{
			{"Host", "127.0.0.1:8080"},
			{"x-github-event", "push"},
			{"X-Dup", "one"},
			{"X-Dup", "two"},
			{"X-Evil", "\x1b]0;pwned\a\u202eevil"},
		},
		Body: []byte(body),
	}
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name string
		rec  *capture.Record
		o    Options
		file string
	}{
		{name: "all, JSON pretty-printed", rec: record(`{"zen":"Keep it logically awesome.","hook_id":1,"evil":"\u001b[2J","bidi":"` + "\u202e" + `"}`), o: Options{Mode: All}, file: "all-json.golden"},
		{name: "headers only", rec: record(`{}`), o: Options{Mode: Headers}, file: "headers.golden"},
		{name: "a body that is not JSON, raw", rec: record("payload=%7B%7D\x1b[31m\xff\n2nd line"), o: Options{Mode: Body}, file: "body-raw.golden"},
		{name: "a body cut at --show-max", rec: record(`{"a":"` + strings.Repeat("x", 100) + `"}`), o: Options{Mode: Body, MaxBody: 20}, file: "body-cut.golden"},
		{name: "no body", rec: record(""), o: Options{Mode: Body}, file: "body-none.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Render(tt.rec, tt.o)
			for i, c := range []byte(out) {
				if (c < ' ' && c != '\n' && c != '\t') || c == 0x7f {
					t.Fatalf("byte %d of the output is control character %#x:\n%q", i, c, out)
				}
			}
			if strings.ContainsRune(out, '\u202e') {
				t.Fatalf("the output has a bidi override:\n%q", out)
			}
			golden.Check(t, tt.file, []byte(out))
		})
	}
}

func TestSafe(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "X-GitHub-Event: push", want: "X-GitHub-Event: push"},
		{name: "tab kept", in: "a\tb", want: "a\tb"},
		{name: "escape", in: "\x1b[2J", want: `\x1b[2J`},
		{name: "C1 control", in: "a\u009bb", want: `a\x9bb`},
		{name: "bidi override", in: "\u202eabc", want: `\u202eabc`},
		{name: "invalid UTF-8", in: "a\xffb", want: `a\xffb`},
		{name: "non-ASCII text kept", in: "café ☕", want: "café ☕"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Safe(tt.in); got != tt.want {
				t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"headers", "body", "all"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("everything"); err == nil {
		t.Error("ParseMode accepted everything")
	}
}

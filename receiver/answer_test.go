package receiver

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// answerStrings are strings that exercise every escape encoding/json
// makes: quotes and backslashes, each control character, HTML's <, > and
// &, DEL, multi-byte runes, U+2028 and U+2029, invalid and truncated UTF-8,
// surrogates encoded in UTF-8 and overlong forms.
var answerStrings = []string{
	"", "a", "ok", "delivery verified and accepted", `"`, `\`, `\"`, `"\"`, "/", "'",
	"<script>alert(1)</script>", "a&b", "<>&", "\x7f", "\x00", "\x1f", "\b\f\n\r\t", "\v",
	"é", "日本語", "😀", "\u2028", "\u2029", "a\u2028b\u2029c", "\u2027\u202a",
	"\xff", "\xfe\xff", "\xc3", "a\xc3", "\xc3(", "\xe2\x80", "\xe2\x80\xa8", "\xed\xa0\x80",
	"\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf", "\uFFFD", "\xef\xbf\xbd",
	"refs/heads/main", "push to octo-org/octo-repo main: 3 commits by Monalisa Octocat",
	"Content-Length 99999999 is over the limit of 26214400 bytes (--max-body); the body was not read",
	strings.Repeat("x", 1000), strings.Repeat("\u2028<\xff", 100),
}

func init() {
	for b := range 256 {
		answerStrings = append(answerStrings, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	for _, r := range []rune{0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff, utf8.RuneError} {
		answerStrings = append(answerStrings, string(r))
	}
}

// checkAnswerMatches fails t when appendAnswer and json.Marshal disagree
// on a.
func checkAnswerMatches(t *testing.T, a answer) {
	t.Helper()
	want, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendAnswer(nil, &a); string(got) != string(want) {
		t.Fatalf("appendAnswer(%+v)\n got %s\nwant %s", a, got, want)
	}
}

func TestAnswerMatchesEncodingJSON(t *testing.T) {
	checkAnswerMatches(t, answer{})
	for _, ri := range reasonTable {
		checkAnswerMatches(t, answer{Status: ri.Status, Reason: ri.Reason, Message: ri.Message})
	}
	checkAnswerMatches(t, answer{Status: -1, Reason: "x", Message: "y", Redelivery: true})
	checkAnswerMatches(t, answer{Status: 200, Reason: "x", Message: "y", Warnings: []string{}})
	for i, s := range answerStrings {
		checkAnswerMatches(t, answer{Status: 200 + i, Reason: Reason(s), Message: s})
		checkAnswerMatches(t, answer{Status: 200, Reason: ReasonOK, Message: "m", Event: s, Action: s,
			Summary: s, Delivery: s, Redelivery: i%2 == 0, Challenge: s})
		other := answerStrings[(i*7+3)%len(answerStrings)]
		checkAnswerMatches(t, answer{Status: 400, Reason: ReasonInvalidJSON, Message: s + other, Event: other, Summary: s})
		checkAnswerMatches(t, answer{Status: 200, Reason: ReasonOK, Message: s, Why: other, Warnings: []string{s}})
		checkAnswerMatches(t, answer{Status: 200, Reason: ReasonOK, Message: s, Warnings: []string{other, s, ""}})
	}
}

// FuzzAnswerMatchesEncodingJSON: the hand-written answer encoder writes
// exactly what encoding/json writes, for any strings and flags.
func FuzzAnswerMatchesEncodingJSON(f *testing.F) {
	for i, s := range answerStrings {
		f.Add(200+i, s, s, answerStrings[(i*5+1)%len(answerStrings)], i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, status int, message, event, summary string, redelivery bool) {
		checkAnswerMatches(t, answer{Status: status, Reason: Reason(message), Message: message})
		checkAnswerMatches(t, answer{Status: status, Reason: ReasonOK, Message: message, Event: event,
			Action: summary, Summary: summary, Delivery: event, Redelivery: redelivery, Challenge: message + summary})
	})
}

func BenchmarkAnswer(b *testing.B) {
	a := answer{Status: 200, Reason: ReasonOK, Message: "delivery verified and accepted", Event: "push",
		Summary: "push to octo-org/octo-repo main: 3 commits by Monalisa Octocat <octocat@github.com>", Delivery: "12345"}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(a)
		}
	})
	b.Run("appendAnswer", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = appendAnswer(buf[:0], &a)
		}
	})
}

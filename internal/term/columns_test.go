package term

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestColumns(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{name: "empty", in: "", want: 0},
		{name: "ASCII", in: "signature_mismatch", want: 18},
		{name: "CJK ideographs", in: "日本語", want: 6},
		{name: "CJK extension A", in: "\u3400", want: 2},
		{name: "CJK extension B", in: "\U00020000", want: 2},
		{name: "Hiragana and Katakana", in: "ひらカタ", want: 8},
		{name: "Hangul syllables", in: "한국어", want: 6},
		{name: "decomposed Hangul is one syllable", in: "\u1112\u1161\u11ab", want: 2},
		{name: "fullwidth forms", in: "ＡＢ！", want: 6},
		{name: "halfwidth katakana", in: "ｶﾀ", want: 2},
		{name: "ideographic space and full stop", in: "\u3000。", want: 4},
		{name: "CJK compatibility", in: "㎏豈", want: 4},
		{name: "emoji", in: "🚀🎉", want: 4},
		{name: "a variation selector takes no column", in: "☺\ufe0e", want: 1},
		{name: "precomposed accent", in: "é", want: 1},
		{name: "combining acute accent", in: "e\u0301", want: 1},
		{name: "enclosing mark", in: "1\u20dd", want: 1},
		{name: "zero-width space", in: "a\u200bb", want: 2},
		{name: "marks and byte order mark", in: "\ufeffa\u200e\u200fb", want: 2},
		{name: "colour codes", in: "\x1b[1;31mred\x1b[0m", want: 3},
		{name: "bare reset", in: "a\x1b[mb", want: 2},
		{name: "control characters", in: "a\tb\x7f\u0085", want: 2},
		{name: "invalid UTF-8", in: "a\xff\xfeb", want: 4},
		{name: "Latin, Greek, Cyrillic", in: "aβж", want: 3},
		{name: "mixed", in: "push 日本 e\u0301", want: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Columns(tt.in); got != tt.want {
				t.Errorf("Columns(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestCutColumns(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols int
		want string
	}{
		{name: "fits", in: "abc", cols: 3, want: "abc"},
		{name: "ASCII", in: "abcdef", cols: 4, want: "abcd"},
		{name: "zero", in: "abc", cols: 0, want: ""},
		{name: "negative", in: "abc", cols: -1, want: ""},
		{name: "wide runes", in: "日本語", cols: 4, want: "日本"},
		{name: "a wide rune never straddles the limit", in: "日本語", cols: 3, want: "日"},
		{name: "no room for one wide rune", in: "日本語", cols: 1, want: ""},
		{name: "after a wide rune", in: "a日b", cols: 3, want: "a日"},
		{name: "the accent stays with its letter", in: "cafe\u0301 noir", cols: 4, want: "cafe\u0301"},
		{name: "several marks stay", in: "e\u0301\u0323x", cols: 1, want: "e\u0301\u0323"},
		{name: "decomposed Hangul stays whole", in: "\u1112\u1161\u11ab\u1100\u1161", cols: 3, want: "\u1112\u1161\u11ab"},
		{name: "a colour code is never split", in: "ab\x1b[31mcd", cols: 3, want: "ab\x1b[31mc"},
		{name: "a reset at the end is kept", in: "ab\x1b[0m", cols: 2, want: "ab\x1b[0m"},
		{name: "emoji", in: "ok 🚀🚀", cols: 5, want: "ok 🚀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CutColumns(tt.in, tt.cols)
			if got != tt.want {
				t.Errorf("CutColumns(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
			}
			if n := Columns(got); n > max(tt.cols, 0) {
				t.Errorf("CutColumns(%q, %d) takes %d columns", tt.in, tt.cols, n)
			}
		})
	}
}

func TestTruncateColumns(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols int
		want string
	}{
		{name: "fits", in: "abc", cols: 3, want: "abc"},
		{name: "cut", in: "abcdef", cols: 4, want: "abc…"},
		{name: "no space before the ellipsis", in: "abc def", cols: 5, want: "abc…"},
		{name: "CJK counts two a rune", in: "日本語のテキスト", cols: 7, want: "日本語…"},
		{name: "wide rune left out whole", in: "日本語のテキスト", cols: 6, want: "日本…"},
		{name: "accent kept", in: "re\u0301sume\u0301 long", cols: 4, want: "re\u0301s…"},
		{name: "one column", in: "abc", cols: 1, want: "…"},
		{name: "zero columns", in: "abc", cols: 0, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TruncateColumns(tt.in, tt.cols)
			if got != tt.want {
				t.Errorf("TruncateColumns(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
			}
			if n := Columns(got); n > tt.cols {
				t.Errorf("TruncateColumns(%q, %d) takes %d columns", tt.in, tt.cols, n)
			}
		})
	}
}

// TestWideRangesSorted: isWide's binary search needs the table sorted and
// free of overlaps.
func TestWideRangesSorted(t *testing.T) {
	for i, r := range wideRanges {
		if r.lo > r.hi {
			t.Errorf("range %d: %#x > %#x", i, r.lo, r.hi)
		}
		if i > 0 && wideRanges[i-1].hi >= r.lo {
			t.Errorf("range %d (%#x) overlaps or precedes range %d (%#x)", i, r.lo, i-1, wideRanges[i-1].hi)
		}
	}
	for _, r := range wideRanges {
		for _, c := range []rune{r.lo, r.hi} {
			if !isWide(c) {
				t.Errorf("isWide(%#x) = false, want true", c)
			}
		}
		for _, c := range []rune{r.lo - 1, r.hi + 1} {
			if isWide(c) && !inAnyRange(c) {
				t.Errorf("isWide(%#x) = true outside every range", c)
			}
		}
	}
}

func inAnyRange(c rune) bool {
	for _, r := range wideRanges {
		if c >= r.lo && c <= r.hi {
			return true
		}
	}
	return false
}

// FuzzCutColumns holds what CutColumns promises for any string: a prefix,
// at most cols columns, the longest one (the next rune that takes columns
// would pass cols), and never cut before a zero-width rune.
func FuzzCutColumns(f *testing.F) {
	for _, s := range []string{"", "abc", "日本語", "cafe\u0301", "a\x1b[31mb\x1b[0m", "🚀 e\u0301\u0323", "\x1b[", "\xff日"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, cols int) {
		cols = cols % 64
		got := CutColumns(s, cols)
		if !strings.HasPrefix(s, got) {
			t.Fatalf("CutColumns(%q, %d) = %q, not a prefix", s, cols, got)
		}
		n := Columns(got)
		if n > max(cols, 0) {
			t.Fatalf("CutColumns(%q, %d) = %q takes %d columns", s, cols, got, n)
		}
		rest := s[len(got):]
		if rest == "" {
			return
		}
		if rest[0] == '\x1b' {
			t.Fatalf("CutColumns(%q, %d) = %q stops before an escape sequence", s, cols, got)
		}
		r, _ := utf8.DecodeRuneInString(rest)
		if w := runeColumns(r); w == 0 || n+w <= cols {
			t.Fatalf("CutColumns(%q, %d) = %q stops before %q, which fits", s, cols, got, r)
		}
	})
}

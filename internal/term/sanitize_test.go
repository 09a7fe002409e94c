package term

import "testing"

func TestSanitize(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{name: "plain text is kept", in: "Fix the flux capacitor", limit: 80, want: "Fix the flux capacitor"},
		{name: "white space collapses", in: "  a\t\tb \r\n c  ", limit: 80, want: "a b c"},
		{name: "CSI colour", in: "\x1b[1;31mred\x1b[m", limit: 80, want: "red"},
		{name: "CSI cursor move and erase", in: "ok\x1b[2K\x1b[1Ggone", limit: 80, want: "okgone"},
		{name: "OSC title ended by BEL", in: "a\x1b]0;title\x07b", limit: 80, want: "ab"},
		{name: "OSC 8 hyperlink ended by ST", in: "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", limit: 80, want: "click"},
		{name: "unterminated OSC", in: "a\x1b]0;rest", limit: 80, want: "a"},
		{name: "charset designation", in: "a\x1b(Bb", limit: 80, want: "ab"},
		{name: "two-byte reset", in: "a\x1bcb", limit: 80, want: "ab"},
		{name: "lone ESC at the end", in: "a\x1b", limit: 80, want: "a"},
		{name: "ESC before a control character", in: "a\x1b\nb", limit: 80, want: "a b"},
		{name: "DEL and NUL", in: "a\x7fb\x00c", limit: 80, want: "a b c"},
		{name: "invalid UTF-8", in: "a\xffb", limit: 80, want: "a\uFFFDb"},
		{name: "exactly at the limit is not cut", in: "abcde", limit: 5, want: "abcde"},
		{name: "one over the limit is cut", in: "abcdef", limit: 5, want: "abcd…"},
		{name: "cut counts runes, not bytes", in: "日本語のテキスト", limit: 4, want: "日本語…"},
		{name: "no space before the ellipsis", in: "abc def", limit: 5, want: "abc…"},
		{name: "bidi override", in: "txt\u202egnp.exe", limit: 80, want: "txt gnp.exe"},
		{name: "line separator", in: "a\u2028b", limit: 80, want: "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in, tt.limit); got != tt.want {
				t.Errorf("Sanitize(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

// TestPlainLineIsKept: strings that need no work come back as they are,
// without a copy.
func TestPlainLineIsKept(t *testing.T) {
	for _, in := range []string{"", "a", "refs/heads/main", "Fix the flux capacitor", "https://github.com/octo/hello/compare/a...b"} {
		if !isPlainLine(in, 80) {
			t.Errorf("isPlainLine(%q) = false, want true", in)
		}
		if allocs := testing.AllocsPerRun(10, func() { Sanitize(in, 80) }); allocs != 0 {
			t.Errorf("Sanitize(%q) allocates %v times, want 0", in, allocs)
		}
	}
	for _, in := range []string{" a", "a ", "a  b", "a\tb", "a\x7fb", "é", "a\x1b[m", "abcdef"} {
		if isPlainLine(in, 5) {
			t.Errorf("isPlainLine(%q, 5) = true, want false", in)
		}
	}
}

// FuzzSanitizeFastPath: the fast path for plain lines gives what the full
// sanitizer gives, for any string and limit.
func FuzzSanitizeFastPath(f *testing.F) {
	for _, seed := range []string{"", " ", "a b", " a", "a  b", "abc def", "a\tb", "日本", "a\x1b[1mb", "x\u00a0y", "abcdef"} {
		f.Add(seed, 5)
		f.Add(seed, 80)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 0 || limit > 1000 {
			return
		}
		if got, want := Sanitize(s, limit), sanitize(s, limit); got != want {
			t.Fatalf("Sanitize(%q, %d) = %q, the full sanitizer gives %q", s, limit, got, want)
		}
	})
}

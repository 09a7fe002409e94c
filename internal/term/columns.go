package term

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Columns is the width of s in columns on a terminal: 2 for an East Asian
// Wide or Fullwidth rune (CJK, Hangul, kana, fullwidth forms, emoji), 0 for
// a combining mark (unicode.Mn, Me), a zero-width format rune (unicode.Cf,
// such as U+200B..U+200F and U+FEFF), a control character or a terminal
// escape sequence (colours: ESC [ ... m), and 1 for any other rune. Invalid
// UTF-8 counts one column a byte, as the U+FFFD a terminal shows for it.
func Columns(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			i += escapeLen(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n += runeColumns(r)
	}
	return n
}

// CutColumns returns the longest prefix of s that takes at most cols
// columns (as Columns counts them). It cuts only before a rune that takes
// columns, so a base rune keeps the combining marks that follow it (an "e"
// its U+0301), an escape sequence is never split, and a wide rune that
// would straddle the limit is left out whole: the prefix may be a column
// short of cols.
func CutColumns(s string, cols int) string {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			i += escapeLen(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w := runeColumns(r)
		if w > 0 && n+w > cols {
			return s[:i]
		}
		n += w
		i += size
	}
	return s
}

// TruncateColumns cuts s to at most cols columns, the last of them "…"
// when it cut (without spaces before it). It is Truncate for text whose
// width on the terminal matters, not its length.
func TruncateColumns(s string, cols int) string {
	if Columns(s) <= cols {
		return s
	}
	if cols < 1 {
		return ""
	}
	return strings.TrimRight(CutColumns(s, cols-1), " ") + "…"
}

// runeColumns is the number of columns r takes on a terminal.
func runeColumns(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f: // the common case first: ASCII
		return 0
	case r < 0x7f:
		return 1
	case r >= 0x80 && r < 0xa0: // C1 controls
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1160 && r <= 0x11ff:
		// Hangul medial vowels and final consonants join the initial
		// consonant before them into one wide syllable.
		return 0
	case isWide(r):
		return 2
	}
	return 1
}

// wideRanges are the East Asian Wide (W) and Fullwidth (F) runes of
// Unicode's EastAsianWidth.txt that a terminal shows two columns wide,
// as a few blocks, sorted, without overlaps. Runes of these blocks that
// the file calls neutral (a handful of emoji shown as text) count as wide
// too; erring wide only makes a line a column shorter.
var wideRanges = []struct{ lo, hi rune }{
	{0x1100, 0x115f},   // Hangul Jamo initial consonants
	{0x2e80, 0x303e},   // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
	{0x3041, 0x33ff},   // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK, CJK compatibility
	{0x3400, 0x4dbf},   // CJK unified ideographs extension A
	{0x4e00, 0x9fff},   // CJK unified ideographs
	{0xa000, 0xa4cf},   // Yi syllables and radicals
	{0xa960, 0xa97f},   // Hangul Jamo extended-A
	{0xac00, 0xd7a3},   // Hangul syllables
	{0xf900, 0xfaff},   // CJK compatibility ideographs
	{0xfe10, 0xfe19},   // vertical forms
	{0xfe30, 0xfe6f},   // CJK compatibility forms, small form variants
	{0xff00, 0xff60},   // fullwidth forms
	{0xffe0, 0xffe6},   // fullwidth signs
	{0x1f200, 0x1f2ff}, // enclosed ideographic supplement
	{0x1f300, 0x1faff}, // emoji: pictographs, emoticons, transport, supplemental symbols
	{0x20000, 0x2fffd}, // CJK unified ideographs extensions B..F, compatibility supplement
	{0x30000, 0x3fffd}, // CJK unified ideographs extensions G, H
}

// isWide reports whether r is in wideRanges.
func isWide(r rune) bool {
	if r < wideRanges[0].lo {
		return false
	}
	_, found := slices.BinarySearchFunc(wideRanges, r, func(e struct{ lo, hi rune }, r rune) int {
		switch {
		case r < e.lo:
			return 1
		case r > e.hi:
			return -1
		}
		return 0
	})
	return found
}

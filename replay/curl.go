package replay

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/term"
)

// Curl returns a curl command that replays rec to url as Build would
// without options: the recorded method, the headers Build sends in their
// order and spelling, and the body read from bodyFile with --data-binary,
// which sends it byte for byte. The caller writes rec.Body to bodyFile.
//
// Every word is quoted for a POSIX shell with single quotes, so no header
// value is ever expanded or run, whatever it holds ($(...), backticks,
// quotes). The command is several lines joined by backslash-newline.
//
// curl adds headers of its own: it is told not to send Accept, User-Agent,
// Content-Type and Expect unless the record has them, and to speak
// HTTP/1.1, which keeps the names' spelling (HTTP/2 lowercases them). curl
// writes Host first and Content-Length last, and is told not to expand
// {} and [] in url. It fails for a header Build refuses and for one that
// is not UTF-8 or holds a rune a terminal acts on or that makes the
// command read differently from what it is (a C1 control, a line
// separator, a bidirectional override), which the command could not
// carry to a terminal safely; a HAR log (HAR) holds those.
func Curl(rec *capture.Record, url, bodyFile string) (string, error) {
	headers, err := Headers(rec)
	if err != nil {
		return "", err
	}
	method := rec.Method
	if method == "" {
		method = http.MethodPost
	}
	if !validToken(method) {
		return "", fmt.Errorf("seq %d: the recorded method %q is not an HTTP method", rec.Seq, method)
	}
	// One option a line.
	// --globoff: curl would expand {a,b} and [1-3] in the URL into several
	// requests.
	lines := [][]string{{"curl", "--http1.1", "--globoff", "--silent", "--show-error", "--include"}}
	if method != http.MethodPost {
		lines[0] = append(lines[0], "--request", method)
	}
	has := map[string]bool{}
	for _, f := range headers {
		if !utf8.ValidString(f.Value) || strings.ContainsFunc(f.Value, unsafeInCommand) {
			return "", fmt.Errorf("seq %d: header %s is not plain UTF-8 text; a curl command cannot carry it safely: export a HAR log instead", rec.Seq, f.Name)
		}
		has[strings.ToLower(f.Name)] = true
		if f.Value == "" {
			// "Name:" would tell curl not to send the header at all.
			lines = append(lines, []string{"--header", f.Name + ";"})
			continue
		}
		lines = append(lines, []string{"--header", f.Name + ": " + f.Value})
	}
	for _, name := range []string{"Accept", "User-Agent", "Content-Type", "Expect"} {
		if !has[strings.ToLower(name)] {
			lines = append(lines, []string{"--header", name + ":"})
		}
	}
	lines = append(lines, []string{"--data-binary", "@" + bodyFile}, []string{url})

	var b strings.Builder
	for i, line := range lines {
		if i > 0 {
			b.WriteString(" \\\n  ")
		}
		for j, w := range line {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(shellQuote(w))
		}
	}
	return b.String(), nil
}

// unsafeInCommand reports a rune a header value may not hold in a printed
// command: one term.UnsafeRune names, but tab, which a value may hold and
// single quotes carry as it is.
func unsafeInCommand(r rune) bool { return r != '\t' && term.UnsafeRune(r) }

// shellQuote returns s as one word for a POSIX shell: as it is when it
// holds only characters no shell treats specially, else in single quotes,
// inside which nothing is special but the quote itself (written as:
// close the quotes, a backslash-escaped quote, open them again).
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./@:,+=%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

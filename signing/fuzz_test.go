package signing_test

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// ownWording returns the messages ParseGitHubSignature gives for a few
// canonical bad values, including one with n characters after the prefix.
// An input found inside them is a phrase of our own message, not an echo.
func ownWording(n int) string {
	values := []string{"", "x", "sha256=" + strings.Repeat("g", 64)}
	if n >= 0 {
		values = append(values, "sha256="+strings.Repeat("0", n))
	}
	var b strings.Builder
	for _, v := range values {
		if _, err := signing.ParseGitHubSignature(v); err != nil {
			b.WriteString(err.Error())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func FuzzParseGitHubSignature(f *testing.F) {
	const hexMAC = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" // GitHub docs vector
	for _, seed := range []string{
		"sha256=" + hexMAC,                  // valid
		"sha256=" + strings.ToUpper(hexMAC), // upper-case hex, valid
		"SHA256=" + hexMAC,                  // upper-case prefix
		"",                                  // empty
		" \t",                               // blank
		"sha256=",                           // prefix only
		"sha256=" + hexMAC[:62],             // truncated
		"sha256=" + hexMAC + "00",           // too long
		"sha256=" + hexMAC[:63] + "g",       // not hex
		"sha256=" + strings.Repeat("é", 32), // 64 bytes, not hex
		"sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", // legacy value
		"sha1=" + hexMAC,                // legacy prefix
		hexMAC,                          // bare hex
		" sha256=" + hexMAC,             // leading space
		"sha256=" + hexMAC + "\n",       // trailing newline
		"the value does not start with", // our own wording
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		mac, err := signing.ParseGitHubSignature(input)
		if rest, ok := strings.CutPrefix(input, "sha256="); ok && len(rest) == 64 {
			// The decoder is hooklab's own; encoding/hex is the reference.
			if _, hexErr := hex.DecodeString(rest); (hexErr == nil) != (err == nil) {
				t.Fatalf("ParseGitHubSignature(%q) error = %v, encoding/hex says %v", input, err, hexErr)
			}
		}
		if err == nil {
			if len(mac) != 32 {
				t.Fatalf("ParseGitHubSignature(%q) = %d bytes, want 32", input, len(mac))
			}
			if got := "sha256=" + hex.EncodeToString(mac); got != strings.ToLower(input) {
				t.Fatalf("ParseGitHubSignature(%q) = %s, which does not spell the input", input, got)
			}
			return
		}
		if !errors.Is(err, signing.ErrMalformed) {
			t.Fatalf("ParseGitHubSignature(%q) error = %v, want ErrMalformed", input, err)
		}
		var se *signing.Error
		if !errors.As(err, &se) || se.Header != signing.GitHubSignatureHeader {
			t.Fatalf("ParseGitHubSignature(%q) error = %#v, want a *signing.Error for %s", input, err, signing.GitHubSignatureHeader)
		}
		if len(input) <= 8 {
			return
		}
		msg := err.Error()
		for _, echo := range []string{input, strconv.Quote(input)} {
			if strings.Contains(msg, echo) && !strings.Contains(ownWording(len(input)-len("sha256=")), echo) {
				t.Fatalf("ParseGitHubSignature(%q) error %q echoes the input", input, msg)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	const secret = githubDocSecret
	f.Add(githubDocSignature, []byte(githubDocBody))
	f.Add(strings.ToUpper(githubDocSignature), []byte(githubDocBody))
	f.Add("sha256="+strings.ToUpper(githubDocSignature[len("sha256="):]), []byte(githubDocBody))
	f.Add(githubDocSignature, []byte(githubDocBody+"\n"))
	f.Add(githubDocSignature[:len(githubDocSignature)-1]+"0", []byte(githubDocBody))
	f.Add("", []byte(nil))
	f.Add("sha256=", []byte("x"))
	f.Add("sha256="+hex.EncodeToString(hmacSHA256([]byte(secret), nil)), []byte(nil))
	g := mustGitHub(f, secret)

	f.Fuzz(func(t *testing.T, value string, body []byte) {
		mac := hmacSHA256([]byte(secret), body)
		want := hex.EncodeToString(mac)
		rightSignature := strings.HasPrefix(value, "sha256=") && strings.EqualFold(value[len("sha256="):], want)

		err := signing.Verify(g, githubHeader(value), body, time.Time{})
		if err == nil {
			if !strings.EqualFold(value, "sha256="+want) {
				t.Fatalf("Verify(%q, %q) = nil, but the signature is sha256=%s", value, body, want)
			}
			return
		}
		if rightSignature {
			t.Fatalf("Verify(%q, %q) = %v, want nil: that is the right signature", value, body, err)
		}
		if errors.Is(err, signing.ErrMalformed) == errors.Is(err, signing.ErrMismatch) {
			t.Fatalf("Verify(%q, %q) = %v, want ErrMalformed or ErrMismatch", value, body, err)
		}
		assertNoLeak(t, err, leaks(secret, mac, hmacSHA1([]byte(secret), body)))
	})
}

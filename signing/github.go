package signing

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// GitHub header names.
const (
	// GitHubSignatureHeader carries "sha256=" and the lowercase hex
	// HMAC-SHA256 of the raw body. It is the only header GitHub verifies by.
	GitHubSignatureHeader = "X-Hub-Signature-256"
	// GitHubLegacySignatureHeader carries "sha1=" and the hex HMAC-SHA1 of
	// the body. GitHub still sends it; hooklab signs it for realism but
	// never accepts it alone.
	GitHubLegacySignatureHeader = "X-Hub-Signature"
)

// GitHub is GitHub's webhook signature scheme (also used by Gitea's
// X-Hub-Signature-256 and many others): HMAC-SHA256 of the raw body, keyed
// with the shared secret as it is written, hex encoded after "sha256=".
type GitHub struct {
	keys   []*keyedMAC // HMAC-SHA256, one per secret
	legacy *keyedMAC   // HMAC-SHA1 with the first secret, for signing only
}

// NewGitHub returns the GitHub scheme for one or more secrets. Verification
// accepts a signature made with any of them (for secret rotation); Sign uses
// the first. It fails with ErrNoSecret when no secret is given or any is
// empty.
func NewGitHub(secrets ...string) (*GitHub, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	g := &GitHub{legacy: newKeyedMAC(sha1.New, []byte(secrets[0]))}
	for _, s := range secrets {
		if s == "" {
			return nil, ErrNoSecret
		}
		g.keys = append(g.keys, newKeyedMAC(sha256.New, []byte(s)))
	}
	return g, nil
}

// Name returns "github".
func (g *GitHub) Name() string { return "github" }

// SignatureHeader returns X-Hub-Signature-256.
func (g *GitHub) SignatureHeader() string { return GitHubSignatureHeader }

// Sign returns X-Hub-Signature-256 and the legacy X-Hub-Signature for
// m.Body, as GitHub sends them. ID and Time are not signed.
func (g *GitHub) Sign(m Message) (http.Header, error) {
	if g == nil || len(g.keys) == 0 {
		return nil, ErrNoSecret
	}
	h := http.Header{}
	h.Set(GitHubSignatureHeader, "sha256="+hex.EncodeToString(g.keys[0].sum(m.Body)))
	h.Set(GitHubLegacySignatureHeader, "sha1="+hex.EncodeToString(g.legacy.sum(m.Body)))
	return h, nil
}

// Begin parses X-Hub-Signature-256. A delivery that carries only the legacy
// SHA-1 header is refused as missing its signature: SHA-1 alone is never
// accepted. The time is not used; GitHub signs none.
func (g *GitHub) Begin(h http.Header, _ time.Time) (Verifier, error) {
	if g == nil || len(g.keys) == 0 {
		return nil, ErrNoSecret
	}
	values := h.Values(GitHubSignatureHeader)
	switch {
	case len(values) == 0 && h.Get(GitHubLegacySignatureHeader) != "":
		return nil, &Error{Kind: ErrMissing, Header: GitHubSignatureHeader,
			Detail: "only the legacy SHA-1 X-Hub-Signature header was sent; SHA-1 is not accepted, send X-Hub-Signature-256"}
	case len(values) == 0:
		return nil, &Error{Kind: ErrMissing, Header: GitHubSignatureHeader,
			Detail: "the header is missing" + foundElse(h, ProviderGitHub, "sign the raw body with HMAC-SHA256 and send \"sha256=<hex>\"")}
	case len(values) > 1:
		return nil, &Error{Kind: ErrMalformed, Header: GitHubSignatureHeader,
			Detail: "the header was sent more than once; send it exactly once"}
	}
	var mac [sha256.Size]byte
	if err := decodeMACTo(&mac, GitHubSignatureHeader, values[0], "sha256=", hexEncoding{}); err != nil {
		return nil, err
	}
	v := newMACVerifier1(g.keys, GitHubSignatureHeader, &mac, nil)
	if hasUpperHex(values[0]) {
		// go-github decodes the hex; octokit compares the text.
		v.markUpper(0, warnGitHubUpperHex)
	}
	return v, nil
}

// ParseGitHubSignature decodes an X-Hub-Signature-256 value ("sha256=" and
// 64 hex digits) into the 32-byte MAC. Its errors wrap ErrMalformed.
func ParseGitHubSignature(value string) ([]byte, error) {
	return decodeMAC(GitHubSignatureHeader, value, "sha256=", hexEncoding{})
}

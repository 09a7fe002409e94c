package signing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrTimestamp means a timestamped scheme's timestamp is further from the
// receiver's clock than the tolerance, in either direction: a replayed or
// stale delivery, or a sender whose clock is off.
var ErrTimestamp = errors.New("timestamp out of range")

// DefaultTolerance is how far a timestamp may be from now, either way,
// unless told otherwise: what Stripe, Slack and Standard Webhooks use.
const DefaultTolerance = 5 * time.Minute

// Provider names, as on the command line.
const (
	ProviderGitHub   = "github"
	ProviderStripe   = "stripe"
	ProviderStandard = "standard"
	ProviderSlack    = "slack"
	ProviderShopify  = "shopify"
	ProviderGitLab   = "gitlab"
	ProviderGitea    = "gitea"
)

// Providers returns the provider names New accepts, GitHub first.
func Providers() []string {
	return []string{ProviderGitHub, ProviderStripe, ProviderStandard, ProviderSlack, ProviderShopify, ProviderGitLab, ProviderGitea}
}

// Options tune a scheme. The zero value checks no timestamps.
type Options struct {
	// Tolerance is how far a timestamp may be from the receiver's clock,
	// either way, for the timestamped schemes (stripe, standard, slack).
	// Zero turns the check off, for replaying old captures.
	Tolerance time.Duration
	// SignWithAll makes Sign put one signature per secret in the header,
	// for the schemes whose header holds a list (stripe, standard).
	SignWithAll bool
}

// New returns the named provider's scheme with secrets (the first signs;
// any verifies). It fails with ErrNoSecret when there is no secret or one
// is empty, and with a clear error for a secret the scheme cannot use.
func New(provider string, secrets []string, opts Options) (Scheme, error) {
	// The provider is named first, so that an unknown one is said to be
	// unknown even without secrets.
	var build func() (Scheme, error)
	switch provider {
	case ProviderGitHub:
		build = func() (Scheme, error) { return NewGitHub(secrets...) }
	case ProviderGitea:
		build = func() (Scheme, error) {
			return &plainMAC{name: provider, header: GiteaSignatureHeader, enc: hexEncoding{}, keys: rawKeys(secrets)}, nil
		}
	case ProviderShopify:
		build = func() (Scheme, error) {
			return &plainMAC{name: provider, header: ShopifySignatureHeader, enc: base64.StdEncoding.Strict(), keys: rawKeys(secrets)}, nil
		}
	case ProviderStripe:
		build = func() (Scheme, error) { return &stripe{keys: rawKeys(secrets), opts: opts}, nil }
	case ProviderSlack:
		build = func() (Scheme, error) { return &slack{keys: rawKeys(secrets), opts: opts}, nil }
	case ProviderStandard:
		build = func() (Scheme, error) {
			keys := make([]*keyedMAC, len(secrets))
			for i, s := range secrets {
				key, err := StandardKey(s)
				if err != nil {
					return nil, err
				}
				keys[i] = newKeyedMAC(sha256.New, key)
			}
			return &standard{keys: keys, opts: opts}, nil
		}
	case ProviderGitLab:
		build = func() (Scheme, error) { return &gitlab{tokens: append([]string(nil), secrets...)}, nil }
	default:
		return nil, fmt.Errorf("unknown provider %q; the providers are %s", provider, strings.Join(Providers(), ", "))
	}
	if len(secrets) == 0 || slices.Contains(secrets, "") {
		return nil, ErrNoSecret
	}
	return build()
}

// Signature header names of the schemes whose one header is all they send.
const (
	GiteaSignatureHeader   = "X-Gitea-Signature"
	ShopifySignatureHeader = "X-Shopify-Hmac-Sha256"
)

// rawKeys keys HMAC-SHA256 with each secret's bytes as they are written.
func rawKeys(secrets []string) []*keyedMAC {
	keys := make([]*keyedMAC, len(secrets))
	for i, s := range secrets {
		keys[i] = newKeyedMAC(sha256.New, []byte(s))
	}
	return keys
}

// NewSecret makes a secret of 32 bytes from random in provider's form:
// "whsec_" and base64 for Standard Webhooks (what StandardKey decodes),
// hex otherwise. It fails only when random does.
func NewSecret(provider string, random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("cannot generate a secret: %w", err)
	}
	if provider == ProviderStandard {
		return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
	}
	return hex.EncodeToString(b), nil
}

// StandardKey returns the HMAC key of a Standard Webhooks secret: the
// base64 after "whsec_" (or the whole secret without the prefix), decoded,
// with or without its = padding.
// A secret that does not decode, or decodes to fewer than 24 bytes, is an
// error: it would otherwise become a short or wrong key without a word.
func StandardKey(secret string) ([]byte, error) {
	text := strings.TrimPrefix(secret, "whsec_")
	enc := base64.StdEncoding
	if len(text)%4 != 0 && !strings.HasSuffix(text, "=") {
		// Without its = padding, as the standardwebhooks and svix Node
		// libraries accept it.
		enc = base64.RawStdEncoding
	}
	key, err := enc.DecodeString(text)
	if err != nil {
		return nil, errors.New("a Standard Webhooks secret is whsec_ followed by base64; this one does not decode (hooklab secret --provider standard makes one)")
	}
	if len(key) < 24 {
		return nil, fmt.Errorf("a Standard Webhooks secret must decode to at least 24 bytes; this one decodes to %d (hooklab secret --provider standard makes one)", len(key))
	}
	return key, nil
}

// encoding is how a MAC is written in a header: hex or base64.
type encoding interface {
	EncodeToString([]byte) string
	DecodeString(string) ([]byte, error)
}

type hexEncoding struct{}

func (hexEncoding) EncodeToString(b []byte) string { return hex.EncodeToString(b) }

// DecodeString is encoding/hex's; verifiers decode with decodeHex, which
// does not allocate.
func (hexEncoding) DecodeString(s string) ([]byte, error) { return hex.DecodeString(s) }

// describe says what a MAC in enc looks like, for error messages.
func describe(enc encoding, prefix string) string {
	what := "64 hex digits"
	if _, isHex := enc.(hexEncoding); !isHex {
		what = "the base64 of 32 bytes"
	}
	if prefix == "" {
		return what
	}
	return fmt.Sprintf("%q followed by %s", prefix, what)
}

// decodeMAC decodes one encoded HMAC-SHA256 after prefix, for every scheme
// whose header holds one. Its errors wrap ErrMalformed, say what is wrong
// (empty, no prefix, the wrong length, not the encoding) and never echo the
// value. The error text is built only on failure.
func decodeMAC(header, value, prefix string, enc encoding) ([]byte, error) {
	mac := new([sha256.Size]byte)
	if err := decodeMACTo(mac, header, value, prefix, enc); err != nil {
		return nil, err
	}
	return mac[:], nil
}

// decodeMACTo is decodeMAC into dst; a hex MAC takes no allocation.
func decodeMACTo(dst *[sha256.Size]byte, header, value, prefix string, enc encoding) error {
	malformed := func(problem string) error {
		return &Error{Kind: ErrMalformed, Header: header, Detail: problem + "; want " + describe(enc, prefix)}
	}
	after := func() string {
		if prefix == "" {
			return ""
		}
		return fmt.Sprintf(" after %q", prefix)
	}
	if strings.TrimSpace(value) == "" {
		return malformed("the value is empty")
	}
	if !strings.HasPrefix(value, prefix) {
		return malformed(fmt.Sprintf("the value does not start with %q", prefix))
	}
	text := value[len(prefix):]
	if _, isHex := enc.(hexEncoding); isHex {
		if len(text) != 2*sha256.Size {
			return malformed(fmt.Sprintf("the value has %d characters%s", len(text), after()))
		}
		if !decodeHex(dst, text) {
			return malformed("the value" + after() + " is not hex")
		}
		return nil
	}
	mac, err := enc.DecodeString(text)
	switch {
	case err != nil:
		return malformed("the value" + after() + " is not base64")
	case len(mac) != sha256.Size:
		return malformed(fmt.Sprintf("the value decodes to %d bytes, not 32", len(mac)))
	}
	copy(dst[:], mac)
	return nil
}

// decodeHex decodes 64 hex digits, in either case, into dst, as
// encoding/hex does, without copying text.
func decodeHex(dst *[sha256.Size]byte, text string) bool {
	for i := range dst {
		hi, ok1 := fromHex(text[2*i])
		lo, ok2 := fromHex(text[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// single returns the one value of header, or ErrMissing, or ErrMalformed
// when it was sent more than once.
func single(h http.Header, header string) (string, error) {
	values := h.Values(header)
	switch len(values) {
	case 0:
		return "", &Error{Kind: ErrMissing, Header: header, Detail: "the header is missing"}
	case 1:
		return values[0], nil
	}
	return "", &Error{Kind: ErrMalformed, Header: header, Detail: "the header was sent more than once; send it exactly once"}
}

// signatureValue is single for a scheme's signature header: when it is
// missing, the error also names another provider's signature header that
// the delivery carries, and the provider that reads it.
func signatureValue(h http.Header, header, provider string) (string, error) {
	if len(h.Values(header)) == 0 {
		return "", &Error{Kind: ErrMissing, Header: header, Detail: "the header is missing" + foundElse(h, provider, "")}
	}
	return single(h, header)
}

// signatureHeaders are the headers that carry each provider's signature,
// in the order they are looked for: Gitea's first, since Gitea sends
// GitHub's X-Hub-Signature-256 too.
var signatureHeaders = [...]struct{ header, provider string }{
	{GiteaSignatureHeader, ProviderGitea},
	{GitHubSignatureHeader, ProviderGitHub},
	{StripeSignatureHeader, ProviderStripe},
	{StandardSignatureHeader, ProviderStandard},
	{SvixSignatureHeader, ProviderStandard},
	{SlackSignatureHeader, ProviderSlack},
	{ShopifySignatureHeader, ProviderShopify},
	{GitLabTokenHeader, ProviderGitLab},
}

// ForeignSignature returns the first signature header of a provider other
// than own that h carries, and that provider's name; ok is false when h
// carries none. A receiver for own whose signature header is missing says
// with it that the delivery is another provider's.
func ForeignSignature(h http.Header, own string) (header, provider string, ok bool) {
	for _, sh := range signatureHeaders {
		if sh.provider != own && len(h.Values(sh.header)) > 0 {
			return sh.header, sh.provider, true
		}
	}
	return "", "", false
}

// foundElse is "; found <header>, which --provider <p> reads" when h carries
// another provider's signature header, else "; "+otherwise, or "" when
// otherwise is empty. It is only built when the expected header is missing.
func foundElse(h http.Header, own, otherwise string) string {
	if header, p, ok := ForeignSignature(h, own); ok {
		return "; found " + header + ", which --provider " + p + " reads"
	}
	if otherwise == "" {
		return ""
	}
	return "; " + otherwise
}

// parseTimestamp reads a Unix timestamp in seconds and checks it against
// now within tolerance (none when tolerance is 0).
func parseTimestamp(header, value string, now time.Time, tolerance time.Duration) (int64, error) {
	ts, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || ts < 0 {
		return 0, &Error{Kind: ErrMalformed, Header: header, Detail: "the timestamp is not a whole number of seconds since 1970"}
	}
	if tolerance <= 0 {
		return ts, nil
	}
	// Compare instants, not a Duration: now.Sub saturates beyond ±292 years,
	// and negating the saturated minimum overflows back to a negative age,
	// so a timestamp in milliseconds or centuries ahead would pass as fresh.
	t := time.Unix(ts, 0)
	switch {
	case t.Before(now.Add(-tolerance)):
		return 0, &Error{Kind: ErrTimestamp, Header: header, Detail: fmt.Sprintf(
			"the timestamp is %s old, more than the tolerance of %s: a replay, or the sender's clock is off (--tolerance 0 accepts old captures)",
			now.Sub(t).Round(time.Second), tolerance)}
	case t.After(now.Add(tolerance)):
		return 0, &Error{Kind: ErrTimestamp, Header: header, Detail: fmt.Sprintf(
			"the timestamp is %s in the future, more than the tolerance of %s: the sender's clock is off (a timestamp in milliseconds?)",
			t.Sub(now).Round(time.Second), tolerance)}
	}
	return ts, nil
}

// signAll returns the MAC of parts under the first key, or under every key
// when all is set.
func signAll(keys []*keyedMAC, all bool, parts ...[]byte) [][]byte {
	if !all {
		keys = keys[:1]
	}
	macs := make([][]byte, len(keys))
	for i, k := range keys {
		macs[i] = k.sum(parts...)
	}
	return macs
}

// plainMAC is a scheme whose one header holds the encoded HMAC-SHA256 of
// the raw body and nothing else: Gitea (hex) and Shopify (base64).
type plainMAC struct {
	name, header string
	enc          encoding
	keys         []*keyedMAC
}

func (s *plainMAC) Name() string            { return s.name }
func (s *plainMAC) SignatureHeader() string { return s.header }

func (s *plainMAC) Sign(m Message) (http.Header, error) {
	h := http.Header{}
	h.Set(s.header, s.enc.EncodeToString(s.keys[0].sum(m.Body)))
	return h, nil
}

func (s *plainMAC) Begin(h http.Header, _ time.Time) (Verifier, error) {
	value, err := signatureValue(h, s.header, s.name)
	if err != nil {
		return nil, err
	}
	var mac [sha256.Size]byte
	if err := decodeMACTo(&mac, s.header, value, "", s.enc); err != nil {
		return nil, err
	}
	return newMACVerifier1(s.keys, s.header, &mac, nil), nil
}

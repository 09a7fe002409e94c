package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the timestamped schemes.
const (
	StripeSignatureHeader = "Stripe-Signature"

	StandardIDHeader        = "webhook-id"
	StandardTimestampHeader = "webhook-timestamp"
	StandardSignatureHeader = "webhook-signature"
	// Svix sends the same scheme under svix-* names.
	SvixIDHeader        = "svix-id"
	SvixTimestampHeader = "svix-timestamp"
	SvixSignatureHeader = "svix-signature"

	SlackSignatureHeader = "X-Slack-Signature"
	SlackTimestampHeader = "X-Slack-Request-Timestamp"
)

// errNoTime is Sign's error for a timestamped scheme given no time.
var errNoTime = errors.New("this scheme signs a timestamp: Message.Time is not set")

// unixText is the signing time of m in Unix seconds, as the timestamped
// schemes write and sign it.
func unixText(m Message) (string, error) {
	if m.Time.IsZero() {
		return "", errNoTime
	}
	return strconv.FormatInt(m.Time.Unix(), 10), nil
}

// stripe is Stripe's scheme: Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256
// of "<t>.<body>">[,v1=...]. The whole whsec_ secret is the key. Any v1
// that matches passes; v0 and unknown keys are ignored.
type stripe struct {
	keys []*keyedMAC
	opts Options
}

func (s *stripe) Name() string            { return ProviderStripe }
func (s *stripe) SignatureHeader() string { return StripeSignatureHeader }

func (s *stripe) Sign(m Message) (http.Header, error) {
	t, err := unixText(m)
	if err != nil {
		return nil, err
	}
	parts := []string{"t=" + t}
	for _, mac := range signAll(s.keys, s.opts.SignWithAll, []byte(t), []byte("."), m.Body) {
		parts = append(parts, "v1="+hexEncoding{}.EncodeToString(mac))
	}
	h := http.Header{}
	h.Set(StripeSignatureHeader, strings.Join(parts, ","))
	return h, nil
}

// The warnings of a signature accepted in uppercase hex, naming the official
// libraries that compare the text and so refuse it (stripe-go, go-github and
// slack-go decode the hex and accept it).
const (
	warnGitHubUpperHex = GitHubSignatureHeader + ": accepted; octokit would refuse uppercase hex"
	warnStripeUpperHex = StripeSignatureHeader + ": accepted; stripe-node would refuse uppercase hex"
	warnSlackUpperHex  = SlackSignatureHeader + ": accepted; Slack's Bolt and slack_sdk would refuse uppercase hex"
)

// hasUpperHex reports whether text holds an uppercase hex digit.
func hasUpperHex(text string) bool {
	for i := 0; i < len(text); i++ {
		if 'A' <= text[i] && text[i] <= 'F' {
			return true
		}
	}
	return false
}

// isSpace reports whether c is white space a header value can hold inside.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// Begin reads Stripe-Signature as stripe-go's parseSignatureHeader does, so
// that nothing passes here that Stripe's libraries refuse: the items are
// split at each comma and taken as they are, never trimmed. An item that is
// not exactly one key=value refuses the whole header (stripe-go); an item
// with white space before its key is an unknown key, ignored by stripe-go
// and stripe-node alike, so "t=1, v1=..." has no v1 signature; a t= that is
// not a plain number is refused (stripe-go). Uppercase hex is accepted, as
// stripe-go accepts it, with a warning: stripe-node compares the text.
func (s *stripe) Begin(h http.Header, now time.Time) (Verifier, error) {
	value, err := signatureValue(h, StripeSignatureHeader, ProviderStripe)
	if err != nil {
		return nil, err
	}
	malformed := func(detail string) error {
		return &Error{Kind: ErrMalformed, Header: StripeSignatureHeader, Detail: detail + `; want "t=<unix time>,v1=<64 hex digits>"`}
	}
	var t string
	sawT, sawV1, spaced := false, false, false
	var candidates [][]byte
	var upper []int
	for rest, n := value, 1; ; n++ {
		item, more, comma := strings.Cut(rest, ",")
		key, val, ok := strings.Cut(item, "=")
		if !ok || strings.Contains(val, "=") {
			return nil, malformed(fmt.Sprintf("item %d is not one key=value (an empty item, a trailing comma?), and Stripe's libraries refuse the whole header for it", n))
		}
		if k := strings.TrimLeft(key, " \t"); k != key && (k == "t" || k == "v1") {
			spaced = true
		}
		switch key {
		case "t":
			// stripe-go parses every t= and refuses the whole header for
			// one that is not a number; the last one counts.
			switch _, err := strconv.ParseInt(val, 10, 64); {
			case val == "":
				return nil, malformed("a t= timestamp is empty")
			case isSpace(val[0]) || isSpace(val[len(val)-1]):
				return nil, malformed("white space around the t= timestamp; stripe-go refuses it")
			case err != nil:
				return nil, malformed("a t= timestamp is not a whole number of seconds, and stripe-go refuses the whole header for it")
			}
			t, sawT = val, true
		case "v1":
			sawV1 = true
			if mac, err := (hexEncoding{}).DecodeString(val); err == nil && len(mac) == 32 {
				if hasUpperHex(val) {
					upper = append(upper, len(candidates))
				}
				candidates = append(candidates, mac)
			}
		}
		if !comma {
			break
		}
		rest = more
	}
	switch {
	case spaced && (!sawT || !sawV1):
		return nil, malformed("white space after a comma in Stripe-Signature; Stripe's libraries refuse it")
	case !sawT:
		return nil, malformed("there is no t= timestamp")
	case !sawV1:
		return nil, malformed("there is no v1= signature (v0 and other versions are not accepted)")
	case len(candidates) == 0:
		return nil, malformed("no v1= signature is 64 hex digits")
	}
	ts, err := parseTimestamp(StripeSignatureHeader, t, now, s.opts.Tolerance)
	if err != nil {
		return nil, err
	}
	// The number is signed, as Stripe's libraries do, not its spelling.
	v := newMACVerifier(s.keys, StripeSignatureHeader, candidates, []byte(strconv.FormatInt(ts, 10)+"."))
	for _, i := range upper {
		v.markUpper(i, warnStripeUpperHex)
	}
	return v, nil
}

// standard is Standard Webhooks (and Svix): webhook-id, webhook-timestamp
// and webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">,
// space-separated for several. The key is the secret's base64 after whsec_,
// decoded. svix-* names are read when the webhook-* ones are absent.
type standard struct {
	keys []*keyedMAC
	opts Options
}

func (s *standard) Name() string            { return ProviderStandard }
func (s *standard) SignatureHeader() string { return StandardSignatureHeader }

func (s *standard) Sign(m Message) (http.Header, error) {
	t, err := unixText(m)
	if err != nil {
		return nil, err
	}
	var sigs []string
	for _, mac := range signAll(s.keys, s.opts.SignWithAll, []byte(m.ID), []byte("."), []byte(t), []byte("."), m.Body) {
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac))
	}
	h := http.Header{}
	h.Set(StandardIDHeader, m.ID)
	h.Set(StandardTimestampHeader, t)
	h.Set(StandardSignatureHeader, strings.Join(sigs, " "))
	return h, nil
}

// StandardHeaderNames returns the names of the id, timestamp and signature
// headers a Standard Webhooks delivery is verified with: webhook-id,
// webhook-timestamp and webhook-signature, or Svix's svix-* names when h has
// no webhook-signature but has a svix-signature. The id is signed, so
// whoever reports a verified delivery's id must read it from the same one.
func StandardHeaderNames(h http.Header) (id, timestamp, signature string) {
	if len(h.Values(StandardSignatureHeader)) == 0 && len(h.Values(SvixSignatureHeader)) > 0 {
		return SvixIDHeader, SvixTimestampHeader, SvixSignatureHeader
	}
	return StandardIDHeader, StandardTimestampHeader, StandardSignatureHeader
}

func (s *standard) Begin(h http.Header, now time.Time) (Verifier, error) {
	idName, tsName, sigName := StandardHeaderNames(h)
	value, err := signatureValue(h, sigName, ProviderStandard)
	if err != nil {
		return nil, err
	}
	id, err := single(h, idName)
	if err != nil {
		return nil, err
	}
	tsValue, err := single(h, tsName)
	if err != nil {
		return nil, err
	}
	var candidates [][]byte
	sawV1 := false
	// As the official libraries read it: items split at each single space
	// (a tab separates nothing), each "v1," and the base64, whole (the Node
	// libraries compare the item's text).
	for item := range strings.SplitSeq(value, " ") {
		version, sig, ok := strings.Cut(item, ",")
		if !ok || version != "v1" {
			continue
		}
		sawV1 = true
		// Strict: one spelling per MAC, as the official libraries compare text.
		if mac, err := base64.StdEncoding.Strict().DecodeString(sig); err == nil && len(mac) == 32 {
			candidates = append(candidates, mac)
		}
	}
	if len(candidates) == 0 {
		detail := "there is no v1, signature (other versions are not accepted)"
		if sawV1 {
			detail = "no v1, signature is the base64 of 32 bytes"
		}
		return nil, &Error{Kind: ErrMalformed, Header: sigName, Detail: detail + `; want "v1,<base64>", space-separated for several`}
	}
	ts, err := parseTimestamp(tsName, tsValue, now, s.opts.Tolerance)
	if err != nil {
		return nil, err
	}
	prefix := id + "." + strconv.FormatInt(ts, 10) + "."
	return newMACVerifier(s.keys, sigName, candidates, []byte(prefix)), nil
}

// slack is Slack's scheme: X-Slack-Signature: v0=<hex HMAC-SHA256 of
// "v0:<timestamp>:<body>"> with X-Slack-Request-Timestamp.
type slack struct {
	keys []*keyedMAC
	opts Options
}

func (s *slack) Name() string            { return ProviderSlack }
func (s *slack) SignatureHeader() string { return SlackSignatureHeader }

func (s *slack) Sign(m Message) (http.Header, error) {
	t, err := unixText(m)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(SlackTimestampHeader, t)
	h.Set(SlackSignatureHeader, "v0="+hexEncoding{}.EncodeToString(s.keys[0].sum([]byte("v0:"+t+":"), m.Body)))
	return h, nil
}

func (s *slack) Begin(h http.Header, now time.Time) (Verifier, error) {
	value, err := signatureValue(h, SlackSignatureHeader, ProviderSlack)
	if err != nil {
		return nil, err
	}
	var mac [sha256.Size]byte
	if err := decodeMACTo(&mac, SlackSignatureHeader, value, "v0=", hexEncoding{}); err != nil {
		return nil, err
	}
	tsValue, err := single(h, SlackTimestampHeader)
	if err != nil {
		return nil, err
	}
	ts, err := parseTimestamp(SlackTimestampHeader, tsValue, now, s.opts.Tolerance)
	if err != nil {
		return nil, err
	}
	v := newMACVerifier1(s.keys, SlackSignatureHeader, &mac, []byte("v0:"+strconv.FormatInt(ts, 10)+":"))
	if hasUpperHex(value) {
		// slack-go decodes the hex; Bolt and slack_sdk compare the text.
		v.markUpper(0, warnSlackUpperHex)
	}
	return v, nil
}

// GitLabTokenHeader carries GitLab's secret token itself: no HMAC.
const GitLabTokenHeader = "X-Gitlab-Token"

// gitlab is GitLab's scheme: X-Gitlab-Token equal to the secret, compared in
// constant time. The body is not signed.
type gitlab struct {
	tokens []string
}

func (g *gitlab) Name() string            { return ProviderGitLab }
func (g *gitlab) SignatureHeader() string { return GitLabTokenHeader }

// Sign returns X-Gitlab-Token: the secret itself, which is all GitLab sends.
func (g *gitlab) Sign(Message) (http.Header, error) {
	h := http.Header{}
	h.Set(GitLabTokenHeader, g.tokens[0])
	return h, nil
}

func (g *gitlab) Begin(h http.Header, _ time.Time) (Verifier, error) {
	value, err := signatureValue(h, GitLabTokenHeader, ProviderGitLab)
	if err != nil {
		return nil, err
	}
	if value == "" {
		return nil, &Error{Kind: ErrMalformed, Header: GitLabTokenHeader, Detail: "the token is empty"}
	}
	// Digests are compared, not the tokens: hmac.Equal returns at once on
	// a length difference, which would tell the token's length. Every
	// comparison runs, so the time says nothing about which matched.
	got := sha256.Sum256([]byte(value))
	ok := false
	for _, t := range g.tokens {
		want := sha256.Sum256([]byte(t))
		if hmac.Equal(got[:], want[:]) {
			ok = true
		}
	}
	return tokenVerifier{ok: ok}, nil
}

// tokenVerifier carries a verdict made from the headers alone; the body is
// not signed, so writes are ignored.
type tokenVerifier struct{ ok bool }

func (tokenVerifier) Write(p []byte) (int, error) { return len(p), nil }

func (v tokenVerifier) Verify() error {
	if !v.ok {
		return &Error{Kind: ErrMismatch, Header: GitLabTokenHeader, Detail: "the token does not match the secret token"}
	}
	return nil
}

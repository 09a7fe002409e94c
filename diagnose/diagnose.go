// Package diagnose says why a webhook signature did not verify.
//
// When a signature fails, the causes are few and known: a secret read with
// its trailing newline, a body changed on the way (a newline, a character
// set, JSON re-serialized), the wrong hash or encoding, the wrong header, a
// stale or different timestamp. [Explain] tries each against the configured
// secrets by recomputing the MAC, with package signing's schemes wherever
// they can express the variant, and reports only the causes whose MAC
// matches. A genuinely wrong secret matches none of them, and Explain then
// returns nothing: it never guesses.
//
// What it returns names causes, headers, timestamps and field names; it
// never contains a secret or a MAC, expected or received.
package diagnose

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

// MaxBody is the largest body whose variants Explain tries (a trailing
// newline, another character set, JSON re-serialized, the form's field).
// Explain runs only on a failed signature, but anyone can send those, so
// its cost per delivery is bounded: a body up to MaxBody is rewritten and
// hashed a few dozen times (about 20 ms of one core at worst, see
// BenchmarkExplainWorstCase); a larger one gets only the checks that keep
// the body as it is (the secrets, the timestamp, the header's encoding and
// name), a few dozen HMACs of it at most per configured secret, whatever
// its headers (see maxHeaderTries). Webhook bodies are rarely larger.
const MaxBody = 256 << 10

// maxHeaderTries is how many of the delivery's own headers Explain tries
// as a misplaced signature, and as another timestamp or id, each. A
// sender controls its headers: without a cap, a few thousand
// signature-like names on a large body would cost an HMAC of the body
// each, seconds of CPU for one delivery. Senders that misplace a
// signature put it in one or two.
const maxHeaderTries = 4

// Cause codes, stable for scripts and logs.
const (
	CodeSecretTrailingNewline   = "secret_trailing_newline"
	CodeSecretWhitespace        = "secret_whitespace"
	CodeOtherSecret             = "other_secret"
	CodeOtherProvider           = "other_provider"
	CodeBodyTrailingNewlineAdd  = "body_trailing_newline_added"
	CodeBodyTrailingNewlineDrop = "body_trailing_newline_removed"
	CodeBodyLatin1              = "body_latin1"
	CodeBodyUTF8                = "body_utf8"
	CodeJSONCompact             = "json_compact"
	CodeJSONSpaced              = "json_spaced"
	CodeJSONIndent2             = "json_indent2"
	CodeJSONIndent4             = "json_indent4"
	CodeJSONUnescapedSlash      = "json_unescaped_slash"
	CodeJSONEscapedSlash        = "json_escaped_slash"
	CodeJSONUnescapedUnicode    = "json_unescaped_unicode"
	CodeJSONEscapedUnicode      = "json_escaped_unicode"
	CodeJSONEscapedHTML         = "json_escaped_html"
	CodeFormPayloadSigned       = "form_payload_signed"
	CodeFormBodySigned          = "form_body_signed"
	CodeSHA1                    = "sha1"
	CodeUppercaseHex            = "uppercase_hex"
	CodeBase64NotHex            = "base64_not_hex"
	CodeHexNotBase64            = "hex_not_base64"
	CodeWhsecNotDecoded         = "whsec_not_decoded"
	CodeWhsecDecoded            = "whsec_decoded"
	CodeWrongHeader             = "wrong_header"
	CodeTimestampOutOfRange     = "timestamp_out_of_range"
	CodeOtherTimestamp          = "other_timestamp"
	CodeOtherID                 = "other_id"
)

// Input is a delivery whose signature failed, and what the receiver knows.
type Input struct {
	// Provider is the scheme the delivery was verified with ("github").
	Provider string
	// Secrets are the secrets the delivery was verified with, the signing
	// one first (a rotation's previous ones after it).
	Secrets []string
	// OtherSecrets are secrets configured elsewhere that the delivery's
	// scheme does not accept (another route's or provider's); a signature
	// made with one of them is reported as other_secret. May be empty.
	OtherSecrets []string
	// Header and Body are the delivery's, the body whole and as received.
	Header http.Header
	Body   []byte
	// Now is the receiver's clock when the delivery came; Tolerance the
	// timestamp tolerance it used (0: none).
	Now       time.Time
	Tolerance time.Duration
}

// Cause is one verified reason why the signature failed.
type Cause struct {
	// Code is stable (the Code constants).
	Code string `json:"code"`
	// Message is one sentence for people; it names no secret and no MAC.
	Message string `json:"message"`
}

// Explainer returns a function for a receiver (receiver.Config.Explain)
// that says in one line (Summary) why a delivery's signature failed, for a
// listener of provider verifying with secrets and tolerance. At most
// concurrent diagnoses run at once (each may take milliseconds of CPU, and
// anyone who can reach the listener can send failing signatures); a
// failure past them gets "", and is logged without an explanation.
func Explainer(provider string, secrets []string, tolerance time.Duration, concurrent int) func(h http.Header, body []byte, now time.Time) string {
	gate := make(chan struct{}, max(concurrent, 1))
	return func(h http.Header, body []byte, now time.Time) string {
		return gated(gate, func() string {
			return Summary(Explain(Input{
				Provider: provider, Secrets: secrets,
				Header: h, Body: body, Now: now, Tolerance: tolerance,
			}))
		})
	}
}

// gated runs explain when gate has room, holding a place in it meanwhile,
// and returns "" at once when it is full.
func gated(gate chan struct{}, explain func() string) string {
	select {
	case gate <- struct{}{}:
		defer func() { <-gate }()
	default:
		return ""
	}
	return explain()
}

// Summary returns one line for a log: "likely cause: ...; or ...", or, with
// no cause, that none of the known ones matches.
func Summary(causes []Cause) string {
	if len(causes) == 0 {
		return "none of the known causes matches: the secret differs, or the body was changed in another way"
	}
	msgs := make([]string, len(causes))
	for i, c := range causes {
		msgs[i] = c.Message
	}
	return "likely cause: " + strings.Join(msgs, "; or ")
}

// Verify checks in's signature as a receiver does: with every secret, the
// tolerance and, in Gitea's form mode, the form's payload field as the
// signed bytes. It returns nil or package signing's error, which names no
// secret or MAC.
func Verify(in Input) error {
	scheme, err := signing.New(in.Provider, in.Secrets, signing.Options{Tolerance: in.Tolerance})
	if err != nil {
		return err
	}
	if in.Header == nil {
		in.Header = http.Header{}
	}
	return signing.Verify(scheme, in.Header, signedBytes(in), in.Now)
}

// signedBytes is what the receiver verifies: the body, or in Gitea's form
// mode the form's payload field.
func signedBytes(in Input) []byte {
	prov, err := provider.Lookup(in.Provider)
	if err != nil || !prov.FormSignsPayload {
		return in.Body
	}
	if payload, ok := formPayload(in.Header, in.Body); ok {
		return payload
	}
	return in.Body
}

// Explain returns the known causes that make in's signature fail, each
// verified by recomputing the MAC, in the order they were tried. It
// returns nil when the signature verifies, when no cause matches (a secret
// that simply differs), or when in names no secret or an unknown
// provider. Its cost is bounded by MaxBody (see there). It is safe for
// concurrent use and does not change in.
func Explain(in Input) []Cause {
	causes, _ := explain(in)
	return causes
}

// explain is Explain, also returning how many MACs of the body it checked.
func explain(in Input) ([]Cause, int) {
	prov, err := provider.Lookup(in.Provider)
	if err != nil || len(in.Secrets) == 0 || slices.Contains(in.Secrets, "") {
		return nil, 0
	}
	if in.Header == nil {
		in.Header = http.Header{}
	}
	d := &diagnosis{in: in, prov: prov, signed: signedBytes(in), small: len(in.Body) <= MaxBody}
	payload, hasPayload := formPayload(in.Header, in.Body)
	stale := false
	if full, err := signing.New(in.Provider, in.Secrets, signing.Options{Tolerance: in.Tolerance}); err == nil {
		verr := signing.Verify(full, in.Header, d.signed, in.Now)
		if verr == nil {
			return nil, 0
		}
		stale = errors.Is(verr, signing.ErrTimestamp)
	}
	d.base = d.scheme(in.Secrets...)
	if d.verifies(d.base, in.Header, d.signed) {
		// The MAC is right: only the time can be wrong.
		if stale {
			return []Cause{d.timestampCause()}, d.tries
		}
		return nil, d.tries
	}
	d.secretCauses()
	d.providerCauses()
	d.encodingCauses()
	d.headerCauses()
	d.timeCauses()
	if d.small && prov.SignsBody {
		d.formCauses(payload, hasPayload)
		d.bodyCauses()
	}
	if stale && len(d.causes) > 0 {
		d.add(d.timestampCause())
	}
	return d.causes, d.tries
}

// diagnosis is one run of Explain.
type diagnosis struct {
	in     Input
	prov   provider.Provider
	base   signing.Scheme // every secret, no timestamp check; nil when they build none
	signed []byte         // what the scheme signs: the body, or Gitea's form payload
	small  bool           // the body is small enough for its variants
	causes []Cause
	tries  int // the MACs checked, for the tests of Explain's cost
}

func (d *diagnosis) add(c Cause) {
	for _, have := range d.causes {
		if have.Code == c.Code {
			return
		}
	}
	d.causes = append(d.causes, c)
}

// scheme is the provider's scheme with secrets and no timestamp check, so
// that a MAC can be checked apart from the time; nil when the secrets do
// not make one.
func (d *diagnosis) scheme(secrets ...string) signing.Scheme {
	s, err := signing.New(d.in.Provider, secrets, signing.Options{})
	if err != nil {
		return nil
	}
	return s
}

func (d *diagnosis) verifies(s signing.Scheme, h http.Header, body []byte) bool {
	d.tries++
	return s != nil && signing.Verify(s, h, body, d.in.Now) == nil
}

// ordinal names the i-th configured secret without showing it.
func ordinal(i, n int) string {
	if n == 1 {
		return "the secret"
	}
	if i == 0 {
		return "the signing secret"
	}
	return "secret " + strconv.Itoa(i+1) + " of " + strconv.Itoa(n) + " (one being rotated out)"
}

// secretCauses tries each secret with white space added or removed, and the
// other configured secrets.
func (d *diagnosis) secretCauses() {
	n := len(d.in.Secrets)
	for i, s := range d.in.Secrets {
		who := ordinal(i, n)
		type variant struct{ secret, code, message string }
		var variants []variant
		for _, nl := range []string{"\r\n", "\n"} {
			if t := strings.TrimSuffix(s, nl); t != s && t != "" {
				variants = append(variants, variant{t, CodeSecretTrailingNewline,
					"the signature matches " + who + " without its trailing newline: the sender trims it, hooklab's copy keeps it (from a file or .env?)"})
			}
		}
		variants = append(variants,
			variant{s + "\n", CodeSecretTrailingNewline, "the signature matches " + who + " with a trailing newline: the sender's secret, read from a file or .env, kept its newline"},
			variant{s + "\r\n", CodeSecretTrailingNewline, "the signature matches " + who + " with a trailing CRLF: the sender's secret, read from a file or .env, kept its line ending"})
		if t := strings.TrimSpace(s); t != s && t != "" {
			variants = append(variants, variant{t, CodeSecretWhitespace,
				"the signature matches " + who + " without its surrounding white space: hooklab's copy has spaces the sender's lacks"})
		}
		for _, v := range []string{s + " ", " " + s, " " + s + " ", s + "\t"} {
			variants = append(variants, variant{v, CodeSecretWhitespace,
				"the signature matches " + who + " with white space around it: the sender's copy of the secret has spaces (quoted in a .env or pasted?)"})
		}
		if d.in.Provider == signing.ProviderStandard {
			// The sender keyed the HMAC with the whsec_ text itself.
			variants = append(variants, variant{"whsec_" + base64.StdEncoding.EncodeToString([]byte(s)), CodeWhsecNotDecoded,
				"the signature was made with " + who + " used as it is written: Standard Webhooks keys the HMAC with the base64 after whsec_, decoded"})
		}
		if d.in.Provider == signing.ProviderStripe && strings.HasPrefix(s, "whsec_") {
			if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_")); err == nil && len(key) > 0 {
				variants = append(variants, variant{string(key), CodeWhsecDecoded,
					"the signature was made with " + who + " base64-decoded after whsec_, as Standard Webhooks does: Stripe keys the HMAC with the whole whsec_ text"})
			}
		}
		tried := map[string]bool{s: true}
		for _, v := range variants {
			if tried[v.secret] {
				continue
			}
			tried[v.secret] = true
			if d.verifies(d.scheme(v.secret), d.in.Header, d.signed) {
				d.add(Cause{Code: v.code, Message: v.message})
			}
		}
	}
	for i, s := range d.in.OtherSecrets {
		if s != "" && d.verifies(d.scheme(s), d.in.Header, d.signed) {
			d.add(Cause{Code: CodeOtherSecret, Message: fmt.Sprintf(
				"the signature matches another configured secret (other secret %d), not one this delivery is verified with: the sender uses the wrong one", i+1)})
		}
	}
}

// providerCauses tries the other providers' schemes with the secrets, when
// their signature header is present.
func (d *diagnosis) providerCauses() {
	for _, name := range signing.Providers() {
		if name == d.in.Provider {
			continue
		}
		s, err := signing.New(name, d.in.Secrets, signing.Options{})
		if err != nil {
			continue
		}
		header := s.SignatureHeader()
		if name == signing.ProviderStandard {
			_, _, header = signing.StandardHeaderNames(d.in.Header)
		}
		if len(d.in.Header.Values(header)) == 0 {
			continue
		}
		p, _ := provider.Lookup(name)
		if !p.SignsBody {
			continue // a token would say nothing about the body
		}
		if d.verifies(s, d.in.Header, d.in.Body) {
			d.add(Cause{Code: CodeOtherProvider, Message: fmt.Sprintf(
				"the delivery carries a valid %s signature in %s: it was sent as %s, but is verified as %s (check --provider)",
				name, header, name, d.in.Provider)})
		}
	}
}

// signatureHeader is the header the provider's scheme reads the signature
// from.
func (d *diagnosis) signatureHeader() string {
	if d.base == nil {
		if s := d.scheme("x"); s != nil {
			return s.SignatureHeader()
		}
		return ""
	}
	if d.in.Provider == signing.ProviderStandard {
		_, _, h := signing.StandardHeaderNames(d.in.Header)
		return h
	}
	return d.base.SignatureHeader()
}

// hexScheme reports whether the provider writes its MAC in hex.
func hexScheme(name string) bool {
	switch name {
	case signing.ProviderGitHub, signing.ProviderGitea, signing.ProviderSlack, signing.ProviderStripe:
		return true
	}
	return false
}

// macPrefix is what comes before each MAC in the provider's header.
func macPrefix(name string) string {
	switch name {
	case signing.ProviderGitHub:
		return "sha256="
	case signing.ProviderSlack:
		return "v0="
	case signing.ProviderStripe:
		return "v1="
	case signing.ProviderStandard:
		return "v1,"
	}
	return ""
}

// rewriteMACs returns h with every MAC text in the signature header
// replaced by f's result, and whether any changed. Items that are not a
// MAC (Stripe's t=) stay as they are.
func (d *diagnosis) rewriteMACs(f func(text string) (string, bool)) (http.Header, bool) {
	header := d.signatureHeader()
	value := d.in.Header.Get(header)
	if value == "" {
		return nil, false
	}
	prefix := macPrefix(d.in.Provider)
	var sep string
	var items []string
	switch d.in.Provider {
	case signing.ProviderStripe:
		sep, items = ",", strings.Split(value, ",")
	case signing.ProviderStandard:
		sep, items = " ", strings.Fields(value)
	default:
		sep, items = "", []string{value}
	}
	changed := false
	for i, item := range items {
		item = strings.TrimSpace(item)
		if len(item) < len(prefix) || !strings.EqualFold(item[:len(prefix)], prefix) {
			continue
		}
		if text, ok := f(item[len(prefix):]); ok {
			items[i], changed = prefix+text, true
		}
	}
	if !changed {
		return nil, false
	}
	h := d.in.Header.Clone()
	h.Set(header, strings.Join(items, sep))
	return h, true
}

// encodingCauses tries the signature header's value written differently:
// upper case, base64 for hex and the reverse, and SHA-1 for SHA-256.
func (d *diagnosis) encodingCauses() {
	header := d.signatureHeader()
	value := d.in.Header.Get(header)
	if value == "" || d.base == nil || !d.prov.SignsBody {
		return
	}
	if hexScheme(d.in.Provider) {
		if lower := strings.ToLower(value); lower != value {
			h := d.in.Header.Clone()
			h.Set(header, lower)
			if d.verifies(d.base, h, d.signed) {
				d.add(Cause{Code: CodeUppercaseHex, Message: "the signature in " + header + " is right but written in upper case: write it in lower case"})
			}
		}
		if h, ok := d.rewriteMACs(base64ToHex); ok && d.verifies(d.base, h, d.signed) {
			d.add(Cause{Code: CodeBase64NotHex, Message: "the signature in " + header + " is right but written in base64: " + d.in.Provider + " writes it in hex"})
		}
	} else if h, ok := d.rewriteMACs(hexToBase64); ok && d.verifies(d.base, h, d.signed) {
		d.add(Cause{Code: CodeHexNotBase64, Message: "the signature in " + header + " is right but written in hex: " + d.in.Provider + " writes it in base64"})
	}
	if d.sha1Matches(value) {
		d.add(Cause{Code: CodeSHA1, Message: "the signature in " + header + " is an HMAC-SHA1: " + d.in.Provider + " signs with HMAC-SHA256"})
	}
}

// base64ToHex turns a MAC written in any base64 alphabet into hex.
func base64ToHex(text string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if mac, err := enc.DecodeString(text); err == nil && len(mac) == 32 {
			return hex.EncodeToString(mac), true
		}
	}
	return "", false
}

// hexToBase64 turns a MAC written in hex into base64.
func hexToBase64(text string) (string, bool) {
	mac, err := hex.DecodeString(text)
	if err != nil || len(mac) != 32 {
		return "", false
	}
	return base64.StdEncoding.EncodeToString(mac), true
}

// sha1Matches reports whether value holds the HMAC-SHA1, in hex or base64,
// of what the scheme signs under one of the secrets.
func (d *diagnosis) sha1Matches(value string) bool {
	var macs [][]byte
	for _, item := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' }) {
		if i := strings.LastIndexByte(item, '='); i >= 0 && i < len(item)-1 && !strings.HasSuffix(item, "=") {
			item = item[i+1:]
		}
		if mac, err := hex.DecodeString(item); err == nil && len(mac) == sha1.Size {
			macs = append(macs, mac)
		} else if mac, err := base64.StdEncoding.DecodeString(item); err == nil && len(mac) == sha1.Size {
			macs = append(macs, mac)
		}
	}
	if len(macs) == 0 {
		return false
	}
	d.tries++
	msg, ok := d.message()
	if !ok {
		return false
	}
	for _, s := range d.in.Secrets {
		key := []byte(s)
		if d.in.Provider == signing.ProviderStandard {
			k, err := signing.StandardKey(s)
			if err != nil {
				continue
			}
			key = k
		}
		m := hmac.New(sha1.New, key)
		m.Write(msg)
		sum := m.Sum(nil)
		for _, mac := range macs {
			if hmac.Equal(sum, mac) {
				return true
			}
		}
	}
	return false
}

// message is the string the provider's scheme signs, built as package
// signing builds it, for the MACs signing does not make (SHA-1).
func (d *diagnosis) message() ([]byte, bool) {
	h := d.in.Header
	join := func(parts ...string) []byte {
		return append([]byte(strings.Join(parts, "")), d.signed...)
	}
	switch d.in.Provider {
	case signing.ProviderGitHub, signing.ProviderGitea, signing.ProviderShopify:
		return d.signed, true
	case signing.ProviderStripe:
		t, ok := d.timestamp()
		return join(strconv.FormatInt(t, 10), "."), ok
	case signing.ProviderSlack:
		t, ok := d.timestamp()
		return join("v0:", strconv.FormatInt(t, 10), ":"), ok
	case signing.ProviderStandard:
		idName, _, _ := signing.StandardHeaderNames(h)
		t, ok := d.timestamp()
		return join(h.Get(idName), ".", strconv.FormatInt(t, 10), "."), ok
	}
	return nil, false
}

// headerCauses looks for a valid signature in another header than the
// one the scheme reads.
func (d *diagnosis) headerCauses() {
	want := d.signatureHeader()
	if want == "" || d.base == nil {
		return
	}
	missing := len(d.in.Header.Values(want)) == 0
	names := make([]string, 0, len(d.in.Header))
	for name := range d.in.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	tries := 0
	for _, name := range names {
		lower := strings.ToLower(name)
		if strings.EqualFold(name, want) || !(strings.Contains(lower, "sig") || strings.Contains(lower, "hmac") ||
			strings.Contains(lower, "token") || strings.Contains(lower, "hash")) {
			continue
		}
		if tries++; tries > maxHeaderTries {
			return
		}
		values := d.in.Header.Values(name)
		h := d.in.Header.Clone()
		h.Del(want)
		h[http.CanonicalHeaderKey(want)] = values
		state := "does not match"
		if missing {
			state = "is missing"
		}
		switch {
		case d.verifies(d.base, h, d.signed):
			d.add(Cause{Code: CodeWrongHeader, Message: fmt.Sprintf(
				"%s carries a valid signature, but %s reads %s, which %s: send the signature in %s",
				safeName(name), d.in.Provider, want, state, want)})
		case missing && d.prov.SignsBody && len(values) == 1 && d.sha1Matches(values[0]):
			// Only when the right header is missing: GitHub sends the
			// legacy one beside it, valid whatever is wrong with the other.
			d.add(Cause{Code: CodeWrongHeader, Message: fmt.Sprintf(
				"%s carries a valid HMAC-SHA1 signature, but %s reads %s (HMAC-SHA256), which %s: send %s",
				safeName(name), d.in.Provider, want, state, want)})
		}
	}
}

// safeName keeps a header name short and printable for a message.
func safeName(name string) string {
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '?'
		}
		return r
	}, name)
}

// timestampHeader is the header the provider's timestamp is in ("" for the
// schemes that sign none).
func (d *diagnosis) timestampHeader() string {
	switch d.in.Provider {
	case signing.ProviderStripe:
		return signing.StripeSignatureHeader
	case signing.ProviderSlack:
		return signing.SlackTimestampHeader
	case signing.ProviderStandard:
		_, ts, _ := signing.StandardHeaderNames(d.in.Header)
		return ts
	}
	return ""
}

// timestamp returns the signed timestamp of the delivery, in Unix seconds.
func (d *diagnosis) timestamp() (int64, bool) {
	header := d.timestampHeader()
	value := d.in.Header.Get(header)
	if d.in.Provider == signing.ProviderStripe {
		value = ""
		for _, item := range strings.Split(d.in.Header.Get(header), ",") {
			if k, v, ok := strings.Cut(strings.TrimSpace(item), "="); ok && k == "t" {
				value = v
			}
		}
	}
	t, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	return t, err == nil && t >= 0
}

// withTimestamp returns the headers with the timestamp replaced by t.
func (d *diagnosis) withTimestamp(t int64) http.Header {
	h := d.in.Header.Clone()
	header, text := d.timestampHeader(), strconv.FormatInt(t, 10)
	if d.in.Provider != signing.ProviderStripe {
		h.Set(header, text)
		return h
	}
	items := strings.Split(h.Get(header), ",")
	for i, item := range items {
		if k, _, ok := strings.Cut(strings.TrimSpace(item), "="); ok && k == "t" {
			items[i] = "t=" + text
		}
	}
	h.Set(header, strings.Join(items, ","))
	return h
}

// timestampCause says how far the signed timestamp is from now, and what
// is likelier: a clock off by minutes, or a replay hours later.
func (d *diagnosis) timestampCause() Cause {
	t, _ := d.timestamp()
	at := time.Unix(t, 0)
	header := d.timestampHeader()
	// off says how far the timestamp is, and the tolerance, in words; or
	// exactly when rounding would make them read the same.
	off := func(by time.Duration) (string, string) {
		if w, tol := words(by), words(d.in.Tolerance); w != tol {
			return w, tol
		}
		return by.Round(time.Millisecond).String(), d.in.Tolerance.String()
	}
	if at.After(d.in.Now) {
		ahead, tol := off(at.Sub(d.in.Now))
		msg := fmt.Sprintf("the signature is right, but the timestamp in %s is %s in the future, beyond the tolerance of %s: the sender's clock is ahead",
			header, ahead, tol)
		if t > 100_000_000_000 {
			msg += ", or it sends milliseconds instead of seconds"
		}
		return Cause{Code: CodeTimestampOutOfRange, Message: msg}
	}
	age := d.in.Now.Sub(at)
	likely := "the sender's clock is likely behind (or the delivery was held up on the way)"
	if age > time.Hour {
		likely = "a replay of an old delivery is likelier than a clock that far off"
	}
	old, tol := off(age)
	return Cause{Code: CodeTimestampOutOfRange, Message: fmt.Sprintf(
		"the signature is right, but the timestamp in %s is %s old, beyond the tolerance of %s: %s", header, old, tol, likely)}
}

// words says a duration the way people do: "3 minutes", "2 hours", "4 days".
func words(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return strconv.FormatInt(n, 10) + " " + name + "s"
	}
	switch {
	case d < 0:
		d = -d
	}
	switch {
	case d < time.Minute:
		return unit(int64(d.Round(time.Second)/time.Second), "second")
	case d < 90*time.Minute:
		return unit(int64(d.Round(time.Minute)/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int64(d.Round(time.Hour)/time.Hour), "hour")
	}
	return unit(int64(d.Round(24*time.Hour)/(24*time.Hour)), "day")
}

// timeCauses tries the signature over the other timestamps and ids the
// delivery carries: another header's, the body's, or the header's own a
// second or two off (two reads of the sender's clock).
func (d *diagnosis) timeCauses() {
	header := d.timestampHeader()
	t, ok := d.timestamp()
	if header == "" || !ok || d.base == nil {
		return
	}
	type candidate struct {
		t    int64
		from string
	}
	var cands []candidate
	for _, dt := range []int64{-1, 1, -2, 2} {
		cands = append(cands, candidate{t + dt, fmt.Sprintf("%+d second", dt)})
	}
	if t > 100_000_000_000 {
		cands = append(cands, candidate{t / 1000, "the header's milliseconds as seconds"})
	}
	names := make([]string, 0, len(d.in.Header))
	for name := range d.in.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	fromHeaders := 0
	for _, name := range names {
		values := d.in.Header[name]
		if strings.EqualFold(name, header) || len(values) != 1 || fromHeaders >= maxHeaderTries {
			continue
		}
		lower := strings.ToLower(name)
		if lower == "date" {
			if at, err := http.ParseTime(values[0]); err == nil {
				cands = append(cands, candidate{at.Unix(), "the Date header"})
				fromHeaders++
			}
			continue
		}
		if strings.Contains(lower, "time") {
			if n, err := strconv.ParseInt(strings.TrimSpace(values[0]), 10, 64); err == nil {
				cands = append(cands, candidate{n, "the " + safeName(name) + " header"})
				fromHeaders++
			}
		}
	}
	if d.small {
		for field, n := range bodyTimes(d.in.Body) {
			cands = append(cands, candidate{n, fmt.Sprintf("the body's %q field", field)})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return strings.Compare(a.from, b.from) })
	for _, c := range cands {
		if c.t == t || c.t < 0 {
			continue
		}
		if d.verifies(d.base, d.withTimestamp(c.t), d.signed) {
			from := c.from
			if strings.HasSuffix(from, "second") {
				from = "a second read of the clock"
			}
			d.add(Cause{Code: CodeOtherTimestamp, Message: fmt.Sprintf(
				"the signature was made over timestamp %d (%s), not the %d in %s: sign the very timestamp you send",
				c.t, from, t, header)})
			break
		}
	}
	if d.in.Provider == signing.ProviderStandard {
		d.idCauses()
	}
}

// idCauses tries the Standard Webhooks signature over the other ids the
// delivery carries.
func (d *diagnosis) idCauses() {
	idName, _, _ := signing.StandardHeaderNames(d.in.Header)
	id := d.in.Header.Get(idName)
	type candidate struct{ id, from string }
	var cands []candidate
	names := make([]string, 0, len(d.in.Header))
	for name := range d.in.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		lower := strings.ToLower(name)
		if strings.EqualFold(name, idName) || !(strings.HasSuffix(lower, "id") || strings.HasSuffix(lower, "-key")) {
			continue
		}
		if values := d.in.Header.Values(name); len(values) == 1 && len(cands) < maxHeaderTries {
			cands = append(cands, candidate{values[0], "the " + safeName(name) + " header"})
		}
	}
	if d.small {
		for _, field := range []string{"id", "event_id", "msg_id", "message_id", "webhook_id"} {
			if v, ok := bodyString(d.in.Body, field); ok {
				cands = append(cands, candidate{v, fmt.Sprintf("the body's %q field", field)})
			}
		}
	}
	for _, c := range cands {
		if c.id == id || c.id == "" {
			continue
		}
		h := d.in.Header.Clone()
		h.Set(idName, c.id)
		if d.verifies(d.base, h, d.signed) {
			d.add(Cause{Code: CodeOtherID, Message: fmt.Sprintf(
				"the signature was made over another id (%s), not the one in %s: sign the very id you send", c.from, idName)})
			return
		}
	}
}

// formPayload returns the payload field of a form body, when the delivery
// is a form with exactly one.
func formPayload(h http.Header, body []byte) ([]byte, bool) {
	media, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || media != "application/x-www-form-urlencoded" {
		return nil, false
	}
	values, err := url.ParseQuery(string(body))
	if err != nil || len(values["payload"]) != 1 {
		return nil, false
	}
	return []byte(values["payload"][0]), true
}

// formCauses tries GitHub's form mode the wrong way round: the payload
// field signed instead of the form, or (Gitea) the form instead of its
// payload.
func (d *diagnosis) formCauses(payload []byte, ok bool) {
	if !ok || d.base == nil {
		return
	}
	if d.prov.FormSignsPayload {
		if d.verifies(d.base, d.in.Header, d.in.Body) {
			d.add(Cause{Code: CodeFormBodySigned, Message: "the signature matches the whole form body: " + d.in.Provider +
				" signs the JSON in the form's payload field"})
		}
		return
	}
	if d.verifies(d.base, d.in.Header, payload) {
		d.add(Cause{Code: CodeFormPayloadSigned, Message: "the signature matches the JSON in the form's payload field: " + d.in.Provider +
			" signs the form body as sent (payload=...)"})
	}
}

// bodyCauses tries the body as the sender may have signed it before
// something changed it on the way.
func (d *diagnosis) bodyCauses() {
	if d.base == nil {
		return
	}
	// Variants are compared, not copied into a set: each may be MaxBody.
	tried := [][]byte{d.signed}
	try := func(variant []byte, ok bool, code, message string) {
		if !ok || slices.ContainsFunc(tried, func(t []byte) bool { return bytes.Equal(t, variant) }) {
			return
		}
		tried = append(tried, variant)
		if d.verifies(d.base, d.in.Header, variant) {
			d.add(Cause{Code: code, Message: message})
		}
	}
	body := d.signed
	for _, nl := range []string{"\r\n", "\n"} {
		if t, ok := bytes.CutSuffix(body, []byte(nl)); ok {
			try(t, true, CodeBodyTrailingNewlineAdd, "the signature matches this body with its trailing newline removed: something added one after it was signed")
		}
	}
	for _, nl := range []string{"\n", "\r\n"} {
		try(append(body[:len(body):len(body)], nl...), true, CodeBodyTrailingNewlineDrop,
			"the signature matches this body with a trailing newline added: the sender signed one it did not send, or something removed it")
	}
	l1, ok := toLatin1(body)
	try(l1, ok, CodeBodyLatin1, "the signature matches this body encoded as Latin-1 (ISO-8859-1): the sender signed Latin-1 bytes and sent UTF-8, or something re-encoded the body")
	u8, ok := fromLatin1(body)
	try(u8, ok, CodeBodyUTF8, "the signature matches this body encoded as UTF-8: it arrived as Latin-1 (ISO-8859-1); something re-encoded it after it was signed")
	if !jsonValid(body) {
		return
	}
	const reserialized = ": the body was re-serialized after it was signed (a framework or relay parsed and rewrote it), or the sender signed other bytes than it sent"
	compact, ok := jsonCompact(body)
	try(compact, ok, CodeJSONCompact, "the signature matches this JSON written compactly"+reserialized)
	try(jsonSpaced(compact), ok, CodeJSONSpaced, `the signature matches this JSON written with ", " and ": " (Python's json.dumps)`+reserialized)
	i2, ok := jsonIndent(body, "  ")
	try(i2, ok, CodeJSONIndent2, "the signature matches this JSON indented by two spaces"+reserialized)
	i4, ok := jsonIndent(body, "    ")
	try(i4, ok, CodeJSONIndent4, "the signature matches this JSON indented by four spaces"+reserialized)
	try(jsonUnescapeSlash(body), true, CodeJSONUnescapedSlash, `the signature matches this JSON with \/ written as /: something escaped the slashes after it was signed (PHP's json_encode does)`)
	try(jsonEscapeSlash(body), true, CodeJSONEscapedSlash, `the signature matches this JSON with / escaped as \/ (PHP's json_encode): something unescaped the slashes after it was signed`)
	try(jsonUnescapeUnicode(body), true, CodeJSONUnescapedUnicode, `the signature matches this JSON with its \uXXXX escapes written as the characters: something escaped them after it was signed`)
	try(jsonEscapeUnicode(body), true, CodeJSONEscapedUnicode, `the signature matches this JSON with non-ASCII characters escaped as \uXXXX (Python's ensure_ascii): something unescaped them after it was signed`)
	try(jsonEscapeHTML(body), true, CodeJSONEscapedHTML, `the signature matches this JSON with <, > and & escaped as \u003c, \u003e, \u0026 (Go's encoding/json): something unescaped them after it was signed`)
}

package signing_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// The providers New adds to GitHub, and the ones among them whose signature
// is an HMAC of the body (GitLab sends its token instead).
var (
	newProviders  = []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack, signing.ProviderShopify, signing.ProviderGitLab, signing.ProviderGitea}
	hmacProviders = []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack, signing.ProviderShopify, signing.ProviderGitea}
)

// The time and delivery id of the provider cases. The receiver's clock is
// injected as caseTime unless a case says otherwise.
var caseTime = time.Unix(1700000000, 0)

const caseID = "msg_hooklab_case_1"

// standardCaseKey is the 32-byte key behind the standard case secret.
const standardCaseKey = "hooklab-standard-case-key-32byte"

// providerSecret returns the secret of the provider cases, distinctive so
// that finding it in an error message cannot be a coincidence. The standard
// one is in the whsec_ form a Standard Webhooks sender hands out.
func providerSecret(provider string) string {
	switch provider {
	case signing.ProviderStandard:
		return "whsec_" + base64.StdEncoding.EncodeToString([]byte(standardCaseKey))
	case signing.ProviderStripe:
		return "whsec_hooklabStripeCaseSecret4Kf9"
	}
	return "hooklab-" + provider + "-case-secret-8Rw3"
}

// otherSecret returns a second valid secret for provider, n telling several apart.
func otherSecret(provider string, n int) string {
	if provider == signing.ProviderStandard {
		return "whsec_" + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "hooklab-other-standard-key-%05d", n))
	}
	return fmt.Sprintf("hooklab-%s-other-secret-%d", provider, n)
}

// mustNew returns the provider's scheme for secrets or fails the test.
func mustNew(tb testing.TB, provider string, opts signing.Options, secrets ...string) signing.Scheme {
	tb.Helper()
	s, err := signing.New(provider, secrets, opts)
	if err != nil {
		tb.Fatalf("New(%q, %d secrets): %v", provider, len(secrets), err)
	}
	return s
}

// mustSignMessage signs m with s or fails the test.
func mustSignMessage(tb testing.TB, s signing.Scheme, m signing.Message) http.Header {
	tb.Helper()
	h, err := s.Sign(m)
	if err != nil {
		tb.Fatalf("%s: Sign: %v", s.Name(), err)
	}
	return h
}

// caseMessage is body sent at caseTime with caseID.
func caseMessage(body []byte) signing.Message {
	return signing.Message{Body: body, ID: caseID, Time: caseTime}
}

// headerOf builds a header from name, value pairs, adding each so that a
// name given twice is sent twice.
func headerOf(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Add(pairs[i], pairs[i+1])
	}
	return h
}

// standardKeyOf decodes a whsec_ secret with encoding/base64 directly, not
// with signing.StandardKey.
func standardKeyOf(tb testing.TB, secret string) []byte {
	tb.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		tb.Fatalf("test secret %q does not decode: %v", secret, err)
	}
	return key
}

// Reference signatures, computed with crypto/hmac from each provider's
// documentation, independently of the package.

func stripeMAC(key []byte, t string, body []byte) []byte {
	return hmacSHA256(key, append([]byte(t+"."), body...))
}

func standardMAC(key []byte, id, t string, body []byte) []byte {
	return hmacSHA256(key, append([]byte(id+"."+t+"."), body...))
}

func slackMAC(key []byte, t string, body []byte) []byte {
	return hmacSHA256(key, append([]byte("v0:"+t+":"), body...))
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// providerCase is one delivery to a provider's scheme keyed with
// providerSecret, verified at caseTime with the default tolerance.
type providerCase struct {
	name    string
	header  http.Header
	body    []byte
	wantErr error // nil when the delivery verifies
	// errHeader is the header the error must name, when it is not the
	// scheme's signature header.
	errHeader string
}

// providerCases returns the deliveries that exercise provider's parser and
// verifier: the right signature in each accepted spelling, every malformed
// or missing header, and well-formed signatures that do not match.
func providerCases(tb testing.TB, provider string) []providerCase {
	tb.Helper()
	secret := providerSecret(provider)
	body := caseBody
	changed := flipLastByte(body)
	ts := unix(caseTime)
	otherKey := []byte("hooklab-not-the-secret")

	switch provider {
	case signing.ProviderStripe:
		key := []byte(secret)
		mac := hex.EncodeToString(stripeMAC(key, ts, body))
		wrong := hex.EncodeToString(stripeMAC(otherKey, ts, body))
		sig := func(items ...string) http.Header {
			return headerOf(signing.StripeSignatureHeader, strings.Join(items, ","))
		}
		return []providerCase{
			{name: "right signature", header: sig("t="+ts, "v1="+mac), body: body},
			{name: "right signature in upper-case hex", header: sig("t="+ts, "v1="+strings.ToUpper(mac)), body: body},
			{name: "v1 before t", header: sig("v1="+mac, "t="+ts), body: body},
			{name: "v0 and unknown keys are ignored", header: sig("t="+ts, "v1="+mac, "v0="+wrong, "foo=bar"), body: body},
			{name: "a spaced v1 is an unknown key, ignored as Stripe's libraries do", header: sig("t="+ts, "v1="+mac, " v1="+wrong), body: body},
			{name: "an item without =, which stripe-go refuses", header: sig("t="+ts, "v1="+mac, "novalue"), body: body, wantErr: signing.ErrMalformed},
			{name: "a trailing comma", header: sig("t="+ts, "v1="+mac, ""), body: body, wantErr: signing.ErrMalformed},
			{name: "an item with two =", header: sig("t="+ts, "v1="+mac, "v0=a=b"), body: body, wantErr: signing.ErrMalformed},
			{name: "a space after the comma", header: sig("t="+ts, " v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "two spaces after the comma, before t", header: sig("v1="+mac, "  t="+ts), body: body, wantErr: signing.ErrMalformed},
			{name: "a space before the comma", header: sig("t="+ts+" ", "v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "two v1, the second right", header: sig("t="+ts, "v1="+wrong, "v1="+mac), body: body},
			{name: "two v1, the first right", header: sig("t="+ts, "v1="+mac, "v1="+wrong), body: body},
			{name: "a v1 that is not hex, then the right one", header: sig("t="+ts, "v1=zz", "v1="+mac), body: body},
			{name: "missing header", header: http.Header{}, body: body, wantErr: signing.ErrMissing},
			{name: "header sent twice", header: headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+mac, signing.StripeSignatureHeader, "t="+ts+",v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "empty value", header: sig(""), body: body, wantErr: signing.ErrMalformed},
			{name: "no t", header: sig("v1=" + mac), body: body, wantErr: signing.ErrMalformed},
			{name: "empty t", header: sig("t=", "v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "no v1", header: sig("t=" + ts), body: body, wantErr: signing.ErrMalformed},
			{name: "only v0, with the right MAC", header: sig("t="+ts, "v0="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "only v2, with the right MAC", header: sig("t="+ts, "v2="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "v1 not hex", header: sig("t="+ts, "v1="+mac[:63]+"g"), body: body, wantErr: signing.ErrMalformed},
			{name: "v1 of 62 hex digits", header: sig("t="+ts, "v1="+mac[:62]), body: body, wantErr: signing.ErrMalformed},
			{name: "v1 of 66 hex digits", header: sig("t="+ts, "v1="+mac+"00"), body: body, wantErr: signing.ErrMalformed},
			{name: "v1 in base64", header: sig("t="+ts, "v1="+b64(stripeMAC(key, ts, body))), body: body, wantErr: signing.ErrMalformed},
			{name: "t not a number", header: sig("t=yesterday", "v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "t in milliseconds with a fraction", header: sig("t="+ts+".5", "v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "t negative", header: sig("t=-1", "v1="+mac), body: body, wantErr: signing.ErrMalformed},
			{name: "signature from another secret", header: sig("t="+ts, "v1="+wrong), body: body, wantErr: signing.ErrMismatch},
			{name: "right MAC only as v0, wrong v1", header: sig("t="+ts, "v1="+wrong, "v0="+mac), body: body, wantErr: signing.ErrMismatch},
			{name: "t changed by a second", header: sig("t="+unix(caseTime.Add(time.Second)), "v1="+mac), body: body, wantErr: signing.ErrMismatch},
			{name: "last byte of the signature changed", header: sig("t="+ts, "v1="+flipHexDigit(mac, len(mac)-1)), body: body, wantErr: signing.ErrMismatch},
			{name: "body changed by one byte", header: sig("t="+ts, "v1="+mac), body: changed, wantErr: signing.ErrMismatch},
		}

	case signing.ProviderStandard:
		key := standardKeyOf(tb, secret)
		mac := b64(standardMAC(key, caseID, ts, body))
		wrong := b64(standardMAC(otherKey, caseID, ts, body))
		full := func(sig string) http.Header {
			return headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, sig)
		}
		return []providerCase{
			{name: "right signature", header: full("v1," + mac), body: body},
			{name: "v1,bad v1,good", header: full("v1,bad v1," + mac), body: body},
			{name: "another secret's v1 then the right one", header: full("v1," + wrong + " v1," + mac), body: body},
			{name: "v2 then the right v1", header: full("v2," + mac + " v1," + mac), body: body},
			{name: "no headers", header: http.Header{}, body: body, wantErr: signing.ErrMissing, errHeader: signing.StandardSignatureHeader},
			{name: "missing id", header: headerOf(signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMissing, errHeader: signing.StandardIDHeader},
			{name: "missing timestamp", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMissing, errHeader: signing.StandardTimestampHeader},
			{name: "missing signature", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts), body: body, wantErr: signing.ErrMissing, errHeader: signing.StandardSignatureHeader},
			{name: "signature sent twice", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, "v1,"+mac, signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMalformed, errHeader: signing.StandardSignatureHeader},
			{name: "empty signature", header: full(""), body: body, wantErr: signing.ErrMalformed},
			{name: "v2 only, with the right MAC", header: full("v2," + mac), body: body, wantErr: signing.ErrMalformed},
			{name: "no version", header: full(mac), body: body, wantErr: signing.ErrMalformed},
			{name: "v1= instead of v1,", header: full("v1=" + mac), body: body, wantErr: signing.ErrMalformed},
			{name: "bad base64", header: full("v1,!!not*base64!!"), body: body, wantErr: signing.ErrMalformed},
			{name: "base64 of 31 bytes", header: full("v1," + b64(standardMAC(key, caseID, ts, body)[:31])), body: body, wantErr: signing.ErrMalformed},
			{name: "base64 of 33 bytes", header: full("v1," + b64(append(standardMAC(key, caseID, ts, body), 0))), body: body, wantErr: signing.ErrMalformed},
			{name: "hex instead of base64", header: full("v1," + hex.EncodeToString(standardMAC(key, caseID, ts, body))), body: body, wantErr: signing.ErrMalformed},
			{name: "timestamp not a number", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, "now", signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMalformed, errHeader: signing.StandardTimestampHeader},
			{name: "timestamp in milliseconds", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts+"000", signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrTimestamp, errHeader: signing.StandardTimestampHeader},
			{name: "signature from another secret", header: full("v1," + wrong), body: body, wantErr: signing.ErrMismatch},
			{name: "id changed", header: headerOf(signing.StandardIDHeader, caseID+"x", signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMismatch},
			{name: "timestamp changed by a second", header: headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, unix(caseTime.Add(time.Second)), signing.StandardSignatureHeader, "v1,"+mac), body: body, wantErr: signing.ErrMismatch},
			{name: "body changed by one byte", header: full("v1," + mac), body: changed, wantErr: signing.ErrMismatch},
		}

	case signing.ProviderSlack:
		key := []byte(secret)
		mac := hex.EncodeToString(slackMAC(key, ts, body))
		wrong := hex.EncodeToString(slackMAC(otherKey, ts, body))
		both := func(sig string) http.Header {
			return headerOf(signing.SlackTimestampHeader, ts, signing.SlackSignatureHeader, sig)
		}
		return []providerCase{
			{name: "right signature", header: both("v0=" + mac), body: body},
			{name: "right signature in upper-case hex", header: both("v0=" + strings.ToUpper(mac)), body: body},
			{name: "no headers", header: http.Header{}, body: body, wantErr: signing.ErrMissing},
			{name: "missing signature", header: headerOf(signing.SlackTimestampHeader, ts), body: body, wantErr: signing.ErrMissing},
			{name: "missing timestamp", header: headerOf(signing.SlackSignatureHeader, "v0="+mac), body: body, wantErr: signing.ErrMissing, errHeader: signing.SlackTimestampHeader},
			{name: "empty signature", header: both(""), body: body, wantErr: signing.ErrMalformed},
			{name: "no v0= prefix", header: both(mac), body: body, wantErr: signing.ErrMalformed},
			{name: "v1= instead of v0=", header: both("v1=" + mac), body: body, wantErr: signing.ErrMalformed},
			{name: "not hex", header: both("v0=" + mac[:63] + "g"), body: body, wantErr: signing.ErrMalformed},
			{name: "62 hex digits", header: both("v0=" + mac[:62]), body: body, wantErr: signing.ErrMalformed},
			{name: "timestamp not a number", header: headerOf(signing.SlackTimestampHeader, "soon", signing.SlackSignatureHeader, "v0="+mac), body: body, wantErr: signing.ErrMalformed, errHeader: signing.SlackTimestampHeader},
			{name: "signature from another secret", header: both("v0=" + wrong), body: body, wantErr: signing.ErrMismatch},
			{name: "timestamp changed by a second", header: headerOf(signing.SlackTimestampHeader, unix(caseTime.Add(-time.Second)), signing.SlackSignatureHeader, "v0="+mac), body: body, wantErr: signing.ErrMismatch},
			{name: "body changed by one byte", header: both("v0=" + mac), body: changed, wantErr: signing.ErrMismatch},
		}

	case signing.ProviderShopify:
		mac := hmacSHA256([]byte(secret), body)
		sig := func(v string) http.Header { return headerOf("X-Shopify-Hmac-Sha256", v) }
		return []providerCase{
			{name: "right signature", header: sig(b64(mac)), body: body},
			{name: "missing header", header: http.Header{}, body: body, wantErr: signing.ErrMissing},
			{name: "header sent twice", header: headerOf("X-Shopify-Hmac-Sha256", b64(mac), "X-Shopify-Hmac-Sha256", b64(mac)), body: body, wantErr: signing.ErrMalformed},
			{name: "empty", header: sig(""), body: body, wantErr: signing.ErrMalformed},
			{name: "not base64", header: sig("!!not*base64!!"), body: body, wantErr: signing.ErrMalformed},
			{name: "base64 of 31 bytes", header: sig(b64(mac[:31])), body: body, wantErr: signing.ErrMalformed},
			{name: "base64 without padding", header: sig(base64.RawStdEncoding.EncodeToString(mac)), body: body, wantErr: signing.ErrMalformed},
			{name: "hex instead of base64", header: sig(hex.EncodeToString(mac)), body: body, wantErr: signing.ErrMalformed},
			{name: "sha256= prefix", header: sig("sha256=" + b64(mac)), body: body, wantErr: signing.ErrMalformed},
			{name: "signature from another secret", header: sig(b64(hmacSHA256(otherKey, body))), body: body, wantErr: signing.ErrMismatch},
			{name: "body changed by one byte", header: sig(b64(mac)), body: changed, wantErr: signing.ErrMismatch},
		}

	case signing.ProviderGitea:
		mac := hex.EncodeToString(hmacSHA256([]byte(secret), body))
		sig := func(v string) http.Header { return headerOf("X-Gitea-Signature", v) }
		return []providerCase{
			{name: "right signature", header: sig(mac), body: body},
			{name: "right signature in upper-case hex", header: sig(strings.ToUpper(mac)), body: body},
			{name: "missing header", header: http.Header{}, body: body, wantErr: signing.ErrMissing},
			{name: "GitHub's header instead", header: githubHeader("sha256=" + mac), body: body, wantErr: signing.ErrMissing},
			{name: "header sent twice", header: headerOf("X-Gitea-Signature", mac, "X-Gitea-Signature", mac), body: body, wantErr: signing.ErrMalformed},
			{name: "empty", header: sig(""), body: body, wantErr: signing.ErrMalformed},
			{name: "with a sha256= prefix", header: sig("sha256=" + mac), body: body, wantErr: signing.ErrMalformed},
			{name: "not hex", header: sig(mac[:63] + "g"), body: body, wantErr: signing.ErrMalformed},
			{name: "62 hex digits", header: sig(mac[:62]), body: body, wantErr: signing.ErrMalformed},
			{name: "base64 instead of hex", header: sig(b64(hmacSHA256([]byte(secret), body))), body: body, wantErr: signing.ErrMalformed},
			{name: "signature from another secret", header: sig(hex.EncodeToString(hmacSHA256(otherKey, body))), body: body, wantErr: signing.ErrMismatch},
			{name: "body changed by one byte", header: sig(mac), body: changed, wantErr: signing.ErrMismatch},
		}

	case signing.ProviderGitLab:
		tok := func(v string) http.Header { return headerOf(signing.GitLabTokenHeader, v) }
		return []providerCase{
			{name: "right token", header: tok(secret), body: body},
			{name: "right token, body changed (GitLab signs no body)", header: tok(secret), body: changed},
			{name: "missing header", header: http.Header{}, body: body, wantErr: signing.ErrMissing},
			{name: "header sent twice", header: headerOf(signing.GitLabTokenHeader, secret, signing.GitLabTokenHeader, secret), body: body, wantErr: signing.ErrMalformed},
			{name: "empty", header: tok(""), body: body, wantErr: signing.ErrMalformed},
			{name: "wrong token", header: tok("hooklab-not-the-token"), body: body, wantErr: signing.ErrMismatch},
			{name: "the token without its last character", header: tok(secret[:len(secret)-1]), body: body, wantErr: signing.ErrMismatch},
			{name: "the token and one more character", header: tok(secret + "x"), body: body, wantErr: signing.ErrMismatch},
			{name: "the token in upper case", header: tok(strings.ToUpper(secret)), body: body, wantErr: signing.ErrMismatch},
			{name: "an HMAC of the body instead of the token", header: tok(hex.EncodeToString(hmacSHA256([]byte(secret), body))), body: body, wantErr: signing.ErrMismatch},
		}
	}
	tb.Fatalf("no cases for provider %q", provider)
	return nil
}

// beforeBody reports whether err is one Begin must return, before the body
// is read: everything but a mismatch.
func beforeBody(err error) bool {
	return err != nil && !errors.Is(err, signing.ErrMismatch)
}

func TestProviderBeginVerify(t *testing.T) {
	for _, p := range newProviders {
		s := mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance}, providerSecret(p))
		for _, tt := range providerCases(t, p) {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				v, err := s.Begin(tt.header, caseTime)
				if beforeBody(tt.wantErr) {
					if !errors.Is(err, tt.wantErr) || v != nil {
						t.Fatalf("Begin = %T, %v, want nil, %v", v, err, tt.wantErr)
					}
				} else {
					if err != nil {
						t.Fatalf("Begin = %v, want nil: only the body can decide this case", err)
					}
					v.Write(tt.body) //nolint:errcheck // Verifier writes never fail.
					err = v.Verify()
				}
				if oneShot := signing.Verify(s, tt.header, tt.body, caseTime); !errors.Is(oneShot, tt.wantErr) || (oneShot == nil) != (err == nil) {
					t.Errorf("Verify = %v, but Begin, Write, Verify = %v", oneShot, err)
				}
				if tt.wantErr == nil {
					if err != nil {
						t.Fatalf("error = %v, want nil", err)
					}
					return
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				for _, other := range []error{signing.ErrNoSecret, signing.ErrMissing, signing.ErrMalformed, signing.ErrMismatch, signing.ErrTimestamp} {
					if other != tt.wantErr && errors.Is(err, other) {
						t.Errorf("error %v is also %v", err, other)
					}
				}
				var se *signing.Error
				if !errors.As(err, &se) {
					t.Fatalf("error %v (%T) is not a *signing.Error", err, err)
				}
				wantHeader := tt.errHeader
				if wantHeader == "" {
					wantHeader = s.SignatureHeader()
				}
				if http.CanonicalHeaderKey(se.Header) != http.CanonicalHeaderKey(wantHeader) {
					t.Errorf("Error.Header = %q, want %q", se.Header, wantHeader)
				}
				if se.Detail == "" {
					t.Errorf("Error.Detail is empty: the message must say what to check")
				}
			})
		}
	}
}

// secretForms returns what no error may contain about secret: the secret,
// and for standard the base64 after whsec_ and the key it decodes to.
func secretForms(tb testing.TB, provider, secret string) []string {
	tb.Helper()
	out := []string{secret}
	if provider == signing.ProviderStandard {
		out = append(out, strings.TrimPrefix(secret, "whsec_"), string(standardKeyOf(tb, secret)))
	}
	return out
}

// expectedMACs returns the MACs a verifier of provider keyed with secret
// computes for body with the header's timestamp and id, and with caseTime
// and caseID: what an error message must not show.
func expectedMACs(tb testing.TB, provider, secret string, h http.Header, body []byte) [][]byte {
	tb.Helper()
	times := []string{unix(caseTime)}
	ids := []string{caseID}
	switch provider {
	case signing.ProviderStripe:
		for item := range strings.SplitSeq(h.Get(signing.StripeSignatureHeader), ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(item), "t="); ok {
				times = append(times, t)
			}
		}
	case signing.ProviderStandard:
		times = append(times, h.Get(signing.StandardTimestampHeader), h.Get(signing.SvixTimestampHeader))
		ids = append(ids, h.Get(signing.StandardIDHeader), h.Get(signing.SvixIDHeader))
	case signing.ProviderSlack:
		times = append(times, h.Get(signing.SlackTimestampHeader))
	}
	var macs [][]byte
	switch provider {
	case signing.ProviderStripe:
		for _, t := range times {
			macs = append(macs, stripeMAC([]byte(secret), t, body))
		}
	case signing.ProviderStandard:
		key := standardKeyOf(tb, secret)
		for _, t := range times {
			for _, id := range ids {
				macs = append(macs, standardMAC(key, id, t, body))
			}
		}
	case signing.ProviderSlack:
		for _, t := range times {
			macs = append(macs, slackMAC([]byte(secret), t, body))
		}
	case signing.ProviderShopify, signing.ProviderGitea, signing.ProviderGitHub:
		macs = append(macs, hmacSHA256([]byte(secret), body))
	}
	return macs
}

// mustNotLeak fails the test if err mentions any of secrets, in any form,
// or any MAC they give for the delivery.
func mustNotLeak(tb testing.TB, err error, provider string, h http.Header, body []byte, secrets ...string) {
	tb.Helper()
	for _, secret := range secrets {
		var forbidden []string
		for _, form := range secretForms(tb, provider, secret) {
			forbidden = append(forbidden, leaks(form)...)
		}
		forbidden = append(forbidden, leaks(secret, expectedMACs(tb, provider, secret, h, body)...)...)
		assertNoLeak(tb, err, forbidden)
	}
}

func TestProviderErrorsDoNotLeak(t *testing.T) {
	for _, p := range newProviders {
		secret := providerSecret(p)
		single := mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance}, secret)
		// The same deliveries to a receiver rotating secrets: the error must
		// not show the MAC under either.
		previous := otherSecret(p, 1)
		rotated := mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance}, secret, previous)
		for _, tt := range providerCases(t, p) {
			if tt.wantErr == nil {
				continue
			}
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				err := signing.Verify(single, tt.header, tt.body, caseTime)
				if err == nil {
					t.Fatal("Verify = nil, want an error")
				}
				mustNotLeak(t, err, p, tt.header, tt.body, secret)

				err = signing.Verify(rotated, tt.header, tt.body, caseTime)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("rotated: Verify = %v, want %v", err, tt.wantErr)
				}
				mustNotLeak(t, err, p, tt.header, tt.body, secret, previous)
			})
		}
	}
}

func TestProviderTolerance(t *testing.T) {
	const tol = signing.DefaultTolerance
	in2019 := time.Date(2019, time.March, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		tolerance time.Duration
		signedAt  time.Time
		now       time.Time
		wantErr   error
		wantWord  string // "old" or "future": which way the error says it is off
	}{
		{name: "now", tolerance: tol, signedAt: caseTime, now: caseTime},
		{name: "exactly the tolerance old", tolerance: tol, signedAt: caseTime, now: caseTime.Add(tol)},
		{name: "1s more than the tolerance old", tolerance: tol, signedAt: caseTime, now: caseTime.Add(tol + time.Second), wantErr: signing.ErrTimestamp, wantWord: "old"},
		{name: "exactly the tolerance in the future", tolerance: tol, signedAt: caseTime, now: caseTime.Add(-tol)},
		{name: "1s more than the tolerance in the future", tolerance: tol, signedAt: caseTime, now: caseTime.Add(-tol - time.Second), wantErr: signing.ErrTimestamp, wantWord: "future"},
		{name: "a 10s tolerance, 10s old", tolerance: 10 * time.Second, signedAt: caseTime, now: caseTime.Add(10 * time.Second)},
		{name: "a 10s tolerance, 11s old", tolerance: 10 * time.Second, signedAt: caseTime, now: caseTime.Add(11 * time.Second), wantErr: signing.ErrTimestamp, wantWord: "old"},
		{name: "a 10s tolerance, 11s in the future", tolerance: 10 * time.Second, signedAt: caseTime, now: caseTime.Add(-11 * time.Second), wantErr: signing.ErrTimestamp, wantWord: "future"},
		{name: "signed in 2019", tolerance: tol, signedAt: in2019, now: caseTime, wantErr: signing.ErrTimestamp, wantWord: "old"},
		{name: "tolerance 0 accepts a 2019 timestamp", tolerance: 0, signedAt: in2019, now: caseTime},
		{name: "tolerance 0 accepts a timestamp a year ahead", tolerance: 0, signedAt: caseTime.AddDate(1, 0, 0), now: caseTime},
		{name: "tolerance 0 accepts time 0", tolerance: 0, signedAt: time.Unix(0, 0), now: caseTime},
		// A time.Duration spans only ±292 years: a timestamp further ahead
		// than that must still be out of range, not overflow into it.
		{name: "signed in the year 5138", tolerance: tol, signedAt: time.Unix(99999999999, 0), now: caseTime, wantErr: signing.ErrTimestamp, wantWord: "future"},
		{name: "signed 300 years ahead", tolerance: tol, signedAt: caseTime.AddDate(300, 0, 0), now: caseTime, wantErr: signing.ErrTimestamp, wantWord: "future"},
		{name: "receiver clock at the zero time", tolerance: tol, signedAt: caseTime, now: time.Time{}, wantErr: signing.ErrTimestamp, wantWord: "future"},
		{name: "the largest timestamp", tolerance: tol, signedAt: time.Unix(math.MaxInt64, 0), now: caseTime, wantErr: signing.ErrTimestamp},
	}
	timestampHeader := map[string]string{
		signing.ProviderStripe:   signing.StripeSignatureHeader,
		signing.ProviderStandard: signing.StandardTimestampHeader,
		signing.ProviderSlack:    signing.SlackTimestampHeader,
	}
	for _, p := range []string{signing.ProviderStripe, signing.ProviderStandard, signing.ProviderSlack} {
		secret := providerSecret(p)
		for _, tt := range tests {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				s := mustNew(t, p, signing.Options{Tolerance: tt.tolerance}, secret)
				m := signing.Message{Body: caseBody, ID: caseID, Time: tt.signedAt}
				h := mustSignMessage(t, s, m)
				// The timestamp is checked before the body is read.
				v, err := s.Begin(h, tt.now)
				if tt.wantErr == nil {
					if err != nil {
						t.Fatalf("Begin = %v, want nil", err)
					}
					v.Write(caseBody) //nolint:errcheck // Verifier writes never fail.
					if err := v.Verify(); err != nil {
						t.Fatalf("Verify = %v, want nil", err)
					}
					return
				}
				if !errors.Is(err, tt.wantErr) || v != nil {
					t.Fatalf("Begin = %T, %v, want nil, %v", v, err, tt.wantErr)
				}
				var se *signing.Error
				if !errors.As(err, &se) || http.CanonicalHeaderKey(se.Header) != http.CanonicalHeaderKey(timestampHeader[p]) {
					t.Errorf("error = %#v, want a *signing.Error naming %s", err, timestampHeader[p])
				}
				if !strings.Contains(err.Error(), tt.wantWord) {
					t.Errorf("error %q does not say the timestamp is %q", err, tt.wantWord)
				}
				mustNotLeak(t, err, p, h, caseBody, secret)
				// The same delivery verifies once the check is off, so the
				// refusal above is the clock's and nothing else's.
				if err := signing.Verify(mustNew(t, p, signing.Options{}, secret), h, caseBody, tt.now); err != nil {
					t.Errorf("with tolerance 0: Verify = %v, want nil", err)
				}
			})
		}
	}
}

func TestProviderRotation(t *testing.T) {
	opts := signing.Options{Tolerance: signing.DefaultTolerance}
	for _, p := range newProviders {
		newSecret, oldSecret, third := otherSecret(p, 1), otherSecret(p, 2), otherSecret(p, 3)
		rotated := mustNew(t, p, opts, newSecret, oldSecret)
		tests := []struct {
			name    string
			signer  string
			wantErr error
		}{
			{name: "signed with the new secret", signer: newSecret},
			{name: "signed with the old secret", signer: oldSecret},
			{name: "signed with neither", signer: third, wantErr: signing.ErrMismatch},
		}
		for _, tt := range tests {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				h := mustSignMessage(t, mustNew(t, p, opts, tt.signer), caseMessage(caseBody))
				err := signing.Verify(rotated, h, caseBody, caseTime)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
				}
				mustNotLeak(t, err, p, h, caseBody, newSecret, oldSecret)
			})
		}
		t.Run(p+"/Sign uses the first secret", func(t *testing.T) {
			got := mustSignMessage(t, rotated, caseMessage(caseBody))
			want := mustSignMessage(t, mustNew(t, p, opts, newSecret), caseMessage(caseBody))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Sign = %v, want %v (signed with the first secret)", got, want)
			}
			if err := signing.Verify(mustNew(t, p, opts, oldSecret), got, caseBody, caseTime); !errors.Is(err, signing.ErrMismatch) {
				t.Errorf("the old secret alone: Verify = %v, want ErrMismatch", err)
			}
		})
	}
}

// listedSignatures splits a signature header of stripe or standard into its
// fixed part (t= for stripe, nothing for standard) and its signatures.
func listedSignatures(tb testing.TB, provider string, h http.Header) (fixed string, sigs []string) {
	tb.Helper()
	switch provider {
	case signing.ProviderStripe:
		items := strings.Split(h.Get(signing.StripeSignatureHeader), ",")
		if len(items) < 2 || !strings.HasPrefix(items[0], "t=") {
			tb.Fatalf("%s = %q, want t= then v1= entries", signing.StripeSignatureHeader, h.Get(signing.StripeSignatureHeader))
		}
		for _, item := range items[1:] {
			if !strings.HasPrefix(item, "v1=") {
				tb.Fatalf("%s has entry %q, want only v1= after t=", signing.StripeSignatureHeader, item)
			}
		}
		return items[0], items[1:]
	case signing.ProviderStandard:
		sigs := strings.Split(h.Get(signing.StandardSignatureHeader), " ")
		for _, sig := range sigs {
			if !strings.HasPrefix(sig, "v1,") {
				tb.Fatalf("%s has entry %q, want only v1, entries", signing.StandardSignatureHeader, sig)
			}
		}
		return "", sigs
	}
	tb.Fatalf("%s lists no signatures", provider)
	return "", nil
}

// withSignature returns h with its signature list replaced by sig alone.
func withSignature(provider string, h http.Header, fixed, sig string) http.Header {
	out := h.Clone()
	if provider == signing.ProviderStripe {
		out.Set(signing.StripeSignatureHeader, fixed+","+sig)
	} else {
		out.Set(signing.StandardSignatureHeader, sig)
	}
	return out
}

func TestProviderSignWithAll(t *testing.T) {
	for _, p := range []string{signing.ProviderStripe, signing.ProviderStandard} {
		secrets := []string{otherSecret(p, 1), otherSecret(p, 2), otherSecret(p, 3)}
		t.Run(p+"/one signature per secret", func(t *testing.T) {
			all := mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance, SignWithAll: true}, secrets...)
			h := mustSignMessage(t, all, caseMessage(caseBody))
			fixed, sigs := listedSignatures(t, p, h)
			if len(sigs) != len(secrets) {
				t.Fatalf("Sign with all of %d secrets gave %d signatures: %v", len(secrets), len(sigs), h)
			}
			for i, sig := range sigs {
				alone := withSignature(p, h, fixed, sig)
				for j, secret := range secrets {
					var want error
					if i != j {
						want = signing.ErrMismatch
					}
					err := signing.Verify(mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance}, secret), alone, caseBody, caseTime)
					if !errors.Is(err, want) {
						t.Errorf("signature %d under secret %d alone: Verify = %v, want %v", i, j, err, want)
					}
				}
			}
			// The whole header verifies under each secret alone, since any
			// listed signature may match.
			for j, secret := range secrets {
				if err := signing.Verify(mustNew(t, p, signing.Options{}, secret), h, caseBody, caseTime); err != nil {
					t.Errorf("the whole header under secret %d alone: Verify = %v, want nil", j, err)
				}
			}
		})
		t.Run(p+"/without it, one signature", func(t *testing.T) {
			h := mustSignMessage(t, mustNew(t, p, signing.Options{}, secrets...), caseMessage(caseBody))
			if _, sigs := listedSignatures(t, p, h); len(sigs) != 1 {
				t.Errorf("Sign without SignWithAll gave %d signatures, want 1: %v", len(sigs), h)
			}
		})
		t.Run(p+"/one secret, one signature", func(t *testing.T) {
			h := mustSignMessage(t, mustNew(t, p, signing.Options{SignWithAll: true}, secrets[0]), caseMessage(caseBody))
			if _, sigs := listedSignatures(t, p, h); len(sigs) != 1 {
				t.Errorf("SignWithAll with one secret gave %d signatures, want 1: %v", len(sigs), h)
			}
		})
	}
	for _, p := range []string{signing.ProviderSlack, signing.ProviderShopify, signing.ProviderGitea, signing.ProviderGitLab} {
		t.Run(p+"/changes nothing", func(t *testing.T) {
			secrets := []string{otherSecret(p, 1), otherSecret(p, 2)}
			with := mustSignMessage(t, mustNew(t, p, signing.Options{SignWithAll: true}, secrets...), caseMessage(caseBody))
			without := mustSignMessage(t, mustNew(t, p, signing.Options{}, secrets...), caseMessage(caseBody))
			if !reflect.DeepEqual(with, without) {
				t.Errorf("SignWithAll: Sign = %v, without it %v", with, without)
			}
			if err := signing.Verify(mustNew(t, p, signing.Options{}, secrets[1]), with, caseBody, caseTime); !errors.Is(err, signing.ErrMismatch) {
				t.Errorf("the second secret alone: Verify = %v, want ErrMismatch: only the first signs", err)
			}
		})
	}
}

func TestProviderKeyDecoding(t *testing.T) {
	// A secret in the whsec_ form both providers hand out: the Standard
	// Webhooks test secret (standard-webhooks/standard-webhooks
	// libraries/go/webhook_test.go), whose text after whsec_ is valid base64.
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	decoded := standardKeyOf(t, secret)
	ts := unix(caseTime)
	body := caseBody

	tests := []struct {
		name     string
		provider string
		key      []byte
		wantErr  error
	}{
		{name: "standard keyed with the decoded secret", provider: signing.ProviderStandard, key: decoded},
		{name: "standard keyed with the whole whsec_ string", provider: signing.ProviderStandard, key: []byte(secret), wantErr: signing.ErrMismatch},
		{name: "standard keyed with the base64 text", provider: signing.ProviderStandard, key: []byte(strings.TrimPrefix(secret, "whsec_")), wantErr: signing.ErrMismatch},
		{name: "stripe keyed with the whole whsec_ string", provider: signing.ProviderStripe, key: []byte(secret)},
		{name: "stripe keyed with the decoded secret", provider: signing.ProviderStripe, key: decoded, wantErr: signing.ErrMismatch},
		{name: "stripe keyed with the text after whsec_", provider: signing.ProviderStripe, key: []byte(strings.TrimPrefix(secret, "whsec_")), wantErr: signing.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Header
			if tt.provider == signing.ProviderStripe {
				h = headerOf(signing.StripeSignatureHeader, "t="+ts+",v1="+hex.EncodeToString(stripeMAC(tt.key, ts, body)))
			} else {
				h = headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts,
					signing.StandardSignatureHeader, "v1,"+b64(standardMAC(tt.key, caseID, ts, body)))
			}
			s := mustNew(t, tt.provider, signing.Options{Tolerance: signing.DefaultTolerance}, secret)
			err := signing.Verify(s, h, body, caseTime)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			mustNotLeak(t, err, tt.provider, h, body, secret)
			// Sign agrees with the reference keyed the right way.
			if tt.wantErr == nil {
				if got := mustSignMessage(t, s, caseMessage(body)); !reflect.DeepEqual(got, h) {
					t.Errorf("Sign = %v, want %v", got, h)
				}
			}
		})
	}
}

func TestStandardKey(t *testing.T) {
	key24 := []byte("twenty-four-byte-key-24b")
	key32 := []byte(standardCaseKey)
	key23 := key24[:23]
	tests := []struct {
		name    string
		secret  string
		want    []byte
		wantErr string // a phrase the error must contain; empty when none
	}{
		{name: "whsec_ and 32 bytes", secret: "whsec_" + b64(key32), want: key32},
		{name: "32 bytes without the prefix", secret: b64(key32), want: key32},
		{name: "whsec_ and 24 bytes", secret: "whsec_" + b64(key24), want: key24},
		{name: "24 bytes without the prefix", secret: b64(key24), want: key24},
		{name: "whsec_ and 23 bytes", secret: "whsec_" + b64(key23), wantErr: "24"},
		{name: "23 bytes without the prefix", secret: b64(key23), wantErr: "24"},
		{name: "whsec_ alone", secret: "whsec_", wantErr: "24"},
		{name: "not base64", secret: "whsec_hooklab!not*base64@secret#value", wantErr: "base64"},
		{name: "URL-safe base64", secret: "whsec_" + base64.URLEncoding.EncodeToString(append([]byte{0xfb, 0xff}, key32...)), wantErr: "base64"},
		{name: "base64 without padding, as the Node libraries accept it", secret: "whsec_" + base64.RawStdEncoding.EncodeToString(key32), want: key32},
		{name: "24 bytes need no padding", secret: "whsec_" + base64.RawStdEncoding.EncodeToString(key24), want: key24},
		{name: "half the padding", secret: "whsec_" + strings.TrimSuffix(base64.StdEncoding.EncodeToString(key32[:31]), "="), wantErr: "base64"},
		{name: "31 bytes without padding", secret: "whsec_" + base64.RawStdEncoding.EncodeToString(key32[:31]), want: key32[:31]},
		{name: "the prefix twice", secret: "whsec_whsec_" + b64(key32), wantErr: "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signing.StandardKey(tt.secret)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, tt.want) {
					t.Fatalf("StandardKey = %q, %v, want %q, nil", got, err, tt.want)
				}
				if _, err := signing.New(signing.ProviderStandard, []string{tt.secret}, signing.Options{}); err != nil {
					t.Errorf("New(standard) = %v, want nil", err)
				}
				return
			}
			if err == nil || got != nil {
				t.Fatalf("StandardKey = %q, %v, want nil and an error", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			body := strings.TrimPrefix(tt.secret, "whsec_")
			assertNoLeak(t, err, []string{tt.secret, body})
			// New reports the same configuration error, for the first
			// secret or a later one.
			for _, secrets := range [][]string{{tt.secret}, {"whsec_" + b64(key32), tt.secret}} {
				s, newErr := signing.New(signing.ProviderStandard, secrets, signing.Options{})
				if newErr == nil || s != nil {
					t.Fatalf("New(standard, %q) = %v, %v, want an error", secrets, s, newErr)
				}
				if !strings.Contains(newErr.Error(), tt.wantErr) {
					t.Errorf("New error %q does not mention %q", newErr, tt.wantErr)
				}
				assertNoLeak(t, newErr, []string{tt.secret, body})
			}
		})
	}
}

func TestNew(t *testing.T) {
	if got, want := signing.Providers(), []string{"github", "stripe", "standard", "slack", "shopify", "gitlab", "gitea"}; !slices.Equal(got, want) {
		t.Fatalf("Providers() = %q, want %q", got, want)
	}
	wantHeader := map[string]string{
		signing.ProviderGitHub:   "X-Hub-Signature-256",
		signing.ProviderStripe:   "Stripe-Signature",
		signing.ProviderStandard: "webhook-signature",
		signing.ProviderSlack:    "X-Slack-Signature",
		signing.ProviderShopify:  "X-Shopify-Hmac-Sha256",
		signing.ProviderGitLab:   "X-Gitlab-Token",
		signing.ProviderGitea:    "X-Gitea-Signature",
	}
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			s := mustNew(t, p, signing.Options{}, providerSecret(p))
			if s.Name() != p {
				t.Errorf("Name() = %q, want %q", s.Name(), p)
			}
			if s.SignatureHeader() != wantHeader[p] {
				t.Errorf("SignatureHeader() = %q, want %q", s.SignatureHeader(), wantHeader[p])
			}
			// What Sign writes verifies: the round trip of every provider.
			h := mustSignMessage(t, s, caseMessage(caseBody))
			if h.Get(s.SignatureHeader()) == "" {
				t.Errorf("Sign wrote no %s: %v", s.SignatureHeader(), h)
			}
			if err := signing.Verify(s, h, caseBody, caseTime); err != nil {
				t.Errorf("Verify(Sign(body)) = %v, want nil", err)
			}
		})
	}
}

func TestNewUnknownProvider(t *testing.T) {
	for _, name := range []string{"", "GitHub", "Stripe", "svix", "bitbucket", "standard-webhooks"} {
		t.Run(name, func(t *testing.T) {
			s, err := signing.New(name, []string{"hooklab-unknown-provider-secret"}, signing.Options{})
			if err == nil || s != nil {
				t.Fatalf("New(%q) = %v, %v, want an error", name, s, err)
			}
			for _, p := range signing.Providers() {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not list provider %q", err, p)
				}
			}
			assertNoLeak(t, err, []string{"hooklab-unknown-provider-secret"})
		})
	}
}

func TestNewNoSecret(t *testing.T) {
	for _, p := range signing.Providers() {
		good := providerSecret(p)
		tests := []struct {
			name    string
			secrets []string
		}{
			{name: "nil", secrets: nil},
			{name: "no secret", secrets: []string{}},
			{name: "empty secret", secrets: []string{""}},
			{name: "second secret empty", secrets: []string{good, ""}},
			{name: "first secret empty", secrets: []string{"", good}},
		}
		for _, tt := range tests {
			t.Run(p+"/"+tt.name, func(t *testing.T) {
				s, err := signing.New(p, tt.secrets, signing.Options{Tolerance: signing.DefaultTolerance, SignWithAll: true})
				if !errors.Is(err, signing.ErrNoSecret) {
					t.Errorf("New(%q, %q) error = %v, want ErrNoSecret", p, tt.secrets, err)
				}
				if s != nil {
					t.Errorf("New(%q, %q) returned a scheme along with its error", p, tt.secrets)
				}
			})
		}
	}
}

// svixHeader is the svix-* spelling of a standard delivery.
func svixHeader(id, ts, sig string) http.Header {
	return headerOf(signing.SvixIDHeader, id, signing.SvixTimestampHeader, ts, signing.SvixSignatureHeader, sig)
}

func TestStandardSvixNames(t *testing.T) {
	secret := providerSecret(signing.ProviderStandard)
	s := mustNew(t, signing.ProviderStandard, signing.Options{Tolerance: signing.DefaultTolerance}, secret)
	key := standardKeyOf(t, secret)
	ts := unix(caseTime)
	good := "v1," + b64(standardMAC(key, caseID, ts, caseBody))
	bad := "v1," + b64(standardMAC([]byte("hooklab-not-the-key"), caseID, ts, caseBody))
	webhook := func(sig string) http.Header {
		return headerOf(signing.StandardIDHeader, caseID, signing.StandardTimestampHeader, ts, signing.StandardSignatureHeader, sig)
	}
	merge := func(a, b http.Header) http.Header {
		out := a.Clone()
		for k, v := range b {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name       string
		header     http.Header
		body       []byte
		wantErr    error
		wantHeader string // the header an error names
	}{
		{name: "svix-* names", header: svixHeader(caseID, ts, good), body: caseBody},
		{name: "svix-* names, body changed", header: svixHeader(caseID, ts, good), body: flipLastByte(caseBody), wantErr: signing.ErrMismatch, wantHeader: signing.SvixSignatureHeader},
		{name: "svix-* names, wrong signature", header: svixHeader(caseID, ts, bad), body: caseBody, wantErr: signing.ErrMismatch, wantHeader: signing.SvixSignatureHeader},
		{name: "svix-* names, v2 only", header: svixHeader(caseID, ts, "v2,"+good[3:]), body: caseBody, wantErr: signing.ErrMalformed, wantHeader: signing.SvixSignatureHeader},
		{name: "svix-* names, missing svix-id", header: headerOf(signing.SvixTimestampHeader, ts, signing.SvixSignatureHeader, good), body: caseBody, wantErr: signing.ErrMissing, wantHeader: signing.SvixIDHeader},
		{name: "svix-* names, stale", header: svixHeader(caseID, unix(caseTime.Add(-time.Hour)), "v1,"+b64(standardMAC(key, caseID, unix(caseTime.Add(-time.Hour)), caseBody))), body: caseBody, wantErr: signing.ErrTimestamp, wantHeader: signing.SvixTimestampHeader},
		{name: "both, webhook-* right and svix-* wrong", header: merge(webhook(good), svixHeader("msg_other", ts, bad)), body: caseBody},
		{name: "both, webhook-* wrong and svix-* right", header: merge(webhook(bad), svixHeader(caseID, ts, good)), body: caseBody, wantErr: signing.ErrMismatch, wantHeader: signing.StandardSignatureHeader},
		{name: "both, webhook-* malformed and svix-* right", header: merge(webhook("v1,!!"), svixHeader(caseID, ts, good)), body: caseBody, wantErr: signing.ErrMalformed, wantHeader: signing.StandardSignatureHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signing.Verify(s, tt.header, tt.body, caseTime)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			var se *signing.Error
			if !errors.As(err, &se) || http.CanonicalHeaderKey(se.Header) != http.CanonicalHeaderKey(tt.wantHeader) {
				t.Errorf("error = %#v, want a *signing.Error naming %s", err, tt.wantHeader)
			}
			mustNotLeak(t, err, signing.ProviderStandard, tt.header, tt.body, secret)
		})
	}
}

func TestProviderStreaming(t *testing.T) {
	body := make([]byte, 3000)
	rand.NewChaCha8([32]byte{'p', 'r', 'o', 'v', 'i', 'd', 'e', 'r'}).Read(body) //nolint:errcheck // ChaCha8.Read never fails.
	chunkers := []struct {
		name  string
		split chunker
	}{
		{name: "one byte at a time", split: byteAtATime},
		{name: "random splits", split: randomSplits(7)},
	}
	for _, p := range hmacProviders {
		s := mustNew(t, p, signing.Options{Tolerance: signing.DefaultTolerance}, providerSecret(p))
		other := mustNew(t, p, signing.Options{}, otherSecret(p, 1))
		deliveries := []struct {
			name    string
			header  http.Header
			body    []byte
			wantErr error
		}{
			{name: "matching", header: mustSignMessage(t, s, caseMessage(body)), body: body},
			{name: "other secret", header: mustSignMessage(t, other, caseMessage(body)), body: body, wantErr: signing.ErrMismatch},
			{name: "last byte changed", header: mustSignMessage(t, s, caseMessage(body)), body: flipLastByte(body), wantErr: signing.ErrMismatch},
			{name: "first byte changed", header: mustSignMessage(t, s, caseMessage(body)), body: append([]byte{body[0] ^ 1}, body[1:]...), wantErr: signing.ErrMismatch},
			{name: "empty body", header: mustSignMessage(t, s, caseMessage(nil)), body: nil},
		}
		for _, d := range deliveries {
			oneShot := signing.Verify(s, d.header, d.body, caseTime)
			if !errors.Is(oneShot, d.wantErr) {
				t.Fatalf("%s/%s: one write: Verify = %v, want %v", p, d.name, oneShot, d.wantErr)
			}
			for _, c := range chunkers {
				t.Run(p+"/"+d.name+"/"+c.name, func(t *testing.T) {
					v, err := s.Begin(d.header, caseTime)
					if err != nil {
						t.Fatalf("Begin = %v", err)
					}
					var written []byte
					for _, piece := range c.split(d.body) {
						if n, err := v.Write(piece); n != len(piece) || err != nil {
							t.Fatalf("Write(%d bytes) = %d, %v, want %d, nil", len(piece), n, err, len(piece))
						}
						written = append(written, piece...)
					}
					if !bytes.Equal(written, d.body) {
						t.Fatal("the chunks do not add up to the body")
					}
					if err := v.Verify(); !errors.Is(err, d.wantErr) || (err == nil) != (oneShot == nil) {
						t.Errorf("streamed Verify = %v, one write gave %v", err, oneShot)
					}
				})
			}
		}
	}
}

// NewSecret makes each provider's secret in the form its scheme takes, from
// 32 bytes of random; a failing random is an error.
func TestNewSecret(t *testing.T) {
	random := bytes.Repeat([]byte{0xab}, 32)
	for _, p := range signing.Providers() {
		t.Run(p, func(t *testing.T) {
			s, err := signing.NewSecret(p, bytes.NewReader(random))
			if err != nil {
				t.Fatal(err)
			}
			want := hex.EncodeToString(random)
			if p == signing.ProviderStandard {
				want = "whsec_" + base64.StdEncoding.EncodeToString(random)
			}
			if s != want {
				t.Errorf("NewSecret = %q, want %q", s, want)
			}
			if _, err := signing.New(p, []string{s}, signing.Options{}); err != nil {
				t.Errorf("the scheme refuses the secret it made: %v", err)
			}
		})
	}
	if _, err := signing.NewSecret(signing.ProviderGitHub, bytes.NewReader(random[:5])); err == nil {
		t.Error("NewSecret with 5 random bytes: no error")
	}
}

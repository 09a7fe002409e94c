package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// ScenariosFor returns the matrix for a provider: GitHub's is Scenarios();
// the others keep the scenarios that apply to their scheme, drop those that
// do not (GitLab signs nothing, only GitHub has SHA-1 and ping), and add
// their own: stale and future timestamps, several signatures of which one is
// right, and a signature with another version tag.
func ScenariosFor(providerName string) ([]Scenario, error) {
	if providerName == "" || providerName == signing.ProviderGitHub {
		return Scenarios(), nil
	}
	prov, err := provider.Lookup(providerName)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSelection, err)
	}
	t := traitsOf(prov)
	first := fixtures.ForProvider(prov.Name)[0].Name
	valid := func(edit func(*sender.Request)) func(b *builder) (*sender.Request, error) {
		return func(b *builder) (*sender.Request, error) { return b.make(first, nil, edit) }
	}
	changed := func(change func(*sender.Delivery)) func(b *builder) (*sender.Request, error) {
		return func(b *builder) (*sender.Request, error) { return b.make(first, change, nil) }
	}
	withSig := func(f func(prefix, mac string) string) func(*sender.Request) {
		return func(r *sender.Request) {
			prefix, mac := t.split(r.Get(t.header))
			r.Set(t.header, f(prefix, mac))
		}
	}
	var out []Scenario
	add := func(applies bool, s Scenario) {
		if applies {
			out = append(out, s)
		}
	}
	add(true, Scenario{Name: "valid", security: true, Sent: "a " + first + " delivery, signed as " + prov.Name + " signs", Expect: status(http.StatusOK),
		build: valid(nil)})
	add(t.form, Scenario{Name: "valid-form", Sent: "form-encoded payload=, signed over the form body", Expect: status(http.StatusOK),
		build: changed(func(d *sender.Delivery) { d.ContentType = sender.ContentForm })})
	add(prov.Name == signing.ProviderSlack, Scenario{Name: "url-verification", Sent: "Slack's url_verification, whose challenge must come back",
		Expect: status(http.StatusOK), build: func(b *builder) (*sender.Request, error) { return b.make("slack/url_verification", nil, nil) },
		answered: challengeEchoed("slack/url_verification")})
	add(true, Scenario{Name: "unknown-event", Sent: "a valid delivery of an event type no receiver knows", Expect: status(http.StatusOK),
		build: changed(func(d *sender.Delivery) { setEvent(prov, d, "hooklab.unknown_event") })})
	add(t.multi, Scenario{Name: "several-signatures", Sent: "two signatures, one with another secret and then the right one", Expect: status(http.StatusOK),
		build: func(b *builder) (*sender.Request, error) {
			return b.make(first, func(d *sender.Delivery) {
				d.OtherSecrets, d.Secret, d.SignWithAll = []string{d.Secret}, sender.WrongSecret(prov.Name, d.Secret), true
			}, nil)
		}})
	add(true, Scenario{Name: "signature-missing", security: true, Sent: "no " + t.header + " header", Expect: status(http.StatusUnauthorized),
		build: changed(func(d *sender.Delivery) { d.Signature = sender.SignatureMissing })})
	add(true, Scenario{Name: "wrong-secret", security: true, Sent: "signed with another secret", Expect: status(http.StatusUnauthorized),
		build: changed(func(d *sender.Delivery) { d.Signature = sender.SignatureWrong })})
	add(t.hmac, Scenario{Name: "body-changed", security: true, Sent: "a newline added to the body after signing", Expect: status(http.StatusUnauthorized),
		build: valid(func(r *sender.Request) { r.Body = append(r.Body[:len(r.Body):len(r.Body)], '\n') })})
	add(t.prefix != "", Scenario{Name: "signature-no-prefix", security: true, Sent: "the signature without " + t.prefix, Expect: status(http.StatusUnauthorized),
		build: valid(withSig(func(prefix, mac string) string { return strings.TrimSuffix(prefix, t.prefix) + mac }))})
	add(t.hmac, Scenario{Name: "signature-not-" + t.encoding, security: true, Sent: "a signature of the right length that is not " + t.encoding, Expect: status(http.StatusUnauthorized),
		build: valid(withSig(func(prefix, mac string) string { return prefix + strings.Repeat("!", len(mac)) }))})
	add(t.hmac, Scenario{Name: "signature-truncated", security: true, Sent: "the valid signature cut in half", Expect: status(http.StatusUnauthorized),
		build: valid(withSig(func(prefix, mac string) string { return prefix + mac[:len(mac)/2] }))})
	add(true, Scenario{Name: "signature-empty", security: true, Sent: t.header + " with an empty value", Expect: status(http.StatusUnauthorized),
		build: valid(func(r *sender.Request) { r.Set(t.header, "") })})
	add(t.version != "", Scenario{Name: "other-version", security: true, Sent: "the signature tagged " + t.version + " instead", Expect: status(http.StatusUnauthorized),
		build: valid(withSig(func(prefix, mac string) string { return strings.Replace(prefix, t.versionOf, t.version, 1) + mac }))})
	add(t.timestamped, Scenario{Name: "timestamp-stale", security: true, Sent: "signed twice the tolerance ago", Expect: status(http.StatusUnauthorized),
		build: func(b *builder) (*sender.Request, error) {
			return b.make(first, func(d *sender.Delivery) { d.Time = d.Time.Add(-2 * b.tolerance) }, nil)
		}})
	add(t.timestamped, Scenario{Name: "timestamp-future", Sent: "signed twice the tolerance ahead", Expect: status(http.StatusUnauthorized),
		build: func(b *builder) (*sender.Request, error) {
			return b.make(first, func(d *sender.Delivery) { d.Time = d.Time.Add(2 * b.tolerance) }, nil)
		}})
	add(true, Scenario{Name: "length-missing", Sent: "no Content-Length and no chunking", Expect: status(http.StatusLengthRequired),
		build: valid(func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthMissing} })})
	add(true, Scenario{Name: "chunked", Sent: "Transfer-Encoding: chunked", Expect: status(http.StatusLengthRequired),
		build: valid(func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthChunked} })})
	add(true, Scenario{Name: "length-over-body", Sent: "Content-Length 100 more than the body, then end of stream", Expect: status(http.StatusBadRequest),
		build: valid(func(r *sender.Request) {
			r.Length = sender.Length{Mode: sender.LengthDeclared, N: int64(len(r.Body)) + 100}
		})})
	add(t.hmac, Scenario{Name: "length-under-body", Sent: "Content-Length 10 less than the body", Expect: status(http.StatusUnauthorized),
		build: valid(func(r *sender.Request) {
			r.Length = sender.Length{Mode: sender.LengthDeclared, N: int64(len(r.Body)) - 10}
		})})
	add(true, Scenario{Name: "invalid-json", Sent: "a body that is not JSON, validly signed", Expect: status(http.StatusBadRequest),
		build: changed(func(d *sender.Delivery) { d.Payload = []byte(`{"type": "x", "data": [`) })})
	add(true, Scenario{Name: "empty-body", Sent: "an empty body, validly signed", Expect: status(http.StatusBadRequest),
		build: changed(func(d *sender.Delivery) { d.Payload = []byte{} })})
	add(true, Scenario{Name: "event-missing", Sent: "no event type (" + prov.EventSource() + ")", Expect: status(http.StatusBadRequest),
		build: changed(func(d *sender.Delivery) { setEvent(prov, d, "") })})
	add(true, Scenario{Name: "body-too-large", Sent: "Content-Length one byte over the size limit; the body is not sent",
		Expect: status(http.StatusRequestEntityTooLarge),
		build: func(b *builder) (*sender.Request, error) {
			return b.make(first, nil, func(r *sender.Request) {
				r.Body = nil
				r.Length = sender.Length{Mode: sender.LengthDeclared, N: b.maxBody + 1}
			})
		}})
	add(true, Scenario{Name: "wrong-method", Sent: "GET on the webhook path", Expect: status(http.StatusMethodNotAllowed),
		build: valid(func(r *sender.Request) {
			r.Method, r.Body = http.MethodGet, nil
			r.Length = sender.Length{Mode: sender.LengthMissing}
		})})
	add(true, Scenario{Name: "wrong-content-type", Sent: "Content-Type text/plain, validly signed", Expect: status(http.StatusUnsupportedMediaType),
		build: valid(func(r *sender.Request) { r.Set("Content-Type", "text/plain") })})
	add(t.form, Scenario{Name: "form-without-payload", Sent: "a form body with no payload field, validly signed", Expect: status(http.StatusBadRequest),
		build: func(b *builder) (*sender.Request, error) {
			return b.make(first,
				func(d *sender.Delivery) { d.Payload = []byte("ref=refs%2Fheads%2Fmain&commits=3") },
				func(r *sender.Request) { r.Set("Content-Type", "application/x-www-form-urlencoded") })
		}})
	add(true, Scenario{Name: "still-up", Sent: "one more valid delivery, after all of the above", Expect: status(http.StatusOK),
		build: valid(nil)})
	return out, nil
}

// challengeEchoed judges the answer to a Slack url_verification: Slack
// takes the challenge back as the whole body, as JSON {"challenge": ...} or
// as challenge=..., and fails the endpoint otherwise, whatever the status.
func challengeEchoed(fixture string) func(*sender.Response) string {
	return func(resp *sender.Response) string {
		f, _ := fixtures.Lookup(fixture)
		var body struct {
			Challenge string `json:"challenge"`
		}
		if json.Unmarshal(f.Body, &body) != nil || body.Challenge == "" {
			panic("check: fixture " + fixture + " has no challenge") // the scenario names an embedded fixture
		}
		if !bytes.Contains(resp.Body, []byte(body.Challenge)) {
			return "the answer does not hold the challenge; Slack wants it back, as the body or as JSON {\"challenge\": ...}"
		}
		return ""
	}
}

// traits are what decides which scenarios apply to a provider's scheme.
type traits struct {
	header      string // the signature header
	hmac        bool   // the body is signed (not GitLab's bare token)
	encoding    string // "hex" or "base64"
	prefix      string // what stands before the MAC ("v0=", "v1,", ...)
	version     string // another version tag, refused
	versionOf   string // the tag it replaces
	multi       bool   // the header lists several signatures
	timestamped bool
	form        bool // GitHub-style form mode
}

func traitsOf(p provider.Provider) traits {
	switch p.Name {
	case signing.ProviderStripe:
		return traits{header: signing.StripeSignatureHeader, hmac: true, encoding: "hex", prefix: "v1=",
			version: "v0=", versionOf: "v1=", multi: true, timestamped: true}
	case signing.ProviderStandard:
		return traits{header: signing.StandardSignatureHeader, hmac: true, encoding: "base64", prefix: "v1,",
			version: "v2,", versionOf: "v1,", multi: true, timestamped: true}
	case signing.ProviderSlack:
		return traits{header: signing.SlackSignatureHeader, hmac: true, encoding: "hex", prefix: "v0=",
			version: "v1=", versionOf: "v0=", timestamped: true}
	case signing.ProviderShopify:
		return traits{header: signing.ShopifySignatureHeader, hmac: true, encoding: "base64"}
	case signing.ProviderGitea:
		return traits{header: signing.GiteaSignatureHeader, hmac: true, encoding: "hex", form: true}
	case signing.ProviderGitLab:
		return traits{header: signing.GitLabTokenHeader}
	}
	return traits{header: signing.GitHubSignatureHeader, hmac: true, encoding: "hex", prefix: "sha256=", form: true}
}

// split cuts a signature header's value into what stands before the MAC
// (its timestamp and version tag) and the MAC: Stripe's "t=..,v1=" and hex,
// Standard's "v1," and base64, Slack's "v0=" and hex, or "" and the value.
func (t traits) split(value string) (prefix, mac string) {
	if t.prefix == "" {
		return "", value
	}
	i := strings.Index(value, t.prefix)
	if i < 0 {
		return "", value
	}
	return value[:i+len(t.prefix)], value[i+len(t.prefix):]
}

// setEvent names the event of a delivery as the provider does: in its
// header, or in the body's "type" (re-encoded: these are hooklab's own
// payloads, signed after the change). "" removes it.
func setEvent(p provider.Provider, d *sender.Delivery, event string) {
	if p.EventHeader != "" {
		d.Event = event // an empty event sends no header
		return
	}
	var body map[string]any
	if json.Unmarshal(d.Payload, &body) != nil {
		return
	}
	if event == "" {
		delete(body, "type")
	} else {
		body["type"] = event
	}
	d.Payload, _ = json.Marshal(body)
}

package sender

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

// SignatureMode says how a delivery is signed.
type SignatureMode string

// The signature modes.
const (
	// SignatureValid signs with the shared secret.
	SignatureValid SignatureMode = "valid"
	// SignatureWrong signs with a different secret, as a sender with a
	// stale or mistyped secret would.
	SignatureWrong SignatureMode = "wrong"
	// SignatureMissing sends no signature headers at all.
	SignatureMissing SignatureMode = "missing"
)

// ParseSignatureMode reads the --signature flag.
func ParseSignatureMode(s string) (SignatureMode, error) {
	switch m := SignatureMode(s); m {
	case SignatureValid, SignatureWrong, SignatureMissing:
		return m, nil
	}
	return "", fmt.Errorf("signature must be valid, wrong or missing, not %q", s)
}

// ContentType says how the payload is encoded in the body.
type ContentType string

// The content types GitHub can send.
const (
	// ContentJSON sends the payload as the body, application/json.
	ContentJSON ContentType = "json"
	// ContentForm sends payload=<urlencoded JSON>,
	// application/x-www-form-urlencoded; the signature covers that body.
	ContentForm ContentType = "form"
)

// ParseContentType reads the --content-type flag.
func ParseContentType(s string) (ContentType, error) {
	switch c := ContentType(s); c {
	case ContentJSON, ContentForm:
		return c, nil
	}
	return "", fmt.Errorf("content type must be json or form, not %q", s)
}

// GitHub's delivery headers.
const (
	HeaderEvent    = "X-GitHub-Event"
	HeaderDelivery = "X-GitHub-Delivery"
	HeaderHookID   = "X-GitHub-Hook-ID"
)

// Delivery is one GitHub-style webhook delivery to build.
type Delivery struct {
	// Provider names the scheme and headers (signing.ProviderGitHub when
	// empty).
	Provider    string
	URL         *url.URL
	Event       string // sent in the provider's event header, if it has one
	ID          string // the delivery id: the provider's id header, and signed by Standard Webhooks
	HookID      string // X-GitHub-Hook-ID
	UserAgent   string
	Payload     []byte // the JSON payload, sent byte for byte
	ContentType ContentType
	// Time is the signing time of the timestamped schemes.
	Time time.Time
	// Secret signs the body. With SignatureWrong the body is signed with
	// a secret derived from it that is sure to differ.
	Secret string
	// OtherSecrets sign too when SignWithAll is set (Stripe and Standard
	// Webhooks list one signature per secret, for secret rotation).
	OtherSecrets []string
	SignWithAll  bool
	Signature    SignatureMode
	Length       Length
	// Extra headers replace the built ones of the same name, or are added.
	// Host, Content-Length and Transfer-Encoding come from URL and Length.
	Extra []Field
}

// Body returns the bytes that will be sent and signed: the payload itself,
// or for the form content type, payload= and the payload URL-encoded.
func (d Delivery) Body() []byte {
	if d.ContentType == ContentForm {
		return []byte("payload=" + url.QueryEscape(string(d.Payload)))
	}
	return d.Payload
}

// WrongSecret returns a secret for provider that is sure to differ from
// secret and that the provider's scheme accepts (a Standard Webhooks secret
// must be whsec_ and base64).
//
// It is derived from a hash of the secret, so that it says nothing of it:
// GitLab's scheme sends its token as it is, to whatever receiver is tested.
func WrongSecret(providerName, secret string) string {
	sum := sha256.Sum256([]byte("hooklab wrong secret: " + secret))
	if providerName == signing.ProviderStandard {
		return "whsec_" + base64.StdEncoding.EncodeToString(sum[:])
	}
	return "wrong-" + hex.EncodeToString(sum[:16])
}

// Request builds the request the provider would send for d: its headers in
// the order it sends them, then the signature headers (the one the scheme
// checks first), then the extra headers.
func (d Delivery) Request() (*Request, error) {
	s, err := d.newSigner()
	if err != nil {
		return nil, err
	}
	return d.requestWith(s)
}

// deliverySigner is what signs a Delivery, built once: its provider and
// scheme. A load run builds it once and signs every request with it.
type deliverySigner struct {
	name   string
	prov   provider.Provider
	scheme signing.Scheme
}

// newSigner looks up d's provider and builds its signing scheme.
func (d Delivery) newSigner() (*deliverySigner, error) {
	name := d.Provider
	if name == "" {
		name = signing.ProviderGitHub
	}
	prov, err := provider.Lookup(name)
	if err != nil {
		return nil, err
	}
	secrets := append([]string{d.Secret}, d.OtherSecrets...)
	switch d.Signature {
	case SignatureValid, "":
		if d.Secret == "" {
			return nil, signing.ErrNoSecret
		}
	case SignatureWrong, SignatureMissing:
		// Missing signs too, with any secret, for the headers that come
		// with the signature (a timestamp, an id); the signature is dropped.
		secrets = []string{WrongSecret(name, d.Secret)}
	default:
		return nil, fmt.Errorf("unknown signature mode %q", d.Signature)
	}
	scheme, err := signing.New(name, secrets, signing.Options{SignWithAll: d.SignWithAll})
	if err != nil {
		return nil, err
	}
	return &deliverySigner{name: name, prov: prov, scheme: scheme}, nil
}

// requestWith builds d's request, signed by s (d's own signer).
func (d Delivery) requestWith(s *deliverySigner) (*Request, error) {
	prov, scheme := s.prov, s.scheme
	body := d.Body()
	req := &Request{URL: d.URL, Body: body, Length: d.Length}
	set := func(name, value string) {
		if name != "" && value != "" {
			req.Set(name, value)
		}
	}
	set("User-Agent", d.UserAgent)
	if d.ContentType == ContentForm {
		set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		set("Content-Type", "application/json")
	}
	set(prov.EventHeader, d.Event)
	set(prov.DeliveryHeader, d.ID)
	set(prov.DeliveryFallback, d.ID)
	set(prov.HookIDHeader, d.HookID)

	signed := body
	if prov.FormSignsPayload && d.ContentType == ContentForm {
		signed = d.Payload // Gitea signs the JSON inside the form
	}
	h, err := scheme.Sign(signing.Message{Body: signed, ID: d.ID, Time: d.Time})
	if err != nil {
		return nil, err
	}
	if d.Signature == SignatureMissing {
		h.Del(scheme.SignatureHeader())
		h.Del(signing.GitHubLegacySignatureHeader)
	}
	if v := h.Get(scheme.SignatureHeader()); v != "" {
		req.Set(scheme.SignatureHeader(), v)
		h.Del(scheme.SignatureHeader())
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		req.Set(k, h.Get(k))
	}
	for _, f := range d.Extra {
		req.Set(f.Name, f.Value)
	}
	return req, nil
}

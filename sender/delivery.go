package sender

import (
	"fmt"
	"net/url"

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
	URL         *url.URL
	Event       string
	ID          string // X-GitHub-Delivery
	HookID      string // X-GitHub-Hook-ID
	UserAgent   string
	Payload     []byte // the JSON payload, sent byte for byte
	ContentType ContentType
	// Secret signs the body. With SignatureWrong the body is signed with
	// a secret derived from it that is sure to differ.
	Secret    string
	Signature SignatureMode
	Length    Length
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

// Request builds the request GitHub would send for d: the headers in the
// order GitHub sends them, then the signatures, then the extra headers.
func (d Delivery) Request() (*Request, error) {
	body := d.Body()
	req := &Request{URL: d.URL, Body: body, Length: d.Length}
	set := func(name, value string) {
		if value != "" {
			req.Set(name, value)
		}
	}
	set("User-Agent", d.UserAgent)
	if d.ContentType == ContentForm {
		set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		set("Content-Type", "application/json")
	}
	set(HeaderEvent, d.Event)
	set(HeaderDelivery, d.ID)
	set(HeaderHookID, d.HookID)

	var secret string
	switch d.Signature {
	case SignatureValid, "":
		secret = d.Secret
		if secret == "" {
			return nil, signing.ErrNoSecret
		}
	case SignatureWrong:
		secret = d.Secret + "-but-not-the-shared-secret"
	case SignatureMissing:
	default:
		return nil, fmt.Errorf("unknown signature mode %q", d.Signature)
	}
	if secret != "" {
		scheme, err := signing.NewGitHub(secret)
		if err != nil {
			return nil, err
		}
		h, err := scheme.Sign(signing.Message{Body: body, ID: d.ID})
		if err != nil {
			return nil, err
		}
		req.Set(signing.GitHubSignatureHeader, h.Get(signing.GitHubSignatureHeader))
		req.Set(signing.GitHubLegacySignatureHeader, h.Get(signing.GitHubLegacySignatureHeader))
	}
	for _, f := range d.Extra {
		req.Set(f.Name, f.Value)
	}
	return req, nil
}

// Package replay sends captured deliveries (capture.Record) again, and
// exports them for other tools: as a curl command (Curl) or a HAR 1.2 log
// (HAR).
//
// By default a replay is verbatim: the recorded method, the body byte for
// byte and the recorded headers in their order and spelling, repeats kept,
// so an app with the same secret verifies the very signature the provider
// made. Options can sign the body afresh (a fresh timestamp, which
// Stripe, Slack and Standard Webhooks need once five minutes have passed)
// and give it a fresh delivery id (to get past an app's duplicate check).
//
// Select picks records from a capture by sequence number, event and
// status. The package does no I/O of its own: it builds sender.Requests,
// and the caller sends them.
package replay

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Filter says which records of a capture to replay. Its conditions all
// hold for a record that is selected; the zero Filter selects every record.
type Filter struct {
	// Seqs selects the records with these sequence numbers. A capture
	// file appended to by several listen runs may hold a number more than
	// once: each record with it is selected.
	Seqs []uint64
	// Last keeps only the last Last records of those the other conditions
	// select; 0 keeps them all.
	Last int
	// Event selects the records of this event type (the verdict's event):
	// one, or several separated by commas ("push,release").
	Event string
	// Status selects the records whose verdict had this status: a status
	// ("401"), a class ("4xx"), or several separated by commas.
	Status string
}

// ErrNoSeq is wrapped by Select's error when Filter.Seqs names a sequence
// number that no record has.
var ErrNoSeq = errors.New("no delivery with that seq in the capture")

// Select returns the records f selects, in the order of recs. It fails for
// a malformed Status or a negative Last, and with ErrNoSeq when a number
// in Seqs is not in recs at all. That nothing matches is not an error:
// the caller says what the capture holds instead.
func Select(recs []*capture.Record, f Filter) ([]*capture.Record, error) {
	if f.Last < 0 {
		return nil, fmt.Errorf("last must be a positive number of deliveries, not %d", f.Last)
	}
	status, err := parseStatus(f.Status)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, seq := range f.Seqs {
		if !slices.ContainsFunc(recs, func(r *capture.Record) bool { return r.Seq == seq }) {
			missing = append(missing, strconv.FormatUint(seq, 10))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoSeq, strings.Join(missing, ", "))
	}
	events := splitList(f.Event)
	var out []*capture.Record
	for _, r := range recs {
		switch {
		case len(f.Seqs) > 0 && !slices.Contains(f.Seqs, r.Seq):
		case len(events) > 0 && !slices.Contains(events, r.Verdict.Event):
		case status != nil && !status(r.Verdict.Status):
		default:
			out = append(out, r)
		}
	}
	if f.Last > 0 && len(out) > f.Last {
		out = out[len(out)-f.Last:]
	}
	return out, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseStatus reads a Filter's Status: nil for "", else a predicate.
func parseStatus(s string) (func(int) bool, error) {
	items := splitList(s)
	if len(items) == 0 {
		if strings.TrimSpace(s) != "" {
			return nil, fmt.Errorf("status must be a status such as 401 or a class such as 4xx, not %q", s)
		}
		return nil, nil
	}
	var codes, classes []int
	for _, item := range items {
		lower := strings.ToLower(item)
		if len(lower) == 3 && strings.HasSuffix(lower, "xx") && lower[0] >= '1' && lower[0] <= '5' {
			classes = append(classes, int(lower[0]-'0'))
			continue
		}
		n, err := strconv.Atoi(item)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("status must be a status such as 401 or a class such as 4xx, not %q", item)
		}
		codes = append(codes, n)
	}
	return func(status int) bool {
		return slices.Contains(codes, status) || slices.Contains(classes, status/100)
	}, nil
}

// Options say how Build makes a request of a record.
type Options struct {
	// URL is where the request goes: its path and query are the request
	// target, whatever the record's was. Required.
	URL *url.URL
	// Resign, when not nil, signs the body afresh with its scheme and
	// first secret, at Now: its signature headers (and the timestamp and
	// id headers of the timestamped schemes) replace the recorded ones.
	// When its provider is not the record's, the record's signature
	// headers are dropped. Nil sends the recorded signature as it is.
	Resign signing.Scheme
	// NewID gives the request a fresh delivery id (sender.NewID from
	// Random) in the record's provider's delivery header. Standard
	// Webhooks signs the id, so NewID needs Resign there; Stripe and
	// Slack keep the id in the body, which is sent as it is, so NewID is
	// an error for them.
	NewID bool
	// Now is the signing time (time.Now when nil).
	Now func() time.Time
	// Random makes delivery ids (crypto/rand.Reader when nil).
	Random io.Reader
}

// Build returns the request that replays rec to o.URL: rec's method (POST
// when it has none), its body and its headers in their recorded order and
// spelling, repeats kept, as Options change them.
//
// Some recorded headers are not sent: Host (the request's Host comes from
// o.URL), Content-Length and Transfer-Encoding (the body goes with its
// real Content-Length, as sender.Request.WriteTo writes it, after the
// other headers), and the hop-by-hop headers, which were about the
// recorded connection and not the delivery: Connection, those it names,
// Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization,
// TE, Trailer and Upgrade.
//
// A record whose body was not received whole (BodyComplete false) is
// built all the same, with what did arrive as its body: the caller should
// say so, since its recorded signature will not match. The request's
// Body shares rec.Body's memory.
func Build(rec *capture.Record, o Options) (*sender.Request, error) {
	if o.URL == nil {
		return nil, errors.New("replay: no URL to send to")
	}
	if o.URL.Scheme != "http" && o.URL.Scheme != "https" || o.URL.Host == "" {
		return nil, fmt.Errorf("the URL must be http or https with a host, not %q", o.URL.Redacted())
	}
	method := rec.Method
	if method == "" {
		method = http.MethodPost
	}
	if !validToken(method) {
		return nil, fmt.Errorf("seq %d: the recorded method %q is not an HTTP method", rec.Seq, method)
	}
	headers, err := Headers(rec)
	if err != nil {
		return nil, err
	}
	req := &sender.Request{Method: method, URL: o.URL, Header: headers, Body: rec.Body}
	if !o.NewID && o.Resign == nil {
		return req, nil
	}
	now, random := o.Now, o.Random
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}

	recProv, err := provider.Lookup(rec.Verdict.Provider)
	if err != nil {
		return nil, fmt.Errorf("seq %d: the record names no provider hooklab knows (%q), so its headers cannot be changed: %w", rec.Seq, rec.Verdict.Provider, err)
	}
	signer := ""
	if o.Resign != nil {
		signer = o.Resign.Name()
	}
	id := recordedID(rec, recProv, req)
	if o.NewID {
		switch {
		case recProv.DeliveryHeader != "":
		case recProv.Name == signing.ProviderStandard && signer == "":
			return nil, errors.New("Standard Webhooks signs the delivery id (webhook-id): a new id needs a new signature; add --resign")
		case recProv.Name != signing.ProviderStandard:
			return nil, fmt.Errorf("%s keeps the delivery id in the body, which is replayed as it is; a new id cannot be given", recProv.Name)
		}
		if id, err = sender.NewID(random); err != nil {
			return nil, fmt.Errorf("cannot make a delivery id: %w", err)
		}
		if recProv.DeliveryHeader != "" {
			replaced := false
			for _, name := range []string{recProv.DeliveryHeader, recProv.DeliveryFallback} {
				if name != "" && req.Get(name) != "" {
					setValue(req, name, id)
					replaced = true
				}
			}
			if !replaced {
				setValue(req, recProv.DeliveryHeader, id)
			}
		}
	}
	if o.Resign == nil {
		return req, nil
	}
	if id == "" && signer == signing.ProviderStandard {
		// Standard Webhooks signs an id: a record of another provider
		// without one gets a fresh one.
		if id, err = sender.NewID(random); err != nil {
			return nil, fmt.Errorf("cannot make a delivery id: %w", err)
		}
	}
	if signer != recProv.Name {
		for _, name := range signatureHeaders(recProv.Name) {
			req.Del(name)
		}
	}
	signed, err := signedBytes(rec, signer)
	if err != nil {
		return nil, err
	}
	h, err := o.Resign.Sign(signing.Message{Body: signed, ID: id, Time: now()})
	if err != nil {
		return nil, fmt.Errorf("seq %d: cannot sign: %w", rec.Seq, err)
	}
	svix := signer == signing.ProviderStandard && req.Get(signing.StandardSignatureHeader) == "" && req.Get(signing.SvixSignatureHeader) != ""
	// Headers that were not recorded are added in the order of their
	// names, as sender.Delivery.Request adds them.
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		name := k
		if svix {
			// Sign the header family the record came with.
			name = strings.Replace(strings.ToLower(k), "webhook-", "svix-", 1)
		}
		setValue(req, name, h.Get(k))
	}
	return req, nil
}

// Headers returns the headers of rec that a replay sends, in order, as
// Build describes, or an error for a header that cannot be written as it
// is (a name that is not a token, a value with a line break or another
// control character than tab: neither can have come over the wire, so the
// capture file was edited or damaged).
func Headers(rec *capture.Record) ([]sender.Field, error) {
	hop := map[string]bool{}
	for _, h := range rec.Headers {
		if strings.EqualFold(h.Name(), "Connection") {
			for _, name := range strings.Split(h.Value(), ",") {
				hop[strings.ToLower(strings.TrimSpace(name))] = true
			}
		}
	}
	out := make([]sender.Field, 0, len(rec.Headers))
	for _, h := range rec.Headers {
		name, value := h.Name(), h.Value()
		if !validToken(name) {
			return nil, fmt.Errorf("seq %d: header name %q is not a valid HTTP header name", rec.Seq, name)
		}
		if i := strings.IndexFunc(value, isControl); i >= 0 {
			return nil, fmt.Errorf("seq %d: header %s holds the control character %q, which cannot be sent", rec.Seq, name, value[i])
		}
		lower := strings.ToLower(name)
		if notSent[lower] || hop[lower] {
			continue
		}
		out = append(out, sender.Field{Name: name, Value: value})
	}
	return out, nil
}

// notSent are the headers a replay never sends, lower case: the framing
// it writes itself and the hop-by-hop headers of RFC 9110 section 7.6.1
// (and the older ones net/http/httputil drops too).
var notSent = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true,
	"connection": true, "proxy-connection": true, "keep-alive": true,
	"proxy-authenticate": true, "proxy-authorization": true,
	"te": true, "trailer": true, "upgrade": true,
}

// isControl reports a character a header value cannot hold on the wire:
// the C0 controls but tab, and DEL.
func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// validToken reports whether s is an RFC 9110 token, as a method or a
// header name must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// setValue gives the first header named name (case-insensitively) value,
// keeping its recorded spelling and place, and drops its repeats; or
// appends it when there is none.
func setValue(req *sender.Request, name, value string) {
	for _, f := range req.Header {
		if strings.EqualFold(f.Name, name) {
			req.Set(f.Name, value)
			return
		}
	}
	req.Set(name, value)
}

// recordedID returns the delivery id the record's headers carry, for a
// provider that keeps it in a header, or else the verdict's.
func recordedID(rec *capture.Record, prov provider.Provider, req *sender.Request) string {
	switch {
	case prov.DeliveryHeader != "":
		if id := req.Get(prov.DeliveryHeader); id != "" {
			return id
		}
		if prov.DeliveryFallback != "" {
			if id := req.Get(prov.DeliveryFallback); id != "" {
				return id
			}
		}
	case prov.Name == signing.ProviderStandard:
		h := http.Header{}
		for _, f := range req.Header {
			h.Add(f.Name, f.Value)
		}
		idHeader, _, _ := signing.StandardHeaderNames(h)
		if id := h.Get(idHeader); id != "" {
			return id
		}
	}
	return rec.Verdict.Delivery
}

// signatureHeaders returns the headers a provider's scheme signs with.
func signatureHeaders(providerName string) []string {
	switch providerName {
	case signing.ProviderGitHub:
		return []string{signing.GitHubSignatureHeader, signing.GitHubLegacySignatureHeader}
	case signing.ProviderStripe:
		return []string{signing.StripeSignatureHeader}
	case signing.ProviderStandard:
		return []string{
			signing.StandardIDHeader, signing.StandardTimestampHeader, signing.StandardSignatureHeader,
			signing.SvixIDHeader, signing.SvixTimestampHeader, signing.SvixSignatureHeader,
		}
	case signing.ProviderSlack:
		return []string{signing.SlackSignatureHeader, signing.SlackTimestampHeader}
	case signing.ProviderShopify:
		return []string{signing.ShopifySignatureHeader}
	case signing.ProviderGitLab:
		return []string{signing.GitLabTokenHeader}
	case signing.ProviderGitea:
		return []string{signing.GiteaSignatureHeader}
	}
	return nil
}

// signedBytes returns what the signer's scheme signs of rec: the body, or
// for Gitea's form mode the JSON in its payload field.
func signedBytes(rec *capture.Record, signer string) ([]byte, error) {
	prov, err := provider.Lookup(signer)
	if err != nil || !prov.FormSignsPayload {
		return rec.Body, nil
	}
	var contentType string
	for _, h := range rec.Headers {
		if strings.EqualFold(h.Name(), "Content-Type") {
			contentType = h.Value()
			break
		}
	}
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
		return rec.Body, nil
	}
	form, err := url.ParseQuery(string(rec.Body))
	if err != nil || !form.Has("payload") {
		return nil, fmt.Errorf("seq %d: %s signs the payload field of a form body, and this body has none", rec.Seq, signer)
	}
	return []byte(form.Get("payload")), nil
}

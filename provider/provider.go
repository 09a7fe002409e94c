// Package provider knows what each webhook sender puts where, beyond its
// signature (which is package signing's): the header or body field that
// names the event type, the one that identifies a delivery, and the other
// headers it sends. The receiver reads deliveries with it and the sender
// builds them with it, so the two agree without knowing each other.
package provider

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hooklab/hooklab/internal/bodyjson"
	"github.com/hooklab/hooklab/signing"
)

// Provider describes one webhook sender.
type Provider struct {
	// Name is the provider's name, as on the command line.
	Name string
	// EventHeader carries the event type; empty when the body's "type"
	// does (Stripe, Standard Webhooks, Slack).
	EventHeader string
	// DeliveryHeader carries the delivery id; empty when the body does
	// (Stripe's "id", Slack's "event_id") or the signature headers do
	// (Standard Webhooks' webhook-id).
	DeliveryHeader string
	// DeliveryFallback carries the delivery id when DeliveryHeader is absent
	// (GitLab before 17.4 sends no Idempotency-Key).
	DeliveryFallback string
	// HookIDHeader carries the id of the hook configuration (GitHub).
	HookIDHeader string
	// SignsBody is false for a scheme that signs nothing (GitLab's token).
	SignsBody bool
	// FormSignsPayload is set when, in form mode, the JSON inside the
	// payload field is signed rather than the form body (Gitea).
	FormSignsPayload bool
	// SlashCommands is set when a form without a payload field is a
	// delivery of its own (Slack's slash commands).
	SlashCommands bool
}

// The providers, GitHub first, in signing.Providers order.
// Shopify's X-Shopify-Event-Id and GitLab's Idempotency-Key stay the same
// when a delivery is retried, which is what spotting redeliveries needs
// (both providers' documentation says to deduplicate on them).
var all = []Provider{
	{Name: signing.ProviderGitHub, EventHeader: "X-GitHub-Event", DeliveryHeader: "X-GitHub-Delivery", HookIDHeader: "X-GitHub-Hook-ID", SignsBody: true},
	{Name: signing.ProviderStripe, SignsBody: true},
	{Name: signing.ProviderStandard, SignsBody: true},
	{Name: signing.ProviderSlack, SignsBody: true, SlashCommands: true},
	{Name: signing.ProviderShopify, EventHeader: "X-Shopify-Topic", DeliveryHeader: "X-Shopify-Event-Id", DeliveryFallback: "X-Shopify-Webhook-Id", SignsBody: true},
	{Name: signing.ProviderGitLab, EventHeader: "X-Gitlab-Event", DeliveryHeader: "Idempotency-Key", DeliveryFallback: "X-Gitlab-Event-UUID"},
	{Name: signing.ProviderGitea, EventHeader: "X-Gitea-Event", DeliveryHeader: "X-Gitea-Delivery", SignsBody: true, FormSignsPayload: true},
}

// All returns every provider, GitHub first.
func All() []Provider { return append([]Provider(nil), all...) }

// Names returns the provider names, GitHub first.
func Names() []string {
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the provider called name, or an error listing them.
func Lookup(name string) (Provider, error) {
	for _, p := range all {
		if p.Name == name {
			return p, nil
		}
	}
	return Provider{}, fmt.Errorf("unknown provider %q; the providers are %s", name, strings.Join(Names(), ", "))
}

// bodyFields are the fields some providers keep in the body.
type bodyFields struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	EventID string `json:"event_id"`
}

// fields decodes the body fields of a verified JSON payload; a payload
// that is not an object, or whose fields are not strings, has none.
func fields(payload []byte) bodyFields {
	var f bodyFields
	if bodyjson.Unmarshal(payload, &f) != nil {
		return bodyFields{}
	}
	return f
}

// Identify returns the event type and the delivery id of a verified
// delivery. The event comes from EventHeader, or the payload's "type"; the
// id, used to spot redeliveries, from DeliveryHeader, the Standard
// Webhooks id header, or the payload ("id" for Stripe, "event_id" for
// Slack). Either is "" when the delivery has none. The payload is decoded
// at most once.
func (p Provider) Identify(h http.Header, payload []byte) (event, id string) {
	var body *bodyFields
	fromBody := func() bodyFields {
		if body == nil {
			f := fields(payload)
			body = &f
		}
		return *body
	}
	if p.EventHeader != "" {
		event = h.Get(p.EventHeader)
	} else {
		event = fromBody().Type
	}
	switch {
	case p.DeliveryHeader != "":
		if id = h.Get(p.DeliveryHeader); id == "" && p.DeliveryFallback != "" {
			id = h.Get(p.DeliveryFallback)
		}
	case p.Name == signing.ProviderStandard:
		// The id is signed: it comes from the header family the signature
		// is verified with, never the other one.
		idHeader, _, _ := signing.StandardHeaderNames(h)
		id = h.Get(idHeader)
	case p.Name == signing.ProviderSlack:
		id = fromBody().EventID
	default:
		id = fromBody().ID
	}
	return event, id
}

// EventSource says where the event type is, for messages.
func (p Provider) EventSource() string {
	if p.EventHeader != "" {
		return "the " + p.EventHeader + " header"
	}
	return `the body's "type" field`
}

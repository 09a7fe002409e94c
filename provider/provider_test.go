package provider_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/signing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want provider.Provider
	}{
		{name: "github", want: provider.Provider{Name: "github", EventHeader: "X-GitHub-Event",
			DeliveryHeader: "X-GitHub-Delivery", HookIDHeader: "X-GitHub-Hook-ID", SignsBody: true}},
		{name: "stripe", want: provider.Provider{Name: "stripe", SignsBody: true}},
		{name: "standard", want: provider.Provider{Name: "standard", SignsBody: true}},
		{name: "slack", want: provider.Provider{Name: "slack", SignsBody: true, SlashCommands: true}},
		{name: "shopify", want: provider.Provider{Name: "shopify", EventHeader: "X-Shopify-Topic",
			DeliveryHeader: "X-Shopify-Event-Id", DeliveryFallback: "X-Shopify-Webhook-Id", SignsBody: true}},
		{name: "gitlab", want: provider.Provider{Name: "gitlab", EventHeader: "X-Gitlab-Event",
			DeliveryHeader: "Idempotency-Key", DeliveryFallback: "X-Gitlab-Event-UUID"}},
		{name: "gitea", want: provider.Provider{Name: "gitea", EventHeader: "X-Gitea-Event",
			DeliveryHeader: "X-Gitea-Delivery", SignsBody: true, FormSignsPayload: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := provider.Lookup(tt.name)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", tt.name, got, tt.want)
			}
		})
	}
	// The table covers every provider signing knows, and no other.
	var names []string
	for _, tt := range tests {
		names = append(names, tt.name)
	}
	if !slices.Equal(names, signing.Providers()) {
		t.Errorf("the table has %v, signing.Providers() is %v", names, signing.Providers())
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"", "GitHub", "bitbucket", "stripe "} {
		t.Run(name, func(t *testing.T) {
			got, err := provider.Lookup(name)
			if err == nil {
				t.Fatalf("Lookup(%q) = %+v, want an error", name, got)
			}
			if got != (provider.Provider{}) {
				t.Errorf("Lookup(%q) = %+v with its error, want the zero Provider", name, got)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+name+`"`) {
				t.Errorf("error %q does not name %q", msg, name)
			}
			if !strings.Contains(msg, strings.Join(signing.Providers(), ", ")) {
				t.Errorf("error %q does not list the providers", msg)
			}
		})
	}
}

func TestNamesAndAll(t *testing.T) {
	if got, want := provider.Names(), signing.Providers(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want signing.Providers() %v", got, want)
	}
	all := provider.All()
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, provider.Names()) {
		t.Errorf("All() names = %v, want %v", names, provider.Names())
	}
	// All returns a copy: changing it changes nothing for the next caller.
	all[0].Name, all[0].EventHeader = "changed", "X-Changed"
	if p := provider.All()[0]; p.Name != "github" || p.EventHeader != "X-GitHub-Event" {
		t.Errorf("after changing All()'s result, All()[0] = %+v", p)
	}
	if _, err := provider.Lookup("github"); err != nil {
		t.Errorf("after changing All()'s result, Lookup(github): %v", err)
	}
}

// header builds an http.Header from name, value pairs.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func mustLookup(tb testing.TB, name string) provider.Provider {
	tb.Helper()
	p, err := provider.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestIdentify(t *testing.T) {
	const stripeBody = `{"id":"evt_1","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`
	tests := []struct {
		name      string
		provider  string
		header    http.Header
		payload   string
		wantEvent string
		wantID    string
	}{
		{
			name: "github from its headers", provider: "github",
			header:  header("X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1"),
			payload: `{"type":"not the event","id":"not the id"}`, wantEvent: "push", wantID: "d-1",
		},
		{
			name: "github without headers", provider: "github",
			payload: `{"type":"push","id":"d-1"}`, wantEvent: "", wantID: "",
		},
		{
			name: "stripe from the body", provider: "stripe",
			header:  header("X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1"),
			payload: stripeBody, wantEvent: "invoice.paid", wantID: "evt_1",
		},
		{
			name: "stripe ignores event_id", provider: "stripe",
			payload: `{"type":"invoice.paid","event_id":"Ev1"}`, wantEvent: "invoice.paid", wantID: "",
		},
		{
			name: "standard event from the body, id from webhook-id", provider: "standard",
			header:  header("webhook-id", "msg_1", "svix-id", "msg_svix"),
			payload: `{"type":"user.created","id":"not the id"}`, wantEvent: "user.created", wantID: "msg_1",
		},
		{
			name: "standard id from svix-id for a Svix delivery", provider: "standard",
			header:  header("svix-id", "msg_svix", "svix-signature", "v1,sig"),
			payload: `{"type":"user.created"}`, wantEvent: "user.created", wantID: "msg_svix",
		},
		{
			// The svix-* headers are the ones verified: an unsigned webhook-id
			// beside them must not be reported as the delivery's id.
			name: "standard id from svix-id, not a webhook-id beside a svix-signature", provider: "standard",
			header:  header("webhook-id", "forged", "svix-id", "msg_svix", "svix-signature", "v1,sig"),
			payload: `{"type":"user.created"}`, wantEvent: "user.created", wantID: "msg_svix",
		},
		{
			name: "standard id from webhook-id when both families are signed", provider: "standard",
			header:  header("webhook-id", "msg_1", "webhook-signature", "v1,sig", "svix-id", "msg_svix", "svix-signature", "v1,sig"),
			payload: `{"type":"user.created"}`, wantEvent: "user.created", wantID: "msg_1",
		},
		{
			name: "standard without an id header", provider: "standard",
			payload: `{"type":"user.created","id":"user_1"}`, wantEvent: "user.created", wantID: "",
		},
		{
			name: "slack event_callback with event_id", provider: "slack",
			payload:   `{"type":"event_callback","event_id":"Ev08","id":"not the id","event":{"type":"app_mention"}}`,
			wantEvent: "event_callback", wantID: "Ev08",
		},
		{
			name: "slack url_verification has no id", provider: "slack",
			payload: `{"type":"url_verification","challenge":"c"}`, wantEvent: "url_verification", wantID: "",
		},
		{
			name: "shopify from its headers", provider: "shopify",
			header:  header("X-Shopify-Topic", "orders/create", "X-Shopify-Webhook-Id", "b54557e4"),
			payload: `{"id":6290417356023,"type":"x"}`, wantEvent: "orders/create", wantID: "b54557e4",
		},
		{
			name: "gitlab from its headers", provider: "gitlab",
			header:  header("X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "uuid-1"),
			payload: `{"object_kind":"push"}`, wantEvent: "Push Hook", wantID: "uuid-1",
		},
		{
			name: "gitea from its headers", provider: "gitea",
			header:  header("X-Gitea-Event", "push", "X-Gitea-Delivery", "gd-1", "X-GitHub-Event", "pull_request"),
			payload: `{"ref":"refs/heads/main"}`, wantEvent: "push", wantID: "gd-1",
		},
		// Bodies that do not hold what is looked for: "" and no panic.
		{name: "stripe body is an array", provider: "stripe", payload: `[{"type":"invoice.paid","id":"evt_1"}]`},
		{name: "stripe body is a string", provider: "stripe", payload: `"invoice.paid"`},
		{name: "stripe body is null", provider: "stripe", payload: `null`},
		{name: "stripe body is empty", provider: "stripe", payload: ``},
		{name: "stripe body is not JSON", provider: "stripe", payload: `{"type":`},
		{name: "stripe type is a number", provider: "stripe", payload: `{"type":42}`},
		{name: "stripe type is an object", provider: "stripe", payload: `{"type":{"name":"invoice.paid"}}`},
		{name: "stripe type is null", provider: "stripe", payload: `{"type":null,"id":null}`},
		{name: "slack event_id is a number", provider: "slack", payload: `{"event_id":7}`},
		{
			name: "standard type is an array, id from the header", provider: "standard",
			header: header("webhook-id", "msg_1"), payload: `{"type":["a"]}`, wantID: "msg_1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLookup(t, tt.provider)
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			event, id := p.Identify(h, []byte(tt.payload))
			if event != tt.wantEvent || id != tt.wantID {
				t.Errorf("Identify(%v, %s) = (%q, %q), want (%q, %q)", h, tt.payload, event, id, tt.wantEvent, tt.wantID)
			}
		})
	}
}

func TestEventSource(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{name: "github", want: "the X-GitHub-Event header"},
		{name: "stripe", want: `the body's "type" field`},
		{name: "standard", want: `the body's "type" field`},
		{name: "slack", want: `the body's "type" field`},
		{name: "shopify", want: "the X-Shopify-Topic header"},
		{name: "gitlab", want: "the X-Gitlab-Event header"},
		{name: "gitea", want: "the X-Gitea-Event header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLookup(t, tt.name).EventSource(); got != tt.want {
				t.Errorf("EventSource() = %q, want %q", got, tt.want)
			}
		})
	}
}

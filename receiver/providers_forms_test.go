package receiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// postSigned posts body with headers to a receiver for provider p.
func postSigned(t *testing.T, p string, secret string, body []byte, h http.Header) (answer, string) {
	t.Helper()
	s, err := signing.New(p, []string{secret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1780000000, 0)
	rc, logs := mustReceiver(t, Config{Scheme: s, Now: func() time.Time { return now }})
	req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, req)
	return answerOf(t, rec), logs.String()
}

// Gitea's form mode signs the JSON inside the payload field, not the form
// body (go-gitea/gitea services/webhook/deliver.go signs PayloadContent).
func TestGiteaFormSignsThePayload(t *testing.T) {
	const secret = "gitea-form-secret-0123456789abcdef"
	payload := []byte(`{"ref":"refs/heads/main","commits":[],"pusher":{"login":"mona"},"repository":{"full_name":"o/r"}}`)
	form := []byte("payload=" + url.QueryEscape(string(payload)))
	tests := []struct {
		name       string
		signed     []byte
		wantStatus int
	}{
		{name: "signed over the JSON, as Gitea does", signed: payload, wantStatus: 200},
		{name: "signed over the form body", signed: form, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			h.Set("X-Gitea-Event", "push")
			h.Set("X-Gitea-Signature", hmacHex(secret, tt.signed))
			a, _ := postSigned(t, signing.ProviderGitea, secret, form, h)
			if a.Status != tt.wantStatus {
				t.Errorf("got %d %s %q, want %d", a.Status, a.Reason, a.Message, tt.wantStatus)
			}
		})
	}
}

// A Slack slash command is a form of its own fields, with no payload; its
// body is the example of Slack's "Verifying requests from Slack".
func TestSlackSlashCommand(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	s, err := signing.New(signing.ProviderSlack, []string{secret}, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Sign(signing.Message{Body: body, Time: time.Unix(1531420618, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(signing.SlackSignatureHeader); got != "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" {
		t.Fatalf("not Slack's documented signature: %s", got)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	sOld, err := signing.New(signing.ProviderSlack, []string{secret}, signing.Options{}) // Tolerance 0: the example is from 2018
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := mustReceiver(t, Config{Scheme: sOld})
	req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
	req.Header = h.Clone()
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, req)
	a := answerOf(t, rec)
	if a.Status != 200 || a.Event != "slash_command" || !strings.Contains(a.Summary, "/webhook-collect") || !strings.Contains(a.Summary, "roadrunner") {
		t.Errorf("answer = %+v, want 200 slash_command naming the command and the user", a)
	}
}

// GitLab signs nothing: a wrong token is said to be a wrong token, and the
// body's digest is not offered as if it mattered.
func TestGitLabWrongTokenMessage(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Gitlab-Event", "Push Hook")
	h.Set("X-Gitlab-Token", "not-the-token")
	a, logs := postSigned(t, signing.ProviderGitLab, "the-gitlab-token-0123456789abcdef", []byte(`{"object_kind":"push"}`), h)
	if a.Status != 401 || !strings.Contains(a.Message, "token") || strings.Contains(a.Message, "body") {
		t.Errorf("answer %d %q, want 401 about the token", a.Status, a.Message)
	}
	if strings.Contains(logs, KeyBodySHA256) {
		t.Errorf("the log offers the body's digest for a scheme that signs no body: %s", logs)
	}
}

// Shopify's X-Shopify-Event-Id and GitLab's Idempotency-Key name a delivery
// across retries; the older headers are read when they are absent.
func TestDeliveryIDFallbacks(t *testing.T) {
	tests := []struct {
		name, provider, header, event string
	}{
		{name: "shopify event id", provider: signing.ProviderShopify, header: "X-Shopify-Event-Id", event: "orders/create"},
		{name: "shopify webhook id", provider: signing.ProviderShopify, header: "X-Shopify-Webhook-Id", event: "orders/create"},
		{name: "gitlab idempotency key", provider: signing.ProviderGitLab, header: "Idempotency-Key", event: "Push Hook"},
		{name: "gitlab event uuid", provider: signing.ProviderGitLab, header: "X-Gitlab-Event-UUID", event: "Push Hook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const secret = "fallback-secret-0123456789abcdef"
			body := []byte(`{"id":1,"object_kind":"push"}`)
			s, err := signing.New(tt.provider, []string{secret}, signing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.Sign(signing.Message{Body: body})
			if err != nil {
				t.Fatal(err)
			}
			h.Set("Content-Type", "application/json")
			h.Set("X-Shopify-Topic", tt.event)
			h.Set("X-Gitlab-Event", tt.event)
			h.Set(tt.header, "delivery-42")
			a, _ := postSigned(t, tt.provider, secret, body, h)
			if a.Status != 200 || a.Delivery != "delivery-42" {
				t.Errorf("answer %+v, want 200 with delivery-42", a)
			}
		})
	}
}

func hmacHex(secret string, body []byte) string {
	return strings.TrimPrefix(hubSignature(secret, body), "sha256=")
}

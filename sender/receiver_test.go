package sender_test

// These tests send every mode to hooklab's own receiver, in process behind
// receiver.Serve on 127.0.0.1:0, and check the answer each one gets.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// mustReceiver returns the real receiver for testSecret, with maxBody (0
// for the default).
func mustReceiver(tb testing.TB, maxBody int64) *receiver.Receiver {
	tb.Helper()
	scheme, err := signing.NewGitHub(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := receiver.New(receiver.Config{Scheme: scheme, MaxBody: maxBody})
	if err != nil {
		tb.Fatal(err)
	}
	return rc
}

// startReceiver serves the real receiver on 127.0.0.1:0 until the test
// ends, and returns its webhook URL.
func startReceiver(tb testing.TB, maxBody int64) string {
	tb.Helper()
	return servetest.Serve(tb, mustReceiver(tb, maxBody), receiver.DefaultLimits())
}

// answer is the JSON body of the receiver's answers.
type answer struct {
	Status  int             `json:"status"`
	Reason  receiver.Reason `json:"reason"`
	Message string          `json:"message"`
	Event   string          `json:"event"`
}

// decodeAnswer reads the receiver's JSON answer, failing the test when the
// body is not one.
func decodeAnswer(tb testing.TB, resp *sender.Response) answer {
	tb.Helper()
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		tb.Fatalf("answer %d %q is not the receiver's JSON: %v", resp.Status, resp.Body, err)
	}
	if a.Status != resp.Status {
		tb.Errorf("answer body says status %d, the status line %d", a.Status, resp.Status)
	}
	return a
}

// sendTo sends d to webhookURL with a Client that gives up after waitLimit:
// an answer that only a timeout would bring fails the test.
func sendTo(tb testing.TB, webhookURL string, d sender.Delivery) (*sender.Response, answer) {
	tb.Helper()
	d.URL = mustURL(tb, webhookURL)
	resp, err := (&sender.Client{Timeout: waitLimit}).Do(context.Background(), mustRequest(tb, d))
	if err != nil {
		tb.Fatalf("Do: %v", err)
	}
	return resp, decodeAnswer(tb, resp)
}

func TestReceiverAnswers(t *testing.T) {
	webhookURL := startReceiver(t, 0)
	small := startReceiver(t, 1024)
	large := `{"zen":"` + strings.Repeat("a", 4096-len(`{"zen":""}`)) + `"}`

	tests := []struct {
		name        string
		url         string // webhookURL when empty
		payload     string // testPayload when empty
		signature   sender.SignatureMode
		length      sender.Length
		contentType sender.ContentType
		extra       []sender.Field

		wantStatus int
		wantReason receiver.Reason
		wantEvent  string
	}{
		{name: "valid", signature: sender.SignatureValid, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping"},
		{name: "wrong", signature: sender.SignatureWrong, wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMismatch},
		{name: "missing", signature: sender.SignatureMissing, wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMissing},
		{name: "length missing", length: sender.Length{Mode: sender.LengthMissing}, wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired},
		{name: "length chunked", length: sender.Length{Mode: sender.LengthChunked}, wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired},
		{
			// Answered at once: the client closes its write side after the
			// body, so the receiver does not wait for the rest.
			name: "length above the body", length: sender.Length{Mode: sender.LengthDeclared, N: int64(len(testPayload)) + 100},
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonBodyIncomplete,
		},
		{
			name: "length below the body", length: sender.Length{Mode: sender.LengthDeclared, N: 10},
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMismatch,
		},
		{name: "length exact", length: sender.Length{Mode: sender.LengthDeclared, N: int64(len(testPayload))}, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping"},
		{name: "form", contentType: sender.ContentForm, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping"},
		{name: "form wrong", contentType: sender.ContentForm, signature: sender.SignatureWrong, wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMismatch},
		{
			name: "extra header replaces the event", extra: []sender.Field{{Name: "x-github-event", Value: "push"}},
			wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "push",
		},
		{
			// Refused from the Content-Length alone, before the body is read.
			name: "length over MaxBody", url: small, payload: large,
			wantStatus: http.StatusRequestEntityTooLarge, wantReason: receiver.ReasonBodyTooLarge,
		},
		{name: "under MaxBody", url: small, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDelivery(t)
			d.ID = fmt.Sprintf("answers-%02d", i)
			d.Signature, d.Length, d.Extra = tt.signature, tt.length, tt.extra
			if tt.contentType != "" {
				d.ContentType = tt.contentType
			}
			if tt.payload != "" {
				d.Payload = []byte(tt.payload)
			}
			u := tt.url
			if u == "" {
				u = webhookURL
			}
			resp, a := sendTo(t, u, d)
			if resp.Status != tt.wantStatus || a.Reason != tt.wantReason || a.Event != tt.wantEvent {
				t.Errorf("answer = %d %s event %q (%s), want %d %s event %q",
					resp.Status, a.Reason, a.Event, a.Message, tt.wantStatus, tt.wantReason, tt.wantEvent)
			}
		})
	}
}

func TestReceiverAcceptsEveryFixture(t *testing.T) {
	webhookURL := startReceiver(t, 0)
	all := fixtures.All()
	if len(all) == 0 {
		t.Fatal("fixtures.All() is empty")
	}
	for _, fx := range all {
		for _, ct := range []sender.ContentType{sender.ContentJSON, sender.ContentForm} {
			t.Run(fx.Name+"/"+string(ct), func(t *testing.T) {
				d := testDelivery(t)
				d.ID = "fixture-" + fx.Name + "-" + string(ct)
				d.Event, d.Payload, d.ContentType = fx.Event, fx.Body, ct
				resp, a := sendTo(t, webhookURL, d)
				if resp.Status != http.StatusOK || a.Event != fx.Event {
					t.Errorf("answer = %d %s event %q (%s), want 200 ok event %q", resp.Status, a.Reason, a.Event, a.Message, fx.Event)
				}
			})
		}
	}
}

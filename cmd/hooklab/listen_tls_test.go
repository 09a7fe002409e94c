package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen --tls serves HTTPS with a certificate made for the run; a client
// that trusts its PEM (--cacert, as the banner says) gets through, one
// that does not is refused with what to do.
func TestListenTLS(t *testing.T) {
	const secret = "tls-test-secret-0123456789abcdef0123"
	// The real clock: the certificate is made for now, and checked now.
	w := world{env: map[string]string{envSecret: secret}, clock: time.Now}
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--tls")
	if !strings.HasPrefix(p.webhookURL, "https://") {
		t.Fatalf("the listener's URL is %s, want https", p.webhookURL)
	}
	start := recordsWith(mustJSONRecords(t, p.stdout.String()), "listening")[0]
	cert, _ := start["tls_cert"].(string)
	if cert == "" || !strings.Contains(start["send"].(string), "--cacert "+cert) {
		t.Fatalf("the start record: %v", start)
	}
	trusted := runHooklab(t, w, "send", "push", "--url", p.webhookURL, "--cacert", cert)
	if trusted.code != exitOK {
		t.Errorf("send --cacert: exit %d\n%s%s", trusted.code, trusted.stdout, trusted.stderr)
	}
	refused := runHooklab(t, w, "send", "push", "--url", p.webhookURL)
	if refused.code != exitError || !strings.Contains(refused.stderr, "--cacert") {
		t.Errorf("send without --cacert: exit %d\n%s", refused.code, refused.stderr)
	}
	p.stop(t)
	var n int
	for _, r := range recordsWith(mustJSONRecords(t, p.stdout.String()), "delivery") {
		if r["status"] == 200.0 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d deliveries verified over TLS, want 1\n%s", n, p.stdout)
	}
}

// A signature made with the secret read from a file, newline and all, is
// explained: in the log, and in the answer of a listener on loopback.
func TestListenExplainsAFailedSignature(t *testing.T) {
	const secret = "explain-test-secret-0123456789abcdef"
	p := startListen(t, world{env: map[string]string{envSecret: secret}}, "listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	h := pingHeaders(secret, "d-1")
	h["X-Hub-Signature-256"] = signGitHub(secret+"\n", []byte(pingBody))
	status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), h)
	var a struct{ Reason, Why string }
	if err := json.Unmarshal([]byte(answer), &a); err != nil || status != 401 || !strings.Contains(a.Why, "newline") {
		t.Fatalf("answered %d %s; want 401 saying why (a trailing newline on the secret)", status, answer)
	}
	if strings.Contains(answer, secret) {
		t.Errorf("the answer holds the secret: %s", answer)
	}
	p.stop(t)
	recs := recordsWith(mustJSONRecords(t, p.stdout.String()), "delivery")
	if len(recs) != 1 || !strings.Contains(recs[0]["why"].(string), "newline") {
		t.Errorf("logged %v", recs)
	}
}

// listen --tls --record --forward-to: the capture wraps the TLS
// connections, and the app is still told the delivery came over https.
func TestListenTLSForwardSaysHTTPS(t *testing.T) {
	const secret = "tls-test-secret-0123456789abcdef0123"
	protos := make(chan string, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case protos <- r.Header.Get("X-Forwarded-Proto"):
		default:
		}
	}))
	t.Cleanup(app.Close)
	w := world{env: map[string]string{envSecret: secret}, clock: time.Now}
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--tls",
		"--record", filepath.Join(t.TempDir(), "rec.ndjson"), "--forward-to", app.URL)
	cert, _ := recordsWith(mustJSONRecords(t, p.stdout.String()), "listening")[0]["tls_cert"].(string)
	if got := runHooklab(t, w, "send", "push", "--url", p.webhookURL, "--cacert", cert); got.code != exitOK {
		t.Fatalf("send: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	select {
	case proto := <-protos:
		if proto != "https" {
			t.Errorf("the app got X-Forwarded-Proto %q, want https", proto)
		}
	case <-time.After(failsafe):
		t.Fatal("the app got nothing")
	}
}

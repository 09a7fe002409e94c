package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/certs"
	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// untrustedHint is what a client says when an https receiver's certificate
// is not trusted: the two ways out.
var untrustedHint = []string{"certificate signed by unknown authority", "pass --cacert FILE", "--insecure"}

// tlsReceiver is a GitHub receiver for sendSecret served over TLS with a
// self-signed certificate made now (a handshake checks the real clock).
type tlsReceiver struct {
	url    string // the webhook URL, https://127.0.0.1:PORT/webhook
	caFile string // the certificate's PEM, for --cacert
}

// mustTLSReceiver starts a tlsReceiver; the test's cleanup stops it. cfg,
// when not nil, is the server's TLS configuration (listenTLS's, say), and
// caFile the PEM that trusts it.
func mustTLSReceiver(tb testing.TB, cfg *tls.Config, caFile string) tlsReceiver {
	tb.Helper()
	scheme, err := signing.NewGitHub(sendSecret)
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := receiver.New(receiver.Config{Scheme: scheme, Now: func() time.Time { return testNow }})
	if err != nil {
		tb.Fatal(err)
	}
	if cfg == nil {
		certPEM, keyPEM, err := certs.SelfSigned(nil, time.Now(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			tb.Fatal(err)
		}
		cfg = certs.ServerConfig(cert)
		caFile = mustWriteFile(tb, tb.TempDir(), "cert.pem", string(certPEM))
	}
	srv := httptest.NewUnstartedServer(rc)
	srv.TLS = cfg
	// The refused handshakes are the point of some tests, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return tlsReceiver{url: srv.URL + receiver.DefaultPath, caFile: caFile}
}

// clientTLSCases are the ways a client meets the receiver: trusting its
// certificate, not, or not checking.
func clientTLSCases(tb testing.TB, r tlsReceiver) []struct {
	name       string
	flags      []string
	wantCode   int
	wantStderr []string
} {
	tb.Helper()
	return []struct {
		name       string
		flags      []string
		wantCode   int
		wantStderr []string
	}{
		{name: "trusted with --cacert", flags: []string{"--cacert", r.caFile}, wantCode: exitOK},
		{name: "refused without --cacert", wantCode: exitError, wantStderr: untrustedHint},
		{name: "not verified with --insecure", flags: []string{"--insecure"}, wantCode: exitOK},
		{name: "--cacert naming another certificate", flags: []string{"--cacert", mustOtherCertificate(tb)},
			wantCode: exitError, wantStderr: []string{"certificate signed by unknown authority", "check that --cacert names the PEM of this receiver"}},
	}
}

// mustOtherCertificate writes a certificate no receiver here serves and
// returns its path.
func mustOtherCertificate(tb testing.TB) string {
	tb.Helper()
	certPEM, _, err := certs.SelfSigned(nil, time.Now(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return mustWriteFile(tb, tb.TempDir(), "other.pem", string(certPEM))
}

func TestSendTLS(t *testing.T) {
	r := mustTLSReceiver(t, nil, "")
	for _, tt := range clientTLSCases(t, r) {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"send", "push", "--url", r.url, "--secret", sendSecret}, tt.flags...)
			res := runHooklab(t, world{}, args...)
			var wantStdout []string
			if tt.wantCode == exitOK {
				wantStdout = []string{"200"}
			}
			checkOutput(t, res, tt.wantCode, wantStdout, tt.wantStderr)
		})
	}
	t.Run("JSON says why", func(t *testing.T) {
		res := runHooklab(t, world{}, "send", "push", "--url", r.url, "--secret", sendSecret, "--json")
		checkOutput(t, res, exitError, untrustedHint, nil)
	})
}

func TestLoadTLS(t *testing.T) {
	r := mustTLSReceiver(t, nil, "")
	for _, tt := range clientTLSCases(t, r) {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"send", "push", "--url", r.url, "--secret", sendSecret, "--count", "5", "--concurrency", "2", "--json"}, tt.flags...)
			res := runHooklab(t, world{}, args...)
			checkOutput(t, res, tt.wantCode, nil, tt.wantStderr)
			if tt.wantCode != exitOK {
				// Said once, before the run.
				if res.stdout != "" {
					t.Errorf("a run was reported:\n%s", res.stdout)
				}
				return
			}
			got := mustLoadJSON(t, res)
			if got.Requests != 5 || got.Statuses["200"] != 5 {
				t.Errorf("sent %d, statuses %v; want 5 answered 200", got.Requests, got.Statuses)
			}
		})
	}
}

func TestCheckTLS(t *testing.T) {
	r := mustTLSReceiver(t, nil, "")
	for _, tt := range clientTLSCases(t, r) {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{r.url, "--secret", sendSecret, "--only", "valid-json,wrong-secret"}, tt.flags...)
			res := runCheckCommand(t, world{}, args...)
			checkOutput(t, res, tt.wantCode, nil, tt.wantStderr)
			if tt.wantCode != exitOK {
				if res.stdout != "" {
					t.Errorf("scenarios were reported:\n%s", res.stdout)
				}
				return
			}
			rows, _ := mustCheckTable(t, res.stdout)
			if len(rows) != 2 {
				t.Fatalf("%d rows, want valid-json and wrong-secret:\n%s", len(rows), res.stdout)
			}
			for _, row := range rows {
				if row.verdict != "pass" && row.verdict != "PASS" {
					t.Errorf("%s: %s %s", row.scenario, row.verdict, row.reason)
				}
			}
		})
	}
}

// mustSignedCapture writes a capture file holding one GitHub push signed
// with sendSecret, and returns its path.
func mustSignedCapture(tb testing.TB, dir string) string {
	tb.Helper()
	f, ok := fixtures.Lookup("push")
	if !ok {
		tb.Fatal("no push fixture")
	}
	scheme, err := signing.NewGitHub(sendSecret)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := scheme.Sign(signing.Message{Body: f.Body})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &capture.Record{
		Seq: 1, Time: testNow, Method: "POST", Target: receiver.DefaultPath, Proto: "HTTP/1.1",
		Headers: []capture.Header{
			{"Content-Type", "application/json"},
			{"X-GitHub-Event", "push"},
			{"X-GitHub-Delivery", "tls-replay-1"},
			{signing.GitHubSignatureHeader, h.Get(signing.GitHubSignatureHeader)},
		},
		Body: f.Body, BodyComplete: true,
		Verdict:  capture.Verdict{Status: 200, Reason: "ok", Provider: "github", Event: "push", Delivery: "tls-replay-1"},
		Answered: 200,
	}
	return mustCaptureFile(tb, dir, rec)
}

func TestReplayTLS(t *testing.T) {
	r := mustTLSReceiver(t, nil, "")
	for _, tt := range clientTLSCases(t, r) {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := mustSignedCapture(t, dir)
			res := runHooklab(t, world{dir: dir}, append([]string{"replay", file, "--url", r.url}, tt.flags...)...)
			var wantStdout []string
			if tt.wantCode == exitOK {
				wantStdout = []string{"200 push"}
			}
			checkOutput(t, res, tt.wantCode, wantStdout, tt.wantStderr)
		})
	}
}

func TestClientTLSUsageErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := mustWriteFile(t, dir, "not.pem", "not a certificate\n")
	capFile := mustSignedCapture(t, dir)
	commands := []struct {
		name string
		args []string
	}{
		{name: "send", args: []string{"send", "push", "--secret", sendSecret, "--url", "https://127.0.0.1:1/webhook"}},
		{name: "load", args: []string{"send", "push", "--secret", sendSecret, "--url", "https://127.0.0.1:1/webhook", "--count", "2"}},
		{name: "check", args: []string{"check", "https://127.0.0.1:1/webhook", "--secret", sendSecret}},
		{name: "replay", args: []string{"replay", capFile, "--url", "https://127.0.0.1:1/webhook"}},
	}
	flags := []struct {
		name  string
		flags []string
		want  []string
	}{
		{name: "both", flags: []string{"--cacert", notPEM, "--insecure"}, want: []string{"give one, not both"}},
		{name: "missing file", flags: []string{"--cacert", filepath.Join(dir, "none.pem")}, want: []string{"--cacert", "none.pem does not exist", "hooklab listen --tls prints"}},
		{name: "not PEM", flags: []string{"--cacert", notPEM}, want: []string{"--cacert", "holds no PEM certificate"}},
	}
	for _, c := range commands {
		for _, f := range flags {
			t.Run(c.name+"/"+f.name, func(t *testing.T) {
				res := runHooklab(t, world{dir: dir, random: seededRandom(t.Name())}, append(slices.Clone(c.args), f.flags...)...)
				checkOutput(t, res, exitUsage, nil, f.want)
			})
		}
	}
}

func TestListenTLSOptions(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := certs.SelfSigned(nil, testNow, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	certFile := mustWriteFile(t, dir, "given-cert.pem", string(certPEM))
	keyFile := mustWriteFile(t, dir, "given-key.pem", string(keyPEM))

	usage := []struct {
		name string
		o    tlsListenOptions
		want string
	}{
		{name: "cert without key", o: tlsListenOptions{Cert: certFile}, want: "--tls-cert needs --tls-key"},
		{name: "key without cert", o: tlsListenOptions{Key: keyFile}, want: "--tls-key needs --tls-cert"},
		{name: "cert and dir", o: tlsListenOptions{Cert: certFile, Key: keyFile, Dir: dir}, want: "give one or the other"},
		{name: "missing cert", o: tlsListenOptions{Cert: filepath.Join(dir, "none.pem"), Key: keyFile}, want: "none.pem"},
		{name: "key and cert swapped", o: tlsListenOptions{Cert: keyFile, Key: certFile}, want: "holds no PEM certificate"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := listenTLS(tt.o, testNow, t.TempDir())
			if cfg != nil || err == nil || !strings.Contains(err.Error(), tt.want) || exitCode(err) != exitUsage {
				t.Fatalf("got %v (exit %d), want a usage error saying %q", err, exitCode(err), tt.want)
			}
		})
	}

	t.Run("no flags is plain HTTP", func(t *testing.T) {
		cfg, info, err := listenTLS(tlsListenOptions{}, testNow, t.TempDir())
		if cfg != nil || err != nil || info.CertPath != "" {
			t.Fatalf("got %v, %+v, %v; want nothing", cfg, info, err)
		}
	})
	t.Run("given certificate", func(t *testing.T) {
		cfg, info, err := listenTLS(tlsListenOptions{Cert: certFile, Key: keyFile, Generate: true}, testNow, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if info.CertPath != certFile || info.Generated || info.Kept || info.TempDir != "" || len(info.Warnings) != 0 {
			t.Errorf("info %+v", info)
		}
		if cfg.MinVersion != tls.VersionTLS12 || info.Fingerprint != certs.Fingerprint(cfg.Certificates[0].Leaf) {
			t.Errorf("minimum %x, fingerprint %s", cfg.MinVersion, info.Fingerprint)
		}
	})
	t.Run("given certificate not valid yet", func(t *testing.T) {
		_, info, err := listenTLS(tlsListenOptions{Cert: certFile, Key: keyFile}, testNow.Add(-2*time.Hour), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "is not valid before") {
			t.Errorf("warnings %q, want one saying it is not valid yet", info.Warnings)
		}
	})
	t.Run("given certificate expired", func(t *testing.T) {
		_, info, err := listenTLS(tlsListenOptions{Cert: certFile, Key: keyFile}, testNow.Add(certs.Lifetime+time.Hour), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "expired") {
			t.Errorf("warnings %q, want one saying it expired", info.Warnings)
		}
	})
	t.Run("generated for the run", func(t *testing.T) {
		parent := t.TempDir()
		cfg, info, err := listenTLS(tlsListenOptions{Generate: true}, testNow, parent)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Generated || info.TempDir == "" || filepath.Dir(info.TempDir) != parent || info.CertPath != filepath.Join(info.TempDir, certs.CertFile) {
			t.Fatalf("info %+v: want a new certificate in a directory under %s", info, parent)
		}
		inFile, err := certs.Load(info.CertPath, filepath.Join(info.TempDir, certs.KeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if certs.Fingerprint(inFile.Leaf) != info.Fingerprint || certs.Fingerprint(cfg.Certificates[0].Leaf) != info.Fingerprint {
			t.Error("the file, the fingerprint and the certificate served differ")
		}
		if !info.NotAfter.Equal(testNow.Add(certs.Lifetime)) {
			t.Errorf("not after %s", info.NotAfter)
		}
		// Another run makes another.
		_, again, err := listenTLS(tlsListenOptions{Generate: true}, testNow, parent)
		if err != nil {
			t.Fatal(err)
		}
		if again.TempDir == info.TempDir || again.Fingerprint == info.Fingerprint {
			t.Error("a second run reused the first one's certificate")
		}
	})
	t.Run("kept in --tls-dir", func(t *testing.T) {
		keep := filepath.Join(t.TempDir(), "hooklab-tls")
		_, first, err := listenTLS(tlsListenOptions{Dir: keep}, testNow, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		_, second, err := listenTLS(tlsListenOptions{Generate: true, Dir: keep}, testNow.Add(time.Hour), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if !first.Generated || first.Kept || first.TempDir != "" || second.Generated || !second.Kept {
			t.Errorf("first %+v, second %+v: want made, then kept", first, second)
		}
		if second.Fingerprint != first.Fingerprint || second.CertPath != filepath.Join(keep, certs.CertFile) {
			t.Errorf("second run: %s at %s, want the first's", second.Fingerprint, second.CertPath)
		}
	})
	t.Run("--tls-dir that does not load", func(t *testing.T) {
		keep := t.TempDir()
		mustWriteFile(t, keep, certs.CertFile, "x")
		if _, _, err := listenTLS(tlsListenOptions{Dir: keep}, testNow, t.TempDir()); err == nil || !strings.Contains(err.Error(), "--tls-dir") {
			t.Fatalf("got %v, want a --tls-dir error", err)
		}
	})
}

// TestListenTLSRoundTrip serves a receiver with --tls's configuration and
// sends to it trusting the PEM the banner names, as a user would.
func TestListenTLSRoundTrip(t *testing.T) {
	cfg, info, err := listenTLS(tlsListenOptions{Generate: true}, time.Now(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := mustTLSReceiver(t, cfg, info.CertPath)
	res := runHooklab(t, world{}, "send", "push", "--url", r.url, "--secret", sendSecret, "--cacert", info.CertPath)
	checkOutput(t, res, exitOK, []string{"200"}, nil)
	res = runHooklab(t, world{}, "send", "push", "--url", r.url, "--secret", sendSecret)
	checkOutput(t, res, exitError, nil, untrustedHint)

	t.Run("TLS 1.1 refused", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
		}}}
		resp, err := client.Post(r.url, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a TLS 1.1 client got %s", resp.Status)
		}
	})
}

func TestTLSBannerLines(t *testing.T) {
	tests := []struct {
		name string
		info tlsInfo
		want []string
	}{
		{name: "generated for the run", info: tlsInfo{CertPath: "/tmp/hooklab-tls-1/cert.pem", Fingerprint: "AB:CD", Generated: true, TempDir: "/tmp/hooklab-tls-1", NotAfter: testNow},
			want: []string{"TLS certificate (generated for this run, valid until 2025-01-02): /tmp/hooklab-tls-1/cert.pem", "/tmp/hooklab-tls-1/cert.pem", "SHA-256 fingerprint: AB:CD", "hooklab send --cacert /tmp/hooklab-tls-1/cert.pem"}},
		{name: "kept", info: tlsInfo{CertPath: "/keep/cert.pem", Kept: true}, want: []string{"(kept from an earlier run"}},
		{name: "given, expired", info: tlsInfo{CertPath: "/etc/c.pem", Warnings: []string{"the certificate in /etc/c.pem expired"}},
			want: []string{"(given", "warning: the certificate in /etc/c.pem expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.info.bannerLines(), "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("banner does not say %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestTLSExplain(t *testing.T) {
	certPEM, _, err := certs.SelfSigned(nil, testNow, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	wrap := func(err error) error {
		return &sender.DeliveryError{Addr: "127.0.0.1:8443", Err: &tls.CertificateVerificationError{Err: err}}
	}
	other := errors.New("connection reset")
	tests := []struct {
		name     string
		o        tlsOptions
		err      error
		want     string // what the hint says
		wantSame bool   // the error must come back as it was
	}{
		{name: "unknown authority", err: wrap(x509.UnknownAuthorityError{Cert: cert}), want: "pass --cacert FILE"},
		{name: "unknown authority with --cacert", o: tlsOptions{CACert: "mine.pem"}, err: wrap(x509.UnknownAuthorityError{Cert: cert}),
			want: "the certificates in mine.pem do not include the receiver's"},
		{name: "another host", err: wrap(x509.HostnameError{Certificate: cert, Host: "example.test"}), want: "not for the URL's host"},
		{name: "expired", err: wrap(x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}), want: "has expired or is not valid yet"},
		{name: "other invalid", err: wrap(x509.CertificateInvalidError{Cert: cert, Reason: x509.NotAuthorizedToSign}), wantSame: true},
		{name: "not TLS", err: other, wantSame: true},
		{name: "insecure", o: tlsOptions{Insecure: true}, err: wrap(x509.UnknownAuthorityError{Cert: cert}), wantSame: true},
		{name: "nil", err: nil, wantSame: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.o.explain(tt.err)
			if tt.wantSame {
				if got != tt.err {
					t.Fatalf("got %v, want the error unchanged", got)
				}
				return
			}
			if !strings.HasPrefix(got.Error(), tt.err.Error()+"; ") || !strings.Contains(got.Error(), tt.want) {
				t.Errorf("got %q, want the error then %q", got, tt.want)
			}
			var de *sender.DeliveryError
			if !errors.As(got, &de) {
				t.Error("the delivery error is no longer in the chain")
			}
		})
	}
}

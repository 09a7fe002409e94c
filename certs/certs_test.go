package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// mustSelfSigned makes a certificate for DefaultHosts and hosts at testNow.
func mustSelfSigned(tb testing.TB, hosts ...string) (certPEM, keyPEM []byte) {
	tb.Helper()
	certPEM, keyPEM, err := SelfSigned(hosts, testNow, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return certPEM, keyPEM
}

func mustParse(tb testing.TB, certPEM []byte) *x509.Certificate {
	tb.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		tb.Fatalf("not a PEM certificate: %q", certPEM)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustWrite writes data to a file in dir and returns its path.
func mustWrite(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestSelfSigned(t *testing.T) {
	certPEM, keyPEM := mustSelfSigned(t, "hooks.test", "10.1.2.3", "LOCALHOST", "::1")
	c := mustParse(t, certPEM)

	if want := []string{"localhost", "hooks.test"}; !slices.Equal(c.DNSNames, want) {
		t.Errorf("DNS names %q, want %q (no repeats, lower case)", c.DNSNames, want)
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1", "10.1.2.3"}; !slices.Equal(ips, want) {
		t.Errorf("IP addresses %q, want %q", ips, want)
	}
	if !c.NotBefore.Equal(testNow.Add(-time.Hour)) || !c.NotAfter.Equal(testNow.Add(90*24*time.Hour)) {
		t.Errorf("valid %s to %s, want an hour before now for 90 days", c.NotBefore, c.NotAfter)
	}
	if !c.BasicConstraintsValid || !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("not usable as its own root: CA %v (valid %v), key usage %b", c.IsCA, c.BasicConstraintsValid, c.KeyUsage)
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("extended key usage %v, want server auth", c.ExtKeyUsage)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Errorf("the key is not the certificate's: %v", err)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("key is not a PKCS #8 PEM block: %q", keyPEM)
	}

	roots := x509.NewCertPool()
	roots.AddCert(c)
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "hooks.test", "10.1.2.3"} {
		t.Run("trusted for "+host, func(t *testing.T) {
			_, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: testNow,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: "other.test", CurrentTime: testNow}); err == nil {
		t.Error("verified for a host it was not made for")
	}
}

func TestSelfSignedRefusesBadHosts(t *testing.T) {
	tests := []struct {
		name string
		host string
	}{
		{name: "empty", host: " "},
		{name: "space", host: "my host"},
		{name: "URL", host: "https://example.com"},
		{name: "host and port", host: "example.com:8443"},
		{name: "IPv6 with a zone", host: "fe80::1%eth0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := SelfSigned([]string{tt.host}, testNow, rand.Reader)
			if err == nil || !strings.Contains(err.Error(), "neither a DNS name nor an IP address") {
				t.Fatalf("got %v, want a refusal", err)
			}
		})
	}
}

func TestSelfSignedSerialFromRandom(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 64)
	a, _, err := SelfSigned(nil, testNow, bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := SelfSigned(nil, testNow, bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if mustParse(t, a).SerialNumber.Cmp(mustParse(t, b).SerialNumber) != 0 {
		t.Error("the serial number does not come from random")
	}
	if _, _, err := SelfSigned(nil, testNow, bytes.NewReader(nil)); err == nil || !strings.Contains(err.Error(), "serial number") {
		t.Errorf("empty random: got %v, want a serial number error", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := mustSelfSigned(t)
	_, otherKey := mustSelfSigned(t)
	certPath := mustWrite(t, dir, "cert.pem", certPEM)
	keyPath := mustWrite(t, dir, "key.pem", keyPEM)
	otherKeyPath := mustWrite(t, dir, "other-key.pem", otherKey)
	garbage := mustWrite(t, dir, "garbage.pem", []byte("not a PEM file\n"))
	missing := filepath.Join(dir, "missing.pem")

	t.Run("good pair", func(t *testing.T) {
		cert, err := Load(certPath, keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Leaf == nil || Fingerprint(cert.Leaf) != Fingerprint(mustParse(t, certPEM)) {
			t.Fatal("Leaf is not the certificate in the file")
		}
	})

	tests := []struct {
		name       string
		cert, key  string
		want       []string
		notExistOK bool
	}{
		{name: "no certificate file", cert: missing, key: keyPath, want: []string{"cannot read the certificate", missing}, notExistOK: true},
		{name: "no key file", cert: certPath, key: missing, want: []string{"cannot read the key", missing}, notExistOK: true},
		{name: "certificate not PEM", cert: garbage, key: keyPath, want: []string{garbage, "holds no PEM certificate"}},
		{name: "key not PEM", cert: certPath, key: garbage, want: []string{garbage, "holds no PEM private key"}},
		{name: "key and certificate swapped", cert: keyPath, key: certPath, want: []string{keyPath, "holds no PEM certificate"}},
		{name: "another certificate's key", cert: certPath, key: otherKeyPath, want: []string{"do not make a certificate and its key", otherKeyPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.cert, tt.key)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExistOK {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v", got)
			}
		})
	}
}

func mustMode(tb testing.TB, path string, want fs.FileMode) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		tb.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls", "listen")
	first, certPath, created, err := LoadOrCreate(dir, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !created || certPath != filepath.Join(dir, CertFile) {
		t.Fatalf("created %v at %s, want a new certificate at %s", created, certPath, filepath.Join(dir, CertFile))
	}
	mustMode(t, dir, 0o700)
	mustMode(t, certPath, 0o644)
	mustMode(t, filepath.Join(dir, KeyFile), 0o600)
	if err := first.Leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}

	t.Run("kept across runs", func(t *testing.T) {
		again, _, created, err := LoadOrCreate(dir, testNow.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if created || Fingerprint(again.Leaf) != Fingerprint(first.Leaf) {
			t.Fatalf("created %v: want the same certificate again", created)
		}
	})
	t.Run("made again near its end", func(t *testing.T) {
		later := testNow.Add(Lifetime - time.Hour)
		renewed, _, created, err := LoadOrCreate(dir, later)
		if err != nil {
			t.Fatal(err)
		}
		if !created || Fingerprint(renewed.Leaf) == Fingerprint(first.Leaf) {
			t.Fatalf("created %v: want a new certificate", created)
		}
		if !renewed.Leaf.NotAfter.Equal(later.Add(Lifetime)) {
			t.Errorf("new one ends %s", renewed.Leaf.NotAfter)
		}
		mustMode(t, filepath.Join(dir, KeyFile), 0o600)
	})
	t.Run("relative directory gives an absolute path", func(t *testing.T) {
		t.Chdir(t.TempDir())
		_, path, _, err := LoadOrCreate("certs", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(path) {
			t.Errorf("path %s is not absolute", path)
		}
	})
}

func TestLoadOrCreateRefusesBrokenDirectories(t *testing.T) {
	certPEM, keyPEM := mustSelfSigned(t)
	tests := []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{name: "certificate alone", files: map[string][]byte{CertFile: certPEM}, want: "holds only one of"},
		{name: "key alone", files: map[string][]byte{KeyFile: keyPEM}, want: "holds only one of"},
		{name: "not PEM", files: map[string][]byte{CertFile: []byte("x"), KeyFile: keyPEM}, want: "remove"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				mustWrite(t, dir, name, data)
			}
			_, _, _, err := LoadOrCreate(dir, testNow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			for name, data := range tt.files {
				if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, data) {
					t.Errorf("%s was overwritten", name)
				}
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	// The SHA-256 of "abc", FIPS 180-2 appendix B.1.
	got := Fingerprint(&x509.Certificate{Raw: []byte("abc")})
	want := "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	certPEM, _ := mustSelfSigned(t)
	if fp := Fingerprint(mustParse(t, certPEM)); !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fp) {
		t.Errorf("fingerprint %q is not 32 colon-separated upper-case hex bytes", fp)
	}
}

// mustTLSServer serves "ok" over TLS with ServerConfig and a certificate
// made now (a handshake checks it against the real clock), and returns the
// server and the path of its certificate's PEM.
func mustTLSServer(tb testing.TB, requests chan<- string) (*httptest.Server, string) {
	tb.Helper()
	certPEM, keyPEM, err := SelfSigned(nil, time.Now(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case requests <- r.Proto:
		default:
		}
		io.WriteString(w, "ok")
	}))
	srv.TLS = ServerConfig(cert)
	// The refused handshakes are the point of some tests, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv, mustWrite(tb, tb.TempDir(), "cert.pem", certPEM)
}

// get fetches url with a client using cfg, returning the body.
func get(cfg *tls.Config, url string) (string, error) {
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.Proto + " " + string(b), err
}

func TestTLSRoundTrip(t *testing.T) {
	requests := make(chan string, 10)
	srv, caFile := mustTLSServer(t, requests)

	t.Run("trusted with its PEM", func(t *testing.T) {
		cfg, err := ClientConfig(caFile, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := get(cfg, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got != "HTTP/1.1 ok" {
			t.Errorf("got %q, want HTTP/1.1 ok", got)
		}
	})
	t.Run("trusted by name localhost", func(t *testing.T) {
		cfg, err := ClientConfig(caFile, false)
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		if _, err := get(cfg, "https://localhost:"+port+"/"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refused without it", func(t *testing.T) {
		cfg, err := ClientConfig("", false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(cfg, srv.URL)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("got %v, want x509: certificate signed by unknown authority", err)
		}
	})
	t.Run("insecure skips verification", func(t *testing.T) {
		cfg, err := ClientConfig("", true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := get(cfg, srv.URL); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TLS 1.1 refused by the server", func(t *testing.T) {
		before := len(requests)
		cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		if _, err := get(cfg, srv.URL); err == nil {
			t.Fatal("a TLS 1.1 client was served")
		}
		if len(requests) != before {
			t.Error("the request reached the handler")
		}
	})
	t.Run("TLS 1.1 refused by the client", func(t *testing.T) {
		cfg, err := ClientConfig(caFile, false)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxVersion = tls.VersionTLS11
		if _, err := get(cfg, srv.URL); err == nil {
			t.Fatal("the client spoke TLS 1.1")
		}
	})
}

func TestConfigsMinimumTLS12(t *testing.T) {
	if v := ServerConfig(tls.Certificate{}).MinVersion; v != tls.VersionTLS12 {
		t.Errorf("server minimum %x", v)
	}
	for _, insecure := range []bool{false, true} {
		cfg, err := ClientConfig("", insecure)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify != insecure {
			t.Errorf("insecure %v: minimum %x, skip verify %v", insecure, cfg.MinVersion, cfg.InsecureSkipVerify)
		}
	}
}

func TestClientConfigErrors(t *testing.T) {
	dir := t.TempDir()
	_, keyPEM := mustSelfSigned(t)
	certPEM, _ := mustSelfSigned(t)
	keyOnly := mustWrite(t, dir, "key.pem", keyPEM)
	good := mustWrite(t, dir, "cert.pem", certPEM)
	tests := []struct {
		name     string
		file     string
		insecure bool
		want     string
	}{
		{name: "missing file", file: filepath.Join(dir, "none.pem"), want: "cannot read the CA certificate"},
		{name: "no certificate in it", file: keyOnly, want: keyOnly + " holds no PEM certificate"},
		{name: "both", file: good, insecure: true, want: "do not go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ClientConfig(tt.file, tt.insecure)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// Runs started at once into one directory make one certificate between
// them, and each loads a pair that matches.
func TestLoadOrCreateConcurrently(t *testing.T) {
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), fmt.Sprint("tls-", round))
		const runs = 8
		fingerprints := make(chan string, runs)
		errs := make(chan error, runs)
		var wg sync.WaitGroup
		for range runs {
			wg.Go(func() {
				cert, _, _, err := LoadOrCreate(dir, time.Now())
				if err != nil {
					errs <- err
					return
				}
				fingerprints <- Fingerprint(cert.Leaf)
			})
		}
		wg.Wait()
		close(errs)
		close(fingerprints)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		seen := map[string]bool{}
		for fp := range fingerprints {
			seen[fp] = true
		}
		if len(seen) != 1 {
			t.Errorf("round %d: %d certificates for one directory, want 1", round, len(seen))
		}
	}
}

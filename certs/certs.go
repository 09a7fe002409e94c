// Package certs makes and loads the TLS certificates hooklab serves and
// trusts: a self-signed certificate for a local listener, the server and
// client configurations (TLS 1.2 at least), and the SHA-256 fingerprint a
// person compares by eye.
//
// A generated certificate is its own root: a client trusts it by adding its
// PEM to its trust store (curl --cacert, hooklab send --cacert), not by
// turning verification off.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hooklab/hooklab/internal/atomicfile"
)

// Validity of a generated certificate: from Backdate before it was made (a
// client whose clock is a little behind still accepts it) for Lifetime.
const (
	Backdate = time.Hour
	Lifetime = 90 * 24 * time.Hour
)

// renewBefore is how close to its end a kept certificate is replaced by
// LoadOrCreate, so that a run started just before expiry does not fail
// part way.
const renewBefore = 24 * time.Hour

// File names LoadOrCreate keeps in its directory.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
	// lockFile is locked while a run looks for, or makes, the pair.
	lockFile = ".lock"
)

// DefaultHosts are the names every generated certificate is for.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// SelfSigned makes an ECDSA P-256 certificate and key, both PEM encoded,
// for DefaultHosts and hosts (DNS names or IP addresses), valid from an
// hour before now for Lifetime. The certificate signs itself and is a CA,
// so a client can trust its PEM directly as a root. random supplies the
// serial number (crypto/rand.Reader outside tests); the key always comes
// from the system's secure source.
func SelfSigned(hosts []string, now time.Time, random io.Reader) (certPEM, keyPEM []byte, err error) {
	if random == nil {
		random = rand.Reader
	}
	var dnsNames []string
	var ips []net.IP
	seen := map[string]bool{}
	for _, h := range append(append([]string{}, DefaultHosts...), hosts...) {
		h = strings.TrimSpace(h)
		if h == "" || strings.ContainsAny(h, " \t\r\n/:") && net.ParseIP(h) == nil {
			return nil, nil, fmt.Errorf("certificate host %q is neither a DNS name nor an IP address", h)
		}
		if ip := net.ParseIP(h); ip != nil {
			if !seen[ip.String()] {
				seen[ip.String()] = true
				ips = append(ips, ip)
			}
			continue
		}
		if h = strings.ToLower(h); !seen[h] {
			seen[h] = true
			dnsNames = append(dnsNames, h)
		}
	}
	serial, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make a serial number: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make a key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"hooklab"}, CommonName: "hooklab listen (self-signed)"},
		NotBefore:    now.Add(-Backdate),
		NotAfter:     now.Add(Lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// A CA, so that clients (Go's, curl's) accept the certificate as
		// its own root when given its PEM.
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make the certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot encode the key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// Load reads a PEM certificate (with any intermediates after it) and its
// private key. The returned certificate's Leaf is set. Its errors name the
// file and say what is wrong with it.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot read the certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot read the key: %w", err)
	}
	if !hasBlock(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, fmt.Errorf("%s holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)", certFile)
	}
	if !hasBlock(keyPEM, "PRIVATE KEY") {
		return tls.Certificate{}, fmt.Errorf("%s holds no PEM private key (a block starting -----BEGIN ... PRIVATE KEY-----)", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s and %s do not make a certificate and its key: %w", certFile, keyFile, err)
	}
	// X509KeyPair sets Leaf since Go 1.23; parse it when it did not.
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("%s: %w", certFile, err)
		}
	}
	return cert, nil
}

// hasBlock reports whether data holds a PEM block whose type ends with
// suffix ("PRIVATE KEY" matches "EC PRIVATE KEY" and "RSA PRIVATE KEY").
func hasBlock(data []byte, suffix string) bool {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return false
		}
		if strings.HasSuffix(b.Type, suffix) {
			return true
		}
	}
}

// LoadOrCreate returns the certificate kept in dir (CertFile and KeyFile),
// making dir (mode 0700) and a new SelfSigned certificate for
// DefaultHosts when there is none, or when the one there is not valid at
// now or ends within a day. certPath is the absolute path of the PEM a
// client trusts; created says whether it was made now. A directory holding
// one file without the other, or files that do not load, is an error, not
// overwritten. Runs that share dir take turns (a lock on the file .lock in it), so
// that listeners started at once use one certificate.
func LoadOrCreate(dir string, now time.Time) (cert tls.Certificate, certPath string, created bool, err error) {
	if dir, err = filepath.Abs(dir); err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", false, fmt.Errorf("cannot make the certificate directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return tls.Certificate{}, "", false, fmt.Errorf("cannot lock the certificate directory: %w", err)
	}
	defer unlock()
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certThere, keyThere := exists(certPath), exists(keyPath)
	switch {
	case certThere && keyThere:
		cert, err := Load(certPath, keyPath)
		if err != nil {
			return tls.Certificate{}, "", false, fmt.Errorf("%w; remove %s and %s to make a new one", err, certPath, keyPath)
		}
		if now.Before(cert.Leaf.NotBefore) || now.After(cert.Leaf.NotAfter.Add(-renewBefore)) {
			break // made again below
		}
		return cert, certPath, false, nil
	case certThere || keyThere:
		return tls.Certificate{}, "", false, fmt.Errorf("%s holds only one of %s and %s; remove it to make a new pair", dir, CertFile, KeyFile)
	}
	certPEM, keyPEM, err := SelfSigned(nil, now, rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", false, err
	}
	// The key first, so that a certificate is never there without it.
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, "", false, err
	}
	if err := atomicfile.Write(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, "", false, err
	}
	if cert, err = Load(certPath, keyPath); err != nil {
		return tls.Certificate{}, "", false, err
	}
	return cert, certPath, true, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// Fingerprint returns the SHA-256 of cert's DER encoding as colon-separated
// upper-case hex, as `openssl x509 -noout -fingerprint -sha256` prints it.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(sum)*3-1)
	for i, c := range sum {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(b)
}

// ServerConfig serves cert with TLS 1.2 at least. It offers only HTTP/1.1
// by ALPN: hooklab's receiver records and answers HTTP/1.1 exchanges.
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// ClientConfig returns a client configuration with TLS 1.2 at least that
// trusts the system's roots and, when caFile is not empty, every
// certificate in that PEM file (such as the one `hooklab listen --tls`
// generated). insecure skips verification altogether; it does not go
// with caFile.
func ClientConfig(caFile string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case insecure && caFile != "":
		return nil, errors.New("a CA file and skipping verification do not go together: give one")
	case insecure:
		cfg.InsecureSkipVerify = true
		return cfg, nil
	case caFile == "":
		return cfg, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA certificate: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system roots to add to (a minimal container): the file's
		// alone are what this client trusts.
		pool = x509.NewCertPool()
	}
	// SystemCertPool returns a copy: adding to it changes no other client.
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hooklab/hooklab/certs"
)

// TLS for the clients (send, load mode, check, replay: --cacert and
// --insecure) and for listen (--tls, --tls-cert, --tls-key, --tls-dir).

// tlsOptions are a client's TLS flags.
type tlsOptions struct {
	CACert   string // --cacert: a PEM file to trust besides the system's roots
	Insecure bool   // --insecure: no verification at all
}

func tlsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cacert", Usage: "for an https URL, trust the certificates in the PEM `FILE` too, such as the one hooklab listen --tls generated (its banner says where)"},
		&cli.BoolFlag{Name: "insecure", Usage: "for an https URL, do not verify the receiver's certificate"},
	}
}

func tlsOptionsFrom(c *cli.Context) tlsOptions {
	return tlsOptions{CACert: c.String("cacert"), Insecure: c.Bool("insecure")}
}

// clientTLSConfig is the configuration for https URLs: TLS 1.2 at least,
// the system's roots plus --cacert's, or no verification with --insecure.
// A --cacert that does not read, or both flags, is a usage error.
func clientTLSConfig(o tlsOptions) (*tls.Config, error) {
	if o.Insecure && o.CACert != "" {
		return nil, usageErrorf("--cacert trusts that certificate, --insecure trusts any: give one, not both")
	}
	cfg, err := certs.ClientConfig(o.CACert, o.Insecure)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf("--cacert %s does not exist (hooklab listen --tls prints the path of its certificate)", o.CACert)
	case err != nil:
		return nil, usageErrorf("--cacert: %v", err)
	}
	return cfg, nil
}

// explain adds to a failed TLS handshake what to do about it: a receiver
// whose certificate this client does not trust (hooklab listen --tls's own,
// say) needs --cacert or --insecure. Other errors are returned as they are.
func (o tlsOptions) explain(err error) error {
	if err == nil || o.Insecure {
		return err
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	var hint string
	switch {
	case errors.As(err, &unknown) && o.CACert != "":
		hint = "the certificates in " + o.CACert + " do not include the receiver's or its issuer; " +
			"check that --cacert names the PEM of this receiver (hooklab listen --tls prints its path), or pass --insecure to skip verification"
	case errors.As(err, &unknown):
		hint = "pass --cacert FILE with the receiver's certificate (hooklab listen --tls prints the path of its PEM), or --insecure to skip verification"
	case errors.As(err, &hostname):
		hint = "the receiver's certificate is not for the URL's host; use a host it names, or pass --insecure to skip verification"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		hint = "the receiver's certificate has expired or is not valid yet (check both clocks); or pass --insecure to skip verification"
	default:
		return err
	}
	return tlsError{err: err, hint: hint}
}

// tlsError is a failed handshake with what to do about it.
type tlsError struct {
	err  error
	hint string
}

func (e tlsError) Error() string { return e.err.Error() + "; " + e.hint }
func (e tlsError) Unwrap() error { return e.err }

// probeTLS shakes hands with u's host when u is https and certificates are
// verified, and returns a failed verification, explained. Any other
// failure (nothing listening, no answer) is left to the requests that
// follow, which report it as they do for http. check and load mode call
// it first, so that a certificate the client does not trust is said once,
// not by every scenario or request.
func probeTLS(ctx context.Context, u *url.URL, cfg *tls.Config, timeout time.Duration, o tlsOptions) error {
	if u.Scheme != "https" || o.Insecure {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := u.Port()
	if port == "" {
		port = "443"
	}
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil
	}
	defer raw.Close()
	c := cfg.Clone()
	if c == nil {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c.ServerName = u.Hostname()
	conn := tls.Client(raw, c)
	err = conn.HandshakeContext(ctx)
	if err == nil {
		// Said so that the receiver does not log a connection reset.
		conn.Close()
		return nil
	}
	if explained := o.explain(err); explained != err {
		return fmt.Errorf("cannot connect to %s: %w", u.Host, explained)
	}
	return nil
}

// tlsListenOptions are listen's TLS flags.
type tlsListenOptions struct {
	Cert, Key string // --tls-cert, --tls-key: serve this certificate
	Generate  bool   // --tls: serve HTTPS, with a generated certificate unless Cert is given
	Dir       string // --tls-dir: keep the generated certificate here and reuse it
}

// requested reports whether any TLS flag was given.
func (o tlsListenOptions) requested() bool {
	return o.Cert != "" || o.Key != "" || o.Generate || o.Dir != ""
}

func listenTLSFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "tls", Usage: "serve HTTPS; without --tls-cert, with a self-signed certificate for localhost, 127.0.0.1 and ::1 made at start, " +
			"whose PEM path and SHA-256 fingerprint are printed for clients to trust (hooklab send --cacert FILE, curl --cacert FILE)"},
		&cli.StringFlag{Name: "tls-cert", Usage: "serve HTTPS with the certificate in the PEM `FILE` (intermediates after it); needs --tls-key"},
		&cli.StringFlag{Name: "tls-key", Usage: "the private key of --tls-cert, a PEM `FILE`"},
		&cli.StringFlag{Name: "tls-dir", Usage: "keep the generated certificate in `DIR` (cert.pem, key.pem) and reuse it in later runs until it nears its end; implies --tls"},
	}
}

func listenTLSOptionsFrom(c *cli.Context) tlsListenOptions {
	return tlsListenOptions{Cert: c.String("tls-cert"), Key: c.String("tls-key"), Generate: c.Bool("tls"), Dir: c.String("tls-dir")}
}

// tlsInfo is what listen's banner says about its certificate.
type tlsInfo struct {
	CertPath    string // the PEM a client trusts (--cacert)
	Fingerprint string // SHA-256, colon-separated upper-case hex
	Generated   bool   // made by this run
	Kept        bool   // made by an earlier run, kept in --tls-dir
	NotAfter    time.Time
	// TempDir is the directory made for this run's certificate, which
	// listen removes when it stops; empty with --tls-dir or --tls-cert.
	TempDir string
	// Warnings are for the banner: a given certificate that clients will
	// refuse (expired, not yet valid).
	Warnings []string
}

// listenTLS returns the server configuration o asks for, or nil when no
// TLS flag was given (plain HTTP). --tls alone makes a certificate for the
// run in a new directory under configDir (os.TempDir() when empty), so
// that clients can be pointed at its PEM; --tls-dir keeps it for later
// runs. Mistakes in the flags, and given files that do not load, are
// usage errors.
func listenTLS(o tlsListenOptions, now time.Time, configDir string) (cfg *tls.Config, info tlsInfo, err error) {
	switch {
	case !o.requested():
		return nil, tlsInfo{}, nil
	case o.Cert != "" && o.Key == "":
		return nil, tlsInfo{}, usageErrorf("--tls-cert needs --tls-key, the certificate's private key")
	case o.Key != "" && o.Cert == "":
		return nil, tlsInfo{}, usageErrorf("--tls-key needs --tls-cert, the certificate it is the key of")
	case o.Cert != "" && o.Dir != "":
		return nil, tlsInfo{}, usageErrorf("--tls-dir keeps a generated certificate; --tls-cert and --tls-key serve yours: give one or the other")
	}

	var cert tls.Certificate
	switch {
	case o.Cert != "":
		if cert, err = certs.Load(o.Cert, o.Key); err != nil {
			return nil, tlsInfo{}, usageErrorf("--tls-cert/--tls-key: %v", err)
		}
		info.CertPath = o.Cert
		switch l := cert.Leaf; {
		case now.After(l.NotAfter):
			info.Warnings = append(info.Warnings, fmt.Sprintf("the certificate in %s expired on %s: clients will refuse it", o.Cert, l.NotAfter.UTC().Format(time.DateTime)))
		case now.Before(l.NotBefore):
			info.Warnings = append(info.Warnings, fmt.Sprintf("the certificate in %s is not valid before %s: clients will refuse it", o.Cert, l.NotBefore.UTC().Format(time.DateTime)))
		}
	case o.Dir != "":
		if cert, info.CertPath, info.Generated, err = certs.LoadOrCreate(o.Dir, now); err != nil {
			return nil, tlsInfo{}, fmt.Errorf("--tls-dir: %w", err)
		}
		info.Kept = !info.Generated
	default:
		if configDir == "" {
			configDir = os.TempDir()
		}
		dir, err := os.MkdirTemp(configDir, "hooklab-tls-")
		if err != nil {
			return nil, tlsInfo{}, fmt.Errorf("cannot make a directory for the certificate: %w", err)
		}
		if cert, info.CertPath, info.Generated, err = certs.LoadOrCreate(dir, now); err != nil {
			os.RemoveAll(dir)
			return nil, tlsInfo{}, err
		}
		info.TempDir = dir
	}
	info.Fingerprint = certs.Fingerprint(cert.Leaf)
	info.NotAfter = cert.Leaf.NotAfter
	return certs.ServerConfig(cert), info, nil
}

// bannerLines says, for listen's banner, where the certificate is and how
// a client trusts it.
func (i tlsInfo) bannerLines() []string {
	made := "given"
	switch {
	case i.Generated && i.TempDir != "":
		made = "generated for this run"
	case i.Generated:
		made = "generated"
	case i.Kept:
		made = "kept from an earlier run"
	}
	lines := []string{
		fmt.Sprintf("TLS certificate (%s, valid until %s): %s", made, i.NotAfter.UTC().Format(time.DateOnly), i.CertPath),
		"SHA-256 fingerprint: " + i.Fingerprint,
		"trust it with: hooklab send --cacert " + i.CertPath + "   curl --cacert " + i.CertPath,
	}
	for _, w := range i.Warnings {
		lines = append(lines, "warning: "+w)
	}
	return lines
}

package signing_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// GitHub's documented test vector. Source: GitHub Docs, "Validating webhook
// deliveries", section "Testing the webhook payload validation",
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
const (
	githubDocSecret    = "It's a Secret to Everybody"
	githubDocBody      = "Hello, World!"
	githubDocSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func TestGitHubDocumentedVector(t *testing.T) {
	g := mustGitHub(t, githubDocSecret)
	body := []byte(githubDocBody)

	h := mustSign(t, g, body)
	if got := h.Values(signing.GitHubSignatureHeader); len(got) != 1 || got[0] != githubDocSignature {
		t.Errorf("Sign: %s = %q, want [%q] (GitHub docs)", signing.GitHubSignatureHeader, got, githubDocSignature)
	}
	// GitHub publishes no SHA-1 value for this vector: compare with crypto/hmac.
	wantLegacy := "sha1=" + hex.EncodeToString(hmacSHA1([]byte(githubDocSecret), body))
	if got := h.Values(signing.GitHubLegacySignatureHeader); len(got) != 1 || got[0] != wantLegacy {
		t.Errorf("Sign: %s = %q, want [%q]", signing.GitHubLegacySignatureHeader, got, wantLegacy)
	}
	if len(h) != 2 {
		t.Errorf("Sign returned %d headers (%v), want exactly the two signature headers", len(h), h)
	}

	if err := signing.Verify(g, githubHeader(githubDocSignature), body, time.Time{}); err != nil {
		t.Errorf("Verify(GitHub docs vector) = %v, want nil", err)
	}
	if got := g.Name(); got != "github" {
		t.Errorf("Name() = %q, want %q", got, "github")
	}
	if got := g.SignatureHeader(); got != "X-Hub-Signature-256" {
		t.Errorf("SignatureHeader() = %q, want %q", got, "X-Hub-Signature-256")
	}
}

// vectorsPath is shared/vectors/vectors.json as seen from this package's
// directory, where go test runs. It exists only where shared/ sits beside
// the repository.
const vectorsPath = "../../shared/vectors/vectors.json"

// vector is one entry of vectors.json; fields other schemes need are left out.
type vector struct {
	Scheme          string            `json:"scheme"`
	Secret          string            `json:"secret"`
	Body            string            `json:"body"`
	BodyFile        string            `json:"body_file"`
	BodySHA256      string            `json:"body_sha256"`
	BodyLen         int               `json:"body_len"`
	ExpectedHeaders map[string]string `json:"expected_headers"`
	Source          string            `json:"source"`
}

// mustReadVectors returns the entries of vectors.json for scheme, after
// checking each body against its recorded length and SHA-256 so that a
// damaged file fails loudly instead of failing the signature checks. It skips
// the test when the file is absent.
func mustReadVectors(tb testing.TB, scheme string) []vector {
	tb.Helper()
	data, err := os.ReadFile(vectorsPath)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("%s is absent: the published vectors live in shared/ beside the repository", vectorsPath)
	}
	if err != nil {
		tb.Fatal(err)
	}
	var all []vector
	if err := json.Unmarshal(data, &all); err != nil {
		tb.Fatalf("%s: %v", vectorsPath, err)
	}
	var out []vector
	for _, v := range all {
		if v.Scheme != scheme {
			continue
		}
		if v.BodyFile != "" {
			fromFile, err := os.ReadFile(filepath.Join(filepath.Dir(vectorsPath), v.BodyFile))
			if err != nil {
				tb.Fatalf("vector from %s: %v", v.Source, err)
			}
			if string(fromFile) != v.Body {
				tb.Fatalf("vector from %s: body_file %s differs from body", v.Source, v.BodyFile)
			}
		}
		sum := sha256.Sum256([]byte(v.Body))
		if got := hex.EncodeToString(sum[:]); got != v.BodySHA256 || len(v.Body) != v.BodyLen {
			tb.Fatalf("vector from %s is damaged: body has SHA-256 %s and %d bytes, the file records %s and %d",
				v.Source, got, len(v.Body), v.BodySHA256, v.BodyLen)
		}
		if len(v.ExpectedHeaders) == 0 {
			tb.Fatalf("vector from %s has no expected_headers", v.Source)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		tb.Fatalf("%s has no %q vectors", vectorsPath, scheme)
	}
	return out
}

func TestGitHubPublishedVectors(t *testing.T) {
	for i, v := range mustReadVectors(t, "github") {
		// The source starts with the repository the vector was published in.
		t.Run(fmt.Sprintf("%d_%s", i, strings.Fields(v.Source)[0]), func(t *testing.T) {
			g := mustGitHub(t, v.Secret)
			body := []byte(v.Body)
			signed := mustSign(t, g, body)
			for name, want := range v.ExpectedHeaders {
				if got := signed.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("Sign: %s = %q, want [%q] (source: %s)", name, got, want, v.Source)
				}
				h := http.Header{}
				h.Set(name, want)
				err := signing.Verify(g, h, body, time.Time{})
				switch http.CanonicalHeaderKey(name) {
				case signing.GitHubSignatureHeader:
					if err != nil {
						t.Errorf("Verify(%s: %s) = %v, want nil (source: %s)", name, want, err, v.Source)
					}
					err := signing.Verify(g, h, append(body, ' '), time.Time{})
					if !errors.Is(err, signing.ErrMismatch) {
						t.Errorf("Verify(%s: %s) of the body plus a space = %v, want ErrMismatch (source: %s)", name, want, err, v.Source)
					}
				case signing.GitHubLegacySignatureHeader:
					// A correct SHA-1 signature alone is still refused.
					if !errors.Is(err, signing.ErrMissing) {
						t.Errorf("Verify(only %s: %s) = %v, want ErrMissing (source: %s)", name, want, err, v.Source)
					}
				default:
					t.Errorf("vector from %s expects header %q, which the GitHub scheme does not send", v.Source, name)
				}
			}
		})
	}
}

// mustOpenSSLHMAC returns the hex HMAC of body under key computed by
// `openssl dgst -<digest> -hmac key`, reading body on stdin.
func mustOpenSSLHMAC(tb testing.TB, openssl, digest, key string, body []byte, size int) string {
	tb.Helper()
	cmd := exec.Command(openssl, "dgst", "-"+digest, "-hmac", key)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("openssl dgst -%s -hmac: %v: %s", digest, err, stderr.Bytes())
	}
	// OpenSSL 3 prints "SHA2-256(stdin)= <hex>", older ones "(stdin)= <hex>":
	// the MAC is the last field either way.
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		tb.Fatalf("openssl dgst -%s -hmac printed nothing", digest)
	}
	mac := strings.ToLower(fields[len(fields)-1])
	if b, err := hex.DecodeString(mac); err != nil || len(b) != size {
		tb.Fatalf("openssl dgst -%s -hmac printed %q, want %d hex bytes last", digest, out, size)
	}
	return mac
}

func TestGitHubMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	everyByte := make([]byte, 512)
	for i := range everyByte {
		everyByte[i] = byte(i)
	}
	mib := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{'h', 'o', 'o', 'k'}).Read(mib) //nolint:errcheck // ChaCha8.Read never fails.

	tests := []struct {
		name   string
		secret string
		body   []byte
	}{
		{name: "GitHub docs vector", secret: githubDocSecret, body: []byte(githubDocBody)},
		{name: "binary bytes", secret: githubDocSecret, body: everyByte},
		{name: "trailing newline", secret: "s3cret", body: []byte("{\"zen\":\"Design for failure.\"}\n")},
		{name: "CRLF line ends", secret: "s3cret", body: []byte("a=1\r\nb=2\r\n")},
		{name: "empty body", secret: "s3cret", body: nil},
		{name: "1 MiB body", secret: "a much longer secret, longer than the 64-byte SHA-256 block size of HMAC", body: mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustSign(t, mustGitHub(t, tt.secret), tt.body)
			if got, want := h.Get(signing.GitHubSignatureHeader), "sha256="+mustOpenSSLHMAC(t, openssl, "sha256", tt.secret, tt.body, 32); got != want {
				t.Errorf("%s = %q, openssl says %q", signing.GitHubSignatureHeader, got, want)
			}
			if got, want := h.Get(signing.GitHubLegacySignatureHeader), "sha1="+mustOpenSSLHMAC(t, openssl, "sha1", tt.secret, tt.body, 20); got != want {
				t.Errorf("%s = %q, openssl says %q", signing.GitHubLegacySignatureHeader, got, want)
			}
		})
	}
}

// The secret and body of the error cases. The secret is distinctive so that
// finding it in an error message cannot be a coincidence.
const caseSecret = "hooklab-case-secret-7Qv2"

var caseBody = []byte(`{"action":"opened","number":1}`)

// githubCase is one delivery to the GitHub scheme keyed with caseSecret.
type githubCase struct {
	name       string
	header     http.Header
	body       []byte
	wantErr    error  // nil when the delivery verifies
	wantDetail string // a phrase the error message must contain
}

// githubCases returns deliveries that are refused for every reason Begin and
// Verify know, and the two spellings that verify.
func githubCases(tb testing.TB) []githubCase {
	tb.Helper()
	mac := hex.EncodeToString(hmacSHA256([]byte(caseSecret), caseBody))
	good := "sha256=" + mac
	other := mustSign(tb, mustGitHub(tb, "another-secret"), caseBody).Get(signing.GitHubSignatureHeader)
	legacy := mustSign(tb, mustGitHub(tb, caseSecret), caseBody).Get(signing.GitHubLegacySignatureHeader)
	notHex := []byte(good)
	notHex[len(notHex)-1] = 'g'
	// The right signature with one bit changed in its first or last byte, so
	// that a comparison of only part of the MAC is caught.
	firstByte := "sha256=" + flipHexDigit(mac, 1)
	lastByte := "sha256=" + flipHexDigit(mac, len(mac)-1)

	return []githubCase{
		{
			name:    "missing header",
			header:  http.Header{},
			body:    caseBody,
			wantErr: signing.ErrMissing,
		},
		{
			name:       "only the legacy SHA-1 header",
			header:     http.Header{signing.GitHubLegacySignatureHeader: {legacy}},
			body:       caseBody,
			wantErr:    signing.ErrMissing,
			wantDetail: "SHA-1",
		},
		{
			name:    "header sent twice",
			header:  http.Header{signing.GitHubSignatureHeader: {good, good}},
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "bare hex without sha256= prefix",
			header:  githubHeader(mac),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "sha1= prefix",
			header:  githubHeader("sha1=" + mac),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "upper-case SHA256= prefix",
			header:  githubHeader("SHA256=" + mac),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "not hex",
			header:  githubHeader(string(notHex)),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "truncated to 62 hex digits",
			header:  githubHeader(good[:len(good)-2]),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "too long",
			header:  githubHeader(good + "00"),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "trailing space",
			header:  githubHeader(good + " "),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "empty value",
			header:  githubHeader(""),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:    "prefix only",
			header:  githubHeader("sha256="),
			body:    caseBody,
			wantErr: signing.ErrMalformed,
		},
		{
			name:   "right signature",
			header: githubHeader(good),
			body:   caseBody,
		},
		{
			name:   "right signature in upper-case hex",
			header: githubHeader("sha256=" + strings.ToUpper(mac)),
			body:   caseBody,
		},
		{
			name:    "signature from another secret",
			header:  githubHeader(other),
			body:    caseBody,
			wantErr: signing.ErrMismatch,
		},
		{
			name:    "first byte of the signature changed",
			header:  githubHeader(firstByte),
			body:    caseBody,
			wantErr: signing.ErrMismatch,
		},
		{
			name:    "last byte of the signature changed",
			header:  githubHeader(lastByte),
			body:    caseBody,
			wantErr: signing.ErrMismatch,
		},
		{
			name:    "body changed by a trailing newline",
			header:  githubHeader(good),
			body:    append(append([]byte(nil), caseBody...), '\n'),
			wantErr: signing.ErrMismatch,
		},
	}
}

// flipHexDigit returns hex with the digit at i changed to another hex digit.
func flipHexDigit(hex string, i int) string {
	b := []byte(hex)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

func TestGitHubBeginVerify(t *testing.T) {
	g := mustGitHub(t, caseSecret)
	for _, tt := range githubCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			v, err := g.Begin(tt.header, time.Time{})
			// A missing or malformed header is refused before the body is read.
			if errors.Is(tt.wantErr, signing.ErrMissing) || errors.Is(tt.wantErr, signing.ErrMalformed) {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Begin = %v, want %v", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Begin = %v, want nil: only the body can decide this case", err)
				}
				v.Write(tt.body) //nolint:errcheck // checked in TestGitHubStreaming
				err = v.Verify()
			}
			if oneShot := signing.Verify(g, tt.header, tt.body, time.Time{}); !errors.Is(oneShot, tt.wantErr) {
				t.Errorf("Verify = %v, but Begin, Write, Verify = %v", oneShot, err)
			}

			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("error = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			var se *signing.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *signing.Error", err, err)
			}
			if se.Header != signing.GitHubSignatureHeader {
				t.Errorf("Error.Header = %q, want %q", se.Header, signing.GitHubSignatureHeader)
			}
			if se.Detail == "" {
				t.Errorf("Error.Detail is empty: the message must say what to check")
			}
			if !strings.Contains(err.Error(), tt.wantDetail) {
				t.Errorf("error %q does not mention %q", err, tt.wantDetail)
			}
		})
	}
}

func TestGitHubErrorsDoNotLeak(t *testing.T) {
	g := mustGitHub(t, caseSecret)
	for _, tt := range githubCases(t) {
		if tt.wantErr == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			err := signing.Verify(g, tt.header, tt.body, time.Time{})
			if err == nil {
				t.Fatal("Verify = nil, want an error")
			}
			// What the verifier expects is the MAC of the body it was given;
			// the SHA-1 one is as secret.
			key := []byte(caseSecret)
			assertNoLeak(t, err, leaks(caseSecret, hmacSHA256(key, tt.body), hmacSHA1(key, tt.body)))
		})
	}
}

func TestNewGitHubNoSecret(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
	}{
		{name: "no secret", secrets: nil},
		{name: "empty secret", secrets: []string{""}},
		{name: "second secret empty", secrets: []string{"a", ""}},
		{name: "first secret empty", secrets: []string{"", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := signing.NewGitHub(tt.secrets...)
			if !errors.Is(err, signing.ErrNoSecret) {
				t.Errorf("NewGitHub(%q) error = %v, want ErrNoSecret", tt.secrets, err)
			}
			if g != nil {
				t.Errorf("NewGitHub(%q) returned a scheme along with its error", tt.secrets)
			}
		})
	}
}

func TestGitHubWithoutSecretVerifiesNothing(t *testing.T) {
	body := []byte(githubDocBody)
	// The signature an empty key gives: what a sender or receiver with an
	// unset secret variable would compute.
	emptyKey := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256(nil, body)))

	tests := []struct {
		name    string
		scheme  *signing.GitHub
		wantErr error
	}{
		{name: "zero value", scheme: &signing.GitHub{}, wantErr: signing.ErrNoSecret},
		{name: "nil", scheme: nil, wantErr: signing.ErrNoSecret},
		{name: "real secret", scheme: mustGitHub(t, githubDocSecret), wantErr: signing.ErrMismatch},
		{name: "one-space secret", scheme: mustGitHub(t, " "), wantErr: signing.ErrMismatch},
		{name: "rotated secrets", scheme: mustGitHub(t, "new", "old"), wantErr: signing.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := signing.Verify(tt.scheme, emptyKey, body, time.Time{}); !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify(empty-key signature) = %v, want %v", err, tt.wantErr)
			}
			if !errors.Is(tt.wantErr, signing.ErrNoSecret) {
				return
			}
			if v, err := tt.scheme.Begin(emptyKey, time.Time{}); !errors.Is(err, signing.ErrNoSecret) || v != nil {
				t.Errorf("Begin = %v, %v, want nil, ErrNoSecret", v, err)
			}
			if h, err := tt.scheme.Sign(signing.Message{Body: body}); !errors.Is(err, signing.ErrNoSecret) || h != nil {
				t.Errorf("Sign = %v, %v, want nil, ErrNoSecret", h, err)
			}
		})
	}
}

func TestGitHubRotation(t *testing.T) {
	const newSecret, oldSecret = "new-secret-5d1", "old-secret-9b3"
	rotated := mustGitHub(t, newSecret, oldSecret)
	body := []byte(`{"zen":"Half measures are as bad as nothing at all."}`)

	tests := []struct {
		name    string
		signer  string
		wantErr error
	}{
		{name: "signed with the new secret", signer: newSecret},
		{name: "signed with the old secret", signer: oldSecret},
		{name: "signed with neither", signer: "third-secret-0c8", wantErr: signing.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustSign(t, mustGitHub(t, tt.signer), body)
			err := signing.Verify(rotated, h, body, time.Time{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			assertNoLeak(t, err, append(
				leaks(newSecret, hmacSHA256([]byte(newSecret), body)),
				leaks(oldSecret, hmacSHA256([]byte(oldSecret), body))...))
		})
	}

	t.Run("Sign uses the first secret", func(t *testing.T) {
		got := mustSign(t, rotated, body)
		want := mustSign(t, mustGitHub(t, newSecret), body)
		for _, name := range []string{signing.GitHubSignatureHeader, signing.GitHubLegacySignatureHeader} {
			if got.Get(name) != want.Get(name) {
				t.Errorf("%s = %q, want %q (signed with the first secret)", name, got.Get(name), want.Get(name))
			}
		}
	})
}

func TestNewGitHubCopiesSecrets(t *testing.T) {
	secrets := []string{githubDocSecret}
	g := mustGitHub(t, secrets...)
	secrets[0] = "changed after NewGitHub"
	h := mustSign(t, g, []byte(githubDocBody))
	want := "sha1=" + hex.EncodeToString(hmacSHA1([]byte(githubDocSecret), []byte(githubDocBody)))
	if got := h.Get(signing.GitHubSignatureHeader); got != githubDocSignature {
		t.Errorf("%s = %q, want %q", signing.GitHubSignatureHeader, got, githubDocSignature)
	}
	if got := h.Get(signing.GitHubLegacySignatureHeader); got != want {
		t.Errorf("%s = %q, want %q", signing.GitHubLegacySignatureHeader, got, want)
	}
}

// A chunker splits a body into consecutive pieces that together are the body.
type chunker func(body []byte) [][]byte

func oneWrite(body []byte) [][]byte { return [][]byte{body} }

func byteAtATime(body []byte) [][]byte {
	out := make([][]byte, len(body))
	for i := range body {
		out[i] = body[i : i+1]
	}
	return out
}

// randomSplits cuts body at random points, with empty writes among them.
func randomSplits(seed uint64) chunker {
	return func(body []byte) [][]byte {
		rng := rand.New(rand.NewPCG(seed, seed))
		var out [][]byte
		for len(body) > 0 {
			n := rng.IntN(min(len(body), 700) + 1)
			out = append(out, body[:n])
			body = body[n:]
		}
		return out
	}
}

// flipLastByte returns a copy of body with its last byte inverted.
func flipLastByte(body []byte) []byte {
	out := append([]byte(nil), body...)
	out[len(out)-1] ^= 0xff
	return out
}

func TestGitHubStreaming(t *testing.T) {
	const secret = "streaming-secret"
	g := mustGitHub(t, secret)
	body := make([]byte, 5000)
	rand.NewChaCha8([32]byte{'s', 't', 'r', 'e', 'a', 'm'}).Read(body) //nolint:errcheck // ChaCha8.Read never fails.

	deliveries := []struct {
		name    string
		header  http.Header
		body    []byte
		wantErr error
	}{
		{name: "matching", header: mustSign(t, g, body), body: body},
		{name: "other secret", header: mustSign(t, mustGitHub(t, "other"), body), body: body, wantErr: signing.ErrMismatch},
		{name: "last byte changed", header: mustSign(t, g, body), body: flipLastByte(body), wantErr: signing.ErrMismatch},
		{name: "empty body", header: mustSign(t, g, nil), body: nil},
	}
	chunkers := []struct {
		name  string
		split chunker
	}{
		{name: "one write", split: oneWrite},
		{name: "one byte at a time", split: byteAtATime},
		{name: "random splits 1", split: randomSplits(1)},
		{name: "random splits 2", split: randomSplits(2)},
		{name: "random splits 3", split: randomSplits(3)},
	}
	for _, d := range deliveries {
		oneShot := signing.Verify(g, d.header, d.body, time.Time{})
		if !errors.Is(oneShot, d.wantErr) {
			t.Fatalf("%s: Verify = %v, want %v", d.name, oneShot, d.wantErr)
		}
		for _, c := range chunkers {
			t.Run(d.name+"/"+c.name, func(t *testing.T) {
				v, err := g.Begin(d.header, time.Time{})
				if err != nil {
					t.Fatalf("Begin = %v", err)
				}
				var written []byte
				for _, p := range c.split(d.body) {
					n, err := v.Write(p)
					if n != len(p) || err != nil {
						t.Fatalf("Write(%d bytes) = %d, %v, want %d, nil", len(p), n, err, len(p))
					}
					written = append(written, p...)
				}
				if !bytes.Equal(written, d.body) {
					t.Fatalf("the chunks do not add up to the body")
				}
				if err := v.Verify(); !errors.Is(err, d.wantErr) {
					t.Errorf("streamed Verify = %v, one write gave %v", err, oneShot)
				}
			})
		}
	}
}

// TestGitHubPooledStateIsReset alternates refused and accepted deliveries on
// one scheme from several goroutines: an HMAC state returned to the pool
// without a reset, or shared between verifiers, turns a later verdict.
// Run it with -race.
func TestGitHubPooledStateIsReset(t *testing.T) {
	const secret = "pooled-secret"
	const goroutines, rounds = 8, 300
	g := mustGitHub(t, secret)

	failures := make(chan string, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			body := fmt.Appendf(nil, `{"goroutine":%d,"padding":%q}`, i, strings.Repeat("x", 100*i))
			good := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte(secret), body)))
			wrong := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte("not-"+secret), body)))
			changed := append(append([]byte(nil), body...), '\n')
			for r := range rounds {
				if err := signing.Verify(g, wrong, body, time.Time{}); !errors.Is(err, signing.ErrMismatch) {
					failures <- fmt.Sprintf("goroutine %d round %d: wrong signature: Verify = %v, want ErrMismatch", i, r, err)
					return
				}
				if err := signing.Verify(g, good, changed, time.Time{}); !errors.Is(err, signing.ErrMismatch) {
					failures <- fmt.Sprintf("goroutine %d round %d: changed body: Verify = %v, want ErrMismatch", i, r, err)
					return
				}
				if err := signing.Verify(g, good, body, time.Time{}); err != nil {
					failures <- fmt.Sprintf("goroutine %d round %d: right signature: Verify = %v, want nil", i, r, err)
					return
				}
				// Sign draws from the same pool.
				h, err := g.Sign(signing.Message{Body: body})
				if err != nil || h.Get(signing.GitHubSignatureHeader) != good.Get(signing.GitHubSignatureHeader) {
					failures <- fmt.Sprintf("goroutine %d round %d: Sign = %v, %v, want %v", i, r, h, err, good)
					return
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

// TestGitHubVerifyAllocatesNothing: once warm, a whole verification (the
// header, a pooled verifier and HMAC state, the hash and the comparison)
// makes no allocation, accepted or refused.
func TestGitHubVerifyAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	g := mustGitHub(t, "alloc-secret")
	body := []byte(`{"zen":"Design for failure."}`)
	good := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte("alloc-secret"), body)))
	if allocs := testing.AllocsPerRun(100, func() {
		if err := signing.Verify(g, good, body, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("an accepted verification allocates %v times, want 0", allocs)
	}
}

// TestVerifierMisuseFailsClosed: a second Verify, or a Write after Verify,
// refuses, and a verifier kept after its verdict never reaches another
// delivery's: a forged body is refused however a caller misuses the one
// it had before.
func TestVerifierMisuseFailsClosed(t *testing.T) {
	const secret = "misuse-secret"
	g := mustGitHub(t, secret)
	legit := []byte(`{"zen":"legit"}`)
	forged := []byte(`{"zen":"forged"}`)
	good := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte(secret), legit)))
	bad := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte("not-"+secret), forged)))

	v, err := g.Begin(good, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	v.Write(legit)
	if err := v.Verify(); err != nil {
		t.Fatalf("first Verify = %v, want nil", err)
	}
	if err := v.Verify(); !errors.Is(err, signing.ErrMismatch) {
		t.Errorf("second Verify = %v, want ErrMismatch", err)
	}
	v.Write(legit)
	if err := v.Verify(); !errors.Is(err, signing.ErrMismatch) {
		t.Errorf("Verify after a late Write = %v, want ErrMismatch", err)
	}

	// The old verifier is still held: two new deliveries must get verifiers
	// of their own.
	vForged, err := g.Begin(bad, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	vForged.Write(forged)
	vLegit, err := g.Begin(good, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	vLegit.Write(legit)
	if vForged == vLegit || vForged == v || vLegit == v {
		t.Fatal("two deliveries share a verifier")
	}
	if err := vForged.Verify(); !errors.Is(err, signing.ErrMismatch) {
		t.Errorf("forged delivery: Verify = %v, want ErrMismatch", err)
	}
	if err := vLegit.Verify(); err != nil {
		t.Errorf("legit delivery: Verify = %v, want nil", err)
	}
}

// TestReleaseWithoutVerify: a verifier released before its verdict (a body
// that never arrived) gives its hash states back, and the next delivery
// verifies as it should.
func TestReleaseWithoutVerify(t *testing.T) {
	const secret = "release-secret"
	g := mustGitHub(t, secret)
	body := []byte(`{"zen":"released"}`)
	good := githubHeader("sha256=" + hex.EncodeToString(hmacSHA256([]byte(secret), body)))
	for range 100 {
		v, err := g.Begin(good, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		v.Write(body[:5]) // a body cut short
		signing.Release(v)
		if err := signing.Verify(g, good, body, time.Time{}); err != nil {
			t.Fatalf("Verify after a released, half-written verifier = %v, want nil", err)
		}
	}
	signing.Release(nil) // no verifier: nothing to do
}

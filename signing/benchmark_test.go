package signing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

var benchSizes = []struct {
	name string
	size int
}{
	{name: "1KiB", size: 1 << 10},
	{name: "8KiB", size: 8 << 10},
	{name: "256KiB", size: 256 << 10},
	{name: "4MiB", size: 4 << 20},
}

func benchBody(size int) []byte {
	body := make([]byte, size)
	rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'}).Read(body) //nolint:errcheck // ChaCha8.Read never fails.
	return body
}

// BenchmarkVerify measures a whole verification: header parsing, a pooled
// HMAC state, hashing and the comparison.
func BenchmarkVerify(b *testing.B) {
	g := mustGitHub(b, "bench-secret")
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			body := benchBody(bs.size)
			h := mustSign(b, g, body)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			for b.Loop() {
				if err := signing.Verify(g, h, body, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHMACSHA256Raw is the baseline for BenchmarkVerify: what a verifier
// that builds a fresh crypto/hmac per delivery and compares the sums costs.
func BenchmarkHMACSHA256Raw(b *testing.B) {
	key := []byte("bench-secret")
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			body := benchBody(bs.size)
			want := hmacSHA256(key, body)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			for b.Loop() {
				m := hmac.New(sha256.New, key)
				m.Write(body)
				if !hmac.Equal(m.Sum(nil), want) {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

// Command baseline is the yardstick of bench/run.sh: two receivers to
// measure hooklab listen against, and the payloads they are measured with.
//
//	baseline -mode bare            reads the body and answers 200: the most
//	                               net/http can do, the ceiling
//	baseline -mode straightforward io.ReadAll, crypto/hmac and json.Valid:
//	                               the receiver most tutorials write
//	baseline -mode verify          reads the body into a pooled buffer and
//	                               checks its HMAC with a pooled hash, and
//	                               nothing else: the ceiling of any receiver
//	                               that verifies signatures
//	baseline -mode payload -size N prints a valid GitHub push of about N bytes
//
// The receivers listen on -addr and print their URL on the first line.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/hooklab/hooklab/fixtures"
)

func main() {
	mode := flag.String("mode", "bare", "bare, straightforward, verify or payload")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	secret := flag.String("secret", os.Getenv("WEBHOOK_SECRET"), "shared secret (straightforward)")
	size := flag.Int("size", 8<<10, "payload size in bytes (payload)")
	flag.Parse()
	if err := run(*mode, *addr, *secret, *size); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(mode, addr, secret string, size int) error {
	var h http.Handler
	switch mode {
	case "payload":
		p, err := fixtures.PushOfSize(size)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(p)
		return err
	case "bare":
		h = http.HandlerFunc(bare)
	case "straightforward", "verify":
		if secret == "" {
			return fmt.Errorf("%s needs -secret or WEBHOOK_SECRET", mode)
		}
		if mode == "verify" {
			h = verify([]byte(secret))
		} else {
			h = straightforward([]byte(secret))
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/webhook\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: h}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bare reads the body and answers 200.
func bare(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusOK)
}

// straightforward is the receiver of most tutorials: read everything,
// verify, check the JSON.
func straightforward(secret []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256"))) {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		if !json.Valid(body) {
			http.Error(w, "json", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// verify does only what every verifying receiver must: read the body
// once, into a buffer it reuses, and check its HMAC with a keyed hash it
// reuses. No JSON, no log, no answer body.
func verify(secret []byte) http.HandlerFunc {
	macs := sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}
	bufs := sync.Pool{New: func() any { return new([]byte) }}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength < 0 || r.ContentLength > 32<<20 {
			http.Error(w, "length", http.StatusLengthRequired)
			return
		}
		buf := bufs.Get().(*[]byte)
		defer bufs.Put(buf)
		if int64(cap(*buf)) < r.ContentLength {
			*buf = make([]byte, r.ContentLength)
		}
		body := (*buf)[:r.ContentLength]
		if _, err := io.ReadFull(r.Body, body); err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		mac := macs.Get().(hash.Hash)
		defer macs.Put(mac)
		mac.Reset()
		mac.Write(body)
		var sum [sha256.Size]byte
		want, err := hex.DecodeString(strings.TrimPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256="))
		if err != nil || !hmac.Equal(mac.Sum(sum[:0]), want) {
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

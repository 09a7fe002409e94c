package servetest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/receiver"
)

// TestServe: the URL Serve returns reaches h at the webhook path, on
// loopback.
func TestServe(t *testing.T) {
	paths := make(chan string, 1)
	u := servetest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
		io.WriteString(w, "served")
	}), receiver.DefaultLimits())
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, receiver.DefaultPath) {
		t.Errorf("URL %q, want http://127.0.0.1:PORT%s", u, receiver.DefaultPath)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "served" || <-paths != receiver.DefaultPath {
		t.Errorf("answer %q: the handler did not serve the webhook path", body)
	}
}

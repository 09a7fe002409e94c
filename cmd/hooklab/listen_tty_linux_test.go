package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/internal/ptytest"
)

// logLineStart starts every line of listen's text log.
var logLineStart = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `)

// On a terminal listen's log lines fit its width ($COLUMNS here): the
// summary is cut, the details go below, and the status and event stay.
// Written elsewhere the same line is one long line (the golden files).
func TestListenLogFitsTheTerminal(t *testing.T) {
	const secret = "listen-tty-secret-0123456789abcdef"
	tty, output := ptytest.Open(t, 120)
	ready := filepath.Join(t.TempDir(), "addr")
	w := world{terminal: true, env: map[string]string{"COLUMNS": "60", envSecret: secret}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var stderr outputBuffer
	go func() {
		done <- runWith(ctx, []string{"hooklab", "listen", "--addr", "127.0.0.1:0", "--ready-file", ready,
			"--color", "never", "--env-file", os.DevNull}, w.system(t, tty, &stderr))
	}()
	var addr []byte
	for deadline := time.Now().Add(failsafe); len(addr) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no ready file; stderr:\n%s", stderr.String())
		}
		addr, _ = os.ReadFile(ready)
	}
	body := `{"zen":"` + strings.Repeat("Keep it logically awesome. ", 6) + `","hook_id":1}`
	h := pingHeaders(secret, "tty-1")
	h["X-Hub-Signature-256"] = signGitHub(secret, []byte(body))
	if st, _ := send(t, http.MethodPost, "http://"+strings.TrimSpace(string(addr))+"/webhook", []byte(body), h); st != http.StatusOK {
		t.Errorf("status %d", st)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(failsafe):
		t.Fatal("listen did not stop")
	}
	tty.Close()
	out := <-output
	var line string
	for _, l := range strings.Split(out, "\n") {
		// Log records and their continuation lines; not the banner or
		// the stop summary, which are not log records.
		record := logLineStart.MatchString(l) || (strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     "))
		if n := utf8.RuneCountInString(l); record && n > 60 {
			t.Errorf("a log line is %d columns wide, over 60: %q", n, l)
		}
		if strings.Contains(l, " 200 ping") {
			line = l
		}
	}
	if !strings.Contains(line, "…") || !strings.Contains(out, "\n    delivery=tty-1") {
		t.Errorf("want the delivery's summary cut and its details below:\n%s", out)
	}
}

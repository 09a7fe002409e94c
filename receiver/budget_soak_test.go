package receiver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// budgetWait bounds every wait in the budget soak, so that a server that
// never answers fails the test instead of hanging it.
const budgetWait = 5 * time.Second

// Forty 2 MiB uploads at once against an 8 MiB budget, their bodies held
// back until every one has been admitted or refused: four are admitted,
// the other thirty-six get 503 with Retry-After without a byte of their
// bodies read, small deliveries sent meanwhile all get 200, and the heap
// grows by about the budget, not by forty bodies.
func TestSoakInflightBudget(t *testing.T) {
	const (
		maxInflight = 8 << 20
		maxBody     = 2 << 20
		uploads     = 40
		admitted    = maxInflight / maxBody
		smalls      = 20
	)
	scheme, err := signing.NewGitHub(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := New(Config{Scheme: scheme, MaxBody: maxBody, MaxInflight: maxInflight})
	if err != nil {
		t.Fatal(err)
	}
	addr := mustBudgetServe(t, rc)

	large := []byte(`{"zen":"` + strings.Repeat("a", maxBody-10) + `"}`)
	head := "POST " + DefaultPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n" +
		signing.GitHubSignatureHeader + ": " + hubSignature(testSecret, large) + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(large)) + "\r\n\r\n"

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// Every upload sends its headers and waits: the server admits it (and
	// waits for the body) or refuses it at once.
	type reply struct {
		upload     int
		status     int
		reason     Reason
		retryAfter string
		err        error
	}
	replies := make(chan reply, uploads)
	conns := make([]net.Conn, uploads)
	for i := range conns {
		conns[i] = mustBudgetDial(t, addr)
		if _, err := io.WriteString(conns[i], head); err != nil {
			t.Fatal(err)
		}
		go func() {
			r := reply{upload: i}
			resp, err := http.ReadResponse(bufio.NewReader(conns[i]), nil)
			if err != nil {
				r.err = err
				replies <- r
				return
			}
			defer resp.Body.Close()
			var a answer
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
				r.err = fmt.Errorf("the answer is not JSON: %w", err)
			}
			r.status, r.reason, r.retryAfter = resp.StatusCode, a.Reason, resp.Header.Get("Retry-After")
			replies <- r
		}()
	}

	timeout := time.After(budgetWait)
	refused := map[int]bool{}
	for len(refused) < uploads-admitted {
		select {
		case r := <-replies:
			if r.err != nil || r.status != http.StatusServiceUnavailable || r.reason != ReasonOverloaded || r.retryAfter == "" {
				t.Fatalf("upload %d with its body held back got %d %q, Retry-After %q, %v; want 503 overloaded with Retry-After",
					r.upload, r.status, r.reason, r.retryAfter, r.err)
			}
			refused[r.upload] = true
		case <-timeout:
			t.Fatalf("%d uploads were refused, want %d: the budget admits %d", len(refused), uploads-admitted, admitted)
		}
	}

	// Small deliveries are not held up by the full budget.
	small := []byte(`{"zen":"small"}`)
	smallStatus := make([]int, smalls)
	var wg sync.WaitGroup
	for i := range smalls {
		wg.Go(func() { smallStatus[i] = budgetPost(addr, small) })
	}
	wg.Wait()
	for i, s := range smallStatus {
		if s != http.StatusOK {
			t.Errorf("small delivery %d while the budget is full: %d, want 200", i, s)
		}
	}

	// All but the last byte of each admitted body: the server holds
	// them all at once.
	for i, c := range conns {
		if !refused[i] {
			if _, err := c.Write(large[:len(large)-1]); err != nil {
				t.Fatalf("upload %d: %v", i, err)
			}
		}
	}
	// Count what is live, not garbage a busy machine has not collected
	// yet: the held bodies are live, referenced by their handlers.
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	// Generous: the budget, and as much again for everything else. Forty
	// bodies would be 80 MiB.
	if grown := int64(held.HeapInuse) - int64(before.HeapInuse); grown > 2*maxInflight {
		t.Errorf("the heap grew by %d MiB with %d uploads held, want at most %d MiB", grown>>20, admitted, 2*maxInflight>>20)
	}
	for i, c := range conns {
		if !refused[i] {
			if _, err := c.Write(large[len(large)-1:]); err != nil {
				t.Fatalf("upload %d: %v", i, err)
			}
		}
	}
	for range admitted {
		select {
		case r := <-replies:
			if r.err != nil || r.status != http.StatusOK || r.reason != ReasonOK {
				t.Errorf("admitted upload %d got %d %q, %v; want 200 ok", r.upload, r.status, r.reason, r.err)
			}
		case <-time.After(budgetWait):
			t.Fatal("the admitted uploads were not answered")
		}
	}

	if peak := rc.inflight.peakInUse(); peak > maxInflight {
		t.Errorf("peak in flight %d bytes, over the budget of %d", peak, maxInflight)
	}
	rc.inflight.mu.Lock()
	inUse := rc.inflight.inUse
	rc.inflight.mu.Unlock()
	if inUse != 0 {
		t.Errorf("%d bytes still reserved after every upload was answered", inUse)
	}
	want := map[int]int{http.StatusServiceUnavailable: uploads - admitted, http.StatusOK: admitted + smalls}
	if got := rc.Stats().ByStatus; !maps.Equal(got, want) {
		t.Errorf("receiver counted %v, want %v", got, want)
	}
}

// mustBudgetServe serves h with Serve on a 127.0.0.1:0 listener and
// returns its address. At cleanup it stops the server and checks that
// Serve returned nil.
func mustBudgetServe(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	lim := DefaultLimits()
	lim.ShutdownTimeout = budgetWait
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, h, lim, nil) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				tb.Errorf("Serve returned %v, want nil", err)
			}
		case <-time.After(budgetWait):
			tb.Error("Serve did not return")
		}
	})
	return ln.Addr().String()
}

// mustBudgetDial connects to addr with a deadline budgetWait ahead and
// closes the connection at cleanup.
func mustBudgetDial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(budgetWait)); err != nil {
		tb.Fatal(err)
	}
	return c
}

// budgetPost posts a valid push with body on its own connection and
// returns the status, or 0 without an answer. It is safe on any goroutine.
func budgetPost(addr string, body []byte) int {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+DefaultPath, strings.NewReader(string(body)))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(EventHeader, "push")
	req.Header.Set(signing.GitHubSignatureHeader, hubSignature(testSecret, body))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: budgetWait}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0
	}
	return resp.StatusCode
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// soakWait bounds every wait in the soak test below, so that a listener
// that never answers or never stops fails the test instead of hanging it.
const soakWait = 10 * time.Second

// The real binary stopped with SIGTERM while four senders deliver in a
// loop and one delivery is in flight: every delivery answered got 200, the
// one in flight finishes after the listener has stopped accepting, the
// senders end refused, the process exits 0, and its summary counts exactly
// the deliveries that were answered.
func TestBinarySIGTERMUnderLoad(t *testing.T) {
	bin := mustBuild(t)
	const secret = "binary-soak-secret-0123456789abcdef"
	const workers = 4
	cmd, stdout, stderr := startBinaryListen(t, bin, secret)

	// Every delivery is logged, so stdout is read all along; the first
	// record says where it listens.
	listening := make(chan string, 1)
	records := make(chan []map[string]any, 1)
	go func() {
		var all []map[string]any
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			var r map[string]any
			if json.Unmarshal(lines.Bytes(), &r) != nil {
				r = map[string]any{"msg": "not JSON: " + lines.Text()}
			}
			if len(all) == 0 {
				u, _ := r["url"].(string)
				listening <- u
			}
			all = append(all, r)
		}
		records <- all
	}()
	var target *url.URL
	var err error
	select {
	case u := <-listening:
		if target, err = url.Parse(u); err != nil || target.Host == "" {
			t.Fatalf("the first record has no URL (%q); stderr: %s", u, stderr.String())
		}
	case <-time.After(soakWait):
		t.Fatalf("listen printed nothing; stderr: %s", stderr.String())
	}

	// In flight: the headers ask for 100 Continue, which comes once the
	// handler reads the body; half the body follows, the rest later.
	body := []byte(pingBody)
	inflight, err := net.Dial("tcp", target.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer inflight.Close()
	inflight.SetDeadline(time.Now().Add(soakWait))
	fmt.Fprintf(inflight, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: ping\r\n"+
		"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		target.Path, target.Host, signGitHub(secret, body), len(body))
	br := bufio.NewReader(inflight)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v, %v", resp, err)
	}
	half := len(body) / 2
	if _, err := inflight.Write(body[:half]); err != nil {
		t.Fatal(err)
	}

	var answered atomic.Int64
	outcomes := make([][]soakOutcome, workers)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: soakWait}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range 5000 {
				o := soakPost(client, target.String(), secret, "soak-"+strconv.Itoa(w)+"-"+strconv.Itoa(i))
				outcomes[w] = append(outcomes[w], o)
				if o.err == nil {
					answered.Add(1)
				}
				if errors.Is(o.err, syscall.ECONNREFUSED) {
					return
				}
			}
		})
	}
	for deadline := time.Now().Add(soakWait); answered.Load() < 200; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d deliveries answered", answered.Load())
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Once a dial is refused, the listener is closed with the delivery
	// still in flight.
	for deadline := time.Now().Add(soakWait); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", target.Host)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listen still accepts connections after SIGTERM")
		}
	}
	if _, err := inflight.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the delivery in flight got no answer: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the delivery in flight got %d, want 200", resp.StatusCode)
	}

	wg.Wait()
	// Every record is read before Wait, which closes stdout's pipe: the
	// last batch of the log may still be in it when the process exits.
	var all []map[string]any
	select {
	case all = <-records:
	case <-time.After(soakWait):
		t.Fatalf("listen did not close its output after SIGTERM; stderr: %s", stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v, want 0; stderr: %s", err, stderr.String())
	}

	ok := 1 // the one in flight
	for w, sent := range outcomes {
		for i, o := range sent {
			var ne net.Error
			switch {
			case o.err == nil && o.status == http.StatusOK:
				ok++
			case o.err == nil:
				t.Errorf("sender %d, delivery %d: %d, want 200", w, i, o.status)
			case i == len(sent)-1 && errors.Is(o.err, syscall.ECONNREFUSED):
			case errors.Is(o.err, syscall.ECONNRESET), errors.Is(o.err, io.EOF), errors.Is(o.err, io.ErrUnexpectedEOF):
				// Connected before the listener closed but never accepted.
			case errors.As(o.err, &ne) && ne.Timeout():
				t.Errorf("sender %d, delivery %d: no answer in %v", w, i, soakWait)
			default:
				t.Errorf("sender %d, delivery %d: %v, want an answer or a refusal", w, i, o.err)
			}
		}
		if last := sent[len(sent)-1]; !errors.Is(last.err, syscall.ECONNREFUSED) {
			t.Errorf("sender %d ended with %v, want connection refused", w, last.err)
		}
	}
	if len(all) == 0 {
		t.Fatal("no records")
	}
	if last := all[len(all)-1]; last["msg"] != "stopped" || last["total"] != float64(ok) {
		t.Errorf("last record = %v, want the summary with total %d", last, ok)
	}
	if n := len(recordsWith(all, "delivery")); n != ok {
		t.Errorf("%d delivery records, want %d", n, ok)
	}
}

// soakOutcome is what one delivery got: a status, or an error.
type soakOutcome struct {
	status int
	err    error
}

// soakPost posts a signed ping to target on a new connection. It is safe
// on any goroutine.
func soakPost(client *http.Client, target, secret, id string) (o soakOutcome) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader([]byte(pingBody)))
	if err != nil {
		o.err = err
		return o
	}
	for k, v := range pingHeaders(secret, id) {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		o.err = err
		return o
	}
	defer resp.Body.Close()
	_, o.err = io.Copy(io.Discard, resp.Body)
	o.status = resp.StatusCode
	return o
}

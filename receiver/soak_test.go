//go:build unix

package receiver_test

// Soak and abuse tests: thousands of mixed deliveries, clients that stop
// mid-body or trickle their headers, a thousand connections at once and a
// shutdown under load, all against receiver.Serve on a 127.0.0.1:0
// listener. They are bounded in count, and every wait is bounded by
// wireWait; nothing asserts on how long anything took. They are for Unix
// because one of them raises its own file-descriptor limit.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// soakKind is one kind of delivery in the mixed soak and the answer it
// must get.
type soakKind struct {
	name string
	// viaWire sends it with sender.Client, one connection per delivery,
	// which puts malformed framings on the wire; otherwise it goes
	// through net/http's client with keep-alive.
	viaWire  bool
	delivery sender.Delivery // URL and ID are filled in per delivery

	wantStatus int
	wantReason receiver.Reason
	wantEvent  string
}

// soakKinds are the kinds of the mixed soak: the valid ones and one for
// each way of being refused that a sender commonly gets wrong.
func soakKinds() []soakKind {
	valid := func(event, payload string, ct sender.ContentType) sender.Delivery {
		return sender.Delivery{Event: event, Payload: []byte(payload), ContentType: ct, Secret: wireSecret}
	}
	with := func(d sender.Delivery, edit func(*sender.Delivery)) sender.Delivery {
		edit(&d)
		return d
	}
	ping := valid("ping", wirePing, sender.ContentJSON)
	return []soakKind{
		{
			name: "valid JSON", delivery: valid("push", wirePush, sender.ContentJSON),
			wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "push",
		},
		{
			name: "valid form", delivery: valid("ping", wirePing, sender.ContentForm),
			wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping",
		},
		{
			name: "wrong secret", viaWire: true,
			delivery:   with(ping, func(d *sender.Delivery) { d.Signature = sender.SignatureWrong }),
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMismatch,
		},
		{
			name: "signature missing", viaWire: true,
			delivery:   with(ping, func(d *sender.Delivery) { d.Signature = sender.SignatureMissing }),
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMissing,
		},
		{
			name: "signature malformed", viaWire: true,
			delivery: with(ping, func(d *sender.Delivery) {
				d.Extra = []sender.Field{{Name: signing.GitHubSignatureHeader, Value: "sha256=not-hex"}}
			}),
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMalformed,
		},
		{
			name: "invalid JSON", delivery: valid("ping", `{"zen":`, sender.ContentJSON),
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonInvalidJSON,
		},
		{
			name: "event missing", delivery: valid("", wirePing, sender.ContentJSON),
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonEventMissing,
		},
		{
			name: "declared over MaxBody", viaWire: true,
			delivery: with(ping, func(d *sender.Delivery) {
				d.Length = sender.Length{Mode: sender.LengthDeclared, N: wireMaxBody + 1}
			}),
			wantStatus: http.StatusRequestEntityTooLarge, wantReason: receiver.ReasonBodyTooLarge,
		},
		{
			name: "length missing", viaWire: true,
			delivery:   with(ping, func(d *sender.Delivery) { d.Length = sender.Length{Mode: sender.LengthMissing} }),
			wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired,
		},
	}
}

// soakOutcome is what one delivery got: an answer, or an error.
type soakOutcome struct {
	sent   bool
	status int
	answer wireAnswer
	err    error
}

// Thousands of mixed deliveries from concurrent senders: every one gets
// exactly its answer, none is lost, and the receiver's counts agree with
// what was sent.
func TestSoakMixedDeliveries(t *testing.T) {
	t.Parallel()
	total, workers := 3000, 16
	if testing.Short() {
		total = 600
	}
	rc := mustWireReceiver(t, wireMaxBody)
	srv := mustWireServe(t, rc, wireLimits(), nil)
	target := &url.URL{Scheme: "http", Host: srv.addr, Path: receiver.DefaultPath}
	kinds := soakKinds()
	kindOf := func(i int) soakKind { return kinds[(i*7)%len(kinds)] } // a fixed interleaving

	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	t.Cleanup(tr.CloseIdleConnections)
	keepAlive := &http.Client{Transport: tr, Timeout: wireWait}
	wire := &sender.Client{Timeout: wireWait}

	outcomes := make([]soakOutcome, total)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				d := kindOf(i).delivery
				d.URL, d.ID = target, fmt.Sprintf("soak-%05d", i)
				outcomes[i] = soakSend(keepAlive, wire, kindOf(i).viaWire, d)
			}
		})
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()

	wantByStatus := map[int]int{}
	wantByEvent := map[string]int{}
	failures := 0
	for i, got := range outcomes {
		k := kindOf(i)
		wantByStatus[k.wantStatus]++
		if k.wantEvent != "" {
			wantByEvent[k.wantEvent]++
		}
		switch {
		case !got.sent:
			t.Errorf("delivery %d (%s) was never sent", i, k.name)
		case got.err != nil:
			t.Errorf("delivery %d (%s): %v", i, k.name, got.err)
		case got.status != k.wantStatus || got.answer.Status != k.wantStatus || got.answer.Reason != k.wantReason ||
			got.answer.Event != k.wantEvent || got.answer.Redelivery:
			t.Errorf("delivery %d (%s): %d, JSON %+v; want %d %s event %q, not a redelivery",
				i, k.name, got.status, got.answer, k.wantStatus, k.wantReason, k.wantEvent)
		default:
			continue
		}
		if failures++; failures == 10 {
			t.Fatal("stopping after 10 wrong answers")
		}
	}
	stats := rc.Stats()
	if stats.Total != total || !maps.Equal(stats.ByStatus, wantByStatus) || !maps.Equal(stats.ByEvent, wantByEvent) {
		t.Errorf("receiver counted %d: by status %v, by event %v; sent %d: by status %v, by event %v",
			stats.Total, stats.ByStatus, stats.ByEvent, total, wantByStatus, wantByEvent)
	}
}

// soakSend sends d, through wire or through the keep-alive client, and
// returns what it got. It runs on the workers' goroutines, so it returns
// errors instead of failing the test.
func soakSend(keepAlive *http.Client, wire *sender.Client, viaWire bool, d sender.Delivery) soakOutcome {
	req, err := d.Request()
	if err != nil {
		return soakOutcome{sent: true, err: err}
	}
	if viaWire {
		resp, err := wire.Do(context.Background(), req)
		if err != nil {
			return soakOutcome{sent: true, err: err}
		}
		return soakAnswer(resp.Status, resp.Body, resp.BodyErr)
	}
	hreq, err := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(req.Body))
	if err != nil {
		return soakOutcome{sent: true, err: err}
	}
	for _, f := range req.Header {
		hreq.Header.Add(f.Name, f.Value)
	}
	resp, err := keepAlive.Do(hreq)
	if err != nil {
		return soakOutcome{sent: true, err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return soakAnswer(resp.StatusCode, body, err)
}

// soakAnswer decodes an answer's body.
func soakAnswer(status int, body []byte, bodyErr error) soakOutcome {
	o := soakOutcome{sent: true, status: status, err: bodyErr}
	if o.err == nil {
		if err := json.Unmarshal(body, &o.answer); err != nil {
			o.err = fmt.Errorf("the answer is not JSON: %v: %q", err, body)
		}
	}
	return o
}

// Clients that declare 10 KiB, send 1 KiB and stop: one that half-closes
// gets 400 body_incomplete, and the server serves the next delivery; many
// of them at once, half closing without waiting, leave no goroutine
// behind and are each counted once.
func TestSoakClientsStopMidBody(t *testing.T) {
	const declared, sent = 10 << 10, 1 << 10
	full := `{"zen":"` + strings.Repeat("a", declared-10) + `"}`
	head := wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(t, full),
		"Content-Length: "+strconv.Itoa(declared))
	raw := head + full[:sent]

	t.Run("half-closed, then a normal delivery", func(t *testing.T) {
		srv := mustWireServe(t, mustWireReceiver(t, 0), wireLimits(), nil)
		got, err := soakExchange(srv.addr, raw, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.status != http.StatusBadRequest || got.answer.Reason != receiver.ReasonBodyIncomplete {
			t.Errorf("got %d %q, want 400 body_incomplete", got.status, got.answer.Reason)
		}
		if got, err := soakExchange(srv.addr, soakPing(t), false); err != nil || got.status != http.StatusOK {
			t.Errorf("the next delivery got %d, %v; want 200", got.status, err)
		}
	})

	t.Run("many at once leak nothing", func(t *testing.T) {
		clients := 200
		if testing.Short() {
			clients = 50
		}
		rc := mustWireReceiver(t, 0)
		srv := mustWireServe(t, rc, wireLimits(), nil)
		ping := soakPing(t)
		// One exchange first, so that whatever the server starts lazily
		// is running before the count is taken.
		if got, err := soakExchange(srv.addr, ping, false); err != nil || got.status != http.StatusOK {
			t.Fatalf("the first delivery got %d, %v; want 200", got.status, err)
		}
		before := runtime.NumGoroutine()

		errs := make([]error, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				if i%2 == 1 { // write and close at once
					errs[i] = soakAbandon(srv.addr, raw)
					return
				}
				got, err := soakExchange(srv.addr, raw, true)
				if err == nil && (got.status != http.StatusBadRequest || got.answer.Reason != receiver.ReasonBodyIncomplete) {
					err = fmt.Errorf("got %d %q, want 400 body_incomplete", got.status, got.answer.Reason)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		}

		// The server finishes with the ones that closed in its own time.
		var now, counted int
		ok := soakPoll(func() bool {
			now, counted = runtime.NumGoroutine(), rc.Stats().ByStatus[http.StatusBadRequest]
			return now <= before && counted == clients
		})
		if !ok {
			t.Errorf("after %d clients stopped mid-body: %d goroutines (%d before), %d answered 400 (want %d)",
				clients, now, before, counted, clients)
		}
		if got, err := soakExchange(srv.addr, ping, false); err != nil || got.status != http.StatusOK {
			t.Errorf("the delivery afterwards got %d, %v; want 200", got.status, err)
		}
	})
}

// Connections that send their headers a byte at a time are dropped at
// ReadHeaderTimeout, never reach the handler, and do not hold up the
// deliveries sent beside them.
func TestSoakHeaderTricklers(t *testing.T) {
	const tricklers = 50
	lim := wireLimits()
	lim.ReadHeaderTimeout = 300 * time.Millisecond
	rc := mustWireReceiver(t, 0)
	srv := mustWireServe(t, rc, lim, nil)

	// The request line at once, then the headers one byte every 50 ms,
	// far more of them than fit in wireWait.
	line := "POST " + receiver.DefaultPath + " HTTP/1.1\r\n"
	trickle := "Host: 127.0.0.1\r\nContent-Type: application/json\r\nX-Trickle: " + strings.Repeat("a", 1000)
	stop := make(chan struct{})
	var writers sync.WaitGroup
	defer func() {
		close(stop)
		writers.Wait()
	}()
	type dropped struct {
		wrote []byte // what the server wrote before it closed
		err   error
	}
	drops := make(chan dropped, tricklers)
	for range tricklers {
		conn := mustWireDial(t, srv.addr)
		mustWireWrite(t, conn, line)
		writers.Go(func() {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < len(trickle); i++ {
				if _, err := conn.Write([]byte{trickle[i]}); err != nil {
					return // dropped
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		})
		go func() {
			wrote, err := io.ReadAll(conn) // until the server closes, or wireWait
			drops <- dropped{wrote, err}
		}()
	}

	// Deliveries on a kept-alive connection while the tricklers trickle.
	client := newWireClient(t, 0)
	delivered := make(chan []int, 1)
	done := make(chan struct{})
	go func() {
		var statuses []int
		for {
			statuses = append(statuses, soakClientPing(client, srv.addr))
			if isClosed(done) {
				break
			}
		}
		delivered <- statuses
	}()

	for range tricklers {
		d := <-drops
		if errors.Is(d.err, os.ErrDeadlineExceeded) {
			t.Errorf("a trickling connection was kept open for %v", wireWait)
		}
		// net/http may answer a request cut short by the timeout with a
		// 4xx of its own; what matters is the close.
		if len(d.wrote) > 0 && !bytes.HasPrefix(d.wrote, []byte("HTTP/1.1 4")) {
			t.Errorf("the server wrote %q to a trickling connection", d.wrote)
		}
	}
	close(done)
	statuses := <-delivered
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("delivery %d beside the tricklers got %d, want 200", i, s)
		}
	}
	if stats := rc.Stats(); !maps.Equal(stats.ByStatus, map[int]int{http.StatusOK: len(statuses)}) {
		t.Errorf("receiver counted %v, want only the %d deliveries: the tricklers never reach the handler", stats.ByStatus, len(statuses))
	}
}

// A thousand connections open at once, each with one delivery: every one
// is answered 200.
func TestSoakThousandConnections(t *testing.T) {
	conns := 1000
	if testing.Short() {
		conns = 100
	}
	// Both ends of every connection are in this process.
	mustFileLimit(t, 2*conns+100)
	rc := mustWireReceiver(t, 0)
	srv := mustWireServe(t, rc, wireLimits(), nil)

	// Every connection is open before any delivery is written, so that
	// the server holds all of them at once.
	open := make([]*net.TCPConn, conns)
	for i := range open {
		open[i] = mustWireDial(t, srv.addr)
	}
	ping := soakPing(t)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i, conn := range open {
		wg.Go(func() {
			got, err := soakRoundTrip(conn, ping, false)
			if err == nil && got.status != http.StatusOK {
				err = fmt.Errorf("got %d %q, want 200", got.status, got.answer.Reason)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			if failed++; failed <= 10 {
				t.Errorf("connection %d: %v", i, err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d connections failed", failed, conns)
	}
	if got := rc.Stats().ByStatus[http.StatusOK]; got != conns {
		t.Errorf("receiver counted %d deliveries, want %d", got, conns)
	}
}

// mustFileLimit raises the process's soft limit on open files to at least
// n, up to the hard limit, and restores it at cleanup; it skips the test
// when n cannot be reached.
func mustFileLimit(tb testing.TB, n int) {
	tb.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Skipf("cannot read the open-file limit: %v", err)
	}
	if lim.Cur >= uint64(n) {
		return
	}
	if lim.Max < uint64(n) {
		tb.Skipf("the open-file limit is %d, %d are needed", lim.Max, n)
	}
	raised := lim
	raised.Cur = uint64(n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		tb.Skipf("cannot raise the open-file limit to %d: %v", n, err)
	}
	tb.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
}

// Shutdown while eight senders deliver in a loop: every delivery that was
// answered got 200, the one in flight when shutdown began finishes, every
// delivery begun once the listener refuses is refused, the receiver
// counted exactly what the senders were answered, and Serve returns nil.
func TestSoakShutdownDuringLoad(t *testing.T) {
	t.Parallel()
	const workers, maxPerWorker = 8, 2000
	rc := mustWireReceiver(t, 0)
	stalled := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Soak-Stalled") != "" {
			stalled <- struct{}{}
		}
		rc.ServeHTTP(w, r)
	})
	srv := mustWireServe(t, h, wireLimits(), nil)
	target := &url.URL{Scheme: "http", Host: srv.addr, Path: receiver.DefaultPath}

	// A delivery with half its body sent: in flight until the test sends
	// the rest.
	inflight := mustWireDial(t, srv.addr)
	half := len(wirePing) / 2
	mustWireWrite(t, inflight, wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping", "X-Soak-Stalled: yes",
		signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
		"Content-Length: "+strconv.Itoa(len(wirePing)))+wirePing[:half])
	select {
	case <-stalled:
	case <-time.After(wireWait):
		t.Fatal("the stalled delivery never reached the handler")
	}

	type attempt struct {
		afterRefusal bool // begun once the listener was seen refusing
		soakOutcome
	}
	var refusing atomic.Bool
	var answered atomic.Int64
	attempts := make([][]attempt, workers)
	wire := &sender.Client{Timeout: wireWait}
	quit := make(chan struct{}) // stops the workers early when the test fails
	var wg sync.WaitGroup
	defer func() {
		close(quit)
		wg.Wait()
	}()
	for w := range workers {
		wg.Go(func() {
			for i := range maxPerWorker {
				if isClosed(quit) {
					return
				}
				d := sender.Delivery{URL: target, Event: "ping", ID: fmt.Sprintf("shutdown-%d-%d", w, i),
					Payload: []byte(wirePing), Secret: wireSecret}
				a := attempt{afterRefusal: refusing.Load()}
				a.soakOutcome = soakSend(nil, wire, true, d)
				attempts[w] = append(attempts[w], a)
				if a.err == nil {
					answered.Add(1)
				}
				if errors.Is(a.err, sender.ErrRefused) {
					return
				}
			}
		})
	}
	if !soakPoll(func() bool { return answered.Load() >= 400 }) {
		t.Fatalf("only %d deliveries were answered before shutdown", answered.Load())
	}

	srv.cancel()
	mustWireRefused(t, srv.addr)
	refusing.Store(true)
	select {
	case err := <-srv.served:
		t.Fatalf("Serve returned %v with a delivery in flight", err)
	default:
	}
	if err := inflight.SetDeadline(time.Now().Add(wireWait)); err != nil {
		t.Fatal(err)
	}
	mustWireWrite(t, inflight, wirePing[half:])
	resp, body := mustWireReadResponse(t, bufio.NewReader(inflight))
	if got := mustWireDecode(t, body); resp.StatusCode != http.StatusOK || got.Reason != receiver.ReasonOK {
		t.Errorf("the delivery in flight got %d %q, want 200 ok", resp.StatusCode, got.Reason)
	}
	if err := srv.wait(); err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	wg.Wait()

	ok, refused := 1, 0 // the one in flight
	for w, as := range attempts {
		for i, a := range as {
			switch {
			case a.err == nil && (a.status != http.StatusOK || a.answer.Reason != receiver.ReasonOK):
				t.Errorf("worker %d, delivery %d: %d %q, want 200 ok", w, i, a.status, a.answer.Reason)
			case a.err == nil && a.afterRefusal:
				t.Errorf("worker %d, delivery %d was answered though it began after the listener refused", w, i)
			case a.err == nil:
				ok++
			case errors.Is(a.err, sender.ErrRefused):
				refused++
			case errors.Is(a.err, sender.ErrClosed) && !a.afterRefusal:
				// Connected before the listener closed but never accepted.
			default:
				t.Errorf("worker %d, delivery %d: %v, want an answer, or refused or closed", w, i, a.err)
			}
		}
	}
	if refused != workers {
		t.Errorf("%d workers ended refused, want all %d", refused, workers)
	}
	if stats := rc.Stats(); !maps.Equal(stats.ByStatus, map[int]int{http.StatusOK: ok}) {
		t.Errorf("receiver counted %v, the senders were answered 200 %d times", stats.ByStatus, ok)
	}
}

// When a delivery in flight does not finish within ShutdownTimeout, Serve
// cuts it off and says so.
func TestSoakShutdownCutsOffStalled(t *testing.T) {
	t.Parallel()
	lim := wireLimits()
	lim.ShutdownTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stalled := make(chan struct{}, 1)
	rc := mustWireReceiver(t, 0)
	served := make(chan error, 1)
	go func() {
		served <- receiver.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			stalled <- struct{}{}
			rc.ServeHTTP(w, r)
		}), lim, nil)
	}()

	conn := mustWireDial(t, ln.Addr().String())
	mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
		"Content-Length: "+strconv.Itoa(len(wirePing)))+wirePing[:10])
	select {
	case <-stalled:
	case <-time.After(wireWait):
		t.Fatal("the delivery never reached the handler")
	}
	cancel()
	select {
	case err := <-served:
		if !errors.Is(err, receiver.ErrShutdownTimeout) {
			t.Errorf("Serve returned %v, want ErrShutdownTimeout", err)
		}
	case <-time.After(wireWait):
		t.Fatal("Serve did not return")
	}
	if rest, err := io.ReadAll(conn); errors.Is(err, os.ErrDeadlineExceeded) || len(rest) > 0 {
		t.Errorf("the cut-off connection got %q, %v; want it closed without an answer", rest, err)
	}
}

// soakPing returns the raw bytes of a valid ping delivery.
func soakPing(tb testing.TB) string {
	tb.Helper()
	return wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(tb, wirePing),
		"Content-Length: "+strconv.Itoa(len(wirePing))) + wirePing
}

// soakClientPing posts a valid ping through client and returns the status,
// or 0 when there was no answer. It is safe on any goroutine.
func soakClientPing(client *http.Client, addr string) int {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+receiver.DefaultPath, strings.NewReader(wirePing))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set(signing.GitHubSignatureHeader, soakSign(wirePing))
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

// soakSign is mustWireSign for other goroutines than the test's.
func soakSign(body string) string {
	s, err := signing.NewGitHub(wireSecret)
	if err != nil {
		panic(err) // wireSecret is not empty
	}
	h, err := s.Sign(signing.Message{Body: []byte(body)})
	if err != nil {
		panic(err)
	}
	return h.Get(signing.GitHubSignatureHeader)
}

// soakExchange writes raw on a new connection, closes the write side when
// halfClose is set, reads one answer and closes the connection. It is safe
// on any goroutine.
func soakExchange(addr, raw string, halfClose bool) (wireReply, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return wireReply{}, err
	}
	defer c.Close()
	return soakRoundTrip(c.(*net.TCPConn), raw, halfClose)
}

// soakRoundTrip is soakExchange on an open connection, which it leaves
// open.
func soakRoundTrip(conn *net.TCPConn, raw string, halfClose bool) (wireReply, error) {
	if err := conn.SetDeadline(time.Now().Add(wireWait)); err != nil {
		return wireReply{}, err
	}
	if _, err := io.WriteString(conn, raw); err != nil {
		return wireReply{}, err
	}
	if halfClose {
		if err := conn.CloseWrite(); err != nil {
			return wireReply{}, err
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return wireReply{}, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return wireReply{}, fmt.Errorf("reading the answer's body: %w", err)
	}
	r := wireReply{status: resp.StatusCode, close: resp.Close}
	if err := json.Unmarshal(body, &r.answer); err != nil {
		return r, fmt.Errorf("the answer is not JSON: %v: %q", err, body)
	}
	return r, nil
}

// soakAbandon writes raw on a new connection and closes it without waiting
// for an answer.
func soakAbandon(addr, raw string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(wireWait)); err != nil {
		return err
	}
	_, err = io.WriteString(c, raw)
	return err
}

// soakPoll calls cond every few milliseconds until it holds or wireWait
// has passed, and reports whether it held.
func soakPoll(cond func() bool) bool {
	deadline := time.Now().Add(wireWait)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

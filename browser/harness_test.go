package browser

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var screenshotFlag = flag.Bool("screenshot", false, "write ../docs/inspector.png (also with HOOKLAB_SCREENSHOT=1)")

// secret is the WEBHOOK_SECRET of every listener and sender here.
const secret = "browser-test-secret-0123456789"

// pageTitle is the inspector's <title>; a payload that ran would change it.
const pageTitle = "hooklab inspector"

var (
	// hooklabBin is the hooklab binary, built by TestMain from ../cmd/hooklab.
	hooklabBin string
	// browserCtx is the chromedp context of the one browser of this test
	// binary; each test opens a tab of its own in it. nil without chromium.
	browserCtx context.Context
	// noBrowser says why browserCtx is nil.
	noBrowser string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hooklab-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	hooklabBin = filepath.Join(dir, "hooklab")
	// Built in the root module (from this module, ../cmd/hooklab is
	// outside the main module), so it is exactly the working tree's hooklab
	// with the root go.mod's dependencies.
	build := exec.Command("go", "build", "-o", hooklabBin, "./cmd/hooklab")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "browser tests: building hooklab: %v\n%s", err, out)
		return 1
	}

	chromium, err := exec.LookPath("chromium")
	if err != nil {
		noBrowser = "no chromium on PATH: the browser tests need it (Debian: apt-get install -y chromium)"
		return m.Run()
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 800),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox on (containers, CI).
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "browser tests: starting %s: %v\n", chromium, err)
		return 1
	}
	browserCtx = ctx
	return m.Run()
}

// mustBrowser skips t when there is no browser, or fails it in CI, where
// .ci/run installs one: the browser tests never skip silently there.
func mustBrowser(tb testing.TB) {
	tb.Helper()
	if browserCtx != nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s; CI must install it (.ci/run does)", noBrowser)
	}
	tb.Skip(noBrowser)
}

// listener is a running `hooklab listen --ui`.
type listener struct {
	URL    string // the webhook URL
	UI     string // the inspector, without a trailing slash
	Record string // the capture file, as --record names it (relative to its directory)
	out    *lockedBuffer
	stop   func() // stops it (SIGINT) and waits; safe to call again
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) add(line []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(line)
	b.buf.WriteByte('\n')
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mustListen starts `hooklab listen --ui` on free loopback ports, with a
// capture file and the JSON log, and stops it when the test ends.
func mustListen(tb testing.TB, extra ...string) *listener {
	tb.Helper()
	return mustListenUI(tb, "127.0.0.1:0", extra...)
}

// mustListenUI is mustListen with the inspector on uiAddr.
func mustListenUI(tb testing.TB, uiAddr string, extra ...string) *listener {
	tb.Helper()
	// A relative capture file in a directory of its own: the page shows
	// its name, and the screenshot should not show a temporary path.
	const rec = "captures.ndjson"
	args := append([]string{"listen", "--addr", "127.0.0.1:0", "--ui", "--ui-addr", uiAddr,
		"--log-format", "json", "--record", rec, "--env-file", "/dev/null"}, extra...)
	cmd := exec.Command(hooklabBin, args...)
	cmd.Dir = tb.TempDir()
	cmd.Env = testEnv()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting hooklab listen: %v", err)
	}
	w.Close()

	l := &listener{Record: rec, out: &lockedBuffer{}}
	started := make(chan map[string]any, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			l.out.add(sc.Bytes())
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
				select {
				case started <- m:
				default:
				}
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-drained
		exited <- cmd.Wait()
	}()
	var once sync.Once
	l.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
				tb.Errorf("hooklab listen did not stop within 10s of SIGINT; its output:\n%s", l.out)
			}
			r.Close()
		})
	}
	tb.Cleanup(l.stop)

	select {
	case m := <-started:
		l.URL, _ = m["url"].(string)
		ui, _ := m["ui_url"].(string)
		l.UI = strings.TrimSuffix(ui, "/")
		if l.URL == "" || l.UI == "" {
			tb.Fatalf(`hooklab listen's "listening" record has no "url" or "ui_url": %v`, m)
		}
	case err := <-exited:
		tb.Fatalf("hooklab listen exited (%v) before listening; its output:\n%s", err, l.out)
	case <-time.After(15 * time.Second):
		tb.Fatalf("hooklab listen printed no \"listening\" record in 15s; its output:\n%s", l.out)
	}
	return l
}

// testEnv is the environment of the hooklab processes: no HOOKLAB_* or
// WEBHOOK_* variable of the caller's, and the test's secret.
func testEnv() []string {
	env := []string{"WEBHOOK_SECRET=" + secret, "NO_COLOR=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// mustSend runs `hooklab send ARGS --url LISTENER` and returns its output.
func mustSend(tb testing.TB, l *listener, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, hooklabBin, append(append([]string{"send"}, args...), "--url", l.URL, "--env-file", "/dev/null")...)
	cmd.Env = testEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("hooklab send %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// mustPostRaw writes one POST to the listener over a plain TCP connection,
// headers in exactly the given order and spelling (net/http would sort
// them), signed as GitHub signs (X-Hub-Signature-256 last, then
// Content-Length), and returns the answer's status.
func mustPostRaw(tb testing.TB, l *listener, target string, headers [][2]string, body []byte) int {
	tb.Helper()
	u, err := url.Parse(l.URL)
	if err != nil {
		tb.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\n", target, u.Host)
	for _, h := range headers {
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], h[1])
	}
	fmt.Fprintf(&req, "X-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", hex.EncodeToString(mac.Sum(nil)), len(body))
	req.Write(body)

	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(req.Bytes()); err != nil {
		tb.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("reading the listener's answer: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// deliveryList is GET /api/deliveries, as much of it as the tests read.
type deliveryList struct {
	LastSeq    uint64 `json:"last_seq"`
	Deliveries []struct {
		Seq      uint64 `json:"seq"`
		Status   int    `json:"status"`
		ReplayOf uint64 `json:"replay_of"`
	} `json:"deliveries"`
}

func mustDeliveries(tb testing.TB, l *listener) deliveryList {
	tb.Helper()
	res, err := http.Get(l.UI + "/api/deliveries")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var list deliveryList
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		tb.Fatalf("GET /api/deliveries: %d, %v", res.StatusCode, err)
	}
	return list
}

// tab is a browser tab of its own for one test. Uncaught exceptions,
// console.error calls and browser log entries at error level (where CSP
// and Trusted Types violations show up) are its problems.
type tab struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

// newTab opens a tab that closes when the test ends. With checked, the test
// fails on any problem the tab saw; a page expected to provoke errors (the
// cross-origin attacker) opens its tab unchecked.
func newTab(tb testing.TB, checked bool) *tab {
	tb.Helper()
	mustBrowser(tb)
	ctx, cancel := chromedp.NewContext(browserCtx)
	t := &tab{}
	err := chromedp.Listen(ctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				p = "log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if p != "" {
			t.mu.Lock()
			t.problems = append(t.problems, p)
			t.mu.Unlock()
		}
	})
	if err != nil {
		cancel()
		tb.Fatalf("opening a tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 40*time.Second)
	t.ctx = tctx
	tb.Cleanup(func() {
		if checked {
			if ps := t.takeProblems(); len(ps) > 0 {
				tb.Errorf("the page had %d problem(s):\n  %s", len(ps), strings.Join(ps, "\n  "))
			}
		}
		tcancel()
		cancel()
	})
	return t
}

func (t *tab) takeProblems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.problems
	t.problems = nil
	return ps
}

// do runs the actions, failing the test on an error.
func (t *tab) do(tb testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(t.ctx, actions...); err != nil {
		tb.Fatalf("%v; the page's problems so far: %q", err, t.takeProblems())
	}
}

// eval evaluates expr in the page.
func eval[T any](tb testing.TB, t *tab, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(t.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until expr is truthy in the page.
func (t *tab) waitJS(tb testing.TB, what, expr string) {
	tb.Helper()
	if _, err := chromedp.Run(t.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state, _ := chromedp.Run(t.ctx, chromedp.Evaluate[string](`document.querySelector('#conn')?.textContent + ' | ' + document.querySelector('#counts')?.textContent`))
		tb.Fatalf("waiting for %s (%s): %v; page: %s; problems: %q", what, expr, err, state, t.takeProblems())
	}
}

// open loads the inspector and waits for its live stream.
func (t *tab) open(tb testing.TB, l *listener) {
	tb.Helper()
	t.do(tb, chromedp.Navigate(l.UI+"/"))
	t.waitJS(tb, "the live stream", `document.querySelector('#conn.conn-live') !== null`)
}

// rowSel is the CSS selector of the list row of seq.
func rowSel(seq int) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`#rows tr[data-seq="%d"]`, seq))
}

// openDelivery clicks seq's row and waits for its detail.
func (t *tab) openDelivery(tb testing.TB, seq int) {
	tb.Helper()
	t.do(tb, chromedp.WaitVisible(rowSel(seq)), chromedp.Click(rowSel(seq)))
	t.waitJS(tb, fmt.Sprintf("delivery #%d opened", seq),
		fmt.Sprintf(`document.querySelector('#detail-title')?.textContent === 'Delivery #%d'`, seq))
}

package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestListUpdatesLive: a delivery sent with `hooklab send` appears at the
// top of an open page without a reload, with its status coloured by class;
// the counts and the status filter follow.
func TestListUpdatesLive(t *testing.T) {
	l := mustListen(t)
	p := newTab(t, true)
	p.open(t, l)
	if n := eval[int](t, p, `document.querySelectorAll('#rows tr').length`); n != 0 {
		t.Fatalf("%d rows before anything was sent, want 0", n)
	}

	mustSend(t, l, "push")
	p.do(t, chromedp.WaitVisible(rowSel(1)))
	mustSend(t, l, "issues", "--signature", "wrong", "--expect", "401")
	p.do(t, chromedp.WaitVisible(rowSel(2)))

	type row struct {
		Seq    string
		Event  string
		Status string
		Class  string
	}
	rows := eval[[]row](t, p, `[...document.querySelectorAll('#rows tr')].map(r => ({
		Seq: r.dataset.seq,
		Event: r.querySelector('.c-event').textContent,
		Status: r.querySelector('.c-status .badge').textContent,
		Class: r.querySelector('.c-status .badge').className,
	}))`)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	// Newest first.
	if rows[0].Seq != "2" || rows[1].Seq != "1" {
		t.Errorf("rows in order %s, %s; want 2, 1 (newest first)", rows[0].Seq, rows[1].Seq)
	}
	if !strings.HasPrefix(rows[1].Event, "push") || rows[1].Status != "200" || !strings.Contains(rows[1].Class, "st-2xx") {
		t.Errorf("row 1 = %+v, want a push, 200, class st-2xx", rows[1])
	}
	if !strings.HasPrefix(rows[0].Event, "issues") || rows[0].Status != "401" || !strings.Contains(rows[0].Class, "st-4xx") {
		t.Errorf("row 2 = %+v, want issues, 401, class st-4xx", rows[0])
	}
	counts := eval[string](t, p, `document.querySelector('#counts').textContent`)
	for _, want := range []string{"2 deliveries", "2xx 1", "4xx 1", "200 OK: 1", "401 Unauthorized: 1"} {
		if !strings.Contains(counts, want) {
			t.Errorf("counts %q lack %q", counts, want)
		}
	}

	// The 4xx filter hides the refused one; the event filter keeps push.
	p.do(t, chromedp.Click(chromedp.ID("f-4xx")))
	p.waitJS(t, "the 4xx row hidden", `document.querySelector('#rows tr[data-seq="2"]').hidden`)
	if eval[bool](t, p, `document.querySelector('#rows tr[data-seq="1"]').hidden`) {
		t.Error("the 2xx row is hidden by the 4xx filter")
	}
	p.do(t, chromedp.Click(chromedp.ID("f-4xx")))
	p.do(t, chromedp.SendKeys(chromedp.ID("f-text"), "issues"))
	p.waitJS(t, "the push row hidden by the text filter", `document.querySelector('#rows tr[data-seq="1"]').hidden`)

	// Paused, a new delivery is counted, not shown; resumed, it is.
	p.do(t, chromedp.Evaluate[chromedp.Void](`const f = document.querySelector('#f-text'); f.value = ''; f.dispatchEvent(new Event('input'))`),
		chromedp.Click(chromedp.ID("pause")))
	mustSend(t, l, "ping")
	p.waitJS(t, "the paused counter", `document.querySelector('#pending').textContent.startsWith('1 new')`)
	if eval[bool](t, p, `document.querySelector('#rows tr[data-seq="3"]') !== null`) {
		t.Error("a delivery was added to the list while paused")
	}
	p.do(t, chromedp.Click(chromedp.ID("pause")), chromedp.WaitVisible(rowSel(3)))
}

// TestOpenShowsHeadersInOrderAndBody: a delivery opens with its headers in
// the order and spelling they came in (not sorted), the signature header
// marked, and its body as a JSON tree that keeps number literals, as raw
// text and as hex; the list is usable by keyboard.
func TestOpenShowsHeadersInOrderAndBody(t *testing.T) {
	l := mustListen(t)
	body := []byte(`{"action":"opened","issue":{"number":7,"title":"Büg"},"big":12345678901234567890}`)
	headers := [][2]string{
		{"User-Agent", "GitHub-Hookshot/browser-test"},
		{"X-Zulu", "sent first"},
		{"Content-Type", "application/json"},
		{"X-GitHub-Event", "issues"},
		{"X-GitHub-Delivery", "d-0001"},
		{"x-alpha", "lower case, sent late"},
	}
	if st := mustPostRaw(t, l, "/webhook", headers, body); st != http.StatusOK {
		t.Fatalf("the listener answered %d, want 200", st)
	}

	p := newTab(t, true)
	p.open(t, l)
	p.openDelivery(t, 1)

	names := eval[[]string](t, p, `[...document.querySelectorAll('#detail .headers')[0].rows].map(r => r.querySelector('th bdi').textContent)`)
	want := []string{"Host"}
	for _, h := range headers {
		want = append(want, h[0])
	}
	want = append(want, "X-Hub-Signature-256", "Content-Length", "Connection")
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("headers shown as\n  %q\nwant the wire order\n  %q", names, want)
	}
	sig := eval[[]string](t, p, `[...document.querySelectorAll('#detail .headers tr.sig th bdi')].map(e => e.textContent)`)
	if strings.Join(sig, "|") != "X-Hub-Signature-256" {
		t.Errorf("headers marked as signature: %q, want only X-Hub-Signature-256", sig)
	}
	verdict := eval[string](t, p, `document.querySelector('#detail .verdict').textContent`)
	if !strings.Contains(verdict, "200") {
		t.Errorf("verdict %q does not say 200", verdict)
	}

	// JSON first: the tree keeps the literal that JSON.parse would round.
	jsonText := eval[string](t, p, `document.querySelector('#detail .json').textContent`)
	for _, w := range []string{`"action": "opened"`, `"title": "Büg"`, `12345678901234567890`} {
		if !strings.Contains(jsonText, w) {
			t.Errorf("JSON view %q lacks %q", jsonText, w)
		}
	}
	if n := eval[int](t, p, `document.querySelectorAll('#detail .json details').length`); n != 2 {
		t.Errorf("%d foldable nodes in the JSON view, want 2 (the object and issue)", n)
	}
	p.do(t, chromedp.Click(chromedp.CSS(`#detail .tab[data-view="raw"]`)))
	raw := eval[string](t, p, `document.querySelector('#detail pre.raw').textContent`)
	if raw != string(body) {
		t.Errorf("raw view %q, want the body %q", raw, body)
	}
	p.do(t, chromedp.Click(chromedp.CSS(`#detail .tab[data-view="hex"]`)))
	hexText := eval[string](t, p, `document.querySelector('#detail pre.hex').textContent`)
	if !strings.HasPrefix(hexText, `00000000  7b 22 61 63 74 69 6f 6e  22 3a 22 6f 70 65 6e 65  |{"action":"opene|`) {
		t.Errorf("hex view starts %q", hexText[:min(len(hexText), 80)])
	}

	// Keyboard: Escape closes and gives the row focus back, Enter opens.
	p.do(t, chromedp.KeyEvent(kb.Escape))
	p.waitJS(t, "the detail closed", `document.querySelector('#detail').hidden`)
	if !eval[bool](t, p, `document.activeElement === document.querySelector('#rows tr[data-seq="1"]')`) {
		t.Error("after Escape, the row does not have the focus")
	}
	p.do(t, chromedp.KeyEvent(kb.Enter))
	p.waitJS(t, "the detail opened by Enter", `document.querySelector('#detail-title')?.textContent === 'Delivery #1'`)
}

// TestReplay: the replay button sends the delivery again, verbatim and
// re-signed, and each replay arrives in the list as a new delivery marked
// as a replay of the original.
func TestReplay(t *testing.T) {
	l := mustListen(t)
	mustSend(t, l, "push")
	p := newTab(t, true)
	p.open(t, l)
	p.openDelivery(t, 1)

	// Copy: to the clipboard, or into a box to copy from when the
	// clipboard is not available (headless may refuse it).
	p.do(t, chromedp.Click(chromedp.ID("copy-replay")))
	p.waitJS(t, "the copy's outcome", `/Copied|copy it from this box/.test(document.querySelector('#detail .action-out').textContent)`)
	if box := eval[string](t, p, `document.querySelector('#detail .copy-fallback')?.value ?? 'clipboard'`); box != "clipboard" {
		if want := "hooklab replay " + l.Record + " --seq 1"; box != want {
			t.Errorf("the copy box holds %q, want %q", box, want)
		}
	}

	if !eval[bool](t, p, `document.querySelector('#replay-forward').disabled`) {
		t.Error("Replay to app is enabled without a forward target")
	}
	p.do(t, chromedp.Click(chromedp.ID("replay-listener")))
	p.do(t, chromedp.WaitVisible(rowSel(2)))
	p.waitJS(t, "the replay's result", `document.querySelector('#detail .action-out').textContent.includes('Replayed')`)
	tag := eval[string](t, p, `document.querySelector('#rows tr[data-seq="2"] .tag-replay')?.textContent ?? ''`)
	if tag != "replay of #1" {
		t.Errorf("row 2's replay tag is %q, want \"replay of #1\"", tag)
	}
	if st := eval[string](t, p, `document.querySelector('#rows tr[data-seq="2"] .c-status .badge').textContent`); st != "200" {
		t.Errorf("the verbatim replay got %s, want 200", st)
	}

	if eval[bool](t, p, `document.querySelector('#resign').disabled`) {
		t.Fatal("re-sign is disabled though the listener knows its secret")
	}
	p.do(t, chromedp.Click(chromedp.ID("resign")), chromedp.Click(chromedp.ID("replay-listener")))
	p.do(t, chromedp.WaitVisible(rowSel(3)))
	if tag := eval[string](t, p, `document.querySelector('#rows tr[data-seq="3"] .tag-replay')?.textContent ?? ''`); tag != "replay of #1" {
		t.Errorf("row 3's replay tag is %q, want \"replay of #1\"", tag)
	}

	// The replay links back to the original.
	p.openDelivery(t, 3)
	p.do(t, chromedp.Click(chromedp.ID("replay-of")))
	p.waitJS(t, "the original opened from the replay", `document.querySelector('#detail-title')?.textContent === 'Delivery #1'`)

	list := mustDeliveries(t, l)
	replays := 0
	for _, d := range list.Deliveries {
		if d.ReplayOf == 1 {
			replays++
		}
	}
	if replays != 2 {
		t.Errorf("the listener holds %d replays of #1, want 2: %+v", replays, list.Deliveries)
	}
}

// TestListStaysBounded: 1100 deliveries sent by the load mode leave at
// most 1000 rows in the page (the listener's ring), at every moment.
func TestListStaysBounded(t *testing.T) {
	l := mustListen(t)
	p := newTab(t, true)
	p.open(t, l)
	p.do(t, chromedp.Evaluate[chromedp.Void](`window.__maxRows = 0;
		new MutationObserver(() => {
			window.__maxRows = Math.max(window.__maxRows, document.querySelectorAll('#rows tr').length);
		}).observe(document.querySelector('#rows'), {childList: true});`))

	mustSend(t, l, "push", "--count", "1100", "--concurrency", "8")
	p.waitJS(t, "the 1100th delivery", `document.querySelector('#rows tr[data-seq="1100"]') !== null`)
	p.waitJS(t, "the list settled at 1000 rows", `document.querySelectorAll('#rows tr').length === 1000`)
	if max := eval[int](t, p, `window.__maxRows`); max > 1000 {
		t.Errorf("the list held %d rows at one point, want at most 1000", max)
	}
	oldest := eval[string](t, p, `document.querySelector('#rows tr:last-child').dataset.seq`)
	if oldest != "101" {
		t.Errorf("the oldest row is #%s, want #101 (the newest 1000 kept)", oldest)
	}
}

// TestHostCheck: the inspector answers 403 to a Host that is not its own
// (DNS rebinding: the attacker's name now points at 127.0.0.1), on every
// path; its own names pass.
func TestHostCheck(t *testing.T) {
	l := mustListen(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(l.UI, "http://"), ":")
	tests := []struct {
		name   string
		method string
		path   string
		host   string
		want   int
	}{
		{name: "page, rebound name", method: "GET", path: "/", host: "evil.example", want: http.StatusForbidden},
		{name: "page, rebound name with port", method: "GET", path: "/", host: "evil.example:" + port, want: http.StatusForbidden},
		{name: "session, rebound name", method: "GET", path: "/api/session", host: "evil.example:" + port, want: http.StatusForbidden},
		{name: "events, rebound name", method: "GET", path: "/api/events", host: "evil.example", want: http.StatusForbidden},
		{name: "replay, rebound name", method: "POST", path: "/api/deliveries/1/replay", host: "evil.example", want: http.StatusForbidden},
		{name: "loopback name as a suffix", method: "GET", path: "/", host: "127.0.0.1.evil.example", want: http.StatusForbidden},
		{name: "page, localhost", method: "GET", path: "/", host: "localhost:" + port, want: http.StatusOK},
		{name: "session, 127.0.0.1", method: "GET", path: "/api/session", host: "127.0.0.1:" + port, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, l.UI+tt.path, strings.NewReader(`{"to":"listener"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("%s %s with Host %q: %d, want %d", tt.method, tt.path, tt.host, res.StatusCode, tt.want)
			}
		})
	}
	if n := len(mustDeliveries(t, l).Deliveries); n != 0 {
		t.Errorf("the listener holds %d deliveries, want 0", n)
	}
}

// TestListenerRestart: when the listener stops, the page says it is
// reconnecting; when a new listen run comes up on the same inspector
// address, the page notices the new run (its seqs start again) and shows
// that run's list, not a mix of both.
func TestListenerRestart(t *testing.T) {
	first := mustListen(t)
	mustSend(t, first, "push")
	mustSend(t, first, "ping")
	p := newTab(t, true)
	p.open(t, first)
	p.do(t, chromedp.WaitVisible(rowSel(2)))

	first.stop()
	p.waitJS(t, "the page to notice", `!document.querySelector('#conn').classList.contains('conn-live')`)
	second := mustListenUI(t, strings.TrimPrefix(first.UI, "http://"))
	mustSend(t, second, "issues")
	p.waitJS(t, "the second run's delivery", `document.querySelector('#rows tr[data-seq="1"] .c-event')?.textContent.startsWith('issues')`)
	p.waitJS(t, "live again", `document.querySelector('#conn.conn-live') !== null`)
	if n := eval[int](t, p, `document.querySelectorAll('#rows tr').length`); n != 1 {
		t.Errorf("%d rows after the restart, want the new run's 1 (the first run's #2 must go)", n)
	}
	// While the listener was down, the browser logged its failed
	// reconnections: expected here, and nothing else.
	for _, problem := range p.takeProblems() {
		if !strings.Contains(problem, "ERR_CONNECTION_REFUSED") {
			t.Errorf("the page had a problem: %s", problem)
		}
	}
}

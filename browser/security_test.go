package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/hooklab/hooklab/inspect"
)

// TestPayloadsDoNotRun delivers headers, a target and bodies that carry
// script, event-handler HTML, javascript: URLs, </script> inside JSON
// strings, and bidi and control characters; opens each delivery in every
// view; and checks in the page that nothing ran (no flag, no title change,
// no request to the canary, no exception or CSP report), that no element
// came from the payloads, and that the payloads are shown as text, with
// controls and bidi characters as visible escapes.
func TestPayloadsDoNotRun(t *testing.T) {
	var canaryHits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		canaryHits.Add(1)
	}))
	defer canary.Close()

	// Each payload would set window.__pwned, change the title and call the
	// canary if it ran.
	run := fmt.Sprintf(`window.__pwned=1;document.title='pwned';fetch('%s/fetch')`, canary.URL)
	script := `<script>` + run + `</script>`
	img := `<img src=x onerror="` + run + `">`
	svg := `<svg onload="` + run + `"></svg>`
	jsURL := `javascript:` + run
	img2 := fmt.Sprintf(`<img src="%s/img">`, canary.URL)

	l := mustListen(t)
	jsonBody := fmt.Sprintf(`{"a":"</script>%s","b":%q,"url":%q,"svg":%q,%q:"a payload as a key","esc":"rtl \u202e reversed \u2066 isolate, bell \u0007, esc \u001b[31m, nul \u0000","raw":"rtl `+"\u202e"+` raw `+"\u2067"+` C1 `+"\u0085"+`"}`,
		script, img, jsURL, svg, img2)
	deliveries := []struct {
		name    string
		target  string
		headers [][2]string
		body    string
	}{
		{
			name:   "json",
			target: "/webhook?next=" + strings.ReplaceAll(script, " ", "%20"),
			headers: [][2]string{
				{"Content-Type", "application/json"},
				{"X-GitHub-Event", img},
				{"X-GitHub-Delivery", script},
				{"X-Link", jsURL},
				{"X-Bidi", "abc\u202edef\u2067ghi\u200fjkl"},
				{"X-C1", "one\u0085two\u009bthree"},
			},
			body: jsonBody,
		},
		{
			name:    "html",
			target:  "/webhook",
			headers: [][2]string{{"Content-Type", "text/html"}, {"X-GitHub-Event", "push"}},
			body:    `<!doctype html><html><body>` + script + img + svg + `<a href="` + jsURL + `">x</a>` + img2 + "\x01\x02 rtl \u202e" + `</body></html>`,
		},
	}
	for _, d := range deliveries {
		mustPostRaw(t, l, d.target, d.headers, []byte(d.body))
	}

	p := newTab(t, true)
	p.open(t, l)
	for seq := range len(deliveries) {
		p.openDelivery(t, seq+1)
		for _, view := range []string{"json", "raw", "hex"} {
			sel := chromedp.CSS(fmt.Sprintf(`#detail .tab[data-view=%q]`, view))
			if view == "json" && !eval[bool](t, p, fmt.Sprintf(`document.querySelector('#detail .tab[data-view=%q]') !== null`, view)) {
				continue
			}
			p.do(t, chromedp.Click(sel))
		}
		// Unfold every JSON node.
		p.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#detail details').forEach(d => d.open = true)`))

		// Everything the page holds now, as text.
		all := eval[string](t, p, `document.body.textContent + [...document.querySelectorAll('option')].map(o => o.textContent).join(' ')`)
		for _, want := range []string{script, `\u202E`, `\x85`, `\x01`} {
			if seq == 0 && want == `\x01` || seq == 1 && want == `\x85` {
				continue
			}
			if !strings.Contains(all, want) {
				t.Errorf("delivery %d: the page does not show %q literally", seq+1, want)
			}
		}
		if seq == 0 {
			for _, want := range []string{img, jsURL, `"b": "` + img2[:5]} {
				if !strings.Contains(all, want) && !strings.Contains(all, strings.ReplaceAll(want, `"`, `\"`)) {
					t.Errorf("delivery 1: the page does not show %q", want)
				}
			}
		}
		for _, r := range []rune{'\u202e', '\u2066', '\u2067', '\u200f', '\u0085', '\u009b', '\u0007', '\u001b', '\u0000', '\u0001'} {
			if strings.ContainsRune(all, r) {
				t.Errorf("delivery %d: the page's text holds U+%04X raw, not escaped", seq+1, r)
			}
		}
	}

	type pageState struct {
		Pwned    bool
		Title    string
		Scripts  int
		Foreign  int
		BadLinks []string
	}
	st := eval[pageState](t, p, `({
		Pwned: window.__pwned !== undefined,
		Title: document.title,
		Scripts: document.scripts.length,
		Foreign: document.querySelectorAll('img, svg, iframe, object, embed, form, frame, base, meta[http-equiv], link:not([rel="stylesheet"]):not([rel="icon"])').length,
		BadLinks: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
			.map(e => e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action') ?? e.getAttribute('formaction'))
			.filter(u => !/^(app\.js|app\.css|favicon\.svg|\/api\/deliveries\/\d+\/body)$/.test(u)),
	})`)
	if st.Pwned || st.Title != pageTitle || st.Scripts != 1 || st.Foreign != 0 || len(st.BadLinks) != 0 {
		t.Errorf("a payload reached the page: %+v", st)
	}
	if n := canaryHits.Load(); n != 0 {
		t.Errorf("the canary got %d requests from the page", n)
	}
}

// TestCrossOriginCannotReplay serves a page from another origin whose
// script tries every way a page can POST to the inspector's replay
// endpoint: fetch with a guessed token (a CORS preflight), simple no-cors
// fetches without one, reading the token from /api/session, and a
// text/plain form post shaped as JSON. The listener must see no replay.
func TestCrossOriginCannotReplay(t *testing.T) {
	l := mustListen(t)
	mustSend(t, l, "push")

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerPage, l.UI, inspect.TokenHeader)
	}))
	defer attacker.Close()

	p := newTab(t, false) // its CORS and CSP failures are the point
	p.do(t, chromedp.Navigate(attacker.URL))
	p.waitJS(t, "the attacker's page done", `document.title.startsWith('done')`)
	report := eval[string](t, p, `document.title`)

	list := mustDeliveries(t, l)
	if len(list.Deliveries) != 1 {
		t.Errorf("the listener holds %d deliveries after the attack, want only the original: %+v", len(list.Deliveries), list.Deliveries)
	}
	if strings.Contains(report, "token:") && !strings.Contains(report, "token:blocked") {
		t.Errorf("the attacker's page read the session: %s", report)
	}
	t.Logf("attacker's report: %s", report)
}

// attackerPage is the other origin's page; %[1]s is the inspector's URL,
// %[2]s the name of its token header.
const attackerPage = `<!doctype html>
<title>attacker</title>
<form id="f" method="POST" action="%[1]s/api/deliveries/1/replay" enctype="text/plain" target="sink">
<input name='{"to":"listener","resign":false,"x":"' value='"}'>
</form>
<iframe name="sink" id="sink"></iframe>
<script>
const ui = %[1]q;
const url = ui + "/api/deliveries/1/replay";
const body = JSON.stringify({to: "listener", resign: false});
const settle = (p) => p.then((r) => r.type === "opaque" ? "opaque" : String(r.status), (e) => "blocked");
async function attack() {
  const out = [];
  out.push("guessed:" + await settle(fetch(url, {method: "POST", headers: {"Content-Type": "application/json", %[2]q: "0".repeat(64)}, body})));
  out.push("nocors:" + await settle(fetch(url, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body})));
  out.push("nocors-cred:" + await settle(fetch(url, {method: "POST", mode: "no-cors", credentials: "include", body})));
  let token = "";
  try {
    const s = await (await fetch(ui + "/api/session")).json();
    token = s.token;
    out.push("token:read");
  } catch (e) {
    out.push("token:blocked");
  }
  if (token) {
    out.push("with-token:" + await settle(fetch(url, {method: "POST", headers: {"Content-Type": "application/json", %[2]q: token}, body})));
  }
  await new Promise((resolve) => {
    document.getElementById("sink").addEventListener("load", resolve, {once: true});
    setTimeout(resolve, 3000);
    document.getElementById("f").submit();
  });
  out.push("form:sent");
  document.title = "done " + out.join(" ");
}
attack();
</script>
`

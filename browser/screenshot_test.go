package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestScreenshot writes ../docs/inspector.png for the README: the page at
// 1280x800 with a few deliveries of different statuses, forwarded to an
// app, and one of them opened. It runs only with -screenshot or
// HOOKLAB_SCREENSHOT=1. HOOKLAB_SCREENSHOT_DIR, when set, also gets the
// page at phone size and in the dark theme, to look at.
func TestScreenshot(t *testing.T) {
	if !*screenshotFlag && os.Getenv("HOOKLAB_SCREENSHOT") != "1" {
		t.Skip("writes docs/inspector.png only with -screenshot or HOOKLAB_SCREENSHOT=1")
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-GitHub-Event") == "release" {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"release handler failed: missing asset"}`))
			return
		}
		w.Write([]byte(`{"ok":true,"queued":"build-4812"}`))
	}))
	defer app.Close()

	l := mustListen(t, "--forward-to", app.URL+"/hooks/github")
	mustSend(t, l, "ping")
	mustSend(t, l, "push")
	mustSend(t, l, "pull_request")
	mustSend(t, l, "issues", "--signature", "wrong", "--expect", "401")
	mustSend(t, l, "release", "--expect", "500")
	mustSend(t, l, "issue_comment", "--signature", "missing", "--expect", "4xx")
	mustSend(t, l, "workflow_run")
	mustSend(t, l, "star", "--length", "missing", "--expect", "411")

	p := newTab(t, true)
	p.do(t, chromedp.EmulateViewport(1280, 800))
	p.open(t, l)
	p.do(t, chromedp.WaitVisible(rowSel(8)))
	p.openDelivery(t, 3)
	p.do(t, chromedp.Click(chromedp.ID("replay-listener")), chromedp.WaitVisible(rowSel(9)))
	p.openDelivery(t, 3)
	p.do(t, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	shot(t, p, filepath.Join("..", "docs", "inspector.png"))

	dir := os.Getenv("HOOKLAB_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	p.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#detail .block')[2].scrollIntoView()`))
	shot(t, p, filepath.Join(dir, "inspector-body.png"))
	p.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#detail .block')[3].scrollIntoView()`))
	shot(t, p, filepath.Join(dir, "inspector-answer.png"))
	p.do(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	shot(t, p, filepath.Join(dir, "inspector-dark.png"))
	p.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	shot(t, p, filepath.Join(dir, "inspector-phone-detail-dark.png"))
	p.do(t, chromedp.KeyEvent(kb.Escape))
	shot(t, p, filepath.Join(dir, "inspector-phone-dark.png"))
}

func shot(tb testing.TB, p *tab, path string) {
	tb.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("wrote %s", path)
}

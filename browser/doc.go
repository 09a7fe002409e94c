// Package browser tests the inspector of `hooklab listen --ui` in a real
// browser: Debian's chromium, headless, driven from Go over the Chrome
// DevTools Protocol with github.com/chromedp/chromedp. The tests build the
// hooklab binary from the working tree, run `hooklab listen --ui`, deliver
// webhooks to it and look at the page: the list updates live, a delivery
// opens with its headers in wire order and its body, replay makes a new
// delivery marked as a replay, payloads carrying HTML, script, javascript:
// URLs and bidi or control characters set no flag and are shown literally,
// a page on another origin cannot replay, a foreign Host header gets 403,
// and the list never holds more than the listener's ring.
//
// Why chromedp and not go-rod: chromedp drives a browser that is already
// installed (exec.LookPath("chromium")) and has no launcher of its own that
// tries to download one. go-rod's launcher downloads a browser when it finds
// none, and downloads cannot work where these tests run (CI, offline
// machines): a missing browser must be a clear message, not a fetch.
//
// It is a module of its own, github.com/hooklab/hooklab/browser, so that
// chromedp is a dependency of these tests only, never of hooklab: the root
// go.mod does not mention it, `go test ./...` at the repository root does not
// enter this directory, and hooklab is taken from the parent directory
// through a replace directive. Run the tests with
//
//	cd browser && go test ./...
//
// Outside CI a missing chromium skips the browser tests with a message; with
// CI=true it fails them, since .ci/run installs chromium. With -screenshot
// (or HOOKLAB_SCREENSHOT=1), TestScreenshot writes ../docs/inspector.png.
//
// This package holds no code; everything is in its _test files.
package browser

package inspect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/capture"
)

func TestNewRefusesBadConfig(t *testing.T) {
	ring := capture.NewRing(10, 0)
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"no ring":     {cfg: Config{Token: testToken}, want: "Ring"},
		"no token":    {cfg: Config{Ring: ring}, want: "Token"},
		"short token": {cfg: Config{Ring: ring, Token: "short"}, want: "at least 32"},
		"bad host":    {cfg: Config{Ring: ring, Token: testToken, Hosts: []string{"a b"}}, want: "Hosts"},
		"empty host":  {cfg: Config{Ring: ring, Token: testToken, Hosts: []string{""}}, want: "Hosts"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// replayOK is a Replay that answers 200 with a new delivery 99.
func replayOK(context.Context, *capture.Record, string, bool) (ReplayResult, error) {
	return ReplayResult{Status: 200, Reason: "ok", Seq: 99}, nil
}

func TestHostCheck(t *testing.T) {
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	s := mustServer(t, Config{Ring: ring, Hosts: []string{"Hooklab.Test:4040"}, Replay: replayOK})
	paths := map[string]request{
		"page":       {target: "/"},
		"session":    {target: "/api/session"},
		"deliveries": {target: "/api/deliveries"},
		"events":     {target: "/api/events"},
		"replay": {method: http.MethodPost, target: "/api/deliveries/1/replay", body: `{"to":"listener"}`,
			header: map[string]string{TokenHeader: testToken, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}},
	}
	hosts := map[string]bool{
		"127.0.0.1:4040":  true,
		"127.0.0.1":       true,
		"localhost":       true,
		"LocalHost:4040":  true,
		"[::1]:4040":      true,
		"[::1]":           true,
		"::1":             true,
		"hooklab.test":    true,
		"hooklab.test:80": true,

		"evil.example":                      false,
		"evil.example:4040":                 false,
		"127.0.0.1.evil.example":            false,
		"127.0.0.1.evil.example:4040":       false,
		"localhost.evil.example":            false,
		"":                                  false,
		"7f000001.c0a80001.rbndr.us:4040":   false, // a rebinding service's name
		"127.0.0.2:4040":                    false,
		"0.0.0.0:4040":                      false,
		"[::1]evil:4040":                    false,
		"127.0.0.1:4040@evil.example":       false,
		"127.0.0.1:port":                    false,
		"hooklab.test.evil.example":         false,
		"[::ffff:127.0.0.1]:4040":           false,
		"localhost:4040/evil.example":       false,
		"xn--localhost-.evil.example":       false,
		"127.0.0.1:4040\x00.evil.example":   false,
		"attacker.example:4040 127.0.0.1":   false,
		"%31%32%37.0.0.1:4040":              false,
		"localhost:4040, evil.example:4040": false,
	}
	for host, pass := range hosts {
		for pname, req := range paths {
			t.Run(pname+"/"+host, func(t *testing.T) {
				req.host = host
				w := serve(t, s, req)
				if !pass {
					if w.Code != http.StatusForbidden {
						t.Fatalf("Host %q, %s: status %d, want 403", host, req.target, w.Code)
					}
					var e struct{ Error string }
					if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !strings.Contains(e.Error, "host") {
						t.Errorf("Host %q: body %q, want a JSON error about the host", host, w.Body)
					}
					return
				}
				if w.Code != http.StatusOK {
					t.Fatalf("Host %q, %s: status %d, want 200; body %s", host, req.target, w.Code, w.Body)
				}
			})
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	s := mustServer(t, Config{Ring: ring, Replay: replayOK})
	tests := map[string]struct {
		req    request
		status int
	}{
		"page":            {request{target: "/"}, 200},
		"script":          {request{target: "/app.js"}, 200},
		"style":           {request{target: "/app.css"}, 200},
		"no such file":    {request{target: "/nope.html"}, 404},
		"session":         {request{target: "/api/session"}, 200},
		"deliveries":      {request{target: "/api/deliveries"}, 200},
		"delivery":        {request{target: "/api/deliveries/1"}, 200},
		"body":            {request{target: "/api/deliveries/1/body"}, 200},
		"unknown seq":     {request{target: "/api/deliveries/7"}, 404},
		"unknown api":     {request{target: "/api/nope"}, 404},
		"events":          {request{target: "/api/events"}, 200},
		"wrong method":    {request{method: http.MethodDelete, target: "/api/session"}, 405},
		"replay no token": {request{method: http.MethodPost, target: "/api/deliveries/1/replay", body: `{"to":"listener"}`}, 403},
		"bad host page":   {request{target: "/", host: "evil.example"}, 403},
		"bad host api":    {request{target: "/api/session", host: "evil.example"}, 403},
	}
	want := map[string]string{
		"Content-Security-Policy":      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"X-Frame-Options":              "DENY",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.req.host == "" {
				tt.req.host = testHost
			}
			w := serve(t, s, tt.req)
			if w.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d", tt.req.method, tt.req.target, w.Code, tt.status)
			}
			for k, v := range want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", tt.req.target, k, got, v)
				}
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%s: Access-Control-Allow-Origin = %q, want none", tt.req.target, got)
			}
			if strings.HasPrefix(tt.req.target, "/api/") {
				if got := w.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control = %q, want no-store", tt.req.target, got)
				}
			}
		})
	}
}

func TestStaticFiles(t *testing.T) {
	s := mustServer(t, Config{})
	tests := map[string]struct{ path, ctype, body string }{
		"page":   {"/", "text/html; charset=utf-8", "<!doctype html><title>hooklab</title>"},
		"script": {"/app.js", "text/javascript; charset=utf-8", "'use strict';"},
		"style":  {"/app.css", "text/css; charset=utf-8", "body{}"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := serve(t, s, request{target: tt.path, host: testHost})
			if w.Code != 200 || w.Header().Get("Content-Type") != tt.ctype || w.Body.String() != tt.body {
				t.Errorf("GET %s: %d %q %q, want 200 %q %q", tt.path, w.Code, w.Header().Get("Content-Type"), w.Body, tt.ctype, tt.body)
			}
		})
	}
}

func TestEmbeddedPage(t *testing.T) {
	s, err := New(Config{Ring: capture.NewRing(1, 0), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(t, s, request{target: "/", host: testHost})
	if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET / of the embedded page: %d %q, want 200 text/html", w.Code, w.Header().Get("Content-Type"))
	}
}

// mustJSON decodes w's body into v, and checks it is JSON.
func mustJSON(tb testing.TB, w interface{ Result() *http.Response }, body []byte, v any) {
	tb.Helper()
	if ct := w.Result().Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		tb.Errorf("Content-Type %q, want application/json; charset=utf-8", ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("decoding %s: %v", body, err)
	}
}

func TestSession(t *testing.T) {
	sess := Session{Run: "r-1", Listener: "http://127.0.0.1:8080/webhook", Forward: "http://127.0.0.1:3000/",
		Record: "d.ndjson", Provider: "stripe", CanResign: true}
	s := mustServer(t, Config{Session: sess})
	w := serve(t, s, request{target: "/api/session", host: testHost})
	var got map[string]any
	mustJSON(t, w, w.Body.Bytes(), &got)
	want := map[string]any{"run": "r-1", "listener": sess.Listener, "forward": sess.Forward, "record": "d.ndjson",
		"provider": "stripe", "can_resign": true, "token": testToken}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session\n got %v\nwant %v", got, want)
	}
}

func TestDeliveries(t *testing.T) {
	ring := capture.NewRing(10, 0)
	r1, r2, r3 := testRecord(1), testRecord(2), testRecord(3)
	r2.Forward = &capture.Forward{URL: "http://app/", Status: 500, Reason: "app_error", Error: "boom", LatencyMS: 2.5,
		Headers: []capture.Header{{"X-App", "1"}}, Body: []byte("oops"), BodyTruncated: true}
	r2.Exec = &capture.Exec{Program: "./handle", Queued: true, ExitCode: 3, Reason: "exit", Error: "exit status 3",
		DurationMS: 4, Stdout: []byte("out"), Stderr: []byte("err")}
	r3.ReplayOf = 1
	for _, r := range []*capture.Record{r1, r2, r3} {
		ring.Add(r)
	}
	s := mustServer(t, Config{Ring: ring})
	w := serve(t, s, request{target: "/api/deliveries", host: testHost})
	var got struct {
		LastSeq    uint64           `json:"last_seq"`
		Deliveries []map[string]any `json:"deliveries"`
	}
	mustJSON(t, w, w.Body.Bytes(), &got)
	if got.LastSeq != 3 || len(got.Deliveries) != 3 {
		t.Fatalf("last_seq %d, %d deliveries; want 3, 3", got.LastSeq, len(got.Deliveries))
	}
	for i, want := range []float64{3, 2, 1} {
		if got.Deliveries[i]["seq"] != want {
			t.Errorf("deliveries[%d].seq = %v, want %v (newest first)", i, got.Deliveries[i]["seq"], want)
		}
	}
	want := map[string]any{
		"seq": 2.0, "time": "2025-06-01T12:00:02Z", "method": "POST", "target": "/webhook?x=1",
		"event": "push", "action": "opened", "delivery": "d-1", "status": 401.0, "reason": "signature_mismatch",
		"detail": "the signature does not match", "summary": "push to main", "redelivery": true,
		"size": float64(len(r2.Body)), "duration_ms": 1.5, "answered": 401.0, "replay_of": 0.0,
		"forward": map[string]any{"status": 500.0, "reason": "app_error", "error": "boom", "latency_ms": 2.5},
		"exec":    map[string]any{"queued": true, "exit_code": 3.0, "reason": "exit", "error": "exit status 3", "duration_ms": 4.0},
	}
	if !reflect.DeepEqual(got.Deliveries[1], want) {
		t.Errorf("delivery 2\n got %v\nwant %v", got.Deliveries[1], want)
	}
	if d := got.Deliveries[0]; d["replay_of"] != 1.0 || d["forward"] != nil || d["exec"] != nil {
		t.Errorf("delivery 3: replay_of %v forward %v exec %v, want 1, null, null", d["replay_of"], d["forward"], d["exec"])
	}

	empty := mustServer(t, Config{})
	w = serve(t, empty, request{target: "/api/deliveries", host: testHost})
	if strings.TrimSpace(w.Body.String()) != `{"last_seq":0,"deliveries":[]}` {
		t.Errorf("an empty ring: %s, want no deliveries as []", w.Body)
	}
}

func TestDelivery(t *testing.T) {
	ring := capture.NewRing(10, 0)
	rec := testRecord(2)
	rec.Forward = &capture.Forward{URL: "http://app/", Status: 202, Headers: []capture.Header{{"X-App", "1"}, {"x-app", "2"}},
		Body: []byte("accepted"), BodyTruncated: true}
	rec.Exec = &capture.Exec{Program: "./handle", Stdout: []byte("out\x00"), Stderr: []byte("err")}
	ring.Add(rec)
	ring.Add(testRecord(3))
	sess := Session{Listener: "http://127.0.0.1:8080/webhook", Record: "/tmp/my deliveries.ndjson", Provider: "github"}
	s := mustServer(t, Config{Ring: ring, Session: sess})

	w := serve(t, s, request{target: "/api/deliveries/2", host: testHost})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got struct {
		Seq          uint64      `json:"seq"`
		Headers      [][2]string `json:"headers"`
		HeadersOrder string      `json:"headers_order"`
		Body         string      `json:"body"`
		BodyComplete bool        `json:"body_complete"`
		BodySHA256   string      `json:"body_sha256"`
		BodyDropped  bool        `json:"body_dropped"`
		Status       int         `json:"status"`
		Provider     string      `json:"provider"`
		SigHeader    string      `json:"signature_header"`
		Forward      struct {
			Status        int         `json:"status"`
			URL           string      `json:"url"`
			Headers       [][2]string `json:"headers"`
			Body          string      `json:"body"`
			BodyTruncated bool        `json:"body_truncated"`
		} `json:"forward"`
		Exec struct {
			Program string `json:"program"`
			Stdout  string `json:"stdout"`
			Stderr  string `json:"stderr"`
		} `json:"exec"`
		Curl          string `json:"curl"`
		ReplayCommand string `json:"replay_command"`
		SendCommand   string `json:"send_command"`
	}
	mustJSON(t, w, w.Body.Bytes(), &got)
	var wantHeaders [][2]string
	for _, h := range rec.Headers {
		wantHeaders = append(wantHeaders, h)
	}
	if !reflect.DeepEqual(got.Headers, wantHeaders) || got.HeadersOrder != "wire" {
		t.Errorf("headers %q (%s), want in wire order %q", got.Headers, got.HeadersOrder, wantHeaders)
	}
	if body, err := base64.StdEncoding.DecodeString(got.Body); err != nil || string(body) != string(rec.Body) {
		t.Errorf("body %q (%v), want base64 of %q", got.Body, err, rec.Body)
	}
	if got.Seq != 2 || got.Status != 401 || !got.BodyComplete || got.BodySHA256 != rec.Sum() || got.BodyDropped ||
		got.Provider != "github" || got.SigHeader != "X-Hub-Signature-256" {
		t.Errorf("seq %d status %d complete %v sha %q dropped %v provider %q header %q",
			got.Seq, got.Status, got.BodyComplete, got.BodySHA256, got.BodyDropped, got.Provider, got.SigHeader)
	}
	f := got.Forward
	if f.Status != 202 || f.URL != "http://app/" || !reflect.DeepEqual(f.Headers, [][2]string{{"X-App", "1"}, {"x-app", "2"}}) ||
		f.Body != base64.StdEncoding.EncodeToString([]byte("accepted")) || !f.BodyTruncated {
		t.Errorf("forward %+v", f)
	}
	if e := got.Exec; e.Program != "./handle" || e.Stdout != base64.StdEncoding.EncodeToString([]byte("out\x00")) || e.Stderr != "ZXJy" {
		t.Errorf("exec %+v", e)
	}
	wantCurl := "curl --http1.1"
	if !strings.HasPrefix(got.Curl, wantCurl) || !strings.Contains(got.Curl, "@hooklab-seq-2.body") ||
		!strings.HasSuffix(got.Curl, sess.Listener) || !strings.Contains(got.Curl, "X-Hub-Signature-256: sha256=00") {
		t.Errorf("curl:\n%s", got.Curl)
	}
	if want := `hooklab replay '/tmp/my deliveries.ndjson' --seq 2`; got.ReplayCommand != want {
		t.Errorf("replay_command %q, want %q", got.ReplayCommand, want)
	}
	if want := "hooklab send --file hooklab-seq-2.body --event push --url http://127.0.0.1:8080/webhook"; got.SendCommand != want {
		t.Errorf("send_command %q, want %q", got.SendCommand, want)
	}
}

func TestCommands(t *testing.T) {
	tests := map[string]struct {
		provider, event, record string
		wantSend, wantReplay    string
	}{
		"github": {provider: "github", event: "push", record: "d.ndjson",
			wantSend:   "hooklab send --file hooklab-seq-2.body --event push --url http://l/w",
			wantReplay: "hooklab replay d.ndjson --seq 2"},
		"no record": {provider: "github", event: "push",
			wantSend: "hooklab send --file hooklab-seq-2.body --event push --url http://l/w"},
		"event in the payload": {provider: "stripe", event: "charge.succeeded",
			wantSend: "hooklab send --file hooklab-seq-2.body --url http://l/w --provider stripe"},
		"quoted event": {provider: "github", event: "it's $(rm -rf)",
			wantSend: `hooklab send --file hooklab-seq-2.body --event 'it'\''s $(rm -rf)' --url http://l/w`},
		"bidi event":    {provider: "github", event: "push\u202egnp.exe", wantSend: ""},
		"newline event": {provider: "github", event: "push\nrm -rf ~", wantSend: ""},
		"no event": {provider: "github",
			wantSend: "hooklab send --file hooklab-seq-2.body --url http://l/w"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ring := capture.NewRing(10, 0)
			rec := testRecord(2)
			rec.Verdict.Provider, rec.Verdict.Event = tt.provider, tt.event
			ring.Add(rec)
			s := mustServer(t, Config{Ring: ring, Session: Session{Listener: "http://l/w", Record: tt.record, Provider: tt.provider}})
			d := s.detailOf(rec)
			if d.SendCommand != tt.wantSend || d.ReplayCommand != tt.wantReplay {
				t.Errorf("send %q replay %q\nwant send %q replay %q", d.SendCommand, d.ReplayCommand, tt.wantSend, tt.wantReplay)
			}
		})
	}
}

func TestDeliveryUnknown(t *testing.T) {
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	s := mustServer(t, Config{Ring: ring})
	for _, path := range []string{"/api/deliveries/2", "/api/deliveries/abc", "/api/deliveries/-1", "/api/deliveries/2/body", "/api/deliveries/x/body"} {
		t.Run(path, func(t *testing.T) {
			w := serve(t, s, request{target: path, host: testHost})
			var e struct{ Error string }
			mustJSON(t, w, w.Body.Bytes(), &e)
			if w.Code != http.StatusNotFound || e.Error == "" {
				t.Errorf("GET %s: %d %s, want 404 with an error", path, w.Code, w.Body)
			}
		})
	}
}

func TestBody(t *testing.T) {
	ring := capture.NewRing(10, 0)
	rec := testRecord(4)
	rec.Body = []byte("<script>alert(1)</script>\x00\xff")
	ring.Add(rec)
	s := mustServer(t, Config{Ring: ring})
	w := serve(t, s, request{target: "/api/deliveries/4/body", host: testHost})
	want := map[string]string{
		"Content-Type":           "application/octet-stream",
		"Content-Disposition":    `attachment; filename="hooklab-seq-4.body"`,
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if w.Code != 200 || w.Body.String() != string(rec.Body) {
		t.Errorf("%d %q, want 200 and the raw body %q", w.Code, w.Body, rec.Body)
	}
}

func TestBodyDropped(t *testing.T) {
	ring := capture.NewRing(10, 1024) // a body bigger than this is not kept
	rec := testRecord(5)
	rec.Body = []byte(strings.Repeat("x", 4096))
	rec.BodySHA256 = ""
	ring.Add(rec)
	s := mustServer(t, Config{Ring: ring})
	w := serve(t, s, request{target: "/api/deliveries/5/body", host: testHost})
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "--record") {
		t.Errorf("%d %s, want 410 saying --record keeps it", w.Code, w.Body)
	}
	w = serve(t, s, request{target: "/api/deliveries/5", host: testHost})
	var d struct {
		BodyDropped bool   `json:"body_dropped"`
		Size        int    `json:"size"`
		BodySHA256  string `json:"body_sha256"`
	}
	mustJSON(t, w, w.Body.Bytes(), &d)
	if !d.BodyDropped || d.BodySHA256 != rec.Sum() {
		t.Errorf("body_dropped %v sha %q, want true and the real body's %q", d.BodyDropped, d.BodySHA256, rec.Sum())
	}
}

func TestReplay(t *testing.T) {
	type call struct {
		seq    uint64
		to     string
		resign bool
	}
	good := map[string]string{TokenHeader: testToken, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for k, v := range good {
			h[k] = v
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	tests := map[string]struct {
		header   map[string]string
		body     string
		seq      string
		forward  string
		disabled bool
		fail     error
		status   int
		want     *call
		result   ReplayResult
	}{
		"to the listener":                {header: good, body: `{"to":"listener"}`, status: 200, want: &call{1, "listener", false}, result: ReplayResult{Status: 401, Reason: "r", Seq: 9}},
		"to forward, resigned":           {header: good, body: `{"to":"forward","resign":true}`, forward: "http://app/", status: 200, want: &call{1, "forward", true}, result: ReplayResult{Status: 401, Reason: "r", Seq: 9}},
		"no sec-fetch-site, same origin": {header: with("Sec-Fetch-Site", ""), body: `{"to":"listener"}`, status: 200, want: &call{1, "listener", false}, result: ReplayResult{Status: 401, Reason: "r", Seq: 9}},
		"same origin header":             {header: with("Origin", "http://127.0.0.1:4040"), body: `{"to":"listener"}`, status: 200, want: &call{1, "listener", false}, result: ReplayResult{Status: 401, Reason: "r", Seq: 9}},
		"content-type charset":           {header: with("Content-Type", "application/json; charset=utf-8"), body: `{"to":"listener"}`, status: 200, want: &call{1, "listener", false}, result: ReplayResult{Status: 401, Reason: "r", Seq: 9}},
		"no answer":                      {header: good, body: `{"to":"listener"}`, fail: errors.New("connection refused"), status: 502, want: &call{1, "listener", false}, result: ReplayResult{Error: "connection refused"}},
		"no token":                       {header: with(TokenHeader, ""), body: `{"to":"listener"}`, status: 403},
		"wrong token":                    {header: with(TokenHeader, testToken[:31]+"X"), body: `{"to":"listener"}`, status: 403},
		"token prefix":                   {header: with(TokenHeader, testToken[:16]), body: `{"to":"listener"}`, status: 403},
		"cross-site":                     {header: with("Sec-Fetch-Site", "cross-site"), body: `{"to":"listener"}`, status: 403},
		"same-site":                      {header: with("Sec-Fetch-Site", "same-site"), body: `{"to":"listener"}`, status: 403},
		"other origin":                   {header: map[string]string{TokenHeader: testToken, "Origin": "http://evil.example", "Content-Type": "application/json"}, body: `{"to":"listener"}`, status: 403},
		"other port origin":              {header: map[string]string{TokenHeader: testToken, "Origin": "http://127.0.0.1:9999", "Content-Type": "application/json"}, body: `{"to":"listener"}`, status: 403},
		"null origin":                    {header: map[string]string{TokenHeader: testToken, "Origin": "null", "Content-Type": "application/json"}, body: `{"to":"listener"}`, status: 403},
		"disabled":                       {header: good, body: `{"to":"listener"}`, disabled: true, status: 403},
		"bad json":                       {header: good, body: `{"to":`, status: 400},
		"two objects":                    {header: good, body: `{"to":"listener"}{"to":"forward"}`, status: 400},
		"bad to":                         {header: good, body: `{"to":"elsewhere"}`, status: 400},
		"no to":                          {header: good, body: `{}`, status: 400},
		"text/plain":                     {header: with("Content-Type", "text/plain"), body: `{"to":"listener"}`, status: 400},
		"form":                           {header: with("Content-Type", "application/x-www-form-urlencoded"), body: `{"to":"listener"}`, status: 400},
		"too big":                        {header: good, body: `{"to":"listener","x":"` + strings.Repeat("a", 8<<10) + `"}`, status: 400},
		"forward without target":         {header: good, body: `{"to":"forward"}`, status: 409},
		"unknown seq":                    {header: good, body: `{"to":"listener"}`, seq: "7", status: 404},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ring := capture.NewRing(10, 0)
			ring.Add(testRecord(1))
			var got *call
			cfg := Config{Ring: ring, Session: Session{Forward: tt.forward}}
			if !tt.disabled {
				cfg.Replay = func(ctx context.Context, rec *capture.Record, to string, resign bool) (ReplayResult, error) {
					got = &call{rec.Seq, to, resign}
					if tt.fail != nil {
						return ReplayResult{}, tt.fail
					}
					return ReplayResult{Status: 401, Reason: "r", Seq: 9}, nil
				}
			}
			s := mustServer(t, cfg)
			seq := tt.seq
			if seq == "" {
				seq = "1"
			}
			w := serve(t, s, request{method: http.MethodPost, target: "/api/deliveries/" + seq + "/replay", host: testHost, header: tt.header, body: tt.body})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Replay called with %+v, want %+v", got, tt.want)
			}
			if tt.want == nil {
				var e struct{ Error string }
				mustJSON(t, w, w.Body.Bytes(), &e)
				if e.Error == "" {
					t.Errorf("body %s, want an error", w.Body)
				}
				return
			}
			var res ReplayResult
			mustJSON(t, w, w.Body.Bytes(), &res)
			if res != tt.result {
				t.Errorf("result %+v, want %+v", res, tt.result)
			}
		})
	}
}

func TestReplayGET(t *testing.T) {
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	called := false
	s := mustServer(t, Config{Ring: ring, Replay: func(context.Context, *capture.Record, string, bool) (ReplayResult, error) {
		called = true
		return ReplayResult{}, nil
	}})
	w := serve(t, s, request{target: "/api/deliveries/1/replay?to=listener", host: testHost, header: map[string]string{TokenHeader: testToken}})
	if w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound || called {
		t.Errorf("GET replay: %d (called %v), want 404 or 405 and no replay", w.Code, called)
	}
}

// Why a signature failed reaches the page with the delivery.
func TestDeliveryHasWhy(t *testing.T) {
	rec := testRecord(1)
	rec.Verdict.Why = "likely cause: the secret with a trailing newline"
	ring := capture.NewRing(10, 0)
	ring.Add(rec)
	s := mustServer(t, Config{Ring: ring})
	w := serve(t, s, request{target: "/api/deliveries/1", host: "127.0.0.1:4040"})
	var d struct{ Why string }
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || d.Why != rec.Verdict.Why {
		t.Errorf("why %q (%v), want %q\n%s", d.Why, err, rec.Verdict.Why, w.Body)
	}
}

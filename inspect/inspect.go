// Package inspect serves the inspector of `hooklab listen --ui`: a live
// local page of every delivery the listener kept in its capture.Ring, with
// its verdict, headers and body, and a button to replay it.
//
// The page shows bytes that anyone who can reach the listener chose, and
// the server answers only the page itself:
//
//   - Every request first passes a Host check (127.0.0.1, localhost, ::1
//     and Config.Hosts, port ignored), which defeats DNS rebinding: after
//     rebinding, the attacker's page is same-origin, so an Origin check
//     alone would not.
//   - Every answer carries a strict Content-Security-Policy (no inline
//     script or style), nosniff, no framing, no referrer.
//   - JSON escapes '<', '>' and '&', so no answer can be sniffed as HTML;
//     raw bodies are served only as attachments.
//   - Replay, the only request that changes anything, needs the per-run
//     token in X-Hooklab-Token, a same-origin request
//     (http.CrossOriginProtection) and a JSON body.
//
// The HTTP API is that of the page's design (ui-api.md): GET /api/session,
// /api/deliveries, /api/deliveries/{seq}, /api/deliveries/{seq}/body and
// /api/events (Server-Sent Events), and POST /api/deliveries/{seq}/replay.
package inspect

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hooklab/hooklab/capture"
)

//go:embed static
var staticFiles embed.FS

// MinTokenLen is the shortest Config.Token New accepts.
const MinTokenLen = 32

// TokenHeader is the request header that carries Config.Token on a replay.
const TokenHeader = "X-Hooklab-Token"

// DefaultKeepAlive is the interval of the keep-alive comments of an event
// stream when Config.KeepAlive is not set.
const DefaultKeepAlive = 15 * time.Second

// Config is what New serves.
type Config struct {
	// Ring holds the deliveries; required. The Server only reads it and
	// subscribes to it: records must not change once added.
	Ring *capture.Ring
	// Token is the per-run secret that a replay must carry in
	// X-Hooklab-Token; required, at least MinTokenLen characters, random
	// (crypto/rand). The page reads it from GET /api/session.
	Token string
	// Hosts are host names (or IP addresses) allowed in the Host header
	// besides 127.0.0.1, localhost and ::1: the host of --ui-addr when it
	// is not loopback. A port or brackets are ignored; case does not
	// matter.
	Hosts []string
	// Session is what the page shows of this listen run.
	Session Session
	// Replay sends rec again, to "listener" or "forward", verbatim or,
	// with resign, signed afresh; nil disables replay (403). It must not
	// change rec. It returns an error when the replay got no answer (the
	// page gets 502 and the error); otherwise the answer's status, however
	// bad, and the Seq of the new delivery when it is known. ctx ends when
	// the page's request does.
	Replay func(ctx context.Context, rec *capture.Record, to string, resign bool) (ReplayResult, error)
	// KeepAlive is the interval of the comments that keep an event stream
	// open through idle periods; DefaultKeepAlive when 0 or less.
	KeepAlive time.Duration
	// Static holds the page: index.html, app.js, app.css at its root.
	// Default: the files embedded from static/. Tests pass fstest.MapFS.
	Static fs.FS
}

// Session is what the page shows of the listen run, and how it builds the
// commands it offers to copy.
type Session struct {
	// Run is a random id of this listen run: the page reloads its list
	// when it changes (a listener restarted).
	Run string `json:"run"`
	// Listener is the webhook URL, where curl and send commands point.
	Listener string `json:"listener"`
	// Forward is the --forward-to URL, "" when none; replay "to":"forward"
	// is refused (409) without it.
	Forward string `json:"forward"`
	// Record is the capture file, "" when none; replay commands are
	// offered only with it.
	Record string `json:"record"`
	// Provider is the listener's provider name.
	Provider string `json:"provider"`
	// CanResign says whether a replay can be signed afresh (the listener
	// knows the secret); the page offers the choice only then.
	CanResign bool `json:"can_resign"`
}

// ReplayResult is what a replay got, answered to the page as JSON.
type ReplayResult struct {
	// Status is the answer's status; 0 when there was none.
	Status int `json:"status"`
	// Reason is hooklab's reason for that status, when it knows one.
	Reason string `json:"reason"`
	// Seq is the new delivery's sequence number, 0 if unknown (a replay
	// to the forward target makes no delivery).
	Seq uint64 `json:"seq"`
	// Error says why the replay got no answer.
	Error string `json:"error"`
}

// Server serves the inspector; it is an http.Handler. Serve it on its own
// address, not the listener's. Call Close when the listener stops: open
// event streams never end by themselves, and http.Server.Shutdown waits
// for them.
type Server struct {
	cfg       Config
	hosts     map[string]bool
	static    http.Handler
	mux       *http.ServeMux
	cop       *http.CrossOriginProtection
	keepAlive time.Duration
	// writeTimeout bounds each write of an event stream: a client that
	// stops reading is dropped after it.
	writeTimeout time.Duration
	// eventBuffer is how many records a stream's subscription holds.
	eventBuffer int

	done      chan struct{}
	closeOnce sync.Once
	streams   atomic.Int64 // open event streams, for tests
	// onStreamEnd, when set (by tests), is called as a stream ends.
	onStreamEnd func()
	// afterSubscribe, when set (by tests), is called between a stream's
	// subscription and its snapshot of the ring.
	afterSubscribe func()
}

// New returns a Server of cfg, or an error naming what to fix in cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Ring == nil {
		return nil, errors.New("inspect: Config.Ring is nil; pass the listener's capture ring")
	}
	if len(cfg.Token) < MinTokenLen {
		return nil, fmt.Errorf("inspect: Config.Token has %d characters; it needs at least %d random ones", len(cfg.Token), MinTokenLen)
	}
	s := &Server{
		cfg:          cfg,
		hosts:        map[string]bool{"127.0.0.1": true, "localhost": true, "::1": true},
		cop:          http.NewCrossOriginProtection(),
		keepAlive:    cfg.KeepAlive,
		writeTimeout: 10 * time.Second,
		eventBuffer:  64,
		done:         make(chan struct{}),
	}
	if s.keepAlive <= 0 {
		s.keepAlive = DefaultKeepAlive
	}
	for _, h := range cfg.Hosts {
		name, ok := hostName(h)
		if !ok || name == "" {
			return nil, fmt.Errorf("inspect: Config.Hosts has %q, which is not a host name or address", h)
		}
		s.hosts[name] = true
	}
	static := cfg.Static
	if static == nil {
		sub, err := fs.Sub(staticFiles, "static")
		if err != nil {
			return nil, fmt.Errorf("inspect: the embedded page: %w", err)
		}
		static = sub
	}
	s.static = http.FileServerFS(static)

	mux := http.NewServeMux()
	mux.Handle("GET /", s.static)
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API path: "+r.URL.Path)
	})
	mux.HandleFunc("GET /api/session", s.session)
	mux.HandleFunc("GET /api/deliveries", s.deliveries)
	mux.HandleFunc("GET /api/deliveries/{seq}", s.delivery)
	mux.HandleFunc("GET /api/deliveries/{seq}/body", s.body)
	mux.HandleFunc("POST /api/deliveries/{seq}/replay", s.replay)
	mux.HandleFunc("GET /api/events", s.events)
	s.mux = mux
	return s, nil
}

// Close ends the open event streams and refuses new ones (503). It does
// not wait for them, and is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// ServeHTTP answers r: security headers on every answer, then the Host
// check, then the API or the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	if name, ok := hostName(r.Host); !ok || !s.hosts[name] {
		writeError(w, http.StatusForbidden, fmt.Sprintf("host %q is not one the inspector answers to; open it as http://127.0.0.1 or localhost, or pass its name to --ui-addr", r.Host))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// csp allows the page's own script, style, images and requests, and
// nothing inline, framed, or sent elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'"

// hostName returns the host of a Host header or a Config.Hosts entry,
// lowercased, without its port or brackets; ok is false when hostport is
// malformed.
func hostName(hostport string) (name string, ok bool) {
	host, port := hostport, ""
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", false
		}
		host, port = hostport[1:end], hostport[end+1:]
		if port != "" {
			if port[0] != ':' {
				return "", false
			}
			port = port[1:]
		}
	case strings.Count(hostport, ":") == 1:
		host, port, _ = strings.Cut(hostport, ":")
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	for _, c := range host {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`/\@?#[]%"<>`, c) {
			return "", false
		}
	}
	return strings.ToLower(host), true
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/certs"
	"github.com/hooklab/hooklab/inspect"
	"github.com/hooklab/hooklab/replay"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// uiPortsTried is how many ports after the default --ui-addr's are tried
// when it is taken (another listen --ui, or ngrok's inspector).
const uiPortsTried = 20

// uiServer is the inspector of listen --ui, running.
type uiServer struct {
	page   *inspect.Server
	server *http.Server
	url    string // where a browser on this machine opens it
	bound  string
	served chan error
}

// uiDeps is what the inspector needs from the listener.
type uiDeps struct {
	hub         *hub
	listenURL   string         // the webhook URL
	scheme      signing.Scheme // the listener's: --resign signs with it
	provider    string
	nextSeq     func() uint64 // numbers a replay to the app, which the listener never sees
	now         func() time.Time
	random      io.Reader
	log         *slog.Logger
	replayLimit time.Duration
	cacert      string // the listener's certificate, when it is on TLS
}

// startUI binds the inspector's address, fills the ring from the capture
// file when there is one, and serves the page until stop.
func startUI(o hubOptions, deps uiDeps) (*uiServer, error) {
	ln, err := listenUI(o.UIAddr, !o.UIAddrSet)
	if err != nil {
		return nil, err
	}
	hb := deps.hub
	if hb.cfg.record != "" {
		recs, err := capture.ReadLatest(hb.cfg.record, ringDeliveries)
		if err != nil {
			deps.log.Warn("the inspector does not show what " + hb.cfg.record + " held: " + err.Error())
		}
		for _, rec := range recs {
			hb.ring.Add(rec)
		}
	}
	forwardURL := ""
	if hb.cfg.forwardTo != nil {
		forwardURL = hb.cfg.forwardTo.String()
	}
	page, err := inspect.New(inspect.Config{
		Ring:  hb.ring,
		Token: rand.Text() + rand.Text(),
		Hosts: uiHosts(ln.Addr()),
		Session: inspect.Session{
			Run: rand.Text(), Listener: deps.listenURL, Forward: forwardURL, Record: hb.cfg.record,
			Provider: deps.provider, CanResign: true,
		},
		Replay: deps.replay,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	u := &uiServer{
		page: page, bound: ln.Addr().String(), url: "http://" + reachableAddr(ln.Addr()) + "/",
		served: make(chan error, 1),
		// No WriteTimeout: the live list is one long answer (Server-Sent
		// Events), ended by the page, by stop, or by a client that is gone.
		server: &http.Server{
			Handler: page, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(deps.log.Handler(), slog.LevelWarn),
		},
	}
	go func() { u.served <- u.server.Serve(ln) }()
	return u, nil
}

// stop ends the live streams and the server.
func (u *uiServer) stop() {
	u.page.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if u.server.Shutdown(ctx) != nil {
		u.server.Close()
	}
	<-u.served
}

// listenUI binds addr, or with next the first free port after addr's.
func listenUI(addr string, next bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil || !next || !errors.Is(err, syscall.EADDRINUSE) {
		if err != nil {
			return nil, fmt.Errorf("--ui-addr: %w", listenError(addr, err))
		}
		return ln, nil
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	for i := 1; i <= uiPortsTried && p > 0; i++ {
		if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+i))); err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("--ui-addr: ports %d to %d on %s are all in use; name a free one with --ui-addr %s:0", p, p+uiPortsTried, host, host)
}

// uiHosts are the host names the page answers to besides the loopback
// ones: the address it is bound to, and when that is every interface, the
// machine's addresses and name. IP literals cannot be rebound to another
// site, so they are safe to accept.
func uiHosts(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	var hosts []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, ipn.IP.String())
			}
		}
	}
	return hosts
}

// replay sends rec again for the inspector: to the listener (marked with
// capture.ReplayHeader, so the page links it to rec), or to the app. A
// replay to the app never passes the listener, so it is recorded here.
func (d uiDeps) replay(ctx context.Context, rec *capture.Record, to string, resign bool) (inspect.ReplayResult, error) {
	target := d.listenURL
	if to == "forward" {
		if d.hub.cfg.forwardTo == nil {
			return inspect.ReplayResult{}, errors.New("listen has no --forward-to")
		}
		target = d.hub.cfg.forwardTo.String()
	}
	u, err := url.Parse(target)
	if err != nil {
		return inspect.ReplayResult{}, err
	}
	opts := replay.Options{URL: u, Now: d.now, Random: d.random}
	if resign {
		opts.Resign = d.scheme
		if to == "forward" && d.hub.resign != nil {
			opts.Resign = d.hub.resign // the app's own secret and scheme
		}
	}
	req, err := replay.Build(rec, opts)
	if err != nil {
		return inspect.ReplayResult{}, err
	}
	if to != "forward" {
		req.Header = append(req.Header, sender.Field{Name: capture.ReplayHeader, Value: strconv.FormatUint(rec.Seq, 10)})
	}
	client := &sender.Client{Timeout: d.replayLimit, Now: d.now}
	if d.cacert != "" && to != "forward" {
		if client.TLSConfig, err = certs.ClientConfig(d.cacert, false); err != nil {
			return inspect.ReplayResult{}, err
		}
	}
	resp, err := client.Do(ctx, req)
	if err != nil {
		return inspect.ReplayResult{Error: err.Error()}, err
	}
	res := inspect.ReplayResult{Status: resp.Status}
	if reason := resp.Reason(); reason != "" {
		res.Reason = reason
	}
	if to == "forward" {
		res.Seq = d.nextSeq()
		d.hub.recordReplayToApp(rec, res.Seq, target, req, resp, d.now())
	}
	return res, nil
}

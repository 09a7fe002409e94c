package receiver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits bounds what one connection may take, so that clients that never
// finish their headers or bodies are dropped while others are served.
type Limits struct {
	// ReadHeaderTimeout is how long a client has to send its headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a client has to send headers and body.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the headers to the
	// end of the answer.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request line and headers.
	MaxHeaderBytes int
	// ShutdownTimeout is how long in-flight requests may take to finish
	// once shutdown has begun.
	ShutdownTimeout time.Duration
}

// DefaultLimits suits a receiver on a developer's machine or behind a proxy:
// generous enough for a 25 MiB body over a slow link, strict enough that a
// stalled client is dropped within a minute or two.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      75 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ShutdownTimeout:   10 * time.Second,
	}
}

// ErrShutdownTimeout is returned by Serve when in-flight requests did not
// finish within Limits.ShutdownTimeout and were cut off.
var ErrShutdownTimeout = errors.New("in-flight requests did not finish in time and were cut off")

// Serve serves h on ln, with lim, until ctx is done. Then it stops
// accepting, lets in-flight requests finish for up to lim.ShutdownTimeout,
// closes what is left, and returns: nil, ErrShutdownTimeout when requests
// were cut off, or the error that stopped serving. It closes ln.
// net/http's own messages go to log as warnings, so that in JSON mode every
// line stays a JSON object; a nil log discards them.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, lim Limits, log *slog.Logger) error {
	return ServeWith(ctx, ln, h, ServeOptions{Limits: lim, Log: log})
}

// ServeOptions are Serve's arguments, with what only some callers need.
type ServeOptions struct {
	Limits Limits
	Log    *slog.Logger
	// ConnContext, when set, derives each connection's context, as
	// http.Server.ConnContext: capture.Listener's connections use it to
	// hand their requests' wire heads to the handler.
	ConnContext func(ctx context.Context, c net.Conn) context.Context
}

// ServeWith is Serve with options.
func ServeWith(ctx context.Context, ln net.Listener, h http.Handler, o ServeOptions) error {
	lim, log := o.Limits, o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext:       o.ConnContext,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "wait", lim.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), lim.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		err = ErrShutdownTimeout
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Backoff bounds between two attempts of WaitForReceiver: the first retry
// comes soon, so that a receiver that is nearly up costs little, and the
// wait between attempts doubles up to a second.
const (
	waitFirstRetry = 50 * time.Millisecond
	waitMaxRetry   = time.Second
)

// NotListeningError is WaitForReceiver's error when nothing accepted a
// connection at Addr within the time it was given.
type NotListeningError struct {
	Addr   string
	Within time.Duration
	Last   error // the last attempt's error
}

func (e *NotListeningError) Error() string {
	msg := fmt.Sprintf("nothing accepted connections at %s within %s", e.Addr, e.Within)
	if e.Last != nil {
		msg += " (last attempt: " + describeDialError(e.Last) + ")"
	}
	return msg
}

func (e *NotListeningError) Unwrap() error { return e.Last }

// describeDialError says why one connection attempt failed, in a few words.
func describeDialError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer"
	}
	return err.Error()
}

// WaitForReceiver waits until something accepts TCP connections at u's
// host and port (80 or 443 when u names none), trying again with a short
// backoff, for at most within; then the scenarios can run against a
// receiver that is still starting, as in CI. It returns nil at the first
// connection (closed at once), a *NotListeningError when within passes
// first, or ctx's error when ctx ends first. retrying, when set, is called
// after each failed attempt with that attempt's error.
func WaitForReceiver(ctx context.Context, u *url.URL, within time.Duration, retrying func(error)) error {
	if u == nil || u.Host == "" {
		return errors.New("check: no URL to wait for")
	}
	addr := hostPort(u)
	waitCtx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var dialer net.Dialer
	backoff := waitFirstRetry
	for {
		conn, err := dialer.DialContext(waitCtx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if waitCtx.Err() != nil {
			return &NotListeningError{Addr: addr, Within: within, Last: err}
		}
		if retrying != nil {
			retrying(err)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-waitCtx.Done():
			timer.Stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &NotListeningError{Addr: addr, Within: within, Last: err}
		}
		backoff = min(2*backoff, waitMaxRetry)
	}
}

// hostPort is the address u's requests go to.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

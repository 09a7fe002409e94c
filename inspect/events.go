package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hooklab/hooklab/capture"
)

// events streams the deliveries as Server-Sent Events: ": ok", then
// "hello" with the run and the last seq, then the ring's records after
// Last-Event-ID (or ?after=), oldest first, then each new one as it comes,
// with keep-alive comments in between.
//
// This goroutine alone writes to w. It reads a small subscription to the
// ring, which never waits for it: when the subscription overflows
// (records were dropped for this client), the stream drops what is queued
// and sends "gap", on which the page reloads its list. A client that stops
// reading is dropped when a write takes longer than writeTimeout.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.done:
		writeError(w, http.StatusServiceUnavailable, "the inspector is stopping")
		return
	default:
	}
	after, resume := uint64(0), false
	if q := r.URL.Query().Get("after"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("after=%q is not a delivery's sequence number", q))
			return
		}
		after, resume = n, true
	}
	// EventSource sends the id of the last event it got when it
	// reconnects; that is newer than the ?after= it first opened with.
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			after, resume = n, true
		}
	}

	s.streams.Add(1)
	defer func() {
		s.streams.Add(-1)
		if s.onStreamEnd != nil {
			s.onStreamEnd()
		}
	}()
	// Subscribe before taking the snapshot, so that no record falls
	// between them; those that are in both are skipped (seen).
	ch, cancel := s.cfg.Ring.Subscribe(s.eventBuffer)
	defer cancel()
	if s.afterSubscribe != nil {
		s.afterSubscribe()
	}
	snapshot := s.cfg.Ring.Latest(s.cfg.Ring.Len()) // newest first
	seen := make(map[*capture.Record]bool, len(snapshot))
	var lastSeq uint64
	for _, rec := range snapshot {
		seen[rec] = true
		lastSeq = max(lastSeq, rec.Seq)
	}

	st := &stream{w: w, rc: http.NewResponseController(w), timeout: s.writeTimeout}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if st.send([]byte(": ok\n\n")) != nil {
		return
	}
	hello, err := marshal(struct {
		Run     string `json:"run"`
		LastSeq uint64 `json:"last_seq"`
	}{s.cfg.Session.Run, lastSeq})
	if err != nil || st.send(event("", "hello", hello)) != nil {
		return
	}
	if resume {
		for i := len(snapshot) - 1; i >= 0; i-- {
			if rec := snapshot[i]; rec.Seq > after && st.delivery(rec) != nil {
				return
			}
		}
	}

	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		case <-tick.C:
			if st.send([]byte(": keep-alive\n\n")) != nil {
				return
			}
		case rec, ok := <-ch:
			if !ok {
				return
			}
			if len(ch) >= cap(ch)-1 {
				// The subscription was full before this receive,
				// so the ring may have dropped records for this
				// client: drop what is queued and have the page
				// reload its list, which holds them all.
				for len(ch) > 0 {
					<-ch
				}
				seen = nil
				if st.send(event("", "gap", []byte("{}"))) != nil {
					return
				}
				continue
			}
			if seen[rec] {
				delete(seen, rec)
				continue
			}
			seen = nil // the records after one not in the snapshot are not in it either
			if st.delivery(rec) != nil {
				return
			}
		}
	}
}

// stream writes the events of one client.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// send writes b whole and flushes it, within st.timeout.
func (st *stream) send(b []byte) error {
	if err := st.rc.SetWriteDeadline(time.Now().Add(st.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := st.w.Write(b); err != nil {
		return err
	}
	return st.rc.Flush()
}

func (st *stream) delivery(rec *capture.Record) error {
	data, err := marshal(metaOf(rec))
	if err != nil {
		return err
	}
	return st.send(event(strconv.FormatUint(rec.Seq, 10), "delivery", data))
}

// event returns one event; data must hold no newline (JSON from marshal
// has none).
func event(id, name string, data []byte) []byte {
	var b bytes.Buffer
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	b.WriteString("event: " + name + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

package receiver

import (
	"io"
	"sync"
	"time"
)

// logGather is how long the writer lets records gather after the first
// one of a burst before it writes them: long enough that a listener under
// load writes a batch of a hundred records at once instead of one
// record per delivery, and far too short for anyone watching to notice.
const logGather = 5 * time.Millisecond

// maxPendingLog is how many bytes of log lines may wait for the writer
// before Write writes them itself: the log never holds more than this.
const maxPendingLog = 1 << 20

// LogWriter hands log lines to a goroutine that writes them in batches, so
// that a busy listener makes one write for many records instead of one per
// delivery, and a handler never waits on the terminal or the file. Lines
// keep their order; Close writes what is pending and must be called before
// anything else is written to the same place.
type LogWriter struct {
	w       io.Writer
	writeMu sync.Mutex // one write to w at a time, in order

	mu      sync.Mutex
	pending []byte
	spare   []byte
	closed  bool
	wake    chan struct{}
	closing chan struct{} // closed by Close: write now, do not wait
	done    chan struct{}
	gather  time.Duration
}

// NewLogWriter returns a LogWriter writing to w. Call Close when done.
func NewLogWriter(w io.Writer) *LogWriter { return newLogWriter(w, logGather) }

func newLogWriter(w io.Writer, gather time.Duration) *LogWriter {
	l := &LogWriter{w: w, wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{}), gather: gather}
	go l.loop()
	return l
}

// Write queues p, which slog handlers make one whole record. It never fails;
// errors of the underlying writer are not a reason to stop serving.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.writeMu.Lock()
		defer l.writeMu.Unlock()
		l.w.Write(p)
		return len(p), nil
	}
	l.pending = append(l.pending, p...)
	full := len(l.pending) > maxPendingLog
	l.mu.Unlock()
	if full {
		l.flush() // the writer is behind: this caller waits, bounding memory
		return len(p), nil
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// flush writes whatever is pending.
func (l *LogWriter) flush() {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	b := l.pending
	l.pending, l.spare = l.spare[:0], nil
	l.mu.Unlock()
	if len(b) > 0 {
		l.w.Write(b)
	}
	l.mu.Lock()
	if l.spare == nil && cap(b) <= maxPendingLog {
		l.spare = b[:0]
	}
	l.mu.Unlock()
}

// loop writes each burst of records once it has gathered, or at once when
// the writer is closing.
func (l *LogWriter) loop() {
	defer close(l.done)
	t := time.NewTimer(l.gather)
	defer t.Stop()
	for {
		select {
		case <-l.wake:
		case <-l.closing:
			return
		}
		t.Reset(l.gather)
		select {
		case <-t.C:
		case <-l.closing:
		}
		l.flush()
	}
}

// Close writes what is pending and stops the writer. Later writes go
// straight through.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	// wake is never closed: a Write that checked closed just before this
	// may still signal it.
	close(l.closing)
	<-l.done
	l.flush()
	return nil
}

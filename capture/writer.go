package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// WriterOptions configure a Writer. The zero value is usable.
type WriterOptions struct {
	// MaxSize caps the file: before a record would take it past MaxSize,
	// the file is rotated to path+".1" (replacing an older one), so the
	// disk use stays under 2×MaxSize. A record longer than MaxSize on its
	// own is not written. 0 means no cap.
	MaxSize int64
	// FlushInterval is how long a written record may wait in the buffer
	// before it reaches the file. Default 200ms.
	FlushInterval time.Duration
	// QueueLen is how many records may wait for the writing goroutine
	// before Write blocks. Default 1024.
	QueueLen int
	// Warn is called once per warning (repaired tail, rotation, oversized
	// record, write failure), from the writing goroutine or OpenWriter.
	// nil discards warnings.
	Warn func(msg string)
	// Now stamps records whose Time is zero. Default time.Now.
	Now func() time.Time
}

// WriterStats counts what a Writer did with the records it was given.
type WriterStats struct {
	// Written records reached the file (or its buffer, until Close).
	Written uint64
	// Dropped records were not written: too large for MaxSize, could not
	// be encoded, or came after a write error stopped recording.
	Dropped uint64
	// Rotations is how many times the file was rotated to path+".1".
	Rotations uint64
}

const (
	defaultFlushInterval = 200 * time.Millisecond
	defaultQueueLen      = 1024
	writeBufferSize      = 256 << 10
)

// Writer appends Records to an NDJSON capture file. One goroutine owns the
// file: Write only queues the record, so its caller does not pay for the
// encoding or the disk. Call Close to flush and release the file.
type Writer struct {
	path    string
	opts    WriterOptions
	lastSeq uint64

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan *Record
	done   chan struct{}

	written, dropped, rotations atomic.Uint64

	// Owned by the writing goroutine until done is closed.
	f        *os.File
	bw       *bufio.Writer
	size     int64
	firstErr error // the first error; recording stops at a write error
	stopped  bool
}

// OpenWriter opens (or creates, mode 0600: payloads may be secret) the
// capture file at path for appending, and starts its writing goroutine.
//
// A file that ends in a torn line (a crash mid-write: no final newline, or
// a last line that does not parse) is repaired first: the torn tail is
// copied to path+".broken" (replacing an older one), the file is truncated
// after its last good record and synced, and one warning says so. LastSeq
// then reports the last good record's seq.
func OpenWriter(path string, opts WriterOptions) (*Writer, error) {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = defaultFlushInterval
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = defaultQueueLen
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSize < 0 {
		return nil, fmt.Errorf("capture: max size %d is negative; use 0 for no cap", opts.MaxSize)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		path:  path,
		opts:  opts,
		queue: make(chan *Record, opts.QueueLen),
		done:  make(chan struct{}),
		f:     f,
		bw:    bufio.NewWriterSize(f, writeBufferSize),
	}
	if err := w.repair(); err != nil {
		f.Close()
		return nil, err
	}
	go w.run()
	return w, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("capture: open the capture file: %w; check the directory exists and is writable", err)
	}
	return f, nil
}

// LastSeq returns the seq of the last record in the file when it was
// opened, 0 for a new or empty file. Number new records after it.
func (w *Writer) LastSeq() uint64 { return w.lastSeq }

// Write queues rec to be appended to the file and returns. It blocks while
// the queue is full: records are never dropped to keep up. The caller must
// not change rec after Write; the Writer only reads it. After Close, Write
// does nothing.
func (w *Writer) Write(rec *Record) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return
	}
	w.queue <- rec
}

// Stats returns the counts so far. Safe to call at any time.
func (w *Writer) Stats() WriterStats {
	return WriterStats{
		Written:   w.written.Load(),
		Dropped:   w.dropped.Load(),
		Rotations: w.rotations.Load(),
	}
}

// Close writes what is queued, flushes, syncs and closes the file. It
// returns the first error the Writer met (a failed write included). It is
// safe to call more than once; later calls return the same error.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
	return w.firstErr
}

func (w *Writer) warn(format string, args ...any) {
	if w.opts.Warn != nil {
		w.opts.Warn(fmt.Sprintf(format, args...))
	}
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case rec, ok := <-w.queue:
			if !ok {
				w.finish()
				return
			}
			w.write(rec)
		case <-t.C:
			if !w.stopped && w.bw.Buffered() > 0 {
				if err := w.bw.Flush(); err != nil {
					w.fail(err)
				}
			}
		}
	}
}

func (w *Writer) finish() {
	if !w.stopped {
		if err := w.bw.Flush(); err != nil {
			w.fail(err)
		} else if err := w.f.Sync(); err != nil {
			w.fail(err)
		}
	}
	if err := w.f.Close(); err != nil && w.firstErr == nil {
		w.firstErr = fmt.Errorf("capture: close %s: %w", w.path, err)
	}
}

// fail stops recording at the first write error, with one warning.
func (w *Writer) fail(err error) {
	w.stopped = true
	if w.firstErr == nil {
		w.firstErr = fmt.Errorf("capture: write %s: %w", w.path, err)
	}
	w.warn("capture: writing %s failed: %v; recording stopped, later deliveries are not recorded (check the disk space)", w.path, err)
}

func (w *Writer) write(rec *Record) {
	if w.stopped {
		w.dropped.Add(1)
		return
	}
	// Encode a shallow copy: Marshal sets Version, and others (a Ring) may
	// be reading rec at the same time.
	c := *rec
	if c.Kind == "" {
		c.BodySHA256 = c.Sum()
	}
	if c.Time.IsZero() {
		c.Time = w.opts.Now()
	}
	line, err := c.Marshal()
	if err != nil {
		w.dropped.Add(1)
		w.warn("capture: record %d could not be encoded and was not recorded: %v", rec.Seq, err)
		return
	}
	n := int64(len(line)) + 1
	if max := w.opts.MaxSize; max > 0 {
		if n > max {
			w.dropped.Add(1)
			w.warn("capture: record %d is %d bytes, more than the capture file's cap of %d; it was not recorded (raise --record-max)", rec.Seq, n, max)
			return
		}
		if w.size+n > max {
			if err := w.rotate(); err != nil {
				w.dropped.Add(1)
				w.fail(err)
				return
			}
		}
	}
	if _, err := w.bw.Write(line); err != nil {
		w.dropped.Add(1)
		w.fail(err)
		return
	}
	if err := w.bw.WriteByte('\n'); err != nil {
		w.dropped.Add(1)
		w.fail(err)
		return
	}
	w.size += n
	w.written.Add(1)
}

func (w *Writer) rotate() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	old := w.path + ".1"
	if err := os.Rename(w.path, old); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w.f = f
	w.bw.Reset(f)
	w.size = 0
	w.rotations.Add(1)
	w.warn("capture: %s reached its cap of %d bytes; moved it to %s (replacing an older one) and started a new %s", w.path, w.opts.MaxSize, old, w.path)
	return nil
}

// How far back lastSeq looks: deliveries are written as they finish, not
// always in the order they were numbered, and commands' results (KindExec)
// come later still, so the highest number is near the end of the file, not
// always on its last line.
const (
	seqLookBack      = 1024     // records
	seqLookBackBytes = 64 << 20 // bytes
)

// seqField finds "seq" and "for" at the start of a record: Marshal writes
// them before the headers and the body.
var seqField = regexp.MustCompile(`"(seq|for)":([0-9]+)`)

// lastSeq returns the highest Seq (or For) among the last records of the
// good part of f, which ends at end. Blank lines are skipped, not counted.
func lastSeq(f *os.File, end int64) (uint64, error) {
	var highest uint64
	pos, newest := end, int64(-1)
	for range seqLookBack {
		last, err := lastNonSpace(f, pos)
		if err != nil {
			return 0, fmt.Errorf("capture: read %s: %w", f.Name(), err)
		}
		if newest < 0 {
			newest = last
		}
		if last < 0 || newest-last >= seqLookBackBytes {
			break
		}
		nl, err := lastNewline(f, last)
		if err != nil {
			return 0, fmt.Errorf("capture: read %s: %w", f.Name(), err)
		}
		var head [128]byte
		k, err := f.ReadAt(head[:min(int64(len(head)), last-nl)], nl+1)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("capture: read %s: %w", f.Name(), err)
		}
		for _, m := range seqField.FindAllSubmatch(head[:k], 2) {
			if v, err := strconv.ParseUint(string(m[2]), 10, 64); err == nil {
				highest = max(highest, v)
			}
		}
		pos = nl + 1
	}
	return highest, nil
}

// repair finds the end of the last good record, moves a torn tail to
// path+".broken", and reads the last record's seq.
func (w *Writer) repair() error {
	fi, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("capture: stat %s: %w", w.path, err)
	}
	size := fi.Size()
	cut := size // the file is good up to cut
	if size > 0 {
		var last [1]byte
		if _, err := w.f.ReadAt(last[:], size-1); err != nil {
			return fmt.Errorf("capture: read %s: %w", w.path, err)
		}
		if last[0] != '\n' {
			nl, err := lastNewline(w.f, size)
			if err != nil {
				return fmt.Errorf("capture: read %s: %w", w.path, err)
			}
			cut = nl + 1
		}
	}
	// Walk back over blank lines to the last record. If it does not parse
	// it is torn too (a crash can leave garbage before the newline).
	end := cut // the lines under consideration end before end
	movedBad := false
	for {
		last, err := lastNonSpace(w.f, end)
		if err != nil {
			return fmt.Errorf("capture: read %s: %w", w.path, err)
		}
		if last < 0 {
			break // nothing but blank lines
		}
		nl, err := lastNewline(w.f, last)
		if err != nil {
			return fmt.Errorf("capture: read %s: %w", w.path, err)
		}
		start := nl + 1
		if parses, err := w.parsesAsRecord(start, last+1); err != nil {
			return err
		} else if parses {
			break
		}
		if movedBad {
			break // a second bad line: corruption, for a reader to report
		}
		// The last record does not parse: torn; look further back.
		cut, end, movedBad = start, start, true
	}
	if cut < size {
		if err := w.moveTail(cut, size); err != nil {
			return err
		}
	}
	w.size = cut
	w.lastSeq, err = lastSeq(w.f, cut)
	return err
}

// parsesAsRecord reports whether the bytes from start to end of the file
// parse as a record's head. A line longer than a Reader reads does not:
// it is not read into memory.
func (w *Writer) parsesAsRecord(start, end int64) (bool, error) {
	if end-start > maxLineBytes {
		return false, nil
	}
	line := make([]byte, end-start)
	if _, err := w.f.ReadAt(line, start); err != nil {
		return false, fmt.Errorf("capture: read %s: %w", w.path, err)
	}
	var head struct {
		Seq uint64 `json:"seq"`
	}
	return json.Unmarshal(line, &head) == nil, nil
}

// lastNonSpace returns the offset of the last byte before offset end that
// is not ASCII white space (what a blank line holds), or -1.
func lastNonSpace(r io.ReaderAt, end int64) (int64, error) {
	var buf [64 << 10]byte
	for end > 0 {
		n := min(int64(len(buf)), end)
		b := buf[:n]
		if _, err := r.ReadAt(b, end-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			switch b[i] {
			case ' ', '\t', '\n', '\v', '\f', '\r':
			default:
				return end - n + int64(i), nil
			}
		}
		end -= n
	}
	return -1, nil
}

func (w *Writer) moveTail(cut, size int64) error {
	broken := w.path + ".broken"
	bf, err := os.OpenFile(broken, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("capture: %s ends in a torn record, and saving it failed: %w", w.path, err)
	}
	_, err = io.Copy(bf, io.NewSectionReader(w.f, cut, size-cut))
	if err == nil {
		err = bf.Sync()
	}
	if cerr := bf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("capture: %s ends in a torn record, and saving it to %s failed: %w", w.path, broken, err)
	}
	if err := w.f.Truncate(cut); err != nil {
		return fmt.Errorf("capture: truncate %s after its last good record: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("capture: sync %s: %w", w.path, err)
	}
	w.warn("capture: %s ended in a torn record at offset %d (%d bytes; a crash mid-write is the likely cause); moved them to %s and truncated the file there", w.path, cut, size-cut, broken)
	return nil
}

// lastNewline returns the offset of the last '\n' before offset end, or -1.
func lastNewline(r io.ReaderAt, end int64) (int64, error) {
	var buf [64 << 10]byte
	for end > 0 {
		n := min(int64(len(buf)), end)
		b := buf[:n]
		if _, err := r.ReadAt(b, end-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return end - n + int64(i), nil
		}
		end -= n
	}
	return -1, nil
}

package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxLineBytes bounds one line in memory: a 25 MiB body is about 34 MiB in
// base64, plus the forward's and the program's output.
const maxLineBytes = 256 << 20

// CorruptionError reports a line that does not parse with good lines after
// it: not a torn tail, but a damaged or edited file.
type CorruptionError struct {
	// Offset is the byte offset of the line's start in the file.
	Offset int64
	// Line is the line number, from 1.
	Line int
	Err  error
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("capture: line %d (byte offset %d) is corrupt and records follow it, so it is not a torn tail: %v; the file was damaged or edited (cut that line out to read the rest)", e.Line, e.Offset, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// Reader reads Records from a capture file, one per line.
type Reader struct {
	br       *bufio.Reader
	off      int64 // offset of the next line
	line     int   // number of the last line read
	maxLine  int
	warnings []string
	err      error // sticky
	buf      []byte
}

// NewReader returns a Reader of the capture file r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), maxLine: maxLineBytes}
}

// Warnings returns the warnings so far: a torn last line skipped.
func (r *Reader) Warnings() []string { return append([]string(nil), r.warnings...) }

// readLine returns the next line without its newline, whether it had one,
// and its offset. At the end it returns io.EOF.
func (r *Reader) readLine() (line []byte, complete bool, off int64, err error) {
	r.buf = r.buf[:0]
	off = r.off
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, chunk...)
		r.off += int64(len(chunk))
		if len(r.buf) > r.maxLine {
			return nil, false, off, fmt.Errorf("capture: line %d (byte offset %d) is longer than %d bytes; this is not a capture file, or it is damaged", r.line+1, off, r.maxLine)
		}
		switch {
		case err == nil:
			r.line++
			return r.buf[:len(r.buf)-1], true, off, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 {
				return nil, false, off, io.EOF
			}
			r.line++
			return r.buf, false, off, nil
		default:
			return nil, false, off, fmt.Errorf("capture: read line %d: %w", r.line+1, err)
		}
	}
}

// Next returns the next record, or io.EOF after the last. A torn last line
// is skipped with a warning (see Warnings). A bad line with records after
// it is a *CorruptionError; a record of a later format version an error
// wrapping ErrVersion. After an error, Next returns it again.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (*Record, error) {
	for {
		line, complete, off, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n := r.line
		rec, perr := parseRecord(line)
		if perr == nil {
			if !complete {
				r.tornWarning(off, n, len(line), "it has no final newline")
				return nil, io.EOF
			}
			return rec, nil
		}
		if errors.Is(perr, ErrVersion) {
			return nil, fmt.Errorf("capture: line %d (byte offset %d): %w", n, off, perr)
		}
		// A bad line: torn if nothing but blank lines follows it.
		if !complete {
			r.tornWarning(off, n, len(line), "it has no final newline")
			return nil, io.EOF
		}
		for {
			next, _, _, err := r.readLine()
			if errors.Is(err, io.EOF) {
				r.tornWarning(off, n, len(line), "it does not parse")
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			if len(bytes.TrimSpace(next)) != 0 {
				return nil, &CorruptionError{Offset: off, Line: n, Err: perr}
			}
		}
	}
}

func (r *Reader) tornWarning(off int64, line, size int, why string) {
	r.warnings = append(r.warnings, fmt.Sprintf("capture: skipped the torn last line %d at byte offset %d (%d bytes): %s; a crash mid-write is the likely cause", line, off, size, why))
}

func parseRecord(line []byte) (*Record, error) {
	rec := new(Record)
	err := json.Unmarshal(line, rec)
	if err != nil {
		// A later version may have changed a field's type: say so.
		var v struct {
			V int `json:"v"`
		}
		if json.Unmarshal(line, &v) == nil && v.V > FormatVersion {
			return nil, fmt.Errorf("version %d: %w", v.V, ErrVersion)
		}
		return nil, err
	}
	if rec.Version > FormatVersion {
		return nil, fmt.Errorf("version %d: %w", rec.Version, ErrVersion)
	}
	return rec, nil
}

// ReadFile reads every delivery of the capture file at path. A command's
// result recorded after its delivery (KindExec) is merged into that
// delivery's Exec; one whose delivery is not in the file is left out. The
// warnings are the Reader's. On an error it returns the records before it.
func ReadFile(path string) (recs []*Record, warnings []string, err error) {
	recs, warnings, err = readAll(path)
	return mergeExec(recs), warnings, err
}

// mergeExec folds KindExec records into the delivery with their Seq. A
// command may finish before its delivery's record is written, so the
// result can come first in the file.
func mergeExec(all []*Record) []*Record {
	deliveries := all[:0:0]
	bySeq := map[uint64]*Record{}
	for _, rec := range all {
		if rec.Kind != KindExec {
			bySeq[rec.Seq] = rec
			deliveries = append(deliveries, rec)
		}
	}
	for _, rec := range all {
		if d, ok := bySeq[rec.For]; ok && rec.Kind == KindExec {
			d.Exec = rec.Exec
		}
	}
	return deliveries
}

// readAll reads every record of the file at path, as Next returns them.
func readAll(path string) (recs []*Record, warnings []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	r := NewReader(f)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return recs, r.Warnings(), nil
		}
		if err != nil {
			return recs, r.Warnings(), fmt.Errorf("%s: %w", path, err)
		}
		recs = append(recs, rec)
	}
}

// ReadLatest reads the last n deliveries of the capture file at path, with
// their commands' later results merged as ReadFile merges them, keeping
// at most 4n records in memory however long the file is (a result whose
// delivery lies further back is left out). It is what listen --ui shows
// at start.
func ReadLatest(path string, n int) ([]*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	r := NewReader(f)
	var window []*Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if window = append(window, rec); len(window) > 4*n {
			window = append(window[:0], window[len(window)-2*n:]...)
		}
	}
	recs := mergeExec(window)
	return recs[max(0, len(recs)-n):], nil
}

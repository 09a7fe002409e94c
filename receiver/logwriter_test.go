package receiver

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriterKeepsEveryLineInOrder(t *testing.T) {
	var out lockedBuffer
	lw := NewLogWriter(&out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(lw, "w%d %06d %s\n", w, i, strings.Repeat("x", i%300))
			}
		}()
	}
	wg.Wait()
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var w, i int
		if _, err := fmt.Sscanf(line, "w%d %d", &w, &i); err != nil {
			t.Fatalf("line %q is not whole: %v", line, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: line %d came where %d was due", w, i, next[w])
		}
		next[w]++
		n++
	}
	if n != writers*lines {
		t.Errorf("%d lines, want %d", n, writers*lines)
	}
	// After Close, writes go straight through.
	fmt.Fprintln(lw, "after")
	if !strings.HasSuffix(out.String(), "after\n") {
		t.Errorf("a write after Close was lost")
	}
}

// countingWriter counts the writes it gets.
type countingWriter struct {
	lockedBuffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.lockedBuffer.Write(p)
}

func (c *countingWriter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// TestLogWriterWritesABurstAtOnce: records that arrive while the writer
// gathers go out in one write, and Close does not wait for the gathering
// to end.
func TestLogWriterWritesABurstAtOnce(t *testing.T) {
	var out countingWriter
	lw := newLogWriter(&out, time.Hour)
	for i := range 100 {
		fmt.Fprintf(lw, "record %d\n", i)
	}
	if n := out.count(); n != 0 {
		t.Fatalf("%d writes while the burst gathers, want 0", n)
	}
	closed := make(chan struct{})
	go func() { lw.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the gathering to end")
	}
	if n := out.count(); n != 1 {
		t.Errorf("the burst took %d writes, want 1", n)
	}
	if got := strings.Count(out.String(), "\n"); got != 100 {
		t.Errorf("%d records written, want 100", got)
	}
}

// TestLogWriterWritesRacingClose: writes that race Close neither panic nor
// get lost; each one is written, by the writer or straight through.
func TestLogWriterWritesRacingClose(t *testing.T) {
	for round := range 200 {
		var out countingWriter
		lw := newLogWriter(&out, time.Hour)
		const writers = 4
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() { fmt.Fprintf(lw, "w%d\n", w) })
		}
		lw.Close()
		wg.Wait()
		if got := strings.Count(out.String(), "\n"); got != writers {
			t.Fatalf("round %d: %d records written, want %d", round, got, writers)
		}
		// The narrowest window: a Write that found the writer open signals
		// it only after Close has returned. That must not panic.
		select {
		case lw.wake <- struct{}{}:
		default:
		}
	}
}

package forward

import (
	"errors"
	"io"
	"testing"
)

// The Transport may still be writing the request body after the app
// answered and Handoff returned; by then the receiver reuses the buffer.
func TestBodyReadersStopWhenClosed(t *testing.T) {
	src := &bodySource{body: []byte("0123456789")}
	first, retry := src.reader(), src.reader()
	buf := make([]byte, 4)
	if n, err := first.Read(buf); n != 4 || err != nil || string(buf) != "0123" {
		t.Fatalf("Read = %d %q %v, want 4 0123 nil", n, buf[:n], err)
	}
	src.close()
	tests := []struct {
		name   string
		reader io.Reader
	}{
		{name: "started reader", reader: first},
		{name: "unstarted reader (a retry's GetBody)", reader: retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := tt.reader.Read(buf); n != 0 || !errors.Is(err, errBodyGone) {
				t.Errorf("Read after close = %d %v, want 0 and errBodyGone", n, err)
			}
		})
	}
}

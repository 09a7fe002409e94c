package receiver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hooklab/hooklab/signing"
)

func TestBudget(t *testing.T) {
	tests := []struct {
		name  string
		max   int64
		steps []int64 // > 0 acquire, < 0 release
		want  []bool  // per acquire
	}{
		{name: "small bodies are never counted", max: 100 << 10, steps: []int64{1 << 10, smallBody, smallBody}, want: []bool{true, true, true}},
		{name: "large bodies fill it", max: 200 << 10, steps: []int64{100 << 10, 100 << 10, 1 + smallBody}, want: []bool{true, true, false}},
		{name: "released bytes are free again", max: 200 << 10, steps: []int64{150 << 10, 150 << 10, -(150 << 10), 150 << 10}, want: []bool{true, false, true}},
		{name: "one body over the budget alone", max: 100 << 10, steps: []int64{1 << 20, 100 << 10}, want: []bool{true, false}},
		{name: "no limit", max: -1, steps: []int64{1 << 30, 1 << 30}, want: []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &budget{max: tt.max}
			var got []bool
			for _, s := range tt.steps {
				if s < 0 {
					b.release(-s)
					continue
				}
				got = append(got, b.acquire(s))
			}
			if !equalBools(got, tt.want) {
				t.Errorf("admitted %v, want %v", got, tt.want)
			}
		})
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stallingBody signals when the handler starts reading it, then waits.
type stallingBody struct {
	started chan struct{}
	release chan struct{}
	r       io.Reader
	once    bool
}

func (s *stallingBody) Read(p []byte) (int, error) {
	if !s.once {
		s.once = true
		close(s.started)
		<-s.release
	}
	return s.r.Read(p)
}

// While a large body is being read, a second large one gets 503 with
// Retry-After without being read, and a small one still gets 200.
func TestInflightBudget(t *testing.T) {
	rc, _ := mustReceiver(t, Config{MaxInflight: 300 << 10})
	large := pushOfSize(t, 200<<10)
	post := func(body []byte, r io.Reader) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, DefaultPath, r)
		req.ContentLength = int64(len(body)) // r may be of a type httptest cannot measure
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(EventHeader, "push")
		req.Header.Set(signing.GitHubSignatureHeader, hubSignature(testSecret, body))
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return rec
	}
	first := &stallingBody{started: make(chan struct{}), release: make(chan struct{}), r: bytes.NewReader(large)}
	done := make(chan int)
	go func() { done <- post(large, first).Code }()
	select {
	case <-first.started:
	case code := <-done:
		t.Fatalf("the first large body was answered %d without being read", code)
	}

	second := post(large, failingReader{io.ErrUnexpectedEOF}) // must not be read
	if a := answerOf(t, second); second.Code != http.StatusServiceUnavailable || a.Reason != ReasonOverloaded || second.Header().Get("Retry-After") == "" {
		t.Errorf("second large body: %d %s, Retry-After %q; want 503 overloaded with Retry-After", second.Code, a.Reason, second.Header().Get("Retry-After"))
	}
	small := []byte(`{"zen":"small"}`)
	if rec := post(small, bytes.NewReader(small)); rec.Code != http.StatusOK {
		t.Errorf("small body while the budget is full: %d, want 200", rec.Code)
	}
	close(first.release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("first large body: %d, want 200", code)
	}
	if rec := post(large, bytes.NewReader(large)); rec.Code != http.StatusOK {
		t.Errorf("large body after the first finished: %d, want 200", rec.Code)
	}
	if peak := rc.inflight.peakInUse(); peak > 300<<10 {
		t.Errorf("peak in flight %d, over the budget", peak)
	}
}

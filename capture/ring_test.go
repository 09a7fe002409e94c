package capture

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestRingBounds(t *testing.T) {
	unit := Size(newRecord(0, strings.Repeat("a", 1000)))
	tests := []struct {
		name     string
		maxCount int
		maxBytes int64
		bodies   []int // body sizes of seqs 1, 2, ...
		want     string
	}{
		{name: "count bound", maxCount: 3, maxBytes: 0, bodies: []int{1000, 1000, 1000, 1000, 1000}, want: "[5 4 3]"},
		{name: "byte bound", maxCount: 100, maxBytes: 2*unit + unit/2, bodies: []int{1000, 1000, 1000, 1000}, want: "[4 3]"},
		{name: "both: count first", maxCount: 2, maxBytes: 10 * unit, bodies: []int{1000, 1000, 1000}, want: "[3 2]"},
		{name: "a big one evicts several", maxCount: 100, maxBytes: 3 * unit, bodies: []int{1000, 1000, 1000, int(2 * unit)}, want: "[4]"},
		{name: "count below one", maxCount: 0, maxBytes: 0, bodies: []int{1, 2}, want: "[2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(tt.maxCount, tt.maxBytes)
			for i, n := range tt.bodies {
				r.Add(newRecord(uint64(i+1), strings.Repeat("a", n)))
			}
			got := r.Latest(100)
			if s := fmt.Sprint(seqs(got)); s != tt.want {
				t.Errorf("Latest = %s, want %s", s, tt.want)
			}
			var sum int64
			for _, rec := range got {
				sum += Size(rec)
			}
			if r.Bytes() != sum || r.Len() != len(got) {
				t.Errorf("Bytes = %d, Len = %d; want %d, %d", r.Bytes(), r.Len(), sum, len(got))
			}
			if tt.maxBytes > 0 && r.Bytes() > tt.maxBytes {
				t.Errorf("Bytes = %d, over the bound %d", r.Bytes(), tt.maxBytes)
			}
		})
	}
}

func TestRingLatestAndGet(t *testing.T) {
	r := NewRing(3, 0)
	for i := uint64(1); i <= 5; i++ {
		r.Add(newRecord(i, "x"))
	}
	if s := fmt.Sprint(seqs(r.Latest(2))); s != "[5 4]" {
		t.Errorf("Latest(2) = %s, want [5 4]", s)
	}
	if got := r.Latest(-1); len(got) != 0 {
		t.Errorf("Latest(-1) = %d records", len(got))
	}
	for seq, want := range map[uint64]bool{1: false, 2: false, 3: true, 5: true, 6: false} {
		rec, ok := r.Get(seq)
		if ok != want || (ok && rec.Seq != seq) {
			t.Errorf("Get(%d) = %v, %v; want found %v", seq, rec, ok, want)
		}
	}
}

func TestRingKeepsAnOversizedRecordWithoutBody(t *testing.T) {
	r := NewRing(10, 2000)
	r.Add(newRecord(1, "small"))
	big := newRecord(2, strings.Repeat("b", 5000))
	big.BodySHA256 = "sum"
	big.Forward = &Forward{Body: []byte("app")}
	r.Add(big)
	got, ok := r.Get(2)
	if !ok {
		t.Fatal("the oversized record was not kept")
	}
	if got.Body != nil || got.Forward.Body != nil || got.BodySHA256 != "sum" {
		t.Errorf("kept record = %+v, want it without bodies, with its sum", got)
	}
	if len(big.Body) != 5000 || big.Forward.Body == nil {
		t.Error("Add changed the caller's record")
	}
	if r.Bytes() > 2000 {
		t.Errorf("Bytes = %d, over the bound", r.Bytes())
	}
}

func TestRingSubscribe(t *testing.T) {
	r := NewRing(10, 0)
	ch, cancel := r.Subscribe(2)
	for i := uint64(1); i <= 4; i++ {
		r.Add(newRecord(i, "")) // must not block on the full channel
	}
	var got []uint64
	for range 2 {
		got = append(got, (<-ch).Seq)
	}
	if s := fmt.Sprint(got); s != "[1 2]" {
		t.Errorf("received %s, want [1 2] (3 and 4 dropped)", s)
	}
	r.Add(newRecord(5, ""))
	if rec := <-ch; rec.Seq != 5 {
		t.Errorf("after draining: got %d, want 5", rec.Seq)
	}
	cancel()
	cancel()
	r.Add(newRecord(6, ""))
	if rec, ok := <-ch; ok {
		t.Errorf("after cancel: got %d, want a closed channel", rec.Seq)
	}
}

func TestRingConcurrent(t *testing.T) {
	r := NewRing(50, 20000)
	ch, cancel := r.Subscribe(8)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				seq := uint64(g*1000 + i)
				r.Add(newRecord(seq, strings.Repeat("c", i)))
				r.Get(seq)
				r.Latest(5)
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			select {
			case <-ch:
			default:
			}
		}
	})
	wg.Wait()
	if r.Len() > 50 || r.Bytes() > 20000 {
		t.Errorf("Len %d, Bytes %d: over the bounds", r.Len(), r.Bytes())
	}
}

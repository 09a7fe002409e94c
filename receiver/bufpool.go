package receiver

import "sync"

// bufferPool pools byte buffers together with the holders they travel in,
// so that putting a buffer back allocates nothing. A buffer that grew past
// max is left to the collector, so that one large body, answer or log line
// does not stay in memory for good.
type bufferPool struct {
	pool sync.Pool // *[]byte
	max  int
}

// get returns a holder whose buffer is empty (nil in a new holder).
func (p *bufferPool) get() *[]byte {
	if h, ok := p.pool.Get().(*[]byte); ok {
		return h
	}
	return new([]byte)
}

// put keeps b, grown from h's buffer, for a later get, once nothing refers
// to it.
func (p *bufferPool) put(h *[]byte, b []byte) {
	if h == nil || cap(b) > p.max {
		return
	}
	*h = b[:0]
	p.pool.Put(h)
}

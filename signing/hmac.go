package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// keyedMAC is one secret's HMAC with a pool of keyed states, so that a busy
// receiver does not rebuild the inner and outer pads for every delivery.
type keyedMAC struct {
	pool sync.Pool
}

func newKeyedMAC(newHash func() hash.Hash, key []byte) *keyedMAC {
	k := &keyedMAC{}
	key = append([]byte(nil), key...)
	k.pool.New = func() any { return hmac.New(newHash, key) }
	return k
}

func (k *keyedMAC) get() hash.Hash {
	return k.pool.Get().(hash.Hash)
}

func (k *keyedMAC) put(h hash.Hash) {
	h.Reset()
	k.pool.Put(h)
}

// sum returns the MAC of the given parts, in order.
func (k *keyedMAC) sum(parts ...[]byte) []byte {
	h := k.get()
	for _, p := range parts {
		h.Write(p)
	}
	out := h.Sum(nil)
	k.put(h)
	return out
}

// macVerifier hashes the body under every configured key at once and
// accepts when any key's MAC equals any of the candidate signatures. One
// key and one candidate is the common case; several keys allow secret
// rotation and several candidates allow headers that list more than one
// signature.
//
// Verifiers are pooled when their owner says so (Release): with one key and
// one candidate a verification then allocates nothing. Without Release a
// verifier is left to the garbage collector, so a caller that keeps one too
// long can never reach another delivery's.
type macVerifier struct {
	keys       []*keyedMAC
	states     []hash.Hash
	candidates [][]byte
	header     string
	sum        [64]byte
	// upper marks the candidates (by index, the first 64) written in
	// uppercase hex, and upperWarning is the warning an acceptance on
	// those alone carries; accepted is set by a Verify that held only by
	// one of them.
	upper        uint64
	upperWarning string
	warned       bool
	// Room for the common case, so that it takes no allocation of its own.
	oneState     [1]hash.Hash
	oneCandidate [1][]byte
	mac          [sha256.Size]byte
}

var verifiers = sync.Pool{New: func() any { return new(macVerifier) }}

func newMACVerifier(keys []*keyedMAC, header string, candidates [][]byte, prefix []byte) *macVerifier {
	v := verifiers.Get().(*macVerifier)
	v.keys, v.header, v.candidates = keys, header, candidates
	v.states = v.oneState[:0:1]
	if len(keys) > 1 {
		v.states = make([]hash.Hash, 0, len(keys))
	}
	for _, k := range keys {
		h := k.get()
		h.Write(prefix)
		v.states = append(v.states, h)
	}
	return v
}

// newMACVerifier1 is newMACVerifier for one candidate signature, which it
// copies.
func newMACVerifier1(keys []*keyedMAC, header string, mac *[sha256.Size]byte, prefix []byte) *macVerifier {
	v := newMACVerifier(keys, header, nil, prefix)
	v.mac = *mac
	v.oneCandidate[0] = v.mac[:]
	v.candidates = v.oneCandidate[:]
	return v
}

func (v *macVerifier) Write(p []byte) (int, error) {
	for _, h := range v.states {
		h.Write(p)
	}
	return len(p), nil
}

func (v *macVerifier) Verify() error {
	ok, okLower := false, false
	for i, h := range v.states {
		got := h.Sum(v.sum[:0])
		for j, c := range v.candidates {
			// Every comparison runs, whatever matched before, so the time
			// taken says nothing about which secret or signature matched.
			if hmac.Equal(got, c) {
				ok = true
				if j >= 64 || v.upper&(1<<j) == 0 {
					okLower = true
				}
			}
		}
		v.keys[i].put(h)
	}
	v.warned = ok && !okLower && v.upperWarning != ""
	// The states are back in their pools: a second Verify, or a Write
	// after this one, finds none and fails closed.
	v.states = nil
	if !ok {
		return &Error{Kind: ErrMismatch, Header: v.header,
			Detail: "the signature does not match the body: the body or the secret differs"}
	}
	return nil
}

// Warnings returns what a Verify that held accepted although some official
// library would refuse it; nil, without allocating, when there is nothing.
func (v *macVerifier) Warnings() []string {
	if !v.warned {
		return nil
	}
	return []string{v.upperWarning}
}

// markUpper notes that candidate i was written in uppercase hex, which
// warning says some official library refuses.
func (v *macVerifier) markUpper(i int, warning string) {
	if i < 64 {
		v.upper |= 1 << i
	}
	v.upperWarning = warning
}

// release puts the verifier back in the pool, and its hash states when
// Verify did not.
func (v *macVerifier) release() {
	for i, h := range v.states {
		v.keys[i].put(h)
	}
	*v = macVerifier{}
	verifiers.Put(v)
}

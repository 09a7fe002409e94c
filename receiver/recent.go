package receiver

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxKeptID is the longest delivery id kept as it is. Real ids are short
// (GitHub's are 36-byte GUIDs), but a header value may run to the header
// limit, and GitHub does not sign its headers: anyone holding one signed
// delivery could replay it with ever new 60 KB ids. Longer ids are kept
// as their SHA-256, so the set holds at most about 10,000 x 128 bytes.
const maxKeptID = 128

// recentIDs remembers the most recent delivery ids, up to a fixed number,
// so a repeated id can be reported as a redelivery without the set growing
// for as long as the listener runs. The oldest id is forgotten first.
type recentIDs struct {
	mu   sync.Mutex
	ring []idKey
	next int
	seen map[idKey]attempts
}

// attempts is what is remembered of an id: how many times it came, and
// when it came last.
type attempts struct {
	n    int
	last time.Time
}

// idKey is how an id is remembered: as it is, or as its SHA-256 when it
// is longer than maxKeptID. hashed keeps the two apart, so that no id,
// whatever its bytes, can pass for the digest of another.
type idKey struct {
	id     string
	hashed bool
}

func newRecentIDs(size int) *recentIDs {
	if size < 1 {
		size = 1
	}
	return &recentIDs{ring: make([]idKey, 0, size), seen: make(map[idKey]attempts, size)}
}

// add records that id came at now, and returns how many times it came,
// this one included, and the time since the time before (0 the first
// time): a sender's retries.
func (r *recentIDs) add(id string, now time.Time) (attempt int, since time.Duration) {
	k := idKey{id: id}
	if len(id) > maxKeptID {
		sum := sha256.Sum256([]byte(id))
		k = idKey{id: string(sum[:]), hashed: true}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.seen[k]; ok {
		r.seen[k] = attempts{n: a.n + 1, last: now}
		return a.n + 1, now.Sub(a.last)
	}
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, k)
	} else {
		delete(r.seen, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % len(r.ring)
	}
	r.seen[k] = attempts{n: 1, last: now}
	return 1, 0
}

// len returns how many ids are remembered.
func (r *recentIDs) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

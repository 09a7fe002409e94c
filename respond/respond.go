// Package respond scripts the answers that listen gives verified
// deliveries, so that a sender's retries, back-off and timeouts can be
// tested: listen --respond 500,500,200, --respond push=503,
// --respond-body, --respond-header, --delay and --drop.
//
// A Responder implements receiver.Responder. Verification still happens
// and is logged as usual; the scripted answer replaces only what is sent
// back.
//
// Which status a delivery gets: the sequence advances by one for every
// verified delivery the Responder is asked about, retries included, so
// "500,500,200" answers a sender's first attempt and its first retry with
// 500 and its second retry with 200 (and every delivery after that with
// 200: the last status repeats). A delivery whose event has its own
// sequence (push=500,200) advances that sequence only; every other
// delivery advances the global one. A dropped delivery still takes its
// turn in its sequence. Deliveries that arrive at the same time take their
// turns in the order they reach Respond.
package respond

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// Config is what a Responder answers with. Its zero value scripts nothing:
// every delivery keeps hooklab's own answer.
type Config struct {
	// Statuses are the statuses of the deliveries, in turn; the last
	// repeats. Empty keeps hooklab's status (unless ByEvent applies).
	Statuses []int
	// ByEvent gives an event its own sequence, counted over that event's
	// deliveries only; the last status repeats.
	ByEvent map[string][]int
	// Body replaces hooklab's JSON answer when not nil. It is shared with
	// every answer: do not modify it after New.
	Body []byte
	// Header lines are added to every scripted answer.
	Header [][2]string
	// DelayMin and DelayMax bound the wait before answering (or
	// dropping), drawn uniformly from [DelayMin, DelayMax]; equal values
	// wait exactly that long, zero values not at all.
	DelayMin, DelayMax time.Duration
	// Drop is the share of deliveries, from 0 to 1, whose connection is
	// closed without an answer.
	Drop float64
	// Seed seeds the draws for Delay and Drop: the same seed and Config
	// give the same sequence of delays and drops. 0 picks a random seed.
	Seed int64
}

// Responder scripts answers from a Config. It is safe for concurrent use.
type Responder struct {
	cfg Config

	mu      sync.Mutex
	rng     *rand.Rand
	next    int            // the global sequence's next index
	byEvent map[string]int // each event sequence's next index
}

var _ receiver.Responder = (*Responder)(nil)

// New returns a Responder for cfg. cfg should come from the parsers of
// this package (ParseStatuses, ParseDelay, ParseHeader, ParseDrop), which
// check its values; New copies the slices and maps it keeps, except Body.
func New(cfg Config) *Responder {
	seed := uint64(cfg.Seed)
	if cfg.Seed == 0 {
		seed = rand.Uint64()
	}
	cfg.Statuses = append([]int(nil), cfg.Statuses...)
	cfg.Header = append([][2]string(nil), cfg.Header...)
	if cfg.ByEvent != nil {
		m := make(map[string][]int, len(cfg.ByEvent))
		for ev, seq := range cfg.ByEvent {
			m[ev] = append([]int(nil), seq...)
		}
		cfg.ByEvent = m
	}
	if cfg.DelayMax < cfg.DelayMin {
		cfg.DelayMax = cfg.DelayMin
	}
	return &Responder{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		byEvent: make(map[string]int),
	}
}

// Respond returns the scripted answer for d, a verified delivery, and
// advances the sequence d's event belongs to (see the package comment).
// The delay is drawn before the drop, each only when configured, so that
// a fixed Seed repeats both.
func (r *Responder) Respond(d *receiver.Delivery) receiver.Scripted {
	s := receiver.Scripted{Header: r.cfg.Header, Body: r.cfg.Body}
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq, ok := r.cfg.ByEvent[d.Event]; ok && len(seq) > 0 {
		s.Status = pick(seq, r.byEvent[d.Event])
		r.byEvent[d.Event]++
	} else if len(r.cfg.Statuses) > 0 {
		s.Status = pick(r.cfg.Statuses, r.next)
		r.next++
	}
	s.Delay = r.cfg.DelayMin
	if span := r.cfg.DelayMax - r.cfg.DelayMin; span > 0 {
		s.Delay += time.Duration(r.rng.Int64N(int64(span) + 1))
	}
	if r.cfg.Drop > 0 {
		s.Drop = r.rng.Float64() < r.cfg.Drop
	}
	return s
}

// pick returns seq's i-th status, or its last once i is past the end.
func pick(seq []int, i int) int {
	return seq[min(i, len(seq)-1)]
}

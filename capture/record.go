// Package capture keeps what listen received: an append-only NDJSON file of
// every delivery, byte-exact (Writer, Read), a bounded in-memory ring of the
// latest ones (Ring), and the request heads as they came over the wire, in
// order and spelling (Listener, WireHeaders), which net/http's header map
// has lost by the time a handler runs.
//
// The file format is one JSON object per line, a Record. Bodies are base64
// (encoding/json's []byte), headers are [name, value] pairs in wire order.
// Records never span files and are written whole, so only the last line of
// the newest file can be torn by a crash; Read skips it with a warning.
package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the version of the record format, in every record's "v".
// A reader refuses records of a later version.
const FormatVersion = 1

// Header is one header line as it came: [name as sent, value]. It is a JSON
// array of two strings.
type Header [2]string

// Name returns the header's name as it was sent.
func (h Header) Name() string { return h[0] }

// Value returns the header's value.
func (h Header) Value() string { return h[1] }

// KindExec is the Kind of a command's result recorded after its delivery.
const KindExec = "exec"

// Headers order values for the Record field of that name.
const (
	// OrderWire: the headers as they came over the wire, in order, with
	// their spelling and repeats.
	OrderWire = "wire"
	// OrderCanonical: the wire order was not available (the head was not
	// seen by a capture.Listener); the headers are net/http's, sorted by
	// canonical name.
	OrderCanonical = "canonical"
)

// Record is one delivery in a capture file.
type Record struct {
	Version int `json:"v"`
	// Kind is "" for a delivery, or KindExec for the later result of a
	// command that ran after its delivery was answered; such a record
	// holds only For, Time and Exec, and ReadFile merges it into its
	// delivery.
	Kind string `json:"kind,omitempty"`
	// For is, in a KindExec record, the Seq of its delivery.
	For uint64 `json:"for,omitempty"`
	// Seq numbers the deliveries in the order their handling began; it is
	// 0 in a KindExec record, so that select(.seq == N) finds only the
	// delivery.
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Remote string    `json:"remote"`
	Method string    `json:"method"`
	// Target is the request target as sent: path and query, raw.
	Target string `json:"target"`
	Proto  string `json:"proto"`
	// Headers are the request headers (Host included when it was sent),
	// in the order HeadersOrder says.
	Headers      []Header `json:"headers"`
	HeadersOrder string   `json:"headers_order"`
	// Body is the body as read, base64 in the file.
	Body       []byte `json:"body"`
	BodySHA256 string `json:"body_sha256"`
	// BodyComplete is false when the delivery was refused before or while
	// its body was read: Body is then what had arrived (often nothing).
	BodyComplete bool     `json:"body_complete"`
	Verdict      Verdict  `json:"verdict"`
	Forward      *Forward `json:"forward,omitempty"`
	Exec         *Exec    `json:"exec,omitempty"`
	// Answered is the status the sender got in the end.
	Answered int `json:"answered"`
	// ReplayOf is the Seq of the delivery this one replays, when it was
	// replayed from the inspector; 0 otherwise.
	ReplayOf uint64 `json:"replay_of,omitempty"`
}

// ReplayHeader marks a delivery replayed from the inspector to the
// listener: its value is the Seq of the original, which the replay's
// Record keeps as ReplayOf.
const ReplayHeader = "X-Hooklab-Replay-Of"

// Verdict is hooklab's verdict on a delivery.
type Verdict struct {
	Status     int    `json:"status"`
	Reason     string `json:"reason"`
	Detail     string `json:"detail,omitempty"`
	Provider   string `json:"provider"`
	Event      string `json:"event,omitempty"`
	Action     string `json:"action,omitempty"`
	Delivery   string `json:"delivery,omitempty"`
	Summary    string `json:"summary,omitempty"`
	Redelivery bool   `json:"redelivery,omitempty"`
	Header     string `json:"header,omitempty"`
	// Why says why the signature failed, when a known cause holds.
	Why        string  `json:"why,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Forward is what the app answered a forwarded delivery.
type Forward struct {
	URL string `json:"url"`
	// Status is the app's status; 0 when it gave no answer (see Reason).
	Status        int      `json:"status,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Error         string   `json:"error,omitempty"`
	LatencyMS     float64  `json:"latency_ms"`
	Headers       []Header `json:"headers,omitempty"`
	Body          []byte   `json:"body,omitempty"`
	BodyTruncated bool     `json:"body_truncated,omitempty"`
}

// Exec is what a program run for the delivery did.
type Exec struct {
	Program    string  `json:"program"`
	Queued     bool    `json:"queued,omitempty"`
	ExitCode   int     `json:"exit_code"`
	Reason     string  `json:"reason,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	Stdout     []byte  `json:"stdout,omitempty"`
	Stderr     []byte  `json:"stderr,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"`
}

// ErrVersion is returned for a record of a later format version.
var ErrVersion = errors.New("capture: record of a later format version; upgrade hooklab")

// Marshal returns r as one line of a capture file, without the newline.
func (r *Record) Marshal() ([]byte, error) {
	if r.Version == 0 {
		r.Version = FormatVersion
	}
	return json.Marshal(r)
}

// Sum returns the hex SHA-256 of the body: BodySHA256 when it is set (a
// record read from a file, or one whose body was dropped), else computed.
func (r *Record) Sum() string {
	if r.BodySHA256 != "" {
		return r.BodySHA256
	}
	sum := sha256.Sum256(r.Body)
	return hex.EncodeToString(sum[:])
}

// ReplayOf is the Seq of the delivery rec replays, from its ReplayHeader,
// when it came from this machine: the inspector's replays carry it, and
// the link it draws on the page is one that others need not draw. 0
// otherwise.
func ReplayOf(rec *Record) uint64 {
	host, _, _ := net.SplitHostPort(rec.Remote)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return 0
	}
	for _, h := range rec.Headers {
		if strings.EqualFold(h.Name(), ReplayHeader) {
			n, _ := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 64)
			return n
		}
	}
	return 0
}

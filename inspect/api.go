package inspect

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/provider"
	"github.com/hooklab/hooklab/replay"
)

// meta is a delivery as the list shows it: no headers, no bodies.
type meta struct {
	Seq        uint64       `json:"seq"`
	Time       time.Time    `json:"time"`
	Method     string       `json:"method"`
	Target     string       `json:"target"`
	Event      string       `json:"event"`
	Action     string       `json:"action"`
	Delivery   string       `json:"delivery"`
	Status     int          `json:"status"`
	Reason     string       `json:"reason"`
	Detail     string       `json:"detail"`
	Why        string       `json:"why,omitempty"`
	Summary    string       `json:"summary"`
	Redelivery bool         `json:"redelivery"`
	Size       int          `json:"size"`
	DurationMS float64      `json:"duration_ms"`
	Answered   int          `json:"answered"`
	ReplayOf   uint64       `json:"replay_of"`
	Forward    *forwardMeta `json:"forward"`
	Exec       *execMeta    `json:"exec"`
}

type forwardMeta struct {
	Status    int     `json:"status"`
	Reason    string  `json:"reason"`
	Error     string  `json:"error"`
	LatencyMS float64 `json:"latency_ms"`
}

type execMeta struct {
	Queued     bool    `json:"queued"`
	ExitCode   int     `json:"exit_code"`
	Reason     string  `json:"reason"`
	Error      string  `json:"error"`
	DurationMS float64 `json:"duration_ms"`
}

// detail is a delivery as the page shows it opened. Its Forward and Exec
// hide meta's (encoding/json takes the shallower field).
type detail struct {
	meta
	Remote          string           `json:"remote"`
	Proto           string           `json:"proto"`
	Provider        string           `json:"provider"`
	SignatureHeader string           `json:"signature_header"`
	Headers         []capture.Header `json:"headers"`
	HeadersOrder    string           `json:"headers_order"`
	Body            []byte           `json:"body"`
	BodyComplete    bool             `json:"body_complete"`
	BodySHA256      string           `json:"body_sha256"`
	// BodyDropped: the ring kept the record without its body, which was
	// bigger than its byte bound.
	BodyDropped   bool           `json:"body_dropped"`
	Forward       *forwardDetail `json:"forward"`
	Exec          *execDetail    `json:"exec"`
	Curl          string         `json:"curl"`
	CurlError     string         `json:"curl_error,omitempty"`
	ReplayCommand string         `json:"replay_command"`
	SendCommand   string         `json:"send_command"`
}

type forwardDetail struct {
	forwardMeta
	URL           string           `json:"url"`
	Headers       []capture.Header `json:"headers"`
	Body          []byte           `json:"body"`
	BodyTruncated bool             `json:"body_truncated"`
}

type execDetail struct {
	execMeta
	Program   string `json:"program"`
	Stdout    []byte `json:"stdout"`
	Stderr    []byte `json:"stderr"`
	Truncated bool   `json:"truncated"`
}

func metaOf(rec *capture.Record) meta {
	v := rec.Verdict
	m := meta{
		Seq: rec.Seq, Time: rec.Time, Method: rec.Method, Target: rec.Target,
		Event: v.Event, Action: v.Action, Delivery: v.Delivery,
		Status: v.Status, Reason: v.Reason, Detail: v.Detail, Why: v.Why, Summary: v.Summary,
		Redelivery: v.Redelivery, Size: len(rec.Body), DurationMS: v.DurationMS,
		Answered: rec.Answered, ReplayOf: rec.ReplayOf,
	}
	if f := rec.Forward; f != nil {
		m.Forward = &forwardMeta{Status: f.Status, Reason: f.Reason, Error: f.Error, LatencyMS: f.LatencyMS}
	}
	if e := rec.Exec; e != nil {
		m.Exec = &execMeta{Queued: e.Queued, ExitCode: e.ExitCode, Reason: e.Reason, Error: e.Error, DurationMS: e.DurationMS}
	}
	return m
}

// emptySum is the hex SHA-256 of no bytes.
var emptySum = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// detailOf returns rec as GET /api/deliveries/{seq} answers it. curl is ""
// with curl_error saying why when replay.Curl cannot write the command
// safely; send_command and replay_command are "" when a word of theirs
// could not be shown safely (shellJoin), replay_command also without a
// capture file.
func (s *Server) detailOf(rec *capture.Record) detail {
	d := detail{
		meta:   metaOf(rec),
		Remote: rec.Remote, Proto: rec.Proto,
		Provider: rec.Verdict.Provider, SignatureHeader: rec.Verdict.Header,
		Headers: nonNil(rec.Headers), HeadersOrder: rec.HeadersOrder,
		Body: nonNil(rec.Body), BodyComplete: rec.BodyComplete, BodySHA256: rec.Sum(),
	}
	d.BodyDropped = len(rec.Body) == 0 && d.BodySHA256 != emptySum
	if f := rec.Forward; f != nil {
		d.Forward = &forwardDetail{forwardMeta: *d.meta.Forward, URL: f.URL,
			Headers: nonNil(f.Headers), Body: nonNil(f.Body), BodyTruncated: f.BodyTruncated}
	}
	if e := rec.Exec; e != nil {
		d.Exec = &execDetail{execMeta: *d.meta.Exec, Program: e.Program,
			Stdout: nonNil(e.Stdout), Stderr: nonNil(e.Stderr), Truncated: e.Truncated}
	}
	file := bodyFile(rec.Seq)
	if curl, err := replay.Curl(rec, s.cfg.Session.Listener, file); err != nil {
		d.CurlError = err.Error()
	} else {
		d.Curl = curl
	}
	if s.cfg.Session.Record != "" {
		d.ReplayCommand = shellJoin("hooklab", "replay", s.cfg.Session.Record, "--seq", strconv.FormatUint(rec.Seq, 10))
	}
	d.SendCommand = s.sendCommand(rec, file)
	return d
}

// sendCommand returns the `hooklab send` command that sends rec's body
// (saved as file) to the listener: --event only for a provider whose event
// type is in a header (send refuses it for the others), --provider when it
// is not github, the default.
func (s *Server) sendCommand(rec *capture.Record, file string) string {
	args := []string{"hooklab", "send", "--file", file}
	name := rec.Verdict.Provider
	if name == "" {
		name = s.cfg.Session.Provider
	}
	if p, err := provider.Lookup(name); rec.Verdict.Event != "" && (err != nil || p.EventHeader != "") {
		args = append(args, "--event", rec.Verdict.Event)
	}
	if s.cfg.Session.Listener != "" {
		args = append(args, "--url", s.cfg.Session.Listener)
	}
	if name != "" && name != "github" {
		args = append(args, "--provider", name)
	}
	return shellJoin(args...)
}

func bodyFile(seq uint64) string { return "hooklab-seq-" + strconv.FormatUint(seq, 10) + ".body" }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// shellJoin quotes each word for a POSIX shell, as replay.Curl does: as it
// is when no shell treats any of its characters specially, else in single
// quotes. It returns "" when a word is not UTF-8 or holds a rune that
// would make the command read differently in a terminal from what it is
// (term.UnsafeRune): a delivery's event name is the sender's choice.
func shellJoin(words ...string) string {
	for i, w := range words {
		if !utf8.ValidString(w) || strings.ContainsFunc(w, term.UnsafeRune) {
			return ""
		}
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./@:,+=%", r))
		}) {
			words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}

// marshal returns v as JSON with '<', '>' and '&' escaped (so that no
// answer can be sniffed as HTML), without a trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = marshal(map[string]string{"error": "inspect: encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Session
		Token string `json:"token"`
	}{s.cfg.Session, s.cfg.Token})
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) {
	recs := s.cfg.Ring.Latest(s.cfg.Ring.Len())
	list := struct {
		LastSeq    uint64 `json:"last_seq"`
		Deliveries []meta `json:"deliveries"`
	}{Deliveries: make([]meta, len(recs))}
	for i, rec := range recs {
		list.Deliveries[i] = metaOf(rec)
		list.LastSeq = max(list.LastSeq, rec.Seq)
	}
	writeJSON(w, http.StatusOK, list)
}

// record returns the record of the request's {seq}, or answers 404.
func (s *Server) record(w http.ResponseWriter, r *http.Request) (*capture.Record, bool) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%q is not a delivery's sequence number", r.PathValue("seq")))
		return nil, false
	}
	rec, ok := s.cfg.Ring.Get(seq)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("delivery %d is not in memory (the inspector keeps the latest ones; --record keeps them all)", seq))
		return nil, false
	}
	return rec, true
}

func (s *Server) delivery(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.record(w, r); ok {
		writeJSON(w, http.StatusOK, s.detailOf(rec))
	}
}

// body serves the raw body as a download, never inline.
func (s *Server) body(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	if len(rec.Body) == 0 && rec.Sum() != emptySum {
		writeError(w, http.StatusGone, fmt.Sprintf("the body of delivery %d (sha256 %s) was too big to keep in memory; --record keeps it", rec.Seq, rec.Sum()))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+bodyFile(rec.Seq)+`"`)
	h.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	w.WriteHeader(http.StatusOK)
	w.Write(rec.Body)
}

// replayRequest is the JSON body of a replay.
type replayRequest struct {
	To     string `json:"to"`
	Resign bool   `json:"resign"`
}

// maxReplayBody bounds a replay request's body.
const maxReplayBody = 4 << 10

func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Replay == nil {
		writeError(w, http.StatusForbidden, "replay is disabled in this inspector")
		return
	}
	if err := s.cop.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "replay refused: a cross-origin request; only the inspector's own page can replay")
		return
	}
	token := r.Header.Get(TokenHeader)
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) != 1 {
		writeError(w, http.StatusForbidden, "replay refused: "+TokenHeader+" is missing or wrong (the page reads it from /api/session; reload the page after a restart)")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusBadRequest, "a replay's body must be JSON, with Content-Type: application/json")
		return
	}
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	var req replayRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxReplayBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `a replay's body must be {"to":"listener"|"forward","resign":true|false}: `+err.Error())
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, `a replay's body must be one JSON object: {"to":"listener"|"forward","resign":true|false}`)
		return
	}
	switch req.To {
	case "listener":
	case "forward":
		if s.cfg.Session.Forward == "" {
			writeError(w, http.StatusConflict, "there is no forward target to replay to (listen without --forward-to)")
			return
		}
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`"to" must be "listener" or "forward", not %q`, req.To))
		return
	}
	res, err := s.cfg.Replay(r.Context(), rec, req.To, req.Resign)
	if err != nil {
		if res.Error == "" {
			res.Error = err.Error()
		}
		writeJSON(w, http.StatusBadGateway, res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

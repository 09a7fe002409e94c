// Package check runs a conformance matrix against any webhook receiver —
// hooklab's own or anyone's, in any language — and reports which answers
// were right: valid deliveries accepted, every kind of bad signature
// refused with 401, lengths, sizes, methods and content types answered
// with the status that fits.
//
// Each Scenario is sent on its own connection with its own timeout, so a
// receiver that hangs or drops the connection fails that scenario with a
// clear verdict instead of stalling the run.
package check

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxBody = 25 << 20 // hooklab listen's default, GitHub's cap
	DefaultTimeout = 5 * time.Second
)

// Config says where to run the scenarios and how to judge the answers.
type Config struct {
	// URL is the receiver's webhook URL.
	URL *url.URL
	// Provider is the receiver's scheme (signing.ProviderGitHub when
	// empty); it decides the scenarios (ScenariosFor).
	Provider string
	// Profile picks the scenarios and how their answers are judged
	// (ProfileScenarios); DefaultProfile when empty.
	Profile string
	// Tolerance is the receiver's timestamp tolerance; the stale and future
	// scenarios sign twice that far off (signing.DefaultTolerance).
	Tolerance time.Duration
	// Secret is the shared secret; valid scenarios are signed with it.
	Secret string
	// MaxBody is the receiver's size limit, for body-too-large
	// (DefaultMaxBody).
	MaxBody int64
	// Timeout bounds each scenario (DefaultTimeout).
	Timeout time.Duration
	// Expect replaces the expected statuses of the named scenarios, for
	// receivers that legitimately differ (403 for a bad signature, ...).
	Expect map[string][]int
	// Accept2xx accepts any 2xx where a 200 is expected.
	Accept2xx bool
	// Only runs just these scenarios; Skip leaves these out.
	Only, Skip []string
	// Random makes delivery ids (crypto/rand.Reader); UserAgent is sent
	// with every request.
	Random    io.Reader
	UserAgent string
	// Now is the clock for durations (time.Now).
	Now func() time.Time
	// Client sends the requests (its Timeout and Now are set from this
	// Config); nil means a plain sender.Client.
	Client *sender.Client
	// Progress, when set, is called after each scenario, in order.
	Progress func(Result)
}

// Verdict is a scenario's outcome.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
)

// Result is one scenario's outcome.
type Result struct {
	Scenario string `json:"scenario"`
	Sent     string `json:"sent"`
	Expect   []int  `json:"expect"`
	// Accept2xx is set when any 2xx counted as the expected 200.
	Accept2xx bool `json:"accept_2xx,omitempty"`
	// Accept4xx is set when any 4xx counted as the expected refusal (the
	// security profile).
	Accept4xx bool          `json:"accept_4xx,omitempty"`
	Status    int           `json:"status,omitempty"` // 0 when nothing answered
	Reason    string        `json:"reason,omitempty"` // the receiver's, when it gave one
	Verdict   Verdict       `json:"verdict"`
	Detail    string        `json:"detail,omitempty"` // why it failed, in words
	Duration  time.Duration `json:"-"`
}

// Report is the outcome of a run.
type Report struct {
	URL string
	// Profile is the profile the run used (ProfileScenarios).
	Profile string
	Results []Result
}

// Failed returns the results that did not pass.
func (r Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Verdict != Pass {
			out = append(out, res)
		}
	}
	return out
}

// OK reports whether every scenario passed.
func (r Report) OK() bool { return len(r.Failed()) == 0 && len(r.Results) > 0 }

// ErrSelection is wrapped by every error about which scenarios to run or
// adapt: an unknown name, or a selection that leaves nothing.
var ErrSelection = errors.New("bad scenario selection")

// unknownScenarioFor is the error for a name that is not among list, the
// scenarios of profile.
func unknownScenarioFor(flag, name, profile string, list []Scenario) error {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	in := ""
	if profile != DefaultProfile {
		in = " in the " + profile + " profile"
	}
	return fmt.Errorf("%w: %s names no scenario %q%s; the scenarios are %s", ErrSelection, flag, name, in, strings.Join(names, ", "))
}

// unknownScenario is the error for a name that is no scenario.
func unknownScenario(flag, name string) error {
	return fmt.Errorf("%w: %s names no scenario %q; the scenarios are %s", ErrSelection, flag, name, strings.Join(Names(), ", "))
}

// isScenario reports whether name is a scenario's, for any provider.
func isScenario(name string) bool {
	for _, p := range signing.Providers() {
		list, _ := ScenariosFor(p)
		if slices.ContainsFunc(list, func(s Scenario) bool { return s.Name == name }) {
			return true
		}
	}
	return false
}

// ParseExpect reads a --expect value into m: SCENARIO=CODE[,CODE...] for
// one scenario, or STATUS=CODE[,CODE...] for every scenario whose default
// expectation is STATUS (--expect 401=403 for a receiver that answers 403
// to every bad signature). A later value for a scenario replaces an
// earlier one.
func ParseExpect(m map[string][]int, value string) error {
	name, codes, found := strings.Cut(value, "=")
	name = strings.TrimSpace(name)
	if !found || name == "" || codes == "" {
		return fmt.Errorf("%w: --expect must be SCENARIO=CODE[,CODE...] or STATUS=CODE[,CODE...], got %q", ErrSelection, value)
	}
	var list []int
	for _, c := range strings.Split(codes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 100 || n > 599 {
			return fmt.Errorf("%w: --expect %s: %q is not an HTTP status", ErrSelection, name, c)
		}
		list = append(list, n)
	}
	if from, err := strconv.Atoi(name); err == nil {
		matched := false
		for _, p := range signing.Providers() {
			scenarios, _ := ScenariosFor(p)
			for _, s := range scenarios {
				if slices.Equal(s.Expect, []int{from}) {
					m[s.Name] = slices.Clone(list)
					matched = true
				}
			}
		}
		if !matched {
			return fmt.Errorf("%w: --expect %d=...: no scenario expects %d", ErrSelection, from, from)
		}
		return nil
	}
	if !isScenario(name) {
		return unknownScenario("--expect", name)
	}
	m[name] = list
	return nil
}

// Names returns the scenario names in run order.
func Names() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// selected returns the scenarios cfg asks for, or an error wrapping
// ErrSelection.
func selected(cfg Config) ([]Scenario, error) {
	all, err := ProfileScenarios(cfg.Provider, cfg.Profile)
	if err != nil {
		return nil, err
	}
	for _, names := range []struct {
		flag string
		list []string
	}{{"--only", cfg.Only}, {"--skip", cfg.Skip}} {
		for _, n := range names.list {
			if !slices.ContainsFunc(all, func(s Scenario) bool { return s.Name == n }) {
				return nil, unknownScenarioFor(names.flag, n, cfg.Profile, all)
			}
		}
	}
	var out []Scenario
	for _, s := range all {
		if (len(cfg.Only) == 0 || slices.Contains(cfg.Only, s.Name)) && !slices.Contains(cfg.Skip, s.Name) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: --only and --skip leave no scenario to run", ErrSelection)
	}
	return out, nil
}

// Run sends every selected scenario to cfg.URL, one after another, and
// judges the answers. Its error is for a configuration that cannot run,
// or ctx's error when ctx ends first: then the Report holds the scenarios
// finished before, and none for the one it cut off. A receiver's failures
// are in the Report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.URL == nil {
		return Report{}, errors.New("check: no URL")
	}
	if cfg.Profile == "" {
		cfg.Profile = DefaultProfile
	}
	scenarios, err := selected(cfg)
	if err != nil {
		return Report{}, err
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	client := sender.Client{Timeout: cfg.Timeout, Now: cfg.Now}
	if cfg.Client != nil {
		client = *cfg.Client
		client.Timeout, client.Now = cfg.Timeout, cfg.Now
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = signing.DefaultTolerance
	}
	b := &builder{
		base: sender.Delivery{Provider: cfg.Provider, URL: cfg.URL, Secret: cfg.Secret,
			UserAgent: cfg.UserAgent, HookID: "1"},
		newID:     func() (string, error) { return sender.NewID(cfg.Random) },
		now:       cfg.Now,
		maxBody:   cfg.MaxBody,
		tolerance: cfg.Tolerance,
	}
	report := Report{URL: cfg.URL.String(), Profile: cfg.Profile}
	for _, s := range scenarios {
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
		res := runOne(ctx, &client, b, s, cfg)
		if ctx.Err() != nil {
			// Cut off by the caller, not failed by the receiver: no verdict.
			return report, ctx.Err()
		}
		report.Results = append(report.Results, res)
		if cfg.Progress != nil {
			cfg.Progress(res)
		}
	}
	return report, nil
}

func runOne(ctx context.Context, client *sender.Client, b *builder, s Scenario, cfg Config) Result {
	res := Result{Scenario: s.Name, Sent: s.Sent, Expect: s.Expect, Verdict: Fail}
	if e, ok := cfg.Expect[s.Name]; ok {
		res.Expect = e // as the user said, whatever the profile
	} else if s.byClass {
		res.Accept2xx, res.Accept4xx = isClass(res.Expect, 2), isClass(res.Expect, 4)
	}
	res.Accept2xx = res.Accept2xx || cfg.Accept2xx && slices.Contains(res.Expect, 200)
	req, err := s.build(b)
	if err != nil {
		res.Detail = "could not build the request: " + err.Error()
		return res
	}
	start := cfg.Now()
	resp, err := client.Do(ctx, req)
	res.Duration = cfg.Now().Sub(start)
	if err != nil {
		res.Detail = noAnswer(err, cfg.Timeout)
		return res
	}
	res.Status, res.Reason = resp.Status, shortReason(resp)
	if expected(res.Expect, resp.Status, res.Accept2xx, res.Accept4xx) {
		if s.answered != nil {
			if res.Detail = s.answered(resp); res.Detail != "" {
				return res
			}
		}
		res.Verdict = Pass
		return res
	}
	res.Detail = fmt.Sprintf("got %d, want %s", resp.Status, res.ExpectText())
	if s.Name == "body-too-large" && resp.Status >= 400 {
		res.Detail += fmt.Sprintf(" (was the body over the receiver's limit? check assumed %s; say otherwise with --max-body)", humanSize(cfg.MaxBody))
	}
	return res
}

// ExpectText is the expected statuses as printed: "401", "400,401", or
// "2xx" and "4xx" where any status of the class was accepted.
func (r Result) ExpectText() string {
	switch {
	case r.Accept2xx:
		return "2xx"
	case r.Accept4xx:
		return "4xx"
	}
	return formatStatuses(r.Expect)
}

// humanSize writes a byte count the way --max-body takes it.
func humanSize(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// shortReason is the receiver's machine-readable reason when its answer
// has one (hooklab's JSON "reason"), else the first line of its answer.
func shortReason(resp *sender.Response) string {
	var a struct{ Reason string }
	if json.Unmarshal(resp.Body, &a) == nil && a.Reason != "" {
		return term.Sanitize(a.Reason, 80)
	}
	return resp.Reason()
}

// expected reports whether status is among want, where a wanted 200
// stands for any 2xx when accept2xx is set, and a wanted 4xx for any 4xx
// when accept4xx is.
func expected(want []int, status int, accept2xx, accept4xx bool) bool {
	for _, w := range want {
		switch {
		case w == status,
			accept2xx && w == 200 && status/100 == 2,
			accept4xx && w/100 == 4 && status/100 == 4:
			return true
		}
	}
	return false
}

// noAnswer says why a scenario got no answer.
func noAnswer(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, sender.ErrTimeout):
		return "no answer in " + timeout.String()
	case errors.Is(err, sender.ErrClosed):
		return "connection closed without an answer"
	case errors.Is(err, sender.ErrRefused):
		return "connection refused: is the receiver running?"
	}
	return "no answer: " + err.Error()
}

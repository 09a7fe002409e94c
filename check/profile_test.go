package check_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/signing"
)

// plainReceiver is a reasonable receiver written by hand, as most are: it
// reads the body, verifies X-Hub-Signature-256 over it, answers 403 to a
// bad signature and 200 to anything else. It has no opinion on lengths,
// sizes, methods, content types, event headers or form mode. presenceOnly
// makes it broken: any signature header that is there passes.
type plainReceiver struct {
	secret       string
	presenceOnly bool
	accepted     int // the status of an accepted delivery; 200 when 0
}

func (p plainReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A body over the limit (body-too-large declares one and sends none)
	// is refused unread, as http.MaxBytesReader would refuse it read.
	if r.ContentLength > testMaxBody {
		http.Error(w, "too large", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	sig := r.Header.Get("X-Hub-Signature-256")
	mac := hmac.New(sha256.New, []byte(p.secret))
	mac.Write(body)
	valid := hmac.Equal([]byte(sig), []byte("sha256="+hex.EncodeToString(mac.Sum(nil))))
	if !valid && !(p.presenceOnly && sig != "") {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if p.accepted != 0 {
		w.WriteHeader(p.accepted)
	}
	io.WriteString(w, "ok\n")
}

// securityScenarios are the GitHub scenarios of the security profile.
var securityScenarios = []string{"valid-json", "signature-missing", "wrong-secret", "body-changed",
	"signature-no-prefix", "signature-not-hex", "signature-truncated", "signature-empty"}

func TestProfileScenarios(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		profile  string
		want     []string // nil: every scenario of the provider
	}{
		{name: "github strict", profile: check.ProfileStrict},
		{name: "github default", profile: ""},
		{name: "github security", profile: check.ProfileSecurity, want: securityScenarios},
		{name: "stripe security", provider: signing.ProviderStripe, profile: check.ProfileSecurity,
			want: []string{"valid", "signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-hex", "signature-truncated", "signature-empty", "other-version", "timestamp-stale"}},
		{name: "standard security", provider: signing.ProviderStandard, profile: check.ProfileSecurity,
			want: []string{"valid", "signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-base64", "signature-truncated", "signature-empty", "other-version", "timestamp-stale"}},
		{name: "shopify security, no timestamps", provider: signing.ProviderShopify, profile: check.ProfileSecurity,
			want: []string{"valid", "signature-missing", "wrong-secret", "body-changed", "signature-not-base64",
				"signature-truncated", "signature-empty"}},
		{name: "gitlab security, a bare token", provider: signing.ProviderGitLab, profile: check.ProfileSecurity,
			want: []string{"valid", "signature-missing", "wrong-secret", "signature-empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := check.ProfileScenarios(tt.provider, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			all, err := check.ScenariosFor(tt.provider)
			if err != nil {
				t.Fatal(err)
			}
			var names, allNames []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			for _, s := range all {
				allNames = append(allNames, s.Name)
			}
			want := tt.want
			if want == nil {
				want = allNames
			}
			if !slices.Equal(names, want) {
				t.Errorf("scenarios\n%q\nwant\n%q", names, want)
			}
			for _, s := range got {
				wantText := statuses(s.Expect)
				if tt.profile == check.ProfileSecurity {
					wantText = "4xx"
					if slices.Equal(s.Expect, []int{http.StatusOK}) {
						wantText = "2xx"
					}
				}
				if s.ExpectText() != wantText {
					t.Errorf("%s: ExpectText() = %q, want %q", s.Name, s.ExpectText(), wantText)
				}
			}
		})
	}
}

func TestProfileUnknown(t *testing.T) {
	u := mustServe(t, okHandler())
	for _, call := range []struct {
		name string
		run  func() error
	}{
		{name: "ProfileScenarios", run: func() error { _, err := check.ProfileScenarios("", "lenient"); return err }},
		{name: "Run", run: func() error {
			cfg := config(u)
			cfg.Profile = "lenient"
			_, err := check.Run(context.Background(), cfg)
			return err
		}},
	} {
		t.Run(call.name, func(t *testing.T) {
			err := call.run()
			if !errors.Is(err, check.ErrSelection) {
				t.Fatalf("error %v, want one wrapping ErrSelection", err)
			}
			for _, want := range []string{`"lenient"`, "security, strict"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestRunSecurityProfile: a reasonable receiver that verifies signatures
// and has no other opinions passes the security profile and fails the
// strict one; one that lets a wrong signature through fails both.
func TestRunSecurityProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handler    http.Handler
		profile    string
		wantRan    []string
		wantFailed []string
	}{
		{name: "reasonable receiver, security", handler: plainReceiver{secret: testSecret},
			profile: check.ProfileSecurity, wantRan: securityScenarios, wantFailed: []string{}},
		{name: "reasonable receiver, strict", handler: plainReceiver{secret: testSecret},
			profile: check.ProfileStrict, wantRan: check.Names(),
			// sha1-only and length-under-body are refused with 403, as
			// they should be, but strict wants hooklab's 401.
			wantFailed: []string{"signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-hex", "signature-truncated", "signature-empty", "sha1-only", "length-missing", "chunked",
				"length-under-body", "invalid-json", "empty-body", "event-missing", "body-too-large",
				"wrong-method", "wrong-content-type", "form-without-payload"}},
		{name: "accepts with 202, security", handler: plainReceiver{secret: testSecret, accepted: http.StatusAccepted},
			profile: check.ProfileSecurity, wantRan: securityScenarios, wantFailed: []string{}},
		{name: "accepts with 202, strict", handler: plainReceiver{secret: testSecret, accepted: http.StatusAccepted},
			profile: check.ProfileStrict, wantRan: check.Names(),
			wantFailed: []string{"valid-json", "valid-form", "ping", "unknown-event", "both-signatures",
				"signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-hex", "signature-truncated", "signature-empty", "sha1-only", "length-missing", "chunked",
				"length-under-body", "invalid-json", "empty-body", "event-missing", "body-too-large",
				"wrong-method", "wrong-content-type", "form-without-payload", "still-up"}},
		{name: "checks only that a signature is there, security", handler: plainReceiver{secret: testSecret, presenceOnly: true},
			profile: check.ProfileSecurity, wantRan: securityScenarios,
			wantFailed: []string{"wrong-secret", "body-changed", "signature-no-prefix", "signature-not-hex", "signature-truncated"}},
		{name: "answers 200 to anything, security", handler: okHandler(),
			profile: check.ProfileSecurity, wantRan: securityScenarios, wantFailed: securityScenarios[1:]},
		{name: "refuses with 500, security", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Hub-Signature-256") != signature256(testSecret, mustRead(r)) {
				http.Error(w, "bad", http.StatusInternalServerError)
			}
		}), profile: check.ProfileSecurity, wantRan: securityScenarios, wantFailed: securityScenarios[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config(mustServe(t, tt.handler))
			cfg.Profile = tt.profile
			report := mustRun(t, cfg)
			if got := resultNames(report); !slices.Equal(got, tt.wantRan) {
				t.Errorf("ran %q, want %q", got, tt.wantRan)
			}
			if got := failedNames(report); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failed %q\nwant   %q%s", got, tt.wantFailed, describe(report))
			}
			if report.Profile != tt.profile {
				t.Errorf("Report.Profile = %q, want %q", report.Profile, tt.profile)
			}
		})
	}
}

// mustRead reads r's body; a receiver that cannot gets an empty one.
func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// TestRunSecurityProfileSelection: --only, --skip and --expect work within
// a profile; an --expect is taken as given, not widened to the class.
func TestRunSecurityProfileSelection(t *testing.T) {
	t.Parallel()
	u := mustServe(t, plainReceiver{secret: testSecret})
	tests := []struct {
		name       string
		change     func(*check.Config)
		wantRan    []string
		wantFailed []string
		wantErr    []string
	}{
		{name: "only", change: func(c *check.Config) { c.Only = []string{"wrong-secret", "valid-json"} },
			wantRan: []string{"valid-json", "wrong-secret"}, wantFailed: []string{}},
		{name: "skip", change: func(c *check.Config) { c.Skip = []string{"valid-json"} },
			wantRan: securityScenarios[1:], wantFailed: []string{}},
		{name: "expect is exact", change: func(c *check.Config) {
			c.Expect = map[string][]int{"wrong-secret": {401}}
		}, wantRan: securityScenarios, wantFailed: []string{"wrong-secret"}},
		{name: "only a scenario outside the profile", change: func(c *check.Config) { c.Only = []string{"chunked"} },
			wantErr: []string{`--only names no scenario "chunked" in the security profile`, strings.Join(securityScenarios, ", ")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(u)
			cfg.Profile = check.ProfileSecurity
			tt.change(&cfg)
			report, err := check.Run(context.Background(), cfg)
			if tt.wantErr != nil {
				if !errors.Is(err, check.ErrSelection) {
					t.Fatalf("error %v, want one wrapping ErrSelection", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := resultNames(report); !slices.Equal(got, tt.wantRan) {
				t.Errorf("ran %q, want %q", got, tt.wantRan)
			}
			if got := failedNames(report); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failed %q\nwant   %q%s", got, tt.wantFailed, describe(report))
			}
		})
	}
}

// TestReportNamesProfile: the JSON and JUnit reports say which profile ran.
func TestReportNamesProfile(t *testing.T) {
	r := sampleReport()
	r.Profile = check.ProfileSecurity
	t.Run("json", func(t *testing.T) {
		var out bytes.Buffer
		if err := check.Write(&out, r, check.FormatJSON, false); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Profile string `json:"profile"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Profile != check.ProfileSecurity {
			t.Errorf("profile %q, want %q", got.Profile, check.ProfileSecurity)
		}
	})
	t.Run("junit", func(t *testing.T) {
		var out bytes.Buffer
		if err := check.Write(&out, r, check.FormatJUnit, false); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Suites []struct {
				Properties []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Suites) != 1 || len(doc.Suites[0].Properties) != 1 ||
			doc.Suites[0].Properties[0].Name != "profile" || doc.Suites[0].Properties[0].Value != check.ProfileSecurity {
			t.Errorf("the suite's properties are %+v, want profile=%s\n%s", doc.Suites, check.ProfileSecurity, out.String())
		}
	})
	t.Run("table", func(t *testing.T) {
		var out bytes.Buffer
		if err := check.Write(&out, r, check.FormatTable, false); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(out.String(), "\n"); first != "hooklab check "+r.URL+" (security profile)" {
			t.Errorf("first line %q does not name the profile", first)
		}
	})
}

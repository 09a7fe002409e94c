package check_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/check"
)

// allExcept returns the scenario names in run order, without drop.
func allExcept(drop ...string) []string {
	var out []string
	for _, name := range check.Names() {
		if !slices.Contains(drop, name) {
			out = append(out, name)
		}
	}
	return out
}

func TestRunSelection(t *testing.T) {
	t.Parallel()
	h, seen := deliveries(okHandler())
	u := mustServe(t, h)
	tests := []struct {
		name       string
		only, skip []string
		want       []string
	}{
		{name: "everything", want: check.Names()},
		{name: "only, in run order whatever the order given", only: []string{"still-up", "chunked", "valid-json"},
			want: []string{"valid-json", "chunked", "still-up"}},
		{name: "only, repeated", only: []string{"ping", "ping"}, want: []string{"ping"}},
		{name: "skip", skip: []string{"chunked", "valid-json", "still-up"},
			want: allExcept("chunked", "valid-json", "still-up")},
		{name: "only and skip", only: []string{"ping", "wrong-secret", "wrong-method"}, skip: []string{"wrong-secret"},
			want: []string{"ping", "wrong-method"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drain(seen)
			cfg := config(u)
			cfg.Only, cfg.Skip = tt.only, tt.skip
			var progress []string
			cfg.Progress = func(res check.Result) { progress = append(progress, res.Scenario) }
			report := mustRun(t, cfg)
			if got := resultNames(report); !slices.Equal(got, tt.want) {
				t.Errorf("ran %v, want %v", got, tt.want)
			}
			if !slices.Equal(progress, tt.want) {
				t.Errorf("Progress saw %v, want %v", progress, tt.want)
			}
			// Each scenario that reaches the handler is one request: the
			// ones net/http refuses or splits itself are not seen there.
			if got := len(drain(seen)); got > len(tt.want) {
				t.Errorf("the receiver got %d requests for %d scenarios", got, len(tt.want))
			}
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	t.Parallel()
	h, seen := deliveries(okHandler())
	u := mustServe(t, h)
	scenarioList := strings.Join(check.Names(), ", ")
	tests := []struct {
		name     string
		change   func(*check.Config)
		wantErrs []string // each must be in the error
	}{
		{name: "no URL", change: func(c *check.Config) { c.URL = nil }, wantErrs: []string{"no URL"}},
		{name: "unknown scenario in only", change: func(c *check.Config) { c.Only = []string{"valid-json", "valid-jsno"} },
			wantErrs: []string{"--only", `"valid-jsno"`, scenarioList}},
		{name: "unknown scenario in skip", change: func(c *check.Config) { c.Skip = []string{"chunky"} },
			wantErrs: []string{"--skip", `"chunky"`, scenarioList}},
		{name: "only and skip leave nothing", change: func(c *check.Config) {
			c.Only, c.Skip = []string{"ping", "chunked"}, []string{"chunked", "ping"}
		}, wantErrs: []string{"--only and --skip leave no scenario"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(u)
			tt.change(&cfg)
			report, err := check.Run(context.Background(), cfg)
			if err == nil {
				t.Fatalf("check.Run succeeded, want an error:%s", describe(report))
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if len(report.Results) != 0 {
				t.Errorf("results with the error:%s", describe(report))
			}
			if got := drain(seen); len(got) != 0 {
				t.Errorf("the receiver got %d requests from a run that could not start", len(got))
			}
		})
	}
}

// TestRunDefaults runs with only URL and Secret set: the zero values of
// the other fields must do.
func TestRunDefaults(t *testing.T) {
	t.Parallel()
	h, seen := deliveries(okHandler())
	u := mustServe(t, h)
	report := mustRun(t, check.Config{URL: u, Secret: testSecret, Only: []string{"valid-json", "ping"}})
	if !report.OK() {
		t.Errorf("the run failed:%s", describe(report))
	}
	ids := drain(seen)
	if len(ids) != 2 || ids[0] == "" || ids[0] == ids[1] {
		t.Errorf("delivery ids %q, want two distinct ones", ids)
	}
}

func TestParseExpect(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    map[string][]int // nil when an error is wanted
		wantErr []string         // each must be in the error
	}{
		{name: "one code", value: "wrong-secret=403", want: map[string][]int{"wrong-secret": {403}}},
		{name: "several codes", value: "signature-missing=400,401,403",
			want: map[string][]int{"signature-missing": {400, 401, 403}}},
		{name: "spaces", value: " wrong-secret = 403 , 401 ", want: map[string][]int{"wrong-secret": {403, 401}}},
		{name: "lowest and highest status", value: "still-up=100,599", want: map[string][]int{"still-up": {100, 599}}},
		{name: "unknown scenario", value: "wrong-secrets=403",
			wantErr: []string{`"wrong-secrets"`, strings.Join(check.Names(), ", ")}},
		{name: "no =", value: "wrong-secret", wantErr: []string{"SCENARIO=CODE", `"wrong-secret"`}},
		{name: "no scenario", value: "=403", wantErr: []string{"SCENARIO=CODE"}},
		{name: "no code", value: "wrong-secret=", wantErr: []string{"SCENARIO=CODE"}},
		{name: "empty code in a list", value: "wrong-secret=403,", wantErr: []string{"is not an HTTP status"}},
		{name: "not a number", value: "wrong-secret=forbidden", wantErr: []string{`"forbidden" is not an HTTP status`}},
		{name: "a class", value: "still-up=2xx", wantErr: []string{`"2xx" is not an HTTP status`}},
		{name: "below 100", value: "wrong-secret=99", wantErr: []string{`"99" is not an HTTP status`}},
		{name: "above 599", value: "wrong-secret=600", wantErr: []string{`"600" is not an HTTP status`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string][]int{}
			err := check.ParseExpect(got, tt.value)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseExpect(%q) = %v, want an error", tt.value, got)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if len(got) != 0 {
					t.Errorf("ParseExpect(%q) failed but changed the map: %v", tt.value, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExpect(%q): %v", tt.value, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseExpect(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestParseExpectAddsToTheMap(t *testing.T) {
	got := map[string][]int{}
	for _, v := range []string{"wrong-secret=403", "signature-missing=403", "wrong-secret=400,403"} {
		if err := check.ParseExpect(got, v); err != nil {
			t.Fatal(err)
		}
	}
	// A later value for the same scenario replaces the earlier one.
	want := map[string][]int{"wrong-secret": {400, 403}, "signature-missing": {403}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("map = %v, want %v", got, want)
	}
}

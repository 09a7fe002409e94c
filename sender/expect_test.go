package sender

import (
	"strings"
	"testing"
)

func TestParseExpect(t *testing.T) {
	tests := map[string]struct {
		values  []string
		yes, no []int
		text    string
		wantErr string
	}{
		"none is 2xx":          {yes: []int{200, 204, 299}, no: []int{199, 301, 401}, text: "2xx"},
		"a status":             {values: []string{"401"}, yes: []int{401}, no: []int{400, 200}, text: "401"},
		"a list and a class":   {values: []string{"2xx, 401", "5XX"}, yes: []int{200, 401, 503}, no: []int{400}, text: "2xx or 401 or 5xx"},
		"not a status":         {values: []string{"ok"}, wantErr: `not "ok"`},
		"out of range":         {values: []string{"600"}, wantErr: `not "600"`},
		"a class out of range": {values: []string{"6xx"}, wantErr: `not "6xx"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := ParseExpect(tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseExpect(%q) error %v, want %q", tt.values, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range tt.yes {
				if !e.Matches(st) {
					t.Errorf("%d not matched", st)
				}
			}
			for _, st := range tt.no {
				if e.Matches(st) {
					t.Errorf("%d matched", st)
				}
			}
			if e.String() != tt.text {
				t.Errorf("String = %q, want %q", e.String(), tt.text)
			}
		})
	}
}

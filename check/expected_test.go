package check

import "testing"

func TestExpected(t *testing.T) {
	tests := []struct {
		name      string
		want      []int
		status    int
		accept2xx bool
		accept4xx bool
		ok        bool
	}{
		{name: "the status", want: []int{200}, status: 200, ok: true},
		{name: "another status", want: []int{401}, status: 403},
		{name: "one of several", want: []int{400, 401}, status: 401, ok: true},
		{name: "none of several", want: []int{400, 401}, status: 415},
		{name: "202 for 200", want: []int{200}, status: 202},
		{name: "202 for 200, 2xx accepted", want: []int{200}, status: 202, accept2xx: true, ok: true},
		{name: "204 for 200, 2xx accepted", want: []int{200}, status: 204, accept2xx: true, ok: true},
		{name: "299 for 200, 2xx accepted", want: []int{200}, status: 299, accept2xx: true, ok: true},
		{name: "300 for 200, 2xx accepted", want: []int{200}, status: 300, accept2xx: true},
		{name: "199 for 200, 2xx accepted", want: []int{200}, status: 199, accept2xx: true},
		{name: "202 for 401, 2xx accepted", want: []int{401}, status: 202, accept2xx: true},
		{name: "200 for 401, 2xx accepted", want: []int{401}, status: 200, accept2xx: true},
		{name: "200 for 202, 2xx accepted", want: []int{202}, status: 200, accept2xx: true},
		{name: "202 for 401 or 200, 2xx accepted", want: []int{401, 200}, status: 202, accept2xx: true, ok: true},
		{name: "nothing wanted", want: nil, status: 200, accept2xx: true},
		{name: "403 for 401", want: []int{401}, status: 403},
		{name: "403 for 401, 4xx accepted", want: []int{401}, status: 403, accept4xx: true, ok: true},
		{name: "400 for 401, 4xx accepted", want: []int{401}, status: 400, accept4xx: true, ok: true},
		{name: "499 for 401, 4xx accepted", want: []int{401}, status: 499, accept4xx: true, ok: true},
		{name: "500 for 401, 4xx accepted", want: []int{401}, status: 500, accept4xx: true},
		{name: "200 for 401, 4xx accepted", want: []int{401}, status: 200, accept4xx: true},
		{name: "399 for 401, 4xx accepted", want: []int{401}, status: 399, accept4xx: true},
		{name: "403 for 200, 4xx accepted", want: []int{200}, status: 403, accept4xx: true},
		{name: "nothing wanted, 4xx accepted", want: nil, status: 401, accept4xx: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := expected(tt.want, tt.status, tt.accept2xx, tt.accept4xx); got != tt.ok {
				t.Errorf("expected(%v, %d, accept2xx %v, accept4xx %v) = %v, want %v", tt.want, tt.status, tt.accept2xx, tt.accept4xx, got, tt.ok)
			}
		})
	}
}

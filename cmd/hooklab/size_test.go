package main

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "MiB", in: "25MiB", want: 25 << 20},
		{name: "KiB", in: "512KiB", want: 512 << 10},
		{name: "GiB", in: "2GiB", want: 2 << 30},
		{name: "MB is decimal", in: "1MB", want: 1_000_000},
		{name: "KB is decimal", in: "3KB", want: 3_000},
		{name: "GB is decimal", in: "1GB", want: 1_000_000_000},
		{name: "plain bytes", in: "1048576", want: 1048576},
		{name: "B suffix", in: "10B", want: 10},
		{name: "space before the unit", in: "25 MiB", want: 25 << 20},
		{name: "surrounding space", in: " 7 ", want: 7},
		{name: "lowercase", in: "25mib", want: 25 << 20},
		{name: "bare k is binary", in: "1k", want: 1024},
		{name: "bare M", in: "3M", want: 3 << 20},
		{name: "bare g", in: "1g", want: 1 << 30},
		{name: "largest", in: "4294967296GiB", want: 1 << 62},
		{name: "zero", in: "0", wantErr: true},
		{name: "zero with a unit", in: "0KiB", wantErr: true},
		{name: "negative", in: "-1", wantErr: true},
		{name: "negative with a unit", in: "-1MiB", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "blank", in: "   ", wantErr: true},
		{name: "word", in: "abc", wantErr: true},
		{name: "unit only", in: "MiB", wantErr: true},
		{name: "fraction", in: "1.5MB", wantErr: true},
		{name: "exponent", in: "1e6", wantErr: true},
		{name: "unknown unit", in: "1TiB", wantErr: true},
		{name: "two numbers", in: "1 2MB", wantErr: true},
		{name: "overflows int64", in: "9223372036854775808", wantErr: true},
		{name: "overflows with a unit", in: "9223372036854775807KiB", wantErr: true},
		{name: "just over the cap", in: "4294967297GiB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseSize(%q) = %d, want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
					t.Errorf("the error does not quote the input %q: %v", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

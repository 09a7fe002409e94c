// Package jsonlibs measures the JSON validators hooklab could use against
// each other, on the payloads bench/run.sh sends. It is a module of its own
// so that none of them is ever a dependency of hooklab.
//
//	go test -run XXX -bench . -benchmem
//
// The receiver checks a GitHub payload with goccy/go-json (its summary
// decode is the check; see BenchmarkJSON in ../../receiver). This is the
// evidence for that choice, and for the README's claim that no validator
// available to Go is clearly faster.
package jsonlibs

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"
	"github.com/minio/simdjson-go"
	"github.com/valyala/fastjson"

	"github.com/hooklab/hooklab/fixtures"
)

// validators are the candidates that answer "is this valid JSON?".
// simdjson-go is not one: it only parses, and is benchmarked apart.
var validators = map[string]func([]byte) bool{
	"encoding/json": json.Valid,
	"goccy/go-json": gojson.Valid,
	// sonic's Valid is its native SIMD scanner (amd64 assembly).
	"bytedance/sonic": sonic.Valid,
	"valyala/fastjson": func(b []byte) bool {
		return fastjson.ValidateBytes(b) == nil
	},
}

// lax lists, for each candidate, the inputs of TestValidatorsAgree it
// accepts although encoding/json refuses them. sonic's Valid (ConfigStd's
// too) lets control characters and unknown escapes through strings, so it
// could not be the check even if it were faster. If a new version fixes
// that, the test says so, and the README's comparison wants updating.
var lax = map[string][]string{
	"bytedance/sonic": {"control character", "bad escape"},
}

var sizes = []int{8 << 10, 256 << 10}

func push(tb testing.TB, size int) []byte {
	tb.Helper()
	body, err := fixtures.PushOfSize(size)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// TestValidatorsAgree: every candidate accepts the payloads and refuses
// what encoding/json refuses, so the benchmarks compare like with like,
// except where lax says it does not.
func TestValidatorsAgree(t *testing.T) {
	body := push(t, 8<<10)
	inputs := map[string][]byte{
		"push":                 body,
		"truncated":            body[:len(body)-1],
		"trailing data":        append(append([]byte{}, body...), " {}"...),
		"control character":    []byte("{\"a\":\"x\x01y\"}"),
		"invalid UTF-8":        []byte("{\"a\":\"\xff\"}"),
		"bad escape":           []byte(`{"a":"\x"}`),
		"leading zero":         []byte(`{"a":012}`),
		"bare word":            []byte(`{"a":tru}`),
		"trailing comma":       []byte(`{"a":1,}`),
		"single quotes":        []byte(`{'a':1}`),
		"empty":                []byte(``),
		"deep":                 []byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`),
		"number with exponent": []byte(`[1e5,-0.5E-3,0]`),
		"unicode escape":       []byte(`["\u00e9\ud83d\ude00"]`),
	}
	for input, b := range inputs {
		want := json.Valid(b)
		for name, valid := range validators {
			got := valid(b)
			switch isLax := slices.Contains(lax[name], input); {
			case isLax && got == want:
				t.Errorf("%s on %s: valid %v, as encoding/json says, but lax lists it as a difference", name, input, got)
			case !isLax && got != want:
				t.Errorf("%s on %s: valid %v, encoding/json says %v", name, input, got, want)
			}
		}
	}
}

func BenchmarkValid(b *testing.B) {
	for _, size := range sizes {
		body := push(b, size)
		for name, valid := range validators {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if !valid(body) {
						b.Fatal("refused a valid payload")
					}
				}
			})
		}
	}
}

// BenchmarkSimdjsonParse: simdjson-go parses into a tape, which does more
// than validate; it needs AVX2 and CLMUL.
func BenchmarkSimdjsonParse(b *testing.B) {
	if !simdjson.SupportedCPU() {
		b.Skip("simdjson-go does not support this CPU")
	}
	for _, size := range sizes {
		body := push(b, size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var pj *simdjson.ParsedJson
			for b.Loop() {
				var err error
				if pj, err = simdjson.Parse(body, pj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

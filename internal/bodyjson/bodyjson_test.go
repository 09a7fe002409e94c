package bodyjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Both sides of Large decode and validate as encoding/json does.
func TestAgreesWithEncodingJSON(t *testing.T) {
	pad := strings.Repeat(" ", Large)
	tests := map[string]string{
		"small object":     `{"type":"push","id":"7","n":1000000}`,
		"large object":     `{"type":"push","id":"7","n":1000000}` + pad,
		"small invalid":    `{"type":"push",}`,
		"large invalid":    `{"type":"push",}` + pad,
		"large wrong type": `{"type":7}` + pad,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			data := []byte(in)
			if got, want := Valid(data), json.Valid(data); got != want {
				t.Errorf("Valid = %v, encoding/json says %v", got, want)
			}
			type fields struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			var got, want fields
			gotErr, wantErr := Unmarshal(data, &got), json.Unmarshal(data, &want)
			if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && got != want) {
				t.Errorf("Unmarshal = %+v, %v; encoding/json gives %+v, %v", got, gotErr, want, wantErr)
			}
			var gotAny, wantAny map[string]any
			gotErr = UnmarshalNumbers(data, &gotAny)
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			wantErr = dec.Decode(&wantAny)
			if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && !reflect.DeepEqual(gotAny, wantAny)) {
				t.Errorf("UnmarshalNumbers = %v, want %v", gotAny, wantAny)
			}
		})
	}
}

// A large body is not copied to be decoded or checked.
func TestLargeInputNotCopied(t *testing.T) {
	data := []byte(`{"type":"push","zen":"` + strings.Repeat("a", 8*Large) + `"}`)
	var v struct {
		Type string `json:"type"`
	}
	for name, decode := range map[string]func(){
		"Unmarshal": func() { Unmarshal(data, &v) },
		"Valid":     func() { Valid(data) },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		decode()
		runtime.ReadMemStats(&after)
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(len(data)/4) {
			t.Errorf("%s allocated %d KiB for an input of %d KiB", name, allocated>>10, len(data)>>10)
		}
	}
}

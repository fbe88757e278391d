package realtime

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/livebuy/shop/internal/realtime/parser"
)

func TestArgsDecode(t *testing.T) {
	type withBlob struct {
		Name string `json:"name"`
		Blob []byte `json:"blob"`
	}
	args := Args{
		json.RawMessage(`{"name":"n","blob":"AQI="}`),
		[]byte{1, 2},
		parser.Object{{Key: "name", Value: json.RawMessage(`"o"`)}, {Key: "blob", Value: []byte{3}}},
		[]any{json.RawMessage(`1`), []byte{4}},
		json.RawMessage(`"text"`),
	}
	tests := []struct {
		name string
		i    int
		into any
		want any
	}{
		{"raw json into struct", 0, new(withBlob), &withBlob{"n", []byte{1, 2}}},
		{"binary into []byte", 1, new([]byte), &[]byte{1, 2}},
		{"binary into any", 1, new(any), func() *any { var v any = []byte{1, 2}; return &v }()},
		{"object with binary into struct", 2, new(withBlob), &withBlob{"o", []byte{3}}},
		{"array with binary", 3, new([]json.RawMessage), &[]json.RawMessage{json.RawMessage(`1`), json.RawMessage(`"BA=="`)}},
		{"string", 4, new(string), func() *string { s := "text"; return &s }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := args.Decode(tt.i, tt.into); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tt.into, tt.want) {
				t.Fatalf("got %#v, want %#v", tt.into, tt.want)
			}
		})
	}

	errs := []struct {
		name string
		i    int
		into any
	}{
		{"out of range", 5, new(string)},
		{"negative", -1, new(string)},
		{"wrong type", 4, new(int)},
		{"binary into int", 1, new(int)},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			if err := args.Decode(tt.i, tt.into); err == nil {
				t.Fatalf("got nil error, want one")
			}
		})
	}
}

func TestData(t *testing.T) {
	var d Data
	if _, ok := d.Get("k"); ok {
		t.Fatal("got a value from empty Data")
	}
	d.Set("k", 1)
	d.Set("j", "x")
	d.Delete("j")
	m := d.Map()
	m["k"] = 2 // a copy
	if v, ok := d.Get("k"); !ok || v != 1 {
		t.Fatalf("got %v %v, want 1 true", v, ok)
	}
	if len(d.Map()) != 1 {
		t.Fatalf("got %v, want only k", d.Map())
	}
}

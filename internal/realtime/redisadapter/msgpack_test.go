package redisadapter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// notepackVectors are what notepack.io 3.0.1, the codec of Node's
// @socket.io/redis-adapter, writes for JavaScript values (printed by
// node -e 'require("notepack.io").encode(v).toString("hex")'), with the Go
// value that encodes the same and the Go value it decodes to.
var notepackVectors = []struct {
	name    string
	hex     string
	encode  any // nil with noEncode: decode only
	decoded any
}{
	{"null", "c0", nil, nil},
	{"true", "c3", true, true},
	{"false", "c2", false, false},
	{"0", "00", 0, int64(0)},
	{"127", "7f", 127, int64(127)},
	{"128", "cc80", 128, int64(128)},
	{"255", "ccff", uint8(255), int64(255)},
	{"256", "cd0100", int16(256), int64(256)},
	{"65535", "cdffff", uint16(65535), int64(65535)},
	{"65536", "ce00010000", int32(65536), int64(65536)},
	{"2^32", "cf0000000100000000", int64(1 << 32), int64(1 << 32)},
	{"-1", "ff", -1, int64(-1)},
	{"-32", "e0", int8(-32), int64(-32)},
	{"-33", "d0df", -33, int64(-33)},
	{"-128", "d080", -128, int64(-128)},
	{"-129", "d1ff7f", -129, int64(-129)},
	{"-32768", "d18000", -32768, int64(-32768)},
	{"-32769", "d2ffff7fff", -32769, int64(-32769)},
	{"-2^31-1", "d3ffffffff7fffffff", int64(-2147483649), int64(-2147483649)},
	{"1.5", "cb3ff8000000000000", 1.5, 1.5},
	{"-0.25", "cbbfd0000000000000", float32(-0.25), -0.25},
	{"integral float", "03", 3.0, int64(3)},
	{"empty string", "a0", "", ""},
	{"31 chars", "bf" + strings.Repeat("61", 31), strings.Repeat("a", 31), strings.Repeat("a", 31)},
	{"32 chars", "d920" + strings.Repeat("61", 32), strings.Repeat("a", 32), strings.Repeat("a", 32)},
	{"256 chars", "da0100" + strings.Repeat("61", 256), strings.Repeat("a", 256), strings.Repeat("a", 256)},
	{"hangul", "a3ed959c", "한", "한"},
	{"buffer", "c403010203", []byte{1, 2, 3}, []byte{1, 2, 3}},
	{"array", "9201a161", []any{1, "a"}, []any{int64(1), "a"}},
	{"array 16", "dc0010" + strings.Repeat("00", 16), zeros(16, 0), zeros(16, int64(0))},
	{"object in key order", "82a16201a16191c3",
		parser.Object{{Key: "b", Value: 1}, {Key: "a", Value: []any{true}}},
		parser.Object{{Key: "b", Value: int64(1)}, {Key: "a", Value: []any{true}}}},
	{"JSON object in key order", "82a16201a16191c3",
		json.RawMessage(`{"b": 1, "a": [true]}`),
		parser.Object{{Key: "b", Value: int64(1)}, {Key: "a", Value: []any{true}}}},
	{"map sorted like the packet codec", "82a16191c3a16201",
		map[string]any{"b": 1, "a": []any{true}},
		parser.Object{{Key: "a", Value: []any{true}}, {Key: "b", Value: int64(1)}}},
	{"date", "d7ffa1a5d60065937d25", nil, "2024-01-02T03:04:05.678Z"},
	{"date, whole seconds", "d6ff65937d25", nil, "2024-01-02T03:04:05.000Z"},
	{"[undefined]", "91c0", nil, []any{nil}},
	{"{a: undefined, b: 1}", "81a16201", nil, parser.Object{{Key: "b", Value: int64(1)}}},
}

func zeros(n int, zero any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = zero
	}
	return out
}

func TestNotepackVectors(t *testing.T) {
	for _, tt := range notepackVectors {
		t.Run(tt.name, func(t *testing.T) {
			want, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if tt.encode != nil || tt.decoded == nil {
				got, err := encodeMsgpack(tt.encode)
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("encode %#v: got %x, want %s", tt.encode, got, tt.hex)
				}
			}
			got, err := decodeMsgpack(want)
			if err != nil {
				t.Fatalf("decode %s: %v", tt.hex, err)
			}
			if !reflect.DeepEqual(got, tt.decoded) {
				t.Errorf("decode %s: got %#v, want %#v", tt.hex, got, tt.decoded)
			}
		})
	}
}

// TestMsgpackTypes covers the forms notepack.io does not write but other
// MessagePack encoders do, and the edges of lengths and integers.
func TestMsgpackTypes(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want any
	}{
		{"float 32", "ca3fc00000", 1.5},
		{"uint 64 past int64", "cfffffffffffffffff", uint64(math.MaxUint64)},
		{"int 64", "d38000000000000000", int64(math.MinInt64)},
		{"str 32", "db00000001" + "61", "a"},
		{"bin 16", "c50001ff", []byte{0xff}},
		{"bin 32", "c600000001ff", []byte{0xff}},
		{"array 32", "dd0000000100", []any{int64(0)}},
		{"map 16", "de0001a16100", parser.Object{{Key: "a", Value: int64(0)}}},
		{"map 32", "df00000001a16100", parser.Object{{Key: "a", Value: int64(0)}}},
		{"integer key", "810102", parser.Object{{Key: "1", Value: int64(2)}}},
		{"NaN is null", "cb7ff8000000000000", nil},
		{"infinity is null", "cb7ff0000000000000", nil},
		{"timestamp 96", "c70cff" + "00000000" + "0000000065937d25", "2024-01-02T03:04:05.000Z"},
		{"other ext", "d50a0102", []any{int64(10), []byte{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.hex)
			got, err := decodeMsgpack(b)
			if err != nil {
				t.Fatalf("decode %s: %v", tt.hex, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decode %s: got %#v, want %#v", tt.hex, got, tt.want)
			}
		})
	}
}

func TestMsgpackRejects(t *testing.T) {
	tests := []struct {
		name string
		hex  string
	}{
		{"empty", ""},
		{"reserved byte", "c1"},
		{"truncated string", "a3ed95"},
		{"truncated int", "cd01"},
		{"huge array", "ddffffffff"},
		{"huge map", "dfffffffff"},
		{"huge bin", "c6ffffffff00"},
		{"array short of elements", "9301"},
		{"map key of type array", "819000"},
		{"trailing bytes", "c0c0"},
		{"deep nesting", strings.Repeat("91", maxDepth+1) + "c0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.hex)
			if v, err := decodeMsgpack(b); err == nil {
				t.Fatalf("decode %s: got %#v, want an error", tt.hex, v)
			}
		})
	}
}

func TestMsgpackEncodeErrors(t *testing.T) {
	deep := []any{}
	for range maxDepth {
		deep = []any{deep}
	}
	tests := []struct {
		name string
		v    any
	}{
		{"NaN", math.NaN()},
		{"infinity", math.Inf(1)},
		{"invalid JSON", json.RawMessage(`{"a":`)},
		{"JSON with trailing data", json.RawMessage(`1 2`)},
		{"unmarshalable value", make(chan int)},
		{"too deep", deep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := encodeMsgpack(tt.v); err == nil {
				t.Fatalf("encode %T: got %x, want an error", tt.v, b)
			}
		})
	}
}

// TestMsgpackRoundTrip encodes the values an application emits and checks
// that they decode to what the packet codec then writes as the same JSON.
func TestMsgpackRoundTrip(t *testing.T) {
	type goods struct {
		Name  string    `json:"name"`
		Price int64     `json:"price"`
		When  time.Time `json:"when"`
		Raw   []byte    `json:"raw"` // base64 text in JSON, as everywhere
	}
	when := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	tests := []struct {
		name string
		v    []any
	}{
		{"scalars", []any{"ev", 1, -2, 3.25, true, nil, "문자", uint64(math.MaxUint64)}},
		{"struct", []any{"ev", goods{Name: "a", Price: 620, When: when, Raw: []byte{1}}}},
		{"raw JSON", []any{"ev", json.RawMessage(`{"z":1,"a":{"y":[1,2.5,"x"],"b":null}}`)}},
		{"binary deep", []any{"ev", map[string]any{"file": []byte{0, 1, 2}, "list": [][]byte{{3}, {4}}}}},
		{"long containers", []any{"ev", make([]any, 70000), json.RawMessage("[" + strings.Repeat("0,", 69999) + "0]")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeMsgpack(tt.v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			back, err := decodeMsgpack(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			wantText, wantAtts, err := parser.Encode(&parser.Packet{Type: parser.Event, Namespace: "/"}, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			gotText, gotAtts, err := parser.Encode(&parser.Packet{Type: parser.Event, Namespace: "/"}, back)
			if err != nil {
				t.Fatalf("encode the decoded value %#v: %v", back, err)
			}
			if !bytes.Equal(gotText, wantText) || !reflect.DeepEqual(gotAtts, wantAtts) {
				t.Errorf("got packet %s %x, want %s %x", gotText, gotAtts, wantText, wantAtts)
			}
		})
	}
}

func FuzzDecodeMsgpack(f *testing.F) {
	for _, v := range notepackVectors {
		b, _ := hex.DecodeString(v.hex)
		f.Add(b)
	}
	msg, _ := broadcastMessage("abcdef", "/", parser.Event, []any{"ev", []byte{1}, map[string]any{"a": 1.5}},
		wireOpts{Rooms: rooms{"r"}, Except: rooms{"x"}, Flags: wireFlags{Volatile: true}})
	f.Add(msg)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeMsgpack(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode again, and to the same value.
		again, err := encodeMsgpack(v)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		v2, err := decodeMsgpack(again)
		if err != nil {
			t.Fatalf("decode %x again: %v", again, err)
		}
		if !reflect.DeepEqual(v2, integral(v)) {
			t.Fatalf("got %#v after a round trip, want %#v", v2, v)
		}
		_, _, _, _ = decodeBroadcast(b, "abcdef")
		_, _ = decodeRequest(b)
		_, _ = decodeResponse(b)
	})
}

// integral returns v with its integral floats as integers, as the encoder
// writes them.
func integral(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = integral(e)
		}
		return out
	case parser.Object:
		out := make(parser.Object, len(x))
		for i, m := range x {
			out[i] = parser.Member{Key: m.Key, Value: integral(m.Value)}
		}
		return out
	}
	return v
}

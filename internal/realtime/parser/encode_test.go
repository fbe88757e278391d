package parser

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

type buyGoods struct {
	Nickname  string    `json:"nickname"`
	GoodsID   int64     `json:"goodsId"`
	GoodsName string    `json:"goodsName"`
	Date      time.Time `json:"date"`
}

// encodeVectors come from the Socket.IO v5 protocol document and from
// socket.io-parser's tests; each also decodes back to an equal packet.
var encodeVectors = []struct {
	name     string
	p        Packet
	data     any
	wantText string
	wantAtts [][]byte
}{
	{"connect main", Packet{Type: Connect}, nil, "0", nil},
	{"connect main slash", Packet{Type: Connect, Namespace: "/"}, nil, "0", nil},
	{"connect sid", Packet{Type: Connect, Namespace: "/"}, map[string]any{"sid": "wZX3oN0bSVIhsaknAAAI"},
		`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, nil},
	{"connect admin", Packet{Type: Connect, Namespace: "/admin"}, nil, "0/admin,", nil},
	{"connect admin sid", Packet{Type: Connect, Namespace: "/admin"}, Object{{"sid", "oSO0OpakMV_3jnilAAAA"}},
		`0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`, nil},
	{"connect woot token", Packet{Type: Connect, Namespace: "/woot"}, json.RawMessage(`{"token":"123"}`),
		`0/woot,{"token":"123"}`, nil},
	{"connect error object", Packet{Type: ConnectError}, map[string]any{"message": "Not authorized"},
		`4{"message":"Not authorized"}`, nil},
	{"connect error string", Packet{Type: ConnectError}, "Unauthorized", `4"Unauthorized"`, nil},
	{"connect error invalid namespace", Packet{Type: ConnectError, Namespace: "/random"},
		Object{{"message", "Invalid namespace"}}, `4/random,{"message":"Invalid namespace"}`, nil},
	{"disconnect main", Packet{Type: Disconnect}, nil, "1", nil},
	{"disconnect admin", Packet{Type: Disconnect, Namespace: "/admin"}, nil, "1/admin,", nil},
	{"event foo", Packet{Type: Event}, []any{"foo"}, `2["foo"]`, nil},
	{"event admin bar", Packet{Type: Event, Namespace: "/admin"}, []any{"bar"}, `2/admin,["bar"]`, nil},
	{"event parser suite", Packet{Type: Event, Namespace: "/test", ID: 1, HasID: true}, []any{"a", 1, map[string]any{}},
		`2/test,1["a",1,{}]`, nil},
	{"event hey jude", Packet{Type: Event}, []any{"hey", "Jude"}, `2["hey","Jude"]`, nil},
	{"event numeric name", Packet{Type: Event}, []any{7, "x"}, `2[7,"x"]`, nil},
	{"event auth empty", Packet{Type: Event, Namespace: "/custom"}, []any{"auth", json.RawMessage(`{}`)},
		`2/custom,["auth",{}]`, nil},
	{"event with ack", Packet{Type: Event, ID: 12, HasID: true}, []any{"foo"}, `212["foo"]`, nil},
	{"event admin with ack", Packet{Type: Event, Namespace: "/admin", ID: 13, HasID: true}, []any{"foo"},
		`2/admin,13["foo"]`, nil},
	{"ack empty", Packet{Type: Ack, ID: 12, HasID: true}, []any{}, `312[]`, nil},
	{"ack admin", Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true}, []any{"bar"}, `3/admin,13["bar"]`, nil},
	{"ack parser suite", Packet{Type: Ack, ID: 123, HasID: true}, []any{"a", 1, Object{}}, `3123["a",1,{}]`, nil},
	{"ack raw array", Packet{Type: Ack, ID: 456, HasID: true}, json.RawMessage(`[1,"2",{"3":[false]}]`),
		`3456[1,"2",{"3":[false]}]`, nil},
	{"binary event", Packet{Type: Event}, []any{"baz", []byte{1, 2, 3, 4}},
		`51-["baz",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2, 3, 4}}},
	{"binary event admin two", Packet{Type: Event, Namespace: "/admin"}, []any{"baz", []byte{1, 2}, []byte{3, 4}},
		`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{{1, 2}, {3, 4}}},
	{"binary event with ack", Packet{Type: Event, ID: 14, HasID: true}, []any{"foo", []byte{1, 2, 3, 4}},
		`51-14["foo",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2, 3, 4}}},
	{"binary ack", Packet{Type: Ack, ID: 15, HasID: true}, []any{"bar", []byte{1, 2, 3, 4}},
		`61-15["bar",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2, 3, 4}}},
	{"binary ack test suite", Packet{Type: BinaryAck, ID: 789, HasID: true}, [][]byte{{1, 2, 3}, {4, 5, 6}},
		`62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{{1, 2, 3}, {4, 5, 6}}},
	{"nested buffer", Packet{Type: Event, Namespace: "/cool", ID: 23, HasID: true},
		[]any{"a", Object{{"b", []any{"c", []byte("abc")}}}},
		`51-/cool,23["a",{"b":["c",{"_placeholder":true,"num":0}]}]`, [][]byte{[]byte("abc")}},
	{"binary ack parser suite", Packet{Type: Ack, Namespace: "/back", ID: 127, HasID: true},
		[]any{"a", []byte("xxx"), map[string]any{}},
		`61-/back,127["a",{"_placeholder":true,"num":0},{}]`, [][]byte{[]byte("xxx")}},
	{"binary type without binary data", Packet{Type: BinaryEvent}, []any{"a"}, `2["a"]`, nil},
	{"twelve attachments", Packet{Type: Event},
		[]any{"a", []byte{0}, []byte{1}, []byte{2}, []byte{3}, []byte{4}, []byte{5}, []byte{6}, []byte{7}, []byte{8}, []byte{9}, []byte{10}, []byte{11}},
		`512-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2},{"_placeholder":true,"num":3},{"_placeholder":true,"num":4},{"_placeholder":true,"num":5},{"_placeholder":true,"num":6},{"_placeholder":true,"num":7},{"_placeholder":true,"num":8},{"_placeholder":true,"num":9},{"_placeholder":true,"num":10},{"_placeholder":true,"num":11}]`,
		[][]byte{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}}},
	{"struct through encoding/json without HTML escaping", Packet{Type: Event},
		[]any{"BUY_GOODS", buyGoods{Nickname: "<Ann & Bob>", GoodsID: 42, GoodsName: "茶", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		`2["BUY_GOODS",{"nickname":"<Ann & Bob>","goodsId":42,"goodsName":"茶","date":"2026-01-02T03:04:05Z"}]`, nil},
	{"raw message is compacted, text kept", Packet{Type: Event},
		[]any{"a", json.RawMessage(" {\"z\" : [1.50, \"\\u00e9 x\"] ,\n \"a\":null}")},
		`2["a",{"z":[1.50,"\u00e9 x"],"a":null}]`, nil},
	{"empty raw payload is no payload", Packet{Type: Connect}, json.RawMessage(nil), "0", nil},
	{"scalars", Packet{Type: Event},
		[]any{"s", nil, true, false, int8(-8), int16(-16), int32(-32), int64(-64), uint(1), uint8(8), uint16(16), uint32(32), uint64(math.MaxUint64), float32(1.5), 0.1, 1e21, 1e-7, math.Copysign(0, -1)},
		`2["s",null,true,false,-8,-16,-32,-64,1,8,16,32,18446744073709551615,1.5,0.1,1e+21,1e-7,-0]`, nil},
	{"string escapes", Packet{Type: Event},
		[]any{"e", "q\"b\\s/\b\f\n\r\t\x01\x1f<>&\u2028\u2029\xff é"},
		`2["e","q\"b\\s/\b\f\n\r\t\u0001\u001f<>&\u2028\u2029\ufffd é"]`, nil},
	{"map keys sorted", Packet{Type: Event}, []any{"m", map[string]any{"b": 1, "a": []any{}, "c": map[string]any{}}},
		`2["m",{"a":[],"b":1,"c":{}}]`, nil},
}

func TestEncodeVectors(t *testing.T) {
	for _, tt := range encodeVectors {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			gotText, gotAtts, err := Encode(&p, tt.data)
			if err != nil {
				t.Fatalf("got error %v, want %s", err, tt.wantText)
			}
			if string(gotText) != tt.wantText {
				t.Errorf("got text %s, want %s", gotText, tt.wantText)
			}
			if len(gotAtts) != len(tt.wantAtts) {
				t.Fatalf("got %d attachments, want %d", len(gotAtts), len(tt.wantAtts))
			}
			for i := range gotAtts {
				if !bytes.Equal(gotAtts[i], tt.wantAtts[i]) {
					t.Errorf("got attachment %d %x, want %x", i, gotAtts[i], tt.wantAtts[i])
				}
			}
			// The encoded packet must decode.
			d := Decoder{MaxAttachments: 100}
			msgs := []msg{text(string(gotText))}
			for _, a := range gotAtts {
				msgs = append(msgs, msg{data: string(a), binary: true})
			}
			got, err := decodeAll(&d, msgs)
			if err != nil || len(got) != 1 {
				t.Fatalf("got %d packets, error %v decoding %s, want one packet", len(got), err, gotText)
			}
		})
	}
}

func TestAppendEncode(t *testing.T) {
	dst := []byte("prefix:")
	p := Packet{Type: Event, Namespace: "/n", ID: 3, HasID: true}
	got, atts, err := AppendEncode(dst, &p, []any{"x", []byte{5}})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if want := `prefix:51-/n,3["x",{"_placeholder":true,"num":0}]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if len(atts) != 1 || !bytes.Equal(atts[0], []byte{5}) {
		t.Errorf("got attachments %x, want [05]", atts)
	}
	// On error the destination comes back unchanged.
	got, atts, err = AppendEncode(dst, &Packet{Type: Event}, []any{nil})
	if err == nil || string(got) != "prefix:" || atts != nil {
		t.Errorf("got %q, %v, %v, want prefix:, nil and an error", got, atts, err)
	}
	// Reusing the buffer.
	buf := make([]byte, 0, 64)
	for i := range 3 {
		buf, _, err = AppendEncode(buf[:0], &Packet{Type: Event}, []any{"n", i})
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
	}
	if string(buf) != `2["n",2]` {
		t.Errorf("got %s, want %s", buf, `2["n",2]`)
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := []any{"a", nil}
	cyclic[1] = cyclic
	tests := []struct {
		name string
		p    Packet
		data any
		want string
	}{
		{"unknown type", Packet{Type: 7}, nil, "unknown packet type"},
		{"namespace without slash", Packet{Type: Connect, Namespace: "admin"}, nil, "invalid namespace"},
		{"namespace with comma", Packet{Type: Connect, Namespace: "/a,b"}, nil, "invalid namespace"},
		{"namespace invalid utf-8", Packet{Type: Connect, Namespace: "/a\xff"}, nil, "invalid namespace"},
		{"ack without id", Packet{Type: Ack}, []any{}, "missing ack id"},
		{"connect with array", Packet{Type: Connect}, []any{}, "does not suit"},
		{"connect with binary", Packet{Type: Connect}, map[string]any{"b": []byte{1}}, "only allowed in EVENT and ACK"},
		{"disconnect with payload", Packet{Type: Disconnect}, map[string]any{}, "does not suit"},
		{"event without payload", Packet{Type: Event}, nil, "missing payload"},
		{"event empty array", Packet{Type: Event}, []any{}, "does not suit"},
		{"event null name", Packet{Type: Event}, []any{nil}, "does not suit"},
		{"event boolean name", Packet{Type: Event}, []any{true}, "does not suit"},
		{"event object", Packet{Type: Event}, map[string]any{}, "does not suit"},
		{"ack object", Packet{Type: Ack, HasID: true}, Object{}, "does not suit"},
		{"connect error number", Packet{Type: ConnectError}, 1, "does not suit"},
		{"invalid raw message", Packet{Type: Event}, []any{"a", json.RawMessage(`{"a":}`)}, "json.RawMessage"},
		{"empty raw message inside", Packet{Type: Event}, []any{"a", json.RawMessage(``)}, "json.RawMessage"},
		{"raw message trailing data", Packet{Type: Event}, []any{"a", json.RawMessage(`1 2`)}, "trailing"},
		{"NaN", Packet{Type: Event}, []any{"a", math.NaN()}, "unsupported number"},
		{"infinity", Packet{Type: Event}, []any{"a", float32(math.Inf(1))}, "unsupported number"},
		{"unmarshalable", Packet{Type: Event}, []any{"a", make(chan int)}, "marshal chan int"},
		{"cycle", Packet{Type: Event}, cyclic, "nesting deeper"},
		{"placeholder-shaped raw with binary", Packet{Type: Event},
			[]any{"a", []byte{1}, json.RawMessage(`{"_placeholder":true,"num":0}`)}, "confused"},
		{"placeholder key in map with binary", Packet{Type: Event},
			[]any{"a", map[string]any{"_placeholder": true, "b": []byte{1}}}, "confused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, atts, err := Encode(&tt.p, tt.data)
			if err == nil {
				t.Fatalf("got %s, %d attachments, want an error containing %q", text, len(atts), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	// For values without binary data the payload is what encoding/json
	// writes with HTML escaping off, whichever path produced it.
	values := []any{
		"plain", "esc \"\\\n\t\x00\x7f<>&\u2028\xff", "日本語 🎉",
		0, -1, math.MaxInt64, math.MinInt64, uint64(math.MaxUint64),
		0.0, 1.0, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64,
		float32(0.1), float32(1e-7), float32(3.4e38), float32(1e21),
		true, false, nil,
		[]any{}, []any{nil, []any{1, "2"}}, map[string]any{"z": 1, "a": map[string]any{"<": ">"}},
		buyGoods{Nickname: "n"},
	}
	for _, v := range values {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode([]any{"v", v}); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		want := "2" + strings.TrimSuffix(b.String(), "\n")
		got, _, err := Encode(&Packet{Type: Event}, []any{"v", v})
		if err != nil {
			t.Fatalf("got error %v for %#v, want %s", err, v, want)
		}
		if string(got) != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestAppendEventAndAck(t *testing.T) {
	tests := []struct {
		name  string
		p     Packet
		event string
		ack   bool
		args  []any
		want  string
		atts  int
	}{
		{"event no args", Packet{Type: Connect}, "ping", false, nil, `2["ping"]`, 0},
		{"event empty name", Packet{}, "", false, []any{1}, `2["",1]`, 0},
		{"event struct", Packet{Namespace: "/live", ID: 4, HasID: true}, "BUY_GOODS", false, []any{buyGoods{Nickname: "a"}},
			`2/live,4["BUY_GOODS",{"nickname":"a","goodsId":0,"goodsName":"","date":"0001-01-01T00:00:00Z"}]`, 0},
		{"event raw", Packet{}, "e\"v", false, []any{json.RawMessage(`{"a" : 1}`), "x"}, `2["e\"v",{"a":1},"x"]`, 0},
		{"event binary", Packet{Type: Ack}, "up", false, []any{[]byte{1}, Object{{"b", []byte{2}}}},
			`52-["up",{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]`, 2},
		{"ack empty", Packet{ID: 9, HasID: true}, "", true, nil, `39[]`, 0},
		{"ack values", Packet{Type: Event, Namespace: "/a", ID: 9, HasID: true}, "", true, []any{nil, "ok"}, `3/a,9[null,"ok"]`, 0},
		{"ack binary", Packet{ID: 1, HasID: true}, "", true, []any{[]byte{1}}, `61-1[{"_placeholder":true,"num":0}]`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			var atts [][]byte
			var err error
			if tt.ack {
				got, atts, err = AppendAck(nil, &tt.p, tt.args)
			} else {
				got, atts, err = AppendEvent(nil, &tt.p, tt.event, tt.args)
			}
			if err != nil {
				t.Fatalf("got error %v, want %s", err, tt.want)
			}
			if string(got) != tt.want || len(atts) != tt.atts {
				t.Errorf("got %s with %d attachments, want %s with %d", got, len(atts), tt.want, tt.atts)
			}
		})
	}
	if _, _, err := AppendAck(nil, &Packet{}, nil); err == nil || !strings.Contains(err.Error(), "missing ack id") {
		t.Errorf("got error %v for an ack without id, want missing ack id", err)
	}
	if got, _, err := AppendEvent([]byte("keep"), &Packet{Namespace: "bad"}, "e", nil); err == nil || string(got) != "keep" {
		t.Errorf("got %q, %v for a bad namespace, want keep and an error", got, err)
	}
}

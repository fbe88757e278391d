package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// show renders an Args result: raw JSON as is, []byte as bin(hex), []any as
// [..] and Object as {key:value,..}.
func show(v any) string {
	switch v := v.(type) {
	case json.RawMessage:
		return string(v)
	case []byte:
		return fmt.Sprintf("bin(%x)", v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = show(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case Object:
		parts := make([]string, len(v))
		for i, m := range v {
			parts[i] = fmt.Sprintf("%q:%s", m.Key, show(m.Value))
		}
		return "{" + strings.Join(parts, " ") + "}"
	default:
		return fmt.Sprintf("unexpected %T", v)
	}
}

func TestArgs(t *testing.T) {
	a, b := []byte{0xa}, []byte{0xb}
	tests := []struct {
		name string
		data string
		atts [][]byte
		want string
	}{
		{"plain", `["message",1,"2",{"3":[true]}]`, nil, `["message" 1 "2" {"3":[true]}]`},
		{"empty", `[]`, nil, `[]`},
		{"whitespace", " [ \"a\" , { \"k\" : [ 1 ] } ] ", nil, `["a" {"k":[1]}]`},
		{"placeholder shape without attachments is data", `["a",{"_placeholder":true,"num":0}]`, nil,
			`["a" {"_placeholder":true,"num":0}]`},
		{"top-level placeholders", `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{a, b},
			`["baz" bin(0a) bin(0b)]`},
		{"nested placeholder keeps key order", `["a",{"z":1,"b":["c",{"_placeholder":true,"num":0}],"y":{"q":2}}]`, [][]byte{a},
			`["a" {"z":1 "b":["c" bin(0a)] "y":{"q":2}}]`},
		{"placeholder num before flag", `[{"num":1,"_placeholder":true},[{"_placeholder":true,"num":0}]]`, [][]byte{a, b},
			`[bin(0b) [bin(0a)]]`},
		{"escaped keys decoded", `[{"\u0041":{"_placeholder":true,"num":0},"x\"y":[]}]`, [][]byte{a},
			`[{"A":bin(0a) "x\"y":[]}]`},
		{"unreferenced attachment allowed", `["a"]`, [][]byte{a}, `["a"]`},
		{"empty containers beside placeholders", `[[],{},[{"_placeholder":true,"num":0},[],{}]]`, [][]byte{a},
			`[[] {} [bin(0a) [] {}]]`},
		{"whitespace with placeholders", ` [ { "k" : { "_placeholder" : true , "num" : 0 } } ] `, [][]byte{a},
			`[{"k":bin(0a)}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Args(json.RawMessage(tt.data), tt.atts)
			if err != nil {
				t.Fatalf("got error %v, want %s", err, tt.want)
			}
			if s := show(got); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestArgsErrors(t *testing.T) {
	one := [][]byte{{1}}
	tests := []struct {
		name string
		data string
		atts [][]byte
		want string
	}{
		{"nil", ``, nil, "unexpected end"},
		{"object", `{}`, nil, "not a JSON array"},
		{"string", `"a"`, nil, "not a JSON array"},
		{"invalid", `["a",]`, nil, "invalid JSON"},
		{"trailing", `["a"] 1`, nil, "trailing"},
		{"out of range", `[{"_placeholder":true,"num":1}]`, one, "out of range"},
		{"twice", `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, one, "used twice"},
		{"malformed", `[{"_placeholder":true,"num":"0"}]`, one, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Args(json.RawMessage(tt.data), tt.atts)
			if err == nil {
				t.Fatalf("got %s, want an error containing %q", show(got), tt.want)
			}
			if !errors.Is(err, ErrInvalidPacket) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want ErrInvalidPacket containing %q", err, tt.want)
			}
		})
	}
}

// TestEcho replays the echo server of the Socket.IO v5 test suite: the
// arguments of a received event, re-emitted, reproduce the received bytes.
func TestEcho(t *testing.T) {
	tests := []struct {
		name     string
		in       []msg
		reply    func(p *Packet, args []any) (Packet, any)
		wantText string
		wantAtts [][]byte
	}{
		{
			name: "message-back",
			in:   []msg{text(`2["message",1,"2",{"3":[true]}]`)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Event}, append([]any{"message-back"}, args[1:]...)
			},
			wantText: `2["message-back",1,"2",{"3":[true]}]`,
		},
		{
			name: "message-with-ack",
			in:   []msg{text(`2456["message-with-ack",1,"2",{"3":[false]}]`)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Ack, ID: p.ID, HasID: true}, args[1:]
			},
			wantText: `3456[1,"2",{"3":[false]}]`,
		},
		{
			name: "binary message-back",
			in:   []msg{text(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), bin(1, 2, 3), bin(4, 5, 6)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Event}, append([]any{"message-back"}, args[1:]...)
			},
			wantText: `52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
			wantAtts: [][]byte{{1, 2, 3}, {4, 5, 6}},
		},
		{
			name: "binary message-with-ack",
			in:   []msg{text(`52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), bin(1, 2, 3), bin(4, 5, 6)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Ack, ID: p.ID, HasID: true}, args[1:]
			},
			wantText: `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
			wantAtts: [][]byte{{1, 2, 3}, {4, 5, 6}},
		},
		{
			name: "unicode, escapes and number forms survive",
			in:   []msg{text(`2["message","\u00e9\ud83d\ude00 é",1.0E+2,-0.5e-3,{"z":{},"a":[null]}]`)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Event}, append([]any{"message-back"}, args[1:]...)
			},
			wantText: `2["message-back","\u00e9\ud83d\ude00 é",1.0E+2,-0.5e-3,{"z":{},"a":[null]}]`,
		},
		{
			name: "placeholder-shaped data in a text event",
			in:   []msg{text(`2["message",{"_placeholder":true,"num":"x"},{"_placeholder":true,"num":0}]`)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Event}, append([]any{"message-back"}, args[1:]...)
			},
			wantText: `2["message-back",{"_placeholder":true,"num":"x"},{"_placeholder":true,"num":0}]`,
		},
		{
			name: "auth payload of a connect",
			in:   []msg{text(`0/custom,{"token":"abc","n":[1, 2]}`)},
			reply: func(p *Packet, args []any) (Packet, any) {
				return Packet{Type: Event, Namespace: p.Namespace}, []any{"auth", p.Data}
			},
			wantText: `2/custom,["auth",{"token":"abc","n":[1,2]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got, err := decodeAll(&d, tt.in)
			if err != nil || len(got) != 1 {
				t.Fatalf("got %d packets, error %v, want one packet", len(got), err)
			}
			p := got[0]
			var args []any
			if p.Type != Connect {
				if args, err = Args(p.Data, p.Attachments); err != nil {
					t.Fatalf("got error %v from Args, want none", err)
				}
			}
			rp, data := tt.reply(p, args)
			text, atts, err := Encode(&rp, data)
			if err != nil {
				t.Fatalf("got error %v from Encode, want none", err)
			}
			if string(text) != tt.wantText {
				t.Errorf("got %s, want %s", text, tt.wantText)
			}
			if len(atts) != len(tt.wantAtts) {
				t.Fatalf("got %d attachments, want %d", len(atts), len(tt.wantAtts))
			}
			for i := range atts {
				if !bytes.Equal(atts[i], tt.wantAtts[i]) {
					t.Errorf("got attachment %d %x, want %x", i, atts[i], tt.wantAtts[i])
				}
			}
		})
	}
}

// TestRoundTrip encodes Go values, decodes them, and checks that the
// arguments encode back to the same bytes.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
		data []any
	}{
		{"buy goods", Packet{Type: Event, Namespace: "/live"}, []any{"BUY_GOODS", buyGoods{Nickname: "ann", GoodsID: 7, GoodsName: "tea"}}},
		{"binary everywhere", Packet{Type: Event, ID: 9, HasID: true},
			[]any{"up", []byte("top"), Object{{"z", []any{1, []byte("deep")}}, {"a", map[string]any{"k": []byte{}}}}, [][]byte{{1}, {2}}}},
		{"ack with binary", Packet{Type: Ack, ID: 1, HasID: true}, []any{nil, []byte{0xff}, "x"}},
		{"ack empty", Packet{Type: Ack, ID: 0, HasID: true}, []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text1, atts1, err := Encode(&tt.p, tt.data)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var d Decoder
			msgs := []msg{text(string(text1))}
			for _, a := range atts1 {
				msgs = append(msgs, msg{data: string(a), binary: true})
			}
			got, err := decodeAll(&d, msgs)
			if err != nil || len(got) != 1 {
				t.Fatalf("got %d packets, error %v, want one", len(got), err)
			}
			p := got[0]
			if p.Namespace != tt.p.Namespace && tt.p.Namespace != "" || p.HasID != tt.p.HasID || p.ID != tt.p.ID {
				t.Errorf("got %s, want namespace %q id %d", describe(p), tt.p.Namespace, tt.p.ID)
			}
			args, err := Args(p.Data, p.Attachments)
			if err != nil {
				t.Fatalf("got error %v from Args, want none", err)
			}
			text2, atts2, err := Encode(&Packet{Type: tt.p.Type, Namespace: p.Namespace, ID: p.ID, HasID: p.HasID}, args)
			if err != nil {
				t.Fatalf("got error %v re-encoding, want none", err)
			}
			if !bytes.Equal(text1, text2) {
				t.Errorf("got %s after the round trip, want %s", text2, text1)
			}
			if len(atts1) != len(atts2) {
				t.Fatalf("got %d attachments after the round trip, want %d", len(atts2), len(atts1))
			}
			for i := range atts1 {
				if !bytes.Equal(atts1[i], atts2[i]) {
					t.Errorf("got attachment %d %x, want %x", i, atts2[i], atts1[i])
				}
			}
		})
	}
}

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{json.RawMessage(`{"b":1, "a":2}`), `{"b":1,"a":2}`},
		{[]byte{1, 2, 3}, `"AQID"`},
		{Object{{"z", 1}, {"a", []any{"x", json.RawMessage(`true`)}}}, `{"z":1,"a":["x",true]}`},
		{[]any{Object{{"k", []byte("hi")}}}, `[{"k":"aGk="}]`},
	}
	for _, tt := range tests {
		got, err := AppendJSON(nil, tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendJSON(%#v): got %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}
}

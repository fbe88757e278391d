package parser

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// msg is one Engine.IO message fed to a Decoder.
type msg struct {
	data   string
	binary bool
}

func text(s string) msg { return msg{data: s} }
func bin(b ...byte) msg { return msg{data: string(b), binary: true} }

// describe renders a packet for failure messages.
func describe(p *Packet) string {
	if p == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{%s nsp=%q", p.Type, p.Namespace)
	if p.HasID {
		fmt.Fprintf(&b, " id=%d", p.ID)
	}
	if p.Data != nil {
		fmt.Fprintf(&b, " data=%s", p.Data)
	}
	for _, a := range p.Attachments {
		fmt.Fprintf(&b, " att=%x", a)
	}
	return b.String() + "}"
}

func samePacket(a, b *Packet) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Type != b.Type || a.Namespace != b.Namespace || a.HasID != b.HasID || a.ID != b.ID ||
		(a.Data == nil) != (b.Data == nil) || !bytes.Equal(a.Data, b.Data) || len(a.Attachments) != len(b.Attachments) {
		return false
	}
	for i := range a.Attachments {
		if !bytes.Equal(a.Attachments[i], b.Attachments[i]) {
			return false
		}
	}
	return true
}

// decodeAll feeds msgs to a fresh Decoder and returns the packets completed.
func decodeAll(d *Decoder, msgs []msg) ([]*Packet, error) {
	var out []*Packet
	for i, m := range msgs {
		p, err := d.Add([]byte(m.data), m.binary)
		if err != nil {
			return out, fmt.Errorf("message %d: %w", i, err)
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// decodeVectors come from the Socket.IO v5 protocol document ("Packet
// encoding" and its test suite) and from socket.io-parser's tests, plus the
// namespace and whitespace forms a JSON.parse based decoder accepts.
var decodeVectors = []struct {
	name string
	msgs []msg
	want *Packet
}{
	{"connect main", []msg{text("0")}, &Packet{Type: Connect, Namespace: "/"}},
	{"connect main with sid", []msg{text(`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`)},
		&Packet{Type: Connect, Namespace: "/", Data: []byte(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)}},
	{"connect admin with comma", []msg{text("0/admin,")}, &Packet{Type: Connect, Namespace: "/admin"}},
	{"connect admin without comma", []msg{text("0/admin")}, &Packet{Type: Connect, Namespace: "/admin"}},
	{"connect admin with sid", []msg{text(`0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`)},
		&Packet{Type: Connect, Namespace: "/admin", Data: []byte(`{"sid":"oSO0OpakMV_3jnilAAAA"}`)}},
	{"connect with token", []msg{text(`0/woot,{"token":"123"}`)},
		&Packet{Type: Connect, Namespace: "/woot", Data: []byte(`{"token":"123"}`)}},
	{"connect explicit main namespace", []msg{text("0/,")}, &Packet{Type: Connect, Namespace: "/"}},
	{"connect error object", []msg{text(`4{"message":"Not authorized"}`)},
		&Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"Not authorized"}`)}},
	{"connect error string", []msg{text(`4"Unauthorized"`)},
		&Packet{Type: ConnectError, Namespace: "/", Data: []byte(`"Unauthorized"`)}},
	{"connect error unknown namespace", []msg{text(`4/random,{"message":"Invalid namespace"}`)},
		&Packet{Type: ConnectError, Namespace: "/random", Data: []byte(`{"message":"Invalid namespace"}`)}},
	{"disconnect main", []msg{text("1")}, &Packet{Type: Disconnect, Namespace: "/"}},
	{"disconnect admin", []msg{text("1/admin,")}, &Packet{Type: Disconnect, Namespace: "/admin"}},
	{"disconnect custom without comma", []msg{text("1/custom")}, &Packet{Type: Disconnect, Namespace: "/custom"}},
	{"event", []msg{text(`2["foo"]`)}, &Packet{Type: Event, Namespace: "/", Data: []byte(`["foo"]`)}},
	{"event admin", []msg{text(`2/admin,["bar"]`)}, &Packet{Type: Event, Namespace: "/admin", Data: []byte(`["bar"]`)}},
	{"event with a numeric name", []msg{text(`2[42,"a"]`)}, &Packet{Type: Event, Namespace: "/", Data: []byte(`[42,"a"]`)}},
	{"event with a negative numeric name", []msg{text(`2[-1.5e3]`)}, &Packet{Type: Event, Namespace: "/", Data: []byte(`[-1.5e3]`)}},
	{"event mixed args", []msg{text(`2["message",1,"2",{"3":[true]}]`)},
		&Packet{Type: Event, Namespace: "/", Data: []byte(`["message",1,"2",{"3":[true]}]`)}},
	{"event with ack", []msg{text(`212["foo"]`)},
		&Packet{Type: Event, Namespace: "/", ID: 12, HasID: true, Data: []byte(`["foo"]`)}},
	{"event admin with ack", []msg{text(`2/admin,13["foo"]`)},
		&Packet{Type: Event, Namespace: "/admin", ID: 13, HasID: true, Data: []byte(`["foo"]`)}},
	{"event with ack from test suite", []msg{text(`2456["message-with-ack",1,"2",{"3":[false]}]`)},
		&Packet{Type: Event, Namespace: "/", ID: 456, HasID: true, Data: []byte(`["message-with-ack",1,"2",{"3":[false]}]`)}},
	{"event max ack id", []msg{text(`218446744073709551615["a"]`)},
		&Packet{Type: Event, Namespace: "/", ID: 18446744073709551615, HasID: true, Data: []byte(`["a"]`)}},
	{"ack empty", []msg{text(`312[]`)}, &Packet{Type: Ack, Namespace: "/", ID: 12, HasID: true, Data: []byte(`[]`)}},
	{"ack admin", []msg{text(`3/admin,13["bar"]`)},
		&Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true, Data: []byte(`["bar"]`)}},
	{"ack parser suite", []msg{text(`3123["a",1,{}]`)},
		&Packet{Type: Ack, Namespace: "/", ID: 123, HasID: true, Data: []byte(`["a",1,{}]`)}},
	{"whitespace is compacted, strings kept",
		[]msg{text("2 [ \"a b\" ,\t{ \"k\" : [ 1 , 2 ] } ,\n\"\\u0041\\n\" ]\r\n")},
		&Packet{Type: Event, Namespace: "/", Data: []byte(`["a b",{"k":[1,2]},"\u0041\n"]`)}},
	{"key order and number text kept", []msg{text(`2["x",{"z":1.50,"a":-0,"m":1E+2}]`)},
		&Packet{Type: Event, Namespace: "/", Data: []byte(`["x",{"z":1.50,"a":-0,"m":1E+2}]`)}},
	{"placeholder shape in a text event is plain data", []msg{text(`2["a",{"_placeholder":true,"num":0}]`)},
		&Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"_placeholder":true,"num":0}]`)}},
	{"namespace swallows data without comma", []msg{text(`1/admin["a"]`)},
		&Packet{Type: Disconnect, Namespace: `/admin["a"]`}},
	{"binary event", []msg{text(`51-["baz",{"_placeholder":true,"num":0}]`), bin(1, 2, 3, 4)},
		&Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["baz",{"_placeholder":true,"num":0}]`),
			Attachments: [][]byte{{1, 2, 3, 4}}}},
	{"binary event two attachments admin",
		[]msg{text(`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), bin(1, 2), bin(3, 4)},
		&Packet{Type: BinaryEvent, Namespace: "/admin",
			Data:        []byte(`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
			Attachments: [][]byte{{1, 2}, {3, 4}}}},
	{"binary event with ack", []msg{text(`51-14["foo",{"_placeholder":true,"num":0}]`), bin(1, 2, 3, 4)},
		&Packet{Type: BinaryEvent, Namespace: "/", ID: 14, HasID: true,
			Data: []byte(`["foo",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3, 4}}}},
	{"binary ack", []msg{text(`61-15["bar",{"_placeholder":true,"num":0}]`), bin(1, 2, 3, 4)},
		&Packet{Type: BinaryAck, Namespace: "/", ID: 15, HasID: true,
			Data: []byte(`["bar",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3, 4}}}},
	{"binary ack from test suite",
		[]msg{text(`62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), bin(1, 2, 3), bin(4, 5, 6)},
		&Packet{Type: BinaryAck, Namespace: "/", ID: 789, HasID: true,
			Data:        []byte(`[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
			Attachments: [][]byte{{1, 2, 3}, {4, 5, 6}}}},
	{"nested placeholders out of order",
		[]msg{text(`52-/cool,23["a",{"b":["c",{"num":1,"_placeholder":true}]},[{"_placeholder":true,"num":0}]]`), bin('x'), bin('y')},
		&Packet{Type: BinaryEvent, Namespace: "/cool", ID: 23, HasID: true,
			Data:        []byte(`["a",{"b":["c",{"num":1,"_placeholder":true}]},[{"_placeholder":true,"num":0}]]`),
			Attachments: [][]byte{{'x'}, {'y'}}}},
	{"empty attachment", []msg{text(`51-["a",{"_placeholder":true,"num":0}]`), bin()},
		&Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",{"_placeholder":true,"num":0}]`),
			Attachments: [][]byte{{}}}},
	{"escaped placeholder key", []msg{text(`51-["a",{"\u005fplaceholder":true,"num":0}]`), bin(9)},
		&Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",{"\u005fplaceholder":true,"num":0}]`),
			Attachments: [][]byte{{9}}}},
	{"placeholder false is plain data", []msg{text(`51-["a",{"_placeholder":false,"num":0},{"_placeholder":true,"num":0}]`), bin(9)},
		&Packet{Type: BinaryEvent, Namespace: "/",
			Data:        []byte(`["a",{"_placeholder":false,"num":0},{"_placeholder":true,"num":0}]`),
			Attachments: [][]byte{{9}}}},
}

func TestDecodeVectors(t *testing.T) {
	for _, tt := range decodeVectors {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got, err := decodeAll(&d, tt.msgs)
			if err != nil {
				t.Fatalf("got error %v, want %s", err, describe(tt.want))
			}
			if len(got) != 1 || !samePacket(got[0], tt.want) {
				var parts []string
				for _, p := range got {
					parts = append(parts, describe(p))
				}
				t.Fatalf("got %v, want %s", parts, describe(tt.want))
			}
			if d.Pending() {
				t.Errorf("got decoder pending after a complete packet, want idle")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		msgs []msg
		want string // part of the error message
	}{
		// socket.io-parser test suite: "invalid payload" and friends.
		{"unterminated json", []msg{text(`442["some","data"`)}, "payload"},
		{"connect with string", []msg{text(`0/admin,"invalid"`)}, "invalid payload for a CONNECT"},
		{"connect with array", []msg{text(`0[]`)}, "invalid payload for a CONNECT"},
		{"disconnect with payload", []msg{text(`1/admin,{}`)}, "invalid payload for a DISCONNECT"},
		{"event unterminated string", []msg{text(`2/admin,"invalid`)}, "payload"},
		{"event with object", []msg{text(`2/admin,{}`)}, "invalid payload for a EVENT"},
		{"event object first", []msg{text(`2[{"toString":"foo"}]`)}, "invalid payload for a EVENT"},
		{"event bool first", []msg{text(`2[true,"foo"]`)}, "invalid payload for a EVENT"},
		{"event null first", []msg{text(`2[null,"bar"]`)}, "invalid payload for a EVENT"},
		{"unknown type 9", []msg{text("999")}, "unknown packet type"},
		{"bad binary packet", []msg{text("5")}, "illegal attachment count"},
		{"num is a string", []msg{text(`51-["hello",{"_placeholder":true,"num":"splice"}]`), bin('w')}, "malformed binary placeholder"},
		{"num out of bound", []msg{text(`51-["hello",{"_placeholder":true,"num":1}]`), bin('w')}, "out of range"},
		{"attachment without header", []msg{bin('w')}, "without a pending binary packet"},
		{"text while attachments pending", []msg{text(`51-["hello",{"_placeholder":true,"num":0}]`), text(`2["hello"]`)}, "pending"},
		// Socket.IO v5 protocol test suite: the server closes the connection.
		{"unknown type letter", []msg{text("abc")}, "unknown packet type"},
		{"event payload object", []msg{text("2{}")}, "invalid payload for a EVENT"},
		{"invalid ack id", []msg{text(`2abc["message-with-ack",1,"2",{"3":[false]}]`)}, "payload"},
		// Further strictness.
		{"empty message", []msg{text("")}, "empty message"},
		{"type 7", []msg{text("7[]")}, "unknown packet type"},
		{"event without payload", []msg{text("2")}, "invalid payload for a EVENT"},
		{"event namespace without payload", []msg{text("2/admin,")}, "invalid payload for a EVENT"},
		{"event empty array", []msg{text("2[]")}, "invalid payload for a EVENT"},
		{"event string payload", []msg{text(`2"a"`)}, "invalid payload for a EVENT"},
		{"ack without id", []msg{text(`3["a"]`)}, "without an ack id"},
		{"ack with object", []msg{text(`31{}`)}, "invalid payload for a ACK"},
		{"ack without payload", []msg{text(`31`)}, "invalid payload for a ACK"},
		{"connect error without payload", []msg{text(`4`)}, "invalid payload for a CONNECT_ERROR"},
		{"connect error with number", []msg{text(`41`)}, "invalid payload for a CONNECT_ERROR"},
		{"connect error with array", []msg{text(`4[]`)}, "invalid payload for a CONNECT_ERROR"},
		{"ack id overflow", []msg{text(`218446744073709551616["a"]`)}, "overflows"},
		{"trailing garbage", []msg{text(`2["a"]x`)}, "trailing"},
		{"two values", []msg{text(`2["a"]["b"]`)}, "trailing"},
		{"whitespace only payload", []msg{text(`1 `)}, "payload"},
		{"single quotes", []msg{text(`2['a']`)}, "payload"},
		{"trailing comma", []msg{text(`2["a",]`)}, "payload"},
		{"leading zero", []msg{text(`2["a",01]`)}, "payload"},
		{"bare minus", []msg{text(`2["a",-]`)}, "payload"},
		{"fraction without digits", []msg{text(`2["a",1.]`)}, "payload"},
		{"exponent without digits", []msg{text(`2["a",1e]`)}, "payload"},
		{"bad literal", []msg{text(`2["a",tru]`)}, "payload"},
		{"NaN", []msg{text(`2["a",NaN]`)}, "payload"},
		{"bad escape", []msg{text(`2["a\x"]`)}, "payload"},
		{"short unicode escape", []msg{text(`2["\u12"]`)}, "payload"},
		{"raw control character", []msg{text("2[\"a\x01\"]")}, "payload"},
		{"invalid utf-8 in string", []msg{text("2[\"a\xff\"]")}, "payload"},
		{"invalid utf-8 namespace", []msg{text("0/a\xff,")}, "UTF-8"},
		{"object key not string", []msg{text(`2["a",{1:2}]`)}, "payload"},
		{"missing colon", []msg{text(`2["a",{"k" 2}]`)}, "payload"},
		{"unterminated object", []msg{text(`2["a",{"k":2`)}, "payload"},
		{"attachments without dash", []msg{text(`51["a",{"_placeholder":true,"num":0}]`)}, "illegal attachment count"},
		{"attachments not a number", []msg{text(`5x-["a"]`)}, "illegal attachment count"},
		{"zero attachments", []msg{text(`50-["a"]`)}, "at least one attachment"},
		{"too many attachments", []msg{text(`511-["a"]`)}, "more than 10"},
		{"huge attachment count", []msg{text(`599999999999999999999999-["a"]`)}, "more than 10"},
		{"attachment not referenced", []msg{text(`51-["hello"]`)}, "1 attachments announced, 0 placeholders"},
		{"fewer placeholders than attachments", []msg{text(`52-["a",{"_placeholder":true,"num":0}]`)}, "2 attachments announced, 1 placeholders"},
		{"duplicated placeholder", []msg{text(`52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`)}, "used twice"},
		{"negative num", []msg{text(`51-["a",{"_placeholder":true,"num":-1}]`)}, "malformed binary placeholder"},
		{"fractional num", []msg{text(`51-["a",{"_placeholder":true,"num":0.0}]`)}, "malformed binary placeholder"},
		{"placeholder without num", []msg{text(`51-["a",{"_placeholder":true}]`)}, "malformed binary placeholder"},
		{"placeholder extra member", []msg{text(`51-["a",{"_placeholder":true,"num":0,"x":1}]`)}, "malformed binary placeholder"},
		{"placeholder duplicate key", []msg{text(`51-["a",{"_placeholder":true,"_placeholder":true}]`)}, "malformed binary placeholder"},
		{"binary event without payload", []msg{text(`51-`)}, "invalid payload for a BINARY_EVENT"},
		{"binary event object first", []msg{text(`51-[{"_placeholder":true,"num":0}]`)}, "invalid payload for a BINARY_EVENT"},
		{"binary ack without id", []msg{text(`61-[{"_placeholder":true,"num":0}]`)}, "without an ack id"},
		{"second attachment too many", []msg{text(`51-["a",{"_placeholder":true,"num":0}]`), bin(1), bin(2)}, "without a pending binary packet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got, err := decodeAll(&d, tt.msgs)
			if err == nil {
				t.Fatalf("got packets %d and no error, want an error containing %q", len(got), tt.want)
			}
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("got error %v, want it to wrap ErrInvalidPacket", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDecoderMaxAttachments(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		count   int
		wantErr bool
	}{
		{"default allows 10", 0, 10, false},
		{"default refuses 11", 0, 11, true},
		{"raised limit", 100, 100, false},
		{"raised limit refuses more", 100, 101, true},
		{"lowered limit", 1, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, `5%d-["a"`, tt.count)
			for i := range tt.count {
				fmt.Fprintf(&b, `,{"_placeholder":true,"num":%d}`, tt.count-1-i)
			}
			b.WriteString("]")
			d := Decoder{MaxAttachments: tt.max}
			msgs := []msg{text(b.String())}
			for i := range tt.count {
				msgs = append(msgs, bin(byte(i)))
			}
			got, err := decodeAll(&d, msgs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %t", err, tt.wantErr)
			}
			if err == nil && (len(got) != 1 || len(got[0].Attachments) != tt.count) {
				t.Fatalf("got %d packets, want 1 with %d attachments", len(got), tt.count)
			}
		})
	}
}

func TestDecoderSequence(t *testing.T) {
	// A decoder handles packets one after another, and Reset drops a binary
	// packet whose attachments never came, as socket.io-parser's destroy does.
	var d Decoder
	steps := []struct {
		m    msg
		want string // describe() of the packet completed, "" for none
	}{
		{text(`2["a"]`), `{EVENT nsp="/" data=["a"]}`},
		{text(`51-1["b",{"_placeholder":true,"num":0}]`), ""},
		{bin(7), `{BINARY_EVENT nsp="/" id=1 data=["b",{"_placeholder":true,"num":0}] att=07}`},
		{text(`3/x,2[]`), `{ACK nsp="/x" id=2 data=[]}`},
		{text(`52-["c",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), ""},
		{bin(1), ""},
	}
	for i, s := range steps {
		p, err := d.Add([]byte(s.m.data), s.m.binary)
		if err != nil {
			t.Fatalf("step %d: got error %v, want none", i, err)
		}
		if got := describe(p); s.want == "" && p != nil || s.want != "" && got != s.want {
			t.Fatalf("step %d: got %s, want %s", i, got, s.want)
		}
	}
	if !d.Pending() {
		t.Fatalf("got decoder idle, want pending")
	}
	d.Reset()
	if d.Pending() {
		t.Fatalf("got decoder pending after Reset, want idle")
	}
	p, err := d.Add([]byte(`2["hello"]`), false)
	if err != nil || describe(p) != `{EVENT nsp="/" data=["hello"]}` {
		t.Fatalf("got %s, %v after Reset, want the event", describe(p), err)
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		want string
	}{
		{Connect, "CONNECT"}, {Disconnect, "DISCONNECT"}, {Event, "EVENT"}, {Ack, "ACK"},
		{ConnectError, "CONNECT_ERROR"}, {BinaryEvent, "BINARY_EVENT"}, {BinaryAck, "BINARY_ACK"},
		{Type(7), "Type(7)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

package engineio

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []packet
		wantErr bool
	}{
		{"message", "4hello", []packet{{typ: packetMessage, data: []byte("hello")}}, false},
		{"several", "4a\x1e3\x1e1", []packet{{typ: packetMessage, data: []byte("a")}, {typ: packetPong, data: []byte{}}, {typ: packetClose, data: []byte{}}}, false},
		{"binary padded", "bAQIDBA==", []packet{{typ: packetMessage, data: []byte{1, 2, 3, 4}, binary: true}}, false},
		{"binary unpadded", "bAQIDBA", []packet{{typ: packetMessage, data: []byte{1, 2, 3, 4}, binary: true}}, false},
		{"empty binary", "b", []packet{{typ: packetMessage, data: []byte{}, binary: true}}, false},
		{"probe", "2probe", []packet{{typ: packetPing, data: []byte("probe")}}, false},
		{"every type", "0\x1e1\x1e2\x1e3\x1e4\x1e5\x1e6", []packet{{typ: '0', data: []byte{}}, {typ: '1', data: []byte{}}, {typ: '2', data: []byte{}}, {typ: '3', data: []byte{}}, {typ: '4', data: []byte{}}, {typ: '5', data: []byte{}}, {typ: '6', data: []byte{}}}, false},
		{"empty", "", nil, true},
		{"unknown type", "7", nil, true},
		{"letter", "x", nil, true},
		{"trailing separator", "4a\x1e", nil, true},
		{"leading separator", "\x1e4a", nil, true},
		{"bad base64", "b@@@@", nil, true},
		{"base64 too long padding", "bAQ===", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePayload(nil, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !errors.Is(err, errInvalidPacket) {
					t.Errorf("error: got %v, want errInvalidPacket", err)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("packets: got %d, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].typ != tt.want[i].typ || got[i].binary != tt.want[i].binary || !bytes.Equal(got[i].data, tt.want[i].data) {
					t.Errorf("packet %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDecodedDataIsClipped checks that a consumer appending to one
// message's data cannot overwrite the next packet of the same body.
func TestDecodedDataIsClipped(t *testing.T) {
	body := []byte("4ab\x1e4cd")
	got, err := decodePayload(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got[0].data, "XYZ"...)
	if string(got[1].data) != "cd" {
		t.Errorf("second packet after append to first: got %q, want cd", got[1].data)
	}
}

func TestEncodePayload(t *testing.T) {
	tests := []struct {
		name string
		msgs []*Message
		want string
	}{
		{"text", []*Message{NewTextMessage([]byte("hello"))}, "4hello"},
		{"binary", []*Message{NewBinaryMessage([]byte{1, 2, 3, 4})}, "bAQIDBA=="},
		{"mixed", []*Message{NewTextMessage([]byte("a")), NewBinaryMessage([]byte{0xff}), newControl(packetPing, "")}, "4a\x1eb/w==\x1e2"},
		{"empty text", []*Message{NewTextMessage(nil)}, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodePayload(nil, tt.msgs)
			if string(got) != tt.want {
				t.Errorf("payload: got %q, want %q", got, tt.want)
			}
			if n := payloadLen(tt.msgs); n != len(tt.want) {
				t.Errorf("payloadLen: got %d, want %d", n, len(tt.want))
			}
		})
	}
}

// TestMessageSharedConcurrently prepares one Message from many goroutines,
// as a broadcast does, and checks that every one sees the same encodings.
func TestMessageSharedConcurrently(t *testing.T) {
	for _, m := range []*Message{NewTextMessage([]byte("shared")), NewBinaryMessage([]byte{1, 2})} {
		const n = 16
		var wg sync.WaitGroup
		frames := make([][]byte, n)
		polling := make([][]byte, n)
		for i := range n {
			wg.Go(func() {
				frames[i] = m.wsFrame()
				polling[i] = m.pollingBytes()
			})
		}
		wg.Wait()
		for i := 1; i < n; i++ {
			if &frames[i][0] != &frames[0][0] {
				t.Fatalf("websocket frame %d: got a second frame, want the one built once", i)
			}
			if &polling[i][0] != &polling[0][0] {
				t.Fatalf("polling encoding %d: got a second encoding, want the one built once", i)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	msgs := []*Message{
		NewTextMessage([]byte(`["event",{"a":1}]`)),
		NewBinaryMessage([]byte{0, 1, 2, 0x1e, 0xff}),
		NewTextMessage([]byte("")),
	}
	got, err := decodePayload(nil, encodePayload(nil, msgs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("packets: got %d, want %d", len(got), len(msgs))
	}
	for i, m := range msgs {
		if got[i].typ != packetMessage || got[i].binary != m.binary || !bytes.Equal(got[i].data, m.data) {
			t.Errorf("packet %d: got %+v, want %q binary %v", i, got[i], m.data, m.binary)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	for _, seed := range []string{"4hello", "4a\x1e4b", "bAQIDBA==", "2probe", "3", "1", "", "\x1e", "b=", "9"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		packets, err := decodePayload(nil, body)
		if err != nil {
			if !errors.Is(err, errInvalidPacket) {
				t.Fatalf("error: got %v, want errInvalidPacket", err)
			}
			return
		}
		// A valid payload re-encodes to packets that decode the same.
		msgs := make([]*Message, len(packets))
		for i, p := range packets {
			m := &Message{typ: p.typ, data: p.data, binary: p.binary}
			msgs[i] = m
		}
		again, err := decodePayload(nil, encodePayload(nil, msgs))
		if err != nil {
			t.Fatalf("re-decode of %q: %v", body, err)
		}
		if len(again) != len(packets) {
			t.Fatalf("re-decode of %q: got %d packets, want %d", body, len(again), len(packets))
		}
		for i := range again {
			if again[i].typ != packets[i].typ || again[i].binary != packets[i].binary || !bytes.Equal(again[i].data, packets[i].data) {
				t.Fatalf("re-decode of %q, packet %d: got %+v, want %+v", body, i, again[i], packets[i])
			}
		}
	})
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(true, []byte("4hello"))
	f.Add(true, []byte("2probe"))
	f.Add(true, []byte("bAQID"))
	f.Add(false, []byte{1, 2, 3})
	f.Add(true, []byte(""))
	f.Fuzz(func(t *testing.T, text bool, data []byte) {
		typ := websocket.BinaryMessage
		if text {
			typ = websocket.TextMessage
		}
		p, err := decodeFrame(typ, data)
		if err != nil {
			if !text || !errors.Is(err, errInvalidPacket) {
				t.Fatalf("decodeFrame(%v, %q): got %v, want errInvalidPacket on text only", text, data, err)
			}
			return
		}
		if p.typ < packetOpen || p.typ > packetNoop {
			t.Fatalf("decodeFrame(%v, %q): type %q out of range", text, data, p.typ)
		}
		if !text && (!p.binary || !bytes.Equal(p.data, data)) {
			t.Fatalf("binary frame %q: got %+v, want it unchanged", data, p)
		}
	})
}

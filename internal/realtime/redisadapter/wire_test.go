package redisadapter

import (
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/parser"
)

// TestMessagesAsNodeWritesThem compares the messages this adapter sends
// with the bytes @socket.io/redis-adapter 8.3.0 sends for the same
// operation (MessagePack from notepack.io, JSON from JSON.stringify).
func TestMessagesAsNodeWritesThem(t *testing.T) {
	mustHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	opts := func(rooms, except []realtime.Room, flags realtime.BroadcastFlags) *realtime.BroadcastOptions {
		return &realtime.BroadcastOptions{Rooms: rooms, Except: except, Flags: flags}
	}
	tests := []struct {
		name   string
		encode func() ([]byte, error)
		want   []byte
	}{
		{
			// encode(["AbCdEf", {type: 2, data: ["ev", 1, "x", Buffer.from([1])], nsp: "/"},
			//         {rooms: ["r"], except: ["e"], flags: {}}])
			"broadcast to a room",
			func() ([]byte, error) {
				return broadcastMessage("AbCdEf", "/", parser.Event, []any{"ev", 1, "x", []byte{1}},
					optsToWire(opts([]realtime.Room{"r"}, []realtime.Room{"e"}, realtime.BroadcastFlags{})))
			},
			mustHex("93a641624364456683a47479706502a46461746194a2657601a178c40101a36e7370a12f83a5726f6f6d7391a172a665786365707491a165a5666c61677380"),
		},
		{
			// encode(["AbCdEf", {type: 2, data: ["ev"], nsp: "/chat"},
			//         {rooms: [], except: [], flags: {volatile: true}}])
			"volatile broadcast in a namespace",
			func() ([]byte, error) {
				return broadcastMessage("AbCdEf", "/chat", parser.Event, []any{"ev"},
					optsToWire(opts(nil, nil, realtime.BroadcastFlags{Volatile: true})))
			},
			mustHex("93a641624364456683a47479706502a46461746191a26576a36e7370a52f6368617483a5726f6f6d7390a665786365707490a5666c61677381a8766f6c6174696c65c3"),
		},
		{
			// encode({uid: "AbCdEf", requestId: "123456", type: 7,
			//         packet: {type: 2, data: ["ask", 1], nsp: "/"},
			//         opts: {rooms: ["a"], except: [], flags: {timeout: 5000}}})
			"broadcast with acknowledgements",
			func() ([]byte, error) {
				return broadcastRequest("AbCdEf", "123456", "/", parser.Event, []any{"ask", 1},
					optsToWire(opts([]realtime.Room{"a"}, nil, realtime.BroadcastFlags{Timeout: 5 * time.Second})))
			},
			mustHex("85a3756964a6416243644566a9726571756573744964a6313233343536a47479706507a67061636b657483a47479706502a46461746192a361736b01a36e7370a12fa46f70747383a5726f6f6d7391a161a665786365707490a5666c61677381a774696d656f7574cd1388"),
		},
		{
			// encode({type: 9, requestId: "123456", packet: {ok: true}})
			"acknowledgement",
			func() ([]byte, error) { return ackResponse("123456", json.RawMessage(`{"ok":true}`)) },
			mustHex("83a47479706509a9726571756573744964a6313233343536a67061636b657481a26f6bc3"),
		},
		{
			"fetchSockets request",
			func() ([]byte, error) {
				return json.Marshal(fetchRequest{UID: "AbCdEf", RequestID: "123456", Type: typeRemoteFetch,
					Opts: selectorOf(opts([]realtime.Room{"r"}, nil, realtime.BroadcastFlags{}))})
			},
			[]byte(`{"uid":"AbCdEf","requestId":"123456","type":5,"opts":{"rooms":["r"],"except":[]}}`),
		},
		{
			"socketsJoin request",
			func() ([]byte, error) {
				return json.Marshal(roomsRequest{UID: "AbCdEf", Type: typeRemoteJoin,
					Opts: selectorOf(opts(nil, []realtime.Room{"x"}, realtime.BroadcastFlags{})), Rooms: rooms{"j"}})
			},
			[]byte(`{"uid":"AbCdEf","type":2,"opts":{"rooms":[],"except":["x"]},"rooms":["j"]}`),
		},
		{
			"disconnectSockets request",
			func() ([]byte, error) {
				return json.Marshal(disconnectRequest{UID: "AbCdEf", Type: typeRemoteDisconnect,
					Opts: selectorOf(opts([]realtime.Room{"r"}, nil, realtime.BroadcastFlags{})), Close: true})
			},
			[]byte(`{"uid":"AbCdEf","type":4,"opts":{"rooms":["r"],"except":[]},"close":true}`),
		},
		{
			"client count",
			func() ([]byte, error) {
				return json.Marshal(clientCountResponse{Type: typeBroadcastClientCount, RequestID: "123456", ClientCount: 2})
			},
			[]byte(`{"type":8,"requestId":"123456","clientCount":2}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.want) {
				t.Errorf("got  %x\nwant %x", got, tt.want)
			}
		})
	}
}

// TestDecodeNodeMessages decodes what the Node adapter sends.
func TestDecodeNodeMessages(t *testing.T) {
	b, _ := hex.DecodeString("93a641624364456683a47479706502a46461746194a2657601a178c40101a36e7370a12f83a5726f6f6d7391a172a665786365707491a165a5666c61677380")
	p, o, own, err := decodeBroadcast(b, "xxxxxx")
	if err != nil || own {
		t.Fatalf("decodeBroadcast: own %v, err %v", own, err)
	}
	if want := (&wirePacket{Type: parser.Event, Data: []any{"ev", int64(1), "x", []byte{1}}, NSP: "/"}); !reflect.DeepEqual(p, want) {
		t.Errorf("got packet %#v, want %#v", p, want)
	}
	if want := (&wireOpts{Rooms: rooms{"r"}, Except: rooms{"e"}}); !reflect.DeepEqual(o, want) {
		t.Errorf("got opts %#v, want %#v", o, want)
	}
	if _, _, own, _ := decodeBroadcast(b, "AbCdEf"); !own {
		t.Error("got a broadcast of uid AbCdEf not recognised as its own")
	}

	tests := []struct {
		name string
		msg  string
		want request
	}{
		{"JSON", `{"uid":"AbCdEf","type":2,"opts":{"rooms":["r",1],"except":[]},"rooms":["j"]}`,
			request{UID: "AbCdEf", Type: typeRemoteJoin, Opts: &wireOpts{Rooms: rooms{"r", "1"}, Except: rooms{}}, Rooms: rooms{"j"}}},
		{"old form naming a socket", `{"uid":"AbCdEf","requestId":"1","type":4,"sid":"s1","close":true}`,
			request{UID: "AbCdEf", RequestID: "1", Type: typeRemoteDisconnect, SID: "s1", Close: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRequest([]byte(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %#v, want %#v", *got, tt.want)
			}
		})
	}

	ack, _ := hex.DecodeString("83a47479706509a9726571756573744964a6313233343536a67061636b657481a26f6bc3")
	r, err := decodeResponse(ack)
	if err != nil {
		t.Fatal(err)
	}
	args, err := ackArgs(r.Packet)
	if err != nil || r.Type != typeBroadcastAck || r.RequestID != "123456" {
		t.Fatalf("got response %#v (%v)", r, err)
	}
	if got, want := string(args[0].(json.RawMessage)), `{"ok":true}`; got != want {
		t.Errorf("got acknowledgement %s, want %s", got, want)
	}
}

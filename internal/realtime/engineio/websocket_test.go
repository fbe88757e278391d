package engineio

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketHandshake(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}, false)
	conn := ts.dial(ts.wsURL("") + "&x=1")
	typ, data := readFrame(t, conn)
	if typ != websocket.TextMessage {
		t.Fatalf("frame type: got %d, want text", typ)
	}
	o := parseOpen(t, string(data))
	want := `0{"sid":"` + o.SID + `","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`
	if string(data) != want {
		t.Errorf("open packet: got %s, want %s", data, want)
	}
	sess := ts.nextSession()
	if sess.ID() != o.SID || sess.Transport() != TransportWebSocket {
		t.Errorf("session: got %s on %s, want %s on websocket", sess.ID(), sess.Transport(), o.SID)
	}
	if got := sess.Handshake().Query.Get("x"); got != "1" {
		t.Errorf("handshake query x: got %q, want 1", got)
	}
}

func TestWebSocketMessages(t *testing.T) {
	ts := newTestServer(t, Options{}, true)
	conn, o := ts.dialSession()
	tests := []struct {
		name     string
		typ      int
		send     []byte
		wantType int
		want     []byte
		event    event
	}{
		{"text", websocket.TextMessage, []byte("4hello"), websocket.TextMessage, []byte("4hello"), event{data: "hello"}},
		{"empty text", websocket.TextMessage, []byte("4"), websocket.TextMessage, []byte("4"), event{data: ""}},
		{"binary frame", websocket.BinaryMessage, []byte{1, 2, 3, 4}, websocket.BinaryMessage, []byte{1, 2, 3, 4}, event{data: "\x01\x02\x03\x04", binary: true}},
		{"base64 in a text frame", websocket.TextMessage, []byte("bAQID"), websocket.BinaryMessage, []byte{1, 2, 3}, event{data: "\x01\x02\x03", binary: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := conn.WriteMessage(tt.typ, tt.send); err != nil {
				t.Fatal(err)
			}
			got := ts.nextEvent()
			tt.event.sid = o.SID
			if got != tt.event {
				t.Errorf("event: got %+v, want %+v", got, tt.event)
			}
			typ, data := readFrame(t, conn)
			if typ != tt.wantType || !bytes.Equal(data, tt.want) {
				t.Errorf("echo: got type %d %q, want type %d %q", typ, data, tt.wantType, tt.want)
			}
		})
	}
}

func TestWebSocketClose(t *testing.T) {
	tests := []struct {
		name       string
		send       string
		wantReason string
	}{
		{"invalid packet", "abc", ReasonParseError},
		{"empty frame", "", ReasonParseError},
		{"close packet", "1", ReasonTransportClose},
		{"ping from client", "2", ReasonTransportError},
	}
	ts := newTestServer(t, Options{}, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, o := ts.dialSession()
			writeText(t, conn, tt.send)
			waitClosed(t, conn)
			if got := ts.waitClose(o.SID); got != tt.wantReason {
				t.Errorf("close reason: got %q, want %q", got, tt.wantReason)
			}
		})
	}
	t.Run("client goes away", func(t *testing.T) {
		conn, o := ts.dialSession()
		conn.Close()
		if got := ts.waitClose(o.SID); got != ReasonTransportClose {
			t.Errorf("close reason: got %q, want %q", got, ReasonTransportClose)
		}
	})
}

func TestWebSocketHeartbeat(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 2 * time.Second}, false)
	conn, _ := ts.dialSession()
	for i := range 3 {
		if _, data := readFrame(t, conn); string(data) != "2" {
			t.Fatalf("frame %d: got %q, want ping 2", i, data)
		}
		writeText(t, conn, "3")
	}
	if got := ts.srv.Count(); got != 1 {
		t.Errorf("Count: got %d, want 1", got)
	}
}

func TestWebSocketPingTimeout(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 20 * time.Millisecond}, false)
	conn, o := ts.dialSession()
	if _, data := readFrame(t, conn); string(data) != "2" {
		t.Fatalf("frame: got %q, want ping 2", data)
	}
	waitClosed(t, conn)
	if got := ts.waitClose(o.SID); got != ReasonPingTimeout {
		t.Errorf("close reason: got %q, want %q", got, ReasonPingTimeout)
	}
}

func TestWebSocketMaxPayload(t *testing.T) {
	ts := newTestServer(t, Options{MaxPayload: 100}, true)
	conn, o := ts.dialSession()
	atLimit := "4" + strings.Repeat("a", 99)
	writeText(t, conn, atLimit)
	if got := readText(t, conn); got != atLimit {
		t.Fatalf("echo: got %d bytes, want %d", len(got), len(atLimit))
	}
	writeText(t, conn, atLimit+"a")
	err := waitClosed(t, conn)
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("close: got %v, want close frame 1009", err)
	}
	if got := ts.waitClose(o.SID); got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
}

func TestWebSocketServerClose(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	conn, o := ts.dialSession()
	sess := ts.nextSession()
	if err := sess.Send(NewTextMessage([]byte("bye"))); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if got := readText(t, conn); got != "4bye" {
		t.Errorf("frame: got %q, want 4bye", got)
	}
	if got := readText(t, conn); got != "1" {
		t.Errorf("frame: got %q, want close packet 1", got)
	}
	if err := waitClosed(t, conn); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("close: got %v, want close frame 1000", err)
	}
	if got := ts.waitClose(o.SID); got != ReasonForcedClose {
		t.Errorf("close reason: got %q, want %q", got, ReasonForcedClose)
	}
}

// TestSendOrderAndGrouping checks that the messages of one Send arrive in
// order with nothing from concurrent Sends between them.

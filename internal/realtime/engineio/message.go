package engineio

import (
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Packet types of Engine.IO revision 4, as their ASCII digits.
const (
	packetOpen    byte = '0'
	packetClose   byte = '1'
	packetPing    byte = '2'
	packetPong    byte = '3'
	packetMessage byte = '4'
	packetUpgrade byte = '5'
	packetNoop    byte = '6'
)

// Message is one outbound Engine.IO packet. It is immutable once built and
// may be sent to any number of sessions: its polling encoding and its
// complete WebSocket frame are each computed at most once, whichever
// goroutine gets there first, and a broadcast writes the same frame bytes
// to every socket.
type Message struct {
	data   []byte
	typ    byte // packet type; packetMessage for every Message built outside this package
	binary bool

	textOnce sync.Once
	text     []byte // polling encoding; also the WebSocket payload of a text packet

	frameOnce sync.Once
	frame     []byte // the server's WebSocket frame: unmasked header and payload
}

// NewTextMessage returns a message packet ("4") carrying data as text.
// The Message takes ownership of data: the caller must not modify it
// afterwards.
func NewTextMessage(data []byte) *Message {
	return &Message{data: data, typ: packetMessage}
}

// NewBinaryMessage returns a binary message packet: a binary WebSocket frame,
// or "b" followed by the base64 of data on polling. The Message takes
// ownership of data: the caller must not modify it afterwards.
func NewBinaryMessage(data []byte) *Message {
	return &Message{data: data, typ: packetMessage, binary: true}
}

// newControl returns a packet of type typ with an optional text payload.
func newControl(typ byte, data string) *Message {
	return &Message{data: []byte(data), typ: typ}
}

// Binary reports whether m is a binary message.
func (m *Message) Binary() bool { return m.binary }

// Data returns the payload m was built with. It must not be modified.
func (m *Message) Data() []byte { return m.data }

// pollingBytes returns m as one packet of a polling payload: the type digit
// and the text, or "b" and the base64 of binary data.
func (m *Message) pollingBytes() []byte {
	m.textOnce.Do(func() {
		if m.binary {
			enc := base64.StdEncoding
			b := make([]byte, 1+enc.EncodedLen(len(m.data)))
			b[0] = 'b'
			enc.Encode(b[1:], m.data)
			m.text = b
			return
		}
		b := make([]byte, 1+len(m.data))
		b[0] = m.typ
		copy(b[1:], m.data)
		m.text = b
	})
	return m.text
}

// wsFrame returns m as one complete, unmasked WebSocket frame: binary
// messages as binary frames, every other packet as a text frame.
func (m *Message) wsFrame() []byte {
	m.frameOnce.Do(func() {
		if m.binary {
			m.frame = appendFrame(nil, websocket.BinaryMessage, m.data)
			return
		}
		// The text frame is built directly rather than from pollingBytes:
		// a WebSocket-only message then never holds a second copy.
		b := appendFrameHeader(make([]byte, 0, frameHeaderLen(1+len(m.data))+1+len(m.data)), websocket.TextMessage, 1+len(m.data))
		b = append(b, m.typ)
		m.frame = append(b, m.data...)
	})
	return m.frame
}

// writeTo writes m as one WebSocket frame to c, a connection that no
// session writes to yet (a probing WebSocket), bounded by closeFrameTimeout.
func (m *Message) writeTo(c *websocket.Conn) error {
	nc := c.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(closeFrameTimeout)); err != nil {
		return fmt.Errorf("engineio: set write deadline: %w", err)
	}
	if _, err := nc.Write(m.wsFrame()); err != nil {
		return fmt.Errorf("engineio: write frame: %w", err)
	}
	// A stale deadline would fail the session writer's first flusher write.
	_ = nc.SetWriteDeadline(time.Time{})
	return nil
}

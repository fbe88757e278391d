package engineio

import (
	"encoding/base64"
	"sync"
	"sync/atomic"

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
// may be sent to any number of sessions: its polling encoding is computed
// at most once, and so is its WebSocket frame (a websocket.PreparedMessage),
// whichever goroutine gets there first. A Message written to a single
// WebSocket, such as an acknowledgement, skips the preparation: the first
// write sends it directly and only a second one prepares the shared frame.
type Message struct {
	data   []byte
	typ    byte // packet type; packetMessage for every Message built outside this package
	binary bool

	// wsWrites counts WebSocket writes, to prepare the frame only for a
	// message that is written more than once.
	wsWrites atomic.Int32

	textOnce sync.Once
	text     []byte // polling encoding; also the WebSocket payload of a text packet

	wsOnce sync.Once
	ws     *websocket.PreparedMessage
	wsErr  error
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

// prepared returns the WebSocket frame of m, built once.
func (m *Message) prepared() (*websocket.PreparedMessage, error) {
	m.wsOnce.Do(func() {
		if m.binary {
			m.ws, m.wsErr = websocket.NewPreparedMessage(websocket.BinaryMessage, m.data)
			return
		}
		m.ws, m.wsErr = websocket.NewPreparedMessage(websocket.TextMessage, m.pollingBytes())
	})
	return m.ws, m.wsErr
}

// writeTo writes m as one WebSocket frame.
func (m *Message) writeTo(c *websocket.Conn) error {
	if m.wsWrites.Add(1) == 1 {
		// Possibly the only write: preparing a frame (gorilla builds it
		// through a 4 KiB scratch buffer) would cost more than it saves.
		if m.binary {
			return c.WriteMessage(websocket.BinaryMessage, m.data)
		}
		return c.WriteMessage(websocket.TextMessage, m.pollingBytes())
	}
	pm, err := m.prepared()
	if err != nil {
		return err
	}
	return c.WritePreparedMessage(pm)
}

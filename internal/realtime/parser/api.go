// Package parser encodes and decodes Socket.IO protocol v5 packets,
// including binary attachments.
package parser

import "encoding/json"

// Type is a Socket.IO packet type.
type Type byte

// Packet types of protocol v5.
const (
	Connect Type = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
)

// Packet is one decoded Socket.IO packet.
//
// Data holds the payload exactly as received, compacted; binary placeholders
// ({"_placeholder":true,"num":n}) are left in place and the attachments are
// in Attachments, in order. Use Args to turn an EVENT/ACK payload into
// values with []byte in place of the placeholders.
type Packet struct {
	Type        Type
	Namespace   string // "/" when absent
	ID          uint64 // ack id, valid when HasID
	HasID       bool
	Data        json.RawMessage // nil when the packet has no payload
	Attachments [][]byte
}

// API surface implemented in the other files of this package:
//
//	// Encode returns the text part of a packet and its binary attachments.
//	// p.Data and p.Attachments are ignored; data is the payload (nil for
//	// none). []byte anywhere inside nil, bool, numbers, string, []byte,
//	// json.RawMessage, []any, map[string]any or Object becomes a placeholder
//	// and an attachment, and the type becomes BinaryEvent/BinaryAck.
//	// json.RawMessage is written as is; any other value goes through
//	// encoding/json. The output is compact JSON.
//	func Encode(p *Packet, data any) (text []byte, attachments [][]byte, err error)
//
//	// Decoder reassembles packets from Engine.IO messages: text messages
//	// start a packet, binary messages complete its attachments. It enforces
//	// the protocol strictly; any error means the connection must be closed.
//	type Decoder struct{ MaxAttachments int }
//	func (d *Decoder) Add(data []byte, binary bool) (p *Packet, err error) // p nil while attachments are awaited
//	func (d *Decoder) Reset()
//
//	// Args decodes the JSON array of an EVENT/ACK payload into one value per
//	// element: json.RawMessage for an element holding no placeholder, []byte
//	// for a placeholder, and for a structure holding placeholders deeper,
//	// []any / Object with the same rules. Key order is preserved.
//	func Args(data json.RawMessage, attachments [][]byte) ([]any, error)
//
//	// Object is a JSON object whose key order is kept when it is encoded.
//	type Object []Member
//	type Member struct { Key string; Value any }

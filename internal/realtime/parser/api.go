// Package parser encodes and decodes Socket.IO protocol v5 packets,
// including binary attachments.
package parser

import (
	"encoding/json"
	"fmt"
)

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
// values with []byte in place of the placeholders. Type is the type as
// received: a packet with attachments is a BinaryEvent or BinaryAck.
type Packet struct {
	Type        Type
	Namespace   string // "/" when absent
	ID          uint64 // ack id, valid when HasID
	HasID       bool
	Data        json.RawMessage // nil when the packet has no payload
	Attachments [][]byte
}

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

// String returns the protocol's name for t, such as "BINARY_EVENT".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

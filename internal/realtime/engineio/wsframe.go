package engineio

import (
	"encoding/binary"

	"github.com/gorilla/websocket"
)

// frameHeaderLen is the length of the header of an unmasked server frame
// carrying n payload bytes.
func frameHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// appendFrameHeader appends the header of a final, unmasked frame of
// opcode op (a gorilla message type, which is the opcode) carrying n
// payload bytes.
func appendFrameHeader(dst []byte, op, n int) []byte {
	dst = append(dst, 0x80|byte(op))
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
	}
}

// appendFrame appends a complete final, unmasked frame of opcode op.
func appendFrame(dst []byte, op int, payload []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, frameHeaderLen(len(payload))+len(payload))
	}
	return append(appendFrameHeader(dst, op, len(payload)), payload...)
}

// closeFrame returns a close frame with status code and no reason.
func closeFrame(code int) []byte {
	return appendFrame(nil, websocket.CloseMessage, binary.BigEndian.AppendUint16(nil, uint16(code)))
}

package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
)

// separator joins the packets of an HTTP long-polling payload.
const separator = 0x1e

// errInvalidPacket reports a packet that does not follow the protocol.
var errInvalidPacket = errors.New("engineio: invalid packet")

// packet is one decoded inbound packet.
type packet struct {
	typ    byte   // packetOpen … packetNoop
	data   []byte // text after the type digit, or the binary payload
	binary bool
}

// decodeText decodes one packet in its text form: a type digit followed by
// the payload, or "b" followed by base64 of a binary message. The returned
// data aliases b, its capacity clipped so that a consumer appending to it
// cannot overwrite what follows.
func decodeText(b []byte) (packet, error) {
	if len(b) == 0 {
		return packet{}, fmt.Errorf("%w: empty", errInvalidPacket)
	}
	if b[0] == 'b' {
		data, err := decodeBase64(b[1:])
		if err != nil {
			return packet{}, fmt.Errorf("%w: base64: %w", errInvalidPacket, err)
		}
		return packet{typ: packetMessage, data: data, binary: true}, nil
	}
	if b[0] < packetOpen || b[0] > packetNoop {
		return packet{}, fmt.Errorf("%w: type %q", errInvalidPacket, b[0])
	}
	return packet{typ: b[0], data: b[1:len(b):len(b)]}, nil
}

// decodeBase64 accepts standard base64 with or without padding, as browsers
// and the Node client produce either.
func decodeBase64(src []byte) ([]byte, error) {
	enc := base64.RawStdEncoding
	if len(src)%4 == 0 {
		enc = base64.StdEncoding
	}
	dst := make([]byte, enc.DecodedLen(len(src)))
	n, err := enc.Decode(dst, src)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// decodePayload decodes an HTTP long-polling request body: packets joined by
// the record separator. It appends to dst and fails on the first invalid
// packet, so that a payload is either accepted whole or refused whole.
func decodePayload(dst []packet, body []byte) ([]packet, error) {
	for {
		i := bytes.IndexByte(body, separator)
		if i < 0 {
			p, err := decodeText(body)
			if err != nil {
				return dst, err
			}
			return append(dst, p), nil
		}
		p, err := decodeText(body[:i])
		if err != nil {
			return dst, err
		}
		dst = append(dst, p)
		body = body[i+1:]
	}
}

// encodePayload appends the polling form of msgs, joined by the record
// separator, to dst.
func encodePayload(dst []byte, msgs []*Message) []byte {
	for i, m := range msgs {
		if i > 0 {
			dst = append(dst, separator)
		}
		dst = append(dst, m.pollingBytes()...)
	}
	return dst
}

// payloadLen returns the length of the polling payload of msgs.
func payloadLen(msgs []*Message) int {
	n := len(msgs) - 1
	for _, m := range msgs {
		n += len(m.pollingBytes())
	}
	return n
}

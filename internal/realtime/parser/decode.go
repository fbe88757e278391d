package parser

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrInvalidPacket is wrapped by every error that Decoder.Add and Args return
// for malformed input. The protocol has no way to recover from such a packet:
// the connection that carried it must be closed.
var ErrInvalidPacket = errors.New("parser: invalid packet")

// DefaultMaxAttachments is the number of attachments a packet may announce
// when Decoder.MaxAttachments is zero; socket.io-parser uses the same default.
const DefaultMaxAttachments = 10

// Decoder reassembles packets from Engine.IO messages: text messages start a
// packet, binary messages complete its attachments. It enforces the protocol
// strictly; any error means the connection must be closed.
//
// The Decoder takes ownership of the messages it is given: the returned
// Packet's Data and Attachments may share their memory, so the caller must not
// modify a message after passing it to Add. A Decoder is not safe for
// concurrent use; each connection has its own.
type Decoder struct {
	// MaxAttachments bounds the attachments one binary packet may announce.
	// Zero means DefaultMaxAttachments.
	MaxAttachments int

	pending *Packet // binary packet waiting for attachments
	need    int     // attachments pending needs in total
}

// Add feeds one Engine.IO message to the decoder. It returns the packet that
// the message completes, or nil while the attachments of a binary packet are
// still awaited.
func (d *Decoder) Add(data []byte, binary bool) (p *Packet, err error) {
	if binary {
		if d.pending == nil {
			return nil, fmt.Errorf("%w: binary message without a pending binary packet", ErrInvalidPacket)
		}
		d.pending.Attachments = append(d.pending.Attachments, data)
		if len(d.pending.Attachments) < d.need {
			return nil, nil
		}
		p, d.pending, d.need = d.pending, nil, 0
		return p, nil
	}
	if d.pending != nil {
		return nil, fmt.Errorf("%w: text message while %d of %d attachments are pending",
			ErrInvalidPacket, d.need-len(d.pending.Attachments), d.need)
	}
	maxAtt := d.MaxAttachments
	if maxAtt <= 0 {
		maxAtt = DefaultMaxAttachments
	}
	p, n, err := decodeText(data, maxAtt)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return p, nil
	}
	p.Attachments = make([][]byte, 0, n)
	d.pending, d.need = p, n
	return nil, nil
}

// Reset discards a partially received binary packet.
func (d *Decoder) Reset() {
	d.pending, d.need = nil, 0
}

// Pending reports whether the decoder is waiting for attachments.
func (d *Decoder) Pending() bool {
	return d.pending != nil
}

// decodeText decodes the text part of a packet; n is the number of
// attachments it announces.
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
func decodeText(data []byte, maxAtt int) (p *Packet, n int, err error) {
	if len(data) == 0 {
		return nil, 0, fmt.Errorf("%w: empty message", ErrInvalidPacket)
	}
	if data[0] < '0' || data[0] > '0'+byte(BinaryAck) {
		return nil, 0, fmt.Errorf("%w: unknown packet type %q", ErrInvalidPacket, data[0])
	}
	p = &Packet{Type: Type(data[0] - '0'), Namespace: "/"}
	i := 1
	binary := p.Type == BinaryEvent || p.Type == BinaryAck
	if binary {
		start := i
		for ; i < len(data) && isDigit(data[i]); i++ {
			if n <= maxAtt {
				n = n*10 + int(data[i]-'0')
			}
		}
		switch {
		case i == start || i >= len(data) || data[i] != '-':
			return nil, 0, fmt.Errorf("%w: illegal attachment count", ErrInvalidPacket)
		case n < 1:
			return nil, 0, fmt.Errorf("%w: a binary packet needs at least one attachment", ErrInvalidPacket)
		case n > maxAtt:
			return nil, 0, fmt.Errorf("%w: more than %d attachments", ErrInvalidPacket, maxAtt)
		}
		i++ // -
	}
	if i < len(data) && data[i] == '/' {
		// As in socket.io-parser, the namespace runs to the first comma or to
		// the end of the message.
		start := i
		for i < len(data) && data[i] != ',' {
			i++
		}
		nsp := data[start:i]
		if i < len(data) {
			i++ // ,
		}
		if !utf8.Valid(nsp) {
			return nil, 0, fmt.Errorf("%w: namespace is not valid UTF-8", ErrInvalidPacket)
		}
		if len(nsp) > 1 {
			p.Namespace = string(nsp)
		}
	}
	if i < len(data) && isDigit(data[i]) {
		var id uint64
		for ; i < len(data) && isDigit(data[i]); i++ {
			d := uint64(data[i] - '0')
			if id > (math.MaxUint64-d)/10 {
				return nil, 0, fmt.Errorf("%w: ack id overflows uint64", ErrInvalidPacket)
			}
			id = id*10 + d
		}
		p.ID, p.HasID = id, true
	}
	if i < len(data) {
		s := scanner{src: data, pos: i, findPH: binary, attachments: n}
		start, end, err := s.run()
		if err != nil {
			return nil, 0, fmt.Errorf("%w: payload: %w", ErrInvalidPacket, err)
		}
		if s.copying {
			p.Data = s.out
		} else {
			p.Data = data[start:end:end]
		}
		if binary && s.nph != n {
			return nil, 0, fmt.Errorf("%w: %d attachments announced, %d placeholders", ErrInvalidPacket, n, s.nph)
		}
	}
	if err := checkPayload(p); err != nil {
		return nil, 0, err
	}
	return p, n, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkPayload mirrors socket.io-parser's isPayloadValid on a compact payload:
// an EVENT's name is a string or a number, as there; stricter in that an ACK
// needs an id and a payload.
func checkPayload(p *Packet) error {
	var first byte
	if len(p.Data) > 0 {
		first = p.Data[0]
	}
	var ok bool
	switch p.Type {
	case Connect:
		ok = first == 0 || first == '{'
	case Disconnect:
		ok = first == 0
	case Event, BinaryEvent:
		ok = first == '[' && len(p.Data) > 1 && (p.Data[1] == '"' || p.Data[1] == '-' || isDigit(p.Data[1]))
	case Ack, BinaryAck:
		if !p.HasID {
			return fmt.Errorf("%w: %s packet without an ack id", ErrInvalidPacket, p.Type)
		}
		ok = first == '['
	case ConnectError:
		ok = first == '{' || first == '"'
	}
	if !ok {
		return fmt.Errorf("%w: invalid payload for a %s packet", ErrInvalidPacket, p.Type)
	}
	return nil
}

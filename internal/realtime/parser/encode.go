package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Object is a JSON object whose key order is kept when it is encoded. Args
// returns an Object for a JSON object that holds binary placeholders.
type Object []Member

// Member is one key and value of an Object.
type Member struct {
	Key   string
	Value any
}

// Encode returns the text part of a packet and its binary attachments.
//
// p.Data and p.Attachments are ignored; data is the payload (nil, or an empty
// json.RawMessage, for none). []byte anywhere inside nil, bool, numbers,
// string, []byte, [][]byte, json.RawMessage, []any, map[string]any or Object
// becomes a placeholder and an attachment, and the type becomes
// BinaryEvent/BinaryAck; an Event or Ack type is used when there is no binary
// data. Attachments are the caller's slices, not copies. json.RawMessage is
// validated and written compacted; map keys are sorted; any other value goes
// through encoding/json without HTML escaping, as JSON.stringify writes it
// (so a []byte inside a struct is base64 text, not an attachment). The output
// is compact JSON.
//
// Encode checks what the receiver would check: the namespace must be empty,
// "/" or start with "/" and hold no comma; the payload must suit the type (an
// object or nothing for Connect, nothing for Disconnect, an array starting with
// the event name for Event, an array for Ack, a string or an object for
// ConnectError); an Ack needs an id.
func Encode(p *Packet, data any) (text []byte, attachments [][]byte, err error) {
	return AppendEncode(nil, p, data)
}

// AppendEncode is Encode appending the text part to dst, which lets a caller
// reuse one buffer across packets, or start it with the Engine.IO message
// prefix "4" so that the result is ready to send. On error it returns dst
// unchanged.
//
// A broadcast should encode its packet once and share the resulting bytes
// among its targets rather than encode per target.
func AppendEncode(dst []byte, p *Packet, data any) (text []byte, attachments [][]byte, err error) {
	return appendPacket(dst, p, p.Type, payload{data: data})
}

// AppendEvent is AppendEncode for the payload [event, args...], the shape of
// every emit, without building that array or boxing it in an interface.
// p.Type is ignored: the packet is an Event, or a BinaryEvent when args hold
// binary data.
func AppendEvent(dst []byte, p *Packet, event string, args []any) (text []byte, attachments [][]byte, err error) {
	return appendPacket(dst, p, Event, payload{event: event, args: args, isArgs: true, hasEvent: true})
}

// AppendAck is AppendEncode for the payload [args...] of an
// acknowledgement. p.Type is ignored: the packet is an Ack, or a BinaryAck
// when args hold binary data; p must have an id.
func AppendAck(dst []byte, p *Packet, args []any) (text []byte, attachments [][]byte, err error) {
	return appendPacket(dst, p, Ack, payload{args: args, isArgs: true})
}

// payload is what follows the header: data, or the array [event, args...]
// (without event unless hasEvent) when isArgs.
type payload struct {
	data     any
	event    string
	args     []any
	isArgs   bool
	hasEvent bool
}

func appendPacket(dst []byte, p *Packet, typ Type, pl payload) ([]byte, [][]byte, error) {
	start := len(dst)
	text, atts, err := appendPacketTo(dst, p, typ, pl)
	if err != nil {
		return dst[:start], nil, fmt.Errorf("parser: encode %s packet: %w", typ, err)
	}
	return text, atts, nil
}

func appendPacketTo(dst []byte, p *Packet, typ Type, pl payload) ([]byte, [][]byte, error) {
	start := len(dst)
	switch typ {
	case BinaryEvent:
		typ = Event
	case BinaryAck:
		typ = Ack
	case Connect, Disconnect, Event, Ack, ConnectError:
	default:
		return nil, nil, fmt.Errorf("unknown packet type %d", typ)
	}
	dst = append(dst, '0'+byte(typ))
	if nsp := p.Namespace; nsp != "" && nsp != "/" {
		if nsp[0] != '/' || strings.IndexByte(nsp, ',') >= 0 || !utf8.ValidString(nsp) {
			return nil, nil, fmt.Errorf("invalid namespace %q", nsp)
		}
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	} else if typ == Ack {
		return nil, nil, errors.New("missing ack id")
	}
	dataStart := len(dst)
	e := encoder{buf: dst}
	if err := e.payload(&pl); err != nil {
		return nil, nil, err
	}
	dst = e.buf
	if err := checkEncodedPayload(typ, dst[dataStart:]); err != nil {
		return nil, nil, err
	}
	if len(e.atts) == 0 {
		return dst, nil, nil
	}
	if typ != Event && typ != Ack {
		return nil, nil, errors.New("binary data is only allowed in EVENT and ACK packets")
	}
	if e.rawPH {
		return nil, nil, errors.New("payload holds a _placeholder object that would be confused with an attachment")
	}
	// The attachment count precedes the rest of the header, and is known only
	// now: shift the packet to make room for it.
	var count [24]byte
	c := strconv.AppendInt(count[:0], int64(len(e.atts)), 10)
	c = append(c, '-')
	n := len(dst)
	dst = slices.Grow(dst, len(c))[:n+len(c)]
	copy(dst[start+1+len(c):], dst[start+1:n])
	copy(dst[start+1:], c)
	dst[start] = '0' + byte(typ+BinaryEvent-Event)
	return dst, e.atts, nil
}

func checkEncodedPayload(typ Type, payload []byte) error {
	var first byte
	if len(payload) > 0 {
		first = payload[0]
	}
	var ok bool
	switch typ {
	case Connect:
		ok = first == 0 || first == '{'
	case Disconnect:
		ok = first == 0
	case Event:
		ok = first == '[' && len(payload) > 1 && (payload[1] == '"' || payload[1] == '-' || isDigit(payload[1]))
	case Ack:
		ok = first == '['
	case ConnectError:
		ok = first == '{' || first == '"'
	}
	if !ok {
		if first == 0 {
			return errors.New("missing payload")
		}
		return fmt.Errorf("payload %.40q does not suit the packet type", payload)
	}
	return nil
}

// encoder writes a payload, collecting binary attachments.
type encoder struct {
	buf   []byte
	atts  [][]byte
	depth int
	rawPH bool // the caller's data holds a "_placeholder" key
}

func (e *encoder) payload(pl *payload) error {
	if !pl.isArgs {
		if raw, ok := pl.data.(json.RawMessage); pl.data == nil || ok && len(raw) == 0 {
			return nil
		}
		return e.value(pl.data)
	}
	if !pl.hasEvent {
		return e.array(pl.args)
	}
	e.buf = append(e.buf, '[')
	e.buf = appendString(e.buf, pl.event)
	for _, x := range pl.args {
		e.buf = append(e.buf, ',')
		if err := e.value(x); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) array(v []any) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.buf = append(e.buf, '[')
	for i, x := range v {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(x); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	e.depth--
	return nil
}

func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = appendString(e.buf, v)
	case json.RawMessage:
		return e.raw(v)
	case []byte:
		e.placeholder(v)
	case bool:
		e.buf = strconv.AppendBool(e.buf, v)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int8:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int16:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint16:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, v, 10)
	case float32:
		return e.float(float64(v), 32)
	case float64:
		return e.float(v, 64)
	case []any:
		return e.array(v)
	case [][]byte:
		e.buf = append(e.buf, '[')
		for i, b := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.placeholder(b)
		}
		e.buf = append(e.buf, ']')
	case Object:
		if err := e.enter(); err != nil {
			return err
		}
		e.buf = append(e.buf, '{')
		for i, m := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.member(m.Key, m.Value); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
		e.depth--
	case map[string]any:
		if err := e.enter(); err != nil {
			return err
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.member(k, v[k]); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
		e.depth--
	default:
		return e.marshal(v)
	}
	return nil
}

func (e *encoder) enter() error {
	if e.depth++; e.depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d (a cycle?)", maxDepth)
	}
	return nil
}

func (e *encoder) member(key string, v any) error {
	if key == placeholderKey {
		e.rawPH = true
	}
	e.buf = appendString(e.buf, key)
	e.buf = append(e.buf, ':')
	return e.value(v)
}

func (e *encoder) placeholder(b []byte) {
	e.buf = append(e.buf, `{"_placeholder":true,"num":`...)
	e.buf = strconv.AppendInt(e.buf, int64(len(e.atts)), 10)
	e.buf = append(e.buf, '}')
	e.atts = append(e.atts, b)
}

func (e *encoder) raw(v json.RawMessage) error {
	s := scanner{src: v, out: e.buf, copying: true, findPH: true, lenientPH: true}
	if _, _, err := s.run(); err != nil {
		return fmt.Errorf("json.RawMessage: %w", err)
	}
	e.buf = s.out
	if s.nph > 0 {
		e.rawPH = true
	}
	return nil
}

// float writes f as encoding/json does, which matches JSON.stringify for
// finite numbers.
func (e *encoder) float(f float64, bits int) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("unsupported number %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	e.buf = strconv.AppendFloat(e.buf, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-09 to e-9, as JSON.stringify writes it.
		if n := len(e.buf); n >= 4 && e.buf[n-4] == 'e' && e.buf[n-3] == '-' && e.buf[n-2] == '0' {
			e.buf[n-2] = e.buf[n-1]
			e.buf = e.buf[:n-1]
		}
	}
	return nil
}

// marshalState is an encoding/json Encoder writing to its own buffer, kept in
// a pool because json.Marshal cannot turn HTML escaping off and allocating an
// Encoder per value would dominate the cost of a small event.
type marshalState struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// marshalPool holds idle marshalStates; it is a cache of scratch buffers, not
// state, so sharing it across the package is safe.
var marshalPool = sync.Pool{New: func() any {
	m := new(marshalState)
	m.enc = json.NewEncoder(&m.buf)
	m.enc.SetEscapeHTML(false)
	return m
}}

// maxPooledBuffer keeps one huge payload from pinning its buffer in the pool.
const maxPooledBuffer = 64 << 10

func (e *encoder) marshal(v any) error {
	m := marshalPool.Get().(*marshalState)
	defer func() {
		if m.buf.Cap() <= maxPooledBuffer {
			m.buf.Reset()
			marshalPool.Put(m)
		}
	}()
	if err := m.enc.Encode(v); err != nil {
		return fmt.Errorf("marshal %T: %w", v, err)
	}
	out := m.buf.Bytes()
	e.buf = append(e.buf, out[:len(out)-1]...) // drop the Encoder's newline
	return nil
}

// appendString writes s as a JSON string, escaping what JSON requires plus
// U+2028 and U+2029 as encoding/json does; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

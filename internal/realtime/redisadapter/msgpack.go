package redisadapter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// The MessagePack subset that notepack.io, the codec of Node's
// @socket.io/redis-adapter, writes and reads. Values map to what the
// Socket.IO packet codec (package parser) encodes, so that a packet
// received from Redis is sent to clients exactly as the Node server would
// send it: JSON values, binary data as bin, objects with their key order.

// maxDepth bounds the nesting of encoded and decoded values, as the
// packet codec bounds the nesting of JSON.
const maxDepth = 1000

// isoMillis is how JavaScript's Date.prototype.toISOString, and so
// JSON.stringify, writes a date.
const isoMillis = "2006-01-02T15:04:05.000Z"

// encoder appends MessagePack values to buf.
type encoder struct {
	buf   []byte
	depth int
}

func (e *encoder) nil() { e.buf = append(e.buf, 0xc0) }

func (e *encoder) bool(v bool) {
	if v {
		e.buf = append(e.buf, 0xc3)
	} else {
		e.buf = append(e.buf, 0xc2)
	}
}

// int writes v in its shortest form, unsigned forms for non-negative values
// as notepack.io does.
func (e *encoder) int(v int64) {
	if v >= 0 {
		e.uint(uint64(v))
		return
	}
	switch {
	case v >= -32:
		e.buf = append(e.buf, byte(v))
	case v >= math.MinInt8:
		e.buf = append(e.buf, 0xd0, byte(v))
	case v >= math.MinInt16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xd1), uint16(v))
	case v >= math.MinInt32:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xd2), uint32(v))
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xd3), uint64(v))
	}
}

func (e *encoder) uint(v uint64) {
	switch {
	case v < 0x80:
		e.buf = append(e.buf, byte(v))
	case v <= math.MaxUint8:
		e.buf = append(e.buf, 0xcc, byte(v))
	case v <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xcd), uint16(v))
	case v <= math.MaxUint32:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xce), uint32(v))
	default:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xcf), v)
	}
}

// float writes an integral value as an integer, like notepack.io, for which
// every number is a double; others as float 64. JSON has no NaN or
// infinities, and neither has the packet codec.
func (e *encoder) float(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("unsupported number %v", f)
	}
	if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
		e.int(int64(f))
		return nil
	}
	e.buf = binary.BigEndian.AppendUint64(append(e.buf, 0xcb), math.Float64bits(f))
	return nil
}

func (e *encoder) string(s string) {
	n := len(s)
	switch {
	case n < 32:
		e.buf = append(e.buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xd9, byte(n))
	case n <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xda), uint16(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdb), uint32(n))
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) bin(b []byte) {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xc4, byte(n))
	case n <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xc5), uint16(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xc6), uint32(n))
	}
	e.buf = append(e.buf, b...)
}

func (e *encoder) arrayHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x90|byte(n))
	case n <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xdc), uint16(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdd), uint32(n))
	}
}

func (e *encoder) mapHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x80|byte(n))
	case n <= math.MaxUint16:
		e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xde), uint16(n))
	default:
		e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xdf), uint32(n))
	}
}

func (e *encoder) enter() error {
	if e.depth++; e.depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d (a cycle?)", maxDepth)
	}
	return nil
}

// value writes v with the semantics of the packet codec (parser.Encode):
// []byte, at any depth of []any, map[string]any and parser.Object, is
// binary; json.RawMessage is JSON; map keys are sorted; any other value is
// what encoding/json makes of it.
func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.nil()
	case bool:
		e.bool(v)
	case string:
		e.string(v)
	case int:
		e.int(int64(v))
	case int8:
		e.int(int64(v))
	case int16:
		e.int(int64(v))
	case int32:
		e.int(int64(v))
	case int64:
		e.int(v)
	case uint:
		e.uint(uint64(v))
	case uint8:
		e.uint(uint64(v))
	case uint16:
		e.uint(uint64(v))
	case uint32:
		e.uint(uint64(v))
	case uint64:
		e.uint(v)
	case float32:
		// As the packet codec writes it: the shortest decimal of the
		// float32, which JavaScript then reads as a double.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return e.float(f)
	case float64:
		return e.float(v)
	case []byte:
		e.bin(v)
	case [][]byte:
		e.arrayHeader(len(v))
		for _, b := range v {
			e.bin(b)
		}
	case json.RawMessage:
		return e.json(v)
	case []any:
		return e.array(v)
	case parser.Object:
		if err := e.enter(); err != nil {
			return err
		}
		e.mapHeader(len(v))
		for _, m := range v {
			e.string(m.Key)
			if err := e.value(m.Value); err != nil {
				return err
			}
		}
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
		e.mapHeader(len(keys))
		for _, k := range keys {
			e.string(k)
			if err := e.value(v[k]); err != nil {
				return err
			}
		}
		e.depth--
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("marshal %T: %w", v, err)
		}
		return e.json(raw)
	}
	return nil
}

func (e *encoder) array(v []any) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.arrayHeader(len(v))
	for _, x := range v {
		if err := e.value(x); err != nil {
			return err
		}
	}
	e.depth--
	return nil
}

// json transcodes one JSON value, keeping the order of object keys.
func (e *encoder) json(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := e.jsonValue(dec); err != nil {
		return fmt.Errorf("json.RawMessage: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("json.RawMessage: data after the value")
	}
	return nil
}

func (e *encoder) jsonValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case nil:
		e.nil()
	case bool:
		e.bool(t)
	case string:
		e.string(t)
	case json.Number:
		return e.jsonNumber(string(t))
	case json.Delim:
		if err := e.enter(); err != nil {
			return err
		}
		// The count comes first in MessagePack: reserve the longest header
		// and shorten it once the elements are counted.
		start := len(e.buf)
		e.buf = append(e.buf, 0, 0, 0, 0, 0)
		n := 0
		for dec.More() {
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				e.string(key.(string)) // the decoder guarantees a string key
			}
			if err := e.jsonValue(dec); err != nil {
				return err
			}
			n++
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		e.patchHeader(start, n, t == '{')
		e.depth--
	}
	return nil
}

// patchHeader writes the header of a container of n elements into the 5
// bytes reserved at start, moving the elements back when it is shorter.
func (e *encoder) patchHeader(start, n int, isMap bool) {
	var hdr encoder
	hdr.buf = make([]byte, 0, 5)
	if isMap {
		hdr.mapHeader(n)
	} else {
		hdr.arrayHeader(n)
	}
	shift := 5 - len(hdr.buf)
	copy(e.buf[start:], hdr.buf)
	if shift > 0 {
		copy(e.buf[start+len(hdr.buf):], e.buf[start+5:])
		e.buf = e.buf[:len(e.buf)-shift]
	}
}

// jsonNumber writes a JSON number as JavaScript would hold it, then
// notepack.io write it: an integer when it is one, a double otherwise.
func (e *encoder) jsonNumber(s string) error {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		e.int(i)
		return nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		e.uint(u)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", s, err)
	}
	return e.float(f)
}

// errTruncated reports a MessagePack value cut short.
var errTruncated = errors.New("msgpack: truncated data")

// undefined is JavaScript's undefined, which notepack.io writes as the
// fixext 1 of type 0: null in an array, absent in an object.
type undefined struct{}

// decoder reads MessagePack values from b. Maps decode to parser.Object,
// keeping their key order, bin to []byte (sharing b), integers to int64,
// or uint64 past the int64 range, floats to float64 (NaN and infinities,
// which JSON.stringify writes as null, to nil), timestamps to the string
// JSON.stringify makes of a Date.
type decoder struct {
	b     []byte
	depth int
}

func (d *decoder) need(n int) ([]byte, error) {
	if n < 0 || len(d.b) < n {
		return nil, errTruncated
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p, nil
}

func (d *decoder) byte() (byte, error) {
	p, err := d.need(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (d *decoder) uintN(n int) (uint64, error) {
	p, err := d.need(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// length reads a length of n bytes; lengths beyond the remaining data are
// refused before anything is allocated for them.
func (d *decoder) length(n int) (int, error) {
	v, err := d.uintN(n)
	if err != nil {
		return 0, err
	}
	if v > uint64(len(d.b)) {
		return 0, errTruncated
	}
	return int(v), nil
}

// value decodes the next value.
func (d *decoder) value() (any, error) {
	v, err := d.any()
	if _, undef := v.(undefined); undef {
		return nil, err
	}
	return v, err
}

func (d *decoder) any() (any, error) {
	c, err := d.byte()
	if err != nil {
		return nil, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.object(int(c & 0x0f))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := d.length(1 << (c - 0xc4))
		if err != nil {
			return nil, err
		}
		return d.need(n)
	case 0xc7, 0xc8, 0xc9:
		n, err := d.length(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(n)
	case 0xca:
		v, err := d.uintN(4)
		return jsNumber(float64(math.Float32frombits(uint32(v)))), err
	case 0xcb:
		v, err := d.uintN(8)
		return jsNumber(math.Float64frombits(v)), err
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, err := d.uintN(1 << (c - 0xcc))
		if err != nil {
			return nil, err
		}
		if v > math.MaxInt64 {
			return v, nil
		}
		return int64(v), nil
	case 0xd0:
		v, err := d.uintN(1)
		return int64(int8(v)), err
	case 0xd1:
		v, err := d.uintN(2)
		return int64(int16(v)), err
	case 0xd2:
		v, err := d.uintN(4)
		return int64(int32(v)), err
	case 0xd3:
		v, err := d.uintN(8)
		return int64(v), err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(1 << (c - 0xd4))
	case 0xd9, 0xda, 0xdb:
		n, err := d.length(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case 0xdc, 0xdd:
		n, err := d.length(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.array(n)
	case 0xde, 0xdf:
		n, err := d.length(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		return d.object(n)
	}
	return nil, fmt.Errorf("msgpack: invalid type byte 0x%02x", c)
}

// jsNumber returns f, or nil for what JSON.stringify writes as null.
func jsNumber(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

func (d *decoder) str(n int) (any, error) {
	p, err := d.need(n)
	if err != nil {
		return nil, err
	}
	return string(p), nil
}

func (d *decoder) enter() error {
	if d.depth++; d.depth > maxDepth {
		return fmt.Errorf("msgpack: nesting deeper than %d", maxDepth)
	}
	return nil
}

func (d *decoder) array(n int) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	if n > len(d.b) { // every element takes a byte at least
		return nil, errTruncated
	}
	out := make([]any, n)
	for i := range out {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	d.depth--
	return out, nil
}

func (d *decoder) object(n int) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	if n > len(d.b)/2 { // every member takes two bytes at least
		return nil, errTruncated
	}
	out := make(parser.Object, 0, n)
	for range n {
		k, err := d.value()
		if err != nil {
			return nil, err
		}
		var key string
		switch k := k.(type) {
		case string:
			key = k
		case int64:
			key = strconv.FormatInt(k, 10)
		case uint64:
			key = strconv.FormatUint(k, 10)
		default:
			return nil, fmt.Errorf("msgpack: map key of type %T", k)
		}
		v, err := d.any()
		if err != nil {
			return nil, err
		}
		if _, undef := v.(undefined); undef {
			continue // JSON.stringify leaves the key out
		}
		out = append(out, parser.Member{Key: key, Value: v})
	}
	d.depth--
	return out, nil
}

// ext decodes an extension of n data bytes as notepack.io does: undefined,
// timestamps (its own old form included), or [type, data] for the others.
func (d *decoder) ext(n int) (any, error) {
	t, err := d.byte()
	if err != nil {
		return nil, err
	}
	p, err := d.need(n)
	if err != nil {
		return nil, err
	}
	typ := int8(t)
	switch {
	case typ == 0 && n == 1:
		return undefined{}, nil
	case typ == 0 && n == 8:
		return jsDate(time.UnixMilli(int64(binary.BigEndian.Uint64(p)))), nil
	case typ == -1 && n == 4:
		return jsDate(time.Unix(int64(binary.BigEndian.Uint32(p)), 0)), nil
	case typ == -1 && n == 8:
		v := binary.BigEndian.Uint64(p)
		return jsDate(time.Unix(int64(v&(1<<34-1)), int64(v>>34))), nil
	case typ == -1 && n == 12:
		return jsDate(time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p)))), nil
	}
	return []any{int64(typ), p}, nil
}

// jsDate is a date as JSON.stringify writes it; JavaScript dates hold
// milliseconds.
func jsDate(t time.Time) string { return t.UTC().Truncate(time.Millisecond).Format(isoMillis) }

// decodeMsgpack decodes one value that must fill b.
func decodeMsgpack(b []byte) (any, error) {
	d := decoder{b: b}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("msgpack: %d bytes after the value", len(d.b))
	}
	return v, nil
}

// encodeMsgpack encodes v.
func encodeMsgpack(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128)}
	if err := e.value(v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

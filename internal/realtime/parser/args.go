package parser

import (
	"encoding/json"
	"fmt"
)

// Args decodes the JSON array of an EVENT/ACK payload into one value per
// element: json.RawMessage for an element holding no placeholder, []byte for
// a placeholder, and for a structure holding placeholders deeper, []any /
// Object with the same rules. Key order is preserved.
//
// Placeholders are recognised only when attachments is not empty, as
// socket.io-parser only reconstructs binary packets; each must name a
// distinct attachment. The json.RawMessage and []byte values share memory
// with data and attachments; they are compact, so encoding one again
// reproduces it byte for byte.
func Args(data json.RawMessage, attachments [][]byte) ([]any, error) {
	s := scanner{src: data, findPH: len(attachments) > 0}
	start, end, err := s.run()
	if err != nil {
		return nil, fmt.Errorf("%w: arguments: %w", ErrInvalidPacket, err)
	}
	compact := []byte(data[start:end:end])
	if s.copying {
		compact = s.out
	}
	if compact[0] != '[' {
		return nil, fmt.Errorf("%w: arguments are not a JSON array", ErrInvalidPacket)
	}
	if err := checkPlaceholders(s.phs, len(attachments), false); err != nil {
		return nil, err
	}
	v, err := build(compact, attachments, len(s.phs) > 0)
	if err != nil {
		return nil, err
	}
	return v.([]any), nil
}

// build turns the valid, compact JSON array or object raw into []any or
// Object, resolving placeholders in the elements that hold them; hasPH tells
// whether raw holds any.
func build(raw []byte, atts [][]byte, hasPH bool) (any, error) {
	s := scanner{src: raw, pos: 1, findPH: hasPH}
	if raw[0] == '[' {
		arr := make([]any, 0, 4)
		if raw[1] == ']' {
			return arr, nil
		}
		for {
			v, err := s.element(atts)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			if s.src[s.pos] == ']' {
				return arr, nil
			}
			s.pos++ // ,
		}
	}
	// An object that is itself a placeholder.
	s.pos = 0
	if err := s.object(); err != nil {
		return nil, err
	}
	if n := len(s.phs); n > 0 && s.phs[n-1].pos == 0 {
		return atts[s.phs[n-1].num], nil
	}
	s.pos, s.phs = 1, s.phs[:0]
	obj := make(Object, 0, 4)
	if raw[1] == '}' {
		return obj, nil
	}
	for {
		keyStart := s.pos
		escaped, err := s.str()
		if err != nil {
			return nil, err
		}
		key := memberKey(raw[keyStart:s.pos], escaped)
		s.pos++ // :
		v, err := s.element(atts)
		if err != nil {
			return nil, err
		}
		obj = append(obj, Member{Key: key, Value: v})
		if s.src[s.pos] == '}' {
			return obj, nil
		}
		s.pos++ // ,
	}
}

// element scans the next value of a compact container and returns it as
// json.RawMessage when it holds no placeholder.
func (s *scanner) element(atts [][]byte) (any, error) {
	start, n := s.pos, len(s.phs)
	if err := s.value(); err != nil {
		return nil, err
	}
	v := s.src[start:s.pos:s.pos]
	if len(s.phs) == n {
		return json.RawMessage(v), nil
	}
	return build(v, atts, true)
}

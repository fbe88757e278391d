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
	s := scanner{src: data, findPH: len(attachments) > 0, attachments: len(attachments)}
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
	args, err := buildArray(compact, attachments, s.nph > 0)
	if err != nil {
		return nil, fmt.Errorf("%w: arguments: %w", ErrInvalidPacket, err)
	}
	return args, nil
}

// buildArray turns the valid, compact JSON array raw into []any, resolving
// placeholders in the elements that hold them; hasPH tells whether raw holds
// any.
func buildArray(raw []byte, atts [][]byte, hasPH bool) ([]any, error) {
	if raw[1] == ']' {
		return []any{}, nil
	}
	s := scanner{src: raw, pos: 1, findPH: hasPH, attachments: len(atts)}
	arr := make([]any, 0, 4)
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

// buildObject turns the valid, compact JSON object raw, which holds a
// placeholder, into Object, or into the attachment it names if raw is itself
// a placeholder.
func buildObject(raw []byte, atts [][]byte) (any, error) {
	s := scanner{src: raw, findPH: true, attachments: len(atts)}
	if err := s.object(); err != nil {
		return nil, err
	}
	if s.nph > 0 && s.lastPH == 0 {
		// The last placeholder found, which closes last, starts where raw
		// does: raw is a placeholder.
		return atts[s.lastNum], nil
	}
	s = scanner{src: raw, pos: 1, findPH: true, attachments: len(atts)}
	obj := make(Object, 0, 4)
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
	start, n := s.pos, s.nph
	if err := s.value(); err != nil {
		return nil, err
	}
	v := s.src[start:s.pos:s.pos]
	switch {
	case s.nph == n:
		return json.RawMessage(v), nil
	case v[0] == '[':
		return buildArray(v, atts, true)
	default:
		return buildObject(v, atts)
	}
}

// AppendJSON appends v, a value of the shapes Args produces, as JSON:
// []any and Object element by element, objects in their key order, anything
// else (json.RawMessage, []byte as base64 text, strings, numbers) through
// encoding/json.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case Object:
		dst = append(dst, '{')
		for i, m := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, m.Key); err != nil {
				return nil, err
			}
			dst = append(dst, ':')
			if dst, err = AppendJSON(dst, m.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

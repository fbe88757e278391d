package realtime

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// Args are the arguments of a received event or acknowledgement, as
// produced by parser.Args: a json.RawMessage for an argument holding no
// binary data, a []byte for a binary attachment, and []any or
// parser.Object for a structure holding attachments deeper down.
type Args []any

// Decode stores argument i in the value pointed to by v, with the rules of
// encoding/json. A binary argument decodes into a *[]byte or a *any. Binary
// data deeper in a structure decodes into []byte fields and elements, as
// encoding/json decodes base64 text into []byte.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a) {
		return errorf("decode argument %d of %d", i, len(a))
	}
	switch x := a[i].(type) {
	case json.RawMessage:
		if err := json.Unmarshal(x, v); err != nil {
			return errorf("decode argument %d: %w", i, err)
		}
		return nil
	case []byte:
		switch p := v.(type) {
		case *[]byte:
			*p = x
			return nil
		case *any:
			*p = x
			return nil
		}
	}
	raw, err := appendJSON(nil, a[i])
	if err != nil {
		return errorf("decode argument %d: %w", i, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errorf("decode argument %d: %w", i, err)
	}
	return nil
}

// appendJSON writes a value of the shapes parser.Args produces as JSON,
// binary data as base64 text.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case json.RawMessage:
		return append(dst, x...), nil
	case []byte:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case parser.Object:
		dst = append(dst, '{')
		for i, m := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, err := json.Marshal(m.Key)
			if err != nil {
				return nil, err
			}
			dst = append(append(dst, k...), ':')
			if dst, err = appendJSON(dst, m.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return nil, fmt.Errorf("unexpected argument type %T", v)
}

package realtime

import (
	"encoding/json"

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
	raw, err := parser.AppendJSON(nil, a[i])
	if err != nil {
		return errorf("decode argument %d: %w", i, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errorf("decode argument %d: %w", i, err)
	}
	return nil
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Int is an integer request field that accepts a JSON number or a string of
// decimal digits, because form-encoded clients send every number as a
// string. Set reports whether the field was present and not null.
type Int struct {
	Value int64
	Set   bool
}

var errNotInteger = errors.New("not an integer")

// UnmarshalJSON accepts 12, "12" and null; anything else (12.5, "12a", an
// object) is an error.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = Int{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errNotInteger
	}
	*n = Int{Value: v, Set: true}
	return nil
}

// MarshalJSON writes the number, or null when unset.
func (n Int) MarshalJSON() ([]byte, error) {
	if !n.Set {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Value, 10), nil
}

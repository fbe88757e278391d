package parser

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// maxDepth bounds JSON nesting so that a hostile payload cannot exhaust the
// stack; encoding/json applies the same limit.
const maxDepth = 10000

// placeholderKey is the member that marks a binary placeholder object,
// {"_placeholder":true,"num":n}.
const placeholderKey = "_placeholder"

// scanner validates one JSON value in a single pass, optionally compacting
// it and recognising binary placeholders.
//
// Compaction copies runs of src between insignificant whitespace to out. In
// lazy mode (copying false at start) nothing is copied until the first
// whitespace is met, so compact input is validated without any copy and can be
// used in place.
type scanner struct {
	src     []byte
	pos     int
	mark    int // start of the run of src not yet copied to out
	out     []byte
	copying bool
	depth   int

	// findPH turns on the recognition of binary placeholders. Each must name
	// one of attachments attachments, at most once, unless lenientPH is set:
	// then malformed and repeated placeholders are counted without complaint,
	// for callers that only need to know whether one is present.
	findPH      bool
	lenientPH   bool
	attachments int
	nph         int    // placeholders found
	lastPH      int    // offset in src of the last placeholder found
	lastNum     int    // attachment named by the last placeholder found
	seen        uint64 // attachments named so far, when attachments <= 64
	seenMore    []uint64
}

// run scans the single JSON value of src[s.pos:], which may be surrounded by
// whitespace and must be followed by nothing else. It returns the bounds of
// the value in src; when s.copying (or when compaction became necessary) the
// compacted value has been appended to s.out.
func (s *scanner) run() (start, end int, err error) {
	s.skipSpace()
	start = s.pos
	s.mark = start
	if err := s.value(); err != nil {
		return 0, 0, err
	}
	end = s.pos
	if s.copying {
		s.out = append(s.out, s.src[s.mark:end]...)
	}
	s.skipSpace()
	if s.pos != len(s.src) {
		return 0, 0, s.errorf("trailing data after the JSON value")
	}
	return start, end, nil
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.pos, fmt.Sprintf(format, args...))
}

// skipSpace skips whitespace outside of a value, where it needs no copying.
func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

// skipGap skips whitespace inside a value and drops it from the output.
func (s *scanner) skipGap() {
	if s.pos >= len(s.src) || !isSpace(s.src[s.pos]) {
		return
	}
	start := s.pos
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
	if !s.copying {
		s.copying = true
		s.out = make([]byte, 0, len(s.src)-s.mark)
	}
	s.out = append(s.out, s.src[s.mark:start]...)
	s.mark = s.pos
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func (s *scanner) value() error {
	if s.pos >= len(s.src) {
		return s.errorf("unexpected end of input")
	}
	switch c := s.src[s.pos]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.errorf("unexpected character %q", c)
	}
}

func (s *scanner) literal(lit string) error {
	if len(s.src)-s.pos < len(lit) || string(s.src[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("invalid literal, want %s", lit)
	}
	s.pos += len(lit)
	return nil
}

func (s *scanner) number() error {
	if s.src[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos >= len(s.src):
		return s.errorf("unexpected end of number")
	case s.src[s.pos] == '0':
		s.pos++
	case s.src[s.pos] >= '1' && s.src[s.pos] <= '9':
		s.skipDigits()
	default:
		return s.errorf("invalid number")
	}
	if s.pos < len(s.src) && s.src[s.pos] == '.' {
		s.pos++
		if !s.skipDigits() {
			return s.errorf("missing digits after the decimal point")
		}
	}
	if s.pos < len(s.src) && (s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.src) && (s.src[s.pos] == '+' || s.src[s.pos] == '-') {
			s.pos++
		}
		if !s.skipDigits() {
			return s.errorf("missing digits in the exponent")
		}
	}
	return nil
}

func (s *scanner) skipDigits() bool {
	start := s.pos
	for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// str scans a string and reports whether it holds escape sequences.
func (s *scanner) str() (escaped bool, err error) {
	s.pos++ // opening quote
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.src) {
				return false, s.errorf("unterminated escape sequence")
			}
			switch s.src[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				if len(s.src)-s.pos < 5 || !isHex(s.src[s.pos+1]) || !isHex(s.src[s.pos+2]) ||
					!isHex(s.src[s.pos+3]) || !isHex(s.src[s.pos+4]) {
					return false, s.errorf("invalid \\u escape")
				}
				s.pos += 5
			default:
				return false, s.errorf("invalid escape character %q", s.src[s.pos])
			}
		case c < 0x20:
			return false, s.errorf("control character %#x in string", c)
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.src[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return false, s.errorf("invalid UTF-8 in string")
			}
			s.pos += size
		}
	}
	return false, s.errorf("unterminated string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (s *scanner) array() error {
	if s.depth++; s.depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	s.pos++ // [
	s.skipGap()
	if s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := s.value(); err != nil {
			return err
		}
		s.skipGap()
		if s.pos >= len(s.src) {
			return s.errorf("unterminated array")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.skipGap()
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errorf("unexpected character %q in array", s.src[s.pos])
		}
	}
}

func (s *scanner) object() error {
	if s.depth++; s.depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	start := s.pos
	s.pos++ // {
	s.skipGap()
	if s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	var (
		members int
		isPH    bool // has "_placeholder":true
		num     = -1 // value of a valid "num" member
	)
	for {
		if s.pos >= len(s.src) || s.src[s.pos] != '"' {
			return s.errorf("object key must be a string")
		}
		keyStart := s.pos
		escaped, err := s.str()
		if err != nil {
			return err
		}
		keyEnd := s.pos
		s.skipGap()
		if s.pos >= len(s.src) || s.src[s.pos] != ':' {
			return s.errorf("missing colon after object key")
		}
		s.pos++
		s.skipGap()
		valueStart := s.pos
		if err := s.value(); err != nil {
			return err
		}
		members++
		if s.findPH {
			key := s.src[keyStart:keyEnd]
			switch {
			case keyIs(key, escaped, placeholderKey):
				if string(s.src[valueStart:s.pos]) == "true" {
					isPH = true
				}
			case keyIs(key, escaped, "num"):
				num = placeholderNum(s.src[valueStart:s.pos])
			}
		}
		s.skipGap()
		if s.pos >= len(s.src) {
			return s.errorf("unterminated object")
		}
		if s.src[s.pos] == '}' {
			s.pos++
			break
		}
		if s.src[s.pos] != ',' {
			return s.errorf("unexpected character %q in object", s.src[s.pos])
		}
		s.pos++
		s.skipGap()
	}
	s.depth--
	if isPH {
		if err := s.placeholder(members == 2, num); err != nil {
			return err
		}
		s.nph++
		s.lastPH, s.lastNum = start, num
	}
	return nil
}

// placeholder checks a placeholder object: well formed, naming an
// attachment that no earlier placeholder named.
func (s *scanner) placeholder(twoMembers bool, num int) error {
	if s.lenientPH {
		return nil
	}
	if !twoMembers || num < 0 {
		return s.errorf("malformed binary placeholder")
	}
	if num >= s.attachments {
		return s.errorf("placeholder %d out of range of %d attachments", num, s.attachments)
	}
	bits := &s.seen
	if s.attachments > 64 {
		if s.seenMore == nil {
			s.seenMore = make([]uint64, (s.attachments+63)/64)
		}
		bits = &s.seenMore[num/64]
	}
	if *bits&(1<<(num%64)) != 0 {
		return s.errorf("placeholder %d used twice", num)
	}
	*bits |= 1 << (num % 64)
	return nil
}

// keyIs reports whether the quoted object key decodes to want.
func keyIs(quoted []byte, escaped bool, want string) bool {
	if !escaped {
		return len(quoted) == len(want)+2 && string(quoted[1:len(quoted)-1]) == want
	}
	return memberKey(quoted, true) == want
}

// memberKey returns the decoded text of a quoted object key. Keys without
// escapes, by far the common case, are compared without allocating.
func memberKey(quoted []byte, escaped bool) string {
	if !escaped {
		return string(quoted[1 : len(quoted)-1])
	}
	var key string
	if err := json.Unmarshal(quoted, &key); err != nil {
		// The scanner has already validated the string.
		return ""
	}
	return key
}

// placeholderNum parses the num of a placeholder: a plain non-negative
// integer literal. It returns -1 for anything else, including numbers too
// large to index an attachment.
func placeholderNum(v []byte) int {
	if len(v) == 0 || len(v) > 9 {
		return -1
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

package goods

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an amount in hundredths of the currency unit (6.2 is Money(620)).
// Prices and totals are integers so that sums never drift the way binary
// floating point does (0.1 + 0.2 is exactly 0.3 here). Its JSON is the plain
// number the original shop rendered: 620 is 6.2, 450000 is 4500, 1005 is
// 10.05.
type Money int64

// MaxMoney bounds every price and total the shop accepts: one hundred
// million units. Keeping amounts far below the int64 limit means a sum of
// many lines cannot overflow, and keeping them below 2^53 means JavaScript
// clients read them exactly.
const MaxMoney Money = 100_000_000_00

// Errors returned by ParseMoney and Money.UnmarshalJSON.
var (
	ErrMoneySyntax    = errors.New("money: not a decimal number")
	ErrMoneyPrecision = errors.New("money: finer than a hundredth")
	ErrMoneyNegative  = errors.New("money: negative")
	ErrMoneyRange     = errors.New("money: out of range")
)

// ParseMoney parses a non-negative decimal number in JSON number syntax
// ("6.2", "4500", "10.05", "4.5e3") into hundredths. A value that is not a
// whole number of hundredths is refused ("1.005"), while trailing zeros that
// add no precision are accepted ("6.20"). Negative numbers, NaN, infinities
// and values above MaxMoney are refused.
func ParseMoney(s string) (Money, error) {
	if s == "" {
		return 0, ErrMoneySyntax
	}
	if s[0] == '-' {
		if _, _, _, err := splitNumber(s[1:]); err != nil {
			return 0, err
		}
		return 0, ErrMoneyNegative
	}
	intPart, frac, exp, err := splitNumber(s)
	if err != nil {
		return 0, err
	}
	// The value is digits × 10^(exp - len(frac)); in hundredths that is
	// digits × 10^(shift).
	digits := strings.TrimLeft(intPart+frac, "0")
	shift := exp - len(frac) + 2
	if digits == "" {
		return 0, nil
	}
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 || strings.Trim(digits[max(cut, 0):], "0") != "" {
			return 0, ErrMoneyPrecision
		}
		digits = digits[:cut]
		shift = 0
	}
	// MaxMoney has 11 digits; anything longer is out of range, and the
	// check keeps the multiplication below from overflowing.
	if len(digits)+shift > 11 {
		return 0, ErrMoneyRange
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, ErrMoneyRange
	}
	for range shift {
		v *= 10
	}
	if Money(v) > MaxMoney {
		return 0, ErrMoneyRange
	}
	return Money(v), nil
}

// splitNumber checks s against the JSON number grammar without its sign and
// returns the integer digits, the fraction digits and the exponent.
func splitNumber(s string) (intPart, frac string, exp int, err error) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart = s[:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return "", "", 0, ErrMoneySyntax
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		frac = s[i+1 : j]
		if frac == "" {
			return "", "", 0, ErrMoneySyntax
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		e := s[i+1:]
		if e != "" && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if e == "" || strings.IndexFunc(e, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return "", "", 0, ErrMoneySyntax
		}
		// A money exponent beyond a few dozen is out of range or finer
		// than a hundredth whatever the digits; refusing it here keeps
		// the arithmetic above small.
		n, perr := strconv.Atoi(s[i+1:])
		if perr != nil || n > 64 || n < -64 {
			return "", "", 0, ErrMoneyRange
		}
		exp = n
		i = len(s)
	}
	if i != len(s) {
		return "", "", 0, ErrMoneySyntax
	}
	return intPart, frac, exp, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// String renders m as the shortest decimal: 620 is "6.2", 450000 is "4500".
func (m Money) String() string {
	return string(m.append(nil))
}

func (m Money) append(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = uint64(-(m + 1)) + 1 // safe for math.MinInt64
	}
	b = strconv.AppendUint(b, u/100, 10)
	switch c := u % 100; {
	case c == 0:
	case c%10 == 0:
		b = append(b, '.', byte('0'+c/10))
	default:
		b = append(b, '.', byte('0'+c/10), byte('0'+c%10))
	}
	return b
}

// MarshalJSON renders m as a JSON number in units (6.2, 4500, 10.05).
func (m Money) MarshalJSON() ([]byte, error) {
	return m.append(nil), nil
}

// UnmarshalJSON accepts a JSON number or a string holding one, as forms send
// numbers as strings. See ParseMoney for what is refused.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return ErrMoneySyntax
		}
		s = strings.TrimSpace(s)
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Times returns m × n for a non-negative amount and count, or an error when
// either is negative or the product overflows.
func (m Money) Times(n int) (Money, error) {
	if m < 0 || n < 0 {
		return 0, fmt.Errorf("%w: %s × %d", ErrMoneyNegative, m, n)
	}
	if n != 0 && int64(m) > math.MaxInt64/int64(n) {
		return 0, fmt.Errorf("%w: %s × %d", ErrMoneyRange, m, n)
	}
	return m * Money(n), nil
}

// Plus returns m + o, or an error when the sum overflows.
func (m Money) Plus(o Money) (Money, error) {
	if (o > 0 && m > math.MaxInt64-o) || (o < 0 && m < math.MinInt64-o) {
		return 0, fmt.Errorf("%w: %s + %s", ErrMoneyRange, m, o)
	}
	return m + o, nil
}

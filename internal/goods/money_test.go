package goods_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/livebuy/shop/internal/goods"
)

func TestMoneyJSON(t *testing.T) {
	tests := []struct {
		m    goods.Money
		want string
	}{
		{0, "0"},
		{1, "0.01"},
		{10, "0.1"},
		{620, "6.2"},
		{1005, "10.05"},
		{450000, "4500"},
		{450010, "4500.1"},
		{1860, "18.6"},
		{-620, "-6.2"},
		{goods.MaxMoney, "100000000"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			b, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatalf("marshal %d: %v", int64(tt.m), err)
			}
			if string(b) != tt.want {
				t.Errorf("got %s, want %s", b, tt.want)
			}
			if s := tt.m.String(); s != tt.want {
				t.Errorf("String: got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestMoneyUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    goods.Money
		wantErr error
	}{
		{`6.2`, 620, nil},
		{`"6.2"`, 620, nil},
		{`" 6.2 "`, 620, nil},
		{`4500`, 450000, nil},
		{`4500.00`, 450000, nil},
		{`10.05`, 1005, nil},
		{`0.01`, 1, nil},
		{`0`, 0, nil},
		{`6.20`, 620, nil},
		{`6.200`, 620, nil}, // trailing zeros add no precision
		{`4.5e3`, 450000, nil},
		{`4.5E+3`, 450000, nil},
		{`1e-2`, 1, nil},
		{`620e-2`, 620, nil},
		{`100000000`, goods.MaxMoney, nil},
		{`1.005`, 0, goods.ErrMoneyPrecision},
		{`0.001`, 0, goods.ErrMoneyPrecision},
		{`"0.001"`, 0, goods.ErrMoneyPrecision},
		{`1e-3`, 0, goods.ErrMoneyPrecision},
		{`-6.2`, 0, goods.ErrMoneyNegative},
		{`"-1"`, 0, goods.ErrMoneyNegative},
		{`100000000.01`, 0, goods.ErrMoneyRange},
		{`1e9`, 0, goods.ErrMoneyRange},
		{`1e400`, 0, goods.ErrMoneyRange},
		{`1e-400`, 0, goods.ErrMoneyRange},
		{`99999999999999999999999`, 0, goods.ErrMoneyRange},
		{`"NaN"`, 0, goods.ErrMoneySyntax},
		{`"Infinity"`, 0, goods.ErrMoneySyntax},
		{`""`, 0, goods.ErrMoneySyntax},
		{`"abc"`, 0, goods.ErrMoneySyntax},
		{`"6.2.1"`, 0, goods.ErrMoneySyntax},
		{`"06.2"`, 0, goods.ErrMoneySyntax},
		{`".5"`, 0, goods.ErrMoneySyntax},
		{`"5."`, 0, goods.ErrMoneySyntax},
		{`"+5"`, 0, goods.ErrMoneySyntax},
		{`"1e"`, 0, goods.ErrMoneySyntax},
		{`"0x10"`, 0, goods.ErrMoneySyntax},
		{`true`, 0, goods.ErrMoneySyntax},
		{`{"$gt":0}`, 0, goods.ErrMoneySyntax},
		{`[1]`, 0, goods.ErrMoneySyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m goods.Money
			err := m.UnmarshalJSON([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if m != tt.want {
				t.Errorf("got %d, want %d", int64(m), int64(tt.want))
			}
		})
	}
}

func TestMoneyRoundTrip(t *testing.T) {
	for _, m := range []goods.Money{0, 1, 9, 10, 99, 100, 101, 620, 1005, 450000, 123456789, goods.MaxMoney} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %d: %v", int64(m), err)
		}
		var back goods.Money
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if back != m {
			t.Errorf("%d -> %s -> %d, want %d", int64(m), b, int64(back), int64(m))
		}
	}
}

// TestMoneyArithmetic shows the sums that drift in binary floating point
// stay exact.
func TestMoneyArithmetic(t *testing.T) {
	parse := func(s string) goods.Money {
		t.Helper()
		m, err := goods.ParseMoney(s)
		if err != nil {
			t.Fatalf("parse %s: %v", s, err)
		}
		return m
	}
	tests := []struct {
		name  string
		lines [][2]any // price text, quantity
		want  string
	}{
		{"0.1+0.2", [][2]any{{"0.1", 1}, {"0.2", 1}}, "0.3"},
		{"3x6.2", [][2]any{{"6.2", 3}}, "18.6"},
		{"0.1x3", [][2]any{{"0.1", 3}}, "0.3"},
		{"1.1+2.2", [][2]any{{"1.1", 1}, {"2.2", 1}}, "3.3"},
		{"99x0.07", [][2]any{{"0.07", 99}}, "6.93"},
		{"4500x2+6.2x3", [][2]any{{"4500", 2}, {"6.2", 3}}, "9018.6"},
		{"ten cents ten times", [][2]any{{"0.1", 10}}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var total goods.Money
			for _, l := range tt.lines {
				sub, err := parse(l[0].(string)).Times(l[1].(int))
				if err != nil {
					t.Fatalf("times: %v", err)
				}
				if total, err = total.Plus(sub); err != nil {
					t.Fatalf("plus: %v", err)
				}
			}
			b, _ := json.Marshal(total)
			if string(b) != tt.want {
				t.Errorf("got %s, want %s", b, tt.want)
			}
		})
	}
}

func TestMoneyOverflow(t *testing.T) {
	if _, err := goods.Money(math.MaxInt64 / 2).Times(3); !errors.Is(err, goods.ErrMoneyRange) {
		t.Errorf("Times overflow: got %v, want ErrMoneyRange", err)
	}
	if _, err := goods.Money(math.MaxInt64).Plus(1); !errors.Is(err, goods.ErrMoneyRange) {
		t.Errorf("Plus overflow: got %v, want ErrMoneyRange", err)
	}
	if _, err := goods.Money(1).Times(-1); !errors.Is(err, goods.ErrMoneyNegative) {
		t.Errorf("Times negative: got %v, want ErrMoneyNegative", err)
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"6.2", "4500", "10.05", "1.005", "-1", "1e400", "4.5e3", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := goods.ParseMoney(s)
		if err != nil {
			return
		}
		if m < 0 || m > goods.MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d, outside [0, MaxMoney]", s, int64(m))
		}
		back, err := goods.ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d renders %q which parses to %d, %v", s, int64(m), m.String(), int64(back), err)
		}
	})
}

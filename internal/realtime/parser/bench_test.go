package parser

import (
	"encoding/json"
	"testing"
	"time"
)

var benchOrder = buyGoods{
	Nickname:  "shopper-1234",
	GoodsID:   1024,
	GoodsName: "Handmade ceramic tea cup",
	Date:      time.Date(2026, 11, 21, 22, 18, 24, 0, time.UTC),
}

// BenchmarkEncodeEvent encodes the purchase broadcast from a struct, reusing
// the destination buffer as a broadcaster does.
func BenchmarkEncodeEvent(b *testing.B) {
	p := Packet{Type: Event}
	data := []any{"BUY_GOODS", benchOrder}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if buf, _, err = AppendEncode(buf[:0], &p, data); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkAppendEvent is BenchmarkEncodeEvent through AppendEvent, the
// emit path: no payload array is built.
func BenchmarkAppendEvent(b *testing.B) {
	p := Packet{Type: Event}
	args := []any{benchOrder}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if buf, _, err = AppendEvent(buf[:0], &p, "BUY_GOODS", args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkAppendEventRaw is BenchmarkEncodeEventRaw through AppendEvent.
func BenchmarkAppendEventRaw(b *testing.B) {
	raw, err := json.Marshal(benchOrder)
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Type: Event}
	args := []any{json.RawMessage(raw)}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if buf, _, err = AppendEvent(buf[:0], &p, "BUY_GOODS", args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeEventNew is BenchmarkEncodeEvent with a fresh buffer per
// packet, as Encode allocates it.
func BenchmarkEncodeEventNew(b *testing.B) {
	p := Packet{Type: Event}
	data := []any{"BUY_GOODS", benchOrder}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := Encode(&p, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeEventRaw encodes the purchase from JSON prepared once.
func BenchmarkEncodeEventRaw(b *testing.B) {
	raw, err := json.Marshal(benchOrder)
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Type: Event}
	data := []any{"BUY_GOODS", json.RawMessage(raw)}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if buf, _, err = AppendEncode(buf[:0], &p, data); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeEventMap encodes the purchase from a map.
func BenchmarkEncodeEventMap(b *testing.B) {
	p := Packet{Type: Event}
	data := []any{"BUY_GOODS", map[string]any{
		"nickname": benchOrder.Nickname, "goodsId": benchOrder.GoodsID,
		"goodsName": benchOrder.GoodsName, "date": benchOrder.Date.Format(time.RFC3339),
	}}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if buf, _, err = AppendEncode(buf[:0], &p, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeBinary encodes an event carrying a 1 KiB attachment inside
// an object.
func BenchmarkEncodeBinary(b *testing.B) {
	p := Packet{Type: Event, Namespace: "/live"}
	data := []any{"photo", Object{{"name", "cup.png"}, {"image", make([]byte, 1024)}}}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if buf, _, err = AppendEncode(buf[:0], &p, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeText decodes the purchase event and its arguments.
func BenchmarkDecodeText(b *testing.B) {
	text, _, err := Encode(&Packet{Type: Event, ID: 7, HasID: true}, []any{"BUY_GOODS", benchOrder})
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p, err := d.Add(text, false)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Args(p.Data, p.Attachments); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBinary decodes a binary event with a 1 KiB attachment and
// its arguments.
func BenchmarkDecodeBinary(b *testing.B) {
	text, atts, err := Encode(&Packet{Type: Event, Namespace: "/live"},
		[]any{"photo", Object{{"name", "cup.png"}, {"image", make([]byte, 1024)}}})
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := d.Add(text, false); err != nil {
			b.Fatal(err)
		}
		p, err := d.Add(atts[0], true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Args(p.Data, p.Attachments); err != nil {
			b.Fatal(err)
		}
	}
}

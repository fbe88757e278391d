package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// The seed corpus of every target is also committed under testdata/fuzz.

func FuzzDecoder(f *testing.F) {
	for _, v := range decodeVectors {
		var att []byte
		if len(v.msgs) > 1 {
			att = []byte(v.msgs[1].data)
		}
		f.Add(v.msgs[0].data, att, `2["next"]`)
	}
	f.Add(`51-["a",{"_placeholder":true,"num":0}]`, []byte{1}, `61-3[{"_placeholder":true,"num":0}]`)
	f.Add(`2["a"]`, []byte(nil), `3/x,1[]`)
	f.Fuzz(func(t *testing.T, first string, att []byte, second string) {
		var d Decoder
		for _, m := range []string{first, second} {
			p, err := d.Add([]byte(m), false)
			for i := 0; err == nil && p == nil && i < DefaultMaxAttachments; i++ {
				if !d.Pending() {
					t.Fatalf("got no packet, no error and no pending packet for %q", m)
				}
				p, err = d.Add(att, true)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidPacket) {
					t.Fatalf("got error %v, want it to wrap ErrInvalidPacket", err)
				}
				return
			}
			if p == nil {
				t.Fatalf("got no packet after %d attachments for %q", DefaultMaxAttachments, m)
			}
			checkDecoded(t, p)
		}
	})
}

// checkDecoded verifies the invariants of a decoded packet, and that it
// encodes back to a packet that decodes the same.
func checkDecoded(t *testing.T, p *Packet) {
	t.Helper()
	if p.Type > BinaryAck || !strings.HasPrefix(p.Namespace, "/") || !utf8.ValidString(p.Namespace) {
		t.Fatalf("got invalid packet header %s", describe(p))
	}
	if p.Data != nil {
		var c bytes.Buffer
		if err := json.Compact(&c, p.Data); err != nil || !bytes.Equal(c.Bytes(), p.Data) {
			t.Fatalf("got Data %q, want valid compact JSON (%v)", p.Data, err)
		}
	}
	binary := p.Type == BinaryEvent || p.Type == BinaryAck
	if binary != (len(p.Attachments) > 0) {
		t.Fatalf("got %s with %d attachments", p.Type, len(p.Attachments))
	}
	payload := any(json.RawMessage(p.Data))
	if p.Type == Event || p.Type == Ack || binary {
		args, err := Args(p.Data, p.Attachments)
		if err != nil {
			t.Fatalf("got error %v from Args on decoded %s", err, describe(p))
		}
		if n := countBinary(args); n != len(p.Attachments) {
			t.Fatalf("got %d attachments from Args, want %d", n, len(p.Attachments))
		}
		payload = args
	}
	q := Packet{Type: p.Type, Namespace: p.Namespace, ID: p.ID, HasID: p.HasID}
	text1, atts1 := mustEncode(t, &q, payload)
	p2 := mustDecode(t, text1, atts1)
	if !binary && !samePacket(p, p2) {
		t.Fatalf("got %s after re-encoding as %s, want %s", describe(p2), text1, describe(p))
	}
	if p2.Type != p.Type || p2.Namespace != p.Namespace || p2.HasID != p.HasID || p2.ID != p.ID {
		t.Fatalf("got header %s after re-encoding, want %s", describe(p2), describe(p))
	}
	if binary {
		// Placeholders are renumbered in order of appearance: encoding is
		// stable from the first re-encoding on.
		args2, err := Args(p2.Data, p2.Attachments)
		if err != nil {
			t.Fatalf("got error %v from Args on %s", err, text1)
		}
		text2, atts2 := mustEncode(t, &q, args2)
		if !bytes.Equal(text1, text2) || !sameBytes(atts1, atts2) {
			t.Fatalf("got %s after a second re-encoding, want %s", text2, text1)
		}
	}
}

func mustEncode(t *testing.T, p *Packet, data any) ([]byte, [][]byte) {
	t.Helper()
	text, atts, err := Encode(p, data)
	if err != nil {
		t.Fatalf("got error %v encoding %s, want none", err, describe(p))
	}
	return text, atts
}

func mustDecode(t *testing.T, text []byte, atts [][]byte) *Packet {
	t.Helper()
	d := Decoder{MaxAttachments: max(len(atts), 1)}
	p, err := d.Add(text, false)
	for i := 0; err == nil && i < len(atts); i++ {
		if p != nil {
			t.Fatalf("got a packet before attachment %d of %s", i, text)
		}
		p, err = d.Add(atts[i], true)
	}
	if err != nil || p == nil {
		t.Fatalf("got %s, %v decoding %s with %d attachments, want a packet", describe(p), err, text, len(atts))
	}
	return p
}

func sameBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// countBinary counts the []byte leaves of an Args result.
func countBinary(v any) int {
	switch v := v.(type) {
	case []byte:
		return 1
	case []any:
		n := 0
		for _, x := range v {
			n += countBinary(x)
		}
		return n
	case Object:
		n := 0
		for _, m := range v {
			n += countBinary(m.Value)
		}
		return n
	}
	return 0
}

func FuzzArgs(f *testing.F) {
	for _, s := range []string{
		`["message",1,"2",{"3":[true]}]`, `[]`, ` [ "a" , { "k" : [ 1 ] } ] `,
		`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
		`["a",{"z":1,"b":["c",{"num":1,"_placeholder":true}],"y":{"q":2}}]`,
		`[{"\u0041":{"_placeholder":true,"num":0},"x\"y":[]}]`,
		`["\u00e9\ud83d\ude00 é",1.0E+2,-0.5e-3,null,true,false]`,
		`{}`, `"a"`, `[1,]`, `[{"_placeholder":true,"num":"0"}]`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, natt uint8) {
		atts := make([][]byte, natt%4)
		for i := range atts {
			atts[i] = []byte{byte(i)}
		}
		args, err := Args(data, atts)
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		wantOK := len(atts) == 0 && json.Valid(data) && utf8.Valid(data) && len(trimmed) > 0 && trimmed[0] == '['
		if err != nil {
			if wantOK {
				t.Fatalf("got error %v for valid JSON array %q", err, data)
			}
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("got error %v, want it to wrap ErrInvalidPacket", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("got %s for invalid JSON %q, want an error", show(args), data)
		}
		e := encoder{}
		if err := e.value(args); err != nil {
			t.Fatalf("got error %v encoding %s, want none", err, show(args))
		}
		if len(atts) == 0 {
			// Echoing the arguments reproduces them byte for byte.
			var c bytes.Buffer
			if err := json.Compact(&c, data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.buf, c.Bytes()) {
				t.Fatalf("got %s, want %s", e.buf, c.Bytes())
			}
			return
		}
		again, err := Args(e.buf, e.atts)
		if err != nil {
			t.Fatalf("got error %v decoding %s, want none", err, e.buf)
		}
		if show(again) != show(args) {
			t.Fatalf("got %s after re-encoding as %s, want %s", show(again), e.buf, show(args))
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("BUY_GOODS", []byte(`{"nickname":"ann","goodsId":7,"goodsName":"tea","date":"2026-01-02T03:04:05Z"}`), "/", uint64(0), false, false)
	f.Add("upload", []byte(`{"file":"b:hello","meta":["b:","x",{"deep":"b:\u0000\u00ff"}]}`), "/admin", uint64(12), true, false)
	f.Add("", []byte(`[1.5e300,-0,"<&>","\u2028",null]`), "/a b", uint64(18446744073709551615), true, true)
	f.Add("e", []byte(`"b:only"`), "", uint64(1), true, true)
	f.Add("e", []byte(`{"_placeholder":true,"num":0}`), "/", uint64(0), false, false)
	f.Fuzz(func(t *testing.T, event string, payload []byte, nsp string, id uint64, hasID, ack bool) {
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			v = string(payload)
		}
		v = withBinary(v)
		p := Packet{Type: Event, Namespace: nsp, ID: id, HasID: hasID}
		data := []any{event, v}
		if ack {
			p.Type, p.HasID, data = Ack, true, []any{v}
		}
		text, atts, err := Encode(&p, data)
		if err != nil {
			if strings.Contains(err.Error(), "invalid namespace") || strings.Contains(err.Error(), "confused") {
				return
			}
			t.Fatalf("got error %v, want none", err)
		}
		if len(atts) == 0 {
			// Without binary data the payload is what encoding/json writes.
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(data); err != nil {
				t.Fatal(err)
			}
			if want := bytes.TrimSuffix(b.Bytes(), []byte("\n")); !bytes.HasSuffix(text, want) {
				t.Fatalf("got %s, want the payload %s", text, want)
			}
		}
		got := mustDecode(t, text, atts)
		wantNsp := nsp
		if wantNsp == "" {
			wantNsp = "/"
		}
		if got.Namespace != wantNsp || got.HasID != p.HasID || p.HasID && got.ID != p.ID {
			t.Fatalf("got %s, want namespace %q id %d (%t)", describe(got), wantNsp, p.ID, p.HasID)
		}
		if !bytes.HasSuffix(text, got.Data) {
			t.Fatalf("got Data %s, want the tail of %s", got.Data, text)
		}
		args, err := Args(got.Data, got.Attachments)
		if err != nil {
			t.Fatalf("got error %v from Args on %s, want none", err, text)
		}
		text2, atts2 := mustEncode(t, &p, args)
		if !bytes.Equal(text, text2) || !sameBytes(atts, atts2) {
			t.Fatalf("got %s after the round trip, want %s", text2, text)
		}
	})
}

// withBinary turns every string "b:<rest>" inside v into the attachment
// []byte("<rest>").
func withBinary(v any) any {
	switch v := v.(type) {
	case string:
		if rest, ok := strings.CutPrefix(v, "b:"); ok {
			return []byte(rest)
		}
	case []any:
		for i := range v {
			v[i] = withBinary(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = withBinary(v[k])
		}
	}
	return v
}

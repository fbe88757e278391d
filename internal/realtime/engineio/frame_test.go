package engineio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// clientFrame builds a masked client frame as RFC 6455 describes it.
func clientFrame(fin bool, op int, payload []byte, key [4]byte) []byte {
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

type frameOut struct {
	op   int
	data string
}

func TestFrameReader(t *testing.T) {
	long := string(bytes.Repeat([]byte("0123456789"), 1000)) // 16-bit length, over readChunk
	huge := string(bytes.Repeat([]byte("x"), 70_000))        // 64-bit length
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	tests := []struct {
		name    string
		stream  []byte
		limit   int64
		want    []frameOut
		wantErr error
	}{
		{"text", clientFrame(true, opText, []byte("4hello"), testKey), 0, []frameOut{{opText, "4hello"}}, io.EOF},
		{"empty text", clientFrame(true, opText, nil, testKey), 0, []frameOut{{opText, ""}}, io.EOF},
		{"binary", clientFrame(true, opBinary, []byte{0, 1, 2}, testKey), 0, []frameOut{{opBinary, "\x00\x01\x02"}}, io.EOF},
		{"16-bit length", clientFrame(true, opText, []byte(long), testKey), 0, []frameOut{{opText, long}}, io.EOF},
		{"64-bit length", clientFrame(true, opBinary, []byte(huge), testKey), 0, []frameOut{{opBinary, huge}}, io.EOF},
		{"two frames", cat(clientFrame(true, opText, []byte("4a"), testKey), clientFrame(true, opText, []byte("4b"), testKey)), 0,
			[]frameOut{{opText, "4a"}, {opText, "4b"}}, io.EOF},
		{"fragments with a ping between", cat(
			clientFrame(false, opText, []byte("4he"), testKey),
			clientFrame(true, opPing, []byte("hi"), testKey),
			clientFrame(false, opContinuation, []byte("ll"), testKey),
			clientFrame(true, opContinuation, []byte("o"), testKey)), 0,
			[]frameOut{{opPing, "hi"}, {opText, "4hello"}}, io.EOF},
		{"close", clientFrame(true, opClose, []byte{0x03, 0xe8}, testKey), 0, []frameOut{{opClose, "\x03\xe8"}}, io.EOF},
		{"pong", clientFrame(true, opPong, nil, testKey), 0, []frameOut{{opPong, ""}}, io.EOF},
		{"at the limit", clientFrame(true, opText, []byte("12345"), testKey), 5, []frameOut{{opText, "12345"}}, io.EOF},
		{"over the limit", clientFrame(true, opText, []byte("123456"), testKey), 5, nil, errTooBig},
		{"fragments over the limit", cat(clientFrame(false, opText, []byte("123"), testKey), clientFrame(true, opContinuation, []byte("456"), testKey)), 5, nil, errTooBig},
		{"unmasked", []byte{0x81, 0x01, 'x'}, 0, nil, errProtocol},
		{"reserved bits", []byte{0xc1, 0x80, 0, 0, 0, 0}, 0, nil, errProtocol},
		{"unknown opcode", clientFrame(true, 3, nil, testKey), 0, nil, errProtocol},
		{"fragmented ping", clientFrame(false, opPing, nil, testKey), 0, nil, errProtocol},
		{"long ping", clientFrame(true, opPing, make([]byte, 126), testKey), 0, nil, errProtocol},
		{"continuation first", clientFrame(true, opContinuation, []byte("x"), testKey), 0, nil, errProtocol},
		{"text inside fragments", cat(clientFrame(false, opText, []byte("a"), testKey), clientFrame(true, opText, []byte("b"), testKey)), 0, nil, errProtocol},
		{"64-bit length with the top bit", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 0, nil, errProtocol},
		{"truncated header", []byte{0x81}, 0, nil, io.ErrUnexpectedEOF},
		{"truncated payload", clientFrame(true, opText, []byte("4hello"), testKey)[:9], 0, nil, io.ErrUnexpectedEOF},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":       func(r io.Reader) io.Reader { return r },
		"byte a time": iotest.OneByteReader,
		"half":        iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				limit := tt.limit
				if limit == 0 {
					limit = 1 << 20
				}
				fr := newFrameReader(wrap(bytes.NewReader(tt.stream)), newReadPool(), limit)
				defer fr.close()
				var got []frameOut
				var err error
				for {
					if err = fr.wait(); err != nil {
						break
					}
					for err == nil {
						var op int
						var data []byte
						if op, data, err = fr.next(); err == nil {
							got = append(got, frameOut{op, string(data)})
							if !fr.pending() {
								break
							}
						}
					}
					if err != nil {
						break
					}
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error: got %v, want %v", err, tt.wantErr)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("frames: got %d, want %d", len(got), len(tt.want))
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("frame %d: got op %d %d bytes, want op %d %d bytes", i, got[i].op, len(got[i].data), tt.want[i].op, len(tt.want[i].data))
					}
				}
			})
		}
	}
}

func TestMaskBytes(t *testing.T) {
	for n := range 40 {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		want := make([]byte, n)
		for i := range want {
			want[i] = data[i] ^ testKey[i&3]
		}
		maskBytes(testKey, 0, data)
		if !bytes.Equal(data, want) {
			t.Errorf("maskBytes of %d bytes: got %x, want %x", n, data, want)
		}
	}
}

// FuzzFrameReader feeds arbitrary streams to the frame reader: it must
// never panic, never return a message over the limit, and read well-formed
// frames built from the input back unchanged.
func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrame(true, opText, []byte("4hello"), testKey), uint8(0))
	f.Add(append(clientFrame(false, opBinary, []byte{1, 2}, testKey), clientFrame(true, opContinuation, []byte{3}, testKey)...), uint8(3))
	f.Add(clientFrame(true, opPing, []byte("p"), testKey), uint8(1))
	f.Add([]byte{0x81, 0xfe, 0xff, 0xff}, uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		const limit = 512
		fr := newFrameReader(iotest.HalfReader(bytes.NewReader(stream)), newReadPool(), limit)
		defer fr.close()
		for range 1000 {
			if err := fr.wait(); err != nil {
				break
			}
			op, data, err := fr.next()
			if err != nil {
				break
			}
			if len(data) > limit {
				t.Fatalf("message of %d bytes, over the limit %d", len(data), limit)
			}
			if op != opText && op != opBinary && op != opPing && op != opPong && op != opClose {
				t.Fatalf("op %d returned", op)
			}
		}

		// The input as the payload of a message split in two fragments.
		payload := stream
		if len(payload) > limit {
			payload = payload[:limit]
		}
		cut := int(split) % (len(payload) + 1)
		good := append(clientFrame(false, opBinary, payload[:cut], testKey), clientFrame(true, opContinuation, payload[cut:], testKey)...)
		fr2 := newFrameReader(iotest.OneByteReader(bytes.NewReader(good)), newReadPool(), limit)
		defer fr2.close()
		if err := fr2.wait(); err != nil {
			t.Fatal(err)
		}
		op, data, err := fr2.next()
		if err != nil || op != opBinary || !bytes.Equal(data, payload) {
			t.Fatalf("well-formed message: got op %d %x %v, want binary %x", op, data, err, payload)
		}
	})
}

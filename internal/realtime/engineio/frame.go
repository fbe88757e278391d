package engineio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/gorilla/websocket"
)

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = websocket.TextMessage
	opBinary       = websocket.BinaryMessage
	opClose        = websocket.CloseMessage
	opPing         = websocket.PingMessage
	opPong         = websocket.PongMessage
)

// readChunk is the size of the buffers a frameReader borrows while bytes
// are arriving.
const readChunk = 4096

// Errors of the frameReader, each answered with its close code.
var (
	errProtocol = errors.New("engineio: websocket protocol error")
	errTooBig   = errors.New("engineio: websocket message too big")
)

// frameReader reads a client's WebSocket frames and assembles its messages.
//
// It replaces gorilla/websocket's reader (writing stays with gorilla) for
// the sake of idle connections: gorilla's keeps a read buffer per
// connection and parks its goroutine deep in its call chain, where the
// stack needs 4 KiB. This one waits for the first byte of the next frame
// holding no buffer, in a shallow frame that fits the minimal 2 KiB stack,
// and borrows a pooled buffer only while bytes are arriving.
type frameReader struct {
	src   io.Reader
	pool  *sync.Pool // of *[]byte, readChunk long
	limit int64      // maximum message size

	buf  *[]byte // borrowed while unread bytes may follow; nil when idle
	r, w int     // unread bytes are (*buf)[r:w]
	one  [1]byte // the byte that ends an idle wait

	msg   []byte // fragments of the message being assembled
	msgOp int    // its opcode; 0 when none
}

func newFrameReader(src io.Reader, pool *sync.Pool, limit int64) *frameReader {
	return &frameReader{src: src, pool: pool, limit: limit}
}

// newReadPool returns a pool of read buffers for frameReaders.
func newReadPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, readChunk)
		return &b
	}}
}

// next returns the next message (opText or opBinary, all its fragments
// joined) or control frame (opClose, opPing, opPong) of the client. The
// data of a message is the caller's; that of a control frame is valid
// until the next call. errTooBig and errProtocol report a client to be
// closed with codes 1009 and 1002.
func (fr *frameReader) next() (op int, data []byte, err error) {
	for {
		if err := fr.fill(2); err != nil {
			return 0, nil, err
		}
		b := *fr.buf
		b0, b1 := b[fr.r], b[fr.r+1]
		fin, op := b0&0x80 != 0, int(b0&0x0f)
		if b0&0x70 != 0 {
			return 0, nil, fmt.Errorf("%w: reserved bits set", errProtocol)
		}
		if b1&0x80 == 0 {
			return 0, nil, fmt.Errorf("%w: unmasked client frame", errProtocol)
		}
		header := 6
		size := int64(b1 & 0x7f)
		switch size {
		case 126:
			header += 2
		case 127:
			header += 8
		}
		if err := fr.fill(header); err != nil {
			return 0, nil, err
		}
		b = *fr.buf
		switch size {
		case 126:
			size = int64(binary.BigEndian.Uint16(b[fr.r+2:]))
		case 127:
			u := binary.BigEndian.Uint64(b[fr.r+2:])
			if u > 1<<62 {
				return 0, nil, fmt.Errorf("%w: frame length %d", errProtocol, u)
			}
			size = int64(u)
		}
		var key [4]byte
		copy(key[:], b[fr.r+header-4:])
		fr.r += header

		switch op {
		case opClose, opPing, opPong:
			if !fin || size > 125 {
				return 0, nil, fmt.Errorf("%w: control frame fragmented or over 125 bytes", errProtocol)
			}
			// Control payloads are small: read them into the buffer and
			// hand out a view of it.
			if err := fr.fill(int(size)); err != nil {
				return 0, nil, err
			}
			payload := (*fr.buf)[fr.r : fr.r+int(size)]
			fr.r += int(size)
			maskBytes(key, 0, payload)
			return op, payload, nil
		case opText, opBinary:
			if fr.msgOp != 0 {
				return 0, nil, fmt.Errorf("%w: data frame inside a fragmented message", errProtocol)
			}
		case opContinuation:
			if fr.msgOp == 0 {
				return 0, nil, fmt.Errorf("%w: continuation without a message", errProtocol)
			}
		default:
			return 0, nil, fmt.Errorf("%w: opcode %d", errProtocol, op)
		}
		if int64(len(fr.msg))+size > fr.limit {
			return 0, nil, errTooBig
		}
		start := len(fr.msg)
		fr.msg = grow(fr.msg, int(size))
		if err := fr.readPayload(fr.msg[start:]); err != nil {
			return 0, nil, err
		}
		maskBytes(key, 0, fr.msg[start:])
		if op != opContinuation {
			fr.msgOp = op
		}
		if !fin {
			continue
		}
		op, data = fr.msgOp, fr.msg
		fr.msg, fr.msgOp = nil, 0
		return op, data, nil
	}
}

// grow extends b by n bytes. A message of one frame, the usual case, gets
// a slice of exactly its size.
func grow(b []byte, n int) []byte {
	if b == nil {
		return make([]byte, n)
	}
	if len(b)+n <= cap(b) {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}

// wait returns when the next byte of the stream has arrived, holding no
// buffer meanwhile: the previous one goes back to the pool (control
// payloads handed out by next are then invalid). It is meant for the top
// frame of a goroutine, where the wait costs the least stack.
func (fr *frameReader) wait() error {
	if fr.buf != nil {
		if fr.pending() {
			return nil
		}
		fr.release()
	}
	for {
		n, err := fr.src.Read(fr.one[:])
		if n == 1 {
			break
		}
		if err != nil {
			return err
		}
	}
	fr.buf = fr.pool.Get().(*[]byte)
	(*fr.buf)[0] = fr.one[0]
	fr.r, fr.w = 0, 1
	return nil
}

// idle returns the buffer, if any, to the pool once no byte is pending:
// the reader then holds nothing between bursts.
func (fr *frameReader) idle() {
	if fr.buf != nil && !fr.pending() {
		fr.release()
	}
}

// pending reports whether bytes of the stream are known to follow: unread
// buffered bytes or a message awaiting its next fragment.
func (fr *frameReader) pending() bool {
	return fr.r < fr.w || fr.msgOp != 0
}

// fill makes at least n (at most readChunk) unread bytes available.
func (fr *frameReader) fill(n int) error {
	if fr.buf == nil {
		fr.buf = fr.pool.Get().(*[]byte)
		fr.r, fr.w = 0, 0
	}
	for fr.w-fr.r < n {
		b := *fr.buf
		if len(b)-fr.r < n {
			fr.w = copy(b, b[fr.r:fr.w])
			fr.r = 0
		}
		m, err := fr.src.Read(b[fr.w:])
		fr.w += m
		if err != nil && fr.w-fr.r < n {
			if errors.Is(err, io.EOF) && fr.w > fr.r {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readPayload fills dst with the next len(dst) bytes of the stream: first
// the buffered ones, then straight from the source.
func (fr *frameReader) readPayload(dst []byte) error {
	if fr.buf != nil {
		n := copy(dst, (*fr.buf)[fr.r:fr.w])
		fr.r += n
		dst = dst[n:]
	}
	if len(dst) == 0 {
		return nil
	}
	if _, err := io.ReadFull(fr.src, dst); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// release returns the drained buffer to the pool.
func (fr *frameReader) release() {
	fr.pool.Put(fr.buf)
	fr.buf = nil
	fr.r, fr.w = 0, 0
}

// close returns any borrowed buffer; the reader must not be used again.
func (fr *frameReader) close() {
	if fr.buf != nil {
		fr.release()
	}
	fr.msg = nil
}

// maskBytes applies the client's masking key to b, whose first byte is at
// position pos of the payload, eight bytes at a time where it can.
func maskBytes(key [4]byte, pos int, b []byte) {
	var k8 [8]byte
	for i := range k8 {
		k8[i] = key[(pos+i)&3]
	}
	kw := binary.LittleEndian.Uint64(k8[:])
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^kw)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= k8[i]
	}
}

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// WebSocket framing for the epoll receive path (RFC 6455 §5.2). Frames from
// the server are unmasked; frames to the server must carry a mask, and this
// client uses the all-zero key, which leaves the payload unchanged so that
// frames can be prepared once: the key is chosen by the client and servers
// only XOR with it.

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// maxFrame bounds a server frame; BUY_GOODS frames are ~150 bytes, and a
// larger frame means the connection is not what we think it is.
const maxFrame = 1 << 20

var (
	errFrameTooLarge = errors.New("websocket frame too large")
	errBadFrame      = errors.New("malformed websocket frame")
)

// frameHeader is one parsed frame header.
type frameHeader struct {
	fin     bool
	op      byte
	hdrLen  int // bytes before the payload
	payload int // payload length
	mask    [4]byte
	masked  bool
}

// parseFrameHeader reads the header at the start of p. ok is false when p
// holds only part of the header.
func parseFrameHeader(p []byte) (h frameHeader, ok bool, err error) {
	if len(p) < 2 {
		return h, false, nil
	}
	h.fin = p[0]&0x80 != 0
	h.op = p[0] & 0x0f
	if p[0]&0x70 != 0 {
		return h, false, errBadFrame // no extension is negotiated
	}
	h.masked = p[1]&0x80 != 0
	n := int(p[1] & 0x7f)
	h.hdrLen = 2
	switch n {
	case 126:
		if len(p) < 4 {
			return h, false, nil
		}
		n = int(binary.BigEndian.Uint16(p[2:4]))
		h.hdrLen = 4
	case 127:
		if len(p) < 10 {
			return h, false, nil
		}
		n64 := binary.BigEndian.Uint64(p[2:10])
		if n64 > maxFrame {
			return h, false, errFrameTooLarge
		}
		n = int(n64)
		h.hdrLen = 10
	}
	if n > maxFrame {
		return h, false, errFrameTooLarge
	}
	if h.masked {
		if len(p) < h.hdrLen+4 {
			return h, false, nil
		}
		copy(h.mask[:], p[h.hdrLen:h.hdrLen+4])
		h.hdrLen += 4
	}
	h.payload = n
	return h, true, nil
}

// appendClientFrame appends a final, masked (zero key) frame.
func appendClientFrame(dst []byte, op byte, payload []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, 0, 0, 0, 0)
	return append(dst, payload...)
}

// wsPongFrame is the prepared Engine.IO pong ("3") as a text frame.
var wsPongFrame = appendClientFrame(nil, opText, framePong)

// skipMessages returns the bytes of a server byte stream that follow its
// HTTP response header and its first n data messages: what a reader that
// consumed exactly those has not seen yet. Control frames between them are
// skipped as the reader would have handled them.
func skipMessages(stream []byte, n int) ([]byte, error) {
	i := bytes.Index(stream, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, errors.New("no end of the HTTP response in the handshake bytes")
	}
	p := stream[i+4:]
	for n > 0 {
		h, ok, err := parseFrameHeader(p)
		if err != nil {
			return nil, err
		}
		if !ok || len(p) < h.hdrLen+h.payload {
			return nil, errors.New("handshake bytes end inside a frame already consumed")
		}
		p = p[h.hdrLen+h.payload:]
		if h.fin && h.op < opClose {
			n--
		}
	}
	return p, nil
}

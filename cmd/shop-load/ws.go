package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// handshakeTimeout bounds the WebSocket upgrade plus the Engine.IO and
// Socket.IO handshakes of one client.
const handshakeTimeout = 15 * time.Second

// newDialers returns one WebSocket dialer per source address (or one
// unbound dialer). Buffers are small: a BUY_GOODS frame is ~150 bytes, and
// writes borrow a pooled buffer only while writing.
func newDialers(srcs []*net.TCPAddr, readBuf int) []*websocket.Dialer {
	pool := &sync.Pool{}
	mk := func(src *net.TCPAddr) *websocket.Dialer {
		nd := &net.Dialer{Timeout: handshakeTimeout, LocalAddr: src}
		if src == nil {
			nd.LocalAddr = nil // a typed nil would make every dial fail
		}
		return &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: handshakeTimeout,
			ReadBufferSize:   readBuf,
			WriteBufferSize:  256,
			WriteBufferPool:  pool,
		}
	}
	if len(srcs) == 0 {
		return []*websocket.Dialer{mk(nil)}
	}
	out := make([]*websocket.Dialer, len(srcs))
	for i, s := range srcs {
		out[i] = mk(s)
	}
	return out
}

// runWS is the life of one WebSocket client: upgrade, Engine.IO open,
// Socket.IO CONNECT, then read until the connection ends. It is the
// connection's only goroutine; it answers pings itself. It returns when the
// connection closes, which closeAll forces at the end of the run.
func (r *runner) runWS(ctx context.Context, c *client, d *websocket.Dialer) {
	var hdr http.Header
	if c.buyer != nil && c.buyer.acct.cookie != "" {
		hdr = http.Header{"Cookie": {c.buyer.acct.cookie}}
	}
	dctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	conn, resp, err := d.DialContext(dctx, r.wsURL, hdr)
	cancel()
	if err != nil {
		if resp != nil {
			r.lost(c, fmt.Sprintf("websocket upgrade: HTTP %d", resp.StatusCode))
		} else {
			r.lost(c, "dial: "+shortErr(err))
		}
		return
	}
	defer conn.Close()
	c.ws.Store(conn)
	if r.stopping.Load() {
		r.lost(c, "stopped")
		return
	}
	if err := r.openWS(c, conn); err != nil {
		r.lost(c, err.Error())
		return
	}
	r.connected(c)

	buf := make([]byte, 0, 256)
	for {
		var p []byte
		p, buf, err = readText(conn, buf)
		if err != nil {
			r.lost(c, "read: "+shortErr(err))
			return
		}
		if p == nil {
			continue // binary frames carry nothing we measure
		}
		reply, done := r.handle(c, p)
		if done {
			r.lost(c, "closed by server")
			return
		}
		if reply != nil {
			if err := r.writeWS(c, conn, reply); err != nil {
				r.lost(c, "write: "+shortErr(err))
				return
			}
		}
	}
}

// openWS runs the Engine.IO and Socket.IO handshakes on a fresh WebSocket.
func (r *runner) openWS(c *client, conn *websocket.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	p, _, err := readText(conn, nil)
	if err != nil {
		return fmt.Errorf("read open packet: %s", shortErr(err))
	}
	if _, err := parseOpen(p); err != nil {
		return err
	}
	if err := r.writeWS(c, conn, frameConnect); err != nil {
		return fmt.Errorf("write CONNECT: %s", shortErr(err))
	}
	buf := make([]byte, 0, 256)
	for {
		p, buf, err = readText(conn, buf)
		if err != nil {
			return fmt.Errorf("wait for CONNECT: %s", shortErr(err))
		}
		switch classify(p) {
		case kindConnected:
			_ = conn.SetReadDeadline(time.Time{})
			return nil
		case kindConnectError:
			return fmt.Errorf("connect_error: %s", truncate(p[2:], 120))
		case kindPing:
			if err := r.writeWS(c, conn, framePong); err != nil {
				return fmt.Errorf("write pong: %s", shortErr(err))
			}
		case kindClose:
			return errors.New("closed during handshake")
		}
	}
}

func (r *runner) writeWS(c *client, conn *websocket.Conn, p []byte) error {
	if b := c.buyer; b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return conn.WriteMessage(websocket.TextMessage, p)
}

// readText reads the next message into buf (grown as needed) and returns
// it; p is nil for a binary message. The buffer is reused across messages,
// so that a run allocates almost nothing per delivery.
func readText(conn *websocket.Conn, buf []byte) (p, newBuf []byte, err error) {
	typ, rd, err := conn.NextReader()
	if err != nil {
		return nil, buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, buf, err
		}
	}
	if typ != websocket.TextMessage {
		return nil, buf, nil
	}
	return buf, buf, nil
}

// shortErr keeps failure reasons groupable: the last part of an error
// chain, without addresses and ports that differ per connection.
func shortErr(err error) string {
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Err != nil {
		return ne.Op + ": " + ne.Err.Error()
	}
	if ce := (*websocket.CloseError)(nil); errors.As(err, &ce) {
		return fmt.Sprintf("websocket close %d", ce.Code)
	}
	return err.Error()
}

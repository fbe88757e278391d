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
// With record set, each connection records what it reads, for takeOver.
func newDialers(srcs []*net.TCPAddr, readBuf int, record bool) []*websocket.Dialer {
	pool := &sync.Pool{}
	mk := func(src *net.TCPAddr) *websocket.Dialer {
		nd := &net.Dialer{Timeout: handshakeTimeout}
		if src != nil {
			nd.LocalAddr = src // a typed nil would make every dial fail
		}
		dial := nd.DialContext
		if record {
			dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := nd.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &recConn{Conn: c}, nil
			}
		}
		return &websocket.Dialer{
			NetDialContext:   dial,
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
// connection closes, which closeAll forces at the end of the run, or, with
// the epoll reader, as soon as the poller has taken the connection over.
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
	c.ws.Store(conn) // so that closeAll can end a handshake in progress
	if r.stopping.Load() {
		conn.Close()
		r.lost(c, "stopped")
		return
	}
	msgs, err := r.openWS(c, conn)
	if err != nil {
		conn.Close()
		r.lost(c, err.Error())
		return
	}
	if r.poller != nil {
		if err := r.poller.takeOver(c, conn.UnderlyingConn().(*recConn), msgs, func() { r.connected(c) }); err != nil {
			conn.Close()
			r.lost(c, "take over: "+err.Error())
		}
		return
	}
	defer conn.Close()
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

// openWS runs the Engine.IO and Socket.IO handshakes on a fresh WebSocket
// and returns how many messages it read.
func (r *runner) openWS(c *client, conn *websocket.Conn) (msgs int, err error) {
	_ = conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	p, _, err := readText(conn, nil)
	if err != nil {
		return msgs, fmt.Errorf("read open packet: %s", shortErr(err))
	}
	msgs++
	if _, err := parseOpen(p); err != nil {
		return msgs, err
	}
	if err := r.writeWS(c, conn, frameConnect); err != nil {
		return msgs, fmt.Errorf("write CONNECT: %s", shortErr(err))
	}
	buf := make([]byte, 0, 256)
	for {
		p, buf, err = readText(conn, buf)
		if err != nil {
			return msgs, fmt.Errorf("wait for CONNECT: %s", shortErr(err))
		}
		msgs++
		switch classify(p) {
		case kindConnected:
			_ = conn.SetReadDeadline(time.Time{})
			return msgs, nil
		case kindConnectError:
			return msgs, fmt.Errorf("connect_error: %s", truncate(p[2:], 120))
		case kindPing:
			if err := r.writeWS(c, conn, framePong); err != nil {
				return msgs, fmt.Errorf("write pong: %s", shortErr(err))
			}
		case kindClose:
			return msgs, errors.New("closed during handshake")
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

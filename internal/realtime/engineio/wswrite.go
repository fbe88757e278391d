package engineio

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// wsWriter is the only way bytes reach a WebSocket after its handshake:
// data frames written by the session's flusher or by its writer
// goroutine, and the control frames of the reader (pongs, close frames).
// A token in sem is the right to write to the socket, so frames never
// interleave. Frames are written as prepared bytes straight to the
// hijacked connection; gorilla's write path is not used.
type wsWriter struct {
	conn *websocket.Conn
	nc   net.Conn
	rc   syscall.RawConn // nil when the socket has no descriptor (TLS): no flusher writes
	sem  chan struct{}

	// Guarded by sem:
	// rest is the unwritten tail of a partial flusher write; it goes out
	// before any other byte.
	rest     net.Buffers
	deadline time.Time // the socket's write deadline
	pending  net.Buffers
	n        int   // result of rawWrite
	err      error // result of rawWrite
	rawFn    func(fd uintptr) bool

	// bufs holds the frames of the write being prepared, under the
	// session's mu: the flusher's while no writer goroutine runs,
	// otherwise the writer goroutine's.
	bufs net.Buffers
}

func newWSWriter(conn *websocket.Conn) *wsWriter {
	w := &wsWriter{conn: conn, nc: conn.NetConn(), sem: make(chan struct{}, 1)}
	if sc, ok := w.nc.(syscall.Conn); ok && rawWrites {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			w.rawFn = w.rawWrite
		}
	}
	return w
}

// tryWrite writes w.bufs now if the socket is free and takes the bytes
// without waiting. It reports false when nothing was written; otherwise
// everything is out or the unwritten tail is in w.rest. w.bufs is cleared.
func (w *wsWriter) tryWrite() bool {
	defer func() {
		clear(w.bufs)
		w.bufs = w.bufs[:0]
	}()
	if w.rc == nil {
		return false
	}
	select {
	case w.sem <- struct{}{}:
	default: // a control frame is being written
		return false
	}
	defer func() { <-w.sem }()
	w.n, w.err = 0, nil
	if err := w.rc.Write(w.rawFn); err != nil || w.err != nil || w.n <= 0 {
		// A full socket buffer, an expired deadline or a broken
		// connection: the writer goroutine waits, refreshes or fails.
		return false
	}
	n := w.n
	for i, b := range w.bufs {
		if n < len(b) {
			w.rest = append(w.rest, b[n:])
			w.rest = append(w.rest, w.bufs[i+1:]...)
			break
		}
		n -= len(b)
	}
	return true
}

// flush writes the tail of a partial flusher write, then w.bufs, waiting
// for the socket. The write deadline is refreshed only once it is half
// spent, not per write.
func (w *wsWriter) flush(timeout time.Duration) error {
	w.sem <- struct{}{}
	defer func() { <-w.sem }()
	if now := time.Now(); w.deadline.Sub(now) < timeout/2 {
		w.deadline = now.Add(timeout)
		if err := w.nc.SetWriteDeadline(w.deadline); err != nil {
			return fmt.Errorf("engineio: set write deadline: %w", err)
		}
	}
	if len(w.rest) > 0 {
		if _, err := w.rest.WriteTo(w.nc); err != nil {
			return fmt.Errorf("engineio: write frames: %w", err)
		}
	}
	w.pending = w.bufs // WriteTo consumes pending and keeps bufs' array
	_, err := w.pending.WriteTo(w.nc)
	clear(w.bufs)
	w.bufs = w.bufs[:0]
	if err != nil {
		return fmt.Errorf("engineio: write frames: %w", err)
	}
	return nil
}

// errWriterBusy reports a control frame given up on because the socket
// stayed busy for closeFrameTimeout.
var errWriterBusy = errors.New("engineio: websocket writer busy")

// writeControl writes one control frame, after the tail of a partial
// write, waiting at most closeFrameTimeout.
func (w *wsWriter) writeControl(frame []byte) error {
	t := time.NewTimer(closeFrameTimeout)
	defer t.Stop()
	select {
	case w.sem <- struct{}{}:
	case <-t.C:
		return errWriterBusy
	}
	defer func() { <-w.sem }()
	w.deadline = time.Now().Add(closeFrameTimeout)
	if err := w.nc.SetWriteDeadline(w.deadline); err != nil {
		return fmt.Errorf("engineio: set write deadline: %w", err)
	}
	if len(w.rest) > 0 {
		if _, err := w.rest.WriteTo(w.nc); err != nil {
			return fmt.Errorf("engineio: write frames: %w", err)
		}
	}
	if _, err := w.nc.Write(frame); err != nil {
		return fmt.Errorf("engineio: write control frame: %w", err)
	}
	return nil
}

// writerLocked returns the writer of the session's WebSocket.
func (s *Session) writerLocked() *wsWriter {
	if s.wsw == nil || s.wsw.conn != s.ws {
		s.wsw = newWSWriter(s.ws)
	}
	return s.wsw
}

// connWriter returns the writer of conn: the session's own when conn
// carries the session, else a fresh one, conn then having no other writer
// (a probing or refused WebSocket).
func (s *Session) connWriter(conn *websocket.Conn) *wsWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws != nil && conn == s.ws {
		return s.writerLocked()
	}
	return newWSWriter(conn)
}

// writeControl writes a control frame of type op (websocket.PongMessage,
// websocket.CloseMessage) to conn, in turn with the session's frames. It
// waits at most closeFrameTimeout.
func (s *Session) writeControl(conn *websocket.Conn, op int, payload []byte) error {
	return s.connWriter(conn).writeControl(appendFrame(nil, op, payload))
}

// closeWebSocket closes conn politely: a close frame with code, in turn
// with the session's frames, then the socket.
func (s *Session) closeWebSocket(conn *websocket.Conn, code int) {
	_ = s.connWriter(conn).writeControl(closeFrame(code))
	_ = conn.Close()
}

// startWriterLocked starts the writer goroutine.
func (s *Session) startWriterLocked(w *wsWriter) {
	s.writing = true
	s.srv.writerStarts.Add(1)
	s.srv.wg.Add(1) // the session's own count is held: wg is above zero
	go s.writeLoop(w)
}

// writeLoop writes the queued packets to the socket, all that are queued
// in one system call per round, after the tail of a partial flusher write.
// It exits when the queue is empty after a round (the flusher takes over or
// starts it again), when a write fails, or once the close packet is out.
// Only one runs per session at a time.
func (s *Session) writeLoop(w *wsWriter) {
	defer s.srv.wg.Done()
	for first := true; ; first = false {
		s.mu.Lock()
		if s.state == stateClosed || (!first && s.head == len(s.queue)) {
			s.writing = false
			s.releaseQueueLocked()
			if cap(w.bufs) > 4 {
				w.bufs = nil
			}
			s.mu.Unlock()
			return
		}
		closing := false
		for _, m := range s.queue[s.head:] {
			w.bufs = append(w.bufs, m.wsFrame())
			closing = closing || m == s.srv.closeMsg
		}
		if closing {
			w.bufs = append(w.bufs, closeFrame(websocket.CloseNormalClosure))
		}
		clear(s.queue[s.head:])
		s.queue, s.head = s.queue[:0], 0
		s.wakeReaderLocked()
		s.mu.Unlock()

		if err := w.flush(s.srv.writeTimeout); err != nil {
			s.terminate(ReasonTransportError, packetClose)
			return
		}
		if closing {
			s.terminate(ReasonForcedClose, packetClose) // keeps the graceful close's reason
			return
		}
	}
}

// releaseQueueLocked empties a drained queue, keeping a small backing
// array for the next burst and dropping a large one.
func (s *Session) releaseQueueLocked() {
	if s.head < len(s.queue) {
		return
	}
	if cap(s.queue) > 4 {
		s.queue = nil
	} else {
		s.queue = s.queue[:0]
	}
	s.head = 0
}

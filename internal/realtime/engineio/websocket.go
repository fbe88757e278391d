package engineio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// closeFrameTimeout bounds the writing of a close frame.
const closeFrameTimeout = time.Second

// openWebSocket creates a session for a WebSocket opened without polling
// first; its open packet is the first frame.
func (s *Server) openWebSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("engineio: websocket upgrade", "remote", r.RemoteAddr, "err", err)
		return // the upgrader has answered
	}
	sess := s.newSession(r, TransportWebSocket)
	s.shareURL(sess.hs)
	sess.ws = conn
	if !s.register(sess, 1) {
		sess.timer.Stop()
		closeConn(conn)
		return
	}
	if s.opts.OnSession != nil {
		s.opts.OnSession(sess)
	}
	sess.mu.Lock()
	if sess.state != stateClosed {
		sess.kickLocked()
	}
	sess.mu.Unlock()
	go s.readLoop(sess, conn, nil)
}

// serveUpgrade takes a WebSocket offered to a polling session. Until the
// client's upgrade packet the connection only answers the probe; a second
// WebSocket for the same session is accepted and closed.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, sess *Session) {
	if s.opts.DisableUpgrades || !s.polling {
		writeError(w, errBadRequest)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("engineio: websocket upgrade", "sid", sess.id, "err", err)
		return
	}
	sess.mu.Lock()
	if sess.state != stateOpen || sess.ws != nil || sess.upgrade != nil {
		sess.mu.Unlock()
		closeConn(conn)
		return
	}
	up := &upgrade{conn: conn}
	sess.upgrade = up
	up.timer = time.AfterFunc(s.opts.UpgradeTimeout, func() { sess.abortUpgrade(up) })
	s.wg.Add(1) // the session's own count is held: wg is above zero
	sess.mu.Unlock()
	go s.readLoop(sess, conn, up)
}

// closeConn closes a WebSocket politely: a close frame, then the socket.
func closeConn(conn *websocket.Conn) { closeConnCode(conn, websocket.CloseNormalClosure) }

// closeConnCode closes a WebSocket with a close frame of the given code.
func closeConnCode(conn *websocket.Conn, code int) {
	msg := websocket.FormatCloseMessage(code, "")
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeFrameTimeout))
	_ = conn.Close()
}

// readLoop is the only reader of conn. While up is non-nil, conn is a
// probing WebSocket that only answers the probe and waits for the upgrade
// packet; then it carries the session. It exits when conn fails or is
// closed, by the peer or by the session's end.
//
// Once conn carries the session, the loop hands it to the server's poller
// where there is one, and exits: an idle session then holds no goroutine.
// Otherwise the loop itself stays tiny: between bursts of frames the
// goroutine waits here, in a stack that fits the runtime's minimal 2 KiB,
// while the deep work of a burst happens in readBurst.
func (s *Server) readLoop(sess *Session, conn *websocket.Conn, up *upgrade) {
	defer s.wg.Done()
	fr := newFrameReader(conn.NetConn(), s.readPool, s.opts.MaxPayload)
	defer fr.close()
	watch := true
	for {
		if watch && up == nil {
			if s.watchWebSocket(sess, conn, fr) {
				return
			}
			watch = false
		}
		if err := fr.wait(); err != nil {
			s.readFailed(sess, conn, up, err)
			return
		}
		if up = s.readBurst(sess, conn, fr, up); fr.src == nil {
			return
		}
	}
}

// readBurst handles the frames of conn until no byte of the stream is left
// unread. It returns the upgrade still in progress, if any, and clears
// fr.src when the connection is done with.
func (s *Server) readBurst(sess *Session, conn *websocket.Conn, fr *frameReader, up *upgrade) *upgrade {
	for {
		typ, data, err := fr.next()
		switch {
		case err != nil:
		case typ == opPing:
			_ = sess.writeControl(conn, websocket.PongMessage, data)
		case typ == opPong:
		case typ == opClose:
			sess.closeWebSocket(conn, closeCode(data))
			err = errPeerClosed
		case up != nil:
			up, err = s.upgradeFrame(sess, conn, up, typ, data)
		default:
			var p packet
			if p, err = decodeFrame(typ, data); err != nil {
				s.log.Debug("engineio: decode websocket frame", "sid", sess.id, "err", err)
				sess.terminate(ReasonParseError, packetClose)
				fr.src = nil
				return nil
			}
			sess.onPacket(p)
			sess.awaitRoom()
		}
		if err != nil {
			s.readFailed(sess, conn, up, err)
			fr.src = nil
			return nil
		}
		if !fr.pending() {
			return up
		}
	}
}

// upgradeFrame handles a message of a probing WebSocket: it answers the
// probe and completes the upgrade. It returns the upgrade still in
// progress: nil once complete.
func (s *Server) upgradeFrame(sess *Session, conn *websocket.Conn, up *upgrade, typ int, data []byte) (*upgrade, error) {
	switch {
	case typ == websocket.TextMessage && string(data) == "2probe":
		// conn is not yet the session's transport: no writer goroutine
		// competes for it.
		if err := s.probeMsg.writeTo(conn); err != nil {
			return up, fmt.Errorf("engineio: answer probe: %w", err)
		}
		sess.probed(up)
		return up, nil
	case typ == websocket.TextMessage && string(data) == "5":
		if !sess.completeUpgrade(up) {
			return up, errUpgradeAbandoned
		}
		return nil, nil
	default:
		return up, fmt.Errorf("%w: packet %q before the upgrade", errInvalidPacket, data)
	}
}

// errUpgradeAbandoned reports an upgrade packet after the upgrade timed
// out or the session closed.
var errUpgradeAbandoned = errors.New("engineio: upgrade abandoned")

// readFailed ends conn after err: a probing connection is dropped and its
// session carries on; otherwise the session ends, with a close frame whose
// code tells the client what it did wrong.
func (s *Server) readFailed(sess *Session, conn *websocket.Conn, up *upgrade, err error) {
	if up != nil {
		if errors.Is(err, errUpgradeAbandoned) {
			closeConn(conn)
		}
		sess.abortUpgrade(up)
		return
	}
	reason := ReasonTransportClose
	switch {
	case errors.Is(err, errTooBig):
		sess.closeWebSocket(conn, websocket.CloseMessageTooBig)
		reason = ReasonTransportError
	case errors.Is(err, errProtocol):
		sess.closeWebSocket(conn, websocket.CloseProtocolError)
		reason = ReasonTransportError
	}
	sess.terminate(reason, packetClose)
}

// errPeerClosed reports a close frame of the client.
var errPeerClosed = errors.New("engineio: websocket closed by the client")

// closeCode returns the status code of a close frame's payload, the code
// to answer it with: the same, or 1000 when it has none.
func closeCode(payload []byte) int {
	if len(payload) < 2 {
		return websocket.CloseNormalClosure
	}
	return int(binary.BigEndian.Uint16(payload))
}

// decodeFrame decodes the packet of one WebSocket frame: binary frames are
// binary messages, text frames hold one packet in its text form.
func decodeFrame(typ int, data []byte) (packet, error) {
	if typ == websocket.BinaryMessage {
		return packet{typ: packetMessage, data: data, binary: true}, nil
	}
	return decodeText(data)
}

// probed records that up answered the probe and ends a pending poll.
func (s *Session) probed(up *upgrade) {
	s.mu.Lock()
	if s.upgrade == up {
		up.probed = true
		s.wakePollLocked()
	}
	s.mu.Unlock()
}

// completeUpgrade makes up the session's transport and flushes the queue
// to it. It fails when the upgrade was abandoned meanwhile.
func (s *Session) completeUpgrade(up *upgrade) bool {
	s.mu.Lock()
	if s.upgrade != up || s.state != stateOpen {
		s.mu.Unlock()
		return false
	}
	s.upgrade = nil
	s.ws = up.conn
	s.wakePollLocked()
	s.kickLocked()
	s.mu.Unlock()
	up.timer.Stop()
	return true
}

// abortUpgrade abandons up; the session stays on polling.
func (s *Session) abortUpgrade(up *upgrade) {
	s.mu.Lock()
	if s.upgrade == up {
		s.upgrade = nil
	}
	s.mu.Unlock()
	up.timer.Stop()
	_ = up.conn.Close()
}

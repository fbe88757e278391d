package engineio

import (
	"errors"
	"syscall"

	"github.com/gorilla/websocket"
)

// wsReader is the read side of a WebSocket session whose socket the
// poller watches between bursts of frames.
type wsReader struct {
	sess  *Session
	conn  *websocket.Conn
	raw   syscall.RawConn
	token uint64 // the poller's name for the socket
	fr    frameReader
}

// watcher returns the server's poller, started on first use, or nil when
// idle WebSockets keep a reader goroutine: off Linux, once Shutdown has
// begun, or when epoll is unavailable.
func (s *Server) watcher() *poller {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.pollerFailed {
		return nil
	}
	if s.poller == nil {
		p, err := newPoller(s.readTurn)
		if err != nil {
			s.pollerFailed = true
			if !errors.Is(err, errors.ErrUnsupported) {
				s.log.Warn("engineio: idle WebSockets keep a reader goroutine", "err", err)
			}
			return nil
		}
		s.poller = p
	}
	return s.poller
}

// watchWebSocket hands the reading of conn to the poller, so that between
// bursts of frames the session holds no goroutine. fr must have no byte
// pending. It reports false, leaving the reading to the caller, when there
// is no poller or conn has no socket of its own. The caller holds a count
// in s.wg meanwhile, so that Shutdown cannot stop the poller under it.
func (s *Server) watchWebSocket(sess *Session, conn *websocket.Conn, fr *frameReader) bool {
	p := s.watcher()
	if p == nil {
		return false
	}
	raw, ok := rawConn(conn.NetConn())
	if !ok {
		return false
	}
	fr.idle()
	rd := &wsReader{sess: sess, conn: conn, raw: raw, fr: *fr}
	if err := p.watch(rd); err != nil {
		return false
	}
	// A session that ended before it was watched was not unwatched by its
	// removal.
	if s.lookup(sess.id) != sess {
		p.unwatch(sess)
	}
	return true
}

// readTurn handles the bytes that made rd's socket readable, until none is
// pending, then arms the socket again. The poller runs it on a goroutine
// of its own, which returns with it.
func (s *Server) readTurn(rd *wsReader) {
	fr := &rd.fr
	if err := fr.wait(); err != nil {
		s.readFailed(rd.sess, rd.conn, nil, err)
		fr.close()
		return
	}
	if s.readBurst(rd.sess, rd.conn, fr, nil); fr.src == nil {
		fr.close()
		return
	}
	fr.idle()
	if err := s.poller.rearm(rd); err != nil {
		// The socket was closed by the session's end, or cannot be
		// watched any more: either way the session is over.
		rd.sess.terminate(ReasonTransportError, packetClose)
	}
}

// stopPoller stops the poller, if any, and waits for its goroutines.
func (s *Server) stopPoller() {
	s.mu.Lock()
	p := s.poller
	s.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

package engineio

import (
	"time"

	"github.com/gorilla/websocket"
)

// writeLoop writes the queued packets to conn, one frame each. It exits
// when the queue is empty (kickLocked starts it again on the next packet),
// when a write fails, or once the close packet is out. Only one runs per
// session at a time.
func (s *Session) writeLoop(conn *websocket.Conn) {
	defer s.srv.wg.Done()
	for {
		s.mu.Lock()
		if s.state == stateClosed || s.head == len(s.queue) {
			s.writing = false
			s.releaseQueueLocked()
			s.mu.Unlock()
			return
		}
		m := s.queue[s.head]
		s.queue[s.head] = nil
		s.head++
		if s.roomWait != nil && len(s.queue)-s.head <= s.srv.opts.QueueSize/2 {
			s.wakeReaderLocked()
		}
		s.mu.Unlock()

		_ = conn.SetWriteDeadline(time.Now().Add(s.srv.writeTimeout))
		if err := m.writeTo(conn); err != nil {
			s.terminate(ReasonTransportError, packetClose)
			return
		}
		if m == s.srv.closeMsg {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeFrameTimeout))
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

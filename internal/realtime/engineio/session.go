package engineio

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// sessionState is the life cycle of a Session; it only moves forward.
type sessionState uint8

const (
	stateOpen    sessionState = iota
	stateClosing              // closed by the server: the queue drains, then a close packet
	stateClosed               // gone: transports closed, OnClose called or about to be
)

// Session is one Engine.IO connection, whichever transport currently
// carries it. All its methods are safe for concurrent use.
type Session struct {
	srv *Server
	id  string
	hs  *Handshake

	// deliverMu serialises OnMessage callbacks should two transports
	// briefly overlap during an upgrade.
	deliverMu sync.Mutex

	mu        sync.Mutex // guards every field below
	onMessage func(data []byte, binary bool)
	onClose   func(reason string)
	state     sessionState
	reason    string // close reason, once state leaves stateOpen
	// queue[head:] are the packets waiting for a transport. A drained
	// queue keeps at most a few slots, so an idle session holds little.
	queue []*Message
	head  int
	// ws is the WebSocket carrying the session; nil while on polling.
	ws *websocket.Conn
	// wsw writes to ws; see writerLocked.
	wsw *wsWriter
	// fl writes the queue of the WebSocket while no writer goroutine runs.
	fl *flusher
	// upgrade is the WebSocket probing to take over from polling.
	upgrade *upgrade
	// poll, when non-nil, is closed to wake the GET waiting for packets.
	poll chan struct{}
	// pollReply is the packet a woken GET answers with once the session
	// has been terminated: close ("1"), or noop ("6") when the client
	// closed the session itself.
	pollReply byte
	getBusy   bool // a polling GET is being served
	postBusy  bool // a polling POST is being served
	writing   bool // a WebSocket writer goroutine is running or about to
	// flushPending tells that the session is on fl's list.
	flushPending bool
	// roomWait, when non-nil, is closed to wake the WebSocket reader held
	// by awaitRoom.
	roomWait chan struct{}

	timer         *time.Timer // heartbeat, then the close timeout
	awaitPong     bool
	closeDeadline time.Time

	delivering bool // an OnMessage callback is running
	finished   bool // OnClose has been or is being called
}

// upgrade is a WebSocket connection of a polling session between its
// arrival and the client's upgrade packet.
type upgrade struct {
	conn   *websocket.Conn
	timer  *time.Timer
	probed bool // the probe was answered; polling GETs end with noop
}

// newSession returns an open session and starts its heartbeat.
func (s *Server) newSession(r *http.Request, transport string) *Session {
	sess := &Session{srv: s, id: newSID(), hs: newHandshake(r)}
	sess.fl = s.flushers[s.nextFlusher.Add(1)%uint32(len(s.flushers))]
	sess.queue = []*Message{s.openMessage(sess.id, transport)}
	sess.timer = time.AfterFunc(s.opts.PingInterval, sess.heartbeat)
	return sess
}

// ID returns the session id ("sid").
func (s *Session) ID() string { return s.id }

// Handshake returns the request that opened the session.
func (s *Session) Handshake() *Handshake { return s.hs }

// Transport returns the name of the transport carrying the session now:
// TransportPolling or TransportWebSocket.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws != nil {
		return TransportWebSocket
	}
	return TransportPolling
}

// OnMessage registers fn to receive every message of the client. Calls are
// sequential, in arrival order; data is owned by fn.
func (s *Session) OnMessage(fn func(data []byte, binary bool)) {
	s.mu.Lock()
	s.onMessage = fn
	s.mu.Unlock()
}

// OnClose registers fn, called once when the session has ended, with one of
// the Reason constants. It never runs concurrently with an OnMessage
// callback, and no OnMessage callback follows it.
func (s *Session) OnClose(fn func(reason string)) {
	s.mu.Lock()
	s.onClose = fn
	s.mu.Unlock()
}

// Send queues msgs to be written, in order, with nothing interleaved
// between them, and returns without waiting for the network. It queues all
// or none: ErrClosed once the session is closing or closed; ErrQueueFull
// when the queue cannot take them all, in which case the session, a client
// that does not keep up, is closed with ReasonTransportError (OnClose then
// runs on another goroutine, never inside Send).
func (s *Session) Send(msgs ...*Message) error {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.queue)-s.head+len(msgs) > s.queueLimitLocked() {
		end := s.endLocked(ReasonTransportError, packetClose)
		// The rest, OnClose included, runs apart: the caller may be a
		// broadcast holding locks that OnClose needs.
		s.srv.wg.Add(1) // the session's own count is held: wg is above zero
		s.mu.Unlock()
		go func() {
			defer s.srv.wg.Done()
			end.run(s)
		}()
		return ErrQueueFull
	}
	s.pushLocked(msgs...)
	s.mu.Unlock()
	return nil
}

// SendVolatile queues msgs like Send when the session is open and its queue
// can take them all now; otherwise it drops them and reports false. It
// never closes the session.
func (s *Session) SendVolatile(msgs ...*Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || len(s.queue)-s.head+len(msgs) > s.queueLimitLocked() {
		return false
	}
	s.pushLocked(msgs...)
	return true
}

// awaitRoom holds the WebSocket reader while the session's queue is more
// than half full. A client that sends requests faster than it reads the
// answers (a reconnecting client flushing its buffer) then slows itself
// down instead of overflowing its queue; the queue bound is left to protect
// the server from clients that stop reading what the server sends of its
// own accord, such as broadcasts.
func (s *Session) awaitRoom() {
	for {
		s.mu.Lock()
		if s.state != stateOpen || s.ws == nil || len(s.queue)-s.head <= s.srv.opts.QueueSize/2 {
			s.mu.Unlock()
			return
		}
		if s.roomWait == nil {
			s.roomWait = make(chan struct{})
		}
		wait := s.roomWait
		s.mu.Unlock()
		<-wait // closed by the writer once the queue is half drained, or by the session's end
	}
}

// wakeReaderLocked releases a reader held by awaitRoom.
func (s *Session) wakeReaderLocked() {
	if s.roomWait != nil {
		close(s.roomWait)
		s.roomWait = nil
	}
}

// queueLimitLocked is how many packets may wait for the current transport.
func (s *Session) queueLimitLocked() int {
	if s.ws != nil {
		return s.srv.opts.QueueSize
	}
	return s.srv.opts.PollingQueueSize
}

// Close ends the session from the server side: the packets already queued
// are written, then a close packet, and OnClose receives ReasonForcedClose.
func (s *Session) Close() { s.closeGraceful(ReasonForcedClose, false) }

// pushLocked appends msgs to the queue and makes sure a transport will
// carry them. s.mu must be held and the session not closed.
func (s *Session) pushLocked(msgs ...*Message) {
	if s.head > 0 && len(s.queue)+len(msgs) > cap(s.queue) {
		// Reclaim the written head rather than grow: under steady traffic
		// the queue may never drain.
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
	s.queue = append(s.queue, msgs...)
	s.kickLocked()
}

// kickLocked has the queue of a WebSocket written, by the session's
// flusher or, when its socket cannot be written without waiting, by its
// writer goroutine; on polling it wakes the pending GET.
func (s *Session) kickLocked() {
	if s.ws == nil {
		s.wakePollLocked()
		return
	}
	if s.writing || s.flushPending || s.head == len(s.queue) {
		return
	}
	if w := s.writerLocked(); w.rc == nil {
		s.startWriterLocked(w)
		return
	}
	s.flushPending = true
	s.fl.add(s)
}

func (s *Session) wakePollLocked() {
	if s.poll != nil {
		close(s.poll)
		s.poll = nil
	}
}

// takeLocked removes and returns every queued packet.
func (s *Session) takeLocked() []*Message {
	msgs := s.queue[s.head:]
	s.queue, s.head = nil, 0
	return msgs
}

// heartbeat runs on the session timer: it sends a ping, declares the ping
// timed out, or ends a close that the client did not collect in time.
func (s *Session) heartbeat() {
	s.mu.Lock()
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		return
	case s.state == stateClosing:
		if time.Now().Before(s.closeDeadline) { // a stale heartbeat firing
			s.mu.Unlock()
			return
		}
		reason := s.reason
		s.mu.Unlock()
		s.terminate(reason, packetClose)
		return
	case s.awaitPong:
		s.mu.Unlock()
		s.terminate(ReasonPingTimeout, packetClose)
		return
	}
	s.awaitPong = true
	s.timer.Reset(s.srv.opts.PingTimeout)
	s.pushLocked(s.srv.pingMsg)
	s.mu.Unlock()
}

// onPacket handles one packet of the client on the session's transport.
func (s *Session) onPacket(p packet) {
	switch p.typ {
	case packetMessage:
		s.deliver(p.data, p.binary)
	case packetPong:
		s.mu.Lock()
		if s.state == stateOpen && s.awaitPong {
			s.awaitPong = false
			s.timer.Reset(s.srv.opts.PingInterval)
		}
		s.mu.Unlock()
	case packetClose:
		// The client is gone; a GET still pending ends with a noop.
		s.terminate(ReasonTransportClose, packetNoop)
	case packetPing:
		// Revision 4 clients answer pings and never send them.
		s.terminate(ReasonTransportError, packetClose)
	}
	// open, upgrade and noop packets mean nothing here and are ignored.
}

// deliver hands a message to the OnMessage callback.
func (s *Session) deliver(data []byte, binary bool) {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	s.mu.Lock()
	fn := s.onMessage
	if s.state == stateClosed || fn == nil {
		s.mu.Unlock()
		return
	}
	s.delivering = true
	s.mu.Unlock()

	fn(data, binary)

	s.mu.Lock()
	s.delivering = false
	finish := s.state == stateClosed && !s.finished
	s.finished = s.finished || finish
	s.mu.Unlock()
	if finish {
		s.finish()
	}
}

// closeGraceful starts a server-side close: no more Sends, the queue
// drains, a close packet follows, and the transport that writes it ends the
// session. A client that does not collect it within closeTimeout is
// dropped. With discard, a polling session that has no GET pending is
// ended at once rather than waiting for the client's next GET.
func (s *Session) closeGraceful(reason string, discard bool) {
	s.mu.Lock()
	if discard && s.state != stateClosed && s.ws == nil && !s.getBusy {
		s.mu.Unlock()
		s.terminate(reason, packetClose)
		return
	}
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state = stateClosing
	s.reason = reason
	s.closeDeadline = time.Now().Add(s.srv.closeTimeout)
	s.timer.Reset(s.srv.closeTimeout)
	up := s.upgrade
	s.upgrade = nil
	s.pushLocked(s.srv.closeMsg)
	s.mu.Unlock()
	if up != nil {
		up.timer.Stop()
		_ = up.conn.Close()
	}
}

// terminate ends the session at once: queued packets are dropped, the
// transports closed, and a pending polling GET answers with reply. It is
// idempotent; the first reason wins, unless a graceful close was under way.
func (s *Session) terminate(reason string, reply byte) {
	s.mu.Lock()
	end := s.endLocked(reason, reply)
	s.mu.Unlock()
	end.run(s)
}

// ending is what remains to do, outside s.mu, once a session is closed.
type ending struct {
	ws     *websocket.Conn
	up     *upgrade
	finish bool // call OnClose
	done   bool // the session was closed already: nothing to do
}

// endLocked marks the session closed and returns what remains to do.
func (s *Session) endLocked(reason string, reply byte) ending {
	if s.state == stateClosed {
		return ending{done: true}
	}
	if s.state == stateClosing {
		reason = s.reason
	}
	s.state = stateClosed
	s.reason = reason
	s.pollReply = reply
	s.queue, s.head = nil, 0
	s.wakeReaderLocked()
	s.timer.Stop()
	e := ending{ws: s.ws, up: s.upgrade}
	s.upgrade = nil
	s.wakePollLocked()
	e.finish = !s.delivering && !s.finished
	s.finished = s.finished || e.finish
	return e
}

// run closes the transports, forgets the session and calls OnClose.
func (e ending) run(s *Session) {
	if e.done {
		return
	}
	if e.ws != nil {
		_ = e.ws.Close()
	}
	if e.up != nil {
		e.up.timer.Stop()
		_ = e.up.conn.Close()
	}
	s.srv.remove(s)
	if e.finish {
		s.finish()
	}
}

// finish calls OnClose and releases the session's count in the server.
func (s *Session) finish() {
	s.mu.Lock()
	fn, reason := s.onClose, s.reason
	s.onMessage, s.onClose = nil, nil // let the callbacks' closures go
	s.mu.Unlock()
	defer s.srv.wg.Done()
	if fn != nil {
		fn(reason)
	}
}

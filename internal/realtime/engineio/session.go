package engineio

import "sync"

// Session is one Engine.IO connection, whichever transport carries it.
type Session struct {
	srv *Server
	id  string
	hs  *Handshake

	mu        sync.Mutex
	onMessage func(data []byte, binary bool)
	onClose   func(reason string)
	transport string
	closed    bool
}

// ID returns the session id ("sid").
func (s *Session) ID() string { return s.id }

// Handshake returns the request that opened the session.
func (s *Session) Handshake() *Handshake { return s.hs }

// Transport returns the name of the current transport.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// OnMessage registers fn to receive every message; data is owned by fn.
func (s *Session) OnMessage(fn func(data []byte, binary bool)) {
	s.mu.Lock()
	s.onMessage = fn
	s.mu.Unlock()
}

// OnClose registers fn, called once when the session ends.
func (s *Session) OnClose(fn func(reason string)) {
	s.mu.Lock()
	s.onClose = fn
	s.mu.Unlock()
}

// Send queues msgs, all or none, in order.
func (s *Session) Send(msgs ...*Message) error {
	return ErrClosed
}

// SendVolatile queues msgs when the session can take them all now.
func (s *Session) SendVolatile(msgs ...*Message) bool {
	return false
}

// Close ends the session from the server side.
func (s *Session) Close() {}

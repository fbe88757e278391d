package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livebuy/shop/internal/realtime/engineio"
	"github.com/livebuy/shop/internal/realtime/parser"
)

// Handshake describes how a socket connected: the HTTP request that opened
// its Engine.IO session and the auth payload of its CONNECT packet. Header
// and Query are shared and must not be modified.
type Handshake struct {
	Header  http.Header
	Query   url.Values
	Auth    json.RawMessage // the CONNECT payload; {} when the client sent none
	Address string          // remote address of the opening request
	Time    time.Time       // when the Engine.IO session opened
	URL     string          // request URI of the opening request
	Secure  bool            // the opening request came over TLS
	XDomain bool            // the opening request carried an Origin header
}

// Socket states. A connecting socket is in its middlewares; a connected
// one has been accepted (its CONNECT packet may still wait for its
// OnConnection callbacks: until then packets for it are held, see
// Socket.deliver).
const (
	stateConnecting int32 = iota
	stateConnected
	stateClosed
)

// Socket is one client's connection to one namespace.
//
// Its methods are safe for concurrent use. Its event handlers run on the
// client's connection goroutine, one at a time; its disconnect callbacks
// run on the goroutine that noticed the disconnection.
type Socket struct {
	id        SocketID
	nsp       *Namespace
	client    *client
	auth      json.RawMessage
	pid       string // private session id, set when recovery is enabled
	recovered bool
	state     atomic.Int32

	// holding is set until the CONNECT packet is queued; packets for the
	// socket meanwhile are held.
	holding atomic.Bool
	holdMu  sync.Mutex // guards held; never held while taking mu
	held    []heldPacket

	mu sync.Mutex
	// registered tells whether the socket is in its adapter; until then
	// (in middlewares) Join and Leave act on pendingRooms.
	registered      bool
	pendingRooms    []Room
	handlers        map[string][]*listener // slices replaced, never modified in place
	anyHandlers     []*anyListener         // replaced, never modified in place
	onDisconnecting []func(reason string)
	onDisconnect    []func(reason string)
	acks            map[uint64]ackCallback

	data Data
}

type heldPacket struct {
	msgs     []*engineio.Message
	volatile bool
}

type listener struct {
	fn    EventHandler
	once  bool
	fired atomic.Bool
}

type anyListener struct{ fn AnyHandler }

// ackCallback receives the arguments of an acknowledgement, or
// ErrDisconnected when the socket went away first.
type ackCallback func(args Args, err error)

// ID returns the socket's id, which is also the name of its own room.
func (s *Socket) ID() SocketID { return s.id }

// Namespace returns the namespace the socket is connected to.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the details of the socket's connection.
func (s *Socket) Handshake() Handshake {
	h := s.client.sess.Handshake()
	return Handshake{
		Header:  h.Header,
		Query:   h.Query,
		Auth:    s.auth,
		Address: h.RemoteAddr,
		Time:    h.Time,
		URL:     h.URL,
		Secure:  h.Secure,
		XDomain: h.Header.Get("Origin") != "",
	}
}

// Transport returns the name of the client's current Engine.IO transport,
// "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// Data returns the socket's free-form data, which outlives a recovered
// disconnection and is returned by FetchSockets.
func (s *Socket) Data() *Data { return &s.data }

// Recovered reports whether the socket was restored by connection state
// recovery, with the id, rooms and data of a previous connection.
func (s *Socket) Recovered() bool { return s.recovered }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { return s.state.Load() != stateClosed }

// Rooms returns the rooms the socket is in, its own room included.
func (s *Socket) Rooms() []Room {
	s.mu.Lock()
	if !s.registered {
		defer s.mu.Unlock()
		if s.state.Load() == stateClosed {
			return nil
		}
		return append([]Room{Room(s.id)}, s.pendingRooms...)
	}
	s.mu.Unlock()
	return s.nsp.adapter.SocketRooms(s.id)
}

// Join adds the socket to rooms. A middleware may call it: the rooms are
// joined as the socket connects. It does nothing once the socket is
// disconnected.
func (s *Socket) Join(rooms ...Room) {
	s.mu.Lock()
	if !s.registered {
		for _, r := range rooms {
			if !slices.Contains(s.pendingRooms, r) {
				s.pendingRooms = append(s.pendingRooms, r)
			}
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if s.state.Load() != stateClosed {
		s.nsp.adapter.AddAll(s.id, rooms)
	}
}

// Leave removes the socket from rooms.
func (s *Socket) Leave(rooms ...Room) {
	s.mu.Lock()
	if !s.registered {
		s.pendingRooms = slices.DeleteFunc(s.pendingRooms, func(r Room) bool { return slices.Contains(rooms, r) })
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	for _, r := range rooms {
		s.nsp.adapter.Del(s.id, r)
	}
}

// register adds the socket, with rooms and those joined meanwhile, to its
// adapter.
func (s *Socket) register(rooms []Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rooms = append(slices.Clip(rooms), s.pendingRooms...)
	s.nsp.adapter.AddAll(s.id, append(rooms, Room(s.id)))
	s.pendingRooms, s.registered = nil, true
}

// Emit sends an event to the client. args may be any values encoding/json
// accepts; []byte values, at any depth of []any, map[string]any and
// parser.Object, travel as binary attachments.
func (s *Socket) Emit(event string, args ...any) error { return Emitter{s: s}.Emit(event, args...) }

// EmitWithAck sends an event and waits for the client's acknowledgement,
// returning its arguments, until ctx is done or the socket disconnects
// (ErrDisconnected).
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	return Emitter{s: s}.EmitWithAck(ctx, event, args...)
}

// Volatile returns an emitter whose packets are dropped when the client
// cannot take them at once.
func (s *Socket) Volatile() Emitter { return Emitter{s: s, volatile: true} }

// Timeout returns an emitter whose EmitWithAck fails with ErrAckTimeout
// after d.
func (s *Socket) Timeout(d time.Duration) Emitter { return Emitter{s: s, timeout: d} }

// On registers h for event and returns a function that unregisters it.
func (s *Socket) On(event string, h EventHandler) (off func()) {
	return s.addListener(event, &listener{fn: h})
}

// Once registers h for the next occurrence of event only.
func (s *Socket) Once(event string, h EventHandler) (off func()) {
	return s.addListener(event, &listener{fn: h, once: true})
}

func (s *Socket) addListener(event string, l *listener) func() {
	s.mu.Lock()
	if s.handlers == nil {
		s.handlers = make(map[string][]*listener)
	}
	s.handlers[event] = append(slices.Clip(s.handlers[event]), l)
	s.mu.Unlock()
	return func() { s.removeListener(event, l) }
}

func (s *Socket) removeListener(event string, l *listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := s.handlers[event]
	i := slices.Index(ls, l)
	if i < 0 {
		return
	}
	if len(ls) == 1 {
		delete(s.handlers, event)
		return
	}
	s.handlers[event] = slices.Delete(slices.Clone(ls), i, i+1)
}

// Off unregisters every handler of event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	delete(s.handlers, event)
	s.mu.Unlock()
}

// OnAny registers h for every event and returns a function that
// unregisters it.
func (s *Socket) OnAny(h AnyHandler) (off func()) {
	l := &anyListener{fn: h}
	s.mu.Lock()
	s.anyHandlers = append(slices.Clip(s.anyHandlers), l)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.anyHandlers, l); i >= 0 {
			s.anyHandlers = slices.Delete(slices.Clone(s.anyHandlers), i, i+1)
		}
	}
}

// OnDisconnecting registers fn to run when the socket is about to
// disconnect, while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnecting = append(s.onDisconnecting, fn)
	s.mu.Unlock()
}

// OnDisconnect registers fn to run once the socket has disconnected and
// left its rooms.
func (s *Socket) OnDisconnect(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// Disconnect disconnects the socket with reason "server namespace
// disconnect"; with close, the client's whole Engine.IO session is closed
// too, disconnecting its sockets of the other namespaces the same way.
func (s *Socket) Disconnect(close bool) {
	if s.state.Load() != stateConnected {
		return
	}
	if close {
		s.client.disconnectAll()
		return
	}
	s.disconnect()
}

// disconnect sends the DISCONNECT packet and disconnects the socket.
func (s *Socket) disconnect() {
	if s.state.Load() != stateConnected {
		return
	}
	_ = s.client.send(&parser.Packet{Type: parser.Disconnect, Namespace: s.nsp.name}, nil, false)
	s.onClose(ReasonServerNamespaceDisconnect)
}

// Broadcast returns an operator targeting every socket of the namespace
// but s.
func (s *Socket) Broadcast() BroadcastOperator {
	return BroadcastOperator{nsp: s.nsp, except: []Room{Room(s.id)}}
}

// To returns an operator targeting the sockets in any of rooms, but s.
func (s *Socket) To(rooms ...Room) BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is the same as To.
func (s *Socket) In(rooms ...Room) BroadcastOperator { return s.Broadcast().To(rooms...) }

// Except returns an operator targeting every socket of the namespace not in
// any of rooms, but s.
func (s *Socket) Except(rooms ...Room) BroadcastOperator { return s.Broadcast().Except(rooms...) }

// deliver queues the messages of one packet for the client. Until the
// CONNECT packet is queued they are held, to be queued after it.
func (s *Socket) deliver(msgs []*engineio.Message, volatile bool) error {
	if s.holding.Load() {
		s.holdMu.Lock()
		if s.holding.Load() {
			s.held = append(s.held, heldPacket{msgs, volatile})
			s.holdMu.Unlock()
			return nil
		}
		s.holdMu.Unlock()
	}
	return s.client.write(msgs, volatile)
}

// release queues the held packets, after the CONNECT packet, and stops
// holding.
func (s *Socket) release() {
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	for _, h := range s.held {
		_ = s.client.write(h.msgs, h.volatile)
	}
	s.held = nil
	s.holding.Store(false)
}

// onClose disconnects the socket for reason: disconnecting callbacks,
// session persistence for recovery, leaving the rooms, failing pending
// acknowledgements, disconnect callbacks. Only the first call acts.
func (s *Socket) onClose(reason string) {
	for {
		switch st := s.state.Load(); st {
		case stateClosed:
			return
		case stateConnecting:
			if s.state.CompareAndSwap(st, stateClosed) {
				return // connect notices and undoes the registration
			}
			continue
		}
		if s.state.CompareAndSwap(stateConnected, stateClosed) {
			break
		}
	}
	n := s.nsp
	s.mu.Lock()
	disconnecting := s.onDisconnecting
	s.mu.Unlock()
	for _, fn := range disconnecting {
		n.call(func() { fn(reason) })
	}
	if n.srv.recovery != nil && recoverable(reason) {
		n.adapter.PersistSession(&Session{
			SID:   s.id,
			PID:   s.pid,
			Rooms: s.Rooms(),
			Data:  s.data.Map(),
		})
	}
	n.detach(s)
	s.mu.Lock()
	acks := s.acks
	s.acks = nil
	disconnect := s.onDisconnect
	s.onDisconnecting, s.onDisconnect, s.handlers, s.anyHandlers = nil, nil, nil, nil
	s.mu.Unlock()
	for _, fn := range acks {
		fn(nil, ErrDisconnected)
	}
	for _, fn := range disconnect {
		n.call(func() { fn(reason) })
	}
}

// recoverable reports whether a disconnection for reason may be recovered,
// as in the Node server: only when the client did not leave on purpose.
func recoverable(reason string) bool {
	switch reason {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose,
		ReasonPingTimeout, ReasonServerShuttingDown, ReasonForcedServerClose:
		return true
	}
	return false
}

// onPacket handles a packet of the socket's namespace; it runs on the
// client's connection goroutine.
func (s *Socket) onPacket(p *parser.Packet) {
	switch p.Type {
	case parser.Event, parser.BinaryEvent:
		s.onEvent(p)
	case parser.Ack, parser.BinaryAck:
		s.onAck(p)
	case parser.Disconnect:
		s.onClose(ReasonClientNamespaceDisconnect)
	}
}

func (s *Socket) onEvent(p *parser.Packet) {
	raw, err := parser.Args(p.Data, p.Attachments)
	if err != nil {
		s.client.close(ReasonParseError)
		return
	}
	event, ok := eventName(raw[0])
	if !ok {
		// socket.io-parser refuses these packets, which closes the client.
		s.client.close(ReasonParseError)
		return
	}
	if s.state.Load() != stateConnected {
		return
	}
	args := Args(raw[1:])
	var ack AckFunc
	if p.HasID {
		ack = s.ackFunc(p.ID)
	}
	s.mu.Lock()
	anys, ls := s.anyHandlers, s.handlers[event]
	s.mu.Unlock()
	for _, l := range anys {
		s.nsp.call(func() { l.fn(event, args, ack) })
	}
	for _, l := range ls {
		if l.once {
			if !l.fired.CompareAndSwap(false, true) {
				continue
			}
			s.removeListener(event, l)
		}
		s.nsp.call(func() { l.fn(args, ack) })
	}
}

// ackFunc returns the function acknowledging the client's event id.
func (s *Socket) ackFunc(id uint64) AckFunc {
	var sent atomic.Bool
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return errorf("acknowledgement %d already sent", id)
		}
		if s.state.Load() == stateClosed {
			return ErrDisconnected
		}
		data := []any(args)
		if data == nil {
			data = []any{}
		}
		text, atts, err := encode(&parser.Packet{Type: parser.Ack, Namespace: s.nsp.name, ID: id, HasID: true}, data)
		if err != nil {
			return errorf("acknowledge: %w", err)
		}
		return s.deliver(encodeMessages(text, atts), false)
	}
}

func (s *Socket) onAck(p *parser.Packet) {
	args, err := parser.Args(p.Data, p.Attachments)
	if err != nil {
		s.client.close(ReasonParseError)
		return
	}
	s.mu.Lock()
	fn := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if fn != nil {
		s.nsp.call(func() { fn(args, nil) })
	}
}

// addAck registers fn for the acknowledgement id; it reports false when
// the socket is already disconnected.
func (s *Socket) addAck(id uint64, fn ackCallback) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load() == stateClosed {
		return false
	}
	if s.acks == nil {
		s.acks = make(map[uint64]ackCallback)
	}
	s.acks[id] = fn
	return true
}

func (s *Socket) dropAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

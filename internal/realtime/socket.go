package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
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

// Socket is one client's connection to one namespace.
//
// Its methods are safe for concurrent use.
type Socket struct {
	id  SocketID
	nsp *Namespace
}

// ID returns the socket's id, which is also the name of its own room.
func (s *Socket) ID() SocketID { return s.id }

// Namespace returns the namespace the socket is connected to.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the details of the socket's connection.
func (s *Socket) Handshake() Handshake { panic("not implemented yet") }

// Transport returns the name of the client's current Engine.IO transport,
// "polling" or "websocket".
func (s *Socket) Transport() string { panic("not implemented yet") }

// Data returns the socket's free-form data, which outlives a recovered
// disconnection and is returned by FetchSockets.
func (s *Socket) Data() *Data { panic("not implemented yet") }

// Recovered reports whether the socket was restored by connection state
// recovery, with the id, rooms and data of a previous connection.
func (s *Socket) Recovered() bool { panic("not implemented yet") }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { panic("not implemented yet") }

// Rooms returns the rooms the socket is in, its own room included.
func (s *Socket) Rooms() []Room { panic("not implemented yet") }

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...Room) { panic("not implemented yet") }

// Leave removes the socket from room.
func (s *Socket) Leave(room Room) { panic("not implemented yet") }

// Emit sends an event to the client. args may be any values encoding/json
// accepts; []byte values, at any depth, travel as binary attachments.
func (s *Socket) Emit(event string, args ...any) error { return Emitter{s: s}.Emit(event, args...) }

// EmitWithAck sends an event and waits for the client's acknowledgement,
// returning its arguments, until ctx is done or the socket disconnects.
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
func (s *Socket) On(event string, h EventHandler) (off func()) { panic("not implemented yet") }

// Once registers h for the next occurrence of event only.
func (s *Socket) Once(event string, h EventHandler) (off func()) { panic("not implemented yet") }

// Off unregisters every handler of event.
func (s *Socket) Off(event string) { panic("not implemented yet") }

// OnAny registers h for every event and returns a function that
// unregisters it.
func (s *Socket) OnAny(h AnyHandler) (off func()) { panic("not implemented yet") }

// OnDisconnecting registers fn to run when the socket is about to
// disconnect, while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(reason string)) { panic("not implemented yet") }

// OnDisconnect registers fn to run once the socket has disconnected.
func (s *Socket) OnDisconnect(fn func(reason string)) { panic("not implemented yet") }

// Disconnect disconnects the socket with reason "server namespace
// disconnect"; with close, the client's whole Engine.IO session is closed
// too, disconnecting its sockets of the other namespaces.
func (s *Socket) Disconnect(close bool) { panic("not implemented yet") }

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

// Emitter sends events to one socket with flags; see Socket.Volatile and
// Socket.Timeout. The zero value is not usable.
type Emitter struct {
	s        *Socket
	volatile bool
	timeout  time.Duration
}

// Volatile returns a copy of e whose packets are dropped when the client
// cannot take them at once.
func (e Emitter) Volatile() Emitter { e.volatile = true; return e }

// Timeout returns a copy of e whose EmitWithAck fails with ErrAckTimeout
// after d.
func (e Emitter) Timeout(d time.Duration) Emitter { e.timeout = d; return e }

// Emit sends an event to the client; see Socket.Emit.
func (e Emitter) Emit(event string, args ...any) error { panic("not implemented yet") }

// EmitWithAck sends an event and waits for its acknowledgement; see
// Socket.EmitWithAck.
func (e Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	panic("not implemented yet")
}

// Data is a socket's free-form key/value store, safe for concurrent use.
// Values should encode with encoding/json if an adapter spanning several
// servers is used.
type Data struct{}

// Get returns the value stored under key.
func (d *Data) Get(key string) (any, bool) { panic("not implemented yet") }

// Set stores v under key.
func (d *Data) Set(key string, v any) { panic("not implemented yet") }

// Delete removes key.
func (d *Data) Delete(key string) { panic("not implemented yet") }

// Map returns a copy of every key and value.
func (d *Data) Map() map[string]any { panic("not implemented yet") }

package realtime

import (
	"context"
	"time"
)

// Namespace is a communication channel multiplexed over the clients'
// connections: its sockets, middlewares, rooms and broadcasts are its own.
type Namespace struct {
	name    string
	srv     *Server
	adapter Adapter
}

// Name returns the namespace's name, such as "/" or "/chat".
func (n *Namespace) Name() string { return n.name }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use appends a middleware run for every socket connecting to n.
func (n *Namespace) Use(mw Middleware) { panic("not implemented yet") }

// OnConnection registers fn to run for every socket that connected to n,
// after the middlewares accepted it and the client was told so.
func (n *Namespace) OnConnection(fn func(s *Socket)) { panic("not implemented yet") }

// Socket returns the socket of n with the given id on this server, or nil.
func (n *Namespace) Socket(id SocketID) *Socket { panic("not implemented yet") }

// SocketCount returns the number of sockets connected to n on this server.
func (n *Namespace) SocketCount() int { panic("not implemented yet") }

// RoomSize returns the number of sockets of n in room on this server.
func (n *Namespace) RoomSize(room Room) int { panic("not implemented yet") }

// Broadcast returns an operator targeting every socket of n.
func (n *Namespace) Broadcast() BroadcastOperator { return BroadcastOperator{nsp: n} }

// To returns an operator targeting the sockets in any of rooms.
func (n *Namespace) To(rooms ...Room) BroadcastOperator { return n.Broadcast().To(rooms...) }

// In is the same as To.
func (n *Namespace) In(rooms ...Room) BroadcastOperator { return n.Broadcast().To(rooms...) }

// Except returns an operator targeting every socket not in any of rooms.
func (n *Namespace) Except(rooms ...Room) BroadcastOperator { return n.Broadcast().Except(rooms...) }

// Local returns an operator targeting the sockets of this server only,
// when the adapter spans several servers.
func (n *Namespace) Local() BroadcastOperator { return n.Broadcast().Local() }

// Volatile returns an operator whose packets are dropped for clients that
// cannot take them at once.
func (n *Namespace) Volatile() BroadcastOperator { return n.Broadcast().Volatile() }

// Timeout returns an operator whose EmitWithAck waits at most d.
func (n *Namespace) Timeout(d time.Duration) BroadcastOperator { return n.Broadcast().Timeout(d) }

// Emit sends an event to every socket of n.
func (n *Namespace) Emit(event string, args ...any) error { return n.Broadcast().Emit(event, args...) }

// EmitWithAck sends an event to every socket of n and collects their
// acknowledgements; see BroadcastOperator.EmitWithAck.
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return n.Broadcast().EmitWithAck(ctx, event, args...)
}

// FetchSockets returns the sockets of n.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.Broadcast().FetchSockets(ctx)
}

// SocketsJoin makes every socket of n join rooms.
func (n *Namespace) SocketsJoin(rooms ...Room) { n.Broadcast().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of n leave rooms.
func (n *Namespace) SocketsLeave(rooms ...Room) { n.Broadcast().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of n; see Socket.Disconnect.
func (n *Namespace) DisconnectSockets(close bool) { n.Broadcast().DisconnectSockets(close) }

// ParentNamespace creates child namespaces on demand for the names it
// accepts (see Server.OfFunc). Its middlewares run, before the child's
// own, for every socket connecting to a child, and its OnConnection
// callbacks are registered on every child.
type ParentNamespace struct {
	srv *Server
}

// Use appends a middleware run for every socket connecting to a child.
func (p *ParentNamespace) Use(mw Middleware) { panic("not implemented yet") }

// OnConnection registers fn on every child, present and future.
func (p *ParentNamespace) OnConnection(fn func(s *Socket)) { panic("not implemented yet") }

// Emit sends an event to every socket of every child.
func (p *ParentNamespace) Emit(event string, args ...any) error { panic("not implemented yet") }

// Children returns the child namespaces created so far.
func (p *ParentNamespace) Children() []*Namespace { panic("not implemented yet") }

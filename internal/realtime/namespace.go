package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// Namespace is a communication channel multiplexed over the clients'
// connections: its sockets, middlewares, rooms and broadcasts are its own.
type Namespace struct {
	name    string
	srv     *Server
	adapter Adapter
	parent  *ParentNamespace // nil for a namespace created by Of

	ackIDs     atomic.Uint64 // shared by the sockets, so a broadcast can use one id for all
	connecting atomic.Int64  // connection attempts in progress; see Server.acquire

	mu      sync.RWMutex
	sockets map[SocketID]*Socket
	mws     []Middleware      // replaced, never modified in place
	onConn  []func(s *Socket) // replaced, never modified in place
	// onServer holds the handlers of server-side events by name; the
	// slices are replaced, never modified in place.
	onServer map[string][]func(args Args)
}

// Name returns the namespace's name, such as "/" or "/chat".
func (n *Namespace) Name() string { return n.name }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use appends a middleware run for every socket connecting to n.
func (n *Namespace) Use(mw Middleware) {
	n.mu.Lock()
	n.mws = append(slices.Clip(n.mws), mw)
	n.mu.Unlock()
}

// OnConnection registers fn to run for every socket that connected to n,
// after the middlewares accepted it and the client was told so. fn runs on
// the client's connection goroutine: the client's next packets wait for it.
func (n *Namespace) OnConnection(fn func(s *Socket)) {
	n.mu.Lock()
	n.onConn = append(slices.Clip(n.onConn), fn)
	n.mu.Unlock()
}

// ServerSideEmit sends event with args to the other servers sharing n
// through its adapter, as Node's serverSideEmit: their handlers registered
// with OnServerSideEmit receive it, this server's do not. With the
// in-memory adapter there is no other server and nothing is sent. The
// arguments must encode as JSON without binary data; acknowledgements are
// not supported.
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	if isReserved(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	data := make([]any, 0, 1+len(args))
	data = append(append(data, event), args...)
	_, atts, err := parser.Encode(&parser.Packet{Type: parser.Event, Namespace: n.name}, data)
	if err != nil {
		return errorf("server-side emit %q: %w", event, err)
	}
	if len(atts) > 0 {
		return errorf("server-side emit %q: binary data is not supported", event)
	}
	if err := n.adapter.ServerSideEmit(data); err != nil {
		return errorf("server-side emit %q: %w", event, err)
	}
	return nil
}

// OnServerSideEmit registers fn for event sent by another server with
// ServerSideEmit. The handlers of one namespace run one at a time, in the
// order the events arrive, on the adapter's goroutine: fn must not block.
func (n *Namespace) OnServerSideEmit(event string, fn func(args Args)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.onServer == nil {
		n.onServer = make(map[string][]func(args Args))
	}
	n.onServer[event] = append(slices.Clip(n.onServer[event]), fn)
}

// ReceiveServerSideEmit runs the handlers registered for event with args:
// an Adapter calls it for each server-side event of another server. A
// handler that panics is logged and does not stop the others.
func (n *Namespace) ReceiveServerSideEmit(event string, args Args) {
	n.mu.RLock()
	handlers := n.onServer[event]
	n.mu.RUnlock()
	for _, fn := range handlers {
		n.call(func() { fn(args) })
	}
}

// Socket returns the socket of n with the given id on this server, or nil.
func (n *Namespace) Socket(id SocketID) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// SocketCount returns the number of sockets connected to n on this server.
func (n *Namespace) SocketCount() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

// RoomSize returns the number of sockets of n in room on this server.
func (n *Namespace) RoomSize(room Room) int { return n.adapter.RoomSize(room) }

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

func (n *Namespace) release() {
	if n.connecting.Add(-1) == 0 && n.parent != nil && n.srv.opts.CleanupEmptyChildNamespaces {
		n.srv.removeIfEmpty(n)
	}
}

func (n *Namespace) socketList() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// add runs the CONNECT of client c to n: recovery, middlewares, then the
// connection itself.
func (n *Namespace) add(c *client, auth json.RawMessage) {
	if len(auth) == 0 {
		auth = json.RawMessage("{}")
	}
	s := &Socket{nsp: n, client: c, auth: auth}
	s.holding.Store(true)
	var (
		rooms  []Room
		missed [][]any
	)
	rec := n.srv.recovery
	if rec != nil {
		if sess := n.restore(auth); sess != nil {
			s.id, s.pid, s.recovered = sess.SID, sess.PID, true
			s.data.m = sess.Data
			rooms, missed = sess.Rooms, sess.MissedPackets
		} else {
			s.pid = newID()
		}
	}
	if s.id == "" {
		s.id = SocketID(newID())
	}
	if !s.recovered || !rec.SkipMiddlewares {
		if err := n.runMiddlewares(s); err != nil {
			var ce *ConnectError
			if errors.As(err, &ce) {
				c.sendConnectError(n.name, ce.Message, ce.Data)
			} else {
				c.sendConnectError(n.name, err.Error(), nil)
			}
			return
		}
	}
	n.connect(s, rooms, missed)
}

// restore returns the session the CONNECT auth payload asks to recover, or
// nil.
func (n *Namespace) restore(auth json.RawMessage) *Session {
	var a struct {
		PID    *string `json:"pid"`
		Offset *string `json:"offset"`
	}
	if json.Unmarshal(auth, &a) != nil || a.PID == nil || a.Offset == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := n.adapter.RestoreSession(ctx, *a.PID, *a.Offset)
	if err != nil {
		n.srv.log.Warn("realtime: restore session", "namespace", n.name, "err", err)
		return nil
	}
	return sess
}

func (n *Namespace) middlewares() []Middleware {
	var mws []Middleware
	if n.parent != nil {
		mws = n.parent.middlewares()
	}
	n.mu.RLock()
	own := n.mws
	n.mu.RUnlock()
	if len(mws) == 0 {
		return own
	}
	return append(slices.Clip(mws), own...)
}

func (n *Namespace) runMiddlewares(s *Socket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			n.srv.log.Error("realtime: middleware panic", "namespace", n.name, "panic", r, "stack", string(debug.Stack()))
			err = &ConnectError{Message: "Internal server error"}
		}
	}()
	for _, mw := range n.middlewares() {
		if err := mw(s); err != nil {
			return err
		}
	}
	return nil
}

// connect registers an accepted socket, runs the OnConnection callbacks,
// then tells the client and replays the packets it missed. The CONNECT
// packet goes out only once the callbacks have run, as with the Node server,
// where a client can never act on a socket whose handlers are not yet in
// place. Packets for the socket before the CONNECT packet is queued (emits
// of the callbacks, broadcasts) are held and queued after it, so the client
// sees them in order.
func (n *Namespace) connect(s *Socket, rooms []Room, missed [][]any) {
	c := s.client
	if !c.add(s) {
		return
	}
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
	s.register(rooms)
	if !s.state.CompareAndSwap(stateConnecting, stateConnected) {
		// The session closed meanwhile and its sockets were disconnected
		// while this one was still connecting: undo the registration.
		n.detach(s)
		return
	}

	n.mu.RLock()
	onConn := n.onConn
	n.mu.RUnlock()
	if n.parent != nil {
		onConn = append(n.parent.connectionHandlers(), onConn...)
	}
	for _, fn := range onConn {
		n.call(func() { fn(s) })
	}

	resp := parser.Object{{Key: "sid", Value: string(s.id)}}
	if s.pid != "" {
		resp = append(resp, parser.Member{Key: "pid", Value: s.pid})
	}
	if err := c.send(&parser.Packet{Type: parser.Connect, Namespace: n.name}, resp, false); err != nil {
		n.srv.log.Debug("realtime: send CONNECT", "namespace", n.name, "err", err)
	}
	for _, data := range missed {
		if err := c.send(&parser.Packet{Type: parser.Event, Namespace: n.name}, data, false); err != nil {
			n.srv.log.Debug("realtime: replay missed packet", "namespace", n.name, "err", err)
		}
	}
	s.release()
}

// detach removes a socket from the namespace, its adapter and its client.
func (n *Namespace) detach(s *Socket) {
	n.adapter.DelAll(s.id)
	n.mu.Lock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
	}
	empty := len(n.sockets) == 0
	n.mu.Unlock()
	s.client.remove(s)
	if empty && n.parent != nil && n.srv.opts.CleanupEmptyChildNamespaces {
		n.srv.removeIfEmpty(n)
	}
}

// call runs an application callback, logging rather than propagating a
// panic, as net/http does for handlers, so that one faulty handler does not
// take the server down.
func (n *Namespace) call(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			n.srv.log.Error("realtime: handler panic", "namespace", n.name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// ParentNamespace creates child namespaces on demand for the names it
// accepts (see Server.OfFunc). Its middlewares run, before the child's
// own, for every socket connecting to a child, and its OnConnection
// callbacks run, before the child's own, for every socket of a child.
type ParentNamespace struct {
	srv   *Server
	match func(name string, auth json.RawMessage) bool

	mu       sync.RWMutex
	mws      []Middleware      // replaced, never modified in place
	onConn   []func(s *Socket) // replaced, never modified in place
	children []*Namespace      // replaced, never modified in place
}

// Use appends a middleware run for every socket connecting to a child.
func (p *ParentNamespace) Use(mw Middleware) {
	p.mu.Lock()
	p.mws = append(slices.Clip(p.mws), mw)
	p.mu.Unlock()
}

// OnConnection registers fn for the sockets of every child, present and
// future.
func (p *ParentNamespace) OnConnection(fn func(s *Socket)) {
	p.mu.Lock()
	p.onConn = append(slices.Clip(p.onConn), fn)
	p.mu.Unlock()
}

// Emit sends an event to every socket of every child.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	var errs []error
	for _, nsp := range p.Children() {
		if err := nsp.Emit(event, args...); err != nil {
			errs = append(errs, fmt.Errorf("namespace %s: %w", nsp.name, err))
		}
	}
	return errors.Join(errs...)
}

// Children returns the child namespaces that exist now.
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.children)
}

func (p *ParentNamespace) middlewares() []Middleware {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.mws
}

func (p *ParentNamespace) connectionHandlers() []func(s *Socket) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clip(p.onConn)
}

func (p *ParentNamespace) addChild(nsp *Namespace) {
	p.mu.Lock()
	p.children = append(slices.Clip(p.children), nsp)
	p.mu.Unlock()
}

func (p *ParentNamespace) removeChild(nsp *Namespace) {
	p.mu.Lock()
	p.children = slices.DeleteFunc(slices.Clone(p.children), func(x *Namespace) bool { return x == nsp })
	p.mu.Unlock()
}

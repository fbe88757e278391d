package realtime

import (
	"context"
	"slices"
	"time"
)

// BroadcastOperator selects sockets of a namespace and acts on them. It is
// immutable: every method that refines the selection returns a new
// operator. The zero value is not usable; get one from Namespace or Socket.
//
// The selection is the union of the To/In rooms (every socket when there
// is none) minus the sockets in any Except room; each selected socket is
// reached once.
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []Room
	except []Room
	flags  BroadcastFlags
}

// To returns an operator also targeting the sockets in rooms.
func (b BroadcastOperator) To(rooms ...Room) BroadcastOperator {
	b.rooms = append(slices.Clip(b.rooms), rooms...)
	return b
}

// In is the same as To.
func (b BroadcastOperator) In(rooms ...Room) BroadcastOperator { return b.To(rooms...) }

// Except returns an operator excluding the sockets in rooms.
func (b BroadcastOperator) Except(rooms ...Room) BroadcastOperator {
	b.except = append(slices.Clip(b.except), rooms...)
	return b
}

// Local returns an operator limited to the sockets of this server.
func (b BroadcastOperator) Local() BroadcastOperator { b.flags.Local = true; return b }

// Volatile returns an operator whose packets are dropped for clients that
// cannot take them at once.
func (b BroadcastOperator) Volatile() BroadcastOperator { b.flags.Volatile = true; return b }

// Timeout returns an operator whose EmitWithAck waits at most d.
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	b.flags.Timeout = d
	return b
}

// Emit sends an event to the selected sockets. The packet is encoded once
// whatever the number of targets.
func (b BroadcastOperator) Emit(event string, args ...any) error { panic("not implemented yet") }

// EmitWithAck sends an event to the selected sockets and returns the
// arguments of each one's acknowledgement, in arrival order. It waits for
// every target, until the operator's Timeout (ErrAckTimeout) or ctx ends;
// on such an error the acknowledgements received so far are returned with
// it. Without a Timeout or a deadline on ctx it may wait forever, since a
// target that disconnects never acknowledges.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	panic("not implemented yet")
}

// FetchSockets returns the selected sockets.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	panic("not implemented yet")
}

// SocketsJoin makes the selected sockets join rooms.
func (b BroadcastOperator) SocketsJoin(rooms ...Room) { panic("not implemented yet") }

// SocketsLeave makes the selected sockets leave rooms.
func (b BroadcastOperator) SocketsLeave(rooms ...Room) { panic("not implemented yet") }

// DisconnectSockets disconnects the selected sockets; see Socket.Disconnect.
func (b BroadcastOperator) DisconnectSockets(close bool) { panic("not implemented yet") }

func (b BroadcastOperator) options() *BroadcastOptions {
	return &BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// RemoteSocket is a snapshot of a socket returned by FetchSockets, which
// may live on another server when the adapter spans several. Its methods
// act on the live socket through the adapter.
type RemoteSocket struct {
	SocketDetails
	nsp *Namespace
}

// Local returns the live socket when it is connected to this server, or nil.
func (r *RemoteSocket) Local() *Socket { return r.nsp.Socket(r.ID) }

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.nsp.To(Room(r.ID)).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...Room) { r.nsp.To(Room(r.ID)).SocketsJoin(rooms...) }

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...Room) { r.nsp.To(Room(r.ID)).SocketsLeave(rooms...) }

// Disconnect disconnects the socket; see Socket.Disconnect.
func (r *RemoteSocket) Disconnect(close bool) { r.nsp.To(Room(r.ID)).DisconnectSockets(close) }

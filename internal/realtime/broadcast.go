package realtime

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
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
func (b BroadcastOperator) Emit(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	p := &Packet{Type: parser.Event, Namespace: b.nsp.name, Data: eventData(event, args)}
	if err := b.nsp.adapter.Broadcast(p, b.options()); err != nil {
		return errorf("emit %q: %w", event, err)
	}
	return nil
}

// EmitWithAck sends an event to the selected sockets and returns the
// arguments of each one's acknowledgement, in arrival order. It waits for
// every target, until the operator's Timeout (ErrAckTimeout) or ctx ends;
// on such an error the acknowledgements received so far are returned with
// it. Without a Timeout or a deadline on ctx it may wait forever, since a
// target that disconnects never acknowledges.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if isReserved(event) {
		return nil, ErrReservedEvent
	}
	// As in the Node server: complete once every server has reported how
	// many clients it reached and that many acknowledgements arrived.
	var (
		mu              sync.Mutex
		responses       []Args
		expectedClients int
		reportedServers int
		expectedServers = -1
		done            = make(chan struct{})
		completed       bool
	)
	check := func() {
		if !completed && expectedServers == reportedServers && len(responses) == expectedClients {
			completed = true
			close(done)
		}
	}
	result := func() []Args {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(responses)
	}
	p := &Packet{Type: parser.Event, Namespace: b.nsp.name, Data: eventData(event, args)}
	err := b.nsp.adapter.BroadcastWithAck(p, b.options(),
		func(n int) {
			mu.Lock()
			defer mu.Unlock()
			expectedClients += n
			reportedServers++
			check()
		},
		func(a Args) {
			mu.Lock()
			defer mu.Unlock()
			if !completed {
				responses = append(responses, a)
				check()
			}
		})
	if err != nil {
		return nil, errorf("emit %q: %w", event, err)
	}
	n, err := b.nsp.adapter.ServerCount(ctx)
	if err != nil {
		return nil, errorf("emit %q: count servers: %w", event, err)
	}
	mu.Lock()
	expectedServers = n
	check()
	mu.Unlock()

	var timeout <-chan time.Time
	if b.flags.Timeout > 0 {
		t := time.NewTimer(b.flags.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-done:
		return result(), nil
	case <-ctx.Done():
		return result(), ctx.Err()
	case <-timeout:
		return result(), ErrAckTimeout
	}
}

// FetchSockets returns the selected sockets.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	details, err := b.nsp.adapter.FetchSockets(ctx, b.options())
	if err != nil {
		return nil, errorf("fetch sockets: %w", err)
	}
	out := make([]*RemoteSocket, len(details))
	for i, d := range details {
		out[i] = &RemoteSocket{SocketDetails: d, nsp: b.nsp}
	}
	return out, nil
}

// SocketsJoin makes the selected sockets join rooms.
func (b BroadcastOperator) SocketsJoin(rooms ...Room) { b.nsp.adapter.AddSockets(b.options(), rooms) }

// SocketsLeave makes the selected sockets leave rooms.
func (b BroadcastOperator) SocketsLeave(rooms ...Room) { b.nsp.adapter.DelSockets(b.options(), rooms) }

// DisconnectSockets disconnects the selected sockets; see Socket.Disconnect.
func (b BroadcastOperator) DisconnectSockets(close bool) {
	b.nsp.adapter.DisconnectSockets(b.options(), close)
}

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

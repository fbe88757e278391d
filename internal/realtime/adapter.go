package realtime

import (
	"context"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// Adapter keeps the rooms of one namespace and delivers its broadcasts. The
// default, MemoryAdapter, serves one server; an adapter spanning several
// servers forwards the operations to its peers and delegates the local
// part to a MemoryAdapter. Every argument it receives is plain data that
// can be serialised for such peers.
//
// Methods are called concurrently and must not call back into the
// namespace's Adapter-using methods while holding their own locks.
type Adapter interface {
	// AddAll adds socket id to rooms.
	AddAll(id SocketID, rooms []Room)
	// Del removes socket id from room.
	Del(id SocketID, room Room)
	// DelAll removes socket id from every room.
	DelAll(id SocketID)

	// Broadcast sends p to the sockets selected by opts.
	Broadcast(p *Packet, opts *BroadcastOptions) error
	// BroadcastWithAck sends p, with an acknowledgement id, to the sockets
	// selected by opts. It calls clientCount once per server with the number
	// of sockets reached there, and ack with the arguments of each
	// acknowledgement as it arrives.
	BroadcastWithAck(p *Packet, opts *BroadcastOptions, clientCount func(n int), ack func(args Args)) error
	// ServerCount returns the number of servers sharing the namespace.
	ServerCount(ctx context.Context) (int, error)
	// ServerSideEmit sends data, an event name followed by its arguments,
	// to the other servers sharing the namespace, each of which hands it to
	// Namespace.ReceiveServerSideEmit; see Namespace.ServerSideEmit.
	ServerSideEmit(data []any) error

	// Sockets returns the ids of the local sockets in any of rooms, or of
	// every local socket when rooms is empty.
	Sockets(rooms []Room) []SocketID
	// SocketRooms returns the rooms of local socket id, nil when unknown.
	SocketRooms(id SocketID) []Room
	// RoomSize returns the number of local sockets in room.
	RoomSize(room Room) int

	// FetchSockets describes the sockets selected by opts.
	FetchSockets(ctx context.Context, opts *BroadcastOptions) ([]SocketDetails, error)
	// AddSockets makes the sockets selected by opts join rooms.
	AddSockets(opts *BroadcastOptions, rooms []Room)
	// DelSockets makes the sockets selected by opts leave rooms.
	DelSockets(opts *BroadcastOptions, rooms []Room)
	// DisconnectSockets disconnects the sockets selected by opts.
	DisconnectSockets(opts *BroadcastOptions, close bool)

	// PersistSession keeps the state of a disconnected socket for
	// connection state recovery.
	PersistSession(s *Session)
	// RestoreSession returns the session pid with the packets broadcast to
	// it after offset, or nil when it cannot be restored (unknown, expired,
	// or offset no longer held). A restored session is forgotten.
	RestoreSession(ctx context.Context, pid, offset string) (*Session, error)

	// Close releases the adapter's resources; the namespace is going away.
	Close() error
}

// Packet is a Socket.IO packet handed to an Adapter to broadcast.
type Packet struct {
	Type      parser.Type // parser.Event
	Namespace string
	// Data holds the event name followed by its arguments; the adapter of a
	// namespace with connection state recovery appends the packet's offset.
	Data []any
}

// BroadcastOptions selects the targets of a broadcast; see
// BroadcastOperator.
type BroadcastOptions struct {
	Rooms  []Room
	Except []Room
	Flags  BroadcastFlags
}

// BroadcastFlags modify a broadcast.
type BroadcastFlags struct {
	Volatile bool          // drop the packet for clients that cannot take it at once
	Local    bool          // only the sockets of this server
	Timeout  time.Duration // how long EmitWithAck waits; 0 for no limit
}

// SocketDetails describes a socket selected by FetchSockets.
type SocketDetails struct {
	ID        SocketID
	Handshake Handshake
	Rooms     []Room
	Data      map[string]any
}

// Session is the state of a disconnected socket kept for connection state
// recovery.
type Session struct {
	SID   SocketID
	PID   string // private id given to the client, proof of ownership
	Rooms []Room
	Data  map[string]any
	// MissedPackets holds, oldest first, the data of the EVENT packets
	// broadcast to the socket after the client's offset, each ending with
	// its own offset. Filled by RestoreSession.
	MissedPackets [][]any
}

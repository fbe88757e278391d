package realtime

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// MemoryAdapter is the default Adapter: rooms and recovery state held in
// memory, for a single server.
//
// A socket's own room is a flag on its membership rather than a room of
// one, which keeps an idle socket down to one small allocation here.
// Broadcasts select their targets under a read lock and queue the one
// encoded packet to each target after releasing it.
type MemoryAdapter struct {
	nsp *Namespace

	mu    sync.RWMutex
	sids  map[SocketID]*member
	rooms map[Room]map[*member]struct{} // rooms other than the sockets' own

	// targets recycles the slices that hold a broadcast's targets, so that
	// a broadcast allocates nothing per target.
	targets sync.Pool

	rec *RecoveryOptions // nil when recovery is disabled

	pmu      sync.Mutex // guards the recovery state below
	prefix   string     // makes offsets unique across restarts
	seq      uint64
	packets  []storedPacket // oldest first, from head
	head     int
	sessions map[string]*storedSession
	closed   bool
}

// member is a socket's membership.
type member struct {
	s     *Socket
	self  bool   // in its own room
	rooms []Room // other rooms; modified under MemoryAdapter.mu
}

// storedPacket is a broadcast kept for connection state recovery, in its
// encoded form.
type storedPacket struct {
	offset string
	at     time.Time
	rooms  []Room
	except []Room
	text   []byte
	atts   [][]byte
}

type storedSession struct {
	sess  *Session
	at    time.Time
	timer *time.Timer // forgets the session once it expires
}

var _ Adapter = (*MemoryAdapter)(nil)

// NewMemoryAdapter returns the in-memory adapter of nsp. An adapter that
// spans several servers embeds it for the local part of its work.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	a := &MemoryAdapter{
		nsp:   nsp,
		sids:  make(map[SocketID]*member),
		rooms: make(map[Room]map[*member]struct{}),
		rec:   nsp.srv.recovery,
	}
	if a.rec != nil {
		a.prefix = newID()[:8] + "-"
		a.sessions = make(map[string]*storedSession)
	}
	return a
}

// AddAll adds socket id to rooms. The id must be that of a local socket.
func (a *MemoryAdapter) AddAll(id SocketID, rooms []Room) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.sids[id]
	if m == nil {
		s := a.nsp.Socket(id)
		if s == nil || s.state.Load() == stateClosed {
			return // it disconnected meanwhile; DelAll has run or will not
		}
		m = &member{s: s}
		a.sids[id] = m
	}
	for _, r := range rooms {
		if r == Room(id) {
			m.self = true
			continue
		}
		if slices.Contains(m.rooms, r) {
			continue
		}
		m.rooms = append(m.rooms, r)
		set := a.rooms[r]
		if set == nil {
			set = make(map[*member]struct{}, 1)
			a.rooms[r] = set
		}
		set[m] = struct{}{}
	}
}

// Del removes socket id from room.
func (a *MemoryAdapter) Del(id SocketID, room Room) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.sids[id]
	if m == nil {
		return
	}
	if room == Room(id) {
		m.self = false
		return
	}
	i := slices.Index(m.rooms, room)
	if i < 0 {
		return
	}
	m.rooms = slices.Delete(m.rooms, i, i+1)
	a.leave(m, room)
}

// DelAll removes socket id from every room.
func (a *MemoryAdapter) DelAll(id SocketID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.sids[id]
	if m == nil {
		return
	}
	for _, r := range m.rooms {
		a.leave(m, r)
	}
	delete(a.sids, id)
}

func (a *MemoryAdapter) leave(m *member, room Room) {
	set := a.rooms[room]
	delete(set, m)
	if len(set) == 0 {
		delete(a.rooms, room)
	}
}

// Sockets returns the ids of the sockets in any of rooms, or of every
// socket when rooms is empty.
func (a *MemoryAdapter) Sockets(rooms []Room) []SocketID {
	targets := a.collect(nil, &BroadcastOptions{Rooms: rooms})
	ids := make([]SocketID, len(targets))
	for i, s := range targets {
		ids[i] = s.id
	}
	return ids
}

// SocketRooms returns the rooms of socket id, its own first; nil when
// unknown.
func (a *MemoryAdapter) SocketRooms(id SocketID) []Room {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := a.sids[id]
	if m == nil {
		return nil
	}
	rooms := make([]Room, 0, len(m.rooms)+1)
	if m.self {
		rooms = append(rooms, Room(id))
	}
	return append(rooms, m.rooms...)
}

// RoomSize returns the number of sockets in room.
func (a *MemoryAdapter) RoomSize(room Room) int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	n := len(a.rooms[room])
	if m := a.sids[SocketID(room)]; m != nil && m.self {
		n++
	}
	return n
}

// ServerCount returns 1.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// ServerSideEmit does nothing: there is no other server.
func (a *MemoryAdapter) ServerSideEmit([]any) error { return nil }

// Broadcast encodes p once and queues it to every selected socket. With
// connection state recovery, an EVENT that is not volatile gets an offset,
// appended to p.Data, and is kept for the recovery window.
func (a *MemoryAdapter) Broadcast(p *Packet, opts *BroadcastOptions) error {
	var (
		text []byte
		atts [][]byte
		err  error
	)
	if a.rec != nil && p.Type == parser.Event && !opts.Flags.Volatile {
		text, atts, err = a.encodeAndStore(p, opts)
	} else {
		text, atts, err = parser.Encode(&parser.Packet{Type: p.Type, Namespace: a.nsp.name}, p.Data)
	}
	if err != nil {
		return errorf("broadcast: %w", err)
	}
	msgs := encodeMessages(text, atts)
	tp, _ := a.targets.Get().(*[]*Socket)
	if tp == nil {
		tp = new([]*Socket)
	}
	targets := a.collect((*tp)[:0], opts)
	for _, s := range targets {
		_ = s.deliver(msgs, opts.Flags.Volatile) // a failing target closes itself
	}
	clear(targets)
	*tp = targets[:0]
	a.targets.Put(tp)
	return nil
}

// BroadcastWithAck sends p with one acknowledgement id to every selected
// socket, reports their number to clientCount, and passes each
// acknowledgement to ack as it arrives. Sockets that disconnect before
// acknowledging are simply never heard from, as with the Node server.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts *BroadcastOptions, clientCount func(n int), ack func(args Args)) error {
	id := a.nsp.ackIDs.Add(1) - 1
	text, atts, err := parser.Encode(&parser.Packet{Type: p.Type, Namespace: a.nsp.name, ID: id, HasID: true}, p.Data)
	if err != nil {
		return errorf("broadcast: %w", err)
	}
	msgs := encodeMessages(text, atts)
	cb := func(args Args, err error) {
		if err == nil {
			ack(args)
		}
	}
	n := 0
	for _, s := range a.collect(nil, opts) {
		if s.addAck(id, cb) {
			n++
			_ = s.deliver(msgs, opts.Flags.Volatile)
		}
	}
	clientCount(n)
	return nil
}

// FetchSockets describes the selected sockets.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts *BroadcastOptions) ([]SocketDetails, error) {
	targets := a.collect(nil, opts)
	out := make([]SocketDetails, len(targets))
	for i, s := range targets {
		out[i] = SocketDetails{ID: s.id, Handshake: s.Handshake(), Rooms: s.Rooms(), Data: s.data.Map()}
	}
	return out, nil
}

// AddSockets makes the selected sockets join rooms.
func (a *MemoryAdapter) AddSockets(opts *BroadcastOptions, rooms []Room) {
	for _, s := range a.collect(nil, opts) {
		s.Join(rooms...)
	}
}

// DelSockets makes the selected sockets leave rooms.
func (a *MemoryAdapter) DelSockets(opts *BroadcastOptions, rooms []Room) {
	for _, s := range a.collect(nil, opts) {
		s.Leave(rooms...)
	}
}

// DisconnectSockets disconnects the selected sockets.
func (a *MemoryAdapter) DisconnectSockets(opts *BroadcastOptions, close bool) {
	for _, s := range a.collect(nil, opts) {
		s.Disconnect(close)
	}
}

// collect appends the sockets selected by opts to dst: those in any of
// opts.Rooms (all when empty), each once, minus those in any of
// opts.Except.
func (a *MemoryAdapter) collect(dst []*Socket, opts *BroadcastOptions) []*Socket {
	a.mu.RLock()
	defer a.mu.RUnlock()
	// The excluded sockets, as one pointer in the common case of
	// Socket.Broadcast (except its own room) and as a set otherwise.
	var (
		exOne *member
		exSet map[*member]struct{}
	)
	addExcluded := func(m *member) {
		switch {
		case exOne == nil && exSet == nil:
			exOne = m
		case exOne == m:
		default:
			if exSet == nil {
				exSet = map[*member]struct{}{exOne: {}}
			}
			exSet[m] = struct{}{}
		}
	}
	for _, r := range opts.Except {
		if m := a.sids[SocketID(r)]; m != nil && m.self {
			addExcluded(m)
		}
		for m := range a.rooms[r] {
			addExcluded(m)
		}
	}
	excluded := func(m *member) bool {
		if exSet != nil {
			_, ok := exSet[m]
			return ok
		}
		return m == exOne
	}
	if len(opts.Rooms) == 0 {
		for _, m := range a.sids {
			if !excluded(m) {
				dst = append(dst, m.s)
			}
		}
		return dst
	}
	var seen map[*member]struct{}
	if len(opts.Rooms) > 1 {
		seen = make(map[*member]struct{})
	}
	add := func(m *member) {
		if excluded(m) {
			return
		}
		if seen != nil {
			if _, dup := seen[m]; dup {
				return
			}
			seen[m] = struct{}{}
		}
		dst = append(dst, m.s)
	}
	for _, r := range opts.Rooms {
		set := a.rooms[r]
		for m := range set {
			add(m)
		}
		if m := a.sids[SocketID(r)]; m != nil && m.self {
			if _, in := set[m]; !in {
				add(m)
			}
		}
	}
	return dst
}

// Close forgets the recovery state.
func (a *MemoryAdapter) Close() error {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	a.closed = true
	for _, e := range a.sessions {
		e.timer.Stop()
	}
	clear(a.sessions)
	a.packets, a.head = nil, 0
	return nil
}

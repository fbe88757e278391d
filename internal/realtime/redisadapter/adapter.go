// Package redisadapter is a realtime.Adapter that lets several servers
// share their broadcasts through Redis pub/sub, wire-compatible with
// Node's @socket.io/redis-adapter 8.x (createAdapter, the classic pub/sub
// adapter): Go and Node servers configured with the same key prefix form
// one cluster.
//
// A broadcast is delivered to the local sockets at once, through the
// in-memory adapter, and published for the other servers, each of which
// decodes it once and hands the same encoded packet to all of its targets.
// Broadcasts flagged Local stay on this server. FetchSockets, SocketsJoin,
// SocketsLeave, DisconnectSockets and EmitWithAck act on every server, and
// ServerSideEmit reaches the other servers' OnServerSideEmit handlers;
// FetchSockets waits for the answers at most Options.RequestTimeout.
//
// Publishing goes through a bounded queue served by one goroutine, so that
// neither a broadcast nor a Redis outage ever blocks the caller: while
// Redis is unreachable, broadcasts reach the local sockets only, the
// failure is logged once, the messages that cannot be published are
// dropped and counted, and the adapter reconnects and subscribes again by
// itself. Messages published while a server is disconnected are lost for
// it, as with any Redis pub/sub.
//
// Each adapter (one per namespace) holds a pub/sub connection of the
// client and two goroutines, a subscriber and a publisher, which Close
// stops; realtime.Server.Shutdown closes the adapters of its namespaces.
// The redis.Client is the caller's, to close after the servers using it.
//
// Limits, shared with the Node adapter unless noted: connection state
// recovery works for a client that reconnects to the same server only;
// only the first argument of each client's acknowledgement of a broadcast
// reaches another server; a server-side emit carries no binary data and
// no acknowledgements (one from a Node server that awaits them is
// ignored); Redis Cluster and sharded pub/sub are not supported.
package redisadapter

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livebuy/shop/internal/realtime"
)

// Options configures the adapters.
type Options struct {
	// Key prefixes the Redis channels, as the Node adapter's key option.
	// Default "socket.io".
	Key string
	// RequestTimeout bounds how long FetchSockets waits for the other
	// servers, and how long the acknowledgements of an EmitWithAck without
	// a Timeout are awaited from them. Default 5s.
	RequestTimeout time.Duration
	// PublishOnSpecificResponseChannel sends each response on the channel
	// of the requesting server only, as the Node option of that name.
	PublishOnSpecificResponseChannel bool
	// QueueSize is how many messages may wait to be published; more are
	// dropped, and counted in the log. Default 4096.
	QueueSize int
	// Logger receives the adapter's warnings. Default slog.Default().
	Logger *slog.Logger
}

const (
	defaultKey            = "socket.io"
	defaultRequestTimeout = 5 * time.Second
	defaultQueueSize      = 4096
)

// Adapter is the realtime.Adapter of one namespace, backed by Redis.
type Adapter struct {
	local  *realtime.MemoryAdapter
	nsp    *realtime.Namespace
	client *redis.Client
	opts   Options
	log    *slog.Logger
	uid    string // this adapter's id in the messages it sends

	channel         string // broadcasts: channel, channel+room+"#"
	requestChannel  string
	responseChannel string
	ownResponses    string // responseChannel + uid + "#"

	queue   chan outgoing
	dropped atomic.Int64 // messages dropped since the last successful publish
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the subscriber and the publisher
	once    sync.Once

	mu      sync.Mutex
	closed  bool
	pubsub  *redis.PubSub // replaced by the subscriber when it reconnects
	fetches map[string]*pendingFetch
	acks    map[string]*pendingAcks
}

var _ realtime.Adapter = (*Adapter)(nil)

// Factory returns a function that creates the Adapter of a namespace, for
// realtime.Options.Adapter; every namespace then spans the servers sharing
// client's Redis.
func Factory(client *redis.Client, opts Options) func(nsp *realtime.Namespace) realtime.Adapter {
	return func(nsp *realtime.Namespace) realtime.Adapter { return New(nsp, client, opts) }
}

// New returns the adapter of nsp and starts its goroutines, which Close
// stops. It does not wait for Redis: the subscriptions are made, and
// remade after a failure, in the background.
func New(nsp *realtime.Namespace, client *redis.Client, opts Options) *Adapter {
	if opts.Key == "" {
		opts.Key = defaultKey
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = defaultRequestTimeout
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = defaultQueueSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &Adapter{
		local:   realtime.NewMemoryAdapter(nsp),
		nsp:     nsp,
		client:  client,
		opts:    opts,
		uid:     newUID(),
		queue:   make(chan outgoing, opts.QueueSize),
		fetches: make(map[string]*pendingFetch),
		acks:    make(map[string]*pendingAcks),
	}
	a.log = opts.Logger.With("namespace", nsp.Name(), "uid", a.uid)
	a.channel = opts.Key + "#" + nsp.Name() + "#"
	a.requestChannel = opts.Key + "-request#" + nsp.Name() + "#"
	a.responseChannel = opts.Key + "-response#" + nsp.Name() + "#"
	a.ownResponses = a.responseChannel + a.uid + "#"
	a.pubsub = client.Subscribe(context.Background()) // connects on first use

	// ctx is the adapter's lifetime, ended by Close.
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.wg.Add(2)
	go a.subscribe(ctx)
	go a.publish(ctx)
	return a
}

// uidAlphabet is that of the Node adapter's ids (uid2).
const uidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newUID returns a random id of 6 characters, like the Node adapter's
// server and request ids.
func newUID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails
	for i, c := range b {
		b[i] = uidAlphabet[int(c)%len(uidAlphabet)]
	}
	return string(b)
}

// AddAll adds local socket id to rooms.
func (a *Adapter) AddAll(id realtime.SocketID, rooms []realtime.Room) { a.local.AddAll(id, rooms) }

// Del removes local socket id from room.
func (a *Adapter) Del(id realtime.SocketID, room realtime.Room) { a.local.Del(id, room) }

// DelAll removes local socket id from every room.
func (a *Adapter) DelAll(id realtime.SocketID) { a.local.DelAll(id) }

// Sockets returns the ids of the local sockets in any of rooms, or of
// every local socket when rooms is empty.
func (a *Adapter) Sockets(rooms []realtime.Room) []realtime.SocketID { return a.local.Sockets(rooms) }

// SocketRooms returns the rooms of local socket id.
func (a *Adapter) SocketRooms(id realtime.SocketID) []realtime.Room { return a.local.SocketRooms(id) }

// RoomSize returns the number of local sockets in room.
func (a *Adapter) RoomSize(room realtime.Room) int { return a.local.RoomSize(room) }

// PersistSession keeps the state of a disconnected local socket for
// connection state recovery, on this server only.
func (a *Adapter) PersistSession(s *realtime.Session) { a.local.PersistSession(s) }

// RestoreSession restores a session persisted on this server.
func (a *Adapter) RestoreSession(ctx context.Context, pid, offset string) (*realtime.Session, error) {
	return a.local.RestoreSession(ctx, pid, offset)
}

// Broadcast sends p to the local sockets selected by opts and, unless opts
// is flagged Local, publishes it for the other servers.
func (a *Adapter) Broadcast(p *realtime.Packet, opts *realtime.BroadcastOptions) error {
	// The local adapter may append a recovery offset to p.Data; the other
	// servers add their own.
	data := p.Data
	if err := a.local.Broadcast(p, opts); err != nil {
		return err
	}
	if opts.Flags.Local || a.onlyLocalSocket(opts) {
		return nil
	}
	msg, err := broadcastMessage(a.uid, a.nsp.Name(), p.Type, data, optsToWire(opts))
	if err != nil {
		return fmt.Errorf("redisadapter: encode broadcast: %w", err)
	}
	a.enqueue(a.broadcastChannel(opts.Rooms), msg)
	return nil
}

// onlyLocalSocket reports whether opts selects exactly one socket's own
// room and that socket is connected here, as every emit to one socket does
// with connection state recovery: no other server has a member of that
// room, since socket ids are random and unique.
func (a *Adapter) onlyLocalSocket(opts *realtime.BroadcastOptions) bool {
	if len(opts.Rooms) != 1 {
		return false
	}
	id := realtime.SocketID(opts.Rooms[0])
	rooms := a.local.SocketRooms(id)
	return len(rooms) > 0 && rooms[0] == realtime.Room(id)
}

// broadcastChannel is the channel of a broadcast to rooms: the room's own
// when there is one, so that servers without members skip it undecoded.
func (a *Adapter) broadcastChannel(rooms []realtime.Room) string {
	if len(rooms) == 0 {
		return a.channel
	}
	for _, r := range rooms[1:] {
		if r != rooms[0] {
			return a.channel
		}
	}
	return a.channel + string(rooms[0]) + "#"
}

// ServerCount returns the number of servers subscribed to the namespace's
// request channel, this one included even while it is not subscribed.
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	res, err := a.client.PubSubNumSub(ctx, a.requestChannel).Result()
	if err != nil {
		return 0, fmt.Errorf("redisadapter: count servers: %w", err)
	}
	return max(int(res[a.requestChannel]), 1), nil
}

// Close stops the adapter's goroutines, after publishing what is queued
// (for a moment at most), and fails the requests still waiting.
func (a *Adapter) Close() error {
	a.once.Do(func() {
		a.cancel()
		a.mu.Lock()
		a.closed = true
		ps := a.pubsub
		for id, f := range a.fetches {
			delete(a.fetches, id)
			f.finish()
		}
		for id, p := range a.acks {
			delete(a.acks, id)
			p.timer.Stop()
		}
		a.mu.Unlock()
		_ = ps.Close() // ends the subscriber's wait for a message
		a.wg.Wait()
	})
	return a.local.Close()
}

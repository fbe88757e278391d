package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/parser"
)

// Errors of the operations that wait for the other servers.
var (
	// ErrTimeout is returned by FetchSockets when some server did not
	// answer within Options.RequestTimeout.
	ErrTimeout = errors.New("redisadapter: timeout reached while waiting for the other servers")
	// ErrClosed is returned by FetchSockets once the adapter is closed.
	ErrClosed = errors.New("redisadapter: adapter closed")
)

// pendingFetch is a FetchSockets waiting for the other servers; guarded by
// Adapter.mu.
type pendingFetch struct {
	remaining int // answers still expected
	sockets   []realtime.SocketDetails
	done      chan struct{} // closed by finish
}

func (f *pendingFetch) finish() { close(f.done) }

// pendingAcks routes the answers to a broadcast with acknowledgements
// until its timer forgets it.
type pendingAcks struct {
	clientCount func(n int)
	ack         func(args realtime.Args)
	timer       *time.Timer
}

// FetchSockets describes the sockets selected by opts on every server. It
// waits for the answers of the other servers until ctx ends or
// Options.RequestTimeout passes (ErrTimeout).
func (a *Adapter) FetchSockets(ctx context.Context, opts *realtime.BroadcastOptions) ([]realtime.SocketDetails, error) {
	local, err := a.local.FetchSockets(ctx, opts)
	if err != nil || opts.Flags.Local {
		return local, err
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("redisadapter: fetch sockets: %w", err)
	}
	if n <= 1 {
		return local, nil
	}
	id := newUID()
	payload, err := json.Marshal(fetchRequest{UID: a.uid, RequestID: id, Type: typeRemoteFetch, Opts: selectorOf(opts)})
	if err != nil {
		return nil, fmt.Errorf("redisadapter: fetch sockets: %w", err)
	}
	f := &pendingFetch{remaining: n - 1, sockets: local, done: make(chan struct{})}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, ErrClosed
	}
	a.fetches[id] = f
	a.mu.Unlock()
	// Queued like every other message, so that it follows the requests
	// made before it, a SocketsJoin for instance.
	a.enqueue(a.requestChannel, payload)

	timer := time.NewTimer(a.opts.RequestTimeout)
	defer timer.Stop()
	select {
	case <-f.done:
	case <-timer.C:
		err = ErrTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fetches[id] == f {
		delete(a.fetches, id)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("redisadapter: fetch sockets: %w (%d of %d servers did not answer)", err, f.remaining, n-1)
	case f.remaining > 0:
		return nil, ErrClosed
	}
	return f.sockets, nil
}

// AddSockets makes the sockets selected by opts, on every server, join
// rooms.
func (a *Adapter) AddSockets(opts *realtime.BroadcastOptions, names []realtime.Room) {
	a.local.AddSockets(opts, names)
	if !opts.Flags.Local {
		a.request(roomsRequest{UID: a.uid, Type: typeRemoteJoin, Opts: selectorOf(opts), Rooms: names})
	}
}

// DelSockets makes the sockets selected by opts, on every server, leave
// rooms.
func (a *Adapter) DelSockets(opts *realtime.BroadcastOptions, names []realtime.Room) {
	a.local.DelSockets(opts, names)
	if !opts.Flags.Local {
		a.request(roomsRequest{UID: a.uid, Type: typeRemoteLeave, Opts: selectorOf(opts), Rooms: names})
	}
}

// DisconnectSockets disconnects the sockets selected by opts on every
// server.
func (a *Adapter) DisconnectSockets(opts *realtime.BroadcastOptions, close bool) {
	a.local.DisconnectSockets(opts, close)
	if !opts.Flags.Local {
		a.request(disconnectRequest{UID: a.uid, Type: typeRemoteDisconnect, Opts: selectorOf(opts), Close: close})
	}
}

// BroadcastWithAck sends p to the sockets selected by opts on every
// server. The other servers report their client counts and pass on the
// acknowledgements until opts.Flags.Timeout, or Options.RequestTimeout
// without one, after which their answers are ignored.
func (a *Adapter) BroadcastWithAck(p *realtime.Packet, opts *realtime.BroadcastOptions, clientCount func(n int), ack func(args realtime.Args)) error {
	if !opts.Flags.Local {
		id := newUID()
		msg, err := broadcastRequest(a.uid, id, a.nsp.Name(), p.Type, p.Data, optsToWire(opts))
		if err != nil {
			return fmt.Errorf("redisadapter: encode broadcast: %w", err)
		}
		keep := opts.Flags.Timeout
		if keep <= 0 {
			keep = a.opts.RequestTimeout
		}
		pa := &pendingAcks{clientCount: clientCount, ack: ack}
		a.mu.Lock()
		if !a.closed {
			pa.timer = time.AfterFunc(keep, func() {
				a.mu.Lock()
				defer a.mu.Unlock()
				if a.acks[id] == pa {
					delete(a.acks, id)
				}
			})
			a.acks[id] = pa
		}
		a.mu.Unlock()
		a.enqueue(a.requestChannel, msg)
	}
	return a.local.BroadcastWithAck(p, opts, clientCount, ack)
}

// request publishes a request without waiting for an answer.
func (a *Adapter) request(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("redisadapter: encode request", "err", err)
		return
	}
	a.enqueue(a.requestChannel, b)
}

// respond publishes the answer to req, JSON unless v is already encoded.
func (a *Adapter) respond(req *request, v any) {
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			a.log.Error("redisadapter: encode response", "type", req.Type, "err", err)
			return
		}
	}
	channel := a.responseChannel
	if a.opts.PublishOnSpecificResponseChannel {
		channel += req.UID + "#"
	}
	a.enqueue(channel, b)
}

// onRequest acts on a request of another server; requests of this one were
// carried out locally when they were made.
func (a *Adapter) onRequest(ctx context.Context, payload []byte) {
	req, err := decodeRequest(payload)
	if err != nil {
		a.log.Debug("redisadapter: ignoring a malformed request", "err", err)
		return
	}
	if req.UID == a.uid {
		return
	}
	switch req.Type {
	case typeSockets:
		ids := a.local.Sockets(req.Rooms)
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = string(id)
		}
		a.respond(req, socketsResponse{RequestID: req.RequestID, Sockets: out})
	case typeAllRooms:
		a.respond(req, allRoomsResponse{RequestID: req.RequestID, Rooms: a.localRooms()})
	case typeRemoteJoin, typeRemoteLeave, typeRemoteDisconnect:
		a.onSocketsRequest(req)
	case typeRemoteFetch:
		if req.Opts == nil {
			return
		}
		details, err := a.local.FetchSockets(ctx, req.Opts.options())
		if err != nil {
			a.log.Warn("redisadapter: fetch local sockets", "err", err)
			return
		}
		socks := make([]wireSocket, len(details))
		for i, d := range details {
			socks[i] = socketToWire(d)
		}
		a.respond(req, fetchResponse{RequestID: req.RequestID, Sockets: socks})
	case typeBroadcast:
		if req.Packet == nil || req.Opts == nil {
			return
		}
		a.onBroadcastWithAck(req)
	case typeServerSideEmit:
		a.onServerSideEmit(req)
	}
}

// ServerSideEmit publishes data, an event name and its arguments, for the
// other servers, in the Node adapter's format.
func (a *Adapter) ServerSideEmit(data []any) error {
	encoded := make([]json.RawMessage, len(data))
	for i, v := range data {
		b, err := parser.AppendJSON(nil, v)
		if err != nil {
			return fmt.Errorf("redisadapter: server-side emit: %w", err)
		}
		encoded[i] = b
	}
	payload, err := json.Marshal(serverSideEmitRequest{UID: a.uid, Type: typeServerSideEmit, Data: encoded})
	if err != nil {
		return fmt.Errorf("redisadapter: server-side emit: %w", err)
	}
	a.enqueue(a.requestChannel, payload)
	return nil
}

// onServerSideEmit hands a server-side event to the namespace. One that
// expects acknowledgements (Node's serverSideEmitWithAck) is ignored, as
// this adapter sends none: the sender's wait ends with its timeout.
func (a *Adapter) onServerSideEmit(req *request) {
	var event string
	if req.RequestID != "" || len(req.Data) == 0 || json.Unmarshal(req.Data[0], &event) != nil {
		a.log.Debug("redisadapter: ignoring a server-side emit", "acknowledged", req.RequestID != "")
		return
	}
	args := make(realtime.Args, len(req.Data)-1)
	for i, raw := range req.Data[1:] {
		args[i] = raw
	}
	a.nsp.ReceiveServerSideEmit(event, args)
}

// onSocketsRequest makes the selected local sockets join or leave rooms or
// disconnect; the older form naming one socket is answered when done.
func (a *Adapter) onSocketsRequest(req *request) {
	if req.Opts != nil {
		opts := req.Opts.options()
		switch req.Type {
		case typeRemoteJoin:
			a.local.AddSockets(opts, req.Rooms)
		case typeRemoteLeave:
			a.local.DelSockets(opts, req.Rooms)
		default:
			a.local.DisconnectSockets(opts, req.Close)
		}
		return
	}
	s := a.nsp.Socket(realtime.SocketID(req.SID))
	if s == nil {
		return
	}
	switch req.Type {
	case typeRemoteJoin:
		s.Join(realtime.Room(req.Room))
	case typeRemoteLeave:
		s.Leave(realtime.Room(req.Room))
	default:
		s.Disconnect(req.Close)
	}
	a.respond(req, doneResponse{RequestID: req.RequestID})
}

// onBroadcastWithAck delivers a broadcast with acknowledgements of another
// server and reports the client count and each acknowledgement to it.
func (a *Adapter) onBroadcastWithAck(req *request) {
	p := &realtime.Packet{Type: parser.Event, Namespace: a.nsp.Name(), Data: req.Packet.Data}
	err := a.local.BroadcastWithAck(p, req.Opts.options(),
		func(n int) {
			a.respond(req, clientCountResponse{Type: typeBroadcastClientCount, RequestID: req.RequestID, ClientCount: n})
		},
		func(args realtime.Args) {
			b, err := ackResponse(req.RequestID, argToWire(args))
			if err != nil {
				a.log.Warn("redisadapter: encode acknowledgement", "err", err)
				return
			}
			a.respond(req, b)
		})
	if err != nil {
		a.log.Warn("redisadapter: deliver a broadcast with acknowledgements", "err", err)
	}
}

// localRooms returns every room with a local member, the sockets' own
// included, as the Node adapter's rooms map holds them.
func (a *Adapter) localRooms() rooms {
	seen := make(map[realtime.Room]struct{})
	out := rooms{}
	for _, id := range a.local.Sockets(nil) {
		for _, r := range a.local.SocketRooms(id) {
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				out = append(out, r)
			}
		}
	}
	return out
}

// onResponse routes the answer of another server to the request waiting
// for it.
func (a *Adapter) onResponse(payload []byte) {
	r, err := decodeResponse(payload)
	if err != nil || r.RequestID == "" {
		a.log.Debug("redisadapter: ignoring a malformed response", "err", err)
		return
	}
	a.mu.Lock()
	pa := a.acks[r.RequestID]
	f := a.fetches[r.RequestID]
	a.mu.Unlock()
	switch {
	case pa != nil:
		switch r.Type {
		case typeBroadcastClientCount:
			pa.clientCount(r.ClientCount)
		case typeBroadcastAck:
			args, err := ackArgs(r.Packet)
			if err != nil {
				a.log.Debug("redisadapter: ignoring a malformed acknowledgement", "err", err)
				return
			}
			pa.ack(args)
		}
	case f != nil:
		var socks []wireSocket
		if len(r.Sockets) > 0 {
			if err := json.Unmarshal(r.Sockets, &socks); err != nil {
				a.log.Debug("redisadapter: malformed fetchSockets response", "err", err)
			}
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.fetches[r.RequestID] != f {
			return // timed out or closed meanwhile
		}
		for i := range socks {
			f.sockets = append(f.sockets, socks[i].details())
		}
		if f.remaining--; f.remaining == 0 {
			delete(a.fetches, r.RequestID)
			f.finish()
		}
	}
}

package redisadapter

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/nodetest"
	"github.com/livebuy/shop/internal/realtime"
)

// TestNodeInterop runs test/redis/ with Node: a socket.io 4.8 server using
// @socket.io/redis-adapter and the Go server started here share one Redis,
// and the official socket.io-client, connected to either, checks that
// broadcasts, rooms, fetchSockets, socketsJoin, disconnectSockets and
// broadcasts with acknowledgements cross between them both ways. Node's
// output goes to the test log.
func TestNodeInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs Node")
	}
	root := nodetest.Root(t)
	nodeBin := nodetest.Require(t, root, "socket.io", "socket.io-client", "@socket.io/redis-adapter", "redis")
	e := newEnv(t)
	g := e.node("Go", Options{}, func(srv *realtime.Server) {
		joinFromQuery(srv)
		srv.OnConnection(func(s *realtime.Socket) { goHandlers(srv, s) })
		// A server-side event from Node is passed on to the Go server's
		// own clients, for the Node test to see.
		srv.OnServerSideEmit("node-says", func(args realtime.Args) {
			_ = srv.Local().Emit("go-heard", args...)
		})
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "--test", "--test-reporter=spec", "test/redis/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"REDIS_URL=redis://"+e.redis.Addr(),
		"GO_SIO_URL="+g.hs.URL,
		"FORCE_COLOR=0",
		"NO_COLOR=1",
	)
	cmd.WaitDelay = 5 * time.Second
	if err := nodetest.Run(t, cmd, "node: "); err != nil {
		t.Errorf("node --test test/redis/: %v (see the log above)", err)
	}
}

// emitRequest asks the Go server to broadcast: event with args (and a
// binary argument when Binary is set) to Rooms except Except, Local if
// set.
type emitRequest struct {
	Event  string            `json:"event"`
	Args   []json.RawMessage `json:"args"`
	Binary []byte            `json:"binary"` // base64
	Rooms  []realtime.Room   `json:"rooms"`
	Except []realtime.Room   `json:"except"`
	Local  bool              `json:"local"`
}

func (e *emitRequest) operator(srv *realtime.Server) realtime.BroadcastOperator {
	op := srv.To(e.Rooms...).Except(e.Except...)
	if e.Local {
		op = op.Local()
	}
	return op
}

// goHandlers are the events through which the Node tests drive the Go
// server. Each acknowledges with its result, or with {error} on failure.
func goHandlers(srv *realtime.Server, s *realtime.Socket) {
	fail := func(ack realtime.AckFunc, err error) { _ = ack(map[string]string{"error": err.Error()}) }
	s.On("go-emit", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		payload := make([]any, 0, len(req.Args)+1)
		for _, a := range req.Args {
			payload = append(payload, a)
		}
		if req.Binary != nil {
			payload = append(payload, req.Binary)
		}
		if err := req.operator(srv).Emit(req.Event, payload...); err != nil {
			fail(ack, err)
			return
		}
		_ = ack(true)
	})
	s.On("go-server-emit", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		payload := make([]any, len(req.Args))
		for i, a := range req.Args {
			payload[i] = a
		}
		if err := srv.ServerSideEmit(req.Event, payload...); err != nil {
			fail(ack, err)
			return
		}
		_ = ack(true)
	})
	s.On("go-fetch", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		socks, err := req.operator(srv).FetchSockets(ctx)
		if err != nil {
			fail(ack, err)
			return
		}
		type socket struct {
			ID    realtime.SocketID `json:"id"`
			Rooms []realtime.Room   `json:"rooms"`
			Data  map[string]any    `json:"data"`
			Query map[string]string `json:"query"`
		}
		out := make([]socket, len(socks))
		for i, rs := range socks {
			q := make(map[string]string)
			for k := range rs.Handshake.Query {
				q[k] = rs.Handshake.Query.Get(k)
			}
			out[i] = socket{rs.ID, rs.Rooms, rs.Data, q}
		}
		_ = ack(out)
	})
	s.On("go-join", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		req.operator(srv).SocketsJoin(realtime.Room(req.Event))
		_ = ack(true)
	})
	s.On("go-disconnect", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		req.operator(srv).DisconnectSockets(false)
		_ = ack(true)
	})
	// The acknowledgements are awaited on another goroutine: this one reads
	// the client's packets, the acknowledgement of a Go client included.
	s.On("go-ask", func(args realtime.Args, ack realtime.AckFunc) {
		var req emitRequest
		if err := args.Decode(0, &req); err != nil {
			fail(ack, err)
			return
		}
		go func() { // ends when every acknowledgement arrived or after 5s
			ctx := context.Background()
			acks, err := req.operator(srv).Timeout(5*time.Second).EmitWithAck(ctx, req.Event)
			if err != nil {
				fail(ack, err)
				return
			}
			out := make([]any, len(acks))
			for i, a := range acks {
				if len(a) > 0 {
					out[i] = a[0]
				}
			}
			_ = ack(out)
		}()
	})
}

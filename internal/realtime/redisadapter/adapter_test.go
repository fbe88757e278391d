package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime"
)

// joinFromQuery is the test servers' middleware: a client joins the rooms
// named by its "room" query parameters and gets its "name" parameter as
// socket data.
func joinFromQuery(srv *realtime.Server) {
	srv.Use(func(s *realtime.Socket) error {
		q := s.Handshake().Query
		for _, r := range q["room"] {
			s.Join(realtime.Room(r))
		}
		if name := q.Get("name"); name != "" {
			s.Data().Set("name", name)
		}
		return nil
	})
}

// newCluster starts Redis and two servers A and B sharing it, and waits
// until both are subscribed.
func newCluster(t *testing.T, opts Options) (*env, *node, *node) {
	t.Helper()
	e := newEnv(t)
	a := e.node("A", opts, joinFromQuery)
	b := e.node("B", opts, joinFromQuery)
	waitServers(t, a.rdb, 2)
	return e, a, b
}

func TestBroadcastAcrossServers(t *testing.T) {
	_, a, b := newCluster(t, Options{})
	ca, cb := connect(t, a, nil), connect(t, b, nil)

	type goods struct {
		Nickname string `json:"nickname"`
		GoodsID  int64  `json:"goodsId"`
		Date     string `json:"date"`
	}
	tests := []struct {
		name   string
		event  string
		args   []any
		packet string
		binary [][]byte
	}{
		{"JSON values", "hello", []any{1, "two", 2.5, true, nil, map[string]any{"b": -1, "a": "x"}},
			`2["hello",1,"two",2.5,true,null,{"a":"x","b":-1}]`, nil},
		{"raw JSON keeps its key order", "raw", []any{json.RawMessage(`{"z":1,"a":[2.5,"한"]}`)},
			`2["raw",{"z":1,"a":[2.5,"한"]}]`, nil},
		{"struct", "BUY_GOODS", []any{goods{"buyer", 3, "2024-01-02T03:04:05.678Z"}},
			`2["BUY_GOODS",{"nickname":"buyer","goodsId":3,"date":"2024-01-02T03:04:05.678Z"}]`, nil},
		{"binary", "bin", []any{[]byte{1, 2, 3}, map[string]any{"deep": []byte{4}}},
			`52-["bin",{"_placeholder":true,"num":0},{"deep":{"_placeholder":true,"num":1}}]`, [][]byte{{1, 2, 3}, {4}}},
	}
	for _, tt := range tests {
		for _, from := range []*node{a, b} {
			t.Run(tt.name+" from "+from.name, func(t *testing.T) {
				if err := from.srv.Emit(tt.event, tt.args...); err != nil {
					t.Fatalf("Emit: %v", err)
				}
				for _, c := range []*sioClient{ca, cb} {
					c.expect(tt.packet)
					for _, bin := range tt.binary {
						c.expectBinary(bin)
					}
				}
			})
		}
	}
}

// TestServerSideEmitAcrossServers shows that a server-side event reaches
// the handlers of the other servers, in the order it was sent, with its
// arguments, and not the sender's own.
func TestServerSideEmitAcrossServers(t *testing.T) {
	type got struct {
		server, event string
		args          []string
	}
	received := make(chan got, 16)
	record := func(name string) func(*realtime.Server) {
		return func(srv *realtime.Server) {
			for _, event := range []string{"viewers", "other"} {
				srv.OnServerSideEmit(event, func(args realtime.Args) {
					g := got{server: name, event: event}
					for _, a := range args {
						g.args = append(g.args, string(a.(json.RawMessage)))
					}
					received <- g
				})
			}
		}
	}
	e := newEnv(t)
	a := e.node("A", Options{}, record("A"))
	b := e.node("B", Options{}, record("B"))
	waitServers(t, a.rdb, 2)

	want := []got{
		{"B", "viewers", []string{`"/detail.html?goodsId=3"`, `2`}},
		{"B", "other", nil},
		{"B", "viewers", []string{`{"b":1,"a":[true,null]}`}},
	}
	if err := a.srv.ServerSideEmit("viewers", "/detail.html?goodsId=3", 2); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.ServerSideEmit("other"); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.ServerSideEmit("viewers", json.RawMessage(`{"b":1,"a":[true,null]}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.srv.ServerSideEmit("other", "to A"); err != nil {
		t.Fatal(err)
	}
	var fromA []got
	for len(fromA) < len(want) {
		select {
		case g := <-received:
			if g.server == "A" {
				if g.event != "other" || !slices.Equal(g.args, []string{`"to A"`}) {
					t.Fatalf("A got %+v, want only B's event other \"to A\"", g)
				}
				continue
			}
			fromA = append(fromA, g)
		case <-time.After(waitTimeout):
			t.Fatalf("B got %+v, want %+v", fromA, want)
		}
	}
	for i := range want {
		if fromA[i].server != want[i].server || fromA[i].event != want[i].event || !slices.Equal(fromA[i].args, want[i].args) {
			t.Fatalf("B got %+v, want %+v", fromA, want)
		}
	}
	if err := a.srv.ServerSideEmit("disconnect"); !errors.Is(err, realtime.ErrReservedEvent) {
		t.Fatalf("ServerSideEmit(disconnect): got %v, want ErrReservedEvent", err)
	}
	if err := a.srv.ServerSideEmit("bin", []byte{1}); err == nil {
		t.Fatal("ServerSideEmit with binary data: got no error, want one")
	}
}

// TestSelectionAcrossServers checks which clients a broadcast reaches. A
// marker broadcast to everyone from the same server follows each case: a
// client that is not a target must get the marker first, since a server
// publishes in order and delivers what it receives in order.
func TestSelectionAcrossServers(t *testing.T) {
	_, a, b := newCluster(t, Options{})
	clients := map[string]*sioClient{
		"a-r":  connect(t, a, url.Values{"room": {"r"}}),
		"a":    connect(t, a, nil),
		"b-rs": connect(t, b, url.Values{"room": {"r", "s"}}),
		"b-s":  connect(t, b, url.Values{"room": {"s"}}),
		"b":    connect(t, b, nil),
	}
	socket := func(n *node, name string) *realtime.Socket {
		s := n.srv.Socket(realtime.SocketID(clients[name].sid))
		if s == nil {
			t.Fatalf("no socket for %s on %s", name, n.name)
		}
		return s
	}
	tests := []struct {
		name    string
		from    *node
		emit    func() error
		reached []string
	}{
		{"room r", a, func() error { return a.srv.To("r").Emit("e") }, []string{"a-r", "b-rs"}},
		{"room s", a, func() error { return a.srv.To("s").Emit("e") }, []string{"b-rs", "b-s"}},
		{"rooms r and s, each socket once", a, func() error { return a.srv.To("r", "s").Emit("e") }, []string{"a-r", "b-rs", "b-s"}},
		{"except r", a, func() error { return a.srv.Except("r").Emit("e") }, []string{"a", "b-s", "b"}},
		{"room s except r", b, func() error { return b.srv.To("s").Except("r").Emit("e") }, []string{"b-s"}},
		{"a remote socket's own room", a, func() error { return a.srv.To(realtime.Room(clients["b"].sid)).Emit("e") }, []string{"b"}},
		{"everyone but the sender", a, func() error { return socket(a, "a").Broadcast().Emit("e") }, []string{"a-r", "b-rs", "b-s", "b"}},
		{"everyone but the sender, from B", b, func() error { return socket(b, "b-s").Broadcast().Emit("e") }, []string{"a-r", "a", "b-rs", "b"}},
		{"local on A", a, func() error { return a.srv.Local().Emit("e") }, []string{"a-r", "a"}},
		{"local room on B", b, func() error { return b.srv.Local().To("r").Emit("e") }, []string{"b-rs"}},
		{"volatile", a, func() error { return a.srv.Volatile().To("s").Emit("e") }, []string{"b-rs", "b-s"}},
	}
	for i, tt := range tests {
		t.Run(tt.name+" from "+tt.from.name, func(t *testing.T) {
			if err := tt.emit(); err != nil {
				t.Fatalf("Emit: %v", err)
			}
			marker := fmt.Sprintf(`2["marker",%d]`, i)
			if err := tt.from.srv.Emit("marker", i); err != nil {
				t.Fatalf("Emit marker: %v", err)
			}
			for name, c := range clients {
				if slices.Contains(tt.reached, name) {
					c.expect(`2["e"]`)
				}
				if got := c.next(); got.data != marker {
					t.Errorf("client %s: got %v, want %s", name, got, marker)
				}
			}
		})
	}
}

func TestFetchSocketsAcrossServers(t *testing.T) {
	_, a, b := newCluster(t, Options{})
	ca := connect(t, a, url.Values{"room": {"r"}, "name": {"a1"}})
	cb1 := connect(t, b, url.Values{"room": {"r"}, "name": {"b1"}})
	cb2 := connect(t, b, url.Values{"name": {"b2"}})

	tests := []struct {
		name string
		op   realtime.BroadcastOperator
		want []string
	}{
		{"everyone", a.srv.Broadcast(), []string{ca.sid, cb1.sid, cb2.sid}},
		{"room r", a.srv.In("r"), []string{ca.sid, cb1.sid}},
		{"except r", a.srv.Except("r"), []string{cb2.sid}},
		{"local", a.srv.Local(), []string{ca.sid}},
		{"from B", b.srv.Except(realtime.Room(cb2.sid)), []string{ca.sid, cb1.sid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			socks, err := tt.op.FetchSockets(ctx)
			if err != nil {
				t.Fatalf("FetchSockets: %v", err)
			}
			var got []string
			for _, s := range socks {
				got = append(got, string(s.ID))
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("got sockets %v, want %v", got, want)
			}
		})
	}

	t.Run("details of a remote socket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		socks, err := a.srv.In(realtime.Room(cb1.sid)).FetchSockets(ctx)
		if err != nil || len(socks) != 1 {
			t.Fatalf("got %d sockets (%v), want 1", len(socks), err)
		}
		got := socks[0]
		live := b.srv.Socket(realtime.SocketID(cb1.sid)).Handshake()
		checks := []struct {
			what      string
			got, want any
		}{
			{"rooms", fmt.Sprint(got.Rooms), fmt.Sprint([]realtime.Room{realtime.Room(cb1.sid), "r"})},
			{"data", got.Data["name"], "b1"},
			{"query", got.Handshake.Query.Get("foo"), "bar"},
			{"header", got.Handshake.Header.Get("X-Test"), "yes"},
			{"address", got.Handshake.Address, live.Address},
			{"url", got.Handshake.URL, live.URL},
			{"time", got.Handshake.Time.UnixMilli(), live.Time.UnixMilli()},
			{"auth", string(got.Handshake.Auth), "{}"},
			{"local", got.Local() == nil, true},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
			}
		}
		// A RemoteSocket acts through the adapter.
		if err := got.Emit("direct", 1); err != nil {
			t.Fatalf("RemoteSocket.Emit: %v", err)
		}
		cb1.expect(`2["direct",1]`)
	})
}

func TestSocketsJoinLeaveDisconnectAcrossServers(t *testing.T) {
	_, a, b := newCluster(t, Options{})
	ca, cb := connect(t, a, nil), connect(t, b, nil)
	bRoom := realtime.Room(cb.sid)

	// Requests and broadcasts leave A in order, so each takes effect
	// before the broadcast that follows it.
	a.srv.In(bRoom).SocketsJoin("j")
	if err := a.srv.To("j").Emit("to-j", 1); err != nil {
		t.Fatal(err)
	}
	cb.expect(`2["to-j",1]`)
	if got := b.srv.RoomSize("j"); got != 1 {
		t.Errorf("got room j of size %d on B, want 1", got)
	}

	// Emitted from B, the broadcast does not follow A's request: wait
	// until B has carried it out.
	a.srv.SocketsJoin("all")
	waitFor(t, "B's socket in room all", func() bool { return b.srv.RoomSize("all") == 1 })
	if err := b.srv.To("all").Emit("to-all"); err != nil {
		t.Fatal(err)
	}
	ca.expect(`2["to-all"]`)
	cb.expect(`2["to-all"]`)

	a.srv.In(bRoom).SocketsLeave("j")
	if err := a.srv.To("j").Emit("to-j", 2); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Emit("marker"); err != nil {
		t.Fatal(err)
	}
	cb.expect(`2["marker"]`)
	ca.expect(`2["marker"]`)

	// A's own socket is untouched; B's is disconnected.
	a.srv.Except(realtime.Room(ca.sid)).DisconnectSockets(false)
	cb.expect("1")
	if err := a.srv.Emit("still-here"); err != nil {
		t.Fatal(err)
	}
	ca.expect(`2["still-here"]`)
}

func TestEmitWithAckAcrossServers(t *testing.T) {
	_, a, b := newCluster(t, Options{})
	ca, cb := connect(t, a, nil), connect(t, b, url.Values{"room": {"r"}})

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if n, err := a.adapter().ServerCount(ctx); n != 2 || err != nil {
		t.Fatalf("got ServerCount %d (%v), want 2", n, err)
	}
	tests := []struct {
		name string
		op   realtime.BroadcastOperator
		want []string
	}{
		{"everyone from A", a.srv.Timeout(waitTimeout), []string{"ok-" + ca.sid, "ok-" + cb.sid}},
		{"everyone from B", b.srv.Timeout(waitTimeout), []string{"ok-" + ca.sid, "ok-" + cb.sid}},
		{"remote room only", a.srv.To("r").Timeout(waitTimeout), []string{"ok-" + cb.sid}},
		{"nobody", a.srv.To("nobody").Timeout(waitTimeout), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acks, err := tt.op.EmitWithAck(ctx, "ask", 1)
			if err != nil {
				t.Fatalf("EmitWithAck: %v", err)
			}
			var got []string
			for _, args := range acks {
				var s string
				if err := args.Decode(0, &s); err != nil {
					t.Fatalf("decode %v: %v", args, err)
				}
				got = append(got, s)
			}
			slices.Sort(got)
			if want := slices.Sorted(slices.Values(tt.want)); !slices.Equal(got, want) {
				t.Errorf("got acknowledgements %v, want %v", got, want)
			}
		})
	}
}

func TestFetchSocketsWaitsAtMostRequestTimeout(t *testing.T) {
	e := newEnv(t)
	a := e.node("A", Options{RequestTimeout: 200 * time.Millisecond}, nil)
	// A server that subscribes and never answers.
	silent := e.client().Subscribe(context.Background(), "socket.io-request#/#")
	t.Cleanup(func() { _ = silent.Close() })
	waitServers(t, a.rdb, 2)

	_, err := a.srv.FetchSockets(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("got %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.srv.FetchSockets(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v with a canceled context, want context.Canceled", err)
	}

	// Close ends a wait.
	slow := e.node("slow", Options{RequestTimeout: time.Hour}, nil)
	waitServers(t, a.rdb, 3)
	done := make(chan error, 1)
	go func() {
		_, err := slow.srv.FetchSockets(context.Background())
		done <- err
	}()
	for slow.adapter().pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := slow.adapter().Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("got %v after Close, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("FetchSockets still waiting after Close")
	}
}

// TestRedisOutage stops Redis under two servers: local delivery goes on
// without blocking, a server started meanwhile works locally, and all
// three find each other again once Redis is back.
func TestRedisOutage(t *testing.T) {
	e, a, b := newCluster(t, Options{})
	ca, cb := connect(t, a, nil), connect(t, b, nil)

	e.redis.stop()
	for i := range 3 {
		if err := a.srv.Emit("during", i); err != nil {
			t.Fatalf("Emit during the outage: %v", err)
		}
		ca.expect(fmt.Sprintf(`2["during",%d]`, i))
	}
	waitFor(t, "A to log the failed publication", func() bool { return strings.Contains(a.logs.String(), "publish failed") })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := a.srv.FetchSockets(ctx); err == nil {
		t.Error("got FetchSockets without Redis, want an error")
	}
	c := e.node("C", Options{}, nil)
	cc := connect(t, c, nil)
	if err := c.srv.Emit("local"); err != nil {
		t.Fatal(err)
	}
	cc.expect(`2["local"]`)

	e.redis.restart()
	waitServers(t, a.rdb, 3)
	// The broadcast pattern may be subscribed again just after the request
	// channel that waitServers sees: emit until one arrives.
	emitUntilReceived(t, a, cb)
	emitUntilReceived(t, b, ca)
	emitUntilReceived(t, c, cb)
	emitUntilReceived(t, a, cc)

	for _, want := range []string{"subscription lost", "subscribed again", "publishing again"} {
		if !strings.Contains(a.logs.String(), want) {
			t.Errorf("A's log does not say %q:\n%s", want, a.logs.String())
		}
	}
}

// emitUntilReceived emits from n until c receives one of the emissions.
func emitUntilReceived(t *testing.T, n *node, c *sioClient) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := n.srv.Emit("after", n.name, i); err != nil {
			t.Fatal(err)
		}
		if f, ok := c.poll(100 * time.Millisecond); ok && strings.HasPrefix(f.data, `2["after","`+n.name+`"`) {
			return
		}
	}
	t.Fatalf("no broadcast from %s reached client %s after Redis restarted", n.name, c.sid)
}

// pending returns the number of FetchSockets calls waiting for answers.
func (a *Adapter) pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.fetches)
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

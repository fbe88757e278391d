package realtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// roomFixture connects four clients to "/" on transport: a in r1, b in r1
// and r2, c in r2, d in none.
type roomFixture struct {
	srv     *Server
	clients map[string]*testClient
	sockets map[string]*Socket
}

func newRoomFixture(t *testing.T, tr string, opts Options) *roomFixture {
	t.Helper()
	srv, hs := newTestServer(t, opts)
	f := &roomFixture{srv: srv, clients: map[string]*testClient{}, sockets: map[string]*Socket{}}
	rooms := map[string][]Room{"a": {"r1"}, "b": {"r1", "r2"}, "c": {"r2"}, "d": nil}
	for _, name := range []string{"a", "b", "c", "d"} {
		c := dial(t, hs, tr, nil)
		s := socketOf(t, srv.Of("/"), c.connect("/", ""))
		s.Join(rooms[name]...)
		f.clients[name], f.sockets[name] = c, s
	}
	return f
}

// receivers emits nothing itself: it returns which clients got the event
// "probe" carrying tag, then checks that none got it twice by sending a
// marker to everyone.
func (f *roomFixture) receivers(t *testing.T, tag string) string {
	t.Helper()
	if err := f.srv.Emit("marker", tag); err != nil {
		t.Fatal(err)
	}
	var got []string
	for name, c := range f.clients {
		for {
			m := c.message()
			if m == fmt.Sprintf(`2["marker",%q]`, tag) {
				break
			}
			if !strings.Contains(m, fmt.Sprintf(`"probe",%q`, tag)) {
				t.Fatalf("client %s got %q, want the probe or the marker", name, m)
			}
			got = append(got, name)
		}
	}
	sort.Strings(got)
	return strings.Join(got, ",")
}

func TestBroadcastSelection(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newRoomFixture(t, tr, Options{})
			nsp := f.srv.Of("/")
			a := f.sockets["a"]
			tests := []struct {
				name string
				op   BroadcastOperator
				want string
			}{
				{"all", nsp.Broadcast(), "a,b,c,d"},
				{"to r1", nsp.To("r1"), "a,b"},
				{"in r2", nsp.In("r2"), "b,c"},
				{"union, each once", nsp.To("r1", "r2"), "a,b,c"},
				{"union by chaining", nsp.To("r1").To("r2").To("r1"), "a,b,c"},
				{"except", nsp.Except("r2"), "a,d"},
				{"to except", nsp.To("r1").Except("r2"), "a"},
				{"to socket id", nsp.To(Room(f.sockets["d"].ID())), "d"},
				{"to socket id and room", nsp.To(Room(f.sockets["d"].ID()), "r1"), "a,b,d"},
				{"except socket id", nsp.Except(Room(a.ID())), "b,c,d"},
				{"socket broadcast", a.Broadcast(), "b,c,d"},
				{"socket to", a.To("r1"), "b"},
				{"socket to union", a.To("r1", "r2"), "b,c"},
				{"socket except", a.Except("r2"), "d"},
				{"local", nsp.Local().To("r1"), "a,b"},
				{"volatile", nsp.Volatile().To("r2"), "b,c"},
				{"empty room", nsp.To("nobody"), ""},
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tag := fmt.Sprint(i)
					if err := tt.op.Emit("probe", tag); err != nil {
						t.Fatal(err)
					}
					if got := f.receivers(t, tag); got != tt.want {
						t.Fatalf("got receivers %q, want %q", got, tt.want)
					}
				})
			}
		})
	}
}

func TestBroadcastOperatorIsImmutable(t *testing.T) {
	f := newRoomFixture(t, "websocket", Options{})
	base := f.srv.To("r1")
	_ = base.To("r2").Except("r1")
	derived := base.Except("nothing")
	_ = derived.To("r2")
	if err := base.Emit("probe", "x"); err != nil {
		t.Fatal(err)
	}
	if got := f.receivers(t, "x"); got != "a,b" {
		t.Fatalf("got receivers %q, want a,b", got)
	}
}

func TestRoomsAndSizes(t *testing.T) {
	f := newRoomFixture(t, "websocket", Options{})
	nsp := f.srv.Of("/")
	b := f.sockets["b"]
	if got, want := b.Rooms(), []Room{Room(b.ID()), "r1", "r2"}; !slices.Equal(got, want) {
		t.Fatalf("got rooms %v, want %v", got, want)
	}
	sizes := map[Room]int{"r1": 2, "r2": 2, "none": 0, Room(b.ID()): 1}
	for room, want := range sizes {
		if got := nsp.RoomSize(room); got != want {
			t.Errorf("RoomSize(%s): got %d, want %d", room, got, want)
		}
	}
	b.Leave("r1")
	b.Join("r2") // already in: no duplicate
	if got := nsp.RoomSize("r1"); got != 1 {
		t.Errorf("RoomSize(r1) after leave: got %d, want 1", got)
	}
	if got, want := b.Rooms(), []Room{Room(b.ID()), "r2"}; !slices.Equal(got, want) {
		t.Fatalf("got rooms %v, want %v", got, want)
	}
	if got := nsp.SocketCount(); got != 4 {
		t.Errorf("SocketCount: got %d, want 4", got)
	}
	f.clients["c"].send("1")
	deadline := time.Now().Add(waitTimeout)
	for nsp.RoomSize("r2") != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := nsp.RoomSize("r2"); got != 1 {
		t.Errorf("RoomSize(r2) after c left: got %d, want 1", got)
	}
	if got := nsp.SocketCount(); got != 3 {
		t.Errorf("SocketCount after c left: got %d, want 3", got)
	}
}

func TestBroadcastWithAck(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			f := newRoomFixture(t, tr, Options{})
			type result struct {
				acks []Args
				err  error
			}
			res := make(chan result, 1)
			go func() {
				acks, err := f.srv.To("r1", "r2").Timeout(waitTimeout).EmitWithAck(context.Background(), "q", 1)
				res <- result{acks, err}
			}()
			for _, name := range []string{"a", "b", "c"} {
				c := f.clients[name]
				var id int
				m := c.message()
				if _, err := fmt.Sscanf(m, `2%d["q",1]`, &id); err != nil {
					t.Fatalf("client %s got %q, want an EVENT with an ack id", name, m)
				}
				c.send(fmt.Sprintf(`3%d[%q]`, id, name))
			}
			r := <-res
			if r.err != nil {
				t.Fatal(r.err)
			}
			var names []string
			for _, a := range r.acks {
				var s string
				if err := a.Decode(0, &s); err != nil {
					t.Fatal(err)
				}
				names = append(names, s)
			}
			sort.Strings(names)
			if got := strings.Join(names, ","); got != "a,b,c" {
				t.Fatalf("got acks from %q, want a,b,c", got)
			}

			// One target does not answer: the timeout returns what came.
			go func() {
				acks, err := f.srv.To("r2").Timeout(100*time.Millisecond).EmitWithAck(context.Background(), "q", 2)
				res <- result{acks, err}
			}()
			var id int
			if _, err := fmt.Sscanf(f.clients["b"].message(), `2%d["q",2]`, &id); err != nil {
				t.Fatal(err)
			}
			f.clients["c"].message()
			f.clients["b"].send(fmt.Sprintf(`3%d["b"]`, id))
			r = <-res
			if !errors.Is(r.err, ErrAckTimeout) || len(r.acks) != 1 {
				t.Fatalf("got %d acks and %v, want 1 and ErrAckTimeout", len(r.acks), r.err)
			}

			// No target: complete at once.
			acks, err := f.srv.To("nobody").EmitWithAck(context.Background(), "q")
			if err != nil || len(acks) != 0 {
				t.Fatalf("got %v, %v, want no acks and no error", acks, err)
			}
		})
	}
}

func TestFetchSocketsAndRemoteOperations(t *testing.T) {
	f := newRoomFixture(t, "websocket", Options{})
	f.sockets["a"].Data().Set("user", "alice")
	ctx := context.Background()

	socks, err := f.srv.In("r1").FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 2 {
		t.Fatalf("got %d sockets in r1, want 2", len(socks))
	}
	for _, rs := range socks {
		if rs.Local() == nil {
			t.Errorf("socket %s: Local() is nil, want the live socket", rs.ID)
		}
		if rs.ID == f.sockets["a"].ID() {
			if rs.Data["user"] != "alice" {
				t.Errorf("got data %v, want user alice", rs.Data)
			}
			if !slices.Contains(rs.Rooms, "r1") || rs.Handshake.Query.Get("EIO") != "4" {
				t.Errorf("got rooms %v handshake query %v, want r1 and EIO=4", rs.Rooms, rs.Handshake.Query)
			}
			if err := rs.Emit("probe", "remote"); err != nil {
				t.Fatal(err)
			}
			rs.Join("r3")
		}
	}
	if got := f.receivers(t, "remote"); got != "a" {
		t.Fatalf("got receivers %q, want a", got)
	}
	if got := f.srv.RoomSize("r3"); got != 1 {
		t.Fatalf("got r3 size %d, want 1", got)
	}

	f.srv.In("r2").SocketsJoin("r4", "r5")
	if a, b := f.srv.RoomSize("r4"), f.srv.RoomSize("r5"); a != 2 || b != 2 {
		t.Fatalf("got r4 %d r5 %d, want 2 2", a, b)
	}
	f.srv.Except("r1").SocketsLeave("r4")
	if got := f.srv.RoomSize("r4"); got != 1 {
		t.Fatalf("got r4 %d, want 1 (b only)", got)
	}

	f.srv.In("r2").DisconnectSockets(false)
	for _, name := range []string{"b", "c"} {
		f.clients[name].expect("1")
	}
	if got := f.srv.SocketCount(); got != 2 {
		t.Fatalf("got %d sockets, want 2", got)
	}
	f.srv.DisconnectSockets(true)
	for _, name := range []string{"a", "d"} {
		f.clients[name].expect("1")
		f.clients[name].expectClosed()
	}
	all, err := f.srv.FetchSockets(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("got %d sockets, %v, want none", len(all), err)
	}
}

// TestBroadcastEncodesOnce shows that a broadcast encodes its packet once
// and hands the same message to every target: the allocations of one
// broadcast do not grow with the number of sockets it reaches. Encoding or
// framing per target would cost at least one allocation per socket.
func TestBroadcastEncodesOnce(t *testing.T) {
	payload := map[string]any{"nickname": "alice", "goodsId": 3, "goodsName": "shoes", "date": "2026-11-21T05:12:34.567Z"}
	allocs := func(sockets int) float64 {
		srv, _ := newTestServer(t, benchOptions())
		sids := inProcessSessions(t, srv, sockets)
		emit := func() {
			if err := srv.Of("/").Emit("BUY_GOODS", payload); err != nil {
				t.Fatal(err)
			}
		}
		// A polling session's queue is handed to the next poll whole, so
		// the queues are filled first to a capacity (64) that the
		// measured broadcasts (20, and one more to warm up) do not exceed.
		for range 33 {
			emit()
		}
		n := testing.AllocsPerRun(20, emit)
		drain(srv, sids)
		return n
	}
	const few, many = 10, 400
	fewAllocs, manyAllocs := allocs(few), allocs(many)
	if perTarget := (manyAllocs - fewAllocs) / (many - few); perTarget > 0.1 {
		t.Fatalf("got %.1f allocations for a broadcast to %d sockets and %.1f to %d (%.2f per extra target), want no growth with the targets",
			fewAllocs, few, manyAllocs, many, perTarget)
	}
	t.Logf("allocations per broadcast: %.1f to %d sockets, %.1f to %d", fewAllocs, few, manyAllocs, many)
}

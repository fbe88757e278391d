package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// connected returns a client connected to "/" on transport and its
// server-side socket.
func connected(t *testing.T, srv *Server, c *testClient) *Socket {
	t.Helper()
	return socketOf(t, srv.Of("/"), c.connect("/", ""))
}

func TestEmitToClient(t *testing.T) {
	type point struct {
		X, Y int
	}
	tests := []struct {
		name   string
		event  string
		args   []any
		want   string
		binary [][]byte
	}{
		{"no args", "ping", nil, `2["ping"]`, nil},
		{"scalars", "s", []any{1, "two", true, nil, 2.5}, `2["s",1,"two",true,null,2.5]`, nil},
		{"struct and map", "o", []any{point{1, 2}, map[string]any{"b": 1, "a": []int{1}}}, `2["o",{"X":1,"Y":2},{"a":[1],"b":1}]`, nil},
		{"raw json", "r", []any{json.RawMessage(`{"z":1,"a":2}`)}, `2["r",{"z":1,"a":2}]`, nil},
		{"unicode and html", "u", []any{"<é>\u2028"}, `2["u","<é>\u2028"]`, nil},
		{"binary", "b", []any{[]byte{1, 2, 3}}, `51-["b",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2, 3}}},
		{"nested binary", "nb", []any{map[string]any{"f": []byte{9}, "n": 1}, []any{[]byte{}, 3}},
			`52-["nb",{"f":{"_placeholder":true,"num":0},"n":1},[{"_placeholder":true,"num":1},3]]`, [][]byte{{9}, {}}},
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{})
			c := dial(t, hs, tr, nil)
			s := connected(t, srv, c)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if err := s.Emit(tt.event, tt.args...); err != nil {
						t.Fatal(err)
					}
					c.expect(tt.want)
					for _, b := range tt.binary {
						c.expectBinary(b)
					}
				})
			}
		})
	}
}

func TestEmitErrors(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	c := dial(t, hs, "websocket", nil)
	s := connected(t, srv, c)
	for _, ev := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if err := s.Emit(ev); !errors.Is(err, ErrReservedEvent) {
			t.Errorf("Emit(%q): got %v, want ErrReservedEvent", ev, err)
		}
		if err := srv.Emit(ev); !errors.Is(err, ErrReservedEvent) {
			t.Errorf("broadcast Emit(%q): got %v, want ErrReservedEvent", ev, err)
		}
	}
	if err := s.Emit("x", func() {}); err == nil {
		t.Error("Emit with a func argument: got nil error, want an encoding error")
	}
	s.Disconnect(false)
	if err := s.Emit("x"); !errors.Is(err, ErrDisconnected) {
		t.Errorf("Emit after Disconnect: got %v, want ErrDisconnected", err)
	}
}

func TestClientEvents(t *testing.T) {
	type payload struct {
		Name string `json:"name"`
		Blob []byte `json:"blob"`
	}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{})
			got := newEvents()
			srv.OnConnection(func(s *Socket) {
				s.On("plain", func(args Args, ack AckFunc) {
					var n int
					var str string
					if err := args.Decode(0, &n); err != nil {
						got.add("decode: %v", err)
					}
					if err := args.Decode(1, &str); err != nil {
						got.add("decode: %v", err)
					}
					got.add("plain %d %s %d ack=%v", n, str, len(args), ack != nil)
				})
				s.On("ack", func(args Args, ack AckFunc) {
					if err := ack(args...); err != nil {
						got.add("ack: %v", err)
					}
					if err := ack(); err == nil {
						got.add("second ack accepted")
					}
				})
				s.On("bin", func(args Args, ack AckFunc) {
					var b []byte
					if err := args.Decode(0, &b); err != nil {
						got.add("decode: %v", err)
					}
					var p payload
					if err := args.Decode(1, &p); err != nil {
						got.add("decode: %v", err)
					}
					got.add("bin %v %s %v", b, p.Name, p.Blob)
					_ = ack([]byte{7, 8}, "ok")
				})
			})
			c := dial(t, hs, tr, nil)
			c.connect("/", "")

			c.send(`2["plain",42,"x"]`)
			got.expect(t, "plain 42 x 2 ack=false")

			c.send(`21["ack",{"a":1},[2]]`)
			c.expect(`31[{"a":1},[2]]`)

			c.send(`52-7["bin",{"_placeholder":true,"num":0},{"name":"n","blob":{"_placeholder":true,"num":1}}]`)
			c.sendBinary([]byte{1, 2})
			c.sendBinary([]byte{3})
			got.expect(t, "bin [1 2] n [3]")
			c.expect(`61-7[{"_placeholder":true,"num":0},"ok"]`)
			c.expectBinary([]byte{7, 8})
		})
	}
}

func TestEmitWithAck(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{})
			c := dial(t, hs, tr, nil)
			s := connected(t, srv, c)

			type result struct {
				args Args
				err  error
			}
			res := make(chan result, 1)
			go func() {
				a, err := s.EmitWithAck(context.Background(), "q", 1)
				res <- result{a, err}
			}()
			m := c.message()
			var id int
			if _, err := fmt.Sscanf(m, `2%d["q",1]`, &id); err != nil {
				t.Fatalf("got %q, want an EVENT with an ack id", m)
			}
			c.send(fmt.Sprintf(`61-%d[{"_placeholder":true,"num":0},"done"]`, id))
			c.sendBinary([]byte{5})
			r := <-res
			if r.err != nil {
				t.Fatal(r.err)
			}
			var b []byte
			var str string
			if err := r.args.Decode(0, &b); err != nil || len(b) != 1 || b[0] != 5 {
				t.Fatalf("got ack argument %v (%v), want [5]", r.args[0], err)
			}
			if err := r.args.Decode(1, &str); err != nil || str != "done" {
				t.Fatalf("got ack argument %v, want done", r.args[1])
			}

			// Timeout(d): no answer.
			_, err := s.Timeout(50*time.Millisecond).EmitWithAck(context.Background(), "q")
			if !errors.Is(err, ErrAckTimeout) {
				t.Fatalf("got %v, want ErrAckTimeout", err)
			}
			c.message()

			// A context deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if _, err := s.EmitWithAck(ctx, "q"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want context.DeadlineExceeded", err)
			}
			c.message()

			// A late answer to a timed-out id is ignored.
			c.send(fmt.Sprintf(`3%d[]`, id+1))

			// The socket disconnects while waiting.
			go func() {
				a, err := s.EmitWithAck(context.Background(), "q")
				res <- result{a, err}
			}()
			c.message()
			c.send("1")
			if r := <-res; !errors.Is(r.err, ErrDisconnected) {
				t.Fatalf("got %v, want ErrDisconnected", r.err)
			}
		})
	}
}

func TestListeners(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	got := newEvents()
	offs := make(chan func(), 1)
	srv.OnConnection(func(s *Socket) {
		s.OnAny(func(event string, args Args, ack AckFunc) { got.add("any %s %d", event, len(args)) })
		off := s.On("e", func(args Args, ack AckFunc) { got.add("on e") })
		s.Once("e", func(args Args, ack AckFunc) { got.add("once e") })
		s.On("f", func(args Args, ack AckFunc) { got.add("on f") })
		offs <- off
	})
	c := dial(t, hs, "websocket", nil)
	s := connected(t, srv, c)
	off := <-offs

	c.send(`2["e",1]`)
	got.expect(t, "any e 1")
	got.expect(t, "on e")
	got.expect(t, "once e")

	c.send(`2["e"]`)
	got.expect(t, "any e 0")
	got.expect(t, "on e")

	off()
	c.send(`2["e"]`)
	got.expect(t, "any e 0")

	s.Off("f")
	c.send(`2["f"]`)
	got.expect(t, "any f 0")

	c.send(`2["unknown",[1]]`)
	got.expect(t, "any unknown 1")

	// The listeners fire in order: nothing else was observed.
	select {
	case e := <-got.ch:
		t.Fatalf("got extra event %q", e)
	default:
	}
}

func TestHandlerPanicIsContained(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	srv.OnConnection(func(s *Socket) {
		s.On("boom", func(Args, AckFunc) { panic("boom") })
		s.On("ok", func(args Args, ack AckFunc) { _ = ack("fine") })
	})
	c := dial(t, hs, "websocket", nil)
	c.connect("/", "")
	c.send(`2["boom"]`, `20["ok"]`)
	c.expect(`30["fine"]`)
}

// TestEventName checks the names given to events by the first element of
// an EVENT packet: strings as they are, numbers as JavaScript's String()
// writes them (the Node server's listeners are keyed by that), anything
// else refused.
func TestEventName(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"buy"`, "buy", true},
		{`"\u0062uy"`, "buy", true},
		{`""`, "", true},
		{`"connect"`, "", false},
		{`"newListener"`, "", false},
		{`42`, "42", true},
		{`-7`, "-7", true},
		{`1.50`, "1.5", true},
		{`1.0`, "1", true},
		{`-0`, "0", true},
		{`1E+2`, "100", true},
		{`-1.5e3`, "-1500", true},
		{`123456789012345678901`, "123456789012345680000", true},
		{`1e21`, "1e+21", true},
		{`-2.5e22`, "-2.5e+22", true},
		{`0.000001`, "0.000001", true},
		{`1e-7`, "1e-7", true},
		{`1.25e-10`, "1.25e-10", true},
		{`1e400`, "Infinity", true},
		{`-1e400`, "-Infinity", true},
		{`null`, "", false},
		{`true`, "", false},
		{`{"a":1}`, "", false},
		{`["a"]`, "", false},
	}
	for _, tt := range tests {
		got, ok := eventName(json.RawMessage(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("eventName(%s): got %q, %v, want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := eventName([]byte("bin")); ok {
		t.Error("eventName of a binary attachment: got ok, want refused")
	}
}

// TestClientSendsNumericEvent checks that an event named by a number, which
// socket.io-parser accepts, reaches the listener of its JavaScript name and
// can be acknowledged.
func TestClientSendsNumericEvent(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	got := newEvents()
	srv.OnConnection(func(s *Socket) {
		s.On("42", func(args Args, ack AckFunc) {
			got.add("42 with %d args", len(args))
			_ = ack("ok")
		})
		s.OnAny(func(event string, _ Args, _ AckFunc) { got.add("any %s", event) })
	})
	c := dial(t, hs, "websocket", nil)
	c.connect("/", "")
	c.send(`23[42,"x"]`)
	got.expect(t, "any 42")
	got.expect(t, "42 with 1 args")
	c.expect(`33["ok"]`)
	c.send(`2[1e21]`)
	got.expect(t, "any 1e+21")
}

func TestClientSendsReservedEvent(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	reasons := newEvents()
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(reason string) { reasons.add("%s", reason) })
	})
	c := dial(t, hs, "websocket", nil)
	c.connect("/", "")
	c.send(`2["disconnect"]`)
	c.expectClosed()
	reasons.expect(t, ReasonParseError)
}

// TestServerSideEmitLocal covers server-side events on one server: with the
// in-memory adapter an emit reaches no handler of this server, and events
// handed over by an adapter run every handler of their name in order, past
// one that panics.
func TestServerSideEmitLocal(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	var got []string
	srv.OnServerSideEmit("viewers", func(args Args) {
		var page string
		if err := args.Decode(0, &page); err != nil {
			t.Errorf("decode: %v", err)
		}
		got = append(got, "first "+page)
	})
	srv.OnServerSideEmit("viewers", func(Args) { panic("a broken handler") })
	srv.OnServerSideEmit("viewers", func(args Args) { got = append(got, fmt.Sprintf("third %d", len(args))) })
	srv.OnServerSideEmit("other", func(Args) { got = append(got, "other") })

	if err := srv.ServerSideEmit("viewers", "/goods.html"); err != nil {
		t.Fatalf("ServerSideEmit: got %v, want nil", err)
	}
	if len(got) != 0 {
		t.Fatalf("got %q after this server's own emit, want no handler run", got)
	}
	srv.ReceiveServerSideEmit("viewers", Args{json.RawMessage(`"/cart.html"`), json.RawMessage(`2`)})
	srv.ReceiveServerSideEmit("unknown", Args{})
	want := []string{"first /cart.html", "third 2"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, tt := range []struct {
		name  string
		event string
		args  []any
	}{
		{"reserved name", "connect", nil},
		{"binary data", "viewers", []any{[]byte{1}}},
		{"not JSON", "viewers", []any{func() {}}},
	} {
		if err := srv.ServerSideEmit(tt.event, tt.args...); err == nil {
			t.Errorf("%s: ServerSideEmit got nil, want an error", tt.name)
		}
	}
}

package realtime

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime/engineio"
)

// connectReply connects c to "/" with auth and returns the CONNECT reply's
// sid and pid.
func connectReply(t *testing.T, c *testClient, auth string) (sid, pid string) {
	t.Helper()
	c.send(connectPacket("/", auth))
	m := c.message()
	var body struct{ SID, PID string }
	if !strings.HasPrefix(m, "0{") || json.Unmarshal([]byte(m[1:]), &body) != nil {
		t.Fatalf("got %q, want a CONNECT reply", m)
	}
	return body.SID, body.PID
}

// lastString returns the last argument of an EVENT packet, the offset.
func lastString(t *testing.T, packet string) string {
	t.Helper()
	i := strings.IndexByte(packet, '[')
	var args []json.RawMessage
	if i < 0 || json.Unmarshal([]byte(packet[i:]), &args) != nil || len(args) == 0 {
		t.Fatalf("got %q, want an EVENT", packet)
	}
	var s string
	if err := json.Unmarshal(args[len(args)-1], &s); err != nil {
		t.Fatalf("got %q, want an offset as last argument", packet)
	}
	return s
}

func TestRecovery(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			var mwRuns atomic.Int32
			// Short heartbeats: a polling client that stops polling is noticed
			// by the ping timeout.
			srv, hs := newTestServer(t, Options{
				Engine:                  engineio.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond},
				ConnectionStateRecovery: &RecoveryOptions{MaxDisconnectionDuration: time.Minute},
			})
			srv.Use(func(s *Socket) error { mwRuns.Add(1); return nil })
			conns := make(chan *Socket, 4)
			srv.OnConnection(func(s *Socket) {
				if !s.Recovered() {
					s.Join("news")
					s.Data().Set("k", "v")
				}
				conns <- s
			})

			c1 := dial(t, hs, tr, nil)
			sid, pid := connectReply(t, c1, "")
			if sid == "" || pid == "" {
				t.Fatalf("got sid %q pid %q, want both", sid, pid)
			}
			s1 := <-conns
			if s1.Recovered() {
				t.Fatal("a fresh socket reports Recovered")
			}
			if err := srv.To("news").Emit("n", 1); err != nil {
				t.Fatal(err)
			}
			m := c1.message()
			if !strings.HasPrefix(m, `2["n",1,"`) {
				t.Fatalf("got %q, want the event with an offset", m)
			}
			offset := lastString(t, m)
			if err := s1.Emit("direct"); err != nil {
				t.Fatal(err)
			}
			m = c1.message()
			if !strings.HasPrefix(m, `2["direct","`) || lastString(t, m) == offset {
				t.Fatalf("got %q, want the direct event with a new offset", m)
			}
			offset = lastString(t, m) // the client keeps the last offset it saw

			c1.close()
			deadline := time.Now().Add(waitTimeout)
			for srv.SocketCount() != 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			// While away: what the socket must and must not get back.
			mustEmit(t, srv.To("news").Emit("n", 2))
			mustEmit(t, srv.Emit("all", 3))
			mustEmit(t, srv.To("other").Emit("x"))
			mustEmit(t, srv.Except("news").Emit("y"))
			mustEmit(t, srv.Volatile().Emit("v"))
			mustEmit(t, srv.To("news").Emit("b", []byte{1, 2}))

			c2 := dial(t, hs, tr, nil)
			sid2, pid2 := connectReply(t, c2, fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset))
			if sid2 != sid || pid2 != pid {
				t.Fatalf("got sid %q pid %q, want the previous %q %q", sid2, pid2, sid, pid)
			}
			for _, want := range []string{`2["n",2,"`, `2["all",3,"`, `51-["b",{"_placeholder":true,"num":0},"`} {
				if m := c2.message(); !strings.HasPrefix(m, want) {
					t.Fatalf("got %q, want a packet starting %q", m, want)
				}
			}
			c2.expectBinary([]byte{1, 2})
			s2 := <-conns
			if !s2.Recovered() || s2.ID() != SocketID(sid) {
				t.Fatalf("got recovered %v id %s, want true %s", s2.Recovered(), s2.ID(), sid)
			}
			if !slices.Contains(s2.Rooms(), "news") {
				t.Fatalf("got rooms %v, want news restored", s2.Rooms())
			}
			if v, _ := s2.Data().Get("k"); v != "v" {
				t.Fatalf("got data k=%v, want v", v)
			}
			if n := mwRuns.Load(); n != 2 {
				t.Fatalf("middleware ran %d times, want 2 (again on recovery)", n)
			}
			c2.expectNothing(50 * time.Millisecond)

			// A session is restored once: the same pid again gets a new socket.
			c2.close()
			c3 := dial(t, hs, tr, nil)
			c3.connect("/", "") // consume nothing of the session
			c4 := dial(t, hs, tr, nil)
			if sid4, _ := connectReply(t, c4, fmt.Sprintf(`{"pid":%q,"offset":%q}`, "unknown", offset)); sid4 == sid {
				t.Fatal("an unknown pid restored the session")
			}
		})
	}
}

func mustEmit(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryRefused(t *testing.T) {
	tests := []struct {
		name    string
		maxAway time.Duration
		leave   func(c *testClient)
		auth    func(pid, offset string) string
		wait    time.Duration
	}{
		{"client left on purpose", time.Minute, func(c *testClient) { c.send("1"); c.close() },
			func(pid, offset string) string { return fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset) }, 0},
		{"expired", time.Millisecond, func(c *testClient) { c.close() },
			func(pid, offset string) string { return fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset) }, 20 * time.Millisecond},
		{"no offset", time.Minute, func(c *testClient) { c.close() },
			func(pid, _ string) string { return fmt.Sprintf(`{"pid":%q}`, pid) }, 0},
		{"unknown offset", time.Minute, func(c *testClient) { c.close() },
			func(pid, _ string) string { return fmt.Sprintf(`{"pid":%q,"offset":"nope"}`, pid) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{ConnectionStateRecovery: &RecoveryOptions{MaxDisconnectionDuration: tt.maxAway}})
			c1 := dial(t, hs, "websocket", nil)
			sid, pid := connectReply(t, c1, "")
			mustEmit(t, srv.Emit("e"))
			offset := lastString(t, c1.message())
			tt.leave(c1)
			deadline := time.Now().Add(waitTimeout)
			for srv.SocketCount() != 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(tt.wait)
			c2 := dial(t, hs, "websocket", nil)
			if sid2, _ := connectReply(t, c2, tt.auth(pid, offset)); sid2 == sid {
				t.Fatal("the session was restored")
			}
		})
	}
}

func TestRecoverySkipMiddlewares(t *testing.T) {
	srv, hs := newTestServer(t, Options{ConnectionStateRecovery: &RecoveryOptions{SkipMiddlewares: true}})
	var runs atomic.Int32
	srv.Use(func(*Socket) error { runs.Add(1); return nil })
	c1 := dial(t, hs, "websocket", nil)
	_, pid := connectReply(t, c1, "")
	mustEmit(t, srv.Emit("e"))
	offset := lastString(t, c1.message())
	c1.close()
	deadline := time.Now().Add(waitTimeout)
	for srv.SocketCount() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c2 := dial(t, hs, "websocket", nil)
	connectReply(t, c2, fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset))
	if n := runs.Load(); n != 1 {
		t.Fatalf("middleware ran %d times, want 1", n)
	}
}

package realtime

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime/engineio"
)

// watchDisconnect records, for every socket of nsp, the rooms seen by
// OnDisconnecting and the reason and rooms seen by OnDisconnect.
func watchDisconnect(nsp *Namespace, got *events) {
	nsp.OnConnection(func(s *Socket) {
		s.Join("room")
		s.OnDisconnecting(func(reason string) {
			got.add("disconnecting %s rooms=%d", reason, len(s.Rooms()))
		})
		s.OnDisconnect(func(reason string) {
			got.add("disconnect %s rooms=%d connected=%v", reason, len(s.Rooms()), s.Connected())
		})
	})
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		reason string
		opts   Options
		// cause disconnects s, whose client is c.
		cause func(t *testing.T, srv *Server, c *testClient, s *Socket)
		// after checks what the client saw.
		after func(t *testing.T, c *testClient)
	}{
		{
			reason: ReasonClientNamespaceDisconnect,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.send("1") },
			after: func(t *testing.T, c *testClient) {
				c.connect("/", "") // the session stays usable
			},
		},
		{
			reason: ReasonServerNamespaceDisconnect,
			cause:  func(t *testing.T, _ *Server, _ *testClient, s *Socket) { s.Disconnect(false) },
			after: func(t *testing.T, c *testClient) {
				c.expect("1")
				c.connect("/", "")
			},
		},
		{
			reason: ReasonServerNamespaceDisconnect,
			cause:  func(t *testing.T, _ *Server, _ *testClient, s *Socket) { s.Disconnect(true) },
			after: func(t *testing.T, c *testClient) {
				c.expect("1")
				c.expectClosed()
			},
		},
		{
			reason: ReasonTransportClose,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.sendRaw("1") },
		},
		{
			reason: ReasonPingTimeout,
			opts:   Options{Engine: engineio.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond}},
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.noPong.Store(true) },
		},
		{
			reason: ReasonParseError,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.send(`2["unterminated"`) },
			after:  func(t *testing.T, c *testClient) { c.expectClosed() },
		},
		{
			reason: ReasonParseError,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.sendBinary([]byte{1}) },
			after:  func(t *testing.T, c *testClient) { c.expectClosed() },
		},
		{
			reason: ReasonForcedServerClose,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.send(`2/notjoined,["x"]`) },
			after:  func(t *testing.T, c *testClient) { c.expectClosed() },
		},
		{
			reason: ReasonForcedServerClose,
			cause:  func(t *testing.T, _ *Server, c *testClient, _ *Socket) { c.send("0") }, // a second CONNECT
			after:  func(t *testing.T, c *testClient) { c.expectClosed() },
		},
		{
			reason: ReasonServerShuttingDown,
			cause: func(t *testing.T, srv *Server, _ *testClient, _ *Socket) {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			},
			after: func(t *testing.T, c *testClient) {
				// No DISCONNECT packet, so that clients reconnect.
				if got := c.expectClosed(); len(got) != 0 {
					t.Fatalf("got %v before the close packet, want nothing", got)
				}
			},
		},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+strings.ReplaceAll(tt.reason, " ", "_"), func(t *testing.T) {
				srv, hs := newTestServer(t, tt.opts)
				got := newEvents()
				watchDisconnect(srv.Of("/"), got)
				c := dial(t, hs, tr, nil)
				s := connected(t, srv, c)
				tt.cause(t, srv, c, s)
				got.expect(t, "disconnecting "+tt.reason+" rooms=2")
				got.expect(t, "disconnect "+tt.reason+" rooms=0 connected=false")
				if tt.after != nil {
					tt.after(t, c)
				}
				if srv.Socket(s.ID()) != nil {
					t.Fatal("the socket is still in its namespace")
				}
			})
		}
	}
}

// TestSlowClientIsDisconnected fills the queue of a polling client that
// stops polling: the session closes with "transport error" and the other
// clients are unaffected.
func TestSlowClientIsDisconnected(t *testing.T) {
	srv, hs := newTestServer(t, Options{Engine: engineio.Options{QueueSize: 8, PollingQueueSize: 8}})
	got := newEvents()
	watchDisconnect(srv.Of("/"), got)

	base := hs.URL + "/socket.io/?EIO=4&transport=polling"
	body := httpDo(t, http.MethodGet, base, "")
	var sid string
	if i := strings.Index(body, `"sid":"`); i >= 0 {
		sid = body[i+7 : i+7+strings.Index(body[i+7:], `"`)]
	}
	if sid == "" {
		t.Fatalf("got handshake %q, want a sid", body)
	}
	u := base + "&sid=" + url.QueryEscape(sid)
	httpDo(t, http.MethodPost, u, "40")
	if reply := httpDo(t, http.MethodGet, u, ""); !strings.HasPrefix(reply, "40{") {
		t.Fatalf("got %q, want the CONNECT reply", reply)
	}
	fast := dial(t, hs, "websocket", nil)
	fast.connect("/", "")
	// The fast client reads each packet before the next is sent; the slow
	// one reads nothing.
	for i := range 20 {
		if err := srv.Emit("tick", i); err != nil {
			t.Fatal(err)
		}
		fast.expect(`2["tick",` + strconv.Itoa(i) + `]`)
	}
	got.expect(t, "disconnecting "+ReasonTransportError+" rooms=2")
	got.expect(t, "disconnect "+ReasonTransportError+" rooms=0 connected=false")
	if c := srv.SocketCount(); c != 1 {
		t.Fatalf("got %d sockets, want 1", c)
	}
}

func httpDo(t *testing.T, method, u, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestVolatileDropsForSlowClient sends more volatile packets than the queue
// of a client that does not poll can hold: they are dropped, the client
// stays connected and later gets what fitted.
func TestVolatileDropsForSlowClient(t *testing.T) {
	const queue = 8
	srv, hs := newTestServer(t, Options{Engine: engineio.Options{PollingQueueSize: queue}})
	base := hs.URL + "/socket.io/?EIO=4&transport=polling"
	body := httpDo(t, http.MethodGet, base, "")
	i := strings.Index(body, `"sid":"`)
	if i < 0 {
		t.Fatalf("got handshake %q, want a sid", body)
	}
	sid := body[i+7 : i+7+strings.Index(body[i+7:], `"`)]
	u := base + "&sid=" + url.QueryEscape(sid)
	httpDo(t, http.MethodPost, u, "40")
	httpDo(t, http.MethodGet, u, "") // the CONNECT reply
	for i := range 3 * queue {
		if err := srv.Volatile().Emit("tick", i); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.SocketCount(); n != 1 {
		t.Fatalf("got %d sockets, want the slow client still connected", n)
	}
	got := strings.Split(httpDo(t, http.MethodGet, u, ""), "\x1e")
	if len(got) != queue || got[0] != `42["tick",0]` || got[queue-1] != `42["tick",7]` {
		t.Fatalf("got %q, want the first %d ticks", got, queue)
	}
}

package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestConnectNamespaces(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	srv.Of("custom") // without the leading slash
	srv.OfPattern(regexp.MustCompile(`^/dyn-\d+$`))
	srv.OfFunc(func(name string, auth json.RawMessage) bool {
		return strings.HasPrefix(name, "/byfunc") && string(auth) == `{"ok":true}`
	})
	seen := newEvents()
	for _, name := range []string{"/", "/custom"} {
		srv.Of(name).OnConnection(func(s *Socket) { seen.add("%s %s", s.Namespace().Name(), s.ID()) })
	}

	tests := []struct {
		nsp, auth string
		want      string // reply prefix
	}{
		{"/", "", "0{"},
		{"/custom", "", "0/custom,{"},
		{"/dyn-12", "", "0/dyn-12,{"},
		{"/byfunc", `{"ok":true}`, "0/byfunc,{"},
		{"/byfunc-x", `{"ok":false}`, `4/byfunc-x,{"message":"Invalid namespace"}`},
		{"/unknown", "", `4/unknown,{"message":"Invalid namespace"}`},
		{"/dyn-x", "", `4/dyn-x,{"message":"Invalid namespace"}`},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+tt.nsp+tt.auth, func(t *testing.T) {
				c := dial(t, hs, tr, nil)
				c.send(connectPacket(tt.nsp, tt.auth))
				got := c.message()
				if !strings.HasPrefix(got, tt.want) {
					t.Fatalf("got %q, want prefix %q", got, tt.want)
				}
				if tt.want[0] != '0' {
					return
				}
				var body map[string]any
				if err := json.Unmarshal([]byte(got[len(tt.want)-1:]), &body); err != nil {
					t.Fatalf("reply %q: %v", got, err)
				}
				if len(body) != 1 || body["sid"] == "" || body["sid"] == c.sid {
					t.Fatalf("got reply %q, want only a fresh sid", got)
				}
				if tt.nsp == "/" || tt.nsp == "/custom" {
					seen.expect(t, tt.nsp+" "+body["sid"].(string))
				}
			})
		}
	}
	if got := len(srv.namespaces()); got != 4 {
		t.Errorf("got %d namespaces, want 4 (/, /custom, /dyn-12, /byfunc)", got)
	}
}

func TestConnectSeveralNamespacesOnOneSession(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	srv.Of("/a")
	c := dial(t, hs, "websocket", nil)
	id1 := c.connect("/", "")
	id2 := c.connect("/a", "")
	if id1 == id2 {
		t.Fatalf("got the same id %s for two namespaces", id1)
	}
	if err := srv.Of("/a").Socket(SocketID(id2)).Emit("hi"); err != nil {
		t.Fatal(err)
	}
	c.expect(`2/a,["hi"]`)
	if err := srv.Socket(SocketID(id1)).Emit("hi"); err != nil {
		t.Fatal(err)
	}
	c.expect(`2["hi"]`)
}

func TestMiddleware(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	var order []string
	srv.Use(func(s *Socket) error {
		order = append(order, "first")
		return nil
	})
	srv.Use(func(s *Socket) error {
		order = append(order, "second")
		var auth struct{ Token string }
		if err := json.Unmarshal(s.Handshake().Auth, &auth); err != nil {
			return err
		}
		switch auth.Token {
		case "":
			return &ConnectError{Message: "not authorized", Data: map[string]any{"code": 42}}
		case "plain":
			return errors.New("plain refusal")
		case "wrapped":
			return fmtErr(&ConnectError{Message: "wrapped refusal", Data: "x"})
		}
		s.Data().Set("user", auth.Token)
		s.Join(Room("user:"+auth.Token), "gone")
		s.Leave("gone")
		if got := s.Rooms(); len(got) != 2 || got[1] != Room("user:"+auth.Token) {
			return fmt.Errorf("rooms in middleware: got %v, want [id user:%s]", got, auth.Token)
		}
		return nil
	})
	users := newEvents()
	srv.OnConnection(func(s *Socket) {
		u, _ := s.Data().Get("user")
		users.add("%v %v", u, s.Rooms()[1:])
	})
	tests := []struct {
		auth, want string
	}{
		{"", `4{"message":"not authorized","data":{"code":42}}`},
		{`{"token":"plain"}`, `4{"message":"plain refusal"}`},
		{`{"token":"wrapped"}`, `4{"message":"wrapped refusal","data":"x"}`},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+tt.auth, func(t *testing.T) {
				c := dial(t, hs, tr, nil)
				c.send(connectPacket("/", tt.auth))
				if got := c.message(); got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
				// The session stays open: the client may try again.
				c.connect("/", `{"token":"alice"}`)
				users.expect(t, "alice [user:alice]")
			})
		}
	}
	if len(order) == 0 || order[0] != "first" || order[1] != "second" {
		t.Errorf("got middleware order %v, want first then second", order)
	}
}

func fmtErr(err error) error { return errors.Join(errors.New("context"), err) }

func TestParentNamespaceMiddlewareAndHandlers(t *testing.T) {
	srv, hs := newTestServer(t, Options{CleanupEmptyChildNamespaces: true})
	parent := srv.OfPattern(regexp.MustCompile(`^/room-`))
	parent.Use(func(s *Socket) error {
		if s.Namespace().Name() == "/room-forbidden" {
			return errors.New("forbidden")
		}
		return nil
	})
	got := newEvents()
	parent.OnConnection(func(s *Socket) { got.add("%s", s.Namespace().Name()) })

	c := dial(t, hs, "websocket", nil)
	c.connect("/room-1", "")
	got.expect(t, "/room-1")
	c.send(connectPacket("/room-forbidden", ""))
	if m := c.message(); m != `4/room-forbidden,{"message":"forbidden"}` {
		t.Fatalf("got %q, want a refusal", m)
	}
	if n := len(parent.Children()); n != 1 {
		t.Fatalf("got %d children, want 1 (the refused one cleaned up)", n)
	}
	if err := parent.Emit("all", 1); err != nil {
		t.Fatal(err)
	}
	c.expect(`2/room-1,["all",1]`)
	c.send("1/room-1,")
	deadline := time.Now().Add(waitTimeout)
	for len(parent.Children()) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := len(parent.Children()); n != 0 {
		t.Fatalf("got %d children after the last socket left, want 0", n)
	}
}

func TestHandshake(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{})
			got := make(chan Handshake, 1)
			srv.OnConnection(func(s *Socket) { got <- s.Handshake() })
			before := time.Now()
			c := dial(t, hs, tr, http.Header{"X-Test": {"yes"}})
			c.connect("/", `{"token":"abc"}`)
			h := <-got
			if h.Header.Get("X-Test") != "yes" {
				t.Errorf("got header X-Test %q, want yes", h.Header.Get("X-Test"))
			}
			if h.Query.Get("foo") != "bar" || h.Query.Get("EIO") != "4" {
				t.Errorf("got query %v, want foo=bar and EIO=4", h.Query)
			}
			if string(h.Auth) != `{"token":"abc"}` {
				t.Errorf("got auth %s, want {\"token\":\"abc\"}", h.Auth)
			}
			if !strings.HasPrefix(h.Address, "127.0.0.1:") {
				t.Errorf("got address %q, want 127.0.0.1:port", h.Address)
			}
			if !strings.HasPrefix(h.URL, "/socket.io/?") {
				t.Errorf("got URL %q, want /socket.io/?...", h.URL)
			}
			if h.Time.Before(before.Add(-time.Second)) || h.Time.After(time.Now()) {
				t.Errorf("got time %v, want between %v and now", h.Time, before)
			}
			if h.Secure || h.XDomain {
				t.Errorf("got secure %v xdomain %v, want false false", h.Secure, h.XDomain)
			}
		})
	}
}

func TestHandshakeAuthDefault(t *testing.T) {
	srv, hs := newTestServer(t, Options{})
	got := make(chan string, 1)
	srv.OnConnection(func(s *Socket) { got <- string(s.Handshake().Auth) })
	c := dial(t, hs, "websocket", nil)
	c.connect("/", "")
	if a := <-got; a != "{}" {
		t.Fatalf("got auth %q, want {}", a)
	}
}

func TestConnectTimeout(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{ConnectTimeout: 100 * time.Millisecond})
			idle := dial(t, hs, tr, nil)
			joined := dial(t, hs, tr, nil)
			joined.connect("/", "")
			if got := idle.expectClosed(); len(got) != 0 {
				t.Fatalf("got %v before the close, want nothing", got)
			}
			// The session that joined a namespace in time stays open.
			joined.expectNothing(300 * time.Millisecond)
			if n := srv.SocketCount(); n != 1 {
				t.Fatalf("got %d sockets, want 1", n)
			}
		})
	}
}

// TestConnectReplyFollowsConnectionHandlers checks that a client learns it
// is connected only once the OnConnection callbacks have run, as with the
// Node server: whatever the client does next finds the socket's handlers in
// place, and the callbacks' own emits follow the CONNECT packet.
func TestConnectReplyFollowsConnectionHandlers(t *testing.T) {
	for _, transport := range []string{"websocket", "polling"} {
		t.Run(transport, func(t *testing.T) {
			srv, hs := newTestServer(t, Options{})
			var ready atomic.Bool
			srv.Of("/").OnConnection(func(s *Socket) {
				time.Sleep(20 * time.Millisecond) // a slow setup, e.g. a database read
				s.On("ping", func(_ Args, ack AckFunc) { _ = ack("pong") })
				ready.Store(true)
				if err := s.Emit("hello"); err != nil {
					t.Errorf("Emit in OnConnection: %v", err)
				}
			})
			c := dial(t, hs, transport, nil)
			c.connect("/", "")
			if !ready.Load() {
				t.Fatal("got the CONNECT reply before the OnConnection callback finished")
			}
			c.expect(`2["hello"]`)
			c.send(`21["ping"]`)
			c.expect(`31["pong"]`)
		})
	}
}

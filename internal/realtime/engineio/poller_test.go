//go:build linux

package engineio

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frameKey masks the frames of the tests.
var frameKey = [4]byte{0x12, 0x34, 0x56, 0x78}

// frame returns a client's masked WebSocket frame.
func frame(fin bool, op int, payload []byte) []byte { return clientFrame(fin, op, payload, frameKey) }

// writeRaw writes bytes to the socket under conn, outside gorilla's framing.
func writeRaw(t *testing.T, conn *websocket.Conn, b []byte) {
	t.Helper()
	if _, err := conn.NetConn().Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// waitGoroutines waits until at most want goroutines run, and fails t with
// the count otherwise.
func waitGoroutines(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines %s: got %d, want at most %d\n%s", what, n, want, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPollerIdleSessions(t *testing.T) {
	const idle = 40
	ts := newTestServer(t, Options{PingInterval: time.Hour}, true)
	// Once sessions are idle, only the poller runs besides the test and its
	// HTTP server; a subtest runs on a goroutine of its own.
	base := runtime.NumGoroutine() + 1
	subBase := base + 1

	conns := make([]*websocket.Conn, idle)
	sids := make([]string, idle)
	for i := range conns {
		var o openInfo
		conns[i], o = ts.dialSession()
		sids[i] = o.SID
		ts.nextSession()
	}
	// Readers hand their sessions to the poller and exit.
	waitGoroutines(t, base, fmt.Sprintf("with %d more idle sessions", idle))

	t.Run("traffic on a few", func(t *testing.T) {
		for _, i := range []int{0, idle / 2, idle - 1} {
			for j := range 3 {
				msg := fmt.Sprintf("4m%d-%d", i, j)
				writeText(t, conns[i], msg)
				if got := readText(t, conns[i]); got != msg {
					t.Fatalf("echo on %d: got %q, want %q", i, got, msg)
				}
				if e := ts.nextEvent(); e.sid != sids[i] || e.data != msg[1:] {
					t.Fatalf("event: got %+v, want %q from %s", e, msg[1:], sids[i])
				}
			}
		}
		waitGoroutines(t, subBase, "after the traffic")
	})

	t.Run("burst of frames in one write", func(t *testing.T) {
		var b []byte
		for j := range 5 {
			b = append(b, frame(true, websocket.TextMessage, fmt.Appendf(nil, "4b%d", j))...)
		}
		writeRaw(t, conns[1], b)
		for j := range 5 {
			if got, want := readText(t, conns[1]), fmt.Sprintf("4b%d", j); got != want {
				t.Fatalf("echo %d: got %q, want %q", j, got, want)
			}
			ts.nextEvent()
		}
	})

	t.Run("client goes away while idle", func(t *testing.T) {
		for _, i := range []int{2, 3} {
			conns[i].Close()
			if got := ts.waitClose(sids[i]); got != ReasonTransportClose {
				t.Errorf("close reason of %d: got %q, want %q", i, got, ReasonTransportClose)
			}
		}
		if got, want := ts.srv.Count(), idle-2; got != want {
			t.Errorf("Count: got %d, want %d", got, want)
		}
		waitGoroutines(t, subBase, "after the closes")
	})

	t.Run("server closes idle sessions", func(t *testing.T) {
		ts.srv.mu.RLock()
		target := ts.srv.sessions[sids[4]]
		ts.srv.mu.RUnlock()
		target.Close()
		if got := readText(t, conns[4]); got != "1" {
			t.Errorf("close packet: got %q, want 1", got)
		}
		waitClosed(t, conns[4])
		if got := ts.waitClose(sids[4]); got != ReasonForcedClose {
			t.Errorf("close reason: got %q, want %q", got, ReasonForcedClose)
		}
	})
}

func TestPollerPartialFrames(t *testing.T) {
	long := make([]byte, 3*readChunk)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	tests := []struct {
		name   string
		chunks [][]byte // written with a pause after each
		want   []string
	}{
		{
			name:   "frame in two halves",
			chunks: halves(frame(true, websocket.TextMessage, []byte("4hello"))),
			want:   []string{"4hello"},
		},
		{
			name:   "header in two halves",
			chunks: [][]byte{frame(true, websocket.TextMessage, []byte("4split"))[:1], frame(true, websocket.TextMessage, []byte("4split"))[1:]},
			want:   []string{"4split"},
		},
		{
			name: "fragmented message",
			chunks: [][]byte{
				frame(false, websocket.TextMessage, []byte("4fir")),
				frame(true, 0, []byte("st")),
			},
			want: []string{"4first"},
		},
		{
			name:   "message longer than a read buffer",
			chunks: halves(frame(true, websocket.TextMessage, append([]byte("4"), long...))),
			want:   []string{"4" + string(long)},
		},
		{
			name: "ping between fragments",
			chunks: [][]byte{
				frame(false, websocket.TextMessage, []byte("4a")),
				frame(true, websocket.PingMessage, nil),
				frame(true, 0, []byte("b")),
			},
			want: []string{"4ab"},
		},
	}
	ts := newTestServer(t, Options{PingInterval: time.Hour}, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, _ := ts.dialSession()
			ts.nextSession()
			for _, c := range tt.chunks {
				writeRaw(t, conn, c)
				time.Sleep(20 * time.Millisecond) // lets the server go idle mid-message
			}
			for _, want := range tt.want {
				if got := readText(t, conn); got != want {
					t.Errorf("echo: got %q, want %q", trim(got), trim(want))
				}
				ts.nextEvent()
			}
			conn.Close()
		})
	}
}

func halves(b []byte) [][]byte { return [][]byte{b[:len(b)/2], b[len(b)/2:]} }

// trim shortens long strings in failure messages.
func trim(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s... (%d bytes)", s[:40], len(s))
	}
	return s
}

func TestPollerShutdownWithIdleSessions(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: time.Hour}, false)
	conns := make([]*websocket.Conn, 10)
	sids := make(map[string]bool)
	for i := range conns {
		var o openInfo
		conns[i], o = ts.dialSession()
		sids[o.SID] = true
		ts.nextSession()
	}
	ctx, cancel := contextWithTimeout(waitLong)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, conn := range conns {
		if got := readText(t, conn); got != "1" {
			t.Errorf("conn %d: got %q, want close packet 1", i, got)
		}
		waitClosed(t, conn)
	}
	for range conns {
		e := ts.nextEvent()
		if !sids[e.sid] || e.closed != ReasonServerShutdown {
			t.Errorf("event: got %+v, want %q of one of the sessions", e, ReasonServerShutdown)
		}
	}
	ts.srv.mu.RLock()
	p := ts.srv.poller
	ts.srv.mu.RUnlock()
	if p == nil {
		t.Fatal("no poller was started")
	}
	select {
	case <-p.done:
	default:
		t.Error("poller still running after Shutdown")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.byToken) != 0 || len(p.bySess) != 0 {
		t.Errorf("watched after Shutdown: got %d tokens, %d sessions, want none", len(p.byToken), len(p.bySess))
	}
}

func TestPollerUpgradedSession(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: time.Hour}, true)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.nextSession()
	conn := ts.dial(ts.wsURL(sid))
	writeText(t, conn, "2probe")
	if got := readText(t, conn); got != "3probe" {
		t.Fatalf("probe answer: got %q, want 3probe", got)
	}
	writeText(t, conn, "5")
	// The reader hands the upgraded session to the poller.
	deadline := time.Now().Add(waitLong)
	for !watched(ts.srv, sess) {
		if time.Now().After(deadline) {
			t.Fatal("upgraded session not watched by the poller")
		}
		time.Sleep(5 * time.Millisecond)
	}
	writeText(t, conn, "4after")
	if got := readText(t, conn); got != "4after" {
		t.Errorf("echo after upgrade: got %q, want 4after", got)
	}
	if e := ts.nextEvent(); e.data != "after" {
		t.Errorf("event: got %+v, want message after", e)
	}
	conn.Close()
	if got := ts.waitClose(sid); got != ReasonTransportClose {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportClose)
	}
	if watched(ts.srv, sess) {
		t.Error("closed session still watched")
	}
}

// watched reports whether the poller watches sess.
func watched(s *Server, sess *Session) bool {
	s.mu.RLock()
	p := s.poller
	s.mu.RUnlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.bySess[sess]
	return ok
}

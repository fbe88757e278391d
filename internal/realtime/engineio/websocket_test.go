package engineio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketHandshake(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}, false)
	conn := ts.dial(ts.wsURL("") + "&x=1")
	typ, data := readFrame(t, conn)
	if typ != websocket.TextMessage {
		t.Fatalf("frame type: got %d, want text", typ)
	}
	o := parseOpen(t, string(data))
	want := `0{"sid":"` + o.SID + `","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`
	if string(data) != want {
		t.Errorf("open packet: got %s, want %s", data, want)
	}
	sess := ts.nextSession()
	if sess.ID() != o.SID || sess.Transport() != TransportWebSocket {
		t.Errorf("session: got %s on %s, want %s on websocket", sess.ID(), sess.Transport(), o.SID)
	}
	if got := sess.Handshake().Query.Get("x"); got != "1" {
		t.Errorf("handshake query x: got %q, want 1", got)
	}
}

func TestWebSocketMessages(t *testing.T) {
	ts := newTestServer(t, Options{}, true)
	conn, o := ts.dialSession()
	tests := []struct {
		name     string
		typ      int
		send     []byte
		wantType int
		want     []byte
		event    event
	}{
		{"text", websocket.TextMessage, []byte("4hello"), websocket.TextMessage, []byte("4hello"), event{data: "hello"}},
		{"empty text", websocket.TextMessage, []byte("4"), websocket.TextMessage, []byte("4"), event{data: ""}},
		{"binary frame", websocket.BinaryMessage, []byte{1, 2, 3, 4}, websocket.BinaryMessage, []byte{1, 2, 3, 4}, event{data: "\x01\x02\x03\x04", binary: true}},
		{"base64 in a text frame", websocket.TextMessage, []byte("bAQID"), websocket.BinaryMessage, []byte{1, 2, 3}, event{data: "\x01\x02\x03", binary: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := conn.WriteMessage(tt.typ, tt.send); err != nil {
				t.Fatal(err)
			}
			got := ts.nextEvent()
			tt.event.sid = o.SID
			if got != tt.event {
				t.Errorf("event: got %+v, want %+v", got, tt.event)
			}
			typ, data := readFrame(t, conn)
			if typ != tt.wantType || !bytes.Equal(data, tt.want) {
				t.Errorf("echo: got type %d %q, want type %d %q", typ, data, tt.wantType, tt.want)
			}
		})
	}
}

func TestWebSocketClose(t *testing.T) {
	tests := []struct {
		name       string
		send       string
		wantReason string
	}{
		{"invalid packet", "abc", ReasonParseError},
		{"empty frame", "", ReasonParseError},
		{"close packet", "1", ReasonTransportClose},
		{"ping from client", "2", ReasonTransportError},
	}
	ts := newTestServer(t, Options{}, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, o := ts.dialSession()
			writeText(t, conn, tt.send)
			waitClosed(t, conn)
			if got := ts.waitClose(o.SID); got != tt.wantReason {
				t.Errorf("close reason: got %q, want %q", got, tt.wantReason)
			}
		})
	}
	t.Run("client goes away", func(t *testing.T) {
		conn, o := ts.dialSession()
		conn.Close()
		if got := ts.waitClose(o.SID); got != ReasonTransportClose {
			t.Errorf("close reason: got %q, want %q", got, ReasonTransportClose)
		}
	})
}

func TestWebSocketHeartbeat(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 2 * time.Second}, false)
	conn, _ := ts.dialSession()
	for i := range 3 {
		if _, data := readFrame(t, conn); string(data) != "2" {
			t.Fatalf("frame %d: got %q, want ping 2", i, data)
		}
		writeText(t, conn, "3")
	}
	if got := ts.srv.Count(); got != 1 {
		t.Errorf("Count: got %d, want 1", got)
	}
}

func TestWebSocketPingTimeout(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 20 * time.Millisecond}, false)
	conn, o := ts.dialSession()
	if _, data := readFrame(t, conn); string(data) != "2" {
		t.Fatalf("frame: got %q, want ping 2", data)
	}
	waitClosed(t, conn)
	if got := ts.waitClose(o.SID); got != ReasonPingTimeout {
		t.Errorf("close reason: got %q, want %q", got, ReasonPingTimeout)
	}
}

func TestWebSocketMaxPayload(t *testing.T) {
	ts := newTestServer(t, Options{MaxPayload: 100}, true)
	conn, o := ts.dialSession()
	atLimit := "4" + strings.Repeat("a", 99)
	writeText(t, conn, atLimit)
	if got := readText(t, conn); got != atLimit {
		t.Fatalf("echo: got %d bytes, want %d", len(got), len(atLimit))
	}
	writeText(t, conn, atLimit+"a")
	err := waitClosed(t, conn)
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("close: got %v, want close frame 1009", err)
	}
	if got := ts.waitClose(o.SID); got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
}

func TestWebSocketServerClose(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	conn, o := ts.dialSession()
	sess := ts.nextSession()
	if err := sess.Send(NewTextMessage([]byte("bye"))); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if got := readText(t, conn); got != "4bye" {
		t.Errorf("frame: got %q, want 4bye", got)
	}
	if got := readText(t, conn); got != "1" {
		t.Errorf("frame: got %q, want close packet 1", got)
	}
	if err := waitClosed(t, conn); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("close: got %v, want close frame 1000", err)
	}
	if got := ts.waitClose(o.SID); got != ReasonForcedClose {
		t.Errorf("close reason: got %q, want %q", got, ReasonForcedClose)
	}
}

// TestSendOrderAndGrouping checks that the messages of one Send arrive in
// order with nothing from concurrent Sends between them.
func TestSendOrderAndGrouping(t *testing.T) {
	ts := newTestServer(t, Options{QueueSize: 1 << 16}, false)
	conn, _ := ts.dialSession()
	sess := ts.nextSession()
	const senders, groups, size = 4, 200, 3
	errs := make(chan error, senders)
	for g := range senders {
		go func() {
			for i := range groups {
				var msgs []*Message
				for j := range size {
					msgs = append(msgs, NewTextMessage(fmt.Appendf(nil, "%d/%d/%d", g, i, j)))
				}
				if err := sess.Send(msgs...); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	next := make([]int, senders)
	for range senders * groups {
		var g0, i0 int
		for j := range size {
			got := readText(t, conn)
			var g, i, jj int
			if _, err := fmt.Sscanf(got, "4%d/%d/%d", &g, &i, &jj); err != nil {
				t.Fatalf("frame %q: %v", got, err)
			}
			if j == 0 {
				g0, i0 = g, i
				if i != next[g] {
					t.Fatalf("group of sender %d: got %d, want %d", g, i, next[g])
				}
				next[g]++
			}
			if g != g0 || i != i0 || jj != j {
				t.Fatalf("frame: got %q, want 4%d/%d/%d", got, g0, i0, j)
			}
		}
	}
	for range senders {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestUpgrade(t *testing.T) {
	ts := newTestServer(t, Options{}, true)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.nextSession()

	pending := make(chan string, 1)
	go func() {
		_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
		pending <- body
	}()
	waitPending(t, ts, sid)

	conn := ts.dial(ts.wsURL(sid))
	writeText(t, conn, "2probe")
	if got := readText(t, conn); got != "3probe" {
		t.Fatalf("probe answer: got %q, want 3probe", got)
	}
	if got := <-pending; got != "6" {
		t.Errorf("pending GET: got %q, want noop 6", got)
	}
	// During the upgrade a GET ends at once and messages wait for the
	// WebSocket.
	if err := sess.Send(NewTextMessage([]byte("queued")), NewBinaryMessage([]byte{9})); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != "6" {
		t.Errorf("GET while upgrading: got %q, want noop 6", body)
	}
	if got := sess.Transport(); got != TransportPolling {
		t.Errorf("transport before upgrade packet: got %q, want polling", got)
	}
	writeText(t, conn, "5")
	if got := readText(t, conn); got != "4queued" {
		t.Errorf("first frame after upgrade: got %q, want 4queued", got)
	}
	if typ, data := readFrame(t, conn); typ != websocket.BinaryMessage || !bytes.Equal(data, []byte{9}) {
		t.Errorf("second frame after upgrade: got type %d %v, want binary [9]", typ, data)
	}
	if got := sess.Transport(); got != TransportWebSocket {
		t.Errorf("transport after upgrade: got %q, want websocket", got)
	}
	writeText(t, conn, "4hello")
	if got := readText(t, conn); got != "4hello" {
		t.Errorf("echo over websocket: got %q, want 4hello", got)
	}
	if status, _, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); status != http.StatusBadRequest {
		t.Errorf("GET after upgrade: got %d, want 400", status)
	}
	if status, _, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "4x"); status != http.StatusBadRequest {
		t.Errorf("POST after upgrade: got %d, want 400", status)
	}
	// A second WebSocket for an upgraded session is accepted, then closed.
	second := ts.dial(ts.wsURL(sid))
	waitClosed(t, second)
	writeText(t, conn, "4still")
	if got := readText(t, conn); got != "4still" {
		t.Errorf("echo after second websocket: got %q, want 4still", got)
	}
}

func TestUpgradeWithoutWaitingForProbe(t *testing.T) {
	ts := newTestServer(t, Options{}, true)
	c := ts.client()
	sid := ts.handshake(c)
	conn := ts.dial(ts.wsURL(sid))
	writeText(t, conn, "2probe")
	writeText(t, conn, "5")
	writeText(t, conn, "4hello")
	if got := readText(t, conn); got != "3probe" {
		t.Errorf("frame: got %q, want 3probe", got)
	}
	if got := readText(t, conn); got != "4hello" {
		t.Errorf("frame: got %q, want 4hello", got)
	}
}

func TestUpgradeRefused(t *testing.T) {
	t.Run("second websocket while upgrading", func(t *testing.T) {
		ts := newTestServer(t, Options{}, true)
		c := ts.client()
		sid := ts.handshake(c)
		first := ts.dial(ts.wsURL(sid))
		writeText(t, first, "2probe")
		if got := readText(t, first); got != "3probe" {
			t.Fatalf("probe answer: got %q, want 3probe", got)
		}
		second := ts.dial(ts.wsURL(sid))
		waitClosed(t, second)
		writeText(t, first, "5")
		writeText(t, first, "4hello")
		if got := readText(t, first); got != "4hello" {
			t.Errorf("echo: got %q, want 4hello", got)
		}
	})
	t.Run("upgrades disabled", func(t *testing.T) {
		ts := newTestServer(t, Options{DisableUpgrades: true}, false)
		sid := ts.handshake(ts.client())
		_, res, err := wsDialer().Dial(ts.wsURL(sid), nil)
		if err == nil || res == nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("dial: got %v, want HTTP 400", err)
		}
		res.Body.Close()
	})
	t.Run("unexpected packet during upgrade", func(t *testing.T) {
		ts := newTestServer(t, Options{}, true)
		c := ts.client()
		sid := ts.handshake(c)
		conn := ts.dial(ts.wsURL(sid))
		writeText(t, conn, "4too early")
		waitClosed(t, conn)
		// The session carries on over polling.
		if status, body, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "4poll"); status != 200 {
			t.Fatalf("POST: got %d %s, want 200", status, body)
		}
		if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != "4poll" {
			t.Errorf("GET: got %q, want 4poll", body)
		}
	})
}

func TestUpgradeTimeout(t *testing.T) {
	ts := newTestServer(t, Options{UpgradeTimeout: 30 * time.Millisecond}, true)
	c := ts.client()
	sid := ts.handshake(c)
	conn := ts.dial(ts.wsURL(sid))
	writeText(t, conn, "2probe")
	if got := readText(t, conn); got != "3probe" {
		t.Fatalf("probe answer: got %q, want 3probe", got)
	}
	waitClosed(t, conn)
	sess := ts.srv.lookup(sid)
	if sess == nil {
		t.Fatal("session gone after upgrade timeout, want it on polling")
	}
	if got := sess.Transport(); got != TransportPolling {
		t.Errorf("transport: got %q, want polling", got)
	}
	if status, _, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "4poll"); status != 200 {
		t.Fatalf("POST: got %d, want 200", status)
	}
	if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != "4poll" {
		t.Errorf("GET: got %q, want 4poll", body)
	}
}

func TestQueueFull(t *testing.T) {
	t.Run("polling", func(t *testing.T) {
		ts := newTestServer(t, Options{QueueSize: 4}, false)
		c := ts.client()
		slow := ts.handshake(c)
		slowSess := ts.nextSession()
		other, _ := ts.dialSession()
		otherSess := ts.nextSession()
		msg := NewTextMessage([]byte("x"))
		// Nobody polls the slow session: its queue fills.
		for i := range 4 {
			if err := slowSess.Send(msg); err != nil {
				t.Fatalf("Send %d: got %v, want nil", i, err)
			}
		}
		if err := slowSess.Send(msg); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Send over the limit: got %v, want ErrQueueFull", err)
		}
		if got := ts.waitClose(slow); got != ReasonTransportError {
			t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
		}
		if err := otherSess.Send(msg); err != nil {
			t.Fatalf("Send to other session: %v", err)
		}
		if got := readText(t, other); got != "4x" {
			t.Errorf("other session: got %q, want 4x", got)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		ts := newTestServer(t, Options{QueueSize: 8}, false)
		slow, slowOpen := ts.dialSession() // never reads again
		slowSess := ts.nextSession()
		other, _ := ts.dialSession()
		otherSess := ts.nextSession()
		big := NewTextMessage(bytes.Repeat([]byte("x"), 64<<10))
		var err error
		for i := 0; i < 100_000 && err == nil; i++ {
			err = slowSess.Send(big)
		}
		if !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Send to a client that does not read: got %v, want ErrQueueFull", err)
		}
		if got := ts.waitClose(slowOpen.SID); got != ReasonTransportError {
			t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
		}
		_ = slow
		if err := otherSess.Send(NewTextMessage([]byte("fine"))); err != nil {
			t.Fatalf("Send to other session: %v", err)
		}
		if got := readText(t, other); got != "4fine" {
			t.Errorf("other session: got %q, want 4fine", got)
		}
	})
}

func TestSendVolatile(t *testing.T) {
	ts := newTestServer(t, Options{QueueSize: 3}, false)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.nextSession()
	a, b := NewTextMessage([]byte("a")), NewTextMessage([]byte("b"))
	if !sess.SendVolatile(a, b) {
		t.Fatal("SendVolatile with room: got dropped, want queued")
	}
	// One slot left: two messages are dropped together, never split.
	if sess.SendVolatile(a, b) {
		t.Error("SendVolatile without room for all: got queued, want dropped")
	}
	if !sess.SendVolatile(a) {
		t.Error("SendVolatile into the last slot: got dropped, want queued")
	}
	if sess.SendVolatile(a) {
		t.Error("SendVolatile to a full queue: got queued, want dropped")
	}
	if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != "4a\x1e4b\x1e4a" {
		t.Errorf("GET: got %q, want 4a, 4b, 4a", body)
	}
	if err := sess.Send(b); err != nil {
		t.Errorf("Send after volatile drops: got %v, want nil (session open)", err)
	}
	sess.Close()
	if sess.SendVolatile(a) {
		t.Error("SendVolatile after Close: got queued, want dropped")
	}
}

func TestShutdown(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	pendingSID := ts.handshake(c)
	pendingSess := ts.nextSession()
	idleSID := ts.handshake(c)
	ts.nextSession()
	conn, wsOpen := ts.dialSession()
	wsSess := ts.nextSession()

	pending := make(chan string, 1)
	go func() {
		_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(pendingSID), "")
		pending <- body
	}()
	waitPending(t, ts, pendingSID)
	if err := wsSess.Send(NewTextMessage([]byte("last"))); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := contextWithTimeout(waitLong)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := <-pending; got != "1" {
		t.Errorf("pending GET: got %q, want close packet 1", got)
	}
	if pendingSess.Send(NewTextMessage(nil)) != ErrClosed {
		t.Error("Send after Shutdown: got nil, want ErrClosed")
	}
	if got := readText(t, conn); got != "4last" {
		t.Errorf("websocket: got %q, want 4last", got)
	}
	if got := readText(t, conn); got != "1" {
		t.Errorf("websocket: got %q, want close packet 1", got)
	}
	if err := waitClosed(t, conn); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("websocket close: got %v, want close frame 1000", err)
	}
	reasons := map[string]string{}
	for range 3 {
		e := ts.nextEvent()
		if e.closed != "" {
			reasons[e.sid] = e.closed
		}
	}
	for _, sid := range []string{pendingSID, idleSID, wsOpen.SID} {
		if reasons[sid] != ReasonServerShutdown {
			t.Errorf("close reason of %s: got %q, want %q", sid, reasons[sid], ReasonServerShutdown)
		}
	}
	if got := ts.srv.Count(); got != 0 {
		t.Errorf("Count: got %d, want 0", got)
	}
	if status, _, _ := do(t, c, http.MethodGet, ts.pollingURL(""), ""); status != http.StatusServiceUnavailable {
		t.Errorf("handshake after Shutdown: got %d, want 503", status)
	}
}

func TestShutdownContextExpires(t *testing.T) {
	// A session whose OnClose blocks keeps Shutdown waiting.
	release := make(chan struct{})
	ts := newTestServer(t, Options{OnSession: func(sess *Session) {
		sess.OnClose(func(string) { <-release })
	}}, false)
	ts.dialSession()
	ctx, cancel := contextWithTimeout(20 * time.Millisecond)
	defer cancel()
	err := ts.srv.Shutdown(ctx)
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: got %v, want the context's deadline error", err)
	}
}

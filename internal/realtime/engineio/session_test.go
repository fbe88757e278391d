package engineio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

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

func TestQueueFull(t *testing.T) {
	t.Run("polling", func(t *testing.T) {
		ts := newTestServer(t, Options{PollingQueueSize: 4}, false)
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

// TestPollingQueueHoldsABatch checks that a polling session, whose packets
// wait for the next GET, may hold more than a WebSocket's queue: the answers
// to one large POST must not close it.
func TestPollingQueueHoldsABatch(t *testing.T) {
	ts := newTestServer(t, Options{QueueSize: 2, PollingQueueSize: 64}, false)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.nextSession()
	var want []string
	for i := range 50 {
		text := strconv.Itoa(i)
		if err := sess.Send(NewTextMessage([]byte(text))); err != nil {
			t.Fatalf("Send %d: got %v, want nil", i, err)
		}
		want = append(want, "4"+text)
	}
	if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != strings.Join(want, "\x1e") {
		t.Errorf("GET: got %q, want the 50 packets", body)
	}
}

func TestSendVolatile(t *testing.T) {
	ts := newTestServer(t, Options{PollingQueueSize: 3}, false)
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

// TestQueueFullCallsOnCloseApart checks that a Send that overflows the
// queue returns before OnClose runs: a broadcast may hold a lock that
// OnClose takes.
func TestQueueFullCallsOnCloseApart(t *testing.T) {
	var mu sync.Mutex
	closed := make(chan string, 1)
	ts := newTestServer(t, Options{PollingQueueSize: 1, OnSession: func(sess *Session) {
		sess.OnClose(func(reason string) {
			mu.Lock()
			defer mu.Unlock()
			closed <- reason
		})
	}}, false)
	ts.handshake(ts.client())
	sess := ts.nextSession()
	msg := NewTextMessage([]byte("x"))
	sent := make(chan error, 1)
	mu.Lock()
	go func() {
		_ = sess.Send(msg)
		sent <- sess.Send(msg)
	}()
	select {
	case err := <-sent:
		if !errors.Is(err, ErrQueueFull) {
			t.Errorf("Send: got %v, want ErrQueueFull", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Send blocked on OnClose")
	}
	mu.Unlock()
	if got := <-closed; got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
}

// TestWebSocketBurstSlowsTheReader checks that a client sending a burst of
// requests, each answered by the server, is slowed down rather than closed
// for overflowing its queue.
func TestWebSocketBurstSlowsTheReader(t *testing.T) {
	checkGoroutines(t)
	ts := newTestServer(t, Options{QueueSize: 4}, true)
	conn, _ := ts.dialSession()
	const n = 1000 // below the capacity of the test server's event log
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := conn.WriteMessage(websocket.TextMessage, []byte("4"+strconv.Itoa(i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range n {
		if got, want := readText(t, conn), "4"+strconv.Itoa(i); got != want {
			t.Fatalf("echo %d: got %q, want %q", i, got, want)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("write: %v", err)
	}
}

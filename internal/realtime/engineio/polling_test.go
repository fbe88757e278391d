package engineio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPollingMessages(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []event
	}{
		{"one text packet", "4hello", []event{{data: "hello"}}},
		{"several text packets", "4test1\x1e4test2\x1e4test3", []event{{data: "test1"}, {data: "test2"}, {data: "test3"}}},
		{"text and binary", "4hello\x1ebAQIDBA==", []event{{data: "hello"}, {data: "\x01\x02\x03\x04", binary: true}}},
		{"unpadded base64", "bAQIDBA", []event{{data: "\x01\x02\x03\x04", binary: true}}},
		{"empty message", "4", []event{{data: ""}}},
		{"utf-8", "4héllo €", []event{{data: "héllo €"}}},
	}
	ts := newTestServer(t, Options{}, true)
	c := ts.client()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := ts.handshake(c)
			status, body, h := do(t, c, http.MethodPost, ts.pollingURL(sid), tt.body)
			if status != http.StatusOK || body != "ok" {
				t.Fatalf("POST: got %d %q, want 200 ok", status, body)
			}
			if got := h.Get("Content-Type"); got != "text/plain; charset=UTF-8" {
				t.Errorf("POST Content-Type: got %q, want text/plain; charset=UTF-8", got)
			}
			for i, want := range tt.want {
				got := ts.nextEvent()
				want.sid = sid
				if got != want {
					t.Errorf("message %d: got %+v, want %+v", i, got, want)
				}
			}
			// The echo comes back joined the same way; unpadded base64 is
			// answered padded.
			wantBody := tt.body
			if tt.name == "unpadded base64" {
				wantBody = "bAQIDBA=="
			}
			status, body, _ = do(t, c, http.MethodGet, ts.pollingURL(sid), "")
			if status != http.StatusOK || body != wantBody {
				t.Errorf("GET: got %d %q, want 200 %q", status, body, wantBody)
			}
		})
	}
}

func TestPollingInvalidPayload(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"garbage", "abc"},
		{"empty body", ""},
		{"unknown type", "7x"},
		{"bad base64", "b!!!"},
		{"valid then invalid", "4ok\x1e9"},
		{"empty packet", "4a\x1e\x1e4b"},
	}
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := ts.handshake(c)
			status, body, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), tt.body)
			if status != http.StatusBadRequest || body != `{"code":3,"message":"Bad request"}` {
				t.Errorf("POST: got %d %s, want 400 bad request", status, body)
			}
			// Accepted whole or refused whole: no message got through.
			if got := ts.nextEvent(); got.closed != ReasonParseError {
				t.Errorf("event: got %+v, want close %q", got, ReasonParseError)
			}
			status, _, _ = do(t, c, http.MethodGet, ts.pollingURL(sid), "")
			if status != http.StatusBadRequest {
				t.Errorf("GET after close: got %d, want 400", status)
			}
		})
	}
}

func TestPollingConcurrentGet(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	sid := ts.handshake(c)
	first := make(chan string, 1)
	go func() {
		_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
		first <- body
	}()
	waitPending(t, ts, sid)
	status, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid)+"&t=burst", "")
	if status != http.StatusBadRequest {
		t.Errorf("second GET: got %d %s, want 400", status, body)
	}
	if got := <-first; got != "1" {
		t.Errorf("first GET: got %q, want close packet 1", got)
	}
	if got := ts.waitClose(sid); got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
	if status, _, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); status != http.StatusBadRequest {
		t.Errorf("GET after close: got %d, want 400", status)
	}
}

// waitPending waits until a GET of sid is waiting for packets.
func waitPending(t *testing.T, ts *testServer, sid string) {
	t.Helper()
	sess := ts.srv.lookup(sid)
	if sess == nil {
		t.Fatalf("session %s not found", sid)
	}
	deadline := time.Now().Add(waitLong)
	for {
		sess.mu.Lock()
		pending := sess.poll != nil
		sess.mu.Unlock()
		if pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no GET pending")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPollingAbortedGet(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	sid := ts.handshake(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.pollingURL(sid), nil)
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitPending(t, ts, sid)
	cancel()
	if err := <-done; err == nil {
		t.Error("aborted GET: got a response, want an error")
	}
	if got := ts.waitClose(sid); got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
	if status, _, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); status != http.StatusBadRequest {
		t.Errorf("GET after abort: got %d, want 400", status)
	}
}

func TestPollingClientClose(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	sid := ts.handshake(c)
	pending := make(chan string, 1)
	go func() {
		_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
		pending <- body
	}()
	waitPending(t, ts, sid)
	if status, body, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "1"); status != 200 || body != "ok" {
		t.Errorf("POST close: got %d %q, want 200 ok", status, body)
	}
	if got := <-pending; got != "6" {
		t.Errorf("pending GET: got %q, want noop 6", got)
	}
	if got := ts.waitClose(sid); got != ReasonTransportClose {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportClose)
	}
}

func TestPollingConcurrentPost(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.srv.lookup(sid)
	// A POST whose body never ends holds the session's POST slot.
	pr, pw := ioPipe()
	defer pw.Close()
	go func() {
		req, _ := http.NewRequest(http.MethodPost, ts.pollingURL(sid), pr)
		if res, err := c.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	_, _ = pw.Write([]byte("4a"))
	deadline := time.Now().Add(waitLong)
	for {
		sess.mu.Lock()
		busy := sess.postBusy
		sess.mu.Unlock()
		if busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first POST not in progress")
		}
		time.Sleep(time.Millisecond)
	}
	if status, _, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "4b"); status != http.StatusBadRequest {
		t.Errorf("second POST: got %d, want 400", status)
	}
	if got := ts.waitClose(sid); got != ReasonTransportError {
		t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
	}
}

func TestPollingMaxPayload(t *testing.T) {
	ts := newTestServer(t, Options{MaxPayload: 100}, false)
	c := ts.client()
	tests := []struct {
		name       string
		body       string
		wantStatus int
	}{
		{"at the limit", "4" + strings.Repeat("a", 99), 200},
		{"over the limit", "4" + strings.Repeat("a", 100), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := ts.handshake(c)
			status, _, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), tt.body)
			if status != tt.wantStatus {
				t.Fatalf("POST: got %d, want %d", status, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				if got := ts.nextEvent(); got.data != tt.body[1:] {
					t.Errorf("message: got %d bytes, want %d", len(got.data), len(tt.body)-1)
				}
				return
			}
			if got := ts.waitClose(sid); got != ReasonTransportError {
				t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
			}
		})
	}
	t.Run("chunked over the limit", func(t *testing.T) {
		sid := ts.handshake(c)
		pr, pw := ioPipe()
		go func() {
			_, _ = pw.Write([]byte("4" + strings.Repeat("a", 200)))
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, ts.pollingURL(sid), pr)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST: got %d, want 413", res.StatusCode)
		}
		if got := ts.waitClose(sid); got != ReasonTransportError {
			t.Errorf("close reason: got %q, want %q", got, ReasonTransportError)
		}
	})
}

func TestPollingHeartbeat(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 2 * time.Second}, false)
	c := ts.client()
	sid := ts.handshake(c)
	for i := range 3 {
		status, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
		if status != 200 || body != "2" {
			t.Fatalf("poll %d: got %d %q, want 200 ping 2", i, status, body)
		}
		if status, _, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "3"); status != 200 {
			t.Fatalf("pong %d: got %d, want 200", i, status)
		}
	}
	if got := ts.srv.Count(); got != 1 {
		t.Errorf("Count: got %d, want 1", got)
	}
}

func TestPollingPingTimeout(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 20 * time.Millisecond}, false)
	c := ts.client()
	sid := ts.handshake(c)
	// The client collects the ping and never answers it.
	if _, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); body != "2" {
		t.Fatalf("poll: got %q, want ping 2", body)
	}
	_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
	if body != "1" {
		t.Errorf("poll after timeout: got %q, want close packet 1", body)
	}
	if got := ts.waitClose(sid); got != ReasonPingTimeout {
		t.Errorf("close reason: got %q, want %q", got, ReasonPingTimeout)
	}
	if status, _, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); status != http.StatusBadRequest {
		t.Errorf("GET after timeout: got %d, want 400", status)
	}
}

func TestPollingServerClose(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	c := ts.client()
	sid := ts.handshake(c)
	sess := ts.nextSession()
	if err := sess.Send(NewTextMessage([]byte("bye"))); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if err := sess.Send(NewTextMessage([]byte("late"))); err != ErrClosed {
		t.Errorf("Send after Close: got %v, want ErrClosed", err)
	}
	_, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), "")
	if body != "4bye\x1e1" {
		t.Errorf("poll: got %q, want queued message then close packet", body)
	}
	if got := ts.waitClose(sid); got != ReasonForcedClose {
		t.Errorf("close reason: got %q, want %q", got, ReasonForcedClose)
	}
}

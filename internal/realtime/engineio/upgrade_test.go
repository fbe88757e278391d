package engineio

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

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

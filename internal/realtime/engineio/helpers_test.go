package engineio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// waitLong bounds every wait of a test for something that must happen;
// reaching it is a failure, never a pass.
const waitLong = 5 * time.Second

// event is something a session reported to the test server.
type event struct {
	sid    string
	data   string
	binary bool
	closed string // close reason, for a close event
}

// testServer is an engineio.Server on a real loopback HTTP server whose
// sessions report to events and optionally echo their messages.
type testServer struct {
	t        *testing.T
	srv      *Server
	http     *httptest.Server
	url      string // http://127.0.0.1:port/engine.io/
	events   chan event
	sessions chan *Session
}

// checkGoroutines fails t if goroutines started during the test outlive it.
// Register it first so that its cleanup runs last.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(waitLong)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: got %d, want at most %d\n%s", n, before, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// newTestServer starts a server; echo makes every session send back each
// message it receives.
func newTestServer(t *testing.T, opts Options, echo bool) *testServer {
	t.Helper()
	checkGoroutines(t)
	ts := &testServer{t: t, events: make(chan event, 1024), sessions: make(chan *Session, 64)}
	user := opts.OnSession
	opts.OnSession = func(sess *Session) {
		sess.OnMessage(func(data []byte, binary bool) {
			ts.events <- event{sid: sess.ID(), data: string(data), binary: binary}
			if !echo {
				return
			}
			if binary {
				_ = sess.Send(NewBinaryMessage(data))
			} else {
				_ = sess.Send(NewTextMessage(data))
			}
		})
		sess.OnClose(func(reason string) {
			ts.events <- event{sid: sess.ID(), closed: reason}
		})
		if user != nil {
			user(sess)
		}
		ts.sessions <- sess
	}
	ts.srv = NewServer(opts)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", ts.srv)
	ts.http = httptest.NewServer(mux)
	ts.url = ts.http.URL + "/engine.io/"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.http.CloseClientConnections()
		ts.http.Close()
	})
	return ts
}

// nextEvent returns the next event, failing the test after waitLong.
func (ts *testServer) nextEvent() event {
	ts.t.Helper()
	select {
	case e := <-ts.events:
		return e
	case <-time.After(waitLong):
		ts.t.Fatal("no event from the server")
		return event{}
	}
}

// waitClose waits for the close event of sid, skipping others.
func (ts *testServer) waitClose(sid string) string {
	ts.t.Helper()
	for {
		e := ts.nextEvent()
		if e.sid == sid && e.closed != "" {
			return e.closed
		}
	}
}

// nextSession returns the next session the server opened.
func (ts *testServer) nextSession() *Session {
	ts.t.Helper()
	select {
	case s := <-ts.sessions:
		return s
	case <-time.After(waitLong):
		ts.t.Fatal("no session opened")
		return nil
	}
}

// client returns an HTTP client with its own connections, closed at the
// end of the test.
func (ts *testServer) client() *http.Client {
	tr := &http.Transport{}
	ts.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitLong}
}

// do sends a request and returns the status and body.
func do(t *testing.T, c *http.Client, method, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res.StatusCode, string(b), res.Header
}

// openInfo is the JSON of an open packet.
type openInfo struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t *testing.T, packet string) openInfo {
	t.Helper()
	if !strings.HasPrefix(packet, "0{") {
		t.Fatalf("open packet: got %q, want 0{...}", packet)
	}
	var o openInfo
	if err := json.Unmarshal([]byte(packet[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	return o
}

// pollingURL returns the polling URL of sid ("" for a handshake).
func (ts *testServer) pollingURL(sid string) string {
	u := ts.url + "?EIO=4&transport=polling"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

// wsURL returns the WebSocket URL of sid ("" for a direct connection).
func (ts *testServer) wsURL(sid string) string {
	u := "ws" + strings.TrimPrefix(ts.url, "http") + "?EIO=4&transport=websocket"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

// handshake opens a polling session and returns its sid.
func (ts *testServer) handshake(c *http.Client) string {
	ts.t.Helper()
	status, body, _ := do(ts.t, c, http.MethodGet, ts.pollingURL(""), "")
	if status != http.StatusOK {
		ts.t.Fatalf("handshake: got status %d, want 200 (%s)", status, body)
	}
	return parseOpen(ts.t, body).SID
}

// dial opens a WebSocket to url.
func (ts *testServer) dial(url string) *websocket.Conn {
	ts.t.Helper()
	conn, res, err := wsDialer().Dial(url, nil)
	if err != nil {
		ts.t.Fatalf("dial %s: %v", url, err)
	}
	res.Body.Close()
	ts.t.Cleanup(func() { conn.Close() })
	return conn
}

// dialSession opens a direct WebSocket session and returns the connection
// and the open packet.
func (ts *testServer) dialSession() (*websocket.Conn, openInfo) {
	ts.t.Helper()
	conn := ts.dial(ts.wsURL(""))
	_, data := readFrame(ts.t, conn)
	return conn, parseOpen(ts.t, string(data))
}

// readFrame reads one frame, failing after waitLong.
func readFrame(t *testing.T, conn *websocket.Conn) (int, []byte) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(waitLong))
	typ, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return typ, data
}

// readText reads frames until one that is not a ping, answering pings.
func readText(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	for {
		typ, data := readFrame(t, conn)
		if typ == websocket.TextMessage && string(data) == "2" {
			writeText(t, conn, "3")
			continue
		}
		if typ != websocket.TextMessage {
			t.Fatalf("frame type: got %d, want text", typ)
		}
		return string(data)
	}
}

func writeText(t *testing.T, conn *websocket.Conn, s string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

// waitClosed reads until conn fails and returns the error.
func waitClosed(t *testing.T, conn *websocket.Conn) error {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(waitLong))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("connection still open")
			}
			return err
		}
	}
}

// wsDialer returns a WebSocket client dialer.
func wsDialer() *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: waitLong}
}

// ioPipe returns a synchronous in-memory pipe, used as a request body that
// the test writes as it goes.
func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

package redisadapter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frame is one Engine.IO message as the test client sees it: a Socket.IO
// packet (the text after the "4"), or a binary attachment.
type frame struct {
	data   string
	binary bool
}

func (f frame) String() string {
	if f.binary {
		return fmt.Sprintf("binary %x", f.data)
	}
	return f.data
}

// sioClient is a minimal Socket.IO client over a raw WebSocket, connected
// to the main namespace. It answers pings, acknowledges every event named
// "ask" with ["ok-<sid>"], and queues every other message. Its reader
// goroutine exits when the connection ends; the test's end closes it.
type sioClient struct {
	t      testing.TB
	sid    string
	ws     *websocket.Conn
	wmu    sync.Mutex
	frames chan frame
	done   chan struct{}
}

// connect opens a client on n with the given query parameters (rooms the
// test server joins it to, for instance) and waits for its CONNECT reply.
func connect(t testing.TB, n *node, query url.Values) *sioClient {
	t.Helper()
	q := url.Values{"EIO": {"4"}, "transport": {"websocket"}, "foo": {"bar"}}
	for k, v := range query {
		q[k] = v
	}
	u := "ws" + strings.TrimPrefix(n.hs.URL, "http") + "/socket.io/?" + q.Encode()
	ws, _, err := websocket.DefaultDialer.Dial(u, http.Header{"X-Test": {"yes"}})
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &sioClient{t: t, ws: ws, frames: make(chan frame, 256), done: make(chan struct{})}
	t.Cleanup(c.close)
	if _, open, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0{") {
		t.Fatalf("got open packet %q (%v), want 0{...}", open, err)
	}
	c.write("40")
	_, reply, err := ws.ReadMessage()
	if err != nil || !strings.HasPrefix(string(reply), "40{") {
		t.Fatalf("got CONNECT reply %q (%v), want 40{...}", reply, err)
	}
	var body struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(reply[2:], &body); err != nil || body.SID == "" {
		t.Fatalf("CONNECT reply %q: want a sid", reply)
	}
	c.sid = body.SID
	go c.read()
	return c
}

func (c *sioClient) read() {
	defer close(c.done)
	defer close(c.frames)
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.BinaryMessage {
			c.frames <- frame{data: string(data), binary: true}
			continue
		}
		s := string(data)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "42") && strings.Contains(s, `["ask"`):
			id := s[2:strings.IndexByte(s, '[')]
			c.write(fmt.Sprintf(`43%s["ok-%s"]`, id, c.sid))
		case strings.HasPrefix(s, "4"):
			c.frames <- frame{data: s[1:]}
		}
	}
}

func (c *sioClient) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

// next returns the next message, failing the test on a hang or when the
// connection ended.
func (c *sioClient) next() frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatal("connection closed, want a message")
		}
		return f
	case <-time.After(waitTimeout):
		c.t.Fatalf("client %s: no message received", c.sid)
	}
	return frame{}
}

// expect fails unless the next message is the Socket.IO packet want.
func (c *sioClient) expect(want string) {
	c.t.Helper()
	if got := c.next(); got.binary || got.data != want {
		c.t.Fatalf("client %s: got %v, want %s", c.sid, got, want)
	}
}

// expectBinary fails unless the next message is binary data want.
func (c *sioClient) expectBinary(want []byte) {
	c.t.Helper()
	if got := c.next(); !got.binary || got.data != string(want) {
		c.t.Fatalf("client %s: got %v, want binary %x", c.sid, got, want)
	}
}

// poll returns the next message if one arrives within d.
func (c *sioClient) poll(d time.Duration) (frame, bool) {
	select {
	case f, ok := <-c.frames:
		return f, ok
	case <-time.After(d):
		return frame{}, false
	}
}

func (c *sioClient) close() {
	_ = c.ws.Close()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		c.t.Error("test client reader did not exit")
	}
}

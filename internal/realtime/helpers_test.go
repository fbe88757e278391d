package realtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// waitTimeout bounds every wait of the tests: it detects a hang, it is not
// a timing assertion.
const waitTimeout = 10 * time.Second

// newTestServer starts srv on a loopback HTTP server; both are shut down
// when the test ends.
func newTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := NewServer(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return srv, hs
}

// frame is one Engine.IO packet as a test client sees it: text packets
// with their type digit, binary messages with binary set.
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

// testClient speaks raw Engine.IO over a WebSocket or HTTP long-polling
// and answers the server's pings. Its reader goroutine exits when the
// connection ends; close ends it.
type testClient struct {
	t      testing.TB
	sid    string
	noPong atomic.Bool // stop answering pings
	frames chan frame
	done   chan struct{} // closed when the reader has exited

	// WebSocket transport.
	ws  *websocket.Conn
	wmu sync.Mutex

	// Polling transport.
	base   string
	http   *http.Client
	cancel context.CancelFunc
}

// dial opens an Engine.IO session on transport ("websocket" or "polling")
// and consumes the open packet.
func dial(t testing.TB, hs *httptest.Server, transport string, header http.Header) *testClient {
	t.Helper()
	c := &testClient{t: t, frames: make(chan frame, 1024), done: make(chan struct{})}
	u, _ := url.Parse(hs.URL + "/socket.io/")
	u.RawQuery = url.Values{"EIO": {"4"}, "transport": {transport}, "foo": {"bar"}}.Encode()
	var open []byte
	switch transport {
	case "websocket":
		u.Scheme = "ws"
		conn, _, err := websocket.DefaultDialer.Dial(u.String(), header)
		if err != nil {
			t.Fatalf("dial websocket: %v", err)
		}
		c.ws = conn
		if _, open, err = conn.ReadMessage(); err != nil {
			t.Fatalf("read open packet: %v", err)
		}
	case "polling":
		c.http = &http.Client{Transport: &http.Transport{}}
		body := c.get(context.Background(), u.String(), header)
		frames := splitPayload(body)
		if len(frames) == 0 {
			t.Fatal("polling handshake failed")
		}
		open = []byte(frames[0].data)
	}
	if !bytes.HasPrefix(open, []byte("0{")) {
		t.Fatalf("got first packet %q, want an open packet", open)
	}
	var hsk struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(open[1:], &hsk); err != nil {
		t.Fatalf("open packet %q: %v", open, err)
	}
	c.sid = hsk.SID
	if c.ws != nil {
		go c.readWS()
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		c.cancel = cancel
		c.base = u.String() + "&sid=" + url.QueryEscape(c.sid)
		go c.readPolling(ctx)
	}
	t.Cleanup(c.close)
	return c
}

func (c *testClient) readWS() {
	defer close(c.done)
	defer close(c.frames)
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		f := frame{data: string(data), binary: typ == websocket.BinaryMessage}
		if !f.binary && f.data == "2" {
			if !c.noPong.Load() {
				c.sendRaw("3")
			}
			continue
		}
		c.frames <- f
	}
}

func (c *testClient) readPolling(ctx context.Context) {
	defer close(c.done)
	defer close(c.frames)
	for {
		body := c.get(ctx, c.base, nil)
		if body == nil {
			return
		}
		for _, f := range splitPayload(body) {
			if !f.binary && f.data == "2" {
				if !c.noPong.Load() {
					c.sendRaw("3")
				}
				continue
			}
			c.frames <- f
			if !f.binary && f.data == "1" {
				return
			}
		}
	}
}

func (c *testClient) get(ctx context.Context, u string, header http.Header) []byte {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	return body
}

func splitPayload(body []byte) []frame {
	var out []frame
	for _, p := range bytes.Split(body, []byte{0x1e}) {
		if len(p) > 0 && p[0] == 'b' {
			b, _ := base64.StdEncoding.DecodeString(string(p[1:]))
			out = append(out, frame{data: string(b), binary: true})
			continue
		}
		out = append(out, frame{data: string(p)})
	}
	return out
}

// sendRaw sends one Engine.IO packet in its text form.
func (c *testClient) sendRaw(packet string) {
	c.write(frame{data: packet})
}

// send sends Socket.IO packets as Engine.IO messages.
func (c *testClient) send(packets ...string) {
	for _, p := range packets {
		c.write(frame{data: "4" + p})
	}
}

// sendBinary sends a binary Engine.IO message.
func (c *testClient) sendBinary(b []byte) {
	c.write(frame{data: string(b), binary: true})
}

func (c *testClient) write(f frame) {
	if c.ws != nil {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		typ := websocket.TextMessage
		if f.binary {
			typ = websocket.BinaryMessage
		}
		_ = c.ws.WriteMessage(typ, []byte(f.data))
		return
	}
	body := f.data
	if f.binary {
		body = "b" + base64.StdEncoding.EncodeToString([]byte(f.data))
	}
	resp, err := c.http.Post(c.base, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// next returns the next packet, failing the test on a hang or when the
// connection ended.
func (c *testClient) next() frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatal("connection closed, want a packet")
		}
		return f
	case <-time.After(waitTimeout):
		c.t.Fatal("no packet received")
	}
	return frame{}
}

// expect fails unless the next Socket.IO packet (Engine.IO message) is
// want.
func (c *testClient) expect(want string) {
	c.t.Helper()
	if got := c.next(); got.binary || got.data != "4"+want {
		c.t.Fatalf("got packet %q, want %q", got, "4"+want)
	}
}

// expectBinary fails unless the next message is binary data want.
func (c *testClient) expectBinary(want []byte) {
	c.t.Helper()
	if got := c.next(); !got.binary || got.data != string(want) {
		c.t.Fatalf("got %v, want binary %x", got, want)
	}
}

// message returns the next Socket.IO packet, skipping nothing.
func (c *testClient) message() string {
	c.t.Helper()
	f := c.next()
	if f.binary || !strings.HasPrefix(f.data, "4") {
		c.t.Fatalf("got %v, want a message packet", f)
	}
	return f.data[1:]
}

// expectClosed fails unless the server ends the session: a close packet
// (polling, or WebSocket before the frame close) or the end of the
// connection. Packets before it are returned.
func (c *testClient) expectClosed() []frame {
	c.t.Helper()
	var before []frame
	timeout := time.After(waitTimeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok || (!f.binary && f.data == "1") {
				return before
			}
			before = append(before, f)
		case <-timeout:
			c.t.Fatalf("session not closed; received %v", before)
		}
	}
}

// expectNothing fails if a packet arrives within d. It can only pass
// wrongly, never fail wrongly, on a slow machine.
func (c *testClient) expectNothing(d time.Duration) {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if ok {
			c.t.Fatalf("got packet %v, want none", f)
		}
	case <-time.After(d):
	}
}

// connect joins namespace nsp ("/" or "/custom") with an auth payload
// (empty for none) and returns the socket id from the CONNECT reply.
func (c *testClient) connect(nsp, auth string) string {
	c.t.Helper()
	c.send(connectPacket(nsp, auth))
	reply := c.message()
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	if !strings.HasPrefix(reply, prefix+"{") {
		c.t.Fatalf("got %q, want a CONNECT reply for %s", reply, nsp)
	}
	var body struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(reply[len(prefix):]), &body); err != nil || body.SID == "" {
		c.t.Fatalf("CONNECT reply %q: want {\"sid\":...}", reply)
	}
	return body.SID
}

func connectPacket(nsp, auth string) string {
	p := "0"
	if nsp != "/" {
		p += nsp + ","
	}
	return p + auth
}

// close ends the connection and waits for the reader to exit.
func (c *testClient) close() {
	if c.ws != nil {
		_ = c.ws.Close()
	}
	if c.cancel != nil {
		c.cancel()
	}
	if c.http != nil {
		defer c.http.CloseIdleConnections()
	}
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		c.t.Error("test client reader did not exit")
	}
}

// events collects what server-side callbacks observe, for the test
// goroutine to wait on.
type events struct {
	ch chan string
}

func newEvents() *events { return &events{ch: make(chan string, 1024)} }

func (e *events) add(format string, args ...any) { e.ch <- fmt.Sprintf(format, args...) }

func (e *events) next(t testing.TB) string {
	t.Helper()
	select {
	case s := <-e.ch:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no event observed")
	}
	return ""
}

func (e *events) expect(t testing.TB, want string) {
	t.Helper()
	if got := e.next(t); got != want {
		t.Fatalf("got event %q, want %q", got, want)
	}
}

// socketOf waits for the server-side socket of id in nsp.
func socketOf(t testing.TB, nsp *Namespace, id string) *Socket {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if s := nsp.Socket(SocketID(id)); s != nil {
			return s
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("socket %s not found in %s", id, nsp.Name())
	return nil
}

// transports are the Engine.IO transports every behaviour is tested on.
var transports = []string{"websocket", "polling"}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// step bounds every wait of these tests; the server's own timings are the
// ones of the protocol test suites.
const step = 5 * time.Second

var serverArgs = []string{
	"-addr", "127.0.0.1:0",
	"-ping-interval", "300ms",
	"-ping-timeout", "200ms",
	"-max-payload", "1000000",
	"-connect-timeout", "1s",
}

// logWriter collects run's log output and reports the listening address.
type logWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  chan string
	found bool
}

var listenRE = regexp.MustCompile(`msg="sio-echo listening" addr=(\S+)`)

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		if m := listenRE.FindSubmatch(w.buf.Bytes()); m != nil {
			w.found = true
			w.addr <- string(m[1])
		}
	}
	return len(p), nil
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// echoServer is a running sio-echo.
type echoServer struct {
	base   string // http://127.0.0.1:port
	cfg    config
	stop   context.CancelFunc
	done   chan error
	output *logWriter
}

// shutdown stops the server and returns run's error.
func (e *echoServer) shutdown(t *testing.T) error {
	t.Helper()
	e.stop()
	select {
	case err := <-e.done:
		e.done <- err // later calls see it too
		return err
	case <-time.After(2 * step):
		t.Fatalf("run did not return after cancel; output:\n%s", e.output)
		return nil
	}
}

// startEcho runs the server with serverArgs, then extra (later flags win),
// until the test ends.
func startEcho(t *testing.T, extra ...string) *echoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &logWriter{addr: make(chan string, 1)}
	e := &echoServer{stop: cancel, done: make(chan error, 1), output: out}
	// run returns once ctx is cancelled, which Cleanup does.
	args := append(slices.Clip(serverArgs), extra...)
	cfg, err := parseConfig(args, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig(%q): %v", args, err)
	}
	e.cfg = cfg
	go func() { e.done <- run(ctx, args, out) }()
	t.Cleanup(func() {
		if err := e.shutdown(t); err != nil {
			t.Errorf("run: got error %v, want nil", err)
		}
	})
	select {
	case addr := <-out.addr:
		e.base = "http://" + addr
	case err := <-e.done:
		t.Fatalf("run returned before listening: %v; output:\n%s", err, out)
	case <-time.After(step):
		t.Fatalf("no listening line; output:\n%s", out)
	}
	return e
}

func (e *echoServer) url(path string, query url.Values) string {
	return e.base + path + "?" + query.Encode()
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

var httpClient = &http.Client{Timeout: step}

func do(t *testing.T, method, u string, body string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return res.StatusCode, res.Header, string(b)
}

type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// parseOpen checks an open packet has exactly the keys of the protocol
// and the configured values.
func parseOpen(t *testing.T, e *echoServer, packet string, wantUpgrades []string) openPacket {
	t.Helper()
	if !strings.HasPrefix(packet, "0") {
		t.Fatalf("got %q, want an open packet", packet)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(packet[1:]), &keys); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	got := make([]string, 0, len(keys))
	for k := range keys {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := []string{"maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"}; !slices.Equal(got, want) {
		t.Errorf("open packet keys: got %v, want %v", got, want)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(packet[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	if o.SID == "" {
		t.Errorf("sid: got empty, want an id")
	}
	if string(keys["upgrades"]) == "null" || !slices.Equal(o.Upgrades, wantUpgrades) {
		t.Errorf("upgrades: got %s, want %v", keys["upgrades"], wantUpgrades)
	}
	want := openPacket{
		SID:          o.SID,
		Upgrades:     o.Upgrades,
		PingInterval: int(e.cfg.pingInterval.Milliseconds()),
		PingTimeout:  int(e.cfg.pingTimeout.Milliseconds()),
		MaxPayload:   int(e.cfg.maxPayload),
	}
	if o.PingInterval != want.PingInterval || o.PingTimeout != want.PingTimeout || o.MaxPayload != want.MaxPayload {
		t.Errorf("got %+v, want %+v", o, want)
	}
	return o
}

// polling is a raw HTTP long-polling session.
type polling struct {
	t    *testing.T
	e    *echoServer
	path string
	sid  string
}

func openPolling(t *testing.T, e *echoServer, path string) *polling {
	t.Helper()
	code, _, body := do(t, "GET", e.url(path, q("EIO", "4", "transport", "polling")), "", nil)
	if code != http.StatusOK {
		t.Fatalf("handshake: got HTTP %d %q, want 200", code, body)
	}
	o := parseOpen(t, e, body, []string{"websocket"})
	return &polling{t: t, e: e, path: path, sid: o.SID}
}

func (p *polling) url() string {
	return p.e.url(p.path, q("EIO", "4", "transport", "polling", "sid", p.sid))
}

func (p *polling) post(body string) {
	p.t.Helper()
	code, _, got := do(p.t, "POST", p.url(), body, nil)
	if code != http.StatusOK || got != "ok" {
		p.t.Fatalf("POST %q: got HTTP %d %q, want 200 \"ok\"", body, code, got)
	}
}

// pollN polls, answering pings, until n packets other than pings arrived.
func (p *polling) pollN(n int) []string {
	p.t.Helper()
	var got []string
	deadline := time.Now().Add(step)
	for len(got) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("got packets %q, want %d", got, n)
		}
		code, _, body := do(p.t, "GET", p.url(), "", nil)
		if code != http.StatusOK {
			p.t.Fatalf("poll: got HTTP %d %q, want 200", code, body)
		}
		for _, pk := range strings.Split(body, "\x1e") {
			if pk == "2" {
				p.post("3")
				continue
			}
			got = append(got, pk)
		}
	}
	return got
}

// wsConn is a raw WebSocket session that answers pings itself.
type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

type frame struct {
	binary bool
	data   string
}

func (f frame) String() string {
	if f.binary {
		return fmt.Sprintf("binary %x", f.data)
	}
	return fmt.Sprintf("text %q", f.data)
}

func dialWS(t *testing.T, e *echoServer, path string, query url.Values) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := strings.Replace(e.url(path, query), "http://", "ws://", 1)
	d := websocket.Dialer{HandshakeTimeout: step}
	c, res, err := d.Dial(u, nil)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, res, err
}

func openWS(t *testing.T, e *echoServer, path string) *wsConn {
	t.Helper()
	c, _, err := dialWS(t, e, path, q("EIO", "4", "transport", "websocket"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	w := &wsConn{t: t, c: c}
	f := w.next()
	if f.binary {
		t.Fatalf("got %v, want an open packet", f)
	}
	parseOpen(t, e, f.data, []string{})
	return w
}

// next returns the next frame that is not a ping.
func (w *wsConn) next() frame {
	w.t.Helper()
	for {
		w.c.SetReadDeadline(time.Now().Add(step))
		typ, data, err := w.c.ReadMessage()
		if err != nil {
			w.t.Fatalf("read: %v", err)
		}
		f := frame{binary: typ == websocket.BinaryMessage, data: string(data)}
		if !f.binary && f.data == "2" {
			w.send("3")
			continue
		}
		return f
	}
}

func (w *wsConn) expect(want ...frame) {
	w.t.Helper()
	for _, wf := range want {
		if got := w.next(); got != wf {
			w.t.Fatalf("got %v, want %v", got, wf)
		}
	}
}

func (w *wsConn) send(text string) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		w.t.Fatalf("write %q: %v", text, err)
	}
}

func (w *wsConn) sendBinary(data ...byte) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.BinaryMessage, data); err != nil {
		w.t.Fatalf("write binary: %v", err)
	}
}

// waitClosed reads, answering pings, until the server closes the
// connection, and returns the frames seen meanwhile.
func (w *wsConn) waitClosed() []frame {
	w.t.Helper()
	var seen []frame
	for {
		w.c.SetReadDeadline(time.Now().Add(step))
		typ, data, err := w.c.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				w.t.Fatalf("connection still open after %v; frames %v", step, seen)
			}
			return seen
		}
		if typ == websocket.TextMessage && string(data) == "2" {
			w.c.WriteMessage(websocket.TextMessage, []byte("3"))
			continue
		}
		seen = append(seen, frame{binary: typ == websocket.BinaryMessage, data: string(data)})
	}
}

func text(s string) frame    { return frame{data: s} }
func binary(b ...byte) frame { return frame{binary: true, data: string(b)} }
func b64(b ...byte) string   { return "b" + base64.StdEncoding.EncodeToString(b) }
func errorBody(code int, msg string) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg})
	return string(b)
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{name: "defaults", args: nil},
		{name: "protocol suite settings", args: serverArgs},
		{name: "zero ping interval", args: []string{"-ping-interval", "0s"}, wantErr: true},
		{name: "negative payload", args: []string{"-max-payload", "-1"}, wantErr: true},
		{name: "bad duration", args: []string{"-connect-timeout", "soon"}, wantErr: true},
		{name: "bad log level", args: []string{"-log-level", "loud"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, io.Discard)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("parseConfig(%q): got error %v, want error %v", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestEngineIOEcho(t *testing.T) {
	e := startEcho(t)

	t.Run("polling handshake rejections", func(t *testing.T) {
		tests := []struct {
			name   string
			method string
			query  url.Values
			want   string
		}{
			{"missing EIO", "GET", q("transport", "polling"), errorBody(5, "Unsupported protocol version")},
			{"bad EIO", "GET", q("EIO", "abc", "transport", "polling"), errorBody(5, "Unsupported protocol version")},
			{"EIO 3", "GET", q("EIO", "3", "transport", "polling"), errorBody(5, "Unsupported protocol version")},
			{"missing transport", "GET", q("EIO", "4"), errorBody(0, "Transport unknown")},
			{"bad transport", "GET", q("EIO", "4", "transport", "abc"), errorBody(0, "Transport unknown")},
			{"POST handshake", "POST", q("EIO", "4", "transport", "polling"), errorBody(2, "Bad handshake method")},
			{"unknown sid", "GET", q("EIO", "4", "transport", "polling", "sid", "nope"), errorBody(1, "Session ID unknown")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, _, body := do(t, tt.method, e.url("/engine.io/", tt.query), "", nil)
				if code != http.StatusBadRequest || body != tt.want {
					t.Errorf("got HTTP %d %s, want 400 %s", code, body, tt.want)
				}
			})
		}
	})

	t.Run("websocket handshake rejections", func(t *testing.T) {
		for _, query := range []url.Values{
			q("transport", "websocket"),
			q("EIO", "abc", "transport", "websocket"),
			q("EIO", "4", "transport", "abc"),
			q("EIO", "4", "transport", "websocket", "sid", "nope"),
		} {
			_, res, err := dialWS(t, e, "/engine.io/", query)
			if err == nil || res == nil || res.StatusCode != http.StatusBadRequest {
				code := 0
				if res != nil {
					code = res.StatusCode
				}
				t.Errorf("dial %v: got HTTP %d err %v, want a refused upgrade with 400", query, code, err)
			}
		}
	})

	t.Run("polling echoes text and binary", func(t *testing.T) {
		p := openPolling(t, e, "/engine.io/")
		payload := "4hello\x1e" + b64(1, 2, 3, 4) + "\x1e4héllo ☃"
		p.post(payload)
		if got := strings.Join(p.pollN(3), "\x1e"); got != payload {
			t.Errorf("got %q, want %q", got, payload)
		}
	})

	t.Run("polling closes the session on a close packet", func(t *testing.T) {
		p := openPolling(t, e, "/engine.io/")
		p.post("1")
		code, _, body := do(t, "GET", p.url(), "", nil)
		if code != http.StatusBadRequest {
			t.Errorf("poll after close: got HTTP %d %q, want 400", code, body)
		}
	})

	t.Run("websocket echoes text and binary", func(t *testing.T) {
		w := openWS(t, e, "/engine.io/")
		w.send("4hello")
		w.sendBinary(1, 2, 3, 4)
		w.send("4héllo ☃")
		w.expect(text("4hello"), binary(1, 2, 3, 4), text("4héllo ☃"))
	})

	t.Run("websocket closes on an invalid packet", func(t *testing.T) {
		w := openWS(t, e, "/engine.io/")
		w.send("abc")
		w.waitClosed()
	})

	t.Run("upgrade from polling to websocket", func(t *testing.T) {
		p := openPolling(t, e, "/engine.io/")
		c, _, err := dialWS(t, e, "/engine.io/", q("EIO", "4", "transport", "websocket", "sid", p.sid))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		w := &wsConn{t: t, c: c}
		w.send("2probe")
		w.expect(text("3probe"))
		if got := p.pollN(1); !slices.Equal(got, []string{"6"}) {
			t.Errorf("poll during upgrade: got %q, want [\"6\"]", got)
		}
		w.send("5")
		w.send("4upgraded")
		w.expect(text("4upgraded"))
		if code, _, _ := do(t, "GET", p.url(), "", nil); code != http.StatusBadRequest {
			t.Errorf("poll after upgrade: got HTTP %d, want 400", code)
		}
	})

	t.Run("CORS allows any origin with credentials", func(t *testing.T) {
		for _, method := range []string{"GET", "OPTIONS"} {
			h := http.Header{"Origin": {"https://shop.example"}, "Access-Control-Request-Method": {"POST"}}
			code, header, _ := do(t, method, e.url("/engine.io/", q("EIO", "4", "transport", "polling")), "", h)
			if code != http.StatusOK && code != http.StatusNoContent {
				t.Errorf("%s: got HTTP %d, want 200 or 204", method, code)
			}
			if got := header.Get("Access-Control-Allow-Origin"); got != "https://shop.example" {
				t.Errorf("%s: Access-Control-Allow-Origin: got %q, want the origin", method, got)
			}
			if got := header.Get("Access-Control-Allow-Credentials"); got != "true" {
				t.Errorf("%s: Access-Control-Allow-Credentials: got %q, want true", method, got)
			}
		}
	})
}

// connectWS opens a WebSocket session on /socket.io/ and connects to "/".
func connectWS(t *testing.T, e *echoServer) *wsConn {
	t.Helper()
	w := openWS(t, e, "/socket.io/")
	w.send("40")
	assertConnected(t, w.next(), "40")
	w.expect(text(`42["auth",{}]`))
	return w
}

var connectRE = regexp.MustCompile(`^\{"sid":"[^"]+"\}$`)

func assertConnected(t *testing.T, f frame, prefix string) {
	t.Helper()
	if f.binary || !strings.HasPrefix(f.data, prefix) || !connectRE.MatchString(f.data[len(prefix):]) {
		t.Fatalf("got %v, want %s{\"sid\":...}", f, prefix)
	}
}

func TestSocketIOEcho(t *testing.T) {
	e := startEcho(t)

	t.Run("connect", func(t *testing.T) {
		tests := []struct {
			name, send, prefix, auth string
		}{
			{"main namespace", "40", "40", `42["auth",{}]`},
			{"main namespace with auth", `40{"token":"123"}`, "40", `42["auth",{"token":"123"}]`},
			{"custom namespace", "40/custom,", "40/custom,", `42/custom,["auth",{}]`},
			{"custom namespace without comma", "40/custom", "40/custom,", `42/custom,["auth",{}]`},
			{"custom namespace with auth", `40/custom,{"token":"abc","n":[1,{"b":2,"a":1}]}`, "40/custom,", `42/custom,["auth",{"token":"abc","n":[1,{"b":2,"a":1}]}]`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := openWS(t, e, "/socket.io/")
				w.send(tt.send)
				assertConnected(t, w.next(), tt.prefix)
				w.expect(text(tt.auth))
			})
		}
	})

	t.Run("unknown namespace", func(t *testing.T) {
		w := openWS(t, e, "/socket.io/")
		w.send("40/random")
		w.expect(text(`44/random,{"message":"Invalid namespace"}`))
	})

	t.Run("events and acks", func(t *testing.T) {
		tests := []struct {
			name string
			send []frame
			want []frame
		}{
			{"plain event", []frame{text(`42["message",1,"2",{"3":[true]}]`)}, []frame{text(`42["message-back",1,"2",{"3":[true]}]`)}},
			{"plain ack", []frame{text(`42456["message-with-ack",1,"2",{"3":[false]}]`)}, []frame{text(`43456[1,"2",{"3":[false]}]`)}},
			{
				"binary event",
				[]frame{text(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), binary(1, 2, 3), binary(4, 5, 6)},
				[]frame{text(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), binary(1, 2, 3), binary(4, 5, 6)},
			},
			{
				"binary ack",
				[]frame{text(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), binary(1, 2, 3), binary(4, 5, 6)},
				[]frame{text(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), binary(1, 2, 3), binary(4, 5, 6)},
			},
			{
				"nested binary keeps key order",
				[]frame{text(`451-["message",{"z":{"_placeholder":true,"num":0},"a":1}]`), binary(9)},
				[]frame{text(`451-["message-back",{"z":{"_placeholder":true,"num":0},"a":1}]`), binary(9)},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := connectWS(t, e)
				for _, f := range tt.send {
					if f.binary {
						w.sendBinary([]byte(f.data)...)
					} else {
						w.send(f.data)
					}
				}
				w.expect(tt.want...)
			})
		}
	})

	t.Run("disconnect from a custom namespace keeps the main one", func(t *testing.T) {
		w := connectWS(t, e)
		w.send("40/custom,")
		assertConnected(t, w.next(), "40/custom,")
		w.expect(text(`42/custom,["auth",{}]`))
		w.send("41/custom,")
		w.send(`42["message","still here"]`)
		w.expect(text(`42["message-back","still here"]`))
	})

	t.Run("invalid packets close the connection", func(t *testing.T) {
		for _, pk := range []string{"4abc", "42{}", `42abc["message-with-ack",1]`, `42[{"a":1}]`, `42["message"`} {
			t.Run(pk, func(t *testing.T) {
				w := connectWS(t, e)
				w.send(pk)
				w.waitClosed()
			})
		}
	})

	t.Run("no CONNECT within the connect timeout closes the session", func(t *testing.T) {
		w := openWS(t, e, "/socket.io/")
		w.waitClosed()
	})

	t.Run("polling", func(t *testing.T) {
		p := openPolling(t, e, "/socket.io/")
		p.post("40")
		got := p.pollN(2)
		if !strings.HasPrefix(got[0], "40") || !connectRE.MatchString(got[0][2:]) || got[1] != `42["auth",{}]` {
			t.Fatalf("got %q, want 40{\"sid\":...} then the auth event", got)
		}
		p.post(`451-["message",{"_placeholder":true,"num":0}]` + "\x1e" + b64(1, 2, 3))
		want := []string{`451-["message-back",{"_placeholder":true,"num":0}]`, b64(1, 2, 3)}
		if got := p.pollN(2); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestShutdownClosesSessions(t *testing.T) {
	// No ping may answer the pending poll before the shutdown does.
	e := startEcho(t, "-ping-interval", "1m")
	eio := openWS(t, e, "/engine.io/")
	sio := connectWS(t, e)
	p := openPolling(t, e, "/socket.io/")
	p.post("40")
	p.pollN(2)

	type pollResult struct {
		code int
		body string
	}
	pending := make(chan pollResult, 1)
	// The poll returns when the server closes the session.
	go func() {
		res, err := httpClient.Get(p.url())
		if err != nil {
			pending <- pollResult{body: err.Error()}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		pending <- pollResult{code: res.StatusCode, body: string(b)}
	}()
	time.Sleep(100 * time.Millisecond) // let the poll reach the server

	if err := e.shutdown(t); err != nil {
		t.Errorf("run: got error %v, want nil", err)
	}
	for name, w := range map[string]*wsConn{"engine.io": eio, "socket.io": sio} {
		for _, f := range w.waitClosed() {
			if f != text("1") {
				t.Errorf("%s: got %v before the close, want at most a close packet", name, f)
			}
		}
	}
	select {
	case r := <-pending:
		if r.code != http.StatusOK || !slices.Contains(strings.Split(r.body, "\x1e"), "1") {
			t.Errorf("pending poll: got HTTP %d %q, want 200 with a close packet", r.code, r.body)
		}
	case <-time.After(step):
		t.Errorf("pending poll not answered by the shutdown")
	}
}

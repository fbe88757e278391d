package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsOutcome is what a WebSocket client read until its connection ended.
type wsOutcome struct {
	texts []string
	err   error // the error that ended the reading
}

// readUntilClosed reads c's text messages until the connection ends,
// answering pings, and delivers them on the returned channel.
func readUntilClosed(c *websocket.Conn) <-chan wsOutcome {
	out := make(chan wsOutcome, 1)
	go func() { // ends when the connection does, or after 60s of silence
		var o wsOutcome
		for {
			_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				o.err = err
				out <- o
				return
			}
			if string(data) == "2" {
				_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
				continue
			}
			o.texts = append(o.texts, string(data))
		}
	}()
	return out
}

// checkClosedGracefully fails unless o ends with an Engine.IO close packet
// and then a WebSocket close frame 1000.
func checkClosedGracefully(t *testing.T, o wsOutcome) {
	t.Helper()
	if n := len(o.texts); n == 0 || o.texts[n-1] != "1" {
		t.Errorf("WebSocket client: got packets %q, want the close packet \"1\" last", o.texts)
	}
	if !websocket.IsCloseError(o.err, websocket.CloseNormalClosure) {
		t.Errorf("WebSocket client: got %v, want a close frame 1000", o.err)
	}
}

// checkStopLog fails unless the log says it is shutting down and then that
// it stopped.
func checkStopLog(t *testing.T, log string) {
	t.Helper()
	down := strings.Index(log, `msg="shutting down"`)
	stopped := strings.Index(log, "msg=stopped")
	if down < 0 || stopped < 0 || stopped < down {
		t.Errorf("got log without \"shutting down\" before \"stopped\":\n%s", log)
	}
}

// TestGracefulShutdown cancels run's context while a WebSocket client is
// connected and a polling client has a GET pending: each gets its close
// packet (and the WebSocket its close frame), the shop logs its stop and run
// returns nil.
func TestGracefulShutdown(t *testing.T) {
	s := launchShop(t, nil)
	s.waitReady(t)

	ws := readUntilClosed(dialSocket(t, s.base))

	poll := &pollingClient{t: t, url: s.base + "/socket.io/?EIO=4&transport=polling"}
	poll.open()
	poll.post("40")
	if got := poll.get(); !strings.HasPrefix(got, "40{") {
		t.Fatalf("polling client: got %q, want the CONNECT packet", got)
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	pending := make(chan answer, 1)
	go func() { // ends when the GET is answered
		status, body, err := poll.request(http.MethodGet, "")
		pending <- answer{status, body, err}
	}()
	waitParkedPoll(t)

	if err := s.stop(t); err != nil {
		t.Fatalf("got run() = %v, want nil\n%s", err, s.logs)
	}
	// run waits for the sockets to end: none of their goroutines remains.
	if stacks := goroutinesIn("livebuy/shop/internal/realtime"); len(stacks) > 0 {
		t.Errorf("after run returned, %d goroutines of the realtime server remain:\n%s", len(stacks), strings.Join(stacks, "\n\n"))
	}
	select {
	case a := <-pending:
		packets := strings.Split(a.body, "\x1e")
		if a.err != nil || a.status != http.StatusOK || packets[len(packets)-1] != "1" {
			t.Errorf("pending poll: got %d %q (%v), want 200 ending with the close packet \"1\"", a.status, a.body, a.err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the pending poll was not answered")
	}
	checkClosedGracefully(t, <-ws)
	checkStopLog(t, s.logs.String())
	if res, err := http.Get(s.base + "/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("after run returned: got /healthz %d, want the connection refused", res.StatusCode)
	}
}

// goroutinesIn returns the stacks of the goroutines with a frame in pkg.
func goroutinesIn(pkg string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, pkg) {
			out = append(out, g)
		}
	}
	return out
}

// waitParkedPoll waits until a polling GET is parked in the shop's
// Engine.IO server. No other test runs in parallel, so it is the test's.
// The client cannot see this, and a GET that arrived after the shutdown
// began would be refused rather than closed.
func waitParkedPoll(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if len(goroutinesIn("engineio.(*Server).servePoll(")) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no polling GET is pending in the Engine.IO server after 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pollingClient is a raw Engine.IO v4 long-polling client.
type pollingClient struct {
	t   *testing.T
	url string // without sid
	sid string
}

var sidRE = regexp.MustCompile(`"sid":"([^"]+)"`)

func (p *pollingClient) open() {
	p.t.Helper()
	status, body, err := p.request(http.MethodGet, "")
	m := sidRE.FindStringSubmatch(body)
	if err != nil || status != http.StatusOK || !strings.HasPrefix(body, "0{") || m == nil {
		p.t.Fatalf("polling handshake: got %d %q (%v), want an open packet", status, body, err)
	}
	p.sid = m[1]
}

func (p *pollingClient) post(packets string) {
	p.t.Helper()
	if status, body, err := p.request(http.MethodPost, packets); err != nil || status != http.StatusOK {
		p.t.Fatalf("polling POST: got %d %q (%v), want 200", status, body, err)
	}
}

func (p *pollingClient) get() string {
	p.t.Helper()
	status, body, err := p.request(http.MethodGet, "")
	if err != nil || status != http.StatusOK {
		p.t.Fatalf("polling GET: got %d %q (%v), want 200", status, body, err)
	}
	return body
}

// request is safe to call from another goroutine: it reports instead of
// failing the test.
func (p *pollingClient) request(method, body string) (int, string, error) {
	u := p.url
	if p.sid != "" {
		u += "&sid=" + p.sid
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), err
}

// TestSIGTERM builds the shop and stops a running one with SIGTERM: it
// closes its sockets gracefully, logs its stop and exits 0. The binary is
// built with -race, whose exit code 66 reports a race in the shutdown.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds the shop")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the shop with")
	}
	bin := filepath.Join(t.TempDir(), "shop")
	build := exec.Command(gobin, "build", "-race", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	logs := newLogSink()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-bcrypt-cost", "4")
	cmd.Env = shopFreeEnv()
	cmd.Stdout, cmd.Stderr = logs, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the shop exits
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case <-logs.ready:
	case err := <-exited:
		t.Fatalf("the shop exited early: %v\n%s%s", err, logs, &stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("the shop was not ready within 60s\n%s%s", logs, &stderr)
	}
	base := "http://" + <-logs.addr
	ws := readUntilClosed(dialSocket(t, base))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("got exit %v after SIGTERM, want 0\n%s%s", err, logs, &stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the shop did not exit within 60s of SIGTERM\n%s%s", logs, &stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("got exit code %d, want 0", code)
	}
	checkClosedGracefully(t, <-ws)
	checkStopLog(t, logs.String())
}

// shopFreeEnv is the test's environment without the shop's variables, so
// that a MONGODB_URI of the machine does not redirect the shop under test.
func shopFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHOP_") && !strings.HasPrefix(kv, "MONGODB_URI=") {
			env = append(env, kv)
		}
	}
	return env
}

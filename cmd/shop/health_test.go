package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/database"
)

// TestHealthz runs the shop against a database reached through a proxy the
// test can cut: /healthz answers 503 while the shop cannot reach the
// database to start (the migrations have not run), 200 once it is ready,
// 503 again when the database becomes unreachable, and 200 when it is back.
func TestHealthz(t *testing.T) {
	db, err := database.Open(t.Context(), database.Config{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	proxy := newTCPProxy(t, db.EmbeddedAddr())

	// The selection timeout outlasts the start, which the test ends.
	s := launchShop(t, nil, "-mongodb-uri", "mongodb://"+proxy.addr()+"/shop?serverSelectionTimeoutMS=600000")

	type health struct {
		status               int
		retryAfter, errorMsg string
		statusField          string
	}
	get := func(t *testing.T, path string) health {
		t.Helper()
		res, err := http.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var body struct{ ErrorMessage, Status string }
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("GET %s: got body %q, want JSON", path, raw)
		}
		return health{res.StatusCode, res.Header.Get("Retry-After"), body.ErrorMessage, body.Status}
	}
	// waitHealth polls /healthz until it answers want; the database's
	// driver notices a change only on its next check.
	waitHealth := func(t *testing.T, want int) health {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			h := get(t, "/healthz")
			if h.status == want {
				return h
			}
			if time.Now().After(deadline) {
				t.Fatalf("got /healthz %d, want %d\n%s", h.status, want, s.logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("starting", func(t *testing.T) {
		// The shop cannot have opened the database: the proxy is down.
		for _, path := range []string{"/healthz", "/api/goods"} {
			h := get(t, path)
			if h.status != http.StatusServiceUnavailable || h.retryAfter != "1" || h.errorMsg == "" {
				t.Errorf("GET %s while starting: got %d, Retry-After %q, errorMessage %q; want 503, 1 and a message", path, h.status, h.retryAfter, h.errorMsg)
			}
		}
		if strings.Contains(s.logs.String(), "msg=ready") {
			t.Fatalf("the shop got ready without its database:\n%s", s.logs)
		}
	})

	proxy.setUp(true)
	s.waitReady(t)
	t.Run("ready", func(t *testing.T) {
		if h := get(t, "/healthz"); h.status != http.StatusOK || h.statusField != "ok" {
			t.Errorf("got /healthz %d %q, want 200 ok", h.status, h.statusField)
		}
	})

	t.Run("database unreachable", func(t *testing.T) {
		proxy.setUp(false)
		if h := get(t, "/healthz"); h.status != http.StatusServiceUnavailable || h.statusField != "database unreachable" {
			t.Errorf("got /healthz %d %q, want 503 database unreachable", h.status, h.statusField)
		}
		if !strings.Contains(s.logs.String(), `msg="health check failed"`) {
			t.Errorf("the failed health check is not logged:\n%s", s.logs)
		}
	})

	t.Run("database back", func(t *testing.T) {
		proxy.setUp(true)
		waitHealth(t, http.StatusOK)
	})

	if err := s.stop(t); err != nil {
		t.Errorf("got run() = %v, want nil", err)
	}
}

// tcpProxy forwards loopback connections to a backend while it is up; while
// it is down it cuts the connections it forwarded and closes new ones at
// once, as a database host that went away would.
type tcpProxy struct {
	ln      net.Listener
	backend string
	wg      sync.WaitGroup // the accept loop and two copiers per connection

	mu    sync.Mutex
	up    bool                  // guarded by mu
	conns map[net.Conn]struct{} // both ends of every forwarded connection; guarded by mu
}

// newTCPProxy starts a proxy to backend, down; it is closed when the test
// ends.
func newTCPProxy(t *testing.T, backend string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, backend: backend, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept() // ends when ln is closed
	t.Cleanup(func() {
		ln.Close()
		p.setUp(false)
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

// setUp brings the proxy up or down; down cuts every forwarded connection.
func (p *tcpProxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up := p.up
		p.mu.Unlock()
		if !up {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.backend)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, b) {
			continue
		}
		p.wg.Add(2)
		// Each copier ends when either end is closed.
		go p.pipe(c, b)
		go p.pipe(b, c)
	}
}

// track registers a forwarded pair, unless the proxy went down meanwhile.
func (p *tcpProxy) track(c, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		c.Close()
		b.Close()
		return false
	}
	p.conns[c], p.conns[b] = struct{}{}, struct{}{}
	return true
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

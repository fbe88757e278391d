package redisadapter

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livebuy/shop/internal/realtime"
)

func TestMain(m *testing.M) {
	// go-redis reports every failed dial on its own process-wide logger;
	// the adapter's log says what matters, and the tests check it.
	redis.SetLogger(discardLogger{})
	os.Exit(m.Run())
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// waitTimeout bounds every wait of the tests: it detects a hang, it is not
// a timing assertion.
const waitTimeout = 10 * time.Second

// redisServer is a redis-server child process on a loopback port, without
// persistence, stopped when the test ends.
type redisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been reaped
	log    syncBuffer
}

// startRedis starts a redis-server. Without one installed the test is
// skipped, except in CI (the CI environment variable set), where it fails.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is missing (apt-get install redis-server)")
		}
		t.Skip("redis-server is missing; apt-get install redis-server to run the Redis adapter tests")
	}
	r := &redisServer{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(r.stop)
	// Another process may take the free port before redis-server does.
	for attempt := 0; ; attempt++ {
		r.port = freePort(t)
		if err := r.start(); err == nil {
			return r
		} else if attempt == 2 {
			t.Fatalf("start redis-server: %v\n%s", err, r.log.String())
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (r *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs redis-server on r.port and waits until it answers PING.
func (r *redisServer) start() error {
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &r.log, &r.log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { // reaps the process; ends when it exits
		_ = cmd.Wait()
		close(exited)
	}()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()

	c := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			r.stop()
			return fmt.Errorf("redis-server does not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends redis-server, as a crash would for its clients.
func (r *redisServer) stop() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(waitTimeout):
		r.t.Errorf("redis-server did not exit")
	}
}

// restart starts redis-server again on the same port.
func (r *redisServer) restart() {
	r.t.Helper()
	if err := r.start(); err != nil {
		r.t.Fatalf("restart redis-server: %v\n%s", err, r.log.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the writes of a child process.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a test's Redis and the clients of its servers. The servers are
// shut down first, then the test fails if a goroutine of this package is
// left, then the clients are closed: a client's Close would end the
// goroutines of an adapter that failed to.
type env struct {
	t     testing.TB
	redis *redisServer

	mu      sync.Mutex
	clients []*redis.Client
}

// newEnv starts a redis-server for the test.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, redis: startRedis(t)}
	t.Cleanup(func() {
		checkNoLeaks(t)
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.clients {
			_ = c.Close()
		}
	})
	return e
}

// client returns a new client of the test's Redis.
func (e *env) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: e.redis.Addr()})
	e.mu.Lock()
	e.clients = append(e.clients, c)
	e.mu.Unlock()
	return c
}

// node is a realtime.Server using the Redis adapter, on a loopback HTTP
// server, shut down when the test ends.
type node struct {
	name string
	srv  *realtime.Server
	hs   *httptest.Server
	rdb  *redis.Client
	logs *syncBuffer
}

// node starts a server sharing the test's Redis; setup runs before it
// serves.
func (e *env) node(name string, opts Options, setup func(*realtime.Server)) *node {
	t := e.t
	t.Helper()
	n := &node{name: name, rdb: e.client(), logs: &syncBuffer{}}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	n.srv = realtime.NewServer(realtime.Options{
		Adapter: Factory(n.rdb, opts),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if setup != nil {
		setup(n.srv)
	}
	n.hs = httptest.NewServer(n.srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := n.srv.Shutdown(ctx); err != nil {
			t.Errorf("%s: Shutdown: %v", name, err)
		}
		n.hs.Close()
		if t.Failed() {
			t.Logf("%s adapter log:\n%s", name, n.logs.String())
		}
	})
	return n
}

// adapter returns the adapter of the main namespace.
func (n *node) adapter() *Adapter { return n.srv.Adapter().(*Adapter) }

// waitServers waits until n servers subscribe to the request channel of
// namespace "/". A server subscribes to its broadcast pattern first, so
// it then receives broadcasts too.
func waitServers(t testing.TB, rdb *redis.Client, n int) {
	t.Helper()
	const channel = "socket.io-request#/#"
	deadline := time.Now().Add(waitTimeout)
	for {
		res, err := rdb.PubSubNumSub(context.Background(), channel).Result()
		if err == nil && res[channel] == int64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d servers subscribed (err %v), want %d", res[channel], err, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkNoLeaks fails the test if a goroutine of this package is left.
func checkNoLeaks(t testing.TB) {
	deadline := time.Now().Add(waitTimeout)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "redisadapter.(*Adapter)") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("got %d adapter goroutines after Shutdown, want 0:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

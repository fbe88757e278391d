package realtime

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// idleBudget is the most an idle WebSocket connection may cost the server
// in heap and stacks, about twice what it costs now: a goroutine per idle
// connection again (an 8 KB stack at least) would exceed it. Node's
// socket.io holds about 15 KB of resident memory per idle WebSocket.
const idleBudget = 8 << 10

// TestIdleMemory measures what an idle WebSocket connection costs the
// server with the whole stack (Engine.IO session plus a socket on "/"), for
// 1,000 connections by default or REALTIME_IDLE_N:
//
//	REALTIME_IDLE_N=5000 go test -run '^TestIdleMemory$' -v ./internal/realtime/
//
// The clients run in a child process (this test binary, running
// TestIdleClients), so that only the server's memory is counted. It
// reports (HeapInuse+StackInuse growth)/N and goroutines/N, and fails when
// a connection costs more than idleBudget or holds a goroutine.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: opens 1,000 connections")
	}
	n := 1000
	if v := os.Getenv("REALTIME_IDLE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("REALTIME_IDLE_N=%q: want a positive number", v)
		}
	}
	profile := os.Getenv("REALTIME_IDLE_HEAPPROFILE") // file to write the heap profile to
	if profile != "" {
		runtime.MemProfileRate = 1
	}
	srv, hs := newTestServer(t, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	beforeHeap, beforeStack := heapAndStacks()
	g0 := runtime.NumGoroutine()

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$")
	cmd.Env = append(os.Environ(),
		"REALTIME_IDLE_ADDR="+hs.Listener.Addr().String(),
		"REALTIME_IDLE_CLIENTS="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("client process: %v", err)
		}
	}()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ready" {
	}
	for srv.SocketCount() < n {
		if time.Since(start) > time.Minute {
			t.Fatalf("got %d sockets, want %d", srv.SocketCount(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	connected := time.Since(start)
	// Let the goroutines that wrote the CONNECT replies finish.
	time.Sleep(500 * time.Millisecond)
	afterHeap, afterStack := heapAndStacks()
	goroutines := runtime.NumGoroutine() - g0
	heap, stack := float64(afterHeap-beforeHeap)/float64(n), float64(afterStack-beforeStack)/float64(n)
	t.Logf("%d idle WebSocket connections (connected in %v): %.0f bytes each (HeapInuse %.0f + StackInuse %.0f), %.2f goroutines each",
		n, connected.Round(time.Millisecond), heap+stack, heap, stack, float64(goroutines)/float64(n))
	if heap+stack > idleBudget {
		t.Errorf("got %.0f bytes per idle connection, want at most %d", heap+stack, idleBudget)
	}
	if goroutines >= n/100 {
		t.Errorf("got %d more goroutines for %d idle connections, want none per connection", goroutines, n)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
	}
}

// heapAndStacks returns HeapInuse and StackInuse after a full collection.
func heapAndStacks() (heap, stack int64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse), int64(m.StackInuse)
}

// TestIdleClients is the client side of TestIdleMemory, run in a child
// process: it opens the connections, completes the Engine.IO handshake and
// the CONNECT to "/" on each, without any goroutine of its own, then waits
// for its standard input to close.
func TestIdleClients(t *testing.T) {
	addr := os.Getenv("REALTIME_IDLE_ADDR")
	n, _ := strconv.Atoi(os.Getenv("REALTIME_IDLE_CLIENTS"))
	if addr == "" || n <= 0 {
		t.Skip("run by TestIdleMemory")
	}
	u := "ws://" + addr + "/socket.io/?EIO=4&transport=websocket"
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range n {
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, m, err := c.ReadMessage(); err != nil || !strings.HasPrefix(string(m), "0{") {
			t.Fatalf("client %d: got open packet %q, %v", i, m, err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if _, m, err := c.ReadMessage(); err != nil || !strings.HasPrefix(string(m), "40{") {
			t.Fatalf("client %d: got CONNECT reply %q, %v", i, m, err)
		}
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

package engineio

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// benchPayload is a typical Socket.IO event: a purchase notification.
var benchPayload = []byte(`2["BUY_GOODS",{"nickname":"shopper","goodsId":3,"goodsName":"wireless earbuds","date":"2026-11-21T05:12:34.567Z"}]`)

// BenchmarkMessagePrepare measures building a Message and both of its
// encodings: the cost a broadcast pays once, whatever its fan-out.
func BenchmarkMessagePrepare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m := NewTextMessage(benchPayload)
		_ = m.wsFrame()
		_ = m.pollingBytes()
	}
}

// BenchmarkEncodeForSessions compares the WebSocket frames a broadcast to
// n sessions needs: one prepared frame shared by all, against one frame
// built per session.
func BenchmarkEncodeForSessions(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("shared/sessions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := NewTextMessage(benchPayload)
				for range n {
					_ = m.wsFrame()
				}
			}
		})
		b.Run(fmt.Sprintf("per-session/sessions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range n {
					m := NewTextMessage(benchPayload)
					_ = m.wsFrame()
				}
			}
		})
	}
}

// BenchmarkSend measures Session.Send of one shared Message to 10,000
// sessions: the enqueue a broadcast does per target.
func BenchmarkSend(b *testing.B) {
	srv := NewServer(Options{QueueSize: 1 << 30})
	sessions := make([]*Session, 10_000)
	r := httptest.NewRequest(http.MethodGet, "/engine.io/?EIO=4&transport=polling", nil)
	for i := range sessions {
		sessions[i] = srv.newSession(r, TransportPolling)
		sessions[i].timer.Stop()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := NewTextMessage(benchPayload)
		for _, s := range sessions {
			if err := s.Send(m); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for _, s := range sessions { // drain as the WebSocket writer does
			s.mu.Lock()
			clear(s.queue)
			s.head = len(s.queue)
			s.releaseQueueLocked()
			s.mu.Unlock()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(sessions)), "ns/session")
}

// BenchmarkBroadcastWebSocket sends one Message to n WebSocket sessions on
// loopback per operation and waits until every client has read it.
func BenchmarkBroadcastWebSocket(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		name := fmt.Sprintf("sessions=%d", n)
		b.Run(name, func(b *testing.B) {
			var mu sync.Mutex
			var sessions []*Session
			srv := NewServer(Options{QueueSize: 1 << 20, OnSession: func(s *Session) {
				mu.Lock()
				sessions = append(sessions, s)
				mu.Unlock()
			}})
			hs := httptest.NewServer(srv)
			defer hs.Close()
			url := "ws" + hs.URL[len("http"):] + "/?EIO=4&transport=websocket"
			var received atomic.Int64
			var clients sync.WaitGroup
			conns := make([]*websocket.Conn, n)
			for i := range conns {
				c, res, err := websocket.DefaultDialer.Dial(url, nil)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				conns[i] = c
				clients.Go(func() {
					for {
						_, r, err := c.NextReader()
						if err != nil {
							return
						}
						_, _ = io.Copy(io.Discard, r)
						received.Add(1)
					}
				})
			}
			for received.Load() < int64(n) { // the open packets
				time.Sleep(time.Millisecond)
			}
			b.ReportAllocs()
			b.ResetTimer()
			want := int64(n)
			for b.Loop() {
				m := NewTextMessage(benchPayload)
				for _, s := range sessions {
					if err := s.Send(m); err != nil {
						b.Fatal(err)
					}
				}
				want += int64(n)
				for received.Load() < want {
					runtime.Gosched()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				b.Fatal(err)
			}
			for _, c := range conns {
				c.Close()
			}
			clients.Wait()
		})
	}
}

func BenchmarkPollingEncode(b *testing.B) {
	msgs := benchMessages()
	buf := encodePayload(nil, msgs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = encodePayload(buf[:0], msgs)
	}
}

func BenchmarkPollingDecode(b *testing.B) {
	body := encodePayload(nil, benchMessages())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var stack [16]packet
	for b.Loop() {
		if _, err := decodePayload(stack[:0], body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMessages is a polling payload of 16 packets, two of them binary.
func benchMessages() []*Message {
	var msgs []*Message
	for i := range 16 {
		if i%8 == 7 {
			msgs = append(msgs, NewBinaryMessage(bytes.Repeat([]byte{byte(i)}, 64)))
			continue
		}
		msgs = append(msgs, NewTextMessage(benchPayload))
	}
	return msgs
}

// idleClientEnv, when set to "transport url count", makes the test binary a
// client process that holds count idle sessions (TestIdleClientProcess).
const idleClientEnv = "ENGINEIO_IDLE_CLIENT"

// TestIdleClientProcess is not a test: the idle memory benchmarks run the
// test binary with idleClientEnv so that the clients' memory is not
// counted with the server's.
func TestIdleClientProcess(t *testing.T) {
	spec := os.Getenv(idleClientEnv)
	if spec == "" {
		t.Skip("client process for the idle memory benchmarks")
	}
	var transport, url string
	var n int
	if _, err := fmt.Sscan(spec, &transport, &url, &n); err != nil {
		t.Fatal(err)
	}
	var closers []io.Closer
	switch transport {
	case TransportWebSocket:
		for range n {
			c, res, err := websocket.DefaultDialer.Dial(url+"&transport=websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if _, _, err := c.ReadMessage(); err != nil { // the open packet
				t.Fatal(err)
			}
			closers = append(closers, c)
		}
	case TransportPolling:
		// Every session keeps one GET pending, as an idle browser does.
		tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}
		c := &http.Client{Transport: tr}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var polls sync.WaitGroup
		defer polls.Wait()
		for range n {
			res, err := c.Get(url + "&transport=polling")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			sid := string(body[len(`0{"sid":"`) : len(`0{"sid":"`)+20])
			polls.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"&transport=polling&sid="+sid, nil)
				if res, err := c.Do(req); err == nil {
					res.Body.Close()
				}
			})
		}
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // hold the sessions until the parent is done
	for _, c := range closers {
		c.Close()
	}
}

// BenchmarkIdleMemory measures what the server holds per idle session
// (heap and goroutine stacks), with the clients in a separate process:
// a WebSocket session, and a polling session with its GET pending. It
// reports B/session and goroutines/session.
func BenchmarkIdleMemory(b *testing.B) {
	for _, tc := range []struct {
		transport string
		n         int
	}{{TransportWebSocket, 5000}, {TransportPolling, 2000}} {
		b.Run(tc.transport, func(b *testing.B) { benchIdleMemory(b, tc.transport, tc.n) })
	}
}

func benchIdleMemory(b *testing.B, transport string, n int) {
	srv := NewServer(Options{PingInterval: time.Hour})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := hs.URL + "/?EIO=4"
	if transport == TransportWebSocket {
		url = "ws" + url[len("http"):]
	}

	before, goroutinesBefore := memInUse(), runtime.NumGoroutine()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientProcess$")
	cmd.Env = append(os.Environ(), idleClientEnv+"="+transport+" "+url+" "+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		b.Fatalf("client process: got %q, %v; want ready", line, err)
	}
	for srv.Count() < n || (transport == TransportPolling && pendingPolls(srv) < n) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the handshake handlers return
	after, goroutinesAfter := memInUse(), runtime.NumGoroutine()
	for b.Loop() {
		// The measurement above is the result; b.Loop resets reported
		// metrics, so they are reported after it.
	}
	b.ReportMetric(float64(after.heap+after.stack-before.heap-before.stack)/float64(n), "B/session")
	b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/session")
	b.ReportMetric(float64(after.stack-before.stack)/float64(n), "stack-B/session")
	b.ReportMetric(float64(goroutinesAfter-goroutinesBefore)/float64(n), "goroutines/session")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
}

// pendingPolls counts the sessions of srv with a GET waiting.
func pendingPolls(srv *Server) int {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	n := 0
	for _, s := range srv.sessions {
		s.mu.Lock()
		if s.poll != nil {
			n++
		}
		s.mu.Unlock()
	}
	return n
}

// memUse is the memory in use after a full GC.
type memUse struct{ heap, stack uint64 }

func memInUse() memUse {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memUse{heap: ms.HeapInuse, stack: ms.StackInuse}
}

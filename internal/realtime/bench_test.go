package realtime

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/livebuy/shop/internal/realtime/engineio"
)

// benchOptions disables heartbeats for the length of a benchmark.
func benchOptions() Options {
	return Options{
		Engine: engineio.Options{PingInterval: time.Hour, PingTimeout: time.Hour},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// inProcessSessions opens n polling sessions connected to "/" by calling
// srv.ServeHTTP directly, without a network: the packets sent to them stay
// in their queues until drain collects them.
func inProcessSessions(b testing.TB, srv *Server, n int) []string {
	b.Helper()
	sids := make([]string, n)
	for i := range sids {
		body := serveInProcess(srv, http.MethodGet, "", "")
		j := strings.Index(body, `"sid":"`)
		if j < 0 {
			b.Fatalf("got handshake %q", body)
		}
		sids[i] = body[j+7 : j+7+strings.IndexByte(body[j+7:], '"')]
		serveInProcess(srv, http.MethodPost, sids[i], "40")
		if got := serveInProcess(srv, http.MethodGet, sids[i], ""); !strings.HasPrefix(got, "40{") {
			b.Fatalf("got %q, want the CONNECT reply", got)
		}
	}
	return sids
}

func serveInProcess(srv *Server, method, sid, body string) string {
	u := "/socket.io/?EIO=4&transport=polling"
	if sid != "" {
		u += "&sid=" + sid
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(method, u, strings.NewReader(body)))
	return rec.Body.String()
}

// drain empties the queues of sessions that all hold packets.
func drain(srv *Server, sids []string) {
	for _, sid := range sids {
		serveInProcess(srv, http.MethodGet, sid, "")
	}
}

// BenchmarkBroadcastQueued measures the server side of a broadcast to
// 10,000 sockets: encoding the packet once, selecting the targets and
// queuing the shared message in each session. Writing to the network is
// not included (the sessions are in-process polling sessions, drained with
// the timer stopped).
func BenchmarkBroadcastQueued(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			srv, _ := newTestServer(b, benchOptions())
			sids := inProcessSessions(b, srv, n)
			payload := map[string]any{"nickname": "alice", "goodsId": 3, "goodsName": "shoes", "date": "2026-11-21T05:12:34.567Z"}
			const batch = 100 // well below the queue size
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := srv.Emit("BUY_GOODS", payload); err != nil {
					b.Fatal(err)
				}
				if i%batch == batch-1 {
					b.StopTimer()
					drain(srv, sids)
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/target")
		})
	}
}

// BenchmarkEmitQueued measures Socket.Emit to one socket, up to its queue.
func BenchmarkEmitQueued(b *testing.B) {
	srv, _ := newTestServer(b, benchOptions())
	sids := inProcessSessions(b, srv, 1)
	s := srv.socketList()[0]
	payload := map[string]any{"count": 3}
	const batch = 100
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Emit("SAME_PAGE_VIEWER_COUNT", payload); err != nil {
			b.Fatal(err)
		}
		if i%batch == batch-1 {
			b.StopTimer()
			drain(srv, sids)
			b.StartTimer()
		}
	}
}

// wsReaders opens n WebSocket clients connected to "/" on hs, each with a
// goroutine counting the events it reads into counts.
func wsReaders(b *testing.B, hs *httptest.Server, n int) (done func(), counts chan int) {
	b.Helper()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	counts = make(chan int, n)
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatalf("dial client %d: %v", i, err)
		}
		conns[i] = c
		_, _, _ = c.ReadMessage() // open packet
		_ = c.WriteMessage(websocket.TextMessage, []byte("40"))
		_, _, _ = c.ReadMessage() // CONNECT reply
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, m, err := c.ReadMessage()
				if err != nil {
					return
				}
				if len(m) > 2 && m[0] == '4' && m[1] == '2' {
					counts <- 1
				}
			}
		}()
	}
	return func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	}, counts
}

// BenchmarkBroadcastDelivered measures a broadcast end to end over
// loopback WebSockets: from Emit until every client has read the frame.
// Client-side reading is included, on the same two cores.
func BenchmarkBroadcastDelivered(b *testing.B) {
	const n = 1000
	srv, hs := newTestServer(b, benchOptions())
	done, counts := wsReaders(b, hs, n)
	defer done()
	payload := map[string]any{"nickname": "alice", "goodsId": 3}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := srv.Emit("BUY_GOODS", payload); err != nil {
			b.Fatal(err)
		}
		for range n {
			<-counts
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
}

// BenchmarkEmitRoundTrip measures Socket.Emit to one WebSocket client
// until the client has read it.
func BenchmarkEmitRoundTrip(b *testing.B) {
	srv, hs := newTestServer(b, benchOptions())
	done, counts := wsReaders(b, hs, 1)
	defer done()
	deadline := time.Now().Add(waitTimeout)
	for srv.SocketCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s := srv.socketList()[0]
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.Emit("SAME_PAGE_VIEWER_COUNT", 3); err != nil {
			b.Fatal(err)
		}
		<-counts
	}
}

// BenchmarkBroadcastBurst emits 8 broadcasts back to back to 1,000
// loopback WebSocket clients and waits until every client has read them
// all: a server that falls behind, where frames meeting a busy socket
// are joined into one write. It reports the time per delivery.
func BenchmarkBroadcastBurst(b *testing.B) {
	const n, burst = 1000, 8
	srv, hs := newTestServer(b, benchOptions())
	done, counts := wsReaders(b, hs, n)
	defer done()
	payload := map[string]any{"nickname": "alice", "goodsId": 3}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range burst {
			if err := srv.Emit("BUY_GOODS", payload); err != nil {
				b.Fatal(err)
			}
		}
		for range n * burst {
			<-counts
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*burst), "ns/delivery")
}

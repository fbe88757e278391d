package engineio

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestFlusherConcurrentSenders has several goroutines send numbered
// messages to every session at once, as overlapping broadcasts do, while
// one client reads nothing until they are done, which pushes its session
// from the flusher to a writer goroutine, and one session is closed
// part-way. Every client that stays
// must read every message of every sender, each sender's in order; the
// closed one must read an in-order prefix, then the close packet.
func TestFlusherConcurrentSenders(t *testing.T) {
	const (
		clients = 40
		senders = 4
		perSend = 300
		closeAt = 100 // messages of sender 0 before session 0 is closed
	)
	ts := newTestServer(t, Options{QueueSize: senders * perSend * 2}, false)
	conns := make([]*websocket.Conn, clients)
	sessions := make([]*Session, clients)
	for i := range conns {
		conns[i], _ = ts.dialSession()
		sessions[i] = ts.nextSession()
	}

	// Readers first: a client that reads nothing would fill its socket.
	errs := make(chan error, clients)
	sent := make(chan struct{})
	var readers sync.WaitGroup
	for i, conn := range conns {
		readers.Go(func() {
			if i == 1 {
				<-sent
			}
			errs <- readNumbered(conn, senders, perSend, i == 0)
		})
	}
	starts := ts.srv.writerStarts.Load()

	var sendersWG sync.WaitGroup
	for s := range senders {
		sendersWG.Go(func() {
			pad := strings.Repeat("x", 1000*s) // frames of different sizes
			for n := range perSend {
				m := NewTextMessage(fmt.Appendf(nil, "%d:%d:%s", s, n, pad))
				for _, sess := range sessions {
					_ = sess.Send(m) // the closed session refuses with ErrClosed
				}
				if s == 0 && n == closeAt {
					sessions[0].Close()
				}
			}
		})
	}
	sendersWG.Wait()
	close(sent)
	readers.Wait()
	if ts.srv.writerStarts.Load() == starts {
		t.Error("no writer goroutine started for the client that read nothing")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// readNumbered reads the messages of TestFlusherConcurrentSenders from
// conn and checks them: each sender's numbers in order without a gap, all
// of them unless closed, in which case the close packet ends the stream.
func readNumbered(conn *websocket.Conn, senders, perSend int, closed bool) error {
	next := make([]int, senders)
	total := 0
	for total < senders*perSend {
		_ = conn.SetReadDeadline(time.Now().Add(waitLong))
		_, data, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("read after %d messages: %w", total, err)
		}
		text := string(data)
		switch {
		case text == "2": // ping
			continue
		case text == "1":
			if closed {
				return nil
			}
			return fmt.Errorf("close packet after %d messages", total)
		}
		fields := strings.SplitN(strings.TrimPrefix(text, "4"), ":", 3)
		if len(fields) != 3 {
			return fmt.Errorf("message %q: not sender:number:padding", text)
		}
		s, err1 := strconv.Atoi(fields[0])
		n, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil || s < 0 || s >= senders {
			return fmt.Errorf("message %q: bad sender or number", text)
		}
		if n != next[s] {
			return fmt.Errorf("sender %d: got message %d, want %d", s, n, next[s])
		}
		next[s]++
		total++
	}
	if closed {
		return fmt.Errorf("read all %d messages of a session closed part-way", total)
	}
	return nil
}

package engineio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// numbered returns message i of a stream: its index, then size bytes
// derived from it, so that a lost, repeated, reordered or torn byte shows.
func numbered(i, size int) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+size), uint32(i))
	for j := range size {
		b = append(b, byte(i*7+j))
	}
	return b
}

// readMessages reads n data frames of conn, skipping Engine.IO pings, and
// checks each against numbered(first+k, size(first+k)).
func readMessages(t *testing.T, conn *websocket.Conn, first, n int, binaryFrames bool, size func(int) int) {
	t.Helper()
	for k := 0; k < n; {
		typ, data := readFrame(t, conn)
		if typ == websocket.TextMessage && string(data) == "2" {
			continue
		}
		i := first + k
		want, wantTyp := numbered(i, size(i)), websocket.BinaryMessage
		if !binaryFrames {
			want, wantTyp = append([]byte{packetMessage}, want...), websocket.TextMessage
		}
		if typ != wantTyp || !bytes.Equal(data, want) {
			t.Fatalf("message %d: got type %d, %d bytes %.16x…, want type %d, %d bytes %.16x…",
				i, typ, len(data), data, wantTyp, len(want), want)
		}
		k++
	}
}

// backlogged reports whether sess has packets waiting for its writer
// goroutine or a writer goroutine running: the socket took less than was
// sent.
func backlogged(sess *Session) bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.writing || sess.head < len(sess.queue)
}

// flushed waits until the session's flusher has had its turn and
// reports whether a writer goroutine then holds the session's frames.
func flushed(t *testing.T, sess *Session) (handedOff bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		sess.mu.Lock()
		pending, writing := sess.flushPending, sess.writing
		sess.mu.Unlock()
		if !pending {
			return writing
		}
		if time.Now().After(deadline) {
			t.Fatal("session still waiting for its flusher")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// TestWebSocketPartialWritesResume sends more than the socket buffers hold
// to a client that does not read, one message per flusher round, so that a
// flusher write ends part-way through a frame and the writer goroutine
// resumes it, then checks that the client reads every byte, in order.
func TestWebSocketPartialWritesResume(t *testing.T) {
	tests := []struct {
		name   string
		binary bool
		n      int
		size   func(i int) int
	}{
		{"large text", false, 200, func(int) int { return 64 << 10 }},
		{"large binary", true, 200, func(int) int { return 64<<10 + 3 }},
		{"mixed sizes", false, 500, func(i int) int { return []int{10, 125, 126, 4000, 65535, 65536, 70_001}[i%7] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, Options{QueueSize: 1 << 16}, false)
			conn, _ := ts.dialSession()
			sess := ts.nextSession()
			for round := range 2 { // the second round starts from an idle writer again
				first := round * tt.n
				handedOff := false
				for i := first; i < first+tt.n; i++ {
					m := NewTextMessage(numbered(i, tt.size(i)))
					if tt.binary {
						m = NewBinaryMessage(numbered(i, tt.size(i)))
					}
					if err := sess.Send(m); err != nil {
						t.Fatalf("Send %d: got %v, want nil", i, err)
					}
					if !handedOff {
						handedOff = flushed(t, sess)
					}
				}
				if !handedOff || !backlogged(sess) {
					t.Fatalf("round %d: got every byte written by the flusher, want a socket full enough to leave a backlog", round)
				}
				readMessages(t, conn, first, tt.n, tt.binary, tt.size)
			}
		})
	}
}

// TestWebSocketControlFramesBetweenData has the client ping while a stream
// of messages flows: the pongs, written by the reader, must land between
// whole data frames, every one of them, and the messages stay in order.
func TestWebSocketControlFramesBetweenData(t *testing.T) {
	const messages, pings = 2000, 300
	size := func(i int) int { return []int{5, 300, 9000, 70_000}[i%4] }
	ts := newTestServer(t, Options{QueueSize: 1 << 16}, false)
	conn, _ := ts.dialSession()
	sess := ts.nextSession()

	var pongs []string
	conn.SetPongHandler(func(data string) error {
		pongs = append(pongs, data)
		return nil
	})
	pinged := make(chan error, 1)
	go func() {
		for i := range pings {
			if err := conn.WriteControl(websocket.PingMessage, fmt.Appendf(nil, "p%d", i), time.Now().Add(waitLong)); err != nil {
				pinged <- fmt.Errorf("ping %d: %w", i, err)
				return
			}
		}
		// Read after the pings, this asks for a last message that can
		// only follow every pong.
		pinged <- conn.WriteMessage(websocket.TextMessage, []byte("4done"))
	}()
	sent := make(chan error, 1)
	go func() {
		for i := range messages {
			if err := sess.Send(NewTextMessage(numbered(i, size(i)))); err != nil {
				sent <- fmt.Errorf("Send %d: %w", i, err)
				return
			}
		}
		sent <- nil
	}()

	readMessages(t, conn, 0, messages, false, size)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := <-pinged; err != nil {
		t.Fatal(err)
	}
	if e := ts.nextEvent(); e.data != "done" {
		t.Fatalf("event: got %+v, want the message done", e)
	}
	if err := sess.Send(NewTextMessage([]byte("end"))); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, conn); got != "4end" {
		t.Fatalf("last message: got %q, want 4end", got)
	}
	if len(pongs) != pings {
		t.Fatalf("pongs: got %d, want %d", len(pongs), pings)
	}
	for i, p := range pongs {
		if want := fmt.Sprintf("p%d", i); p != want {
			t.Fatalf("pong %d: got %q, want %q", i, p, want)
		}
	}
}

// TestWebSocketFlusherWrites checks that the frames of a session whose
// client keeps up are written by the flusher, without a writer goroutine,
// and that a writer goroutine's session returns to the flusher once its
// backlog is written.
func TestWebSocketFlusherWrites(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	conn, _ := ts.dialSession()
	sess := ts.nextSession()
	check := func(i int) {
		t.Helper()
		if got := readText(t, conn); got != "4a" {
			t.Fatalf("message %d: got %q, want 4a", i, got)
		}
		if typ, data := readFrame(t, conn); typ != websocket.BinaryMessage || !bytes.Equal(data, []byte{byte(i)}) {
			t.Fatalf("message %d: got type %d %x, want binary %x", i, typ, data, []byte{byte(i)})
		}
	}
	pair := func(i int) []*Message {
		return []*Message{NewTextMessage([]byte("a")), NewBinaryMessage([]byte{byte(i)})}
	}
	// roundTrips sends n pairs, one Send each, reading each pair back.
	roundTrips := func(n int) {
		t.Helper()
		for i := range n {
			if err := sess.Send(pair(i)...); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
			check(i)
		}
	}
	starts := ts.srv.writerStarts.Load()
	writers := func(want uint64, what string) {
		t.Helper()
		if got := ts.srv.writerStarts.Load() - starts; got != want {
			t.Fatalf("writer goroutines started %s: got %d, want %d", what, got, want)
		}
	}
	roundTrips(10)
	writers(0, "for a client that keeps up")

	// More frames than one flusher write takes go to a writer goroutine…
	msgs := make([]*Message, 0, 2*maxFlushFrames)
	for i := range maxFlushFrames {
		msgs = append(msgs, pair(i)...)
	}
	if err := sess.Send(msgs...); err != nil {
		t.Fatal(err)
	}
	for i := range maxFlushFrames {
		check(i)
	}
	writers(1, "for a long queue")
	deadline := time.Now().Add(waitLong)
	for backlogged(sess) {
		if time.Now().After(deadline) {
			t.Fatal("writer goroutine still running after its queue was written")
		}
		time.Sleep(time.Millisecond)
	}
	// …which exits once they are out, leaving the session to the flusher.
	roundTrips(3)
	writers(1, "in all")
}

func TestFrameHeader(t *testing.T) {
	tests := []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{0xffff, []byte{0x81, 126, 0xff, 0xff}},
		{0x10000, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			got := appendFrameHeader(nil, websocket.TextMessage, tt.n)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("header: got %x, want %x", got, tt.want)
			}
			if l := frameHeaderLen(tt.n); l != len(tt.want) {
				t.Errorf("frameHeaderLen: got %d, want %d", l, len(tt.want))
			}
		})
	}
}

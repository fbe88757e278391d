package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The epoll receive path.
//
// With one goroutine per connection, every delivery costs the load tool a
// read, a second read that returns EAGAIN, a park and a share of an
// epoll_wait: on this VM the syscalls were 90% of the tool's CPU and it
// needed ~7 µs per delivery, as much as the server it measures. After the
// handshakes (done by gorilla/websocket and checked like any client's), the
// tool takes the socket over: it duplicates the descriptor, closes the Go
// connection (which removes it from the runtime's poller but keeps the
// socket open), and reads it from its own level-triggered epoll set, one
// read per readiness, frames parsed in place. One goroutine serves every
// connection.

// recConn records what gorilla reads during the handshakes, so that bytes
// read ahead into its buffer are not lost when the socket is taken over.
type recConn struct {
	net.Conn
	rec []byte
}

func (c *recConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec = append(c.rec, p[:n]...)
	return n, err
}

// fdConn is a taken-over WebSocket.
type fdConn struct {
	fd   int
	c    *client
	left []byte // bytes of an incomplete frame
	frag []byte // a fragmented message so far (servers rarely fragment)
	// closed is set, under the buyer's lock when there is one, before the
	// descriptor is closed, so that no write races the close.
	closed atomic.Bool
}

// poller owns the epoll set and the goroutine reading it.
type poller struct {
	r     *runner
	epfd  int
	slots []atomic.Pointer[fdConn] // by descriptor
	quit  atomic.Bool
	done  chan struct{}
	n     atomic.Int64 // registered connections
	// batchWait is the nap after a small batch of events (see loop).
	batchWait time.Duration
	mu        sync.Mutex // serialises closeFD with shutdown
}

func newPoller(r *runner, maxFD int, batchWait time.Duration) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	p := &poller{r: r, epfd: epfd, slots: make([]atomic.Pointer[fdConn], maxFD), done: make(chan struct{}), batchWait: batchWait}
	go p.loop() // ends when stop sets quit
	return p, nil
}

// takeOver moves an open WebSocket, whose first msgs data messages were
// read through gorilla, onto the poller. After it returns, conn must not
// be used.
// ready is called once the connection is the poller's, before the poller
// can read from it.
func (p *poller) takeOver(c *client, rc *recConn, msgs int, ready func()) error {
	left, err := skipMessages(rc.rec, msgs)
	if err != nil {
		return err
	}
	tc, ok := rc.Conn.(*net.TCPConn)
	if !ok {
		return errors.New("not a TCP connection")
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	nfd := -1
	var derr error
	if err := raw.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		nfd = int(r)
	}); err != nil {
		return err
	}
	if derr != nil {
		return fmt.Errorf("dup: %w", derr)
	}
	_ = tc.Close() // the runtime forgets its descriptor; the socket lives on in nfd
	if nfd >= len(p.slots) {
		syscall.Close(nfd)
		return fmt.Errorf("descriptor %d above the table", nfd)
	}
	fc := &fdConn{fd: nfd, c: c}
	// Bytes the server sent right after the handshake are handled here,
	// before the poller can see the descriptor: this goroutine is still
	// the connection's only reader.
	if len(left) > 0 {
		if err := p.consume(fc, left); err != nil {
			syscall.Close(nfd)
			return err
		}
	}
	c.fc.Store(fc)
	ready()
	p.slots[nfd].Store(fc)
	p.n.Add(1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(nfd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, nfd, &ev); err != nil {
		p.closeFD(fc, "epoll_ctl: "+err.Error())
	}
	return nil
}

func (p *poller) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 512)
	buf := make([]byte, 256<<10)
	for !p.quit.Load() {
		n, err := syscall.EpollWait(p.epfd, events, 100)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			fmt.Fprintln(p.r.stderr, "shop-load: epoll_wait:", err)
			return
		}
		for i := 0; i < n; i++ {
			fc := p.slots[events[i].Fd].Load()
			if fc == nil {
				continue
			}
			p.readFD(fc, buf)
		}
		// A broadcast reaches the sockets one after another; waking for
		// each costs more than reading it. A short nap after a small batch
		// lets the next ones gather, at the price of at most batchWait of
		// added latency.
		if n > 0 && n < len(events)/2 && p.batchWait > 0 {
			time.Sleep(p.batchWait)
		}
	}
}

// readFD does one read for a ready connection and handles every complete
// frame in it; level triggering brings it back if more is waiting.
func (p *poller) readFD(fc *fdConn, buf []byte) {
	off := copy(buf, fc.left)
	n, err := syscall.Read(fc.fd, buf[off:])
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if n <= 0 {
		reason := "connection closed by server"
		if err != nil {
			reason = "read: " + err.Error()
		}
		p.closeFD(fc, reason)
		return
	}
	if err := p.consume(fc, buf[:off+n]); err != nil {
		p.closeFD(fc, err.Error())
	}
}

// consume handles the complete frames at the start of data and keeps the
// rest for the next read.
func (p *poller) consume(fc *fdConn, data []byte) error {
	for {
		h, ok, err := parseFrameHeader(data)
		if err != nil {
			return err
		}
		if !ok || len(data) < h.hdrLen+h.payload {
			break
		}
		payload := data[h.hdrLen : h.hdrLen+h.payload]
		data = data[h.hdrLen+h.payload:]
		if h.masked {
			for i := range payload {
				payload[i] ^= h.mask[i&3]
			}
		}
		if err := p.frame(fc, h, payload); err != nil {
			return err
		}
	}
	fc.left = append(fc.left[:0], data...)
	if cap(fc.left) > 4096 && len(fc.left) < 1024 {
		fc.left = append([]byte(nil), fc.left...) // give back a burst's buffer
	}
	return nil
}

var errServerClosed = errors.New("closed by server")

func (p *poller) frame(fc *fdConn, h frameHeader, payload []byte) error {
	switch h.op {
	case opText, opBinary, opContinuation:
		if h.op == opContinuation || !h.fin {
			fc.frag = append(fc.frag, payload...)
			if !h.fin {
				return nil
			}
			payload, fc.frag = fc.frag, nil
		}
		if h.op == opBinary {
			return nil
		}
		reply, done := p.r.handle(fc.c, payload)
		if done {
			return errServerClosed
		}
		if reply != nil {
			return p.write(fc, wsPongFrame)
		}
	case opPing:
		return p.write(fc, appendClientFrame(nil, opPong, payload))
	case opClose:
		return errServerClosed
	}
	return nil
}

// write sends a prepared frame on a taken-over connection. The descriptor
// is non-blocking; a full send buffer is retried for up to five seconds.
func (p *poller) write(fc *fdConn, frame []byte) error {
	if b := fc.c.buyer; b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	return writeFD(fc, frame)
}

// writeFD writes frame; the caller holds the buyer's lock if there is one.
func writeFD(fc *fdConn, frame []byte) error {
	deadline := time.Now().Add(5 * time.Second)
	for len(frame) > 0 {
		if fc.closed.Load() {
			return errNotOpen
		}
		n, err := syscall.Write(fc.fd, frame)
		if err == syscall.EAGAIN || err == syscall.EINTR {
			if time.Now().After(deadline) {
				return errors.New("write: send buffer full for 5s")
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		frame = frame[n:]
	}
	return nil
}

// closeFD ends a connection the poller was reading.
func (p *poller) closeFD(fc *fdConn, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := fc.c.buyer; b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	if fc.closed.Swap(true) {
		return
	}
	p.slots[fc.fd].Store(nil)
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fc.fd, nil)
	syscall.Close(fc.fd)
	p.n.Add(-1)
	p.r.lost(fc.c, reason)
}

// shutdown stops the loop, then closes every connection still open.
func (p *poller) shutdown() {
	p.quit.Store(true)
	<-p.done
	for i := range p.slots {
		if fc := p.slots[i].Load(); fc != nil {
			p.closeFD(fc, "stopped")
		}
	}
	syscall.Close(p.epfd)
}

//go:build linux

package engineio

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller watches the sockets of idle WebSocket sessions with one epoll
// instance, so that an idle connection holds no goroutine: a goroutine is
// started when bytes arrive and ends when they have been handled.
//
// Each socket is registered one-shot, level-triggered, under a token of
// its own (a socket's descriptor is reused once it is closed, a token
// never is); an event whose token is no longer known is a stale one and
// is dropped. Closing a socket takes it out of the epoll set, since the
// descriptor is never duplicated, so a session that ends without its
// reader noticing only has to be forgotten (unwatch).
type poller struct {
	epfd int
	wake int // eventfd that ends run; registered under token 0

	done   chan struct{}  // closed when run has returned
	bursts sync.WaitGroup // readers started by run

	mu      sync.Mutex // guards the fields below
	closed  bool
	next    uint64 // the last token handed out
	byToken map[uint64]*wsReader
	bySess  map[*Session]uint64
}

// pollEvents is how many events one EpollWait call collects.
const pollEvents = 128

// newPoller creates the epoll instance and starts its goroutine, run,
// whose owner is the Server: it exits on stop.
func newPoller(serve func(*wsReader)) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("engineio: epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("engineio: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		_ = unix.Close(wake)
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("engineio: epoll_ctl eventfd: %w", err)
	}
	p := &poller{
		epfd:    epfd,
		wake:    wake,
		done:    make(chan struct{}),
		byToken: make(map[uint64]*wsReader),
		bySess:  make(map[*Session]uint64),
	}
	go p.run(serve)
	return p, nil
}

// run waits for readable sockets and starts serve for each, on a goroutine
// of its own counted in p.bursts. It returns when stop signals the eventfd.
func (p *poller) run(serve func(*wsReader)) {
	defer close(p.done)
	var events [pollEvents]unix.EpollEvent
	for {
		n, err := unix.EpollWait(p.epfd, events[:], -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			// Nothing else is expected of a valid epoll descriptor; the
			// watched sessions still end through their heartbeats.
			return
		}
		for i := range events[:n] {
			token := eventToken(&events[i])
			if token == 0 {
				return
			}
			p.mu.Lock()
			rd := p.byToken[token]
			if rd != nil {
				p.bursts.Add(1)
			}
			p.mu.Unlock()
			if rd != nil {
				go func() {
					defer p.bursts.Done()
					serve(rd)
				}()
			}
		}
	}
}

// eventToken returns the 64-bit user data of ev.
func eventToken(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// setToken stores token as the user data of ev.
func setToken(ev *unix.EpollEvent, token uint64) {
	ev.Fd = int32(uint32(token))
	ev.Pad = int32(uint32(token >> 32))
}

// watchEvents are the events a reader waits for, once per arming.
const watchEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// watch registers rd's socket, armed. It fails when the poller has been
// stopped or the socket is closed; rd is then not watched.
func (p *poller) watch(rd *wsReader) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errPollerStopped
	}
	p.next++
	rd.token = p.next
	p.byToken[rd.token] = rd
	p.bySess[rd.sess] = rd.token
	p.mu.Unlock()

	err := p.ctl(rd, unix.EPOLL_CTL_ADD)
	if err != nil {
		p.unwatch(rd.sess)
	}
	return err
}

// rearm makes rd's socket report its next readable state. A socket that
// is readable already is reported at once: the arming is level-triggered.
// It fails once rd has been unwatched. Holding p.mu orders the reader's
// work before the goroutine the next event starts.
func (p *poller) rearm(rd *wsReader) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byToken[rd.token] != rd {
		return errUnwatched
	}
	return p.ctl(rd, unix.EPOLL_CTL_MOD)
}

// ctl applies op to rd's socket while its descriptor is known to be open.
func (p *poller) ctl(rd *wsReader, op int) error {
	ev := unix.EpollEvent{Events: watchEvents}
	setToken(&ev, rd.token)
	var opErr error
	err := rd.raw.Control(func(fd uintptr) {
		opErr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return fmt.Errorf("engineio: epoll_ctl %d: %w", op, err)
	}
	return nil
}

// unwatch forgets sess. Its socket leaves the epoll set here when it is
// still open, or left it when it was closed.
func (p *poller) unwatch(sess *Session) {
	p.mu.Lock()
	token, ok := p.bySess[sess]
	var rd *wsReader
	if ok {
		rd = p.byToken[token]
		delete(p.bySess, sess)
		delete(p.byToken, token)
	}
	p.mu.Unlock()
	if rd != nil {
		_ = rd.raw.Control(func(fd uintptr) {
			_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
		})
	}
}

// stop ends run, waits for it and for the readers it started, and closes
// the epoll instance. Sockets still watched are left open.
func (p *poller) stop() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.closed = true
	p.mu.Unlock()
	var one [8]byte
	one[0] = 1 // eventfd counters are host-endian; any non-zero value wakes
	_, _ = unix.Write(p.wake, one[:])
	<-p.done
	p.bursts.Wait()
	_ = unix.Close(p.wake)
	_ = unix.Close(p.epfd)
}

// Errors of the poller.
var (
	errPollerStopped = errors.New("engineio: poller stopped")
	errUnwatched     = errors.New("engineio: socket no longer watched")
)

// rawConn returns the descriptor access of a plain socket. Connections
// that buffer bytes of their own above the socket (TLS) have none and
// keep a reader goroutine.
func rawConn(c any) (syscall.RawConn, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	return raw, true
}

package engineio

import (
	"runtime"
	"slices"
	"sync"
)

// A flusher writes the queued frames of WebSocket sessions, one system call
// per session per round, from one goroutine that runs while there is work.
//
// A Send to a WebSocket session whose writer goroutine is not running
// queues the packet and puts the session on its flusher's list, once: a
// broadcast to 10,000 sessions costs its caller 10,000 appends, and the
// flusher then writes each session's whole queue with one non-blocking
// write or writev. When broadcasts come faster than one round takes, the
// packets of all the broadcasts that reached a session while it waited for
// its turn leave together in one writev, and the client wakes once for
// them: the busier the server, the fewer system calls per delivery, and no
// packet waits for a timer. A session whose socket does not take
// everything at once is handed to its own writer goroutine, which waits
// for the socket; the flusher never waits.
type flusher struct {
	srv *Server

	mu      sync.Mutex
	dirty   []*Session // sessions waiting for a round, each once
	running bool       // a goroutine is in run

	spare []*Session // the previous round's list, reused; owned by run
}

// maxFlushFrames bounds the frames of one flusher write, well below the
// kernel's iovec limit; a longer queue goes to the writer goroutine.
const maxFlushFrames = 64

// flushYield is how many sessions a flusher writes between yields of its
// processor.
const flushYield = 64

// newFlushers returns n flushers of srv.
func newFlushers(srv *Server, n int) []*flusher {
	fs := make([]*flusher, max(n, 1))
	for i := range fs {
		fs[i] = &flusher{srv: srv}
	}
	return fs
}

// add puts sess on the list of the next round, starting the flusher's
// goroutine when it is not running. The caller holds sess.mu, has set
// sess.flushPending and holds the session's count in srv.wg.
func (f *flusher) add(sess *Session) {
	f.mu.Lock()
	f.dirty = append(f.dirty, sess)
	start := !f.running
	f.running = true
	f.mu.Unlock()
	if start {
		f.srv.wg.Add(1) // the session's own count is held: wg is above zero
		go f.run()
	}
}

// run writes rounds until no session waits, then exits.
func (f *flusher) run() {
	defer f.srv.wg.Done()
	for {
		f.mu.Lock()
		batch := f.dirty
		if len(batch) == 0 {
			f.running = false
			if cap(batch) > 4096 { // a large audience left; do not keep its lists
				f.dirty, f.spare = nil, nil
			}
			f.mu.Unlock()
			return
		}
		f.dirty = f.spare[:0]
		f.mu.Unlock()
		for i, sess := range batch {
			sess.flushQueued()
			batch[i] = nil
			if i%flushYield == flushYield-1 {
				// Raw writes never give the processor up: let the
				// goroutines that read clients and serve requests run.
				runtime.Gosched()
			}
		}
		f.spare = batch
	}
}

// flushQueued writes the session's queue with one non-blocking system
// call, or hands it to the writer goroutine: when the queue is long, holds
// the close packet, or the socket does not take every byte now.
func (s *Session) flushQueued() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushPending = false
	if s.state == stateClosed || s.ws == nil || s.writing || s.head == len(s.queue) {
		return
	}
	w := s.writerLocked()
	queued := s.queue[s.head:]
	// The close packet's close frame and the session's end follow it.
	if len(queued) > maxFlushFrames || slices.Contains(queued, s.srv.closeMsg) {
		s.startWriterLocked(w)
		return
	}
	for _, m := range queued {
		w.bufs = append(w.bufs, m.wsFrame())
	}
	if !w.tryWrite() {
		s.startWriterLocked(w)
		return
	}
	clear(queued)
	s.head = len(s.queue)
	s.releaseQueueLocked()
	s.wakeReaderLocked()
	if len(w.rest) > 0 {
		s.startWriterLocked(w)
	}
}

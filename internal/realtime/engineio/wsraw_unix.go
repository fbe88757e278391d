//go:build unix && !linux

package engineio

import (
	"errors"

	"golang.org/x/sys/unix"
)

// rawWrites tells that a flusher may write to a socket through a system
// call that never waits.
const rawWrites = true

// rawWrite writes w.bufs with a single system call and never waits for
// the socket: it always reports done, leaving the count in w.n and a
// failure (EAGAIN when the socket buffer is full) in w.err.
func (w *wsWriter) rawWrite(fd uintptr) bool {
	for {
		if len(w.bufs) == 1 {
			w.n, w.err = unix.Write(int(fd), w.bufs[0])
		} else {
			w.n, w.err = unix.Writev(int(fd), w.bufs)
		}
		if !errors.Is(w.err, unix.EINTR) {
			return true
		}
	}
}

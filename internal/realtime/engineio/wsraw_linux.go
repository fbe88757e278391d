//go:build linux

package engineio

import (
	"syscall"
	"unsafe"
)

// rawWrites tells that a flusher may write to a socket through a system
// call that never waits.
const rawWrites = true

// rawWrite writes w.bufs with a single write or writev and never waits for
// the socket: it always reports done, leaving the count in w.n and a
// failure (EAGAIN when the socket buffer is full) in w.err.
//
// The socket is non-blocking, so the call cannot sleep, and it is made as
// a raw system call: the scheduler is not told, and does not hand the
// flusher's processor to another thread while it runs. A flusher makes
// thousands of these calls back to back; through syscall.Syscall each
// would be a chance for the runtime to move work between threads.
func (w *wsWriter) rawWrite(fd uintptr) bool {
	var (
		r     uintptr
		errno syscall.Errno
		stack [maxFlushFrames]syscall.Iovec
	)
	iov := stack[:0]
	if len(w.bufs) > 1 {
		for _, b := range w.bufs {
			v := syscall.Iovec{Base: unsafe.SliceData(b)}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
	}
	for {
		if len(iov) == 0 {
			b := w.bufs[0]
			r, _, errno = syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		} else {
			r, _, errno = syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		}
		if errno != syscall.EINTR {
			break
		}
	}
	if errno != 0 {
		w.n, w.err = -1, errno
	} else {
		w.n, w.err = int(r), nil
	}
	return true
}

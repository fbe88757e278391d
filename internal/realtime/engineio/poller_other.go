//go:build !linux

package engineio

import (
	"errors"
	"syscall"
)

// poller is the Linux epoll watcher of idle WebSocket sessions. Elsewhere
// there is none: every WebSocket session keeps its reader goroutine.
type poller struct{}

func newPoller(func(*wsReader)) (*poller, error) { return nil, errors.ErrUnsupported }

func (p *poller) watch(*wsReader) error { return errors.ErrUnsupported }
func (p *poller) rearm(*wsReader) error { return errors.ErrUnsupported }
func (p *poller) unwatch(*Session)      {}
func (p *poller) stop()                 {}

func rawConn(any) (syscall.RawConn, bool) { return nil, false }

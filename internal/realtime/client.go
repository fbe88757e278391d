package realtime

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/realtime/engineio"
	"github.com/livebuy/shop/internal/realtime/parser"
)

// client is the Socket.IO side of one Engine.IO session: it decodes the
// session's messages and routes each packet to the socket of its
// namespace. It owns no goroutine; its callbacks run on the session's.
type client struct {
	srv  *Server
	sess *engineio.Session
	dec  parser.Decoder // used by onMessage only, which the session serialises

	mu      sync.Mutex
	sockets []*Socket   // connected sockets, at most one per namespace
	timer   *time.Timer // connect timeout; nil once a namespace is joined
	closed  bool
}

// onSession is engineio.Options.OnSession.
func (s *Server) onSession(sess *engineio.Session) {
	c := &client{srv: s, sess: sess}
	sess.OnMessage(c.onMessage)
	sess.OnClose(c.onClose)
	c.mu.Lock()
	c.timer = time.AfterFunc(s.opts.ConnectTimeout, c.onConnectTimeout)
	c.mu.Unlock()
}

func (c *client) onConnectTimeout() {
	c.mu.Lock()
	expired := c.timer != nil && !c.closed
	c.mu.Unlock()
	if expired {
		c.close(ReasonForcedServerClose)
	}
}

func (c *client) onMessage(data []byte, binary bool) {
	p, err := c.dec.Add(data, binary)
	if err != nil {
		c.srv.log.Debug("realtime: invalid packet", "sid", c.sess.ID(), "err", err)
		c.close(ReasonParseError)
		return
	}
	if p == nil {
		return
	}
	sock := c.socket(p.Namespace)
	switch {
	case sock == nil && p.Type == parser.Connect:
		c.connect(p.Namespace, p.Data)
	case sock != nil && p.Type != parser.Connect && p.Type != parser.ConnectError:
		sock.onPacket(p)
	default:
		// A packet for a namespace the client has not joined, a second
		// CONNECT, or a CONNECT_ERROR: the Node server closes the client.
		c.srv.log.Debug("realtime: packet in invalid state", "sid", c.sess.ID(), "type", p.Type, "namespace", p.Namespace)
		c.close(ReasonForcedServerClose)
	}
}

// onClose is the session's OnClose callback.
func (c *client) onClose(reason string) {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	socks := c.sockets
	c.sockets = nil
	c.mu.Unlock()
	for _, s := range socks {
		s.onClose(reason)
	}
}

// close disconnects every socket of the client with reason, then closes
// the session.
func (c *client) close(reason string) {
	c.onClose(reason)
	c.sess.Close()
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

// add records a socket that is connecting; it fails when the session has
// closed meanwhile.
func (c *client) add(s *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.sockets = append(c.sockets, s)
	return true
}

func (c *client) remove(s *Socket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.sockets {
		if x == s {
			// Copy rather than shift in place: onClose may be iterating a
			// previous snapshot of the slice.
			n := make([]*Socket, 0, len(c.sockets)-1)
			n = append(n, c.sockets[:i]...)
			c.sockets = append(n, c.sockets[i+1:]...)
			return
		}
	}
}

func (c *client) connect(name string, auth json.RawMessage) {
	if c.srv.closing.Load() {
		c.close(ReasonServerShuttingDown)
		return
	}
	nsp := c.srv.acquire(name, auth)
	if nsp == nil {
		c.sendConnectError(name, "Invalid namespace", nil)
		return
	}
	defer nsp.release()
	nsp.add(c, auth)
}

func (c *client) sendConnectError(nsp, message string, data any) {
	payload := parser.Object{{Key: "message", Value: message}}
	if data != nil {
		payload = append(payload, parser.Member{Key: "data", Value: data})
	}
	if err := c.send(&parser.Packet{Type: parser.ConnectError, Namespace: nsp}, payload, false); err != nil {
		c.srv.log.Debug("realtime: send CONNECT_ERROR", "sid", c.sess.ID(), "err", err)
	}
}

// send encodes one packet and queues it. It is the path for packets meant
// for this client alone; broadcasts encode once in the adapter.
func (c *client) send(p *parser.Packet, data any, volatile bool) error {
	text, atts, err := encode(p, data)
	if err != nil {
		return errorf("%w", err)
	}
	return c.write(encodeMessages(text, atts), volatile)
}

// write queues the messages of one packet. A full queue makes the session
// close itself; the error then only informs the caller.
func (c *client) write(msgs []*engineio.Message, volatile bool) error {
	if volatile {
		c.sess.SendVolatile(msgs...) // a dropped volatile packet is no error
		return nil
	}
	if err := c.sess.Send(msgs...); err != nil {
		if errors.Is(err, engineio.ErrClosed) {
			return ErrDisconnected
		}
		return errorf("send: %w", err)
	}
	return nil
}

// encodeBufSize is the initial capacity of the buffer a packet is encoded
// into: most event packets fit, saving the growth of a smaller buffer.
const encodeBufSize = 128

// encode encodes a packet meant for one client.
func encode(p *parser.Packet, data any) ([]byte, [][]byte, error) {
	return parser.AppendEncode(make([]byte, 0, encodeBufSize), p, data)
}

// encodeMessages turns an encoded packet into the Engine.IO messages that
// carry it: the text part, then one binary message per attachment.
func encodeMessages(text []byte, atts [][]byte) []*engineio.Message {
	msgs := make([]*engineio.Message, 1+len(atts))
	msgs[0] = engineio.NewTextMessage(text)
	for i, a := range atts {
		msgs[i+1] = engineio.NewBinaryMessage(a)
	}
	return msgs
}

// disconnectAll disconnects every socket of the client with a DISCONNECT
// packet, then closes the session.
func (c *client) disconnectAll() {
	c.mu.Lock()
	socks := c.sockets
	c.mu.Unlock()
	for _, s := range socks {
		s.disconnect()
	}
	c.close(ReasonForcedServerClose)
}

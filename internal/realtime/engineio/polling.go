package engineio

import (
	"errors"
	"io"
	"net/http"
	"strconv"
)

// errTooLarge reports a polling request body over Options.MaxPayload.
var errTooLarge = errors.New("engineio: payload too large")

// openPolling creates a session for a polling handshake and answers the
// request with its open packet.
func (s *Server) openPolling(w http.ResponseWriter, r *http.Request) {
	sess := s.newSession(r, TransportPolling)
	if !s.register(sess, 0) {
		sess.timer.Stop()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.opts.OnSession != nil {
		s.opts.OnSession(sess)
	}
	s.servePoll(w, r, sess)
}

// servePoll answers a polling GET with the queued packets, waiting for one
// when none is queued. A second GET while one is pending, or a GET that
// the client abandons, ends the session.
func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, sess *Session) {
	sess.mu.Lock()
	if sess.ws != nil {
		sess.mu.Unlock()
		writeError(w, errBadRequest) // upgraded: polling is over
		return
	}
	if sess.getBusy {
		sess.mu.Unlock()
		sess.terminate(ReasonTransportError, packetClose)
		writeError(w, errBadRequest)
		return
	}
	sess.getBusy = true
	var (
		msgs  []*Message
		reply byte
	)
	for {
		if sess.state == stateClosed {
			reply = sess.pollReply
			break
		}
		if sess.ws != nil || (sess.upgrade != nil && sess.upgrade.probed) {
			// End the poll so the client can finish the upgrade; the
			// queue waits for the WebSocket.
			reply = packetNoop
			break
		}
		if sess.head < len(sess.queue) {
			msgs = sess.takeLocked()
			break
		}
		wake := make(chan struct{})
		sess.poll = wake
		sess.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
			sess.mu.Lock()
			if sess.poll == wake {
				sess.poll = nil
			}
			sess.getBusy = false
			sess.mu.Unlock()
			sess.terminate(ReasonTransportError, packetClose)
			return
		}
		sess.mu.Lock()
	}
	sess.getBusy = false
	sess.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	if msgs == nil {
		if reply == 0 {
			reply = packetClose
		}
		h.Set("Content-Length", "1")
		_, _ = w.Write([]byte{reply})
		return
	}
	h.Set("Content-Length", strconv.Itoa(payloadLen(msgs)))
	for i, m := range msgs {
		if i > 0 {
			_, _ = io.WriteString(w, "\x1e")
		}
		_, _ = w.Write(m.pollingBytes())
	}
	if msgs[len(msgs)-1] == s.closeMsg {
		sess.terminate(ReasonForcedClose, packetClose) // keeps the graceful close's reason
	}
}

// servePost reads a polling POST: a payload of packets, accepted whole or
// refused whole. An oversized body (413), an invalid packet (400) or a
// second concurrent POST (400) ends the session.
func (s *Server) servePost(w http.ResponseWriter, r *http.Request, sess *Session) {
	sess.mu.Lock()
	if sess.ws != nil {
		sess.mu.Unlock()
		writeError(w, errBadRequest)
		return
	}
	if sess.postBusy {
		sess.mu.Unlock()
		sess.terminate(ReasonTransportError, packetClose)
		writeError(w, errBadRequest)
		return
	}
	sess.postBusy = true
	sess.mu.Unlock()
	defer func() {
		sess.mu.Lock()
		sess.postBusy = false
		sess.mu.Unlock()
	}()

	body, err := readBody(r, s.opts.MaxPayload)
	if errors.Is(err, errTooLarge) {
		sess.terminate(ReasonTransportError, packetClose)
		w.Header().Set("Connection", "close") // the rest of the body is not read
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		s.log.Debug("engineio: read polling body", "sid", sess.id, "err", err)
		sess.terminate(ReasonTransportError, packetClose)
		return
	}
	var stack [8]packet
	packets, err := decodePayload(stack[:0], body)
	if err != nil {
		s.log.Debug("engineio: decode polling body", "sid", sess.id, "err", err)
		sess.terminate(ReasonParseError, packetClose)
		writeError(w, errBadRequest)
		return
	}
	for _, p := range packets {
		sess.onPacket(p)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", "2")
	_, _ = io.WriteString(w, "ok")
}

// readBody reads r's body, failing with errTooLarge beyond limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

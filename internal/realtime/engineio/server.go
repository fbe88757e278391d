package engineio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Transport names, as they appear in the "transport" query parameter.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Defaults of Options, those of the Node reference server.
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultUpgradeTimeout = 10 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultQueueSize      = 256
	DefaultPollingQueue   = 4096
)

// WebSocket buffer sizes. Frames are read by frameReader with pooled
// buffers, so gorilla's read buffer is never used: it gets the smallest
// size gorilla accepts. Write buffers come from a pool and serve only the
// few frames not prepared in advance (the handshake, the probe answer).
const (
	wsReadBufferSize  = 1
	wsWriteBufferSize = 1024
)

// Server is an Engine.IO endpoint. Mount it on the path the clients use
// ("/engine.io/" or "/socket.io/"); it serves both transports there.
// A long-polling GET waits up to PingInterval for packets, so the
// http.Server's WriteTimeout, if any, must be longer.
type Server struct {
	opts         Options
	log          *slog.Logger
	polling      bool // the polling transport is enabled
	websocket    bool // the websocket transport is enabled
	cors         bool // CORS headers are configured
	upgrader     websocket.Upgrader
	writePool    sync.Pool
	readPool     *sync.Pool
	closeTimeout time.Duration
	writeTimeout time.Duration

	// Shared control packets, prepared once for every session.
	pingMsg  *Message
	closeMsg *Message
	probeMsg *Message

	// Handshake JSON after the sid, per transport of the opening request.
	handshakePolling   []byte
	handshakeWebSocket []byte

	// lastURL is the URL of a recent WebSocket handshake, for shareURL.
	lastURL atomic.Pointer[sharedURL]

	// flushers write the WebSocket queues; sessions are spread over them.
	flushers    []*flusher
	nextFlusher atomic.Uint32
	// writerStarts counts the writer goroutines started: how often a
	// socket did not take what the flusher had for it.
	writerStarts atomic.Uint64

	// wg counts live sessions and the goroutines that serve them.
	wg sync.WaitGroup

	mu       sync.RWMutex
	sessions map[string]*Session
	closing  bool
	// poller watches idle WebSockets; started by the first one.
	poller       *poller
	pollerFailed bool // no poller can be had: readers keep a goroutine
}

// NewServer returns a Server configured by opts, with defaults filled in.
func NewServer(opts Options) *Server {
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = DefaultPingTimeout
	}
	if opts.UpgradeTimeout <= 0 {
		opts.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.PollingQueueSize <= 0 {
		opts.PollingQueueSize = DefaultPollingQueue
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		opts:         opts,
		log:          opts.Logger,
		polling:      len(opts.Transports) == 0 || slices.Contains(opts.Transports, TransportPolling),
		websocket:    len(opts.Transports) == 0 || slices.Contains(opts.Transports, TransportWebSocket),
		cors:         opts.CORS.enabled(),
		closeTimeout: opts.PingTimeout,
		writeTimeout: opts.PingInterval + opts.PingTimeout,
		pingMsg:      newControl(packetPing, ""),
		closeMsg:     newControl(packetClose, ""),
		probeMsg:     newControl(packetPong, "probe"),
		sessions:     make(map[string]*Session),
		readPool:     newReadPool(),
	}
	s.flushers = newFlushers(s, runtime.GOMAXPROCS(0))
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  wsReadBufferSize,
		WriteBufferSize: wsWriteBufferSize,
		WriteBufferPool: &s.writePool,
		// Origins are the business of AllowRequest (see CORS.AllowsOrigin),
		// as in the Node server, which does not check them for WebSocket.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	upgrades := ""
	if s.websocket && s.polling && !opts.DisableUpgrades {
		upgrades = `"websocket"`
	}
	s.handshakePolling = handshakeTail(upgrades, opts)
	s.handshakeWebSocket = handshakeTail("", opts)
	return s
}

// handshakeTail returns the open packet's JSON from the end of the sid on.
func handshakeTail(upgrades string, opts Options) []byte {
	b := []byte(`","upgrades":[`)
	b = append(b, upgrades...)
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, opts.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, opts.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, opts.MaxPayload, 10)
	return append(b, '}')
}

// Handshake error codes and messages of the protocol, as the Node server
// writes them.
const (
	errUnknownTransport = iota
	errUnknownSID
	errBadHandshakeMethod
	errBadRequest
	errForbidden
	errUnsupportedProtocolVersion
)

var errorBodies = [...]string{
	errUnknownTransport:           `{"code":0,"message":"Transport unknown"}`,
	errUnknownSID:                 `{"code":1,"message":"Session ID unknown"}`,
	errBadHandshakeMethod:         `{"code":2,"message":"Bad handshake method"}`,
	errBadRequest:                 `{"code":3,"message":"Bad request"}`,
	errForbidden:                  `{"code":4,"message":"Forbidden"}`,
	errUnsupportedProtocolVersion: `{"code":5,"message":"Unsupported protocol version"}`,
}

// writeError answers a request with a protocol error.
func writeError(w http.ResponseWriter, code int) {
	status := http.StatusBadRequest
	if code == errForbidden {
		status = http.StatusForbidden
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(errorBodies[code])))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(errorBodies[code]))
}

// ServeHTTP serves every Engine.IO request: handshakes, polling GETs and
// POSTs, and WebSocket connections.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors {
		if s.serveCORS(w, r) {
			return
		}
	}
	query := r.URL.RawQuery
	transport := queryValue(query, "transport")
	switch {
	case transport == TransportPolling && s.polling:
	case transport == TransportWebSocket && s.websocket:
	default:
		writeError(w, errUnknownTransport)
		return
	}
	isUpgrade := websocket.IsWebSocketUpgrade(r)
	if sid := queryValue(query, "sid"); sid != "" {
		sess := s.lookup(sid)
		if sess == nil {
			writeError(w, errUnknownSID)
			return
		}
		switch {
		case transport == TransportWebSocket && isUpgrade:
			s.serveUpgrade(w, r, sess)
		case transport == TransportPolling && r.Method == http.MethodGet:
			s.servePoll(w, r, sess)
		case transport == TransportPolling && r.Method == http.MethodPost:
			s.servePost(w, r, sess)
		default:
			writeError(w, errBadRequest)
		}
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, errBadHandshakeMethod)
		return
	}
	if transport == TransportWebSocket && !isUpgrade {
		writeError(w, errBadRequest)
		return
	}
	if queryValue(query, "EIO") != "4" {
		writeError(w, errUnsupportedProtocolVersion)
		return
	}
	if s.isClosing() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.opts.AllowRequest != nil {
		if err := s.opts.AllowRequest(r); err != nil {
			s.log.Debug("engineio: handshake refused", "remote", r.RemoteAddr, "err", err)
			writeError(w, errForbidden)
			return
		}
	}
	if transport == TransportWebSocket {
		s.openWebSocket(w, r)
		return
	}
	s.openPolling(w, r)
}

// queryValue returns the first value of key in a raw query string without
// parsing the whole query: the hot path reads three keys of short, plain
// values.
func queryValue(raw, key string) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				return ""
			}
			return u
		}
		return v
	}
	return ""
}

// newHandshake records what the Socket.IO layer needs of the opening
// request, so that the request itself is not retained.
func newHandshake(r *http.Request) *Handshake {
	return &Handshake{
		Header:     r.Header,
		Query:      r.URL.Query(),
		RemoteAddr: r.RemoteAddr,
		URL:        r.URL.RequestURI(),
		Time:       time.Now(),
		Secure:     r.TLS != nil,
	}
}

// sharedURL is the request URI and parsed query of a WebSocket handshake,
// shared by the sessions whose request repeats it verbatim.
type sharedURL struct {
	uri   string
	query url.Values
}

// shareURL makes hs use the URL and query of the previous WebSocket
// handshake when its request had the same URI. The clients of one
// application mostly connect with the same URL
// ("/socket.io/?EIO=4&transport=websocket"), and each copy would otherwise
// stay with its session for as long as it lives: about 450 bytes. Query
// is read-only for the Socket.IO layer and its users, as documented there.
// hs must not have been handed out yet.
func (s *Server) shareURL(hs *Handshake) {
	if last := s.lastURL.Load(); last != nil && last.uri == hs.URL {
		hs.URL, hs.Query = last.uri, last.query
		return
	}
	s.lastURL.Store(&sharedURL{uri: hs.URL, query: hs.Query})
}

// newSID returns a random session id: 15 random bytes in unpadded
// base64url, 20 characters, like the Node server's.
func newSID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// openMessage returns the open packet of a new session.
func (s *Server) openMessage(sid, transport string) *Message {
	tail := s.handshakePolling
	if transport == TransportWebSocket {
		tail = s.handshakeWebSocket
	}
	b := make([]byte, 0, len(`{"sid":"`)+len(sid)+len(tail))
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, tail...)
	m := newControl(packetOpen, "")
	m.data = b
	return m
}

// register adds sess to the server and counts it (plus extra goroutines)
// in wg. It fails once Shutdown has begun, or on a (never seen) sid clash.
func (s *Server) register(sess *Session, goroutines int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if s.sessions[sess.id] != nil { // 120 random bits: never in practice
		return false
	}
	s.sessions[sess.id] = sess
	s.wg.Add(1 + goroutines)
	return true
}

// remove forgets sess, and has the poller forget its socket.
func (s *Server) remove(sess *Session) {
	s.mu.Lock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
	}
	p := s.poller
	s.mu.Unlock()
	if p != nil {
		p.unwatch(sess)
	}
}

func (s *Server) lookup(sid string) *Session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[sid]
}

func (s *Server) isClosing() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closing
}

// Count returns the number of open sessions.
func (s *Server) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// Shutdown refuses new sessions, closes every session with a close packet
// (polling: a pending GET answers the queued packets and "1", a session
// with no GET pending is dropped; WebSocket: the queued packets, "1", then a
// close frame) and reason ReasonServerShutdown, and waits until every session and
// its goroutines have ended. When ctx ends first, the remaining sessions are
// dropped without ceremony and ctx's error is returned. net/http's Shutdown
// does not close hijacked connections: call this before it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	all := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()

	for _, sess := range all {
		sess.closeGraceful(ReasonServerShutdown, true)
	}
	done := make(chan struct{})
	// The waiter ends when the last session has, and the poller with it;
	// on ctx expiry the forced terminations below bring that about
	// promptly.
	go func() {
		s.wg.Wait()
		s.stopPoller()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, sess := range all {
			sess.terminate(ReasonServerShutdown, packetClose)
		}
		return fmt.Errorf("engineio: shutdown: %w", ctx.Err())
	}
}

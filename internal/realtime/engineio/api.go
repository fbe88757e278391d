// Package engineio implements the server side of the Engine.IO protocol,
// revision 4: HTTP long-polling and WebSocket transports, the upgrade from
// one to the other, heartbeats and the close handshake.
//
// The package knows nothing of Socket.IO. A Server hands every new Session
// to Options.OnSession; the caller registers its callbacks there and sends
// Messages, which are encoded once and may be shared by any number of
// sessions (a broadcast builds one Message and sends it to every target).
package engineio

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Options configures a Server. The zero value of every field selects the
// default used by the Node reference server.
type Options struct {
	PingInterval   time.Duration // default 25s
	PingTimeout    time.Duration // default 20s
	UpgradeTimeout time.Duration // default 10s
	MaxPayload     int64         // bytes per HTTP body or WebSocket frame; default 1e6

	// Transports lists the enabled transports, "polling" and/or "websocket";
	// empty enables both.
	Transports []string
	// DisableUpgrades stops sessions from moving from polling to websocket.
	DisableUpgrades bool

	CORS CORS

	// AllowRequest, when set, is called for every handshake request; a
	// non-nil error refuses it with HTTP 403 {"code":4,"message":"Forbidden"}.
	AllowRequest func(r *http.Request) error

	// QueueSize bounds the packets waiting to be written to one WebSocket
	// session. A session whose queue is full is closed ("transport error"),
	// except for volatile sends, which are dropped. Default 256.
	QueueSize int
	// PollingQueueSize is the same bound for a session on long-polling (or
	// upgrading), whose packets wait for the client's next GET rather than
	// for the network: it must hold everything that arrives between two
	// polls, such as the answers to a client's whole buffered batch.
	// Default 4096.
	PollingQueueSize int

	// OnSession is called, on the handshake request's goroutine, for every
	// new session before any packet of it is read. It must register the
	// session's callbacks (Session.OnMessage, Session.OnClose) and return
	// promptly.
	OnSession func(*Session)

	Logger *slog.Logger // default slog.Default()
}

// CORS is the cross-origin policy applied to every Engine.IO request.
type CORS struct {
	// AllowedOrigins lists exact origins ("https://shop.example"); "*" allows
	// any. Empty means no CORS headers are written.
	AllowedOrigins []string
	// AllowOriginFunc, when set, decides for origins not in AllowedOrigins.
	AllowOriginFunc func(origin string) bool
	// AllowCredentials lets browsers send cookies; the allowed origin is then
	// echoed instead of "*".
	AllowCredentials bool
}

// Handshake describes the HTTP request that opened a session.
type Handshake struct {
	Header     http.Header
	Query      url.Values
	RemoteAddr string
	URL        string
	Time       time.Time
	Secure     bool // the request came over TLS
}

// Errors returned by Session.Send.
var (
	ErrClosed    = errors.New("engineio: session closed")
	ErrQueueFull = errors.New("engineio: send queue full")
)

// Close reasons passed to the OnClose callback; the strings are those of
// the Node reference server.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonParseError     = "parse error"
	ReasonForcedClose    = "forced close"
	ReasonServerShutdown = "server shutting down"
)

// API surface implemented in the other files of this package:
//
//	func NewServer(opts Options) *Server
//	func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request)
//	func (s *Server) Shutdown(ctx context.Context) error // close packets to all sessions, then wait
//	func (s *Server) Count() int                           // open sessions
//
//	func NewTextMessage(data []byte) *Message   // payload of a "4" message packet
//	func NewBinaryMessage(data []byte) *Message // binary message; "b"+base64 on polling
//	func (m *Message) Binary() bool
//	func (m *Message) Data() []byte
//	// A Message is immutable once built and takes ownership of data; its
//	// WebSocket frame is prepared once (websocket.PreparedMessage) when it is
//	// written to more than one session, and its polling form is computed once.
//
//	func (s *Session) ID() string
//	func (s *Session) Handshake() *Handshake
//	func (s *Session) Transport() string        // "polling" or "websocket", current
//	func (s *Session) OnMessage(fn func(data []byte, binary bool)) // data is owned by fn
//	func (s *Session) OnClose(fn func(reason string))              // called once
//	func (s *Session) Send(msgs ...*Message) error         // all or none queued, in order
//	func (s *Session) SendVolatile(msgs ...*Message) bool // dropped when the queue cannot take them all
//	func (s *Session) Close()                             // server close: "1" packet, reason ReasonForcedClose
//
//	func (c CORS) AllowsOrigin(origin string) bool // for AllowRequest: the CORS policy for WebSockets too
//	const TransportPolling, TransportWebSocket
//	const DefaultPingInterval, DefaultPingTimeout, DefaultUpgradeTimeout, DefaultMaxPayload, DefaultQueueSize
//
// OnMessage callbacks of one session run sequentially, in arrival order;
// OnClose never runs concurrently with one, and none follows it.

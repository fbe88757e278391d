package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/livebuy/shop/internal/realtime/engineio"
)

// Options configures a Server. The zero value of every field selects the
// default of the Node reference server.
type Options struct {
	// Engine configures the Engine.IO transport. Its OnSession field is
	// owned by the Server and overwritten.
	Engine engineio.Options

	// ConnectTimeout closes an Engine.IO session that has not connected to
	// any namespace within it. Default 45s.
	ConnectTimeout time.Duration

	// Adapter creates the Adapter of every namespace; nil selects
	// NewMemoryAdapter.
	Adapter func(nsp *Namespace) Adapter

	// ConnectionStateRecovery, when set, lets a client that lost its
	// connection get back its socket id, rooms, data and the broadcasts it
	// missed. Nil (the default) disables recovery.
	ConnectionStateRecovery *RecoveryOptions

	// CleanupEmptyChildNamespaces removes a namespace created by a
	// ParentNamespace once its last socket has left.
	CleanupEmptyChildNamespaces bool

	Logger *slog.Logger // default slog.Default()
}

// RecoveryOptions configures connection state recovery.
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long the state of a disconnected
	// socket, and the packets broadcast meanwhile, are kept. Default 2m.
	MaxDisconnectionDuration time.Duration
	// SkipMiddlewares connects a recovered socket without running the
	// namespace's middlewares again. Unlike the Node server, the default is
	// to run them, so that a revoked credential is noticed.
	SkipMiddlewares bool
}

// Server is a Socket.IO server. It is an http.Handler for the Engine.IO
// endpoint, usually mounted at /socket.io/.
//
// The embedded Namespace is the main namespace "/": Server.Emit,
// Server.To, Server.Use, Server.OnConnection and the other Namespace
// methods act on it.
type Server struct {
	*Namespace

	opts   Options
	engine *engineio.Server
}

// NewServer returns a Server configured by opts.
func NewServer(opts Options) *Server {
	panic("realtime: NewServer not implemented yet")
}

// ServeHTTP serves the Engine.IO endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.engine.ServeHTTP(w, r)
}

// Shutdown disconnects every socket with reason "server shutting down",
// closes every Engine.IO session with a close packet, closes the adapters
// and waits for the sessions to end or ctx to be done. It does not send
// DISCONNECT packets, so clients reconnect, as with the Node server.
// The http.Server serving s should be shut down after it, since
// http.Server.Shutdown does not close WebSocket connections.
func (s *Server) Shutdown(ctx context.Context) error {
	panic("realtime: Shutdown not implemented yet")
}

// Of returns the namespace called name ("/chat"), creating it on first
// use. A name without a leading slash gets one.
func (s *Server) Of(name string) *Namespace {
	panic("realtime: Of not implemented yet")
}

// OfFunc returns a ParentNamespace that creates a child namespace for each
// name that match accepts. match sees the name and the CONNECT auth
// payload of the first client asking for it, and runs on that client's
// connection goroutine.
func (s *Server) OfFunc(match func(name string, auth json.RawMessage) bool) *ParentNamespace {
	panic("realtime: OfFunc not implemented yet")
}

// OfPattern returns a ParentNamespace that creates a child namespace for
// each name matched by re. Anchor re (^...$) to match whole names.
func (s *Server) OfPattern(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ json.RawMessage) bool { return re.MatchString(name) })
}

package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
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
	// NewMemoryAdapter. It may be called for a namespace that is then
	// discarded (two goroutines creating it at once), after which the
	// adapter's Close is called.
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
	//
	// As in the Node server, the missed packets are gathered before the
	// middlewares run and the socket joins its rooms after them: a packet
	// broadcast to its rooms while the middlewares run reaches it neither
	// way.
	SkipMiddlewares bool
}

const (
	defaultConnectTimeout           = 45 * time.Second
	defaultMaxDisconnectionDuration = 2 * time.Minute
)

// Server is a Socket.IO server. It is an http.Handler for the Engine.IO
// endpoint, usually mounted at /socket.io/.
//
// The embedded Namespace is the main namespace "/": Server.Emit,
// Server.To, Server.Use, Server.OnConnection and the other Namespace
// methods act on it.
type Server struct {
	*Namespace

	opts     Options
	recovery *RecoveryOptions // normalised copy of opts.ConnectionStateRecovery
	log      *slog.Logger
	engine   *engineio.Server
	closing  atomic.Bool

	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*ParentNamespace
}

// NewServer returns a Server configured by opts.
func NewServer(opts Options) *Server {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, log: opts.Logger, nsps: make(map[string]*Namespace)}
	if r := opts.ConnectionStateRecovery; r != nil {
		rc := *r
		if rc.MaxDisconnectionDuration <= 0 {
			rc.MaxDisconnectionDuration = defaultMaxDisconnectionDuration
		}
		s.recovery = &rc
	}
	eopts := opts.Engine
	eopts.OnSession = s.onSession
	if eopts.Logger == nil {
		eopts.Logger = opts.Logger
	}
	s.engine = engineio.NewServer(eopts)
	s.Namespace = s.Of("/")
	return s
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
	s.closing.Store(true)
	for _, nsp := range s.namespaces() {
		for _, sock := range nsp.socketList() {
			sock.onClose(ReasonServerShuttingDown)
		}
	}
	err := s.engine.Shutdown(ctx)
	var errs []error
	if err != nil {
		errs = append(errs, errorf("shutdown engine: %w", err))
	}
	for _, nsp := range s.namespaces() {
		if err := nsp.adapter.Close(); err != nil {
			errs = append(errs, errorf("close adapter of %s: %w", nsp.name, err))
		}
	}
	return errors.Join(errs...)
}

// Of returns the namespace called name ("/chat"), creating it on first
// use. A name without a leading slash gets one.
func (s *Server) Of(name string) *Namespace {
	name = normalizeName(name)
	s.mu.RLock()
	nsp := s.nsps[name]
	s.mu.RUnlock()
	if nsp != nil {
		return nsp
	}
	return s.addNamespace(name, nil, false)
}

// addNamespace creates namespace name, unless another goroutine did
// meanwhile, and returns it; with acquiring, a connection attempt is
// counted on it (see acquire). The adapter is created without holding the
// lock, so that the factory may use the Server.
func (s *Server) addNamespace(name string, parent *ParentNamespace, acquiring bool) *Namespace {
	created := s.newNamespace(name, parent)
	s.mu.Lock()
	nsp := s.nsps[name]
	if nsp == nil {
		nsp = created
		s.nsps[name] = nsp
		if parent != nil {
			parent.addChild(nsp)
		}
	}
	if acquiring {
		nsp.connecting.Add(1)
	}
	s.mu.Unlock()
	if nsp != created {
		if err := created.adapter.Close(); err != nil {
			s.log.Warn("realtime: close adapter", "namespace", name, "err", err)
		}
	}
	return nsp
}

// OfFunc returns a ParentNamespace that creates a child namespace for each
// name that match accepts. match sees the name and the CONNECT auth
// payload of the first client asking for it, and runs on that client's
// connection goroutine.
func (s *Server) OfFunc(match func(name string, auth json.RawMessage) bool) *ParentNamespace {
	p := &ParentNamespace{srv: s, match: match}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// OfPattern returns a ParentNamespace that creates a child namespace for
// each name matched by re. Anchor re (^...$) to match whole names.
func (s *Server) OfPattern(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ json.RawMessage) bool { return re.MatchString(name) })
}

func normalizeName(name string) string {
	if name == "" || name[0] != '/' {
		return "/" + name
	}
	return name
}

func (s *Server) newNamespace(name string, parent *ParentNamespace) *Namespace {
	nsp := &Namespace{name: name, srv: s, parent: parent, sockets: make(map[SocketID]*Socket)}
	if s.opts.Adapter != nil {
		nsp.adapter = s.opts.Adapter(nsp)
	} else {
		nsp.adapter = NewMemoryAdapter(nsp)
	}
	return nsp
}

// acquire returns the namespace a client asks to connect to, creating it
// through a ParentNamespace when one accepts the name, and counts the
// connection attempt so that an empty child is not removed meanwhile; the
// caller must call nsp.release. It returns nil for an unknown namespace.
func (s *Server) acquire(name string, auth json.RawMessage) *Namespace {
	s.mu.RLock()
	nsp := s.nsps[name]
	if nsp != nil {
		nsp.connecting.Add(1)
	}
	parents := s.parents
	s.mu.RUnlock()
	if nsp != nil {
		return nsp
	}
	for _, p := range parents {
		if p.match(name, auth) {
			return s.addNamespace(name, p, true)
		}
	}
	return nil
}

// removeIfEmpty removes a child namespace that has no socket and no
// connection attempt in progress.
func (s *Server) removeIfEmpty(nsp *Namespace) {
	s.mu.Lock()
	if s.nsps[nsp.name] != nsp || nsp.connecting.Load() != 0 || nsp.SocketCount() != 0 {
		s.mu.Unlock()
		return
	}
	delete(s.nsps, nsp.name)
	nsp.parent.removeChild(nsp)
	s.mu.Unlock()
	if err := nsp.adapter.Close(); err != nil {
		s.log.Warn("realtime: close adapter", "namespace", nsp.name, "err", err)
	}
}

func (s *Server) namespaces() []*Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, nsp := range s.nsps {
		out = append(out, nsp)
	}
	return out
}

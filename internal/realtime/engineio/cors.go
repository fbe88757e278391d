package engineio

import (
	"net/http"
	"slices"
)

// enabled reports whether any origin is allowed, so CORS headers apply.
func (c *CORS) enabled() bool {
	return len(c.AllowedOrigins) > 0 || c.AllowOriginFunc != nil
}

// AllowsOrigin reports whether a browser page from origin may use the
// server. Browsers do not apply CORS to WebSocket connections: an
// AllowRequest hook that calls this method extends the same policy to
// them (and to polling handshakes).
func (c CORS) AllowsOrigin(origin string) bool {
	if origin == "" {
		return false
	}
	if slices.Contains(c.AllowedOrigins, "*") || slices.Contains(c.AllowedOrigins, origin) {
		return true
	}
	return c.AllowOriginFunc != nil && c.AllowOriginFunc(origin)
}

// serveCORS writes the CORS headers of r's origin, when it is allowed, and
// answers a preflight request. It reports whether r has been answered.
func (s *Server) serveCORS(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	origin := r.Header.Get("Origin")
	allowed := s.opts.CORS.AllowsOrigin(origin)
	if allowed {
		if slices.Contains(s.opts.CORS.AllowedOrigins, "*") && !s.opts.CORS.AllowCredentials {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			// A credentialed response must name the origin; caches must
			// then key on it.
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		}
		if s.opts.CORS.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	if r.Method != http.MethodOptions {
		return false
	}
	if allowed {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		h.Set("Access-Control-Max-Age", "86400")
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}

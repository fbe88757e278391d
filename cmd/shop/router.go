package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

// router is every route of the shop in one place.
func (a *app) router() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, a.recoverer, a.accessLog)

	r.Get("/healthz", a.healthz)
	r.Handle("/socket.io/*", a.sio)

	r.Group(func(r chi.Router) {
		r.Use(a.authn.Middleware)
		a.authH.Routes(r)
		a.usersH.Routes(r)
		a.goodsH.Routes(r)
		r.HandleFunc(apiFallback, a.apiNotFound)
	})
	r.Handle("/*", a.webH)
	return r
}

// apiFallback is the route of every /api path that no other route serves.
const apiFallback = "/api/*"

// apiNotFound answers an API request no route took: 405 with Allow when
// the path has routes for other methods (the fallback, which takes every
// method, hides that from the router), 404 otherwise.
func (a *app) apiNotFound(w http.ResponseWriter, r *http.Request) {
	if allowed := allowedMethods(r); len(allowed) > 0 {
		methodNotAllowed(w, allowed)
		return
	}
	httpapi.Error(w, r, a.log, errs.E(errs.NotFound, "요청한 API를 찾을 수 없습니다."))
}

// allowedMethods returns the methods other than r's that a route of r's
// router serves at r's path, the API fallback aside.
func allowedMethods(r *http.Request) []string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return nil
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		tctx := chi.NewRouteContext()
		if m != r.Method && rctx.Routes.Match(tctx, m, r.URL.Path) && tctx.RoutePattern() != apiFallback {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

func methodNotAllowed(w http.ResponseWriter, allowed []string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	httpapi.WriteJSON(w, http.StatusMethodNotAllowed, httpapi.ErrorBody{ErrorMessage: "허용되지 않는 요청 방식입니다."})
}

// healthz answers 200 while the database answers; the router is installed
// only after the migrations ran.
func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.db.Ping(ctx); err != nil {
		a.log.Warn("health check failed", "err", err)
		httpapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// recoverer turns a panic in a handler into a logged 500, so that no panic
// reaches a user as a dropped connection.
func (a *app) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic in handler", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path, "panic", v)
				httpapi.Error(w, r, nil, errs.E(errs.Internal, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog logs one line per API request at debug level; the Socket.IO
// long-polling requests are too many to log.
func (a *app) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		a.log.Debug("request", "request_id", middleware.GetReqID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "status", ww.Status(), "bytes", ww.BytesWritten(), "duration", time.Since(start))
	})
}

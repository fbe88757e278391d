package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

// UserLookup loads the user a verified token names.
type UserLookup interface {
	// LookupUser returns the Principal of the user with the given hex id.
	// When no such user exists (it was deleted, or the id is malformed) it
	// returns an error of kind errs.NotFound; any other error is a fault.
	LookupUser(ctx context.Context, userID string) (Principal, error)
}

// Authenticator turns a token into the Principal of an existing user.
type Authenticator struct {
	tokens *Tokens
	users  UserLookup
	log    *slog.Logger
}

// NewAuthenticator returns an Authenticator that verifies tokens with tokens
// and loads their users from users. Faults of the lookup are logged to log.
func NewAuthenticator(tokens *Tokens, users UserLookup, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{tokens: tokens, users: users, log: log}
}

// Authenticate returns the Principal of the user a bare JWT names. An empty,
// invalid or expired token, or one whose user no longer exists, yields an
// error of kind errs.Unauthorized; a failing lookup yields an Internal one.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, errs.E(errs.Unauthorized, MsgLoginRequired)
	}
	id, err := a.tokens.Verify(token)
	if err != nil {
		return Principal{}, &errs.Error{Kind: errs.Unauthorized, Message: MsgLoginRequired, Err: err}
	}
	p, err := a.users.LookupUser(ctx, id)
	switch {
	case errs.Is(err, errs.NotFound) || errs.Is(err, errs.Unauthorized):
		return Principal{}, &errs.Error{Kind: errs.Unauthorized, Message: MsgLoginRequired, Err: err}
	case err != nil:
		return Principal{}, fmt.Errorf("auth: look up user %s: %w", id, err)
	}
	return p, nil
}

// Middleware puts the Principal into the request context when the request
// carries a valid token for an existing user, and otherwise passes the
// request on anonymously, so that Required and the handlers decide. Only a
// failing user lookup ends the request (500), since the user can then be
// neither confirmed nor refused.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := TokenFromHeader(r.Header)
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.Authenticate(r.Context(), tok)
		switch {
		case errs.Is(err, errs.Unauthorized):
			next.ServeHTTP(w, r)
		case err != nil:
			httpapi.Error(w, r, a.log, err)
		default:
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
		}
	})
}

// Required answers 401 {"errorMessage":"로그인 후 이용 가능한 기능입니다."}
// unless Authenticator.Middleware, installed before it, put a Principal into
// the request context.
func Required(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := FromContext(r.Context()); !ok {
			httpapi.Error(w, r, nil, errs.E(errs.Unauthorized, MsgLoginRequired))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireAdmin returns middleware that lets through only users whose email
// is one of emails (compared case-insensitively): others get 403, and
// requests without a user 401, as with Required.
func RequireAdmin(emails []string) func(http.Handler) http.Handler {
	admins := make(map[string]struct{}, len(emails))
	for _, e := range emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			admins[e] = struct{}{}
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := FromContext(r.Context())
			if !ok {
				httpapi.Error(w, r, nil, errs.E(errs.Unauthorized, MsgLoginRequired))
				return
			}
			if _, ok := admins[strings.ToLower(p.Email)]; !ok {
				httpapi.Error(w, r, nil, errs.E(errs.Forbidden, MsgAdminOnly))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

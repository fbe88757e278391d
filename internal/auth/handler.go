package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

// MsgBadCredentials answers every failed login, whether the email is unknown
// or the password wrong, so that the answer does not reveal which accounts
// exist.
const MsgBadCredentials = "이메일 또는 패스워드가 틀렸습니다."

// MsgTooManyAttempts answers a login refused by the throttle.
const MsgTooManyAttempts = "로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요."

// CredentialChecker checks an email and password.
type CredentialChecker interface {
	// CheckCredentials returns the Principal of the user with this email
	// and password. A wrong password or an unknown email yields an error of
	// kind errs.Unauthorized, and both take about the same time (the
	// password hash is computed either way); any other error is a fault.
	CheckCredentials(ctx context.Context, email, password string) (Principal, error)
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Tokens      *Tokens
	Credentials CredentialChecker
	// Throttle limits failed logins per email; nil means
	// NewThrottle(0, 0, 0).
	Throttle *Throttle
	// AddressThrottle limits failed logins per client address. Many
	// shoppers may share one address (an office, a mobile carrier's NAT),
	// so its limit is looser; nil means
	// NewThrottle(DefaultMaxAddressFailures, 0, 0).
	AddressThrottle *Throttle
	// SecureCookie marks the cookie Secure even on plain HTTP requests, for
	// a shop behind a TLS-terminating proxy.
	SecureCookie bool
	Logger       *slog.Logger
}

// Handler serves login (POST /api/auth) and logout (DELETE /api/auth).
type Handler struct {
	tokens   *Tokens
	creds    CredentialChecker
	throttle *Throttle // per email
	addrs    *Throttle // per client address
	secure   bool
	log      *slog.Logger
}

// NewHandler returns a Handler configured by c.
func NewHandler(c HandlerConfig) *Handler {
	h := &Handler{tokens: c.Tokens, creds: c.Credentials, throttle: c.Throttle, addrs: c.AddressThrottle, secure: c.SecureCookie, log: c.Logger}
	if h.throttle == nil {
		h.throttle = NewThrottle(0, 0, 0)
	}
	if h.addrs == nil {
		h.addrs = NewThrottle(DefaultMaxAddressFailures, 0, 0)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Routes registers POST and DELETE /api/auth on r.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/api/auth", h.login)
	r.Delete("/api/auth", h.logout)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string `json:"token"`
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	ipKey, emailKey := "ip:"+clientNet(r.RemoteAddr), "email:"+emailDigest(req.Email)
	// The address, shared by many shoppers, counts only failures, so that
	// any number of them may log in at once; the email counts an attempt
	// from its start, so that parallel guesses cannot slip past its limit.
	wait := h.addrs.Wait(ipKey)
	if wait == 0 {
		wait = h.throttle.Attempt(emailKey)
	}
	if wait > 0 {
		h.log.WarnContext(r.Context(), "login throttled",
			"request_id", middleware.GetReqID(r.Context()), "client", clientNet(r.RemoteAddr))
		httpapi.Error(w, r, h.log, &errs.Error{Kind: errs.TooManyRequests, Message: MsgTooManyAttempts, RetryAfter: wait})
		return
	}
	p, err := h.creds.CheckCredentials(r.Context(), req.Email, req.Password)
	switch {
	case errs.Is(err, errs.Unauthorized):
		h.addrs.Record(ipKey)
		httpapi.Error(w, r, h.log, &errs.Error{Kind: errs.Invalid, Message: MsgBadCredentials, Err: err})
		return
	case err != nil:
		// A fault says nothing about the credentials; do not count it.
		h.throttle.Forgive(emailKey)
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.throttle.Reset(emailKey)
	tok, err := h.tokens.Issue(p.UserID)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	SetCookie(w, r, tok, h.tokens.TTL(), h.secure)
	httpapi.WriteJSON(w, http.StatusOK, loginResponse{Token: tok})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ClearCookie(w, r, h.secure)
	httpapi.WriteJSON(w, http.StatusOK, struct{}{})
}

// clientNet names the client for throttling: its IP address, or for IPv6
// its /64, since one host commonly holds a whole /64. RemoteAddr is trusted
// as is; behind a proxy the program installs middleware that rewrites it.
func clientNet(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// emailDigest keys the throttle by a fixed-size digest of the normalised
// email, so that long inputs cannot inflate its memory.
func emailDigest(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}

package users

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/httpapi"
)

// Handler serves the users routes of the API.
type Handler struct {
	svc *Service
	log *slog.Logger
}

// NewHandler returns a Handler on svc; faults are logged to log.
func NewHandler(svc *Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: svc, log: log}
}

// Routes registers POST /api/users (sign-up) and GET /api/users/me on r. The
// latter needs auth.Authenticator.Middleware installed before it.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/api/users", h.signUp)
	r.With(auth.Required).Get("/api/users/me", h.me)
}

type signUpRequest struct {
	Email           string `json:"email"`
	Nickname        string `json:"nickname"`
	Password        string `json:"password"`
	ConfirmPassword string `json:"confirmPassword"`
}

func (h *Handler) signUp(w http.ResponseWriter, r *http.Request) {
	var req signUpRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	if _, err := h.svc.SignUp(r.Context(), req.Email, req.Nickname, req.Password, req.ConfirmPassword); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, struct{}{})
}

type meResponse struct {
	User meUser `json:"user"`
}

type meUser struct {
	Email    string `json:"email"`
	Nickname string `json:"nickname"`
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	// auth.Required let the request through, so a Principal is present;
	// the middleware loaded it from the store for this request.
	p, _ := auth.FromContext(r.Context())
	httpapi.WriteJSON(w, http.StatusOK, meResponse{User: meUser{Email: p.Email, Nickname: p.Nickname}})
}

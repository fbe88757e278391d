package auth

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CookieName is the name of the cookie that carries the token, kept from the
// original shop so that its front ends keep working.
const CookieName = "Authorization"

const bearerPrefix = "Bearer "

// SetCookie sets the Authorization cookie to "Bearer <token>", URL-encoded
// on the wire ("Bearer%20…") as Express writes it, valid for maxAge. The
// cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when r arrived over
// TLS or secure is set (for a shop behind a TLS-terminating proxy).
func SetCookie(w http.ResponseWriter, r *http.Request, token string, maxAge time.Duration, secure bool) {
	secs := int(maxAge / time.Second)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName,
		// PathEscape encodes the space as %20 like encodeURIComponent; the
		// token itself is base64url and dots, which pass unchanged.
		Value:    url.PathEscape(bearerPrefix + token),
		Path:     "/",
		MaxAge:   secs,
		Expires:  time.Now().Add(time.Duration(secs) * time.Second).UTC(),
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie tells the browser to drop the Authorization cookie. The
// attributes match SetCookie's so that the browser replaces that cookie.
func ClearCookie(w http.ResponseWriter, r *http.Request, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Expires:  time.Unix(0, 0).UTC(),
		HttpOnly: true,
		Secure:   secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// TokenFromHeader returns the bearer token that the request headers h carry,
// or "" when there is none. An "Authorization: Bearer …" header wins over
// the cookie; the cookie is read in its URL-encoded form ("Bearer%20…") or
// raw ("Bearer …"). It serves HTTP requests and the Socket.IO handshake
// alike.
func TokenFromHeader(h http.Header) string {
	if tok := BearerToken(h.Get("Authorization")); tok != "" {
		return tok
	}
	// Several cookies of that name can arrive (one per path or domain that
	// set it); the first that holds a bearer token is used.
	req := http.Request{Header: h}
	for _, c := range req.CookiesNamed(CookieName) {
		if tok := BearerToken(c.Value); tok != "" {
			return tok
		}
	}
	return ""
}

// BearerToken returns the token of a "Bearer <token>" value (the scheme is
// matched case-insensitively), or "" when v is not of that form. A
// URL-encoded value ("Bearer%20…") is decoded first.
func BearerToken(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "%") {
		if dec, err := url.PathUnescape(v); err == nil {
			v = dec
		}
	}
	if len(v) <= len(bearerPrefix) || !strings.EqualFold(v[:len(bearerPrefix)], bearerPrefix) {
		return ""
	}
	tok := strings.TrimSpace(v[len(bearerPrefix):])
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return ""
	}
	return tok
}

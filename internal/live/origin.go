package live

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// errForeignOrigin refuses a handshake sent by a page of another site.
var errForeignOrigin = errors.New("live: origin not allowed")

// OriginPolicy returns a handshake check that admits requests without an
// Origin header (non-browser clients carry no cookie of a visitor), requests
// from the shop's own origin, and requests from the listed origins
// ("https://shop.example"); any other browser origin is refused, so that a
// foreign site cannot open a socket with a visitor's cookie.
func OriginPolicy(allowed []string) func(r *http.Request) error {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return func(r *http.Request) error {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return nil
		}
		if set[strings.ToLower(origin)] {
			return nil
		}
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return errForeignOrigin
		}
		if strings.EqualFold(u.Host, r.Host) {
			return nil
		}
		return errForeignOrigin
	}
}

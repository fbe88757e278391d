package auth_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/auth"
)

const jwtLike = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJhIn0.c2ln-_"

func TestTokenFromHeader(t *testing.T) {
	tests := []struct {
		name   string
		cookie []string
		authz  string
		want   string
	}{
		{"nothing", nil, "", ""},
		{"encoded cookie", []string{"Authorization=Bearer%20" + jwtLike}, "", jwtLike},
		{"raw cookie", []string{"Authorization=Bearer " + jwtLike}, "", jwtLike},
		{"quoted cookie", []string{`Authorization="Bearer ` + jwtLike + `"`}, "", jwtLike},
		{"among other cookies", []string{"a=1; Authorization=Bearer%20" + jwtLike + "; b=2"}, "", jwtLike},
		{"second Cookie header", []string{"a=1", "Authorization=Bearer%20" + jwtLike}, "", jwtLike},
		{"lower-case scheme", []string{"Authorization=bearer%20" + jwtLike}, "", jwtLike},
		{"header", nil, "Bearer " + jwtLike, jwtLike},
		{"header wins over cookie", []string{"Authorization=Bearer%20other"}, "Bearer " + jwtLike, jwtLike},
		{"bad header falls back to cookie", []string{"Authorization=Bearer%20" + jwtLike}, "Basic dXNlcjpwYXNz", jwtLike},
		{"no scheme", []string{"Authorization=" + jwtLike}, "", ""},
		{"other scheme", []string{"Authorization=Basic%20" + jwtLike}, "", ""},
		{"scheme only", []string{"Authorization=Bearer%20"}, "Bearer", ""},
		{"two words after scheme", nil, "Bearer a b", ""},
		{"similar cookie name", []string{"XAuthorization=Bearer%20" + jwtLike}, "", ""},
		{"empty cookie then valid", []string{"Authorization=; Authorization=Bearer%20" + jwtLike}, "", jwtLike},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, c := range tt.cookie {
				h.Add("Cookie", c)
			}
			if tt.authz != "" {
				h.Set("Authorization", tt.authz)
			}
			if got := auth.TokenFromHeader(h); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetCookie(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		secure     bool
		wantSecure bool
	}{
		{"plain http", false, false, false},
		{"tls request", true, false, true},
		{"configured secure", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/auth", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			auth.SetCookie(w, r, jwtLike, 24*time.Hour, tt.secure)
			raw := w.Header().Get("Set-Cookie")
			if !strings.HasPrefix(raw, "Authorization=Bearer%20"+jwtLike+";") {
				t.Errorf("got Set-Cookie %q, want it to start with Authorization=Bearer%%20<jwt>;", raw)
			}
			for _, attr := range []string{"Path=/", "Max-Age=86400", "HttpOnly", "SameSite=Lax", "Expires="} {
				if !hasAttr(raw, attr) {
					t.Errorf("got Set-Cookie %q, want attribute %s", raw, attr)
				}
			}
			if got := hasAttr(raw, "Secure"); got != tt.wantSecure {
				t.Errorf("got Secure %v, want %v (%q)", got, tt.wantSecure, raw)
			}
			// What the browser sends back must read as the same token.
			h := http.Header{"Cookie": {strings.SplitN(raw, ";", 2)[0]}}
			if got := auth.TokenFromHeader(h); got != jwtLike {
				t.Errorf("got token %q back from the cookie, want %q", got, jwtLike)
			}
		})
	}
}

func TestClearCookie(t *testing.T) {
	r := httptest.NewRequest(http.MethodDelete, "/api/auth", nil)
	w := httptest.NewRecorder()
	auth.ClearCookie(w, r, true)
	raw := w.Header().Get("Set-Cookie")
	if !strings.HasPrefix(raw, "Authorization=;") {
		t.Errorf("got Set-Cookie %q, want an empty Authorization cookie", raw)
	}
	for _, attr := range []string{"Path=/", "Max-Age=0", "HttpOnly", "SameSite=Lax", "Secure", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"} {
		if !hasAttr(raw, attr) {
			t.Errorf("got Set-Cookie %q, want attribute %s", raw, attr)
		}
	}
}

// hasAttr reports whether the Set-Cookie line raw has attribute attr
// (compared case-sensitively, as net/http writes them).
func hasAttr(raw, attr string) bool {
	for _, p := range strings.Split(raw, ";")[1:] {
		p = strings.TrimSpace(p)
		if p == attr || (strings.HasSuffix(attr, "=") && strings.HasPrefix(p, attr)) {
			return true
		}
	}
	return false
}

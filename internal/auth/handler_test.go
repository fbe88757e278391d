package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

// directory is an in-memory user directory implementing both interfaces
// auth consumes; the end-to-end tests of package users use the real one.
type directory struct {
	mu     sync.Mutex
	users  map[string]auth.Principal // by id
	pass   map[string]string         // password by email
	broken bool                      // every call fails with a fault
}

func newDirectory() *directory {
	return &directory{
		users: map[string]auth.Principal{
			"u1": {UserID: "u1", Email: "ann@example.com", Nickname: "ann"},
			"u2": {UserID: "u2", Email: "boss@example.com", Nickname: "boss"},
		},
		pass: map[string]string{"ann@example.com": "annpassword", "boss@example.com": "bosspassword"},
	}
}

func (d *directory) LookupUser(_ context.Context, id string) (auth.Principal, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken {
		return auth.Principal{}, errors.New("database down")
	}
	p, ok := d.users[id]
	if !ok {
		return auth.Principal{}, errs.E(errs.NotFound, "no user")
	}
	return p, nil
}

func (d *directory) CheckCredentials(_ context.Context, email, password string) (auth.Principal, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken {
		return auth.Principal{}, errors.New("database down")
	}
	if pw, ok := d.pass[email]; !ok || pw != password {
		return auth.Principal{}, errs.E(errs.Unauthorized, "bad credentials")
	}
	for _, p := range d.users {
		if p.Email == email {
			return p, nil
		}
	}
	return auth.Principal{}, errs.E(errs.Unauthorized, "bad credentials")
}

func (d *directory) setBroken(b bool) {
	d.mu.Lock()
	d.broken = b
	d.mu.Unlock()
}

type fixture struct {
	srv    *httptest.Server
	dir    *directory
	tokens *auth.Tokens
	clock  *fakeClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: newDirectory(), tokens: newTokens(t)}
	th, clk := newThrottle(3, 10*time.Minute, 100)
	addrs := auth.NewThrottle(5, 10*time.Minute, 100)
	auth.SetThrottleClock(addrs, clk.Now)
	f.clock = clk
	a := auth.NewAuthenticator(f.tokens, f.dir, nil)
	h := auth.NewHandler(auth.HandlerConfig{Tokens: f.tokens, Credentials: f.dir, Throttle: th, AddressThrottle: addrs})
	r := chi.NewRouter()
	r.Use(a.Middleware)
	h.Routes(r)
	whoami := func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"signedIn": ok, "nickname": p.Nickname})
	}
	r.Get("/optional", whoami)
	r.With(auth.Required).Get("/required", whoami)
	r.With(auth.RequireAdmin([]string{" BOSS@example.com "})).Get("/admin", whoami)
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(t *testing.T, method, path, ctype, body string, hdr http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("%s %s: got body %q, want a JSON object", method, path, raw)
	}
	return out
}

func (f *fixture) login(t *testing.T, email, password string) response {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return f.do(t, http.MethodPost, "/api/auth", "application/json", string(b), nil)
}

func cookieHeader(tok string) http.Header {
	return http.Header{"Cookie": {"Authorization=Bearer%20" + tok}}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		wantStatus        int
		wantMsg           string
	}{
		{"json", "application/json", `{"email":"ann@example.com","password":"annpassword"}`, 200, ""},
		{"form", "application/x-www-form-urlencoded", "email=ann%40example.com&password=annpassword", 200, ""},
		{"wrong password", "application/json", `{"email":"ann@example.com","password":"nope"}`, 400, auth.MsgBadCredentials},
		{"unknown email", "application/json", `{"email":"who@example.com","password":"annpassword"}`, 400, auth.MsgBadCredentials},
		{"empty body", "application/json", ``, 400, auth.MsgBadCredentials},
		{"operator in email", "application/json", `{"email":{"$ne":null},"password":"annpassword"}`, 400, ""},
		{"operator in password", "application/json", `{"email":"ann@example.com","password":{"$gt":""}}`, 400, ""},
		{"broken json", "application/json", `{"email":`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(t, http.MethodPost, "/api/auth", tt.ctype, tt.body, nil)
			if res.status != tt.wantStatus {
				t.Fatalf("got status %d %v, want %d", res.status, res.body, tt.wantStatus)
			}
			setCookie := res.header.Get("Set-Cookie")
			if tt.wantStatus != 200 {
				if setCookie != "" {
					t.Errorf("got Set-Cookie %q on a failed login, want none", setCookie)
				}
				if msg, _ := res.body["errorMessage"].(string); msg == "" || (tt.wantMsg != "" && msg != tt.wantMsg) {
					t.Errorf("got errorMessage %q, want %q", msg, tt.wantMsg)
				}
				return
			}
			tok, _ := res.body["token"].(string)
			if id, err := f.tokens.Verify(tok); err != nil || id != "u1" {
				t.Fatalf("got token for %q (err %v), want one for u1", id, err)
			}
			if want := "Authorization=Bearer%20" + tok + ";"; !strings.HasPrefix(setCookie, want) {
				t.Errorf("got Set-Cookie %q, want prefix %q", setCookie, want)
			}
			for _, attr := range []string{"Path=/", "Max-Age=86400", "HttpOnly", "SameSite=Lax"} {
				if !hasAttr(setCookie, attr) {
					t.Errorf("got Set-Cookie %q, want %s", setCookie, attr)
				}
			}
			if hasAttr(setCookie, "Secure") {
				t.Errorf("got Secure on plain HTTP without configuration: %q", setCookie)
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		if res := f.login(t, "ann@example.com", "wrong"); res.status != 400 {
			t.Fatalf("failure %d: got status %d, want 400", i+1, res.status)
		}
	}
	// Even the right password is refused now, without being checked.
	res := f.login(t, "ann@example.com", "annpassword")
	if res.status != 429 {
		t.Fatalf("got status %d, want 429", res.status)
	}
	if got := res.header.Get("Retry-After"); got != "600" {
		t.Errorf("got Retry-After %q, want 600", got)
	}
	if got := res.header.Get("Set-Cookie"); got != "" {
		t.Errorf("got Set-Cookie %q on a throttled login", got)
	}
	// Another shopper behind the same address is not locked out by ann's
	// failures...
	if res := f.login(t, "boss@example.com", "bosspassword"); res.status != 200 {
		t.Errorf("other email from the same client: got status %d, want 200", res.status)
	}
	// ...but the address has its own, looser limit (5 here): two more
	// failures on other emails reach it, and then every email is refused.
	for _, email := range []string{"x@example.com", "y@example.com"} {
		if res := f.login(t, email, "wrong"); res.status != 400 {
			t.Fatalf("failure for %s: got status %d, want 400", email, res.status)
		}
	}
	if res := f.login(t, "boss@example.com", "bosspassword"); res.status != 429 {
		t.Errorf("address over its limit: got status %d, want 429", res.status)
	}
	f.clock.Advance(10 * time.Minute)
	if res := f.login(t, "ann@example.com", "annpassword"); res.status != 200 {
		t.Errorf("after the window: got status %d, want 200", res.status)
	}
}

// TestConcurrentLoginsFromOneAddress checks that shoppers sharing one
// address can sign in at the same time: successful logins never lock the
// address.
func TestConcurrentLoginsFromOneAddress(t *testing.T) {
	f := newFixture(t)
	const n = 20 // more than the address limit of the fixture (5)
	f.dir.mu.Lock()
	for i := range n {
		email := fmt.Sprintf("shopper%d@example.com", i)
		f.dir.users[email] = auth.Principal{UserID: email, Email: email, Nickname: email}
		f.dir.pass[email] = "password"
	}
	f.dir.mu.Unlock()
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- f.login(t, fmt.Sprintf("shopper%d@example.com", i), "password").status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Fatalf("got status %d, want every concurrent login to succeed", s)
		}
	}
}

func TestLoginSuccessAndFaultsDoNotCount(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		if res := f.login(t, "ann@example.com", "annpassword"); res.status != 200 {
			t.Fatalf("login %d: got status %d, want 200", i+1, res.status)
		}
	}
	f.dir.setBroken(true)
	for i := range 5 {
		if res := f.login(t, "ann@example.com", "annpassword"); res.status != 500 {
			t.Fatalf("faulty login %d: got status %d, want 500", i+1, res.status)
		}
	}
	f.dir.setBroken(false)
	if res := f.login(t, "ann@example.com", "annpassword"); res.status != 200 {
		t.Fatalf("got status %d, want 200", res.status)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, http.MethodDelete, "/api/auth", "", "", nil)
	if res.status != 200 || len(res.body) != 0 {
		t.Fatalf("got %d %v, want 200 {}", res.status, res.body)
	}
	sc := res.header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, "Authorization=;") || !hasAttr(sc, "Max-Age=0") || !hasAttr(sc, "Path=/") {
		t.Fatalf("got Set-Cookie %q, want the cookie cleared", sc)
	}
}

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	tok, err := f.tokens.Issue("u1")
	if err != nil {
		t.Fatal(err)
	}
	boss, _ := f.tokens.Issue("u2")
	gone, _ := f.tokens.Issue("deleted")
	expired := sign(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"userId": "u1", "iat": time.Now().Add(-48 * time.Hour).Unix(), "exp": time.Now().Add(-24 * time.Hour).Unix()})
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"userId": "u1", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})

	tests := []struct {
		name       string
		path       string
		hdr        http.Header
		wantStatus int
		wantNick   string
	}{
		{"optional anonymous", "/optional", nil, 200, ""},
		{"optional with cookie", "/optional", cookieHeader(tok), 200, "ann"},
		{"optional with bad token", "/optional", cookieHeader("garbage"), 200, ""},
		{"required anonymous", "/required", nil, 401, ""},
		{"required encoded cookie", "/required", cookieHeader(tok), 200, "ann"},
		{"required raw cookie", "/required", http.Header{"Cookie": {"Authorization=Bearer " + tok}}, 200, "ann"},
		{"required header", "/required", http.Header{"Authorization": {"Bearer " + tok}}, 200, "ann"},
		{"required expired", "/required", cookieHeader(expired), 401, ""},
		{"required alg none", "/required", cookieHeader(none), 401, ""},
		{"required deleted user", "/required", cookieHeader(gone), 401, ""},
		{"admin anonymous", "/admin", nil, 401, ""},
		{"admin as user", "/admin", cookieHeader(tok), 403, ""},
		{"admin as admin", "/admin", cookieHeader(boss), 200, "boss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do(t, http.MethodGet, tt.path, "", "", tt.hdr)
			if res.status != tt.wantStatus {
				t.Fatalf("got status %d %v, want %d", res.status, res.body, tt.wantStatus)
			}
			switch tt.wantStatus {
			case 200:
				if got, _ := res.body["nickname"].(string); got != tt.wantNick {
					t.Errorf("got nickname %q, want %q", got, tt.wantNick)
				}
			case 401:
				if got := res.body["errorMessage"]; got != auth.MsgLoginRequired {
					t.Errorf("got errorMessage %v, want %q", got, auth.MsgLoginRequired)
				}
			case 403:
				if got := res.body["errorMessage"]; got != auth.MsgAdminOnly {
					t.Errorf("got errorMessage %v, want %q", got, auth.MsgAdminOnly)
				}
			}
		})
	}

	t.Run("lookup fault", func(t *testing.T) {
		f.dir.setBroken(true)
		defer f.dir.setBroken(false)
		res := f.do(t, http.MethodGet, "/optional", "", "", cookieHeader(tok))
		if res.status != 500 {
			t.Fatalf("got status %d, want 500", res.status)
		}
		if msg, _ := res.body["errorMessage"].(string); strings.Contains(msg, "database") {
			t.Errorf("got errorMessage %q, want the fault hidden", msg)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	a := auth.NewAuthenticator(f.tokens, f.dir, nil)
	tok, _ := f.tokens.Issue("u1")
	tests := []struct {
		name     string
		token    string
		wantKind errs.Kind
		wantNick string
	}{
		{"valid", tok, -1, "ann"},
		{"empty", "", errs.Unauthorized, ""},
		{"garbage", "x.y.z", errs.Unauthorized, ""},
		{"url-encoded is not a bare token", url.PathEscape("Bearer " + tok), errs.Unauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(context.Background(), tt.token)
			if tt.wantKind < 0 {
				if err != nil || p.Nickname != tt.wantNick {
					t.Fatalf("got %+v, %v, want %s", p, err, tt.wantNick)
				}
				return
			}
			if !errs.Is(err, tt.wantKind) {
				t.Fatalf("got %+v, %v, want kind %v", p, err, tt.wantKind)
			}
		})
	}
}

func TestLoginSecureCookie(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		configured bool
		want       bool
	}{
		{"plain", false, false, false},
		{"configured", false, true, true},
		{"tls", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newDirectory()
			h := auth.NewHandler(auth.HandlerConfig{Tokens: newTokens(t), Credentials: dir, SecureCookie: tt.configured})
			r := chi.NewRouter()
			h.Routes(r)
			srv := httptest.NewUnstartedServer(r)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			for _, method := range []string{http.MethodPost, http.MethodDelete} {
				req, _ := http.NewRequest(method, srv.URL+"/api/auth", strings.NewReader(`{"email":"ann@example.com","password":"annpassword"}`))
				req.Header.Set("Content-Type", "application/json")
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				sc := res.Header.Get("Set-Cookie")
				if res.StatusCode != 200 || sc == "" {
					t.Fatalf("%s: got %d with Set-Cookie %q, want 200 and a cookie", method, res.StatusCode, sc)
				}
				if got := hasAttr(sc, "Secure"); got != tt.want {
					t.Errorf("%s: got Secure %v, want %v (%q)", method, got, tt.want, sc)
				}
			}
		})
	}
}

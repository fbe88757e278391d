package users_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"golang.org/x/crypto/bcrypt"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/users"
)

var secret = []byte("test-secret-test-secret-test-secret")

// shop is the users and auth part of the shop on a real router, a real
// HTTP server and the embedded database.
type shop struct {
	srv    *httptest.Server
	db     *mongo.Database
	tokens *auth.Tokens
}

// newShop builds a shop whose login throttle allows limit failures.
func newShop(t *testing.T, limit int) *shop {
	t.Helper()
	db := dbtest.Migrated(t)
	svc, err := users.NewService(users.NewMongoStore(db), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(secret, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(auth.NewAuthenticator(tokens, svc, nil).Middleware)
	auth.NewHandler(auth.HandlerConfig{
		Tokens: tokens, Credentials: svc, Throttle: auth.NewThrottle(limit, 15*time.Minute, 0),
	}).Routes(r)
	users.NewHandler(svc, nil).Routes(r)
	s := &shop{srv: httptest.NewServer(r), db: db, tokens: tokens}
	t.Cleanup(s.srv.Close)
	return s
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (s *shop) send(t *testing.T, c *http.Client, method, path, ctype, body string, hdr http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c == nil {
		c = s.srv.Client()
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s %s: got Content-Type %q, want JSON", method, path, ct)
	}
	return reply{status: res.StatusCode, header: res.Header, body: strings.TrimSpace(string(b))}
}

func (s *shop) signUp(t *testing.T, email, nickname, password string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "nickname": nickname, "password": password, "confirmPassword": password})
	if r := s.send(t, nil, "POST", "/api/users", "application/json", string(b), nil); r.status != 201 {
		t.Fatalf("sign up %s: got %d %s, want 201", email, r.status, r.body)
	}
}

// login signs in and returns the token.
func (s *shop) login(t *testing.T, email, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	r := s.send(t, nil, "POST", "/api/auth", "application/json", string(b), nil)
	if r.status != 200 {
		t.Fatalf("login %s: got %d %s, want 200", email, r.status, r.body)
	}
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.Token == "" {
		t.Fatalf("login %s: got body %s, want a token", email, r.body)
	}
	return out.Token
}

func (s *shop) userCount(t *testing.T) int64 {
	t.Helper()
	n, err := s.db.Collection(users.Collection).CountDocuments(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func errBody(msg string) string {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg})
	return string(b)
}

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

func TestSignUp(t *testing.T) {
	s := newShop(t, 100)
	s.signUp(t, "taken@example.com", "taken", "password123")

	tests := []struct {
		name, ctype, body string
		wantStatus        int
		wantBody          string // exact body; "" means any errorMessage
	}{
		{"json", jsonType, `{"email":"ann@example.com","nickname":"ann","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 201, `{}`},
		{"form first value counts", formType, "email=Bob%40Example.com&nickname=%EB%B0%A5&nickname=ignored&password=s3cret-pw&confirmPassword=s3cret-pw", 400, errBody(users.MsgInvalidNickname)},
		{"form hangul", formType, "email=Bob%40Example.com&nickname=%ED%99%8D%EA%B8%B8%EB%8F%99&password=s3cret-pw&confirmPassword=s3cret-pw", 201, `{}`},
		{"mismatch", jsonType, `{"email":"c@example.com","nickname":"carl","password":"s3cret-pw","confirmPassword":"s3cret-px"}`, 400, errBody(users.MsgPasswordMismatch)},
		{"mismatch form", formType, "email=c%40example.com&nickname=carl&password=s3cret-pw", 400, errBody(users.MsgPasswordMismatch)},
		{"taken email", jsonType, `{"email":"TAKEN@example.com","nickname":"fresh","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgTaken)},
		{"taken nickname", jsonType, `{"email":"fresh@example.com","nickname":"taken","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgTaken)},
		{"malformed email", jsonType, `{"email":"not-an-email","nickname":"dave","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgInvalidEmail)},
		{"long email", jsonType, `{"email":"` + strings.Repeat("a", 250) + `@example.com","nickname":"dave","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgInvalidEmail)},
		{"short nickname", jsonType, `{"email":"d@example.com","nickname":"d","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgInvalidNickname)},
		{"nickname with symbols", jsonType, `{"email":"d@example.com","nickname":"<b>dave</b>","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgInvalidNickname)},
		{"long nickname", jsonType, `{"email":"d@example.com","nickname":"` + strings.Repeat("d", 21) + `","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, errBody(users.MsgInvalidNickname)},
		{"short password", jsonType, `{"email":"d@example.com","nickname":"dave","password":"short","confirmPassword":"short"}`, 400, errBody(users.MsgPasswordTooShort)},
		{"password with nickname", jsonType, `{"email":"d@example.com","nickname":"dave","password":"xxDAVExx1","confirmPassword":"xxDAVExx1"}`, 400, errBody(users.MsgPasswordHasNickname)},
		{"operator email", jsonType, `{"email":{"$ne":null},"nickname":"eve","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, ""},
		{"operator nickname", jsonType, `{"email":"e@example.com","nickname":{"$gt":""},"password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, ""},
		{"operator form", formType, "email[$ne]=x&nickname=eve&password=s3cret-pw&confirmPassword=s3cret-pw", 400, errBody(users.MsgInvalidEmail)},
		{"number for string", jsonType, `{"email":1,"nickname":"eve","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`, 400, ""},
		{"array body", jsonType, `[{"email":"e@example.com"}]`, 400, ""},
		{"broken json", jsonType, `{"email":"e@example.com"`, 400, ""},
		{"empty body", jsonType, ``, 400, errBody(users.MsgInvalidEmail)},
		{"null body", jsonType, `null`, 400, errBody(users.MsgInvalidEmail)},
		{"text body", "text/plain", `email=e@example.com`, 400, ""},
		{"huge body", jsonType, `{"email":"` + strings.Repeat("e", 70<<10) + `"}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.userCount(t)
			r := s.send(t, nil, "POST", "/api/users", tt.ctype, tt.body, nil)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantBody != "" && r.body != tt.wantBody {
				t.Errorf("got body %s, want %s", r.body, tt.wantBody)
			}
			var e struct{ ErrorMessage string }
			if tt.wantStatus == 400 && (json.Unmarshal([]byte(r.body), &e) != nil || e.ErrorMessage == "") {
				t.Errorf("got body %s, want an errorMessage", r.body)
			}
			want := before
			if tt.wantStatus == 201 {
				want++
			}
			if got := s.userCount(t); got != want {
				t.Errorf("got %d users, want %d", got, want)
			}
		})
	}

	// What was signed up can log in, with the email in any case.
	for _, c := range []struct{ email, pw string }{{"ANN@example.com", "s3cret-pw"}, {"bob@example.com", "s3cret-pw"}} {
		s.login(t, c.email, c.pw)
	}
}

func TestSignUpRace(t *testing.T) {
	s := newShop(t, 100)
	for round := range 3 {
		body := `{"email":"race` + string(rune('a'+round)) + `@example.com","nickname":"racer` + string(rune('a'+round)) + `","password":"s3cret-pw","confirmPassword":"s3cret-pw"}`
		var (
			wg      sync.WaitGroup
			replies [2]reply
		)
		for i := range replies {
			wg.Go(func() { replies[i] = s.send(t, nil, "POST", "/api/users", jsonType, body, nil) })
		}
		wg.Wait()
		created, taken := 0, 0
		for _, r := range replies {
			switch {
			case r.status == 201:
				created++
			case r.status == 400 && r.body == errBody(users.MsgTaken):
				taken++
			default:
				t.Errorf("round %d: got %d %s, want 201 or 400 taken", round, r.status, r.body)
			}
		}
		if created != 1 || taken != 1 {
			t.Errorf("round %d: got %d created and %d taken, want 1 and 1", round, created, taken)
		}
	}
	if got := s.userCount(t); got != 3 {
		t.Errorf("got %d users, want 3", got)
	}
}

func TestLogin(t *testing.T) {
	s := newShop(t, 100)
	s.signUp(t, "ann@example.com", "ann", "s3cret-pw")
	bad := errBody(auth.MsgBadCredentials)
	tests := []struct {
		name, ctype, body string
		wantStatus        int
		wantBody          string // "" means any errorMessage
	}{
		{"json", jsonType, `{"email":"ann@example.com","password":"s3cret-pw"}`, 200, ""},
		{"form", formType, "email=ann%40example.com&password=s3cret-pw", 200, ""},
		{"email in other case", jsonType, `{"email":" Ann@Example.com ","password":"s3cret-pw"}`, 200, ""},
		{"wrong password", jsonType, `{"email":"ann@example.com","password":"s3cret-px"}`, 400, bad},
		{"unknown email", jsonType, `{"email":"bob@example.com","password":"s3cret-pw"}`, 400, bad},
		{"password in other case", jsonType, `{"email":"ann@example.com","password":"S3CRET-PW"}`, 400, bad},
		{"too long password with the right prefix", jsonType, `{"email":"ann@example.com","password":"s3cret-pw` + strings.Repeat("x", 70) + `"}`, 400, bad},
		{"empty", jsonType, `{}`, 400, bad},
		{"operator email and password", jsonType, `{"email":{"$ne":null},"password":{"$ne":null}}`, 400, ""},
		{"operator password", jsonType, `{"email":"ann@example.com","password":{"$ne":"x"}}`, 400, ""},
		{"operator email", jsonType, `{"email":{"$regex":".*"},"password":"s3cret-pw"}`, 400, ""},
		{"operator as string", jsonType, `{"email":"{\"$ne\":null}","password":"s3cret-pw"}`, 400, bad},
		{"operator form", formType, "email[$ne]=x&password[$ne]=x", 400, bad},
		{"broken json", jsonType, `{"email"`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, nil, "POST", "/api/auth", tt.ctype, tt.body, nil)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			sc := r.header.Values("Set-Cookie")
			if tt.wantStatus != 200 {
				if len(sc) != 0 {
					t.Errorf("got Set-Cookie %q on a failed login, want none", sc)
				}
				if tt.wantBody != "" && r.body != tt.wantBody {
					t.Errorf("got body %s, want %s", r.body, tt.wantBody)
				}
				return
			}
			var out map[string]string
			if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out) != 1 || out["token"] == "" {
				t.Fatalf("got body %s, want {\"token\":…}", r.body)
			}
			tok := out["token"]
			if len(sc) != 1 {
				t.Fatalf("got %d Set-Cookie headers, want 1", len(sc))
			}
			parts := strings.Split(sc[0], "; ")
			if want := "Authorization=Bearer%20" + tok; parts[0] != want {
				t.Errorf("got cookie %q, want %q", parts[0], want)
			}
			attrs := map[string]bool{}
			for _, p := range parts[1:] {
				if strings.HasPrefix(p, "Expires=") {
					p = "Expires"
				}
				attrs[p] = true
			}
			for _, a := range []string{"Path=/", "Max-Age=86400", "HttpOnly", "SameSite=Lax", "Expires"} {
				if !attrs[a] {
					t.Errorf("got cookie attributes %q, want %s", parts[1:], a)
				}
			}
			if attrs["Secure"] || len(attrs) != 5 {
				t.Errorf("got cookie attributes %q, want exactly Path, Max-Age, HttpOnly, SameSite=Lax, Expires", parts[1:])
			}
			id, err := s.tokens.Verify(tok)
			if err != nil {
				t.Fatalf("verify the issued token: %v", err)
			}
			if _, err := bson.ObjectIDFromHex(id); err != nil {
				t.Errorf("got userId %q, want a hex ObjectID", id)
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	s := newShop(t, 5)
	s.signUp(t, "ann@example.com", "ann", "s3cret-pw")
	wrong := `{"email":"ann@example.com","password":"wrong-pw"}`
	for i := range 5 {
		if r := s.send(t, nil, "POST", "/api/auth", jsonType, wrong, nil); r.status != 400 {
			t.Fatalf("failure %d: got %d %s, want 400", i+1, r.status, r.body)
		}
	}
	tests := []struct{ name, body string }{
		{"wrong password again", wrong},
		{"right password", `{"email":"ann@example.com","password":"s3cret-pw"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, nil, "POST", "/api/auth", jsonType, tt.body, nil)
			if r.status != 429 {
				t.Fatalf("got %d %s, want 429", r.status, r.body)
			}
			if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("got Retry-After %q, want seconds to wait", ra)
			}
			if sc := r.header.Get("Set-Cookie"); sc != "" {
				t.Errorf("got Set-Cookie %q, want none", sc)
			}
			if !strings.Contains(r.body, "errorMessage") {
				t.Errorf("got body %s, want an errorMessage", r.body)
			}
		})
	}
	// Another shopper behind the same address is not locked out by ann's
	// failures: the address has a looser limit of its own.
	if r := s.send(t, nil, "POST", "/api/auth", jsonType, `{"email":"bob@example.com","password":"s3cret-pw"}`, nil); r.status != 400 {
		t.Fatalf("other email from the same client: got %d %s, want 400 (unknown user, not throttled)", r.status, r.body)
	}
}

func TestMe(t *testing.T) {
	s := newShop(t, 100)
	s.signUp(t, "Ann@Example.com", "앤리", "s3cret-pw")
	s.signUp(t, "gone@example.com", "gone", "s3cret-pw")
	tok := s.login(t, "ann@example.com", "s3cret-pw")
	goneTok := s.login(t, "gone@example.com", "s3cret-pw")
	goneID, _ := s.tokens.Verify(goneTok)
	oid, _ := bson.ObjectIDFromHex(goneID)
	if _, err := s.db.Collection(users.Collection).DeleteOne(t.Context(), bson.D{{Key: "_id", Value: oid}}); err != nil {
		t.Fatal(err)
	}
	annID, _ := s.tokens.Verify(tok)
	now := time.Now()
	forge := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		f, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	live := jwt.MapClaims{"userId": annID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	none := forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, live)
	expired := forge(jwt.SigningMethodHS256, secret, jwt.MapClaims{"userId": annID, "iat": now.Add(-48 * time.Hour).Unix(), "exp": now.Add(-24 * time.Hour).Unix()})
	wrongKey := forge(jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), live)
	hs384 := forge(jwt.SigningMethodHS384, secret, live)
	noExp := forge(jwt.SigningMethodHS256, secret, jwt.MapClaims{"userId": annID})

	ok := `{"user":{"email":"ann@example.com","nickname":"앤리"}}`
	unauth := errBody(auth.MsgLoginRequired)
	cookie := func(v string) http.Header { return http.Header{"Cookie": {"Authorization=" + v}} }
	tests := []struct {
		name       string
		hdr        http.Header
		wantStatus int
		wantBody   string
	}{
		{"encoded cookie", cookie("Bearer%20" + tok), 200, ok},
		{"raw cookie", cookie("Bearer " + tok), 200, ok},
		{"header", http.Header{"Authorization": {"Bearer " + tok}}, 200, ok},
		{"no token", nil, 401, unauth},
		{"cookie without scheme", cookie(tok), 401, unauth},
		{"garbage", cookie("Bearer%20garbage"), 401, unauth},
		{"alg none", cookie("Bearer%20" + none), 401, unauth},
		{"alg none header", http.Header{"Authorization": {"Bearer " + none}}, 401, unauth},
		{"expired", cookie("Bearer%20" + expired), 401, unauth},
		{"no exp", cookie("Bearer%20" + noExp), 401, unauth},
		{"wrong secret", cookie("Bearer%20" + wrongKey), 401, unauth},
		{"HS384", cookie("Bearer%20" + hs384), 401, unauth},
		{"deleted user", cookie("Bearer%20" + goneTok), 401, unauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, nil, "GET", "/api/users/me", "", "", tt.hdr)
			if r.status != tt.wantStatus || r.body != tt.wantBody {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestBrowserSession follows a browser's cookie jar through login, an
// authenticated request and logout.
func TestBrowserSession(t *testing.T) {
	s := newShop(t, 100)
	s.signUp(t, "ann@example.com", "ann", "s3cret-pw")
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	steps := []struct {
		name, method, path, ctype, body string
		wantStatus                      int
		wantBody                        string
	}{
		{"anonymous", "GET", "/api/users/me", "", "", 401, errBody(auth.MsgLoginRequired)},
		{"login with the form", "POST", "/api/auth", formType, "email=ann%40example.com&password=s3cret-pw", 200, ""},
		{"signed in", "GET", "/api/users/me", "", "", 200, `{"user":{"email":"ann@example.com","nickname":"ann"}}`},
		{"logout", "DELETE", "/api/auth", "", "", 200, `{}`},
		{"signed out", "GET", "/api/users/me", "", "", 401, errBody(auth.MsgLoginRequired)},
		{"logout again", "DELETE", "/api/auth", "", "", 200, `{}`},
	}
	for _, st := range steps {
		r := s.send(t, browser, st.method, st.path, st.ctype, st.body, nil)
		if r.status != st.wantStatus || (st.wantBody != "" && r.body != st.wantBody) {
			t.Fatalf("%s: got %d %s, want %d %s", st.name, r.status, r.body, st.wantStatus, st.wantBody)
		}
		if st.method == "DELETE" {
			sc := r.header.Get("Set-Cookie")
			if !strings.HasPrefix(sc, "Authorization=;") || !strings.Contains(sc, "Max-Age=0") || !strings.Contains(sc, "Path=/") {
				t.Errorf("%s: got Set-Cookie %q, want the cookie cleared", st.name, sc)
			}
		}
		u, _ := url.Parse(s.srv.URL)
		if st.name == "signed in" {
			if c := jar.Cookies(u); len(c) != 1 || !strings.HasPrefix(c[0].Value, "Bearer%20") {
				t.Errorf("got jar cookies %v, want the encoded Authorization cookie", c)
			}
		}
		if st.name == "signed out" {
			if c := jar.Cookies(u); len(c) != 0 {
				t.Errorf("got jar cookies %v after logout, want none", c)
			}
		}
	}
}

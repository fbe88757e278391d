package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/livebuy/shop/internal/auth"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	tk, err := auth.NewTokens(testSecret, 0)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tk
}

// sign builds a token the way an attacker or a foreign issuer would.
func sign(t *testing.T, method jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

func TestNewTokens(t *testing.T) {
	tests := []struct {
		name    string
		secret  []byte
		ttl     time.Duration
		wantTTL time.Duration
		wantErr bool
	}{
		{"default ttl", testSecret, 0, auth.DefaultTTL, false},
		{"custom ttl", testSecret, time.Hour, time.Hour, false},
		{"short secret", []byte("short"), 0, 0, true},
		{"no secret", nil, 0, 0, true},
		{"negative ttl", testSecret, -time.Second, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := auth.NewTokens(tt.secret, tt.ttl)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got nil error, want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := tk.TTL(); got != tt.wantTTL {
				t.Fatalf("got TTL %v, want %v", got, tt.wantTTL)
			}
		})
	}
}

func TestIssueVerify(t *testing.T) {
	tk := newTokens(t)
	const id = "65f1c0ffee0000000000abcd"
	s, err := tk.Issue(id)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	got, err := tk.Verify(s)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got != id {
		t.Fatalf("got userId %q, want %q", got, id)
	}

	// The claims are those of the original shop plus iat and exp.
	var c jwt.MapClaims
	parsed, err := jwt.ParseWithClaims(s, &c, func(*jwt.Token) (any, error) { return testSecret, nil })
	if err != nil {
		t.Fatalf("parse issued token: %v", err)
	}
	if alg := parsed.Method.Alg(); alg != "HS256" {
		t.Errorf("got alg %s, want HS256", alg)
	}
	if c["userId"] != id {
		t.Errorf("got userId claim %v, want %s", c["userId"], id)
	}
	iat, _ := c.GetIssuedAt()
	exp, _ := c.GetExpirationTime()
	if iat == nil || exp == nil {
		t.Fatalf("got iat %v exp %v, want both", iat, exp)
	}
	if d := exp.Sub(iat.Time); d != auth.DefaultTTL {
		t.Errorf("got exp-iat %v, want %v", d, auth.DefaultTTL)
	}

	if _, err := tk.Issue(""); err == nil {
		t.Errorf("Issue(\"\"): got nil error, want one")
	}
}

func TestVerifyRefuses(t *testing.T) {
	tk := newTokens(t)
	now := time.Now()
	valid := jwt.MapClaims{"userId": "abc", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, jwt.SigningMethodHS256, testSecret, valid)
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not a token"},
		{"garbage three parts", "a.b.c"},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Hour).Unix()))},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", nil))},
		{"no userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", nil))},
		{"empty userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", ""))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, testSecret, with("iat", now.Add(time.Hour).Unix()))},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), valid)},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
		{"alg none hand made", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."},
		{"alg NONE with HS256 signature", b64([]byte(`{"alg":"NONE","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]},
		{"HS384 same secret", sign(t, jwt.SigningMethodHS384, testSecret, valid)},
		{"HS512 same secret", sign(t, jwt.SigningMethodHS512, testSecret, valid)},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, valid)},
		{"ES256", sign(t, jwt.SigningMethodES256, ecKey, valid)},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"userId":"admin","exp":9999999999}`)) + "." + parts[2]},
		{"no signature", parts[0] + "." + parts[1] + "."},
		{"string userId type", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", map[string]any{"$ne": nil}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tk.Verify(tt.token)
			if err == nil {
				t.Fatalf("got userId %q and nil error, want ErrInvalidToken", id)
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("got error %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	tk := newTokens(t)
	now := time.Now()
	tests := []struct {
		name   string
		exp    time.Time
		wantOK bool
	}{
		{"expired a moment ago", now.Add(-5 * time.Second), true},
		{"expired minutes ago", now.Add(-5 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sign(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"userId": "abc", "iat": now.Add(-time.Hour).Unix(), "exp": tt.exp.Unix()})
			_, err := tk.Verify(s)
			if got := err == nil; got != tt.wantOK {
				t.Fatalf("got ok %v (err %v), want %v", got, err, tt.wantOK)
			}
		})
	}
}

func TestIssuedTokenExpires(t *testing.T) {
	tk, err := auth.NewTokens(testSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Now().Add(-2 * time.Hour)
	auth.SetTokensClock(tk, func() time.Time { return issued })
	s, err := tk.Issue("abc")
	if err != nil {
		t.Fatal(err)
	}
	auth.SetTokensClock(tk, time.Now)
	if id, err := tk.Verify(s); err == nil {
		t.Fatalf("got userId %q, want the expired token refused", id)
	}
}

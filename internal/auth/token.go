package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is how long a token and its cookie stay valid unless configured.
const DefaultTTL = 24 * time.Hour

// MinSecretLen is the shortest HMAC secret NewTokens accepts: HS256 keys
// shorter than the hash output weaken the signature.
const MinSecretLen = 32

// leeway absorbs clock differences between the instances that issue and
// verify a token; it is small because the tokens are issued by the shop itself.
const leeway = 30 * time.Second

// ErrInvalidToken reports a token that is malformed, forged, signed with
// another algorithm or key, expired, or missing its claims.
var ErrInvalidToken = errors.New("auth: invalid token")

// claims are the JWT claims of the original shop (userId) plus the
// registered iat and exp.
type claims struct {
	UserID string `json:"userId"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies the shop's JWTs: HS256 with the claims userId
// (a hex string), iat and exp. Its methods are safe for concurrent use.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns Tokens that sign with secret (at least MinSecretLen
// bytes) and issue tokens valid for ttl (DefaultTTL when ttl is zero).
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: secret is %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("auth: negative token lifetime %v", ttl)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl, now: time.Now}, nil
}

// TTL reports how long an issued token stays valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed token for the user with the given hex id.
func (t *Tokens) Issue(userID string) (string, error) {
	if userID == "" {
		return "", errors.New("auth: issue token: empty user id")
	}
	now := t.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		UserID: userID,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
	})
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// Verify checks token and returns its userId. Only HS256 signed with this
// secret is accepted: alg "none" and every other algorithm are refused, as
// are tokens without exp or userId. Every failure is ErrInvalidToken.
func (t *Tokens) Verify(token string) (string, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return t.secret, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.UserID == "" {
		return "", fmt.Errorf("%w: no userId claim", ErrInvalidToken)
	}
	return c.UserID, nil
}

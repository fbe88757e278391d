// Package auth authenticates the shop's users: it issues and verifies the
// HS256 JWTs carried in the Authorization cookie or header, puts the signed-in
// user into the request context, guards routes that need a user or an admin,
// and serves login and logout.
//
// It imports no domain package. It declares what it needs from the user store
// (CredentialChecker, UserLookup) and the program wires the concrete types.
package auth

import "context"

// MsgLoginRequired is shown to a request that needs a signed-in user and has
// none, an invalid or expired token, or a token for a deleted user.
const MsgLoginRequired = "로그인 후 이용 가능한 기능입니다."

// MsgAdminOnly is shown to a signed-in user who is not an admin.
const MsgAdminOnly = "관리자만 이용할 수 있는 기능입니다."

// Principal is the signed-in user a request acts for.
type Principal struct {
	UserID   string // the user's id as a hex string
	Email    string
	Nickname string
}

type principalKey struct{}

// NewContext returns a copy of ctx that carries p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal stored in ctx and whether there is one.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

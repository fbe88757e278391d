// Package users holds the shop's accounts: sign-up with validation, password
// hashing with bcrypt, and the credential check and user lookup that package
// auth consumes.
package users

import (
	"context"
	"time"
)

// Messages shown for refused sign-ups.
const (
	MsgPasswordMismatch    = "패스워드가 패스워드 확인란과 다릅니다."
	MsgTaken               = "이메일 또는 닉네임이 이미 사용중입니다."
	MsgInvalidEmail        = "이메일 형식이 올바르지 않습니다."
	MsgInvalidNickname     = "닉네임은 2~20자의 글자 또는 숫자로만 이루어져야 합니다."
	MsgPasswordTooShort    = "패스워드는 8자 이상이어야 합니다."
	MsgPasswordTooLong     = "패스워드는 72바이트(영문 72자, 한글 24자) 이하여야 합니다."
	MsgPasswordHasNickname = "패스워드에 닉네임을 포함할 수 없습니다."
)

// User is an account of the shop.
type User struct {
	ID           string // hex ObjectID, assigned by the Store
	Email        string // lower-cased
	Nickname     string
	PasswordHash []byte // bcrypt
	CreatedAt    time.Time
}

// Store keeps users. Implementations map their failures to *errs.Error.
type Store interface {
	// Create inserts u and sets u.ID. An email or nickname already in use
	// yields errs.Conflict; the store's unique indexes decide, so that two
	// concurrent identical sign-ups cannot both succeed.
	Create(ctx context.Context, u *User) error
	// ByEmail returns the user with this (lower-cased) email, or errs.NotFound.
	ByEmail(ctx context.Context, email string) (User, error)
	// ByID returns the user with this hex id, or errs.NotFound (also for an
	// id that is not a valid hex ObjectID).
	ByID(ctx context.Context, id string) (User, error)
}

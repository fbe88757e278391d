package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/errs"
)

// Service signs users up and checks their credentials. It implements
// auth.CredentialChecker and auth.UserLookup.
type Service struct {
	store Store
	cost  int
	// dummyHash is compared against when an email is unknown, so that a
	// login for an unknown email costs as much as one with a wrong password.
	dummyHash []byte
	now       func() time.Time
}

var (
	_ auth.CredentialChecker = (*Service)(nil)
	_ auth.UserLookup        = (*Service)(nil)
)

// NewService returns a Service keeping users in store and hashing passwords
// with the given bcrypt cost: 0 means bcrypt.DefaultCost; tests pass
// bcrypt.MinCost to stay fast.
func NewService(store Store, bcryptCost int) (*Service, error) {
	if bcryptCost == 0 {
		bcryptCost = bcrypt.DefaultCost
	}
	if bcryptCost < bcrypt.MinCost || bcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("users: bcrypt cost %d outside %d..%d", bcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("no user has this password"), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("users: hash the dummy password: %w", err)
	}
	return &Service{store: store, cost: bcryptCost, dummyHash: dummy, now: time.Now}, nil
}

// SignUp creates a user after checking, in this order: that password equals
// confirm, that email is a plain address of at most 254 bytes, that nickname
// has 2–20 letters or digits, and that password has at least 8 characters,
// at most 72 bytes and does not contain the nickname in any case. Each broken
// rule, and an email or nickname already in use, is an errs.Invalid error
// with a message for the user. The email is stored lower-cased.
func (s *Service) SignUp(ctx context.Context, email, nickname, password, confirm string) (User, error) {
	email, nickname = normalizeEmail(email), normalizeNickname(nickname)
	if err := validateSignUp(email, nickname, password, confirm); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("users: hash password: %w", err)
	}
	u := User{Email: email, Nickname: nickname, PasswordHash: hash, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	if err := s.store.Create(ctx, &u); err != nil {
		if errs.Is(err, errs.Conflict) {
			// The contract answers a taken email or nickname with 400.
			return User{}, &errs.Error{Kind: errs.Invalid, Message: MsgTaken, Err: err}
		}
		return User{}, fmt.Errorf("users: sign up: %w", err)
	}
	return u, nil
}

// CheckCredentials returns the Principal of the user with this email and
// password. An unknown email and a wrong password both yield
// errs.Unauthorized after one bcrypt comparison each, so neither the answer
// nor its timing tells which accounts exist.
func (s *Service) CheckCredentials(ctx context.Context, email, password string) (auth.Principal, error) {
	email = normalizeEmail(email)
	hash := s.dummyHash
	var u User
	found := false
	if email != "" && len(email) <= MaxEmailLen {
		var err error
		u, err = s.store.ByEmail(ctx, email)
		switch {
		case err == nil:
			hash, found = u.PasswordHash, true
		case !errs.Is(err, errs.NotFound):
			return auth.Principal{}, fmt.Errorf("users: check credentials: %w", err)
		}
	}
	// Longer passwords were never accepted at sign-up; bcrypt would compare
	// only their first 72 bytes.
	tooLong := len(password) > MaxPasswordBytes
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	switch {
	case err == nil && found && !tooLong:
		return principal(u), nil
	case err == nil || errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return auth.Principal{}, errs.E(errs.Unauthorized, auth.MsgBadCredentials)
	default:
		return auth.Principal{}, fmt.Errorf("users: compare password hash: %w", err)
	}
}

// LookupUser returns the Principal of the user with the hex id, or
// errs.NotFound when there is none.
func (s *Service) LookupUser(ctx context.Context, id string) (auth.Principal, error) {
	u, err := s.store.ByID(ctx, id)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("users: look up %s: %w", id, err)
	}
	return principal(u), nil
}

func principal(u User) auth.Principal {
	return auth.Principal{UserID: u.ID, Email: u.Email, Nickname: u.Nickname}
}

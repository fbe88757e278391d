package users_test

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/users"
)

func TestNewServiceCost(t *testing.T) {
	tests := []struct {
		cost    int
		wantErr bool
	}{
		{0, false},
		{bcrypt.MinCost, false},
		{bcrypt.MinCost - 1, true},
		{bcrypt.MaxCost + 1, true},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			_, err := users.NewService(nil, tt.cost)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("NewService(cost %d): got error %v, want error %v", tt.cost, err, tt.wantErr)
			}
		})
	}
}

func TestSignUpHashesPassword(t *testing.T) {
	db := dbtest.Migrated(t)
	store := users.NewMongoStore(db)
	svc, err := users.NewService(store, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.SignUp(t.Context(), " Ann@Example.COM", "ann", "s3cret-pw", "s3cret-pw")
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.ByID(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "ann@example.com" {
		t.Errorf("got stored email %q, want ann@example.com", got.Email)
	}
	if string(got.PasswordHash) == "s3cret-pw" || bcrypt.CompareHashAndPassword(got.PasswordHash, []byte("s3cret-pw")) != nil {
		t.Errorf("got stored hash %q, want a bcrypt hash of the password", got.PasswordHash)
	}
	if p, err := svc.LookupUser(t.Context(), u.ID); err != nil || p.Nickname != "ann" || p.UserID != u.ID {
		t.Errorf("LookupUser: got %+v, %v, want ann", p, err)
	}
	if _, err := svc.LookupUser(t.Context(), "000000000000000000000000"); !errs.Is(err, errs.NotFound) {
		t.Errorf("LookupUser of an unknown id: got %v, want NotFound", err)
	}
}

// BenchmarkCheckCredentials shows that an unknown email costs about as much
// as a wrong password (one bcrypt comparison at the production cost).
func BenchmarkCheckCredentials(b *testing.B) {
	db := dbtest.Migrated(b)
	svc, err := users.NewService(users.NewMongoStore(db), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SignUp(b.Context(), "ann@example.com", "ann", "s3cret-pw", "s3cret-pw"); err != nil {
		b.Fatal(err)
	}
	cases := []struct{ name, email, password string }{
		{"right", "ann@example.com", "s3cret-pw"},
		{"wrong-password", "ann@example.com", "wrong-pw"},
		{"unknown-email", "nobody@example.com", "s3cret-pw"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = svc.CheckCredentials(b.Context(), c.email, c.password)
			}
		})
	}
}

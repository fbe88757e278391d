package users_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/users"
)

func TestMongoStore(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { storeSuite(t, dbtest.Migrated(t)) })
	t.Run("mongo7", func(t *testing.T) { storeSuite(t, dbtest.Container(t)) })
}

// storeSuite checks a users.Store on a migrated database. Each subtest uses
// its own emails and nicknames, so they share the database.
func storeSuite(t *testing.T, db *mongo.Database) {
	s := users.NewMongoStore(db)
	ctx := t.Context()
	count := func(t *testing.T) int64 {
		t.Helper()
		n, err := db.Collection(users.Collection).CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatalf("count users: %v", err)
		}
		return n
	}
	create := func(t *testing.T, email, nickname string) users.User {
		t.Helper()
		u := users.User{Email: email, Nickname: nickname, PasswordHash: []byte("$2a$04$hash"), CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if err := s.Create(ctx, &u); err != nil {
			t.Fatalf("Create(%s, %s): %v", email, nickname, err)
		}
		return u
	}

	t.Run("round trip", func(t *testing.T) {
		u := create(t, "round@example.com", "round")
		if _, err := bson.ObjectIDFromHex(u.ID); err != nil {
			t.Fatalf("got ID %q, want a hex ObjectID", u.ID)
		}
		for _, get := range []struct {
			name string
			fn   func() (users.User, error)
		}{
			{"ByEmail", func() (users.User, error) { return s.ByEmail(ctx, "round@example.com") }},
			{"ByID", func() (users.User, error) { return s.ByID(ctx, u.ID) }},
		} {
			got, err := get.fn()
			if err != nil {
				t.Fatalf("%s: %v", get.name, err)
			}
			if got.ID != u.ID || got.Email != u.Email || got.Nickname != u.Nickname ||
				string(got.PasswordHash) != string(u.PasswordHash) || !got.CreatedAt.Equal(u.CreatedAt) {
				t.Errorf("%s: got %+v, want %+v", get.name, got, u)
			}
		}
	})

	t.Run("stored fields", func(t *testing.T) {
		u := create(t, "fields@example.com", "fields")
		oid, _ := bson.ObjectIDFromHex(u.ID)
		var raw bson.M
		if err := db.Collection(users.Collection).FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Decode(&raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"_id", "email", "nickname", "passwordHash", "createdAt"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("got document %v, want field %s", raw, k)
			}
		}
		if len(raw) != 5 {
			t.Errorf("got %d fields %v, want 5", len(raw), raw)
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		create(t, "dup@example.com", "dupnick")
		before := count(t)
		tests := []struct{ name, email, nickname string }{
			{"same email", "dup@example.com", "othernick"},
			{"same nickname", "other@example.com", "dupnick"},
			{"both", "dup@example.com", "dupnick"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := users.User{Email: tt.email, Nickname: tt.nickname, PasswordHash: []byte("h"), CreatedAt: time.Now()}
				err := s.Create(ctx, &u)
				if !errs.Is(err, errs.Conflict) {
					t.Fatalf("got %v, want Conflict", err)
				}
				if u.ID != "" {
					t.Errorf("got ID %q set on a failed create, want empty", u.ID)
				}
			})
		}
		if after := count(t); after != before {
			t.Errorf("got %d users after refused creates, want %d", after, before)
		}
	})

	t.Run("not found", func(t *testing.T) {
		tests := []struct {
			name string
			fn   func() (users.User, error)
		}{
			{"unknown email", func() (users.User, error) { return s.ByEmail(ctx, "nobody@example.com") }},
			{"operator-looking email", func() (users.User, error) { return s.ByEmail(ctx, `{"$ne":null}`) }},
			{"empty email", func() (users.User, error) { return s.ByEmail(ctx, "") }},
			{"unknown id", func() (users.User, error) { return s.ByID(ctx, bson.NewObjectID().Hex()) }},
			{"malformed id", func() (users.User, error) { return s.ByID(ctx, "not-an-id") }},
			{"empty id", func() (users.User, error) { return s.ByID(ctx, "") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := tt.fn()
				if !errs.Is(err, errs.NotFound) {
					t.Fatalf("got %+v, %v, want NotFound", u, err)
				}
			})
		}
	})

	t.Run("concurrent identical creates", func(t *testing.T) {
		before := count(t)
		const n = 4
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				u := users.User{Email: "race@example.com", Nickname: "racer", PasswordHash: []byte("h"), CreatedAt: time.Now()}
				results[i] = s.Create(context.WithoutCancel(ctx), &u)
			})
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				conflicts++
			default:
				t.Errorf("got error %v, want nil or Conflict", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Errorf("got %d created and %d conflicts, want 1 and %d", ok, conflicts, n-1)
		}
		if after := count(t); after != before+1 {
			t.Errorf("got %d users, want %d", after, before+1)
		}
	})
}

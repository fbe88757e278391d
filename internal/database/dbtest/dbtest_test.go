package dbtest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/database"
	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/migrations"
)

func TestNewIsEmptyAndPrivate(t *testing.T) {
	t.Parallel()
	a, b := dbtest.New(t), dbtest.New(t)
	ctx := t.Context()
	if _, err := a.Collection("things").InsertOne(ctx, bson.D{{Key: "n", Value: 1}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	tests := []struct {
		name string
		want int64
		n    func() (int64, error)
	}{
		{"written database", 1, func() (int64, error) { return a.Collection("things").CountDocuments(ctx, bson.D{}) }},
		{"other database", 0, func() (int64, error) { return b.Collection("things").CountDocuments(ctx, bson.D{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.n()
			if err != nil {
				t.Fatalf("count: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %d documents, want %d", got, tt.want)
			}
		})
	}
}

func TestMigratedHasSeedCatalogue(t *testing.T) {
	t.Parallel()
	db := dbtest.Migrated(t)
	n, err := db.Collection("goods").CountDocuments(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("count goods: %v", err)
	}
	if n != 8 {
		t.Errorf("got %d goods, want 8", n)
	}
}

func TestContainer(t *testing.T) {
	db := dbtest.Container(t)
	n, err := db.Collection("goods").CountDocuments(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("count goods: %v", err)
	}
	if n != 8 {
		t.Errorf("got %d goods, want 8", n)
	}
}

// BenchmarkEmbedded measures what dbtest.New and dbtest.Migrated cost a
// test (noSync=true, as dbtest runs it) and what migrating costs the shop
// at its first start (noSync=false): start an embedded server, optionally
// migrate, stop it.
func BenchmarkEmbedded(b *testing.B) {
	for _, bc := range []struct{ migrate, noSync bool }{{false, true}, {true, true}, {true, false}} {
		b.Run(fmt.Sprintf("migrate=%v/noSync=%v", bc.migrate, bc.noSync), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				db, err := database.Open(ctx, database.Config{DataDir: b.TempDir(), NoSync: bc.noSync})
				if err != nil {
					b.Fatal(err)
				}
				if bc.migrate {
					if err := migrations.Apply(ctx, db.Database(), nil); err != nil {
						b.Fatal(err)
					}
				}
				if err := db.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMongoDBURI runs the MONGODB_URI path against a server of its own
// (an embedded one, standing in for a real MongoDB).
func TestMongoDBURI(t *testing.T) {
	server, err := database.Open(t.Context(), database.Config{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := server.Close(context.Background()); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	t.Setenv("MONGODB_URI", "mongodb://"+server.EmbeddedAddr()+"/")

	var names []string
	for _, tc := range []struct {
		name  string
		new   func(testing.TB) *mongo.Database
		goods int64
	}{
		{"New", dbtest.New, 0},
		{"Migrated", dbtest.Migrated, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.new(t)
			names = append(names, db.Name())
			if db.Client() == server.Client() || db.Name() == database.DefaultName {
				t.Errorf("got database %q on the server's own client, want a unique one", db.Name())
			}
			n, err := db.Collection("goods").CountDocuments(t.Context(), bson.D{})
			if err != nil {
				t.Fatalf("count goods: %v", err)
			}
			if n != tc.goods {
				t.Errorf("got %d goods, want %d", n, tc.goods)
			}
			// Make sure the database exists, so that its drop is observable.
			if _, err := db.Collection("c").InsertOne(t.Context(), bson.D{}); err != nil {
				t.Fatalf("insert: %v", err)
			}
			all, err := server.Client().ListDatabaseNames(t.Context(), bson.D{})
			if err != nil {
				t.Fatalf("list databases: %v", err)
			}
			if !slices.Contains(all, db.Name()) {
				t.Errorf("databases on the server: got %v, want %s among them", all, db.Name())
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Errorf("database names: got %v, want two different names", names)
	}
	left, err := server.Client().ListDatabaseNames(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("list databases: %v", err)
	}
	for _, n := range names {
		if slices.Contains(left, n) {
			t.Errorf("database %s still exists after its test, want it dropped", n)
		}
	}
}

package dbtest_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/livebuy/shop/internal/database/dbtest"
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

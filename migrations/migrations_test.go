package migrations_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/migrations"
)

func TestEmbedded(t *testing.T) {
	t.Parallel()
	suite(t, dbtest.New)
}

func TestContainer(t *testing.T) {
	// One container serves every subtest; each takes a fresh database on it.
	server := dbtest.Container(t).Client()
	var n int
	var mu sync.Mutex
	suite(t, func(t testing.TB) *mongo.Database {
		mu.Lock()
		n++
		name := fmt.Sprintf("migrations_%d_%d", time.Now().UnixNano(), n)
		mu.Unlock()
		db := server.Database(name)
		t.Cleanup(func() {
			if err := db.Drop(context.Background()); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		})
		return db
	})
}

// suite checks the migrations on empty databases from newDB.
func suite(t *testing.T, newDB func(testing.TB) *mongo.Database) {
	t.Run("ApplyCreatesIndexesSeedAndRecords", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		apply(t, db)
		checkMigrated(t, db)
	})
	t.Run("SecondApplyIsNoOp", func(t *testing.T) {
		t.Parallel()
		testSecondApplyIsNoOp(t, newDB(t))
	})
	t.Run("SeedKeepsExistingGoods", func(t *testing.T) {
		t.Parallel()
		testSeedKeepsExistingGoods(t, newDB(t))
	})
	t.Run("ReapplyOverExistingIndexes", func(t *testing.T) {
		t.Parallel()
		testReapplyOverExistingIndexes(t, newDB(t))
	})
	t.Run("ConcurrentApply", func(t *testing.T) {
		t.Parallel()
		testConcurrentApply(t, newDB(t))
	})
	t.Run("UniqueIndexes", func(t *testing.T) {
		t.Parallel()
		testUniqueIndexes(t, newDB(t))
	})
}

func apply(t *testing.T, db *mongo.Database) {
	t.Helper()
	if err := migrations.Apply(t.Context(), db, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// checkMigrated verifies that db holds every index once, every seed good
// once, and one record per step.
func checkMigrated(t *testing.T, db *mongo.Database) {
	t.Helper()
	ctx := t.Context()
	wantIndexes := map[string][]string{
		"users":  {"_id_", migrations.IndexUsersEmail, migrations.IndexUsersNickname},
		"goods":  {"_id_", migrations.IndexGoodsID, migrations.IndexGoodsName},
		"carts":  {"_id_", migrations.IndexCartsUserGoods},
		"orders": {"_id_", migrations.IndexOrdersUserTime},
	}
	for coll, want := range wantIndexes {
		got := indexNames(t, db.Collection(coll))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s indexes: got %v, want %v", coll, got, want)
		}
	}

	items, err := migrations.Catalogue()
	if err != nil {
		t.Fatalf("Catalogue: %v", err)
	}
	n, err := db.Collection("goods").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatalf("count goods: %v", err)
	}
	if n != int64(len(items)) {
		t.Errorf("got %d goods, want %d", n, len(items))
	}
	for _, it := range items {
		var got struct {
			GoodsID      int64  `bson:"goodsId"`
			Name         string `bson:"name"`
			Category     string `bson:"category"`
			Price        int64  `bson:"price"`
			ThumbnailURL string `bson:"thumbnailUrl"`
		}
		err := db.Collection("goods").FindOne(ctx, bson.D{{Key: "goodsId", Value: it.GoodsID}}).Decode(&got)
		if err != nil {
			t.Errorf("find good %d: %v", it.GoodsID, err)
			continue
		}
		want := it
		if got.Name != want.Name || got.Category != want.Category || got.Price != want.Price || got.ThumbnailURL != want.ThumbnailURL {
			t.Errorf("good %d: got %+v, want %+v", it.GoodsID, got, want)
		}
	}

	recs := records(t, db)
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
		if r.AppliedAt.IsZero() {
			t.Errorf("record %s: got zero appliedAt, want a time", r.ID)
		}
	}
	if want := []string{"0001_unique_indexes", "0002_seed_catalogue"}; !slices.Equal(ids, want) {
		t.Errorf("records: got %v, want %v", ids, want)
	}
}

func indexNames(t *testing.T, coll *mongo.Collection) []string {
	t.Helper()
	specs, err := coll.Indexes().ListSpecifications(t.Context())
	if err != nil {
		t.Fatalf("list indexes of %s: %v", coll.Name(), err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

func records(t *testing.T, db *mongo.Database) []migrations.Applied {
	t.Helper()
	cur, err := db.Collection(migrations.Collection).Find(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("find records: %v", err)
	}
	var recs []migrations.Applied
	if err := cur.All(t.Context(), &recs); err != nil {
		t.Fatalf("read records: %v", err)
	}
	slices.SortFunc(recs, func(a, b migrations.Applied) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return recs
}

func testSecondApplyIsNoOp(t *testing.T, db *mongo.Database) {
	ctx := t.Context()
	apply(t, db)
	before := records(t, db)

	// An admin deletes one seeded good and reprices another; a second
	// start must not undo either.
	goods := db.Collection("goods")
	if _, err := goods.DeleteOne(ctx, bson.D{{Key: "goodsId", Value: 1}}); err != nil {
		t.Fatalf("delete good 1: %v", err)
	}
	reprice := bson.D{{Key: "$set", Value: bson.D{{Key: "price", Value: int64(1)}}}}
	if _, err := goods.UpdateOne(ctx, bson.D{{Key: "goodsId", Value: 2}}, reprice); err != nil {
		t.Fatalf("reprice good 2: %v", err)
	}

	apply(t, db)

	if n, err := goods.CountDocuments(ctx, bson.D{{Key: "goodsId", Value: 1}}); err != nil || n != 0 {
		t.Errorf("deleted good 1: got count %d (err %v), want 0", n, err)
	}
	var g struct {
		Price int64 `bson:"price"`
	}
	if err := goods.FindOne(ctx, bson.D{{Key: "goodsId", Value: 2}}).Decode(&g); err != nil {
		t.Fatalf("find good 2: %v", err)
	}
	if g.Price != 1 {
		t.Errorf("repriced good 2: got price %d, want 1", g.Price)
	}
	after := records(t, db)
	if !slices.EqualFunc(before, after, func(a, b migrations.Applied) bool {
		return a.ID == b.ID && a.AppliedAt.Equal(b.AppliedAt)
	}) {
		t.Errorf("records after second Apply: got %v, want %v", after, before)
	}
}

func testSeedKeepsExistingGoods(t *testing.T, db *mongo.Database) {
	ctx := t.Context()
	// A good that exists before the seed runs keeps its fields.
	existing := bson.D{
		{Key: "goodsId", Value: int64(3)},
		{Key: "name", Value: "녹차라떼"},
		{Key: "category", Value: "drink"},
		{Key: "price", Value: int64(12345)},
		{Key: "thumbnailUrl", Value: "/images/goods/custom.svg"},
	}
	if _, err := db.Collection("goods").InsertOne(ctx, existing); err != nil {
		t.Fatalf("insert good 3: %v", err)
	}
	apply(t, db)

	cur, err := db.Collection("goods").Find(ctx, bson.D{{Key: "goodsId", Value: 3}})
	if err != nil {
		t.Fatalf("find good 3: %v", err)
	}
	var got []struct {
		Price        int64  `bson:"price"`
		ThumbnailURL string `bson:"thumbnailUrl"`
	}
	if err := cur.All(ctx, &got); err != nil {
		t.Fatalf("read good 3: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d goods with goodsId 3, want 1", len(got))
	}
	if got[0].Price != 12345 || got[0].ThumbnailURL != "/images/goods/custom.svg" {
		t.Errorf("good 3: got %+v, want price 12345 and the custom thumbnail", got[0])
	}
	n, err := db.Collection("goods").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatalf("count goods: %v", err)
	}
	if n != 8 {
		t.Errorf("got %d goods, want 8", n)
	}
}

// testReapplyOverExistingIndexes is what an instance sees when another
// created the indexes but has not yet recorded the step: every index exists
// and no record does.
func testReapplyOverExistingIndexes(t *testing.T, db *mongo.Database) {
	apply(t, db)
	if _, err := db.Collection(migrations.Collection).DeleteMany(t.Context(), bson.D{}); err != nil {
		t.Fatalf("delete records: %v", err)
	}
	apply(t, db)
	checkMigrated(t, db)
}

func testConcurrentApply(t *testing.T, db *mongo.Database) {
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	start := make(chan struct{})
	for i := range instances {
		wg.Go(func() {
			<-start
			errs[i] = migrations.Apply(t.Context(), db, nil)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply %d: got %v, want nil", i, err)
		}
	}
	checkMigrated(t, db)
}

func testUniqueIndexes(t *testing.T, db *mongo.Database) {
	apply(t, db)
	alice, bob := bson.NewObjectID(), bson.NewObjectID()
	tests := []struct {
		name      string
		coll      string
		first     bson.D
		second    bson.D
		duplicate bool
	}{
		{"same email", "users",
			bson.D{{Key: "email", Value: "a@example.com"}, {Key: "nickname", Value: "a"}},
			bson.D{{Key: "email", Value: "a@example.com"}, {Key: "nickname", Value: "b"}}, true},
		{"same nickname", "users",
			bson.D{{Key: "email", Value: "c@example.com"}, {Key: "nickname", Value: "c"}},
			bson.D{{Key: "email", Value: "d@example.com"}, {Key: "nickname", Value: "c"}}, true},
		{"different users", "users",
			bson.D{{Key: "email", Value: "e@example.com"}, {Key: "nickname", Value: "e"}},
			bson.D{{Key: "email", Value: "f@example.com"}, {Key: "nickname", Value: "f"}}, false},
		{"same goodsId", "goods",
			bson.D{{Key: "goodsId", Value: int64(100)}, {Key: "name", Value: "x"}},
			bson.D{{Key: "goodsId", Value: int64(100)}, {Key: "name", Value: "y"}}, true},
		{"same goods name", "goods",
			bson.D{{Key: "goodsId", Value: int64(101)}, {Key: "name", Value: "z"}},
			bson.D{{Key: "goodsId", Value: int64(102)}, {Key: "name", Value: "z"}}, true},
		{"seeded goods name", "goods",
			bson.D{{Key: "goodsId", Value: int64(103)}, {Key: "name", Value: "w"}},
			bson.D{{Key: "goodsId", Value: int64(104)}, {Key: "name", Value: "아메리카노"}}, true},
		{"same cart row", "carts",
			bson.D{{Key: "userId", Value: alice}, {Key: "goodsId", Value: int64(1)}},
			bson.D{{Key: "userId", Value: alice}, {Key: "goodsId", Value: int64(1)}}, true},
		{"same goods other user", "carts",
			bson.D{{Key: "userId", Value: alice}, {Key: "goodsId", Value: int64(2)}},
			bson.D{{Key: "userId", Value: bob}, {Key: "goodsId", Value: int64(2)}}, false},
		{"orders may repeat", "orders",
			bson.D{{Key: "userId", Value: alice}, {Key: "createdAt", Value: time.Unix(1, 0)}},
			bson.D{{Key: "userId", Value: alice}, {Key: "createdAt", Value: time.Unix(1, 0)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			coll := db.Collection(tt.coll)
			if _, err := coll.InsertOne(t.Context(), tt.first); err != nil {
				t.Fatalf("first insert: %v", err)
			}
			_, err := coll.InsertOne(t.Context(), tt.second)
			if got := mongo.IsDuplicateKeyError(err); got != tt.duplicate {
				t.Errorf("second insert: got duplicate key %v (err %v), want %v", got, err, tt.duplicate)
			}
			if err != nil {
				t.Logf("duplicate key error: %v", err)
			}
		})
	}
}

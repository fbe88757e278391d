package migrations

import (
	"context"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Index names, stable so that a store can tell from a duplicate key error
// which rule was broken.
const (
	IndexUsersEmail     = "users_email_unique"
	IndexUsersNickname  = "users_nickname_unique"
	IndexGoodsID        = "goods_goodsId_unique"
	IndexGoodsName      = "goods_name_unique"
	IndexCartsUserGoods = "carts_userId_goodsId_unique"
	IndexOrdersUserTime = "orders_userId_createdAt"
)

// indexes lists the indexes of 0001 by collection.
func indexes() map[string][]mongo.IndexModel {
	unique := func(name string, keys bson.D) mongo.IndexModel {
		return mongo.IndexModel{Keys: keys, Options: options.Index().SetName(name).SetUnique(true)}
	}
	return map[string][]mongo.IndexModel{
		"users": {
			unique(IndexUsersEmail, bson.D{{Key: "email", Value: 1}}),
			unique(IndexUsersNickname, bson.D{{Key: "nickname", Value: 1}}),
		},
		"goods": {
			unique(IndexGoodsID, bson.D{{Key: "goodsId", Value: 1}}),
			unique(IndexGoodsName, bson.D{{Key: "name", Value: 1}}),
		},
		"carts": {
			unique(IndexCartsUserGoods, bson.D{{Key: "userId", Value: 1}, {Key: "goodsId", Value: 1}}),
		},
		"orders": {
			{
				Keys:    bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}},
				Options: options.Index().SetName(IndexOrdersUserTime),
			},
		},
	}
}

// createIndexes is idempotent: creating an index that exists with the same
// keys, name and options does nothing.
func createIndexes(ctx context.Context, db *mongo.Database, _ *slog.Logger) error {
	// A fixed order keeps logs and failures reproducible.
	for _, coll := range []string{"users", "goods", "carts", "orders"} {
		models := indexes()[coll]
		if _, err := db.Collection(coll).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("create indexes on %s: %w", coll, err)
		}
	}
	return nil
}

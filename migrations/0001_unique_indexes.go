package migrations

import (
	"context"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Index names. MongoDB names the violated index in a duplicate key error;
// FerretDB v1 does not (its message stops at the collection), so a store
// that must tell, say, a taken email from a taken nickname has to look the
// values up after the error instead of parsing it.
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
//
// Indexes are created one per command: FerretDB v1.24 panics and drops the
// connection when one createIndexes command lists two or more indexes that
// already exist, which is exactly what a second instance starting at the
// same time sends.
func createIndexes(ctx context.Context, db *mongo.Database, _ *slog.Logger) error {
	// A fixed order keeps logs and failures reproducible.
	for _, coll := range []string{"users", "goods", "carts", "orders"} {
		for _, model := range indexes()[coll] {
			if _, err := db.Collection(coll).Indexes().CreateOne(ctx, model); err != nil {
				return fmt.Errorf("create index on %s: %w", coll, err)
			}
		}
	}
	return nil
}

package migrations

import (
	"context"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// seedCatalogue inserts the goods of the catalogue that are missing. Fields
// are set only on insert, so a good an admin changed keeps its changes.
func seedCatalogue(ctx context.Context, db *mongo.Database, log *slog.Logger) error {
	items, err := Catalogue()
	if err != nil {
		return err
	}
	goods := db.Collection("goods")
	for _, it := range items {
		filter := bson.D{{Key: "goodsId", Value: it.GoodsID}}
		update := bson.D{{Key: "$setOnInsert", Value: bson.D{
			{Key: "goodsId", Value: it.GoodsID},
			{Key: "name", Value: it.Name},
			{Key: "thumbnailUrl", Value: it.ThumbnailURL},
			{Key: "category", Value: it.Category},
			{Key: "price", Value: it.Price},
		}}}
		err := upsert(ctx, goods, filter, update)
		if mongo.IsDuplicateKeyError(err) {
			// Another good already has this name: the catalogue predates
			// this database's own goods, which win.
			log.WarnContext(ctx, "seed good skipped: its name is taken", "goodsId", it.GoodsID, "name", it.Name)
			continue
		}
		if err != nil {
			return fmt.Errorf("seed good %d: %w", it.GoodsID, err)
		}
	}
	return nil
}

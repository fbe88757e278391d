// Package migrations brings a shop database to the schema the code expects:
// unique indexes first, then the seed catalogue. The steps are Go functions
// in numbered files, compiled into the binary, applied in order at start and
// recorded in the "migrations" collection as {_id: "<version>_<name>",
// appliedAt}.
//
// The runner is written here rather than taken from a library because none
// fits the database subset the shop keeps to (the same behaviour on MongoDB
// and on the embedded FerretDB v1): golang-migrate's MongoDB driver keeps one
// {version, dirty} document that it drops and rewrites, runs steps as raw
// JSON commands, and guards them with a lock document that has no expiry, so
// a crash leaves the database locked and "dirty" until someone forces it by
// hand; the other Go MongoDB migrators still use the v1 driver.
//
// Two instances may start at once against one database. Rather than a lock
// (which would need an expiry, and FerretDB has no TTL indexes, so stale
// locks would need clock-based takeover), every step is idempotent:
// createIndexes on an existing identical index does nothing, seed rows are
// upserts keyed on goodsId that only set fields on insert, and the record
// itself is an upsert on _id. Both instances may run a step; the outcome is
// the same as if one had. A step that is recorded is never run again, so
// later changes to seeded rows (an admin editing or deleting a good) stick.
package migrations

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection is the name of the collection that records applied steps.
const Collection = "migrations"

// step is one migration. up must be idempotent: it may run more than once,
// concurrently with itself, when instances start together.
type step struct {
	version string // four digits; steps run in ascending order
	name    string
	up      func(ctx context.Context, db *mongo.Database, log *slog.Logger) error
}

func (s step) id() string { return s.version + "_" + s.name }

// steps lists every migration in the order it runs. New steps go at the end
// with the next version; a released step is never changed.
func steps() []step {
	return []step{
		{version: "0001", name: "unique_indexes", up: createIndexes},
		{version: "0002", name: "seed_catalogue", up: seedCatalogue},
	}
}

// Applied is the record of one applied step in the migrations collection.
type Applied struct {
	ID        string    `bson:"_id"`
	AppliedAt time.Time `bson:"appliedAt"`
}

// Apply runs, in order, every step not yet recorded in db, recording each
// as it completes. It is safe to call again and from several processes at
// once. log may be nil.
func Apply(ctx context.Context, db *mongo.Database, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	done, err := applied(ctx, db)
	if err != nil {
		return err
	}
	known := make(map[string]bool)
	for _, s := range steps() {
		known[s.id()] = true
		if done[s.id()] {
			continue
		}
		start := time.Now()
		if err := s.up(ctx, db, log); err != nil {
			return fmt.Errorf("migrations: %s: %w", s.id(), err)
		}
		if err := record(ctx, db, s.id()); err != nil {
			return err
		}
		log.InfoContext(ctx, "migration applied", "id", s.id(), "took", time.Since(start))
	}
	for id := range done {
		if !known[id] {
			// A newer release ran here; this one can still work with its
			// schema, since steps only add.
			log.WarnContext(ctx, "database has a migration this build does not know", "id", id)
		}
	}
	return nil
}

// applied returns the ids of the recorded steps.
func applied(ctx context.Context, db *mongo.Database) (map[string]bool, error) {
	cur, err := db.Collection(Collection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", Collection, err)
	}
	var recs []Applied
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", Collection, err)
	}
	done := make(map[string]bool, len(recs))
	for _, r := range recs {
		done[r.ID] = true
	}
	return done, nil
}

// record notes that the step id is applied; the first instance to record
// it sets appliedAt.
func record(ctx context.Context, db *mongo.Database, id string) error {
	update := bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "appliedAt", Value: time.Now().UTC()}}}}
	if err := upsert(ctx, db.Collection(Collection), bson.D{{Key: "_id", Value: id}}, update); err != nil {
		return fmt.Errorf("migrations: record %s: %w", id, err)
	}
	return nil
}

// upsert runs an upserting UpdateOne. When two clients upsert the same new
// key at once, both may try the insert and the loser gets a duplicate key
// error (MongoDB retries some such cases itself, FerretDB does not); the
// document exists by then, so one more attempt matches it.
func upsert(ctx context.Context, coll *mongo.Collection, filter, update bson.D) error {
	opts := options.UpdateOne().SetUpsert(true)
	_, err := coll.UpdateOne(ctx, filter, update, opts)
	if mongo.IsDuplicateKeyError(err) {
		_, err = coll.UpdateOne(ctx, filter, update, opts)
	}
	return err
}

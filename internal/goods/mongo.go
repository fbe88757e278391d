package goods

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/livebuy/shop/internal/errs"
)

// Collection names; the migrations create their indexes.
const (
	goodsCollection  = "goods"
	cartsCollection  = "carts"
	ordersCollection = "orders"
)

// MongoStore is the Store on MongoDB, or on FerretDB through the same wire
// protocol. It uses only what both serve alike: no transactions, no
// $lookup, no positional or conditional array updates. Writes use the
// client's write concern, which is the server's default (majority on a
// MongoDB replica set; acknowledged on FerretDB, whose SQLite backend has
// committed the write when it answers).
type MongoStore struct {
	goods  *mongo.Collection
	carts  *mongo.Collection
	orders *mongo.Collection
}

// NewMongoStore returns a MongoStore on db, whose migrations have run.
func NewMongoStore(db *mongo.Database) *MongoStore {
	return &MongoStore{
		goods:  db.Collection(goodsCollection),
		carts:  db.Collection(cartsCollection),
		orders: db.Collection(ordersCollection),
	}
}

type goodsDoc struct {
	ID           bson.ObjectID `bson:"_id,omitempty"`
	GoodsID      int64         `bson:"goodsId"`
	Name         string        `bson:"name"`
	ThumbnailURL string        `bson:"thumbnailUrl"`
	Category     string        `bson:"category"`
	Price        int64         `bson:"price"`
}

type cartDoc struct {
	ID       bson.ObjectID `bson:"_id,omitempty"`
	UserID   bson.ObjectID `bson:"userId"`
	GoodsID  int64         `bson:"goodsId"`
	Quantity int64         `bson:"quantity"`
	AddedAt  time.Time     `bson:"addedAt"`
}

type orderDoc struct {
	ID        bson.ObjectID  `bson:"_id"`
	UserID    bson.ObjectID  `bson:"userId"`
	Items     []orderItemDoc `bson:"items"`
	Total     int64          `bson:"total"`
	CreatedAt time.Time      `bson:"createdAt"`
}

type orderItemDoc struct {
	GoodsID  int64  `bson:"goodsId"`
	Name     string `bson:"name"`
	Price    int64  `bson:"price"`
	Quantity int64  `bson:"quantity"`
}

// ListGoods implements GoodsStore.
func (s *MongoStore) ListGoods(ctx context.Context) ([]Goods, error) {
	cur, err := s.goods.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "goodsId", Value: 1}}))
	if err != nil {
		return nil, dbError(err, "list goods")
	}
	var docs []goodsDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err, "read goods")
	}
	out := make([]Goods, len(docs))
	for i, d := range docs {
		out[i] = Goods{GoodsID: d.GoodsID, Name: d.Name, Price: Money(d.Price), ThumbnailURL: d.ThumbnailURL, Category: d.Category}
	}
	return out, nil
}

// MaxGoodsID implements GoodsStore.
func (s *MongoStore) MaxGoodsID(ctx context.Context) (int64, error) {
	var d goodsDoc
	err := s.goods.FindOne(ctx, bson.D{}, options.FindOne().
		SetSort(bson.D{{Key: "goodsId", Value: -1}}).
		SetProjection(bson.D{{Key: "goodsId", Value: 1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, dbError(err, "find largest goodsId")
	}
	return d.GoodsID, nil
}

// InsertGoods implements GoodsStore. The duplicate-key error does not say
// portably which index refused the document, so on a conflict the name is
// looked up: taken means a duplicate name, free means a duplicate goodsId.
func (s *MongoStore) InsertGoods(ctx context.Context, g Goods) error {
	_, err := s.goods.InsertOne(ctx, goodsDoc{
		GoodsID: g.GoodsID, Name: g.Name, ThumbnailURL: g.ThumbnailURL, Category: g.Category, Price: int64(g.Price),
	})
	if err == nil {
		return nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return dbError(err, "insert goods")
	}
	n, cerr := s.goods.CountDocuments(ctx, bson.D{{Key: "name", Value: g.Name}})
	if cerr != nil {
		return dbError(cerr, "insert goods: find duplicate")
	}
	cause := ErrDuplicateGoodsID
	if n > 0 {
		cause = ErrDuplicateName
	}
	return &errs.Error{Kind: errs.Conflict, Message: cause.Error(), Err: fmt.Errorf("%w: %w", cause, err)}
}

// CartLines implements CartStore.
func (s *MongoStore) CartLines(ctx context.Context, userID string) ([]CartLine, error) {
	uid, err := objectID(userID)
	if err != nil {
		return nil, err
	}
	cur, err := s.carts.Find(ctx, bson.D{{Key: "userId", Value: uid}},
		options.Find().SetSort(bson.D{{Key: "addedAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, dbError(err, "list cart")
	}
	var docs []cartDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err, "read cart")
	}
	out := make([]CartLine, len(docs))
	for i, d := range docs {
		out[i] = CartLine{GoodsID: d.GoodsID, Quantity: int(d.Quantity)}
	}
	return out, nil
}

// AddCartLine implements CartStore.
func (s *MongoStore) AddCartLine(ctx context.Context, userID string, line CartLine, at time.Time) error {
	uid, err := objectID(userID)
	if err != nil {
		return err
	}
	_, err = s.carts.InsertOne(ctx, cartDoc{UserID: uid, GoodsID: line.GoodsID, Quantity: int64(line.Quantity), AddedAt: at.UTC()})
	if err != nil {
		return dbError(err, "add to cart")
	}
	return nil
}

// SetCartLine implements CartStore. Two concurrent upserts of one absent
// line can both try to insert; the unique index refuses the second, which
// then finds the line and updates it.
func (s *MongoStore) SetCartLine(ctx context.Context, userID string, line CartLine, at time.Time) error {
	uid, err := objectID(userID)
	if err != nil {
		return err
	}
	filter := bson.D{{Key: "userId", Value: uid}, {Key: "goodsId", Value: line.GoodsID}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "quantity", Value: int64(line.Quantity)}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "addedAt", Value: at.UTC()}}},
	}
	for attempt := 0; ; attempt++ {
		_, err = s.carts.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) || attempt == 2 {
			return dbError(err, "set cart line")
		}
	}
}

// RemoveCartLine implements CartStore.
func (s *MongoStore) RemoveCartLine(ctx context.Context, userID string, goodsID int64) error {
	uid, err := objectID(userID)
	if err != nil {
		return err
	}
	if _, err := s.carts.DeleteOne(ctx, bson.D{{Key: "userId", Value: uid}, {Key: "goodsId", Value: goodsID}}); err != nil {
		return dbError(err, "remove from cart")
	}
	return nil
}

// RemoveCartLines implements CartStore.
func (s *MongoStore) RemoveCartLines(ctx context.Context, userID string, lines []CartLine) error {
	if len(lines) == 0 {
		return nil
	}
	uid, err := objectID(userID)
	if err != nil {
		return err
	}
	or := make(bson.A, len(lines))
	for i, l := range lines {
		or[i] = bson.D{{Key: "goodsId", Value: l.GoodsID}, {Key: "quantity", Value: int64(l.Quantity)}}
	}
	if _, err := s.carts.DeleteMany(ctx, bson.D{{Key: "userId", Value: uid}, {Key: "$or", Value: or}}); err != nil {
		return dbError(err, "remove ordered lines from cart")
	}
	return nil
}

// InsertOrder implements OrderStore.
func (s *MongoStore) InsertOrder(ctx context.Context, o Order) (string, error) {
	uid, err := objectID(o.UserID)
	if err != nil {
		return "", err
	}
	d := orderDoc{ID: bson.NewObjectID(), UserID: uid, Items: make([]orderItemDoc, len(o.Lines)), Total: int64(o.Total), CreatedAt: o.CreatedAt.UTC()}
	for i, l := range o.Lines {
		d.Items[i] = orderItemDoc{GoodsID: l.GoodsID, Name: l.Name, Price: int64(l.Price), Quantity: int64(l.Quantity)}
	}
	if _, err := s.orders.InsertOne(ctx, d); err != nil {
		return "", dbError(err, "insert order")
	}
	return d.ID.Hex(), nil
}

// Orders implements OrderStore.
func (s *MongoStore) Orders(ctx context.Context, userID string) ([]Order, error) {
	uid, err := objectID(userID)
	if err != nil {
		return nil, err
	}
	cur, err := s.orders.Find(ctx, bson.D{{Key: "userId", Value: uid}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, dbError(err, "list orders")
	}
	var docs []orderDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err, "read orders")
	}
	out := make([]Order, len(docs))
	for i, d := range docs {
		o := Order{ID: d.ID.Hex(), UserID: d.UserID.Hex(), Lines: make([]OrderLine, len(d.Items)), Total: Money(d.Total), CreatedAt: d.CreatedAt.UTC()}
		for j, it := range d.Items {
			o.Lines[j] = OrderLine{GoodsID: it.GoodsID, Name: it.Name, Price: Money(it.Price), Quantity: int(it.Quantity)}
		}
		out[i] = o
	}
	return out, nil
}

// objectID parses a user id; a malformed one cannot name a signed-in user.
func objectID(hex string) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(hex)
	if err != nil {
		return bson.ObjectID{}, &errs.Error{Kind: errs.Unauthorized, Message: msgUnauthorized, Err: fmt.Errorf("goods: user id %q: %w", hex, err)}
	}
	return id, nil
}

// dbError maps a driver error to the domain's kinds: a duplicate key is a
// Conflict, anything else a fault of the server.
func dbError(err error, op string) error {
	err = fmt.Errorf("goods: %s: %w", op, err)
	if mongo.IsDuplicateKeyError(err) {
		return &errs.Error{Kind: errs.Conflict, Message: "이미 존재하는 항목입니다.", Err: err}
	}
	return &errs.Error{Kind: errs.Internal, Message: "데이터베이스 오류가 발생했습니다.", Err: err}
}

package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/errs"
)

// Collection is the name of the users collection.
const Collection = "users"

// MongoStore keeps users in the users collection, whose unique indexes on
// email and nickname the migrations create.
type MongoStore struct {
	coll *mongo.Collection
}

var _ Store = (*MongoStore)(nil)

// NewMongoStore returns a MongoStore on db.
func NewMongoStore(db *mongo.Database) *MongoStore {
	return &MongoStore{coll: db.Collection(Collection)}
}

// userDoc is a user as stored. Every filter built from it holds plain
// strings, so client input can never become a query operator.
type userDoc struct {
	ID           bson.ObjectID `bson:"_id"`
	Email        string        `bson:"email"`
	Nickname     string        `bson:"nickname"`
	PasswordHash string        `bson:"passwordHash"`
	CreatedAt    time.Time     `bson:"createdAt"`
}

// Create inserts u, setting u.ID.
func (s *MongoStore) Create(ctx context.Context, u *User) error {
	doc := userDoc{
		ID:           bson.NewObjectID(),
		Email:        u.Email,
		Nickname:     u.Nickname,
		PasswordHash: string(u.PasswordHash),
		CreatedAt:    u.CreatedAt,
	}
	if _, err := s.coll.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return &errs.Error{Kind: errs.Conflict, Message: MsgTaken, Err: err}
		}
		return fmt.Errorf("users: insert: %w", err)
	}
	u.ID = doc.ID.Hex()
	return nil
}

// ByEmail returns the user with this email.
func (s *MongoStore) ByEmail(ctx context.Context, email string) (User, error) {
	return s.findOne(ctx, bson.D{{Key: "email", Value: email}})
}

// ByID returns the user with the hex id.
func (s *MongoStore) ByID(ctx context.Context, id string) (User, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return User{}, &errs.Error{Kind: errs.NotFound, Message: "사용자를 찾을 수 없습니다.", Err: err}
	}
	return s.findOne(ctx, bson.D{{Key: "_id", Value: oid}})
}

func (s *MongoStore) findOne(ctx context.Context, filter bson.D) (User, error) {
	var doc userDoc
	err := s.coll.FindOne(ctx, filter).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, errs.E(errs.NotFound, "사용자를 찾을 수 없습니다.")
	}
	if err != nil {
		return User{}, fmt.Errorf("users: find: %w", err)
	}
	return User{
		ID:           doc.ID.Hex(),
		Email:        doc.Email,
		Nickname:     doc.Nickname,
		PasswordHash: []byte(doc.PasswordHash),
		CreatedAt:    doc.CreatedAt,
	}, nil
}

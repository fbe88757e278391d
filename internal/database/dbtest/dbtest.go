// Package dbtest gives tests their own MongoDB-wire database.
//
// By default every database lives on its own embedded FerretDB server in
// a temporary directory, so tests need no database server and can
// run in parallel. When MONGODB_URI is set, databases are created on that
// server instead, each with a unique name that is dropped afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/mongodb"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/database"
	"github.com/livebuy/shop/migrations"
)

// timeout bounds each setup and cleanup step; a healthy server needs a
// fraction of it.
const timeout = 30 * time.Second

// New returns an empty database of its own, dropped and disconnected in
// t.Cleanup.
func New(t testing.TB) *mongo.Database {
	t.Helper()
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		return onServer(t, uri)
	}
	return embedded(t)
}

// Migrated returns a database like New with every migration applied: the
// indexes exist and the catalogue is seeded.
func Migrated(t testing.TB) *mongo.Database {
	t.Helper()
	db := New(t)
	migrate(t, db)
	return db
}

// Container returns a migrated database on a mongo:7 server started with
// testcontainers for this call, and skips the test when Docker is not
// available. Starting a container takes seconds, so a suite should call it
// once and run its subtests on the result.
func Container(t testing.TB) *mongo.Database {
	t.Helper()
	skipWithoutDocker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	ctr, err := mongodb.Run(ctx, "mongo:7")
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("dbtest: start mongo:7 container: %v", err)
	}
	uri, err := ctr.ConnectionString(ctx)
	if err != nil {
		t.Fatalf("dbtest: mongo:7 connection string: %v", err)
	}
	db := onServer(t, uri)
	migrate(t, db)
	return db
}

func skipWithoutDocker(t testing.TB) {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		testcontainers.SkipIfProviderIsNotHealthy(tt)
		return
	}
	// Benchmarks and fuzz targets get the same check by hand.
	provider, err := testcontainers.ProviderDocker.GetProvider()
	if err != nil {
		t.Skipf("dbtest: Docker is not available: %v", err)
	}
	defer provider.Close()
	if err := provider.Health(t.Context()); err != nil {
		t.Skipf("dbtest: Docker is not available: %v", err)
	}
}

// embedded starts a server of the test's own in a temporary directory and
// stops it, waiting for its goroutines, and removes the directory in
// t.Cleanup.
func embedded(t testing.TB) *mongo.Database {
	t.Helper()
	// Not t.TempDir: its name comes from the test's, and a '#' or '?' there
	// cannot pass through FerretDB's SQLite URI.
	dir, err := os.MkdirTemp("", "dbtest-")
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	// Cleanups run last-in first-out: the server stops before its files go.
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// The files are deleted after the test, so syncing them buys nothing
	// and costs most of a migrated database's setup time.
	db, err := database.Open(ctx, database.Config{DataDir: dir, NoSync: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := db.Close(ctx); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return db.Database()
}

// onServer connects to uri and returns a database with a unique name,
// dropped in t.Cleanup.
func onServer(t testing.TB, uri string) *mongo.Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	db, err := database.Open(ctx, database.Config{URI: uri, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	d := db.Client().Database(uniqueName())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := d.Drop(ctx); err != nil {
			t.Errorf("dbtest: drop %s: %v", d.Name(), err)
		}
		if err := db.Close(ctx); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return d
}

func migrate(t testing.TB, db *mongo.Database) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := migrations.Apply(ctx, db, testLogger(t)); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
}

// uniqueName returns a database name no other test uses; MongoDB limits
// names to 63 bytes.
func uniqueName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "test_" + hex.EncodeToString(b[:])
}

// testLogger writes warnings and errors into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

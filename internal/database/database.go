// Package database connects the shop to its MongoDB-wire database: a real
// MongoDB named by a URI, or, when no URI is given, an embedded FerretDB
// (SQLite backend) that runs in-process so the shop works on a machine with
// no database server.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// DefaultName is the database used when the URI names none, and always for
// the embedded server.
const DefaultName = "shop"

// Config says which database to open.
type Config struct {
	// URI is a MongoDB connection string. Its path names the database
	// (DefaultName when empty). When URI is empty an embedded server is
	// started instead.
	URI string
	// DataDir holds the embedded server's SQLite files; it is created with
	// mode 0700 if missing. Unused when URI is set.
	DataDir string
	// NoSync stops the embedded server from syncing its files to disk after
	// each write. Writes get many times faster; a crash of the machine (not
	// of the process) may lose recent writes or corrupt the files. Meant for
	// tests, whose databases are thrown away.
	NoSync bool
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// DB is an open database connection and, for the embedded default, the
// server behind it.
type DB struct {
	client   *mongo.Client
	database *mongo.Database
	log      *slog.Logger

	// stopServer and serverDone are nil unless the embedded server runs.
	// stopServer cancels the server's context; serverDone is closed when its
	// goroutine has returned, after every connection and the SQLite backend
	// are closed. serverAddr is the host:port it listens on.
	stopServer context.CancelFunc
	serverDone chan struct{}
	serverAddr string

	closeOnce sync.Once
	closeErr  error
}

// Open connects to cfg.URI, or starts the embedded server when cfg.URI is
// empty, and returns once the database answers a ping. ctx bounds only the
// start; the connection lives until Close.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.URI == "" {
		return openEmbedded(ctx, cfg.DataDir, cfg.NoSync, log)
	}
	name, hosts, err := describeURI(cfg.URI)
	if err != nil {
		return nil, err
	}
	db, err := connect(ctx, cfg.URI, name, log)
	if err != nil {
		return nil, fmt.Errorf("database: connect to %s: %w", hosts, err)
	}
	log.InfoContext(ctx, "database connected", "hosts", hosts, "database", name)
	return db, nil
}

// ferretNewMu serialises ferretdb.New, which writes a field of FerretDB's
// process-wide version record on every call; two servers started at once
// (parallel tests) would otherwise race on it. It guards that third-party
// global, not state of ours.
var ferretNewMu sync.Mutex

func openEmbedded(ctx context.Context, dir string, noSync bool, log *slog.Logger) (*DB, error) {
	if dir == "" {
		return nil, errors.New("database: embedded server needs a data directory")
	}
	// FerretDB hands the directory to SQLite inside a "file:" URI without
	// escaping it, so these characters would cut the path short.
	if strings.ContainsAny(dir, "?#%") {
		return nil, fmt.Errorf("database: data directory %q must not contain ?, # or %%", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("database: create data directory: %w", err)
	}
	sqliteURL := "file:" + dir + "/"
	if noSync {
		sqliteURL += "?_pragma=synchronous(off)"
	}
	ferretNewMu.Lock()
	srv, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		// FerretDB logs every connection at INFO; only its errors matter here.
		Logger:    slog.New(errorsOnly{log.With("component", "ferretdb").Handler()}),
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	ferretNewMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("database: start embedded server in %s: %w", dir, err)
	}

	// The server outlives Open's ctx: it runs until Close cancels runCtx.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Run(runCtx); err != nil {
			log.Error("embedded database stopped", "err", err)
		}
	}()

	uri := srv.MongoDBURI()
	db, err := connect(ctx, uri, DefaultName, log)
	if err != nil {
		stop()
		<-done
		return nil, fmt.Errorf("database: connect to embedded server: %w", err)
	}
	db.stopServer, db.serverDone = stop, done
	db.serverAddr = strings.TrimSuffix(strings.TrimPrefix(uri, "mongodb://"), "/")
	log.InfoContext(ctx, "embedded database started", "dir", dir, "addr", db.serverAddr, "database", DefaultName)
	return db, nil
}

func connect(ctx context.Context, uri, name string, log *slog.Logger) (*DB, error) {
	// The default applies unless the URI sets serverSelectionTimeoutMS.
	opts := options.Client().SetServerSelectionTimeout(10 * time.Second).ApplyURI(uri)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	return &DB{client: client, database: client.Database(name), log: log}, nil
}

// Client returns the connected client.
func (db *DB) Client() *mongo.Client { return db.client }

// Database returns the database the shop uses.
func (db *DB) Database() *mongo.Database { return db.database }

// Embedded reports whether the database is the in-process server.
func (db *DB) Embedded() bool { return db.serverDone != nil }

// EmbeddedAddr returns the loopback host:port the embedded server listens
// on, for tools such as mongosh, or "" when the database is not embedded.
func (db *DB) EmbeddedAddr() string { return db.serverAddr }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("database: ping: %w", err)
	}
	return nil
}

// Close disconnects the client and then stops the embedded server, waiting
// for it to finish until ctx ends. Calls after the first return the first
// call's result.
func (db *DB) Close(ctx context.Context) error {
	db.closeOnce.Do(func() {
		var errs []error
		if err := db.client.Disconnect(ctx); err != nil {
			errs = append(errs, fmt.Errorf("database: disconnect: %w", err))
		}
		if db.stopServer != nil {
			db.stopServer()
			select {
			case <-db.serverDone:
			case <-ctx.Done():
				errs = append(errs, fmt.Errorf("database: stop embedded server: %w", ctx.Err()))
			}
		}
		db.closeErr = errors.Join(errs...)
	})
	return db.closeErr
}

// describeURI returns the database name and the host list of a connection
// string, so that it can be logged without its credentials.
func describeURI(uri string) (name, hosts string, err error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || (scheme != "mongodb" && scheme != "mongodb+srv") {
		return "", "", errors.New("database: URI must start with mongodb:// or mongodb+srv://")
	}
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	path, _, _ = strings.Cut(path, "?")
	name, err = url.PathUnescape(path)
	if err != nil {
		return "", "", fmt.Errorf("database: database name in URI: %w", err)
	}
	if name == "" {
		name = DefaultName
	}
	return name, authority, nil
}

// errorsOnly passes on only records at error level or above.
type errorsOnly struct{ slog.Handler }

func (h errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.Handler.Enabled(ctx, l)
}

func (h errorsOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return errorsOnly{h.Handler.WithAttrs(attrs)}
}

func (h errorsOnly) WithGroup(name string) slog.Handler {
	return errorsOnly{h.Handler.WithGroup(name)}
}

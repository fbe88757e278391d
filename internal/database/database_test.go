package database

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func open(t *testing.T, cfg Config) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	db, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func closeDB(t *testing.T, db *DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// driverGoroutines returns the stacks of goroutines running FerretDB or
// driver code.
func driverGoroutines() string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/FerretDB/") || strings.Contains(g, "go.mongodb.org/mongo-driver") {
			found = append(found, g)
		}
	}
	return strings.Join(found, "\n\n")
}

// TestCloseStopsEverything must not run in parallel: it inspects every
// goroutine of the process.
func TestCloseStopsEverything(t *testing.T) {
	if g := driverGoroutines(); g != "" {
		t.Fatalf("goroutines before Open:\n%s", g)
	}
	db := open(t, Config{DataDir: t.TempDir()})
	if !db.Embedded() {
		t.Fatalf("got Embedded() false, want true")
	}
	addr := db.EmbeddedAddr()
	if _, err := db.Database().Collection("c").InsertOne(t.Context(), bson.D{{Key: "a", Value: 1}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	closeDB(t, db)

	if err := db.Ping(t.Context()); err == nil {
		t.Errorf("Ping after Close: got nil, want an error")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("dial %s after Close: got a connection, want refused", addr)
	}
	if err := db.Close(t.Context()); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	// The driver's pool goroutines notice the disconnect asynchronously;
	// wait for them rather than assume a duration.
	deadline := time.Now().Add(10 * time.Second)
	for driverGoroutines() != "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := driverGoroutines(); g != "" {
		t.Errorf("goroutines after Close:\n%s", g)
	}
}

func TestOpenEmbeddedPersists(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested dir", "data")
	doc := bson.D{{Key: "_id", Value: "k"}, {Key: "v", Value: "persisted"}}

	db := open(t, Config{DataDir: dir})
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if got := db.Database().Name(); got != DefaultName {
		t.Errorf("database name: got %q, want %q", got, DefaultName)
	}
	if _, err := db.Database().Collection("c").InsertOne(t.Context(), doc); err != nil {
		t.Fatalf("insert: %v", err)
	}
	closeDB(t, db)

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat data dir: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data dir mode: got %o, want 700", got)
	}

	db = open(t, Config{DataDir: dir})
	defer closeDB(t, db)
	var got struct {
		V string `bson:"v"`
	}
	if err := db.Database().Collection("c").FindOne(t.Context(), bson.D{{Key: "_id", Value: "k"}}).Decode(&got); err != nil {
		t.Fatalf("find after reopen: %v", err)
	}
	if got.V != "persisted" {
		t.Errorf("after reopen: got %q, want %q", got.V, "persisted")
	}
}

func TestEmbeddedLogsOnlyErrors(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := open(t, Config{DataDir: t.TempDir(), Logger: log})
	coll := db.Database().Collection("c")
	for range 2 {
		// The second insert fails with a duplicate key, an ordinary outcome
		// that must not be logged as a server fault.
		_, _ = coll.InsertOne(t.Context(), bson.D{{Key: "_id", Value: 1}})
	}
	if err := coll.FindOne(t.Context(), bson.D{}).Err(); err != nil {
		t.Fatalf("find: %v", err)
	}
	closeDB(t, db)

	logged := out.String()
	if !strings.Contains(logged, "embedded database started") {
		t.Fatalf("log lacks the start record; got:\n%s", logged)
	}
	if strings.Contains(logged, "component=ferretdb") {
		t.Errorf("got FerretDB records, want none below error level:\n%s", logged)
	}
}

func TestErrorsOnly(t *testing.T) {
	var out syncBuffer
	log := slog.New(errorsOnly{slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})}).
		With("component", "x").WithGroup("g")
	log.Info("info record")
	log.Warn("warn record")
	log.Error("error record", "k", "v")
	got := out.String()
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"info record", false},
		{"warn record", false},
		{"error record", true},
		{"component=x", true},
		{"g.k=v", true},
	} {
		if strings.Contains(got, tt.text) != tt.want {
			t.Errorf("output contains %q: got %v, want %v; output:\n%s", tt.text, !tt.want, tt.want, got)
		}
	}
}

func TestOpenURI(t *testing.T) {
	t.Parallel()
	server := open(t, Config{DataDir: t.TempDir()})
	defer closeDB(t, server)
	host := server.EmbeddedAddr()

	tests := []struct {
		uri  string
		want string
	}{
		{"mongodb://" + host + "/orders", "orders"},
		{"mongodb://" + host + "/", DefaultName},
		{"mongodb://" + host + "/?appName=shop-test", DefaultName},
		{"mongodb://" + host + "/other?appName=shop-test", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			db := open(t, Config{URI: tt.uri})
			if db.Embedded() || db.EmbeddedAddr() != "" {
				t.Errorf("got Embedded() %v, EmbeddedAddr() %q; want false, \"\"", db.Embedded(), db.EmbeddedAddr())
			}
			if got := db.Database().Name(); got != tt.want {
				t.Errorf("database name: got %q, want %q", got, tt.want)
			}
			if err := db.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			closeDB(t, db)
			// Closing a client of a server must leave the server running.
			if err := server.Ping(t.Context()); err != nil {
				t.Errorf("server Ping after client Close: %v", err)
			}
		})
	}
}

func TestOpenFailureHidesPassword(t *testing.T) {
	t.Parallel()
	// Reserve a port and free it, so nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()

	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	db, err := Open(ctx, Config{URI: "mongodb://shop:s3cret-pw@" + addr + "/shop", Logger: log})
	if err == nil {
		db.Close(context.Background())
		t.Fatalf("Open: got nil error, want a connection failure")
	}
	if strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(out.String(), "s3cret-pw") {
		t.Errorf("password leaked; error %q, log %q", err, out.String())
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q: want it to name the host %s", err, addr)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"embedded without data dir", Config{}},
		{"data dir with #", Config{DataDir: filepath.Join(t.TempDir(), "a#b")}},
		{"data dir with ?", Config{DataDir: filepath.Join(t.TempDir(), "a?b")}},
		{"foreign scheme", Config{URI: "postgres://localhost/shop"}},
		{"no scheme", Config{URI: "localhost:27017"}},
		{"bad escape in name", Config{URI: "mongodb://localhost/a%zz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(t.Context(), tt.cfg)
			if err == nil {
				db.Close(context.Background())
				t.Fatalf("got nil error, want one")
			}
		})
	}
}

func TestDescribeURI(t *testing.T) {
	tests := []struct {
		uri       string
		wantName  string
		wantHosts string
	}{
		{"mongodb://localhost/shop", "shop", "localhost"},
		{"mongodb://localhost", DefaultName, "localhost"},
		{"mongodb://u:p@h1:1,h2:2/live?replicaSet=rs0", "live", "h1:1,h2:2"},
		{"mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true", DefaultName, "cluster0.example.net"},
		{"mongodb://localhost/my%20db", "my db", "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			name, hosts, err := describeURI(tt.uri)
			if err != nil {
				t.Fatalf("describeURI: %v", err)
			}
			if name != tt.wantName || hosts != tt.wantHosts {
				t.Errorf("got (%q, %q), want (%q, %q)", name, hosts, tt.wantName, tt.wantHosts)
			}
		})
	}
}

// TestOpenEnvURI exercises a real server where MONGODB_URI names one.
func TestOpenEnvURI(t *testing.T) {
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("MONGODB_URI is not set")
	}
	t.Parallel()
	db := open(t, Config{URI: uri})
	defer closeDB(t, db)
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

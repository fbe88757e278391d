// Command shop runs the live-shopping server: the REST API, the Socket.IO
// endpoint that announces every purchase, and the browser front end, on one
// HTTP server, with an embedded database unless a MongoDB URI is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/database"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/internal/httpapi"
	"github.com/livebuy/shop/internal/live"
	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/engineio"
	"github.com/livebuy/shop/internal/realtime/redisadapter"
	"github.com/livebuy/shop/internal/users"
	"github.com/livebuy/shop/migrations"
	"github.com/livebuy/shop/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// run starts the shop and serves until ctx ends, then stops it in order:
// sockets, HTTP, database.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	secret := []byte(cfg.JWTSecret)
	if len(secret) == 0 {
		if secret, err = loadOrCreateSecret(cfg.DataDir); err != nil {
			return err
		}
	}
	tokens, err := auth.NewTokens(secret, cfg.TokenTTL)
	if err != nil {
		return fmt.Errorf("jwt secret: %w", err)
	}

	// Listen before the database is ready so that /healthz can tell a load
	// balancer the shop is starting rather than absent.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	var handler atomic.Pointer[http.Handler]
	starting := http.Handler(http.HandlerFunc(notReady))
	handler.Store(&starting)
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }() // ends when srv shuts down
	log.Info("listening", "addr", ln.Addr().String())

	app, err := start(ctx, cfg, tokens, log)
	if err != nil {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		return err
	}
	ready := app.router()
	handler.Store(&ready)
	log.Info("ready", "database", app.dbKind())

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-serveErr:
		log.Error("server stopped", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return app.shutdown(shutdownCtx, srv, err)
}

func notReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "1")
	httpapi.WriteJSON(w, http.StatusServiceUnavailable, httpapi.ErrorBody{ErrorMessage: "서버를 준비하고 있습니다. 잠시 후 다시 시도해 주세요."})
}

// viewerSync is how often an instance sharing broadcasts through Redis
// sends all its viewer counts to the others; an instance silent for three
// intervals (one that died) stops counting after 15-20 s.
const viewerSync = 5 * time.Second

// app is the wired shop.
type app struct {
	cfg Config
	log *slog.Logger
	db  *database.DB
	sio *realtime.Server
	// stopLive ends the sharing of viewer counts with other instances.
	stopLive func()
	rdb      *redis.Client // nil without -redis-url
	authn    *auth.Authenticator
	authH    *auth.Handler
	usersH   *users.Handler
	goodsH   *goods.Handler
	webH     *web.Handler
}

// start opens the database, applies the migrations and wires every part.
func start(ctx context.Context, cfg Config, tokens *auth.Tokens, log *slog.Logger) (*app, error) {
	openCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	db, err := database.Open(openCtx, database.Config{URI: cfg.MongoURI, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := migrations.Apply(openCtx, db.Database(), log); err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	webH, err := web.NewHandler(web.Assets())
	if err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("load web assets: %w", err)
	}

	userSvc, err := users.NewService(users.NewMongoStore(db.Database()), cfg.BcryptCost)
	if err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	authn := auth.NewAuthenticator(tokens, userSvc, log)

	sioOpts := realtime.Options{
		Engine: engineio.Options{
			CORS:         engineio.CORS{AllowedOrigins: cfg.AllowedOrigins, AllowCredentials: true},
			AllowRequest: live.OriginPolicy(cfg.AllowedOrigins),
			Logger:       log,
		},
		Logger: log,
	}
	rdb, err := openRedis(ctx, cfg.RedisURL, log)
	if err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if rdb != nil {
		sioOpts.Adapter = redisadapter.Factory(rdb, redisadapter.Options{Logger: log})
	}
	sio := realtime.NewServer(sioOpts)
	root := sio.Of("/")

	store := goods.NewMongoStore(db.Database())
	catalog := goods.NewCatalog(store, goods.CatalogOptions{})
	orders := goods.NewOrderService(store, catalog, live.NewBroadcaster(root, log), log)
	liveCfg := live.Config{Auth: authn, Orders: orders, Logger: log}
	if rdb != nil {
		liveCfg.ViewerSync = viewerSync
	}
	stopLive := live.Attach(root, liveCfg)

	return &app{
		cfg:      cfg,
		log:      log,
		db:       db,
		sio:      sio,
		stopLive: stopLive,
		rdb:      rdb,
		authn:    authn,
		authH: auth.NewHandler(auth.HandlerConfig{
			Tokens: tokens, Credentials: userSvc, SecureCookie: cfg.SecureCookie, Logger: log,
		}),
		usersH: users.NewHandler(userSvc, log),
		goodsH: goods.NewHandler(goods.HandlerConfig{
			Catalog: catalog, Carts: goods.NewCartService(store, catalog, log), Orders: orders,
			AdminEmails: cfg.AdminEmails, Logger: log,
		}),
		webH: webH,
	}, nil
}

// openRedis returns a client of the Redis at url, nil when url is empty.
// The shop starts even when Redis does not answer: broadcasts then reach
// this instance's clients only, and the adapter connects once Redis is up.
func openRedis(ctx context.Context, url string, log *slog.Logger) (*redis.Client, error) {
	if url == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("invalid -redis-url") // parseConfig says more
	}
	// go-redis logs every failed dial of an outage on its own process-wide
	// logger; the adapter logs the outage once, so these are debug lines.
	redis.SetLogger(redisLog{log})
	rdb := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		log.Warn("redis does not answer; broadcasts stay within this instance until it does", "addr", opts.Addr, "err", err)
	} else {
		log.Info("sharing broadcasts through redis", "addr", opts.Addr)
	}
	return rdb, nil
}

// redisLog writes go-redis's log lines to the shop's log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

func (a *app) dbKind() string {
	if a.db.Embedded() {
		return "embedded"
	}
	return "mongodb"
}

// shutdown stops the shop in order: sockets first (net/http does not close
// hijacked connections), then HTTP, then the database.
func (a *app) shutdown(ctx context.Context, srv *http.Server, cause error) error {
	errs := []error{cause}
	// First, while Redis is there: the other instances drop this one's
	// viewer counts.
	a.stopLive()
	if err := a.sio.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close sockets: %w", err))
	}
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop http: %w", err))
	}
	if a.rdb != nil {
		// After the sockets: closing them closed the adapters using it.
		if err := a.rdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close redis: %w", err))
		}
	}
	if err := a.db.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	if err := errors.Join(errs...); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

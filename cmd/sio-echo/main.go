// Command sio-echo is the reference server for protocol and client
// compatibility tests, with the behaviour the Engine.IO v4 and Socket.IO v5
// protocol test suites expect:
//
//   - /engine.io/ is a bare Engine.IO endpoint that sends every message back
//     unchanged, text or binary;
//   - /socket.io/ is a Socket.IO server with the namespaces "/" and
//     "/custom" (any other is refused). On connecting to either, a client
//     receives the event "auth" with its handshake auth payload ({} when it
//     sent none). On "/", the event "message" is answered with
//     "message-back" and the same arguments, and "message-with-ack" is
//     acknowledged with its own arguments, binary attachments included.
//
// Every origin is allowed, with credentials.
//
//	go run ./cmd/sio-echo -addr 127.0.0.1:3000 -ping-interval 300ms -ping-timeout 200ms -max-payload 1000000 -connect-timeout 1s
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
	"syscall"
	"time"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/engineio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sio-echo:", err)
		}
		os.Exit(1)
	}
}

// config holds the command line.
type config struct {
	addr            string
	pingInterval    time.Duration
	pingTimeout     time.Duration
	maxPayload      int64
	connectTimeout  time.Duration
	shutdownTimeout time.Duration
	logLevel        slog.Level
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	fset := flag.NewFlagSet("sio-echo", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sio-echo [flags]\n\nEngine.IO echo at /engine.io/ and Socket.IO test server at /socket.io/.\n\n")
		fset.PrintDefaults()
	}
	var c config
	var level string
	fset.StringVar(&c.addr, "addr", "127.0.0.1:3000", "listen `address`; port 0 picks a free one, logged at start")
	fset.DurationVar(&c.pingInterval, "ping-interval", 25*time.Second, "Engine.IO ping `interval`")
	fset.DurationVar(&c.pingTimeout, "ping-timeout", 20*time.Second, "Engine.IO ping `timeout`")
	fset.Int64Var(&c.maxPayload, "max-payload", 1_000_000, "largest HTTP body or WebSocket frame, in `bytes`")
	fset.DurationVar(&c.connectTimeout, "connect-timeout", 45*time.Second, "how long a session may stay without joining a namespace")
	fset.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long a graceful stop may take")
	fset.StringVar(&level, "log-level", "info", "`level` of logs: debug, info, warn, error")
	if err := fset.Parse(args); err != nil {
		return config{}, err
	}
	if fset.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fset.Args())
	}
	for name, d := range map[string]time.Duration{
		"ping-interval":    c.pingInterval,
		"ping-timeout":     c.pingTimeout,
		"connect-timeout":  c.connectTimeout,
		"shutdown-timeout": c.shutdownTimeout,
	} {
		if d <= 0 {
			return config{}, fmt.Errorf("-%s must be positive, got %s", name, d)
		}
	}
	if c.maxPayload <= 0 {
		return config{}, fmt.Errorf("-max-payload must be positive, got %d", c.maxPayload)
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return config{}, fmt.Errorf("invalid -log-level %q", level)
	}
	return c, nil
}

// run serves until ctx is done, then shuts down gracefully: the Engine.IO
// and Socket.IO sessions are closed with close packets first, since
// http.Server.Shutdown does not close WebSocket connections.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))

	engine := newEchoEngine(cfg, log)
	sio := newEchoServer(cfg, log)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", engine)
	mux.Handle("/socket.io/", sio)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	// The serving goroutine exits when srv is shut down or fails.
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("sio-echo listening", "addr", ln.Addr().String())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("sio-echo shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	var errs []error
	if err := sio.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown socket.io: %w", err))
	}
	if err := engine.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown engine.io: %w", err))
	}
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown http: %w", err))
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", err))
	}
	return errors.Join(errs...)
}

func engineOptions(cfg config, log *slog.Logger) engineio.Options {
	return engineio.Options{
		PingInterval: cfg.pingInterval,
		PingTimeout:  cfg.pingTimeout,
		MaxPayload:   cfg.maxPayload,
		CORS:         engineio.CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true},
		Logger:       log,
	}
}

// newEchoEngine returns the bare Engine.IO endpoint that echoes every
// message.
func newEchoEngine(cfg config, log *slog.Logger) *engineio.Server {
	opts := engineOptions(cfg, log)
	opts.OnSession = func(sess *engineio.Session) {
		sess.OnMessage(func(data []byte, binary bool) {
			msg := engineio.NewTextMessage(data)
			if binary {
				msg = engineio.NewBinaryMessage(data)
			}
			if err := sess.Send(msg); err != nil {
				log.Debug("echo", "sid", sess.ID(), "err", err)
			}
		})
	}
	return engineio.NewServer(opts)
}

// newEchoServer returns the Socket.IO test server.
func newEchoServer(cfg config, log *slog.Logger) *realtime.Server {
	srv := realtime.NewServer(realtime.Options{
		Engine:         engineOptions(cfg, log),
		ConnectTimeout: cfg.connectTimeout,
		Logger:         log,
	})
	sendAuth := func(s *realtime.Socket) {
		if err := s.Emit("auth", s.Handshake().Auth); err != nil {
			log.Debug("emit auth", "socket", s.ID(), "err", err)
		}
	}
	srv.OnConnection(func(s *realtime.Socket) {
		sendAuth(s)
		s.On("message", func(args realtime.Args, _ realtime.AckFunc) {
			if err := s.Emit("message-back", args...); err != nil {
				log.Debug("emit message-back", "socket", s.ID(), "err", err)
			}
		})
		s.On("message-with-ack", func(args realtime.Args, ack realtime.AckFunc) {
			if ack == nil {
				return
			}
			if err := ack(args...); err != nil {
				log.Debug("ack message-with-ack", "socket", s.ID(), "err", err)
			}
		})
	})
	srv.Of("/custom").OnConnection(sendAuth)
	return srv
}

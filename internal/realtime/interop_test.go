package realtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/nodetest"
	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/engineio"
)

// TestInterop runs the Node tests of test/interop (the official
// socket.io-client 4.x and 3.0.1, and ports of the protocol test suites)
// against a rooms server started here and a cmd/sio-echo built and started
// as a child process. Node's output goes to the test log.
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs the Node interop suite")
	}
	root := nodetest.Root(t)
	node := nodetest.Require(t, root, "socket.io-client", "socket.io-client-v3", "ws")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	rooms := startRoomsServer(t)
	bin := buildSIOEcho(ctx, t, root)
	// The protocol suites need the ping interval they were written for,
	// with a longer ping timeout (the suite is told) and the client
	// scenarios a slower heartbeat, so that a loaded machine does not turn
	// a late pong into a failure.
	echoURL := startSIOEcho(ctx, t, bin, "protocol sio-echo",
		"-ping-interval", "300ms", "-ping-timeout", "1s", "-max-payload", "1000000", "-connect-timeout", "1s")
	clientsEchoURL := startSIOEcho(ctx, t, bin, "clients sio-echo",
		"-ping-interval", "2s", "-ping-timeout", "5s", "-max-payload", "1000000", "-connect-timeout", "5s")

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/interop/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"SIO_ECHO_URL="+echoURL,
		"SIO_ECHO_PING_TIMEOUT=1000",
		"SIO_ECHO_CLIENTS_URL="+clientsEchoURL,
		"SIO_ROOMS_URL="+rooms,
		"FORCE_COLOR=0",
		"NO_COLOR=1",
	)
	cmd.WaitDelay = 5 * time.Second
	if err := nodetest.Run(t, cmd, "node: "); err != nil {
		t.Errorf("node --test test/interop/: %v (see the log above)", err)
	}
}

var listeningRE = regexp.MustCompile(`msg="sio-echo listening" addr=(\S+)`)

// buildSIOEcho builds cmd/sio-echo into a temporary directory.
func buildSIOEcho(ctx context.Context, t *testing.T, root string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "sio-echo")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/sio-echo")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sio-echo: %v\n%s", err, out)
	}
	return bin
}

// startSIOEcho runs the sio-echo binary with args on a free port until the
// test ends, and returns its base URL.
func startSIOEcho(ctx context.Context, t *testing.T, bin, name string, args ...string) string {
	t.Helper()
	// Not CommandContext: the process must get SIGINT, not SIGKILL, so
	// that its graceful shutdown is exercised.
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := nodetest.NewLineWriter(t, name+": ")
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sio-echo: %v", err)
	}
	addr := make(chan string, 1)
	exited := make(chan error, 1)
	// The waiter reads sio-echo's log, then reaps it; it ends when the
	// process exits, which Cleanup brings about (SIGINT, then SIGKILL).
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
			logs.Write([]byte(line + "\n"))
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Errorf("interrupt %s: %v", name, err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s exited with %v, want a clean exit after SIGINT", name, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s still running 15s after SIGINT; killing it", name)
			cmd.Process.Kill()
			<-exited
		}
		logs.Flush()
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-exited:
		exited <- err
		t.Fatalf("%s exited before listening: %v", name, err)
	case <-ctx.Done():
		t.Fatalf("%s did not report its address", name)
	}
	return ""
}

// connCutter drops the TCP connections of one client as a network failure
// would. The interop clients put a unique "tag" query parameter on every
// Engine.IO request (test/interop/support.mjs); the cutter records which
// connections carry requests of which tag, and which Engine.IO sids.
type connCutter struct {
	mu      sync.Mutex
	conns   map[string]map[net.Conn]struct{} // tag -> connections serving it
	sids    map[string][]string              // tag -> sids seen
	blocked map[string]bool                  // sids whose requests are refused
}

type connKey struct{}

func newConnCutter() *connCutter {
	return &connCutter{
		conns:   make(map[string]map[net.Conn]struct{}),
		sids:    make(map[string][]string),
		blocked: make(map[string]bool),
	}
}

// connContext is http.Server.ConnContext: it makes the connection
// reachable from its requests.
func (c *connCutter) connContext(ctx context.Context, conn net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, conn)
}

func (c *connCutter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag, sid := r.URL.Query().Get("tag"), r.URL.Query().Get("sid")
		conn, _ := r.Context().Value(connKey{}).(net.Conn)
		if tag == "" || conn == nil {
			next.ServeHTTP(w, r)
			return
		}
		c.mu.Lock()
		if c.blocked[sid] {
			c.mu.Unlock()
			panic(http.ErrAbortHandler) // drops the connection, unanswered
		}
		if c.conns[tag] == nil {
			c.conns[tag] = make(map[net.Conn]struct{})
		}
		c.conns[tag][conn] = struct{}{}
		if sid != "" && !slices.Contains(c.sids[tag], sid) {
			c.sids[tag] = append(c.sids[tag], sid)
		}
		c.mu.Unlock()
		upgrade := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		next.ServeHTTP(w, r)
		if !upgrade {
			// A hijacked WebSocket connection outlives ServeHTTP, so only
			// plain requests are forgotten here.
			c.mu.Lock()
			delete(c.conns[tag], conn)
			c.mu.Unlock()
		}
	})
}

// cut closes every connection of tag and refuses further requests of its
// sessions; a new handshake with the same tag (the client reconnecting) is
// let through.
func (c *connCutter) cut(tag string) {
	c.mu.Lock()
	conns := c.conns[tag]
	delete(c.conns, tag)
	for _, sid := range c.sids[tag] {
		c.blocked[sid] = true
	}
	delete(c.sids, tag)
	c.mu.Unlock()
	for conn := range conns {
		conn.Close()
	}
}

// startRoomsServer starts the rooms server of test/interop/README.md and
// returns its URL.
func startRoomsServer(t *testing.T) string {
	t.Helper()
	logs := nodetest.NewLineWriter(t, "rooms server: ")
	t.Cleanup(logs.Stop) // registered first, so it runs last
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))

	srv := realtime.NewServer(realtime.Options{
		Engine: engineio.Options{
			PingInterval: time.Second,
			PingTimeout:  2 * time.Second,
			CORS:         engineio.CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true},
		},
		ConnectTimeout: 2 * time.Second,
		ConnectionStateRecovery: &realtime.RecoveryOptions{
			MaxDisconnectionDuration: 10 * time.Second,
			SkipMiddlewares:          true,
		},
		Logger: log,
	})
	cutter := newConnCutter()
	var pending sync.WaitGroup // goroutines waiting for a client's ack
	registerRoomsHandlers(srv, log, cutter, &pending)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := httptest.NewUnstartedServer(cutter.wrap(mux))
	hs.Config.ConnContext = cutter.connContext
	hs.Config.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown rooms server: %v", err)
		}
		hs.Close()
		pending.Wait()
	})
	return hs.URL
}

// registerRoomsHandlers installs the events of test/interop/README.md.
func registerRoomsHandlers(srv *realtime.Server, log *slog.Logger, cutter *connCutter, pending *sync.WaitGroup) {
	ack := func(s *realtime.Socket, event string, a realtime.AckFunc, args ...any) {
		if a == nil {
			log.Warn("no ack requested", "event", event, "socket", s.ID())
			return
		}
		if err := a(args...); err != nil {
			log.Warn("ack", "event", event, "socket", s.ID(), "err", err)
		}
	}
	str := func(args realtime.Args, i int) string {
		var v string
		if i < len(args) {
			if err := args.Decode(i, &v); err != nil {
				log.Warn("decode argument", "index", i, "err", err)
			}
		}
		return v
	}
	arg := func(args realtime.Args, i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}

	srv.OnConnection(func(s *realtime.Socket) {
		s.On("echo", func(args realtime.Args, a realtime.AckFunc) { ack(s, "echo", a, args...) })
		s.On("42", func(args realtime.Args, a realtime.AckFunc) {
			ack(s, "42", a, append([]any{"42"}, args...)...)
		})
		s.On("join", func(args realtime.Args, a realtime.AckFunc) {
			s.Join(realtime.Room(str(args, 0)))
			ack(s, "join", a, true)
		})
		s.On("rooms", func(_ realtime.Args, a realtime.AckFunc) {
			rooms := s.Rooms()
			slices.Sort(rooms)
			ack(s, "rooms", a, rooms)
		})
		s.On("room-emit", func(args realtime.Args, a realtime.AckFunc) {
			if err := srv.To(realtime.Room(str(args, 0))).Emit(str(args, 1), arg(args, 2)); err != nil {
				log.Warn("room-emit", "err", err)
			}
			ack(s, "room-emit", a, true)
		})
		s.On("ask", func(args realtime.Args, a realtime.AckFunc) {
			// The acknowledgement arrives on the goroutine running this
			// handler, so it is awaited on another one, which exits when
			// it arrives, on the timeout or on disconnection.
			pending.Add(1)
			go func() {
				defer pending.Done()
				reply, err := s.Timeout(2*time.Second).EmitWithAck(context.Background(), "question", arg(args, 0))
				switch {
				case err != nil:
					ack(s, "ask", a, map[string]any{"error": err.Error()})
				case len(reply) == 0:
					ack(s, "ask", a, map[string]any{"error": "empty acknowledgement"})
				default:
					ack(s, "ask", a, map[string]any{"answer": reply[0]})
				}
			}()
		})
		s.On("room-ask", func(args realtime.Args, a realtime.AckFunc) {
			room, payload := realtime.Room(str(args, 0)), arg(args, 1)
			// As for "ask", the acknowledgements are awaited on a goroutine
			// of its own, which exits with EmitWithAck.
			pending.Add(1)
			go func() {
				defer pending.Done()
				replies, err := srv.To(room).Timeout(2*time.Second).EmitWithAck(context.Background(), "question", payload)
				if err != nil {
					ack(s, "room-ask", a, map[string]any{"error": err.Error()})
					return
				}
				answers := make([]any, 0, len(replies))
				for _, r := range replies {
					answers = append(answers, arg(r, 0))
				}
				ack(s, "room-ask", a, map[string]any{"answers": answers})
			}()
		})
		s.On("set-data", func(args realtime.Args, a realtime.AckFunc) {
			s.Data().Set(str(args, 0), arg(args, 1))
			ack(s, "set-data", a, true)
		})
		s.On("get-data", func(args realtime.Args, a realtime.AckFunc) {
			v, _ := s.Data().Get(str(args, 0))
			ack(s, "get-data", a, v)
		})
		s.On("drop", func(realtime.Args, realtime.AckFunc) {
			cutter.cut(s.Handshake().Query.Get("tag"))
		})
		s.On("kick", func(realtime.Args, realtime.AckFunc) { s.Disconnect(false) })
		s.On("drop-and-broadcast", func(args realtime.Args, _ realtime.AckFunc) {
			room, event, payload := realtime.Room(str(args, 0)), str(args, 1), arg(args, 2)
			s.OnDisconnect(func(string) {
				if err := srv.To(room).Emit(event, payload); err != nil {
					log.Warn("drop-and-broadcast", "err", err)
				}
			})
			cutter.cut(s.Handshake().Query.Get("tag"))
		})
	})

	guarded := srv.Of("/guarded")
	guarded.Use(func(s *realtime.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(s.Handshake().Auth, &auth); err != nil || auth.Token != "letmein" {
			return &realtime.ConnectError{
				Message: "not authorized",
				Data:    map[string]any{"code": 4001, "reason": "token missing"},
			}
		}
		return nil
	})
	guarded.OnConnection(func(s *realtime.Socket) {
		s.On("echo", func(args realtime.Args, a realtime.AckFunc) { ack(s, "echo", a, args...) })
	})
}

package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is everything the shop reads from its flags and environment.
// Nothing else in the program reads either.
type Config struct {
	Addr            string
	DataDir         string
	MongoURI        string
	RedisURL        string
	JWTSecret       string
	TokenTTL        time.Duration
	AdminEmails     []string
	AllowedOrigins  []string
	SecureCookie    bool
	LogLevel        slog.Level
	BcryptCost      int
	ShutdownTimeout time.Duration
}

// parseConfig reads flags from args, falling back to the environment
// variables named in each flag's usage, then to the defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fset := flag.NewFlagSet("shop", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: shop [flags]\n\nThe live-shopping server: REST API, Socket.IO endpoint and web pages.\nEvery flag may also be set by the environment variable in brackets; a flag wins.\n\n")
		fset.PrintDefaults()
	}

	var c Config
	var admins, origins, level, tokenTTL, shutdown, secure string
	fset.StringVar(&c.Addr, "addr", env("SHOP_ADDR", ":3000"), "listen `address` [SHOP_ADDR]")
	fset.StringVar(&c.DataDir, "data-dir", env("SHOP_DATA_DIR", "./data"), "`directory` for the embedded database and the generated JWT secret [SHOP_DATA_DIR]")
	// The flags that may carry credentials take their environment variable
	// only after parsing (see secretEnv), since -h prints every default.
	fset.StringVar(&c.MongoURI, "mongodb-uri", "", "MongoDB connection `uri`; empty starts the embedded database [MONGODB_URI]")
	fset.StringVar(&c.RedisURL, "redis-url", "", "Redis `url` (redis://[:password@]host:port/db) through which several instances share their broadcasts, as Node's @socket.io/redis-adapter does; empty keeps broadcasts within this instance [SHOP_REDIS_URL]")
	fset.StringVar(&c.JWTSecret, "jwt-secret", "", "`secret` that signs login tokens; empty generates one and keeps it in the data dir [SHOP_JWT_SECRET]")
	fset.StringVar(&tokenTTL, "token-ttl", env("SHOP_TOKEN_TTL", "24h"), "`duration` of a login before it must be renewed [SHOP_TOKEN_TTL]")
	fset.StringVar(&admins, "admin-emails", env("SHOP_ADMIN_EMAILS", ""), "comma-separated `emails` of users who may create goods [SHOP_ADMIN_EMAILS]")
	fset.StringVar(&origins, "allowed-origins", env("SHOP_ALLOWED_ORIGINS", ""), "comma-separated `origins` allowed besides the shop's own, for the API's socket [SHOP_ALLOWED_ORIGINS]")
	fset.StringVar(&secure, "secure-cookie", env("SHOP_SECURE_COOKIE", "false"), "`true` marks the login cookie Secure even without TLS here (behind a TLS proxy) [SHOP_SECURE_COOKIE]")
	fset.IntVar(&c.BcryptCost, "bcrypt-cost", 10, "bcrypt `cost` of stored passwords (4-31); each step doubles the work of a login [SHOP_BCRYPT_COST]")
	fset.StringVar(&level, "log-level", env("SHOP_LOG_LEVEL", "info"), "`level` of logs: debug, info, warn, error [SHOP_LOG_LEVEL]")
	fset.StringVar(&shutdown, "shutdown-timeout", env("SHOP_SHUTDOWN_TIMEOUT", "10s"), "how long a graceful stop may take, a `duration` [SHOP_SHUTDOWN_TIMEOUT]")
	if err := fset.Parse(args); err != nil {
		return Config{}, err
	}
	if fset.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fset.Args())
	}

	secretEnv := []struct {
		flag, env string
		dst       *string
	}{
		{"mongodb-uri", "MONGODB_URI", &c.MongoURI},
		{"redis-url", "SHOP_REDIS_URL", &c.RedisURL},
		{"jwt-secret", "SHOP_JWT_SECRET", &c.JWTSecret},
	}
	for _, s := range secretEnv {
		if !flagSet(fset, s.flag) {
			*s.dst = getenv(s.env)
		}
	}

	var err error
	if v := getenv("SHOP_BCRYPT_COST"); v != "" && !flagSet(fset, "bcrypt-cost") {
		if c.BcryptCost, err = strconv.Atoi(v); err != nil {
			return Config{}, fmt.Errorf("invalid SHOP_BCRYPT_COST %q", v)
		}
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return Config{}, fmt.Errorf("invalid -bcrypt-cost %d: want 4-31", c.BcryptCost)
	}
	if c.TokenTTL, err = time.ParseDuration(tokenTTL); err != nil || c.TokenTTL <= 0 {
		return Config{}, fmt.Errorf("invalid -token-ttl %q", tokenTTL)
	}
	if c.ShutdownTimeout, err = time.ParseDuration(shutdown); err != nil || c.ShutdownTimeout <= 0 {
		return Config{}, fmt.Errorf("invalid -shutdown-timeout %q", shutdown)
	}
	if c.RedisURL != "" {
		// The parser's error may quote the URL, password included.
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			return Config{}, errors.New("invalid -redis-url: want redis://[[user]:password@]host[:port][/db] or rediss://…")
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return Config{}, fmt.Errorf("invalid -log-level %q", level)
	}
	switch strings.ToLower(secure) {
	case "1", "true", "yes":
		c.SecureCookie = true
	case "0", "false", "no", "":
	default:
		return Config{}, fmt.Errorf("invalid -secure-cookie %q", secure)
	}
	c.AdminEmails = splitList(admins, strings.ToLower)
	c.AllowedOrigins = splitList(origins, func(s string) string { return strings.TrimRight(s, "/") })
	return c, nil
}

func flagSet(fset *flag.FlagSet, name string) bool {
	set := false
	fset.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func splitList(s string, norm func(string) string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, norm(part))
		}
	}
	return out
}

// secretFile is where a generated JWT secret is kept, so that logins survive
// a restart.
const secretFile = "jwt-secret"

// loadOrCreateSecret returns the JWT secret stored in dir, creating a random
// one on first use.
func loadOrCreateSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("%s holds a secret shorter than 32 characters", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read jwt secret: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate jwt secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	// O_EXCL: when two instances share the data dir, the first one's secret wins.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateSecret(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("write jwt secret: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write jwt secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write jwt secret: %w", err)
	}
	return []byte(secret), nil
}

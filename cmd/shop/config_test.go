package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr bool
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Addr != ":3000" || c.DataDir != "./data" || c.MongoURI != "" || c.TokenTTL != 24*time.Hour || c.LogLevel != slog.LevelInfo {
				t.Errorf("got %+v, want the documented defaults", c)
			}
		}},
		{name: "env", env: map[string]string{"SHOP_ADDR": "127.0.0.1:9", "MONGODB_URI": "mongodb://db/shop", "SHOP_ADMIN_EMAILS": " A@x.io, b@y.io ,", "SHOP_LOG_LEVEL": "debug"},
			check: func(t *testing.T, c Config) {
				if c.Addr != "127.0.0.1:9" || c.MongoURI != "mongodb://db/shop" || c.LogLevel != slog.LevelDebug {
					t.Errorf("got %+v", c)
				}
				if want := []string{"a@x.io", "b@y.io"}; !reflect.DeepEqual(c.AdminEmails, want) {
					t.Errorf("got admins %q, want %q", c.AdminEmails, want)
				}
			}},
		{name: "flag wins over env", args: []string{"-addr", ":4000", "-allowed-origins", "https://a.example/,https://b.example"}, env: map[string]string{"SHOP_ADDR": ":5000"},
			check: func(t *testing.T, c Config) {
				if c.Addr != ":4000" {
					t.Errorf("got addr %q, want :4000", c.Addr)
				}
				if want := []string{"https://a.example", "https://b.example"}; !reflect.DeepEqual(c.AllowedOrigins, want) {
					t.Errorf("got origins %q, want %q", c.AllowedOrigins, want)
				}
			}},
		{name: "bad level", args: []string{"-log-level", "loud"}, wantErr: true},
		{name: "bad ttl", env: map[string]string{"SHOP_TOKEN_TTL": "-1h"}, wantErr: true},
		{name: "bcrypt cost from env", env: map[string]string{"SHOP_BCRYPT_COST": "6"}, check: func(t *testing.T, c Config) {
			if c.BcryptCost != 6 {
				t.Errorf("got cost %d, want 6", c.BcryptCost)
			}
		}},
		{name: "bcrypt cost too low", args: []string{"-bcrypt-cost", "3"}, wantErr: true},
		{name: "bad secure", args: []string{"-secure-cookie", "maybe"}, wantErr: true},
		{name: "stray argument", args: []string{"serve"}, wantErr: true},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got config %+v, want an error", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := loadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 32 {
		t.Fatalf("got a %d-byte secret, want at least 32", len(first))
	}
	again, err := loadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(first) {
		t.Fatal("got a new secret on the second start, want the stored one")
	}
	fi, err := os.Stat(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("got mode %v, want 0600", perm)
	}
	if err := os.WriteFile(filepath.Join(dir, secretFile), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(dir); err == nil {
		t.Fatal("got no error for a short stored secret, want one")
	}
}

// flagEnv is one flag of the shop with its environment variable: a value
// for each and what each must make of the Config.
type flagEnv struct {
	flag, env         string
	envVal, flagVal   string
	get               func(Config) any
	wantEnv, wantFlag any
}

// flagEnvs covers every flag of parseConfig; TestEveryFlagHasItsEnv checks
// that none is missing.
var flagEnvs = []flagEnv{
	{"addr", "SHOP_ADDR", "127.0.0.1:7001", "127.0.0.1:7002", func(c Config) any { return c.Addr }, "127.0.0.1:7001", "127.0.0.1:7002"},
	{"data-dir", "SHOP_DATA_DIR", "/srv/env-data", "/srv/flag-data", func(c Config) any { return c.DataDir }, "/srv/env-data", "/srv/flag-data"},
	{"mongodb-uri", "MONGODB_URI", "mongodb://env-db/shop", "mongodb://flag-db/shop", func(c Config) any { return c.MongoURI }, "mongodb://env-db/shop", "mongodb://flag-db/shop"},
	{"redis-url", "SHOP_REDIS_URL", "redis://env-redis:6379/0", "redis://flag-redis:6379/1", func(c Config) any { return c.RedisURL }, "redis://env-redis:6379/0", "redis://flag-redis:6379/1"},
	{"jwt-secret", "SHOP_JWT_SECRET", "env-secret", "flag-secret", func(c Config) any { return c.JWTSecret }, "env-secret", "flag-secret"},
	{"token-ttl", "SHOP_TOKEN_TTL", "2h", "30m", func(c Config) any { return c.TokenTTL }, 2 * time.Hour, 30 * time.Minute},
	{"admin-emails", "SHOP_ADMIN_EMAILS", "Env@Shop.io", "flag@shop.io, b@shop.io", func(c Config) any { return c.AdminEmails }, []string{"env@shop.io"}, []string{"flag@shop.io", "b@shop.io"}},
	{"allowed-origins", "SHOP_ALLOWED_ORIGINS", "https://env.example/", "https://flag.example", func(c Config) any { return c.AllowedOrigins }, []string{"https://env.example"}, []string{"https://flag.example"}},
	// The flag wins even when it says what the default says.
	{"secure-cookie", "SHOP_SECURE_COOKIE", "true", "false", func(c Config) any { return c.SecureCookie }, true, false},
	{"bcrypt-cost", "SHOP_BCRYPT_COST", "6", "10", func(c Config) any { return c.BcryptCost }, 6, 10},
	{"log-level", "SHOP_LOG_LEVEL", "debug", "warn", func(c Config) any { return c.LogLevel }, slog.LevelDebug, slog.LevelWarn},
	{"shutdown-timeout", "SHOP_SHUTDOWN_TIMEOUT", "3s", "4s", func(c Config) any { return c.ShutdownTimeout }, 3 * time.Second, 4 * time.Second},
}

// TestFlagsAndEnv proves for every flag that its environment variable is
// honoured and that the flag wins over it.
func TestFlagsAndEnv(t *testing.T) {
	noEnv := func(string) string { return "" }
	defaults, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range flagEnvs {
		t.Run(tt.flag, func(t *testing.T) {
			env := func(k string) string {
				if k == tt.env {
					return tt.envVal
				}
				return ""
			}
			if reflect.DeepEqual(tt.get(defaults), tt.wantEnv) {
				t.Fatalf("the default %v equals the env value's: the case proves nothing", tt.wantEnv)
			}
			c, err := parseConfig(nil, env, io.Discard)
			if err != nil {
				t.Fatalf("%s=%q: got error %v", tt.env, tt.envVal, err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.wantEnv) {
				t.Errorf("%s=%q: got %v, want %v", tt.env, tt.envVal, got, tt.wantEnv)
			}
			c, err = parseConfig([]string{"-" + tt.flag, tt.flagVal}, env, io.Discard)
			if err != nil {
				t.Fatalf("-%s %q with %s=%q: got error %v", tt.flag, tt.flagVal, tt.env, tt.envVal, err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.wantFlag) {
				t.Errorf("-%s %q with %s=%q: got %v, want the flag's %v", tt.flag, tt.flagVal, tt.env, tt.envVal, got, tt.wantFlag)
			}
		})
	}
}

var helpFlagRE = regexp.MustCompile(`(?m)^  -([a-z-]+)(?: \S+)?\n\s+[^\n]*\[([A-Z_]+)\]`)

// TestEveryFlagHasItsEnv reads -h: every flag it lists names its
// environment variable, and flagEnvs covers exactly those flags.
func TestEveryFlagHasItsEnv(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v, want flag.ErrHelp", err)
	}
	help := out.String()
	listed := strings.Count(help, "\n  -")
	got := map[string]string{}
	for _, m := range helpFlagRE.FindAllStringSubmatch(help, -1) {
		got[m[1]] = m[2]
	}
	if len(got) != listed {
		t.Errorf("got %d flags with an environment variable in -h, want all %d:\n%s", len(got), listed, help)
	}
	want := map[string]string{}
	for _, tt := range flagEnvs {
		want[tt.flag] = tt.env
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got flags and variables %v in -h, want %v", got, want)
	}
}

// TestHelpHidesSecrets shows -h with secrets in the environment: the
// defaults it prints must not reveal them.
func TestHelpHidesSecrets(t *testing.T) {
	env := map[string]string{
		"SHOP_JWT_SECRET": "jwt-s3cret-from-env-0123456789abcdef",
		"MONGODB_URI":     "mongodb://shop:mongo-pa55word@db.example/shop",
		"SHOP_REDIS_URL":  "redis://:redis-pa55word@redis.example:6379/0",
	}
	var out bytes.Buffer
	_ = run(context.Background(), []string{"-h"}, func(k string) string { return env[k] }, &out)
	for _, secret := range []string{"jwt-s3cret", "mongo-pa55word", "redis-pa55word"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("-h shows %q from the environment:\n%s", secret, out.String())
		}
	}
	// The variables still work.
	c, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.JWTSecret != env["SHOP_JWT_SECRET"] || c.MongoURI != env["MONGODB_URI"] || c.RedisURL != env["SHOP_REDIS_URL"] {
		t.Errorf("got %q %q %q, want the environment's values", c.JWTSecret, c.MongoURI, c.RedisURL)
	}
}

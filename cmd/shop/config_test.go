package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
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

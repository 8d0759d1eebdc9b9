package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.DataDir != "./data" || cfg.PublicURL != "http://localhost:8080" {
		t.Errorf("defaults: %+v", cfg)
	}
	if !slices.Equal(cfg.Modules, []string{"all"}) || !cfg.MigrateOnStart || cfg.Demo {
		t.Errorf("modules/migrate/demo defaults: %v %v %v", cfg.Modules, cfg.MigrateOnStart, cfg.Demo)
	}
	if cfg.RateLimits.Auth != "10/m" || cfg.RateLimits.Read != "1000/m" || cfg.ShutdownTimeout != 30*time.Second {
		t.Errorf("limits/shutdown defaults: %+v %v", cfg.RateLimits, cfg.ShutdownTimeout)
	}
}

func TestLoadConfigReadsFileVariants(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbURL := filepath.Join(dir, "db")
	if err := os.WriteFile(dbURL, []byte("postgres://u:p@db/goodgo"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig([]string{
		"GOODGO_SECRET_KEY_FILE=" + secret,
		"GOODGO_DATABASE_URL_FILE=" + dbURL,
		"GOODGO_MODULES=order,kitchen",
		"GOODGO_LOG_LEVEL=debug",
		"GOODGO_LOG_LEVEL_FILE=/does/not/matter", // the plain variable wins
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretKey != "0123456789abcdef0123456789abcdef" || cfg.DatabaseURL != "postgres://u:p@db/goodgo" {
		t.Errorf("file variants not read: %q %q", cfg.SecretKey, cfg.DatabaseURL)
	}
	if !slices.Equal(cfg.Modules, []string{"order", "kitchen"}) || cfg.LogLevel != "debug" {
		t.Errorf("modules = %v, log level = %q", cfg.Modules, cfg.LogLevel)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"GOODGO_PUBLIC_URL=ftp://x"}, "GOODGO_PUBLIC_URL"},
		{[]string{"GOODGO_NATS_URL=nats://a", "GOODGO_AMQP_URL=amqp://b"}, "not both"},
		{[]string{"GOODGO_DATABASE_URL=postgres://x/y"}, "GOODGO_SECRET_KEY is required"},
		{[]string{"GOODGO_SECRET_KEY=short"}, "at least 32"},
		{[]string{"GOODGO_TRUSTED_PROXIES=10.0.0.0/8,nonsense"}, "nonsense"},
		{[]string{"GOODGO_S3_ENDPOINT=http://minio:9000"}, "GOODGO_S3_BUCKET"},
		{[]string{"GOODGO_SHUTDOWN_TIMEOUT=soon"}, "GOODGO_SHUTDOWN_TIMEOUT"},
		{[]string{"GOODGO_SECRET_KEY_FILE=/no/such/file"}, "GOODGO_SECRET_KEY_FILE"},
	}
	for _, tt := range tests {
		_, err := LoadConfig(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want mention of %q", tt.env, err, tt.want)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := parsePrefixes([]string{"127.0.0.1", " 10.1.2.3/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "10.0.0.0/8", "::1/128"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, p, want[i])
		}
	}
}

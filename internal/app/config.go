package app

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
)

// Config is the whole configuration, read from the environment. The variable names are part of the
// contract (ARCHITECTURE.md); every one may also be given as <NAME>_FILE, a path whose content is the value,
// for Kubernetes secrets.
type Config struct {
	HTTPAddr  string `env:"GOODGO_HTTP_ADDR" envDefault:":8080"`
	DataDir   string `env:"GOODGO_DATA_DIR" envDefault:"./data"`
	PublicURL string `env:"GOODGO_PUBLIC_URL" envDefault:"http://localhost:8080"`
	LogLevel  string `env:"GOODGO_LOG_LEVEL" envDefault:"info"`

	DatabaseURL string `env:"GOODGO_DATABASE_URL"`
	// DBMaxConns bounds the PostgreSQL pool (and SQLite's reader pool).
	DBMaxConns int    `env:"GOODGO_DB_MAX_CONNS" envDefault:"16"`
	NATSURL    string `env:"GOODGO_NATS_URL"`
	AMQPURL    string `env:"GOODGO_AMQP_URL"`
	RedisURL   string `env:"GOODGO_REDIS_URL"`

	S3Endpoint  string `env:"GOODGO_S3_ENDPOINT"`
	S3Bucket    string `env:"GOODGO_S3_BUCKET"`
	S3AccessKey string `env:"GOODGO_S3_ACCESS_KEY"`
	S3SecretKey string `env:"GOODGO_S3_SECRET_KEY"`
	S3Region    string `env:"GOODGO_S3_REGION" envDefault:"us-east-1"`
	S3UseSSL    bool   `env:"GOODGO_S3_USE_SSL" envDefault:"true"`

	// SecretKey signs file URLs and encrypts secrets at rest. Embedded mode makes one under DataDir on first
	// start; scaled out (GOODGO_DATABASE_URL set) every replica must be given the same key.
	SecretKey string `env:"GOODGO_SECRET_KEY"`

	Modules        []string `env:"GOODGO_MODULES" envDefault:"all" envSeparator:","`
	Demo           bool     `env:"GOODGO_DEMO" envDefault:"false"`
	MigrateOnStart bool     `env:"GOODGO_MIGRATE_ON_START" envDefault:"true"`

	CORSOrigins          []string `env:"GOODGO_CORS_ORIGINS" envSeparator:","`
	TrustedProxies       []string `env:"GOODGO_TRUSTED_PROXIES" envSeparator:","`
	RateLimitExemptCIDRs []string `env:"GOODGO_RATELIMIT_EXEMPT_CIDRS" envSeparator:","`
	RateLimits           RateLimits

	BodyLimitBytes  int64         `env:"GOODGO_BODY_LIMIT_BYTES" envDefault:"1048576"`
	UploadMaxBytes  int64         `env:"GOODGO_UPLOAD_MAX_BYTES" envDefault:"10485760"`
	ShutdownTimeout time.Duration `env:"GOODGO_SHUTDOWN_TIMEOUT" envDefault:"30s"`

	VNPayTmnCode      string `env:"GOODGO_VNPAY_TMN_CODE"`
	VNPayHashSecret   string `env:"GOODGO_VNPAY_HASH_SECRET"`
	VNPayPayURL       string `env:"GOODGO_VNPAY_PAY_URL"`
	VNPayAPIURL       string `env:"GOODGO_VNPAY_API_URL"`
	BankWebhookAPIKey string `env:"GOODGO_BANK_WEBHOOK_API_KEY"`

	MoMoPartnerCode string `env:"GOODGO_MOMO_PARTNER_CODE"`
	MoMoAccessKey   string `env:"GOODGO_MOMO_ACCESS_KEY"`
	MoMoSecretKey   string `env:"GOODGO_MOMO_SECRET_KEY"`
	MoMoEndpoint    string `env:"GOODGO_MOMO_ENDPOINT"`
	ZaloPayAppID    int64  `env:"GOODGO_ZALOPAY_APP_ID"`
	ZaloPayKey1     string `env:"GOODGO_ZALOPAY_KEY1"`
	ZaloPayKey2     string `env:"GOODGO_ZALOPAY_KEY2"`
	ZaloPayEndpoint string `env:"GOODGO_ZALOPAY_ENDPOINT"`
	// PaymentSimulators serves the in-repo VNPay, MoMo, ZaloPay and bank simulators under /sim/ and makes them
	// the default accounts. Demo mode turns them on unless a VNPay terminal is configured.
	PaymentSimulators bool `env:"GOODGO_PAYMENT_SIMULATORS" envDefault:"false"`
}

// RateLimits holds one limit per rate-limit class of API.md, written like "100/m".
type RateLimits struct {
	Auth      string `env:"GOODGO_RATELIMIT_AUTH" envDefault:"10/m"`
	AuthIP    string `env:"GOODGO_RATELIMIT_AUTH_IP" envDefault:"100/m"`
	Refresh   string `env:"GOODGO_RATELIMIT_REFRESH" envDefault:"30/m"`
	Payment   string `env:"GOODGO_RATELIMIT_PAYMENT" envDefault:"30/m"`
	General   string `env:"GOODGO_RATELIMIT_GENERAL" envDefault:"100/m"`
	Read      string `env:"GOODGO_RATELIMIT_READ" envDefault:"1000/m"`
	Public    string `env:"GOODGO_RATELIMIT_PUBLIC" envDefault:"300/m"`
	Realtime  string `env:"GOODGO_RATELIMIT_REALTIME" envDefault:"500/m"`
	Callbacks string `env:"GOODGO_RATELIMIT_CALLBACKS" envDefault:"600/m"`
}

// parsed turns the configured limits into the HTTP layer's classes. Values were checked by validate.
func (r RateLimits) parsed() map[httpapi.Class]httpapi.Limit {
	out := map[httpapi.Class]httpapi.Limit{}
	for class, s := range r.byClass() {
		if l, err := httpapi.ParseLimit(s); err == nil {
			out[class] = l
		}
	}
	return out
}

func (r RateLimits) byClass() map[httpapi.Class]string {
	return map[httpapi.Class]string{
		httpapi.ClassAuth: r.Auth, httpapi.ClassAuthIP: r.AuthIP, httpapi.ClassRefresh: r.Refresh,
		httpapi.ClassPayment: r.Payment, httpapi.ClassGeneral: r.General, httpapi.ClassRead: r.Read,
		httpapi.ClassPublic: r.Public, httpapi.ClassRealtime: r.Realtime, httpapi.ClassCallbacks: r.Callbacks,
	}
}

// LoadConfig reads the configuration from environ (os.Environ() form). A variable NAME_FILE names a file
// whose content (trailing newline trimmed) is the value of NAME; NAME itself wins when both are set.
func LoadConfig(environ []string) (Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			vars[k] = v
		}
	}
	for k, path := range vars {
		name, ok := strings.CutSuffix(k, "_FILE")
		if !ok || !strings.HasPrefix(name, "GOODGO_") {
			continue
		}
		if _, set := vars[name]; set {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", k, err)
		}
		vars[name] = strings.TrimRight(string(b), "\r\n")
	}
	var cfg Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return Config{}, fmt.Errorf("config: %w", nameVariables(err))
	}
	return cfg, cfg.validate()
}

// database says which database to open: PostgreSQL when GOODGO_DATABASE_URL is set, else the SQLite file in
// the data directory.
func (c Config) database() db.Config {
	return db.Config{URL: c.DatabaseURL, SQLitePath: filepath.Join(c.DataDir, "goodgo.db"), MaxConns: c.DBMaxConns}
}

// nameVariables rewrites env's parse errors, which name Go fields, to name the environment variables.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	keys := map[string]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
				walk(f.Type)
				continue
			}
			if key, _, _ := strings.Cut(f.Tag.Get("env"), ","); key != "" {
				keys[f.Name] = key
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	var errs []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && keys[pe.Name] != "" {
			errs = append(errs, fmt.Errorf("%s: %w", keys[pe.Name], pe.Err))
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func (c Config) validate() error {
	var errs []error
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GOODGO_PUBLIC_URL must be an http(s) URL, got %q", c.PublicURL))
	}
	if c.NATSURL != "" && c.AMQPURL != "" {
		errs = append(errs, errors.New("set GOODGO_NATS_URL or GOODGO_AMQP_URL, not both"))
	}
	if c.S3Endpoint != "" && (c.S3Bucket == "" || c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, errors.New("GOODGO_S3_ENDPOINT needs GOODGO_S3_BUCKET, GOODGO_S3_ACCESS_KEY and GOODGO_S3_SECRET_KEY"))
	}
	if c.DatabaseURL != "" && c.SecretKey == "" {
		errs = append(errs, errors.New("GOODGO_SECRET_KEY is required with GOODGO_DATABASE_URL: every replica must share it"))
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("GOODGO_SECRET_KEY must be at least 32 characters"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("GOODGO_SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.BodyLimitBytes <= 0 {
		errs = append(errs, errors.New("GOODGO_BODY_LIMIT_BYTES must be positive"))
	}
	for name, list := range map[string][]string{"GOODGO_TRUSTED_PROXIES": c.TrustedProxies, "GOODGO_RATELIMIT_EXEMPT_CIDRS": c.RateLimitExemptCIDRs} {
		if _, err := parsePrefixes(list); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	for class, s := range c.RateLimits.byClass() {
		if _, err := httpapi.ParseLimit(s); err != nil {
			errs = append(errs, fmt.Errorf("GOODGO_RATELIMIT_%s: %w", strings.ToUpper(string(class)), err))
		}
	}
	return errors.Join(errs...)
}

// parsePrefixes reads CIDRs or single addresses ("10.0.0.0/8", "127.0.0.1").
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

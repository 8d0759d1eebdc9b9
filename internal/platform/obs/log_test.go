package obs

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestIsSecretKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true}, {"Password", true}, {"new_password", true}, {"passwordHash", true},
		{"passwd", true}, {"pwd", true}, {"db_pass", true}, {"passphrase", true},
		{"secret", true}, {"client_secret", true}, {"hashSecret", true}, {"GOODGO_VNPAY_HASH_SECRET", true},
		{"token", true}, {"access_token", true}, {"refreshToken", true}, {"mfa_token", true}, {"X-Csrf-Token", true},
		{"authorization", true}, {"Authorization", true}, {"proxy-authorization", true},
		{"api_key", true}, {"apiKey", true}, {"APIKey", true}, {"X-Api-Key", true}, {"bank_webhook_api_key", true},
		{"pin", true}, {"staff_pin", true}, {"PIN", true}, {"new_pin", true},
		{"otp", true}, {"totp", true}, {"otpauth_url", true}, {"otp_secret", true},
		{"code", true}, {"mfa_code", true}, {"verificationCode", true}, {"recovery_codes", true}, {"auth_code", true},
		{"cookie", true}, {"Set-Cookie", true}, {"cookies", true},
		{"dsn", true}, {"database_dsn", true},
		{"private_key", true}, {"s3_access_key", true}, {"S3SecretKey", true}, {"signing_key", true},
		{"sig", true}, {"signature", true}, {"vnp_SecureHash", true}, {"session_id", true}, {"jwt", true},
		{"credentials", true}, {"credential", true},
		// Not secrets: must stay readable.
		{"status_code", false}, {"StatusCode", false}, {"bank_code", false}, {"vnp_ResponseCode", false},
		{"error_code", false}, {"currency_code", false}, {"product_code", false},
		{"user_id", false}, {"merchant_id", false}, {"order_id", false}, {"key", false}, {"cache_key", false},
		{"idempotency_key", false}, {"shipping_fee", false}, {"hotpot", false}, {"spinner", false},
		{"path", false}, {"method", false}, {"status", false}, {"duration", false}, {"auth", false},
		{"authenticated", false}, {"design", false}, {"url", false}, {"database_url", false}, {"", false},
	}
	for _, tt := range tests {
		if got := IsSecretKey(tt.key); got != tt.want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// logLine logs one record through NewLogger and returns it decoded.
func logLine(t *testing.T, log func(*slog.Logger)) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "debug")
	if err != nil {
		t.Fatal(err)
	}
	log(l)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	return m, buf.String()
}

func TestLoggerRedacts(t *testing.T) {
	header := http.Header{"Authorization": {"Bearer eyJ.secret"}, "Cookie": {"sid=abc"}, "Accept": {"text/html"}}
	dbURL, _ := url.Parse("postgres://goodgo:hunter2@db:5432/goodgo?sslmode=disable")
	tests := []struct {
		name      string
		log       func(*slog.Logger)
		path      []string // where the value is in the JSON
		want      any
		forbidden string
	}{
		{"top-level password", func(l *slog.Logger) { l.Info("m", "password", "hunter2") },
			[]string{"password"}, Redacted, "hunter2"},
		{"secret inside a group", func(l *slog.Logger) {
			l.Info("m", slog.Group("request", slog.String("path", "/login"), slog.String("pin", "1234")))
		}, []string{"request", "pin"}, Redacted, "1234"},
		{"innocent field inside a group stays", func(l *slog.Logger) {
			l.Info("m", slog.Group("request", slog.String("path", "/login"), slog.String("pin", "1234")))
		}, []string{"request", "path"}, "/login", "1234"},
		{"nested groups", func(l *slog.Logger) {
			l.Info("m", slog.Group("http", slog.Group("headers", slog.String("X-Api-Key", "k-123"))))
		}, []string{"http", "headers", "X-Api-Key"}, Redacted, "k-123"},
		{"everything under a secret group", func(l *slog.Logger) {
			l.Info("m", slog.Group("credentials", slog.String("user", "bob"), slog.String("value", "hunter2")))
		}, []string{"credentials", "value"}, Redacted, "hunter2"},
		{"WithGroup and With", func(l *slog.Logger) {
			l.WithGroup("vnpay").With("hash_secret", "ABCDEF").Info("m", "tmn_code", "DEMO")
		}, []string{"vnpay", "hash_secret"}, Redacted, "ABCDEF"},
		{"URL password in a string", func(l *slog.Logger) {
			l.Info("m", "database", "postgres://goodgo:hunter2@db:5432/goodgo")
		}, []string{"database"}, "postgres://goodgo:" + Redacted + "@db:5432/goodgo", "hunter2"},
		{"URL value", func(l *slog.Logger) { l.Info("m", "target", dbURL) },
			[]string{"target"}, "postgres://goodgo:" + Redacted + "@db:5432/goodgo?sslmode=disable", "hunter2"},
		{"error repeating a DSN", func(l *slog.Logger) {
			l.Error("m", "err", errors.New("connect host=db user=goodgo password=hunter2 dbname=x: refused"))
		}, []string{"err"}, "connect host=db user=goodgo password=" + Redacted + " dbname=x: refused", "hunter2"},
		{"secret query parameter", func(l *slog.Logger) {
			l.Info("m", "url", "/api/v1/shops/1/events?access_token=eyJabc&x=1")
		}, []string{"url"}, "/api/v1/shops/1/events?access_token=" + Redacted + "&x=1", "eyJabc"},
		{"http header value", func(l *slog.Logger) { l.Info("m", "headers", header) },
			[]string{"headers", "Authorization"}, []any{Redacted}, "eyJ.secret"},
		{"http header innocent entry", func(l *slog.Logger) { l.Info("m", "headers", header) },
			[]string{"headers", "Accept"}, []any{"text/html"}, "sid=abc"},
		{"map value", func(l *slog.Logger) {
			l.Info("m", "body", map[string]any{"email": "a@b.vn", "password": "hunter2", "inner": map[string]string{"otp": "123456"}})
		}, []string{"body", "inner", "otp"}, Redacted, "hunter2"},
		{"status code untouched", func(l *slog.Logger) { l.Info("m", "status_code", 200) },
			[]string{"status_code"}, float64(200), ""},
		{"message and level untouched", func(l *slog.Logger) { l.Warn("login failed") },
			[]string{"msg"}, "login failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, raw := logLine(t, tt.log)
			var got any = m
			for _, p := range tt.path {
				obj, ok := got.(map[string]any)
				if !ok {
					t.Fatalf("no %v in %s", tt.path, raw)
				}
				got = obj[p]
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(tt.want)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("%v = %s, want %s (line %s)", tt.path, gotJSON, wantJSON, raw)
			}
			if tt.forbidden != "" && strings.Contains(raw, tt.forbidden) {
				t.Errorf("log line leaks %q: %s", tt.forbidden, raw)
			}
		})
	}
}

func TestNewLoggerLevels(t *testing.T) {
	tests := []struct {
		level     string
		wantDebug bool
		wantInfo  bool
		wantErr   bool
	}{
		{"", false, true, false},
		{"debug", true, true, false},
		{"INFO", false, true, false},
		{"warn", false, false, false},
		{"warning", false, false, false},
		{"error", false, false, false},
		{"info+2", false, false, false},
		{"verbose", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := NewLogger(&buf, tt.level)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewLogger(%q) error = %v, want error %v", tt.level, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			l.Debug("d")
			gotDebug := strings.Contains(buf.String(), `"msg":"d"`)
			l.Info("i")
			gotInfo := strings.Contains(buf.String(), `"msg":"i"`)
			if gotDebug != tt.wantDebug || gotInfo != tt.wantInfo {
				t.Errorf("level %q: debug logged %v, info logged %v; want %v, %v", tt.level, gotDebug, gotInfo, tt.wantDebug, tt.wantInfo)
			}
		})
	}
}

func BenchmarkLoggerRequestLine(b *testing.B) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "info")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		l.Info("request", "method", "POST", "path", "/api/v1/orders/0195/lines", "status", 201,
			"duration_ms", 12, "request_id", "abc", "merchant_id", "0195", "user_agent", "pos/1.0")
	}
}

// The allocation-free ASCII path and the general path must split keys the same way.
func TestSplitWordsPathsAgree(t *testing.T) {
	keys := []string{
		"password", "vnp_SecureHash", "APIKey", "X-Api-Key", "mfa_code", "StatusCode", "a1B2c3", "HTTPServer",
		"__x__", "", "GOODGO_VNPAY_HASH_SECRET", "iOS", "already-lower", "ABC", "aBC", "AbcDEFGhi",
	}
	for _, key := range keys {
		var buf [64]byte
		var bounds [17]int
		joined, n, ok := splitWordsASCII(key, buf[:0], &bounds)
		if !ok {
			t.Fatalf("splitWordsASCII(%q) fell back", key)
		}
		var fast []string
		for i := range n {
			fast = append(fast, string(joined[bounds[i]:bounds[i+1]]))
		}
		slow := splitWords(key)
		if strings.Join(fast, ",") != strings.Join(slow, ",") {
			t.Errorf("split %q: ASCII path %v, general path %v", key, fast, slow)
		}
	}
	// Keys the ASCII path cannot hold still get classified.
	for key, want := range map[string]bool{
		"mật_khẩu_password": true, strings.Repeat("a", 80) + "_token": true, strings.Repeat("a_", 20) + "code": false,
		"mã_pin": true, "tên_món": false,
	} {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

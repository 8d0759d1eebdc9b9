package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		remote string
		xff    []string // one entry per X-Forwarded-For header line
		want   string
	}{
		{"direct client", "203.0.113.9:4000", nil, "203.0.113.9"},
		{"direct client's forged header ignored", "203.0.113.9:4000", []string{"1.1.1.1"}, "203.0.113.9"},
		{"one trusted proxy", "10.0.0.2:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written entries left of the proxy's ignored", "10.0.0.2:4000", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted proxies", "10.0.0.2:4000", []string{"203.0.113.9, 10.0.0.7"}, "203.0.113.9"},
		{"several header lines", "10.0.0.2:4000", []string{"6.6.6.6", "203.0.113.9, 10.1.1.1"}, "203.0.113.9"},
		{"trusted proxy without header", "10.0.0.2:4000", nil, "10.0.0.2"},
		{"garbage entry stops the walk", "10.0.0.2:4000", []string{"203.0.113.9, bogus"}, "10.0.0.2"},
		{"garbage after a believed hop", "10.0.0.2:4000", []string{"bogus, 10.0.0.9"}, "10.0.0.9"},
		{"only trusted addresses", "10.0.0.2:4000", []string{"10.0.0.3"}, "10.0.0.3"},
		{"entry with port", "10.0.0.2:4000", []string{"203.0.113.9:5123"}, "203.0.113.9"},
		{"IPv6 client behind proxy", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"bracketed IPv6 entry", "10.0.0.2:4000", []string{"[2001:db8::5]:80"}, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.2]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv6 peer untrusted", "[2001:db8::9]:1", []string{"203.0.113.9"}, "2001:db8::9"},
		{"unparsable remote", "pipe", []string{"203.0.113.9"}, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, trusted).String(); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"page=2&limit=10", "limit=10&page=2"},
		{"access_token=abc", "access_token=REDACTED"},
		{"vnp_SecureHash=ff&vnp_Amount=100", "vnp_Amount=100&vnp_SecureHash=REDACTED"},
		{"X-Amz-Signature=1&X-Amz-Credential=2&X-Amz-Date=3", "X-Amz-Credential=REDACTED&X-Amz-Date=3&X-Amz-Signature=REDACTED"},
		{"sig=1&code=2&key=3&password=4", "code=REDACTED&key=REDACTED&password=REDACTED&sig=REDACTED"},
		{"%zz", "(unparsable query)"},
	}
	for _, tt := range tests {
		if got := redactQuery(tt.in); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
